"""The devices app's part of the demo (manage.py load_demo): stock and loans for each partner (the vouchers'
part is devices/vouchers/demo.py)."""

from datetime import timedelta

from django.utils import timezone

from inclusion.actors import Actor
from inclusion.models import Membership, Resident
from inclusion.reports.demo import HISTORY_DOMAIN

from . import services as devices
from .models import Device, Loan

HISTORY = "@" + HISTORY_DOMAIN  # the impact report's year of residents: their own stories (history_load)


def demo_load(organisations: dict) -> None:
    """Devices and loans for each demo partner (`organisations` by slug), made through the real services so
    their histories look real. Registered with the core's `manage.py load_demo` (devices/apps.py)."""
    today = timezone.localdate()
    for index, organisation in enumerate(organisations.values()):
        if Device.objects.filter(owning_organisation=organisation).exists():
            continue
        coordinator = Membership.objects.filter(organisation=organisation).order_by("role").first()
        actor = Actor(organisation=organisation, user=coordinator.user)
        residents = list(Resident.objects.filter(owning_organisation=organisation).exclude(email__endswith=HISTORY)
                         .order_by("last_name")[:4])  # fmt: skip
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


def history_load(organisations: dict) -> None:
    """A year of loans for the monthly impact report's demo (inclusion/reports/demo.py's residents): each
    month each partner lends to about half its new residents, with real dates; most come back after four
    weeks, some are gifted, a few lost, and the last months' still out (some overdue). Rows are written as
    they stand after the fact (the services always act now). Added once: devices tagged HIST- mark it."""
    from inclusion.reports.demo import at, history_residents

    if Device.objects.filter(asset_tag__startswith="HIST-").exists():
        return
    today = timezone.localdate()
    for number, resident in enumerate(history_residents().filter(needs_device=True)):
        organisation = resident.owning_organisation
        started = timezone.localdate(resident.created_at) + timedelta(days=2)
        due = started + timedelta(days=28)
        story = "open" if due + timedelta(days=14) > today else ["returned", "returned", "returned", "gifted",
                                                                  "returned", "lost", "open"][number % 7]  # fmt: skip
        closed = due - timedelta(days=number % 5) if story != "open" else None
        if closed and closed >= today:
            story, closed = "open", None
        status = {"open": "on_loan", "returned": "ready", "gifted": "gifted", "lost": "lost"}[story]
        device = Device.objects.create(
            asset_tag=f"HIST-{number:04d}", serial_number=f"HISTSN{number:06d}", owning_organisation=organisation,
            kind=["laptop", "chromebook", "tablet"][number % 3], make=["Lenovo", "Acer", "Samsung"][number % 3],
            model=["ThinkPad T480", "Chromebook 314", "Galaxy Tab A8"][number % 3], accessories=["charger"],
            location="Front desk", status=status, needs_wipe=story == "lost",
        )  # fmt: skip
        Device.objects.filter(pk=device.pk).update(created_at=at(started - timedelta(days=7)))
        loan = Loan.objects.create(
            device=device, resident=resident, organisation=organisation, agreement_method="signed_paper",
            agreement_terms_version="2026-01", agreement_accepted_at=at(started), started_on=started, due_on=due,
            closed_at=at(closed) if closed else None, outcome="" if story == "open" else story,
            returned_on=closed if story == "returned" else None,
        )  # fmt: skip
        Loan.objects.filter(pk=loan.pk).update(created_at=at(started))
