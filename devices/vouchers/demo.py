"""The vouchers' part of the demo (manage.py load_demo): a batch of 50 data voucher codes for each partner,
two of them issued."""

from datetime import timedelta

from django.utils import timezone

from inclusion.actors import Actor
from inclusion.models import Membership, Resident
from inclusion.reports.demo import HISTORY_DOMAIN

from .models import Provider, Voucher, VoucherBatch
from .services import ImportRow, voucher_batch_import, voucher_issue

HISTORY = "@" + HISTORY_DOMAIN  # the impact report's year of residents: their own stories (history_load)


def demo_load(organisations: dict) -> None:
    """A batch for each demo partner (`organisations` by slug) that has none, made through the real services.
    Registered with the core's `manage.py load_demo` (devices/vouchers/registration.py)."""
    providers = [Provider.objects.get_or_create(slug=slug, defaults={"name": name})[0]
                 for slug, name in [("vodafone", "Vodafone"), ("o2", "O2"), ("three", "Three"),
                                    ("bt-wifi", "BT Wi-Fi")]]  # fmt: skip
    today = timezone.localdate()
    for index, organisation in enumerate(organisations.values()):
        if VoucherBatch.objects.filter(organisation=organisation).exists():
            continue
        coordinator = Membership.objects.filter(organisation=organisation).order_by("role").first()
        actor = Actor(organisation=organisation, user=coordinator.user)
        residents = list(Resident.objects.filter(owning_organisation=organisation).exclude(email__endswith=HISTORY)
                         .order_by("last_name")[:4])  # fmt: skip
        rows = [ImportRow(line=n + 2, code=f"DEMO{index}{n:05d}X") for n in range(50)]
        voucher_batch_import(actor=actor, rows=rows, dry_run=False, provider=providers[index % 3], kind="data_code",
                             data_allowance_gb=20, validity_days=30, expires_on=today + timedelta(days=120),
                             reference=f"NDB-{2026 + index}", low_stock_threshold=10)  # fmt: skip
        for resident in residents[:2]:
            voucher_issue(actor=actor, resident=resident, kind="data_code")


def history_load(organisations: dict) -> None:
    """A year of data vouchers for the monthly impact report's demo (inclusion/reports/demo.py's residents):
    each partner's batch NDB-HIST-*, a voucher issued to each resident who needed connectivity the week they
    registered; most activated, some failed, some expired unused, the last weeks' still issued. Rows are
    written as they stand after the fact. Added once: the HIST batches mark it."""
    from inclusion.reports.demo import at, history_residents

    if VoucherBatch.objects.filter(reference__startswith="NDB-HIST-").exists():
        return
    today = timezone.localdate()
    provider = Provider.objects.get_or_create(slug="vodafone", defaults={"name": "Vodafone"})[0]
    batches = {}
    for index, organisation in enumerate(organisations.values()):
        batches[organisation.pk] = VoucherBatch.objects.create(
            provider=provider, organisation=organisation, kind="data_code", data_allowance_gb=[20, 30, 15, 20][index % 4],
            validity_days=30, expires_on=today + timedelta(days=120), reference=f"NDB-HIST-{index}",
        )  # fmt: skip
    for number, resident in enumerate(history_residents().filter(needs_connectivity=True)):
        batch = batches.get(resident.owning_organisation_id)
        if batch is None:
            continue
        issued = timezone.localdate(resident.created_at) + timedelta(days=1)
        story = ["activated", "activated", "activated", "failed", "activated", "expired"][number % 6]
        if issued + timedelta(days=10) > today:
            story = "issued"
        if story == "expired":  # an unissued code that ran out that week: expired unused, nobody's
            Voucher.objects.create(batch=batch, provider=provider, code=f"HIST{number:05d}Q", status="expired",
                                   expired_at=at(issued))  # fmt: skip
            continue
        Voucher.objects.create(
            batch=batch, provider=provider, code=f"HIST{number:05d}Q", status=story, resident=resident,
            issued_at=at(issued), activated_at=at(issued + timedelta(days=2)) if story == "activated" else None,
            failed_at=at(issued + timedelta(days=3)) if story == "failed" else None,
            failure_reason="The network refused the code" if story == "failed" else "",
        )  # fmt: skip
