"""Reads of devices and loans, always scoped to one organisation."""

import re
from datetime import timedelta

from django.db.models import BooleanField, Case, CharField, Count, F, Func, Q, QuerySet, Value, When
from django.utils import timezone

from inclusion.models import Organisation, Resident

from .models import (
    Device,
    DeviceEvent,
    DeviceKind,
    DeviceStatus,
    Kit,
    KitLoan,
    Loan,
    LoanAgreement,
    Wipe,
    asset_tag_normalise,
)


def device_list(
    *, organisation: Organisation, status: str = "", kind: str = "", location: str = "", q: str = ""
) -> QuerySet[Device]:
    """The organisation's own stock, filtered."""
    devices = Device.objects.filter(owning_organisation=organisation)
    if status:
        devices = devices.filter(status=status)
    if kind:
        devices = devices.filter(kind=kind)
    if location:
        devices = devices.filter(location__iexact=location)
    if q:
        devices = devices.filter(Q(asset_tag__istartswith=q.strip()) | Q(serial_number__iexact=q.strip()))
    return devices.order_by("asset_tag")


def device_counts_by_status(*, organisation: Organisation) -> list[tuple[str, str, int]]:
    """[(status, label, count)] for every status, zeros included, in lifecycle order."""
    counts = dict(Device.objects.filter(owning_organisation=organisation).values_list("status").annotate(n=Count("pk")))
    return [(value, label, counts.get(value, 0)) for value, label in DeviceStatus.choices]


READY_TO_PICK = 200  # more than this, and staff type or scan the tag


def devices_ready_by_kind(*, organisation: Organisation) -> list[tuple[str, list[Device]]]:
    """The organisation's devices ready to lend, as [(kind label, devices)] in the kinds' order, to pick from
    when lending (at most READY_TO_PICK of them)."""
    devices = Device.objects.filter(owning_organisation=organisation, status=DeviceStatus.READY).order_by("asset_tag")
    by_kind: dict[str, list[Device]] = {}
    for device in devices[:READY_TO_PICK]:
        by_kind.setdefault(device.kind, []).append(device)
    return [(label, by_kind[kind]) for kind, label in DeviceKind.choices if kind in by_kind]


def device_locations(*, organisation: Organisation) -> list[str]:
    return list(
        Device.objects.filter(owning_organisation=organisation).exclude(location="")
        .values_list("location", flat=True).distinct().order_by("location")
    )  # fmt: skip


def device_get(*, organisation: Organisation, asset_tag: str) -> Device | None:
    """One of the organisation's devices by its exact tag (case and outer spaces forgiven): for a tag a
    machine sends (a URL, the partner API). For one a person typed or scanned, device_find_typed."""
    tag = asset_tag_normalise(asset_tag)
    return Device.objects.filter(owning_organisation=organisation, asset_tag=tag).first() if tag else None


def _tag_key():
    # A tag with only its letters and digits: what is left when separators are typed differently or not at all.
    return Func(F("asset_tag"), Value("[^A-Z0-9]"), Value(""), Value("g"), function="regexp_replace",
                output_field=CharField())  # fmt: skip


def device_find_typed(*, organisation: Organisation, typed: str) -> Device | None:
    """The organisation's device a person means by a tag they typed or scanned, for DI-000006:
    - the tag itself, in any case and with spaces around it ("di-000006 ");
    - its letters and digits with other separators or none ("di 000006", "DI000006", "DI_000006");
    - without its leading zeros ("di 6"), or the number alone ("6", "000006"), when that is the number of
      exactly one device's tag.
    None when nothing matches, or when what was typed could mean more than one device (never a guess).
    Only the organisation's own stock is searched."""
    tag = asset_tag_normalise(typed)
    if not tag:
        return None
    devices = Device.objects.filter(owning_organisation=organisation)
    exact = devices.filter(asset_tag=tag).first()
    if exact or not (key := re.sub(r"[^A-Z0-9]", "", tag)):
        return exact
    match = Q(tag_key=key)
    if parts := re.fullmatch(r"([A-Z]*)(\d+)", key):
        # Its letters (any, when only the number was typed), any zeros, then the number: "tab 7" finds TAB-0007.
        letters, number = parts.group(1) or "[A-Z]*", int(parts.group(2))
        match |= Q(tag_key__regex=rf"^{letters}0*{number}$")
    found = list(devices.annotate(tag_key=_tag_key()).filter(match).order_by("pk")[:2])
    return found[0] if len(found) == 1 else None


