"""The devices app's part of the demo (manage.py load_demo): stock and loans for each partner, then lending as schemes
run it (agreements, kits, open-ended loans and renewals, the waiting list, a place from a referral). The vouchers'
part is devices/vouchers/demo.py."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.models import Membership, Resident
from inclusion.reports.demo import HISTORY_DOMAIN

from . import services as devices
from .models import Device, Kit, Loan, Reservation

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


AGREEMENT = """You borrow this device from {name} to get online: for learning, looking for work, staying in touch and using
public services. It stays the property of {name}.

1. Look after it, keep it dry and do not lend it to anyone outside your household.
2. Do not install software that is not yours to install, or change the security settings.
3. Bring it back by the date on your receipt, with everything listed on it, or ask us to extend or renew the loan.
4. If it is lost or stolen, tell us within two days (and the police, if it was stolen).
5. When it comes back we erase everything on it, with a certified method, before it is lent again."""


def _lend_to_someone(residents: list, lend, **details) -> object | None:
    """`lend(resident=..., **details)` to the first of `residents` the rules allow (consent, a way to reach them,
    nothing overdue, the policy's limit, a voucher not had lately): each attempt in a savepoint, so a refusal leaves
    nothing behind. Those tried are taken off the list."""
    while residents:
        resident = residents.pop(0)
        try:
            with transaction.atomic():
                return lend(resident=resident, **details)
        except DomainError:
            continue
    return None


def _ready_device(actor, kind: str, tag: str) -> Device:
    """A new device of `kind`, wiped and made ready (a waiting list's oldest eligible place is offered it)."""
    device = devices.device_create(actor=actor, asset_tag=tag, kind=kind, make="Demo", model=kind.capitalize(),
                                   accessories=["charger"], location="Front desk", source="donated",
                                   donor="Local business appeal")  # fmt: skip
    devices.device_wipe_record(actor=actor, device=device, method="certified_software",
                               wiped_on=timezone.localdate(), operator="IT volunteer")  # fmt: skip
    return devices.device_transition(actor=actor, device=device, to_status="ready")


def lending_load(organisations: dict) -> None:
    """For each demo partner without kits: its loan agreement (the council's in two versions), two kit templates (a
    Chromebook starter kit with a data voucher, a laptop kit), a kit lent, three open-ended loans (one renewal due
    this week, one renewed, one unanswered and overdue), a waiting list for tablets (one place lapsed "not
    collected", one device held, one waiting) and, at the partner that accepted the council's lending referral, a
    place queued from that referral. Through the real services; runs after the vouchers' and referrals' demo."""
    from .reservations.services import reservation_create, reservations_lapse_expired

    today = timezone.localdate()
    for index, organisation in enumerate(organisations.values()):
        if Kit.objects.filter(organisation=organisation).exists():
            continue
        coordinator = Membership.objects.filter(organisation=organisation).order_by("role").first()
        actor = Actor(organisation=organisation, user=coordinator.user)
        name = organisation.name
        devices.loan_agreement_publish(actor=actor, text=AGREEMENT.format(name=name),
                                       return_instructions=f"Bring it to the front desk at {name}, Monday to "
                                                           "Saturday, 9am to 5pm, with its charger.",
                                       contact=f"{name} digital inclusion team, 01902 55{index}000")  # fmt: skip
        if index == 0:  # a second version: earlier loans keep the one they accepted
            devices.loan_agreement_publish(actor=actor, text=AGREEMENT.format(name=name) + "\n6. We may ask you, "
                                           "every few weeks, whether you still need it.",
                                           return_instructions=f"Bring it to the front desk at {name}, Monday to "
                                                               "Saturday, 9am to 5pm, with its charger.",
                                           contact=f"{name} digital inclusion team, 01902 55{index}000")  # fmt: skip
        starter = devices.kit_create(actor=actor, name="Chromebook starter kit", kinds=["chromebook", "mifi"],
                                     accessories=["charger", "case"], voucher_kind="data_code")  # fmt: skip
        devices.kit_create(actor=actor, name="Laptop kit", kinds=["laptop"], accessories=["charger", "mouse"])
        free = list(Resident.objects.filter(owning_organisation=organisation).exclude(email__endswith=HISTORY)
                    .exclude(pk__in=Loan.objects.filter(closed_at__isnull=True).values("resident_id"))
                    .exclude(vouchers__isnull=False)
                    .order_by("last_name", "first_name")[4:40])  # fmt: skip
        initials = "".join(word[0] for word in name.split() if word[0].isupper())
        mifi = _ready_device(actor, "mifi", f"{initials}-MIFI-1")
        # This demo's stock (the report's year of HIST- devices stays as it stands).
        stock = Device.objects.filter(owning_organisation=organisation, status="ready").exclude(
            asset_tag__startswith="HIST-"
        )
        chromebook = stock.filter(kind="chromebook").first()
        _lend_to_someone(free, devices.kit_loan_create, actor=actor, kit=starter, devices=[chromebook, mifi],
                         agreement_method="verbal_witnessed", witness_name="Duty manager")  # fmt: skip
        ready = list(stock.filter(kind__in=["laptop", "tablet"]).order_by("kind", "asset_tag"))
        laptops = [device for device in ready if device.kind == "laptop"]
        tablets = [device for device in ready if device.kind == "tablet"]
        for device, days_ago, renew in ((laptops[0], 24, False), (laptops[1], 30, True), (tablets[0], 31, False)):
            loan = _lend_to_someone(free, devices.loan_create, actor=actor, device=device, open_ended=True,
                                    agreement_method="signed_paper", started_on=today - timedelta(days=days_ago))  # fmt: skip
            if loan is not None and renew:
                devices.loan_renew(actor=actor, loan=loan, note="Still on the course: asked at the desk")
        # The waiting list for tablets: three places; a tablet made ready is held for the oldest, who does not
        # collect it (the hold is written as ended); it goes to the next; the third waits.
        queued = []
        for resident in free[:6]:
            if len(queued) == 3:
                break
            try:
                with transaction.atomic():
                    queued.append(reservation_create(actor=actor, resident=resident, kind="tablet",
                                                     note="Wants one for a course" if not queued else ""))  # fmt: skip
            except DomainError:
                continue
        _ready_device(actor, "tablet", f"{initials}-TAB-NEW")
        Reservation.objects.filter(organisation=organisation, status="offered").update(
            hold_until=today - timedelta(days=1), offered_at=timezone.now() - timedelta(days=4)
        )
        reservations_lapse_expired(actor=actor)
    _queue_from_the_lending_referral(organisations)


def _queue_from_the_lending_referral(organisations: dict) -> None:
    """The partner that accepted the council's lending-point referral (referrals/demo.py) queues the resident for a
    laptop from it: the place keeps the link."""
    from referrals.models import OPEN_STATUSES, Referral, ServiceKind

    from .reservations.services import reservation_create

    if Reservation.objects.filter(referral__isnull=False).exists():
        return
    referral = (Referral.objects.filter(service__kind=ServiceKind.LENDING_POINT, status__in=OPEN_STATUSES,
                                        to_organisation__in=list(organisations.values()))
                .exclude(resident__email__endswith=HISTORY).select_related("to_organisation").first())  # fmt: skip
    if referral is None:
        return
    membership = Membership.objects.filter(organisation=referral.to_organisation).order_by("role").first()
    reservation_create(actor=Actor(organisation=referral.to_organisation, user=membership.user),
                       resident=referral.resident, kind="laptop", note="Job interviews from next month",
                       referral=referral)  # fmt: skip
