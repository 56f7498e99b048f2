"""The devices app's part of the demo (manage.py load_demo): stock and loans for each partner (the vouchers'
part is devices/vouchers/demo.py)."""

from datetime import timedelta

from django.utils import timezone

from inclusion.actors import Actor
from inclusion.models import Membership, Resident

from . import services as devices
from .models import Device


def demo_load(organisations: dict) -> None:
    """Devices and loans for each demo partner (`organisations` by slug), made through the real services so
    their histories look real. Registered with the core's `manage.py load_demo` (devices/apps.py)."""
    today = timezone.localdate()
    for index, organisation in enumerate(organisations.values()):
        if Device.objects.filter(owning_organisation=organisation).exists():
            continue
        coordinator = Membership.objects.filter(organisation=organisation).order_by("role").first()
        actor = Actor(organisation=organisation, user=coordinator.user)
        residents = list(Resident.objects.filter(owning_organisation=organisation).order_by("last_name")[:4])
        made = []
        for number in range(12):
            kind = ["laptop", "chromebook", "tablet"][number % 3]
            device = devices.device_create(
                actor=actor, kind=kind, make=["Lenovo", "Acer", "Samsung"][number % 3],
                model=["ThinkPad T480", "Chromebook 314", "Galaxy Tab A8"][number % 3],
                accessories=["charger"] + (["case"] if kind == "tablet" else []), location="Front desk",
                source="donated" if number % 2 else "refurbished", donor="Local business appeal" if number % 2 else "",
            )  # fmt: skip
            if number < 9:
                devices.device_wipe_record(actor=actor, device=device, method="certified_software",
                                           wiped_on=today, operator="IT volunteer",
                                           certificate_reference=f"WIPE-{index}{number:03d}")  # fmt: skip
                devices.device_transition(actor=actor, device=device, to_status="ready")
            made.append(device)
        for number, resident in enumerate(residents[:3]):
            started = today - timedelta(days=30 if number == 0 else 7)
            devices.loan_create(actor=actor, device=made[number], resident=resident,
                                agreement_method="signed_paper", started_on=started,
                                due_on=started + timedelta(days=28))  # fmt: skip