def device_history(*, device: Device) -> QuerySet[DeviceEvent]:
    return device.events.select_related("actor", "api_key", "organisation").order_by("-occurred_at", "-id")


def with_overdue(loans: QuerySet[Loan]) -> QuerySet[Loan]:
    """Annotate `overdue`, derived from the due date at query time (never stored)."""
    return loans.annotate(
        overdue=Case(When(closed_at__isnull=True, due_on__lt=timezone.localdate(), then=Value(True)), default=Value(False),
                     output_field=BooleanField())
    )  # fmt: skip


def loan_list(*, organisation: Organisation, status: str = "") -> QuerySet[Loan]:
    """Loans made by the organisation. status: open, overdue, due_this_week, closed, or '' for all."""
    loans = Loan.objects.filter(organisation=organisation).select_related("device", "resident", "lent_by")
    return with_overdue(loans_with_status(loans, status)).order_by("due_on", "id")


def loans_with_status(loans: QuerySet[Loan], status: str) -> QuerySet[Loan]:
    """`loans` narrowed to a status (open, overdue, due_this_week, closed; '' for all), as conditions on the
    loans themselves, so an organisation's open loans come from the `open_loan_due` index in due order."""
    today = timezone.localdate()
    if status == "open":
        return loans.filter(closed_at__isnull=True)
    if status == "overdue":
        return loans.filter(closed_at__isnull=True, due_on__lt=today)
    if status == "due_this_week":
        return loans.filter(closed_at__isnull=True, due_on__gte=today, due_on__lte=today + timedelta(days=7))
    if status == "closed":
        return loans.filter(closed_at__isnull=False)
    return loans


def loan_get(*, organisation: Organisation, pk) -> Loan | None:
    return (
        with_overdue(Loan.objects.filter(organisation=organisation))
        .select_related("device", "resident")
        .filter(pk=pk)
        .first()
    )


def resident_records_visible(records: QuerySet, *, organisation: Organisation, resident: Resident, given_by: str):
    """A resident's loans or vouchers (`records`, already the resident's) as `organisation` may see them: all of
    them when it owns the resident (it answers for the whole record), otherwise only those it gave (`given_by`:
    the path to the organisation that lent or issued each one). The one home of that rule for loans and vouchers."""
    if resident.owning_organisation_id == organisation.pk:
        return records
    return records.filter(**{given_by: organisation})


def loans_for_resident(*, organisation: Organisation, resident: Resident) -> QuerySet[Loan]:
    """A resident's loans as the organisation may see them (resident_records_visible), newest first."""
    loans = resident_records_visible(Loan.objects.filter(resident=resident), organisation=organisation,
                                     resident=resident, given_by="organisation")  # fmt: skip
    return with_overdue(loans).select_related("device", "organisation").order_by("-started_on", "-id")


def resident_open_loan_ids(organisation: Organisation) -> QuerySet:
    """The access rule's link: other organisations' residents with an open loan from `organisation` (its own
    residents it sees anyway), from the open_shared_loan_org_resident index."""
    return Loan.objects.filter(organisation=organisation, closed_at__isnull=True, shares_resident=True).values(
        "resident_id"
    )


# --- Added for the staff web (devices/views/) ------------------------------------------------------


def device_loans(*, device: Device) -> QuerySet[Loan]:
    """Every loan of one device (all made by its owning organisation), newest first."""
    return with_overdue(device.loans.select_related("resident", "lent_by")).order_by("-started_on", "-id")


def device_wipes(*, device: Device):
    return device.wipes.select_related("recorded_by").order_by("-wiped_on", "-recorded_at")


def loan_extensions(*, loan: Loan):
    return loan.extension_history.select_related("extended_by").order_by("extended_at")


def loan_notes(*, loan: Loan) -> QuerySet[DeviceEvent]:
    """The notes typed on this loan (when lending, extending, taking it back, reporting it lost or gifting it),
    oldest first: they are kept on the device's history, each marked with its loan."""
    return (
        DeviceEvent.objects.filter(device_id=loan.device_id, data__loan=loan.pk)
        .exclude(note="")
        .select_related("actor", "api_key")
        .order_by("occurred_at", "id")
    )


