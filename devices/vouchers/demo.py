"""The vouchers' part of the demo (manage.py load_demo): a batch of 50 data voucher codes for each partner,
two of them issued."""

from datetime import timedelta

from django.utils import timezone

from inclusion.actors import Actor
from inclusion.models import Membership, Resident

from .models import Provider, VoucherBatch
from .services import ImportRow, voucher_batch_import, voucher_issue


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
        residents = list(Resident.objects.filter(owning_organisation=organisation).order_by("last_name")[:4])
        rows = [ImportRow(line=n + 2, code=f"DEMO{index}{n:05d}X") for n in range(50)]
        voucher_batch_import(actor=actor, rows=rows, dry_run=False, provider=providers[index % 3], kind="data_code",
                             data_allowance_gb=20, validity_days=30, expires_on=today + timedelta(days=120),
                             reference=f"NDB-{2026 + index}", low_stock_threshold=10)  # fmt: skip
        for resident in residents[:2]:
            voucher_issue(actor=actor, resident=resident, kind="data_code")
