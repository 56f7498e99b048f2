"""Reads of voucher stock and issued vouchers, always scoped to one organisation. Codes are never
selected whole for lists: use Voucher.masked."""

from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from devices.selectors import resident_records_visible
from inclusion.models import Organisation, Resident

from .models import Provider, Voucher, VoucherBatch, VoucherEvent, VoucherImportRecord, VoucherStatus


def voucher_batch_list(*, organisation: Organisation) -> QuerySet[VoucherBatch]:
    """The organisation's batches with their counts by status."""
    counts = {status: Count("vouchers", filter=Q(vouchers__status=status)) for status in VoucherStatus.values}
    return (
        VoucherBatch.objects.filter(organisation=organisation)
        .select_related("provider")
        .annotate(total=Count("vouchers"), **{f"n_{status}": n for status, n in counts.items()})
        .order_by("expires_on", "id")
    )


def voucher_batch_get(*, organisation: Organisation, pk) -> VoucherBatch | None:
    return voucher_batch_list(organisation=organisation).filter(pk=pk).first()


def voucher_stock(*, organisation: Organisation) -> list[dict]:
    """Available vouchers per provider and kind in current batches, flagged when at or below the
    highest threshold among their batches (the coordinator's dashboard)."""
    today = timezone.localdate()
    rows = (
        VoucherBatch.objects.filter(organisation=organisation, expires_on__gte=today)
        .values("provider__name", "kind")
        .annotate(available=Count("vouchers", filter=Q(vouchers__status=VoucherStatus.AVAILABLE)))
        .order_by("provider__name", "kind")
    )
    thresholds = {}
    for batch in VoucherBatch.objects.filter(organisation=organisation, expires_on__gte=today).select_related(
        "provider"
    ):
        key = (batch.provider.name, batch.kind)
        thresholds[key] = max(thresholds.get(key, 0), batch.low_stock_threshold)
    result = []
    for row in rows:
        key = (row["provider__name"], row["kind"])
        result.append({"provider": key[0], "kind": key[1], "available": row["available"],
                       "threshold": thresholds[key], "low": row["available"] <= thresholds[key]})  # fmt: skip
    return result


# The issue form's figures stop counting here: "100 or more left" is all a frontline worker needs to know.
ISSUE_COUNT_CAP = 100

_ISSUE_CHOICES_SQL = """
SELECT provider.name, batch.kind, sum(left_in_batch.available)::int
FROM devices_voucherbatch batch
JOIN devices_provider provider ON provider.id = batch.provider_id
CROSS JOIN LATERAL (
    SELECT count(*) AS available FROM (
        SELECT 1 FROM devices_voucher voucher
        WHERE voucher.batch_id = batch.id AND voucher.status = %(available)s
        LIMIT %(cap)s
    ) AS first_ones
) AS left_in_batch
WHERE batch.organisation_id = %(organisation)s AND batch.expires_on >= %(today)s
GROUP BY provider.name, batch.kind
ORDER BY provider.name, batch.kind
"""


def voucher_issue_choices(*, organisation: Organisation, cap: int = ISSUE_COUNT_CAP) -> list[dict]:
    """What the organisation can give out now, per provider and kind, for the issue form on the resident's
    page: {"provider", "kind", "available", "capped"}, `available` counted only up to `cap` (then `capped`).

    Each current batch reads at most `cap` entries of the `voucher_available` index, so a resident page costs
    the same with 300,000 vouchers in stock as with 30 (voucher_stock, for the stock pages, counts them all)."""
    with connection.cursor() as cursor:
        cursor.execute(_ISSUE_CHOICES_SQL, {"available": VoucherStatus.AVAILABLE, "cap": cap,
                                            "organisation": organisation.pk, "today": timezone.localdate()})  # fmt: skip
        rows = cursor.fetchall()
    return [{"provider": provider, "kind": kind, "available": min(available, cap), "capped": available >= cap}
            for provider, kind, available in rows]  # fmt: skip