def loan_counts(*, organisation: Organisation) -> dict[str, int]:
    """Open loans overdue and due back within the week (as loan_list counts them), in one query."""
    today = timezone.localdate()
    return Loan.objects.filter(organisation=organisation, closed_at__isnull=True).aggregate(
        overdue=Count("pk", filter=Q(due_on__lt=today)),
        due_this_week=Count("pk", filter=Q(due_on__gte=today, due_on__lte=today + timedelta(days=7))),
    )


def loans_mark_resident_visible(*, organisation: Organisation, loans) -> list[Loan]:
    """Set `resident_visible` on each loan: whether the organisation may still see its resident.

    A closed loan no longer links another organisation's resident to the lender (inclusion/access.py),
    so lists show such a resident without their name."""
    from inclusion.access import residents_visible_to

    loans = list(loans)
    ids = {loan.resident_id for loan in loans}
    visible = set(residents_visible_to(organisation).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    for loan in loans:
        loan.resident_visible = loan.resident_id in visible
    return loans


# The loan agreement and what is printed


def loan_agreements(*, organisation: Organisation):
    """Every published version of the organisation's loan agreement, the latest first, with how many loans
    accepted each."""
    return (
        LoanAgreement.objects.filter(organisation=organisation)
        .select_related("published_by")
        .annotate(loan_count=Count("loans"))
        .order_by("-version")
    )


def loan_agreement_get(*, organisation: Organisation, version: int) -> LoanAgreement | None:
    return (
        LoanAgreement.objects.filter(organisation=organisation, version=version).select_related("published_by").first()
    )


def loan_wipe_after_return(*, loan: Loan) -> Wipe | None:
    """The first wipe of the loan's device recorded after the loan closed: the one that erased this resident's
    data (None until there is one, or if the loan did not end with the device back)."""
    if loan.closed_at is None or loan.outcome != "returned":
        return None
    return (
        Wipe.objects.filter(device_id=loan.device_id, recorded_at__gte=loan.closed_at).order_by("recorded_at").first()
    )


def loans_renewal_due(*, organisation: Organisation | None, days_ahead: int = 7, on=None) -> QuerySet[Loan]:
    """Open-ended loans whose renewal date is within `days_ahead` days of `on` (today), or has passed but not by
    more than the renewal limit (devices.services.loan_renewal_long_overdue_days): those to ask "still using
    it?". The reminders work sends the message; renewing (loan_renew) moves the date on and takes a loan off this
    list. `organisation` scopes it as every selector does; None is for the background sweep over every
    organisation, never for a page or the API."""
    from .services import loan_renewal_long_overdue_days

    today = on or timezone.localdate()
    loans = Loan.objects.filter(
        open_ended=True, closed_at__isnull=True, due_on__lte=today + timedelta(days=days_ahead),
        due_on__gte=today - timedelta(days=loan_renewal_long_overdue_days()),
    )  # fmt: skip
    if organisation is not None:
        loans = loans.filter(organisation=organisation)
    return loans.select_related("device", "resident", "organisation").order_by("due_on", "pk")


# Kits


def kits(*, organisation: Organisation, active_only: bool = False) -> QuerySet[Kit]:
    found = Kit.objects.filter(organisation=organisation)
    return (found.filter(active=True) if active_only else found).order_by("name")


def kit_get(*, organisation: Organisation, pk) -> Kit | None:
    return Kit.objects.filter(organisation=organisation, pk=pk).first()


def kit_loan_get(*, organisation: Organisation, pk) -> KitLoan | None:
    """The organisation's kit loan with its items (each marked with `overdue` and `resident_visible`)."""
    kit_loan = (KitLoan.objects.filter(organisation=organisation, pk=pk)
                .select_related("resident", "lent_by", "voucher__batch__provider").first())  # fmt: skip
    if kit_loan is not None:
        items = with_overdue(kit_loan.items.all()).select_related("device", "resident").order_by("pk")
        kit_loan.item_list = loans_mark_resident_visible(organisation=organisation, loans=list(items))
    return kit_loan