def voucher_list(
    *, organisation: Organisation, status: str = "", batch=None, provider: str = "", kind: str = ""
) -> QuerySet[Voucher]:
    vouchers = Voucher.objects.filter(batch__organisation=organisation).select_related("batch", "provider", "resident")
    if status:
        vouchers = vouchers.filter(status=status)
    if batch:
        vouchers = vouchers.filter(batch=batch)
    if provider:
        vouchers = vouchers.filter(provider__slug=provider)
    if kind:
        vouchers = vouchers.filter(batch__kind=kind)
    return vouchers.order_by(F("issued_at").desc(nulls_last=True), "id")


def voucher_get(*, organisation: Organisation, pk) -> Voucher | None:
    return voucher_list(organisation=organisation).filter(pk=pk).first()


def voucher_history(*, voucher: Voucher) -> list[VoucherEvent]:
    """The voucher's history, newest first, ending with its import (the caller has already found the voucher
    within its organisation). The import is recorded once for the whole batch (VoucherImportRecord); it is shown
    here as an unsaved VoucherEvent so that every entry reads alike."""
    events = list(voucher.events.select_related("actor", "api_key", "organisation").order_by("-occurred_at", "-id"))
    record = (
        VoucherImportRecord.objects.filter(batch_id=voucher.batch_id, dry_run=False)
        .select_related("user", "api_key", "organisation").first()
    )  # fmt: skip
    if record:
        events.append(VoucherEvent(voucher=voucher, action="import", to_status=VoucherStatus.AVAILABLE,
                                   organisation=record.organisation, actor=record.user, api_key=record.api_key,
                                   occurred_at=record.created_at, data={"rows": record.rows}))  # fmt: skip
    return events


def vouchers_for_resident(*, organisation: Organisation, resident: Resident) -> QuerySet[Voucher]:
    """The resident's vouchers as the organisation may see them (devices.selectors.resident_records_visible: the
    owning organisation sees all of them, others those they issued), newest first."""
    vouchers = resident_records_visible(Voucher.objects.filter(resident=resident), organisation=organisation,
                                        resident=resident, given_by="batch__organisation")  # fmt: skip
    return vouchers.select_related("batch", "provider").order_by("-issued_at")


def provider_list(*, active_only: bool = True) -> QuerySet[Provider]:
    providers = Provider.objects.all()
    return providers.filter(active=True) if active_only else providers


# --- Staff web (devices/vouchers/views.py): added with the voucher pages -------------------------------


def vouchers_mark_resident_visible(*, organisation: Organisation, vouchers) -> list[Voucher]:
    """Set `resident_visible` on each voucher: whether the organisation may still see its resident.

    A voucher given to another organisation's resident (shared through a loan, say) outlives the link,
    so lists and pages show such a resident without their name. One query for all of them."""
    from inclusion.access import residents_visible_to

    vouchers = list(vouchers)
    ids = {voucher.resident_id for voucher in vouchers if voucher.resident_id}
    visible = set(residents_visible_to(organisation).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    for voucher in vouchers:
        voucher.resident_visible = voucher.resident_id in visible
    return vouchers


def voucher_stock_labelled(*, organisation: Organisation) -> list[dict]:
    """voucher_stock with each kind's label ("Data voucher code") as `kind_label`, for pages."""
    from .models import VoucherKind

    labels = dict(VoucherKind.choices)
    return [
        {**row, "kind_label": labels.get(row["kind"], row["kind"])} for row in voucher_stock(organisation=organisation)
    ]


def voucher_allowance(*, organisation: Organisation, kind: str, provider: Provider | None = None) -> dict | None:
    """How often a resident may have a voucher of this kind (and provider) from the organisation's current
    batches: the strictest rule among them, {"per_resident": n, "window_days": days}, or None if there are none.
    For the confirmation before issuing (the service decides, per batch, when it issues)."""
    batches = VoucherBatch.objects.filter(organisation=organisation, kind=kind, expires_on__gte=timezone.localdate())
    if provider is not None:
        batches = batches.filter(provider=provider)
    rules = list(batches.values_list("max_per_resident", "eligibility_window_days"))
    if not rules:
        return None
    return {"per_resident": min(n for n, _ in rules), "window_days": max(days for _, days in rules)}
