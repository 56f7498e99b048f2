"""Reservations and the waiting list: queued per kind at an organisation, the oldest eligible offered a device
when it becomes ready and held for RESERVATION_HOLD_DAYS, lapsing with why; one device offered to one
reservation, even when two devices become ready at once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from devices import services
from devices.models import DeviceKind, Loan, LoanPolicy, Reservation
from devices.reservations import services as reservations
from inclusion import choices
from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.models import CaseEvent

from ..factories import MembershipFactory, ResidentFactory
from .factories import DeviceFactory

pytestmark = pytest.mark.django_db
R = "devices.Reservation"


@pytest.fixture
def coord_actor(org_a):
    return Actor.for_membership(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR))


def _queue(actor, count, kind=DeviceKind.LAPTOP):
    residents = [ResidentFactory(owning_organisation=actor.organisation) for _ in range(count)]
    return [reservations.reservation_create(actor=actor, resident=resident, kind=kind) for resident in residents]


def _make_ready(actor, **device):
    device = DeviceFactory(owning_organisation=actor.organisation, status="wiped", **device)
    return services.device_transition(actor=actor, device=device, to_status="ready")


def test_the_oldest_waiting_is_offered_the_next_ready_device_and_it_is_held(coord_actor, actor_a, settings):
    settings.RESERVATION_HOLD_DAYS = 4
    first, second = _queue(actor_a, 2)
    _queue(actor_a, 1, kind=DeviceKind.TABLET)
    device = _make_ready(coord_actor, kind=DeviceKind.LAPTOP)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.device, first.hold_until) == (
        "offered",
        device,
        timezone.localdate() + timedelta(days=4),
    )
    assert second.status == "waiting"
    assert CaseEvent.objects.filter(resident=first.resident, summary__contains="held for them").exists()
    # Held: lending it to someone else is refused; lending it to them fulfils the reservation.
    with pytest.raises(DomainError) as refused:
        services.loan_create(actor=actor_a, device=device, resident=second.resident, agreement_method="signed_paper")
    assert refused.value.code == "held_for_reservation"
    loan = services.loan_create(actor=actor_a, device=device, resident=first.resident, agreement_method="signed_paper")
    first.refresh_from_db()
    assert (first.status, first.loan) == ("fulfilled", loan)


def test_an_ineligible_reservation_is_passed_over_not_lost(coord_actor, actor_a, org_a):
    LoanPolicy.objects.create(organisation=org_a, max_open_loans_per_resident=3)
    first, second = _queue(actor_a, 2)
    services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a, kind="tablet"), resident=first.resident,
                         agreement_method="signed_paper", started_on=timezone.localdate() - timedelta(days=20),
                         due_on=timezone.localdate() - timedelta(days=1))  # overdue: may not borrow now  # fmt: skip
    _make_ready(coord_actor, kind=DeviceKind.LAPTOP)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("waiting", "offered")


def test_an_uncollected_offer_lapses_saying_why_and_goes_to_the_next(coord_actor, actor_a, settings):
    settings.RESERVATION_HOLD_DAYS = 2
    first, second = _queue(actor_a, 2)
    device = _make_ready(coord_actor, kind=DeviceKind.LAPTOP)
    Reservation.objects.filter(pk=first.pk).update(hold_until=timezone.localdate() - timedelta(days=1))
    assert reservations.reservations_lapse_expired() == 1
    assert reservations.reservations_lapse_expired() == 0  # safe to run twice
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.closed_reason) == ("lapsed", "Not collected within 2 days")
    assert (second.status, second.device) == ("offered", device)


def test_cancelling_a_held_reservation_offers_the_device_to_the_next(coord_actor, actor_a):
    first, second = _queue(actor_a, 2)
    device = _make_ready(coord_actor, kind=DeviceKind.LAPTOP)
    with pytest.raises(DomainError):
        reservations.reservation_cancel(actor=actor_a, reservation=first, reason=" ")
    reservations.reservation_cancel(actor=actor_a, reservation=first, reason="Found one elsewhere")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.closed_reason) == ("cancelled", "Cancelled: Found one elsewhere")
    assert (second.status, second.device) == ("offered", device)


def test_one_place_per_resident_and_kind(actor_a, resident_a):
    reservations.reservation_create(actor=actor_a, resident=resident_a, kind="laptop")
    with pytest.raises(DomainError) as refused:
        reservations.reservation_create(actor=actor_a, resident=resident_a, kind="laptop")
    assert refused.value.code == "duplicate"
    assert reservations.reservation_create(actor=actor_a, resident=resident_a, kind="tablet").status == "waiting"


def test_another_organisation_cannot_queue_a_resident_it_cannot_see(actor_b, resident_a):
    from django.http import Http404

    with pytest.raises(Http404):
        reservations.reservation_create(actor=actor_b, resident=resident_a, kind="laptop")


@pytest.mark.django_db(transaction=True)
def test_two_devices_ready_at_once_are_offered_to_two_reservations(org_a):
    staff = [Actor.for_membership(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR))
             for _ in range(2)]  # fmt: skip
    queued = _queue(staff[0], 3)
    devices = [DeviceFactory(owning_organisation=org_a, status="wiped", kind="laptop") for _ in range(2)]
    barrier = threading.Barrier(2)
    errors = []

    def ready(actor, device):
        try:
            barrier.wait()
            services.device_transition(actor=actor, device=device, to_status="ready")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=ready, args=pair) for pair in zip(staff, devices, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    offered = Reservation.objects.filter(status="offered")
    assert offered.count() == 2 and len({r.device_id for r in offered}) == 2
    assert {r.pk for r in offered} <= {r.pk for r in queued}


def test_waiting_list_page_is_ordered_and_shows_lapses(client_a, coord_actor, actor_a):
    first, second = _queue(actor_a, 2)
    _make_ready(coord_actor, kind="laptop", asset_tag="HELD-1")
    reservations.reservation_cancel(actor=actor_a, reservation=second, reason="Moved away")
    body = client_a.get(reverse("devices:waiting-list")).content.decode()
    assert "Laptop: 1 waiting" in body and "Held: HELD-1" in body
    assert "Cancelled: Moved away" in body and first.resident.display_name in body


def test_join_the_waiting_list_from_the_resident_page(client_a, resident_a):
    page = client_a.get(reverse("resident-detail", args=[resident_a.pk])).content.decode()
    assert "Join the waiting list" in page
    url = reverse("devices:reservation-create", args=[resident_a.pk])
    assert "Choose the kind of device they need" in client_a.post(url, {}).content.decode()
    assert client_a.post(url, {"kind": "tablet", "note": "Course in May"}).status_code == 302
    assert Reservation.objects.get().kind == "tablet"
    assert Loan.objects.count() == 0


def test_another_organisations_reservation_is_404(client_b, actor_a, resident_a):
    reservation = reservations.reservation_create(actor=actor_a, resident=resident_a, kind="laptop")
    assert client_b.get(reverse("devices:reservation-cancel", args=[reservation.pk])).status_code == 404
    assert (
        client_b.post(reverse("devices:reservation-cancel", args=[reservation.pk]), {"reason": "x"}).status_code == 404
    )


def test_the_device_page_says_it_is_held(client_a, coord_actor, actor_a):
    _queue(actor_a, 1)
    device = _make_ready(coord_actor, kind="laptop", asset_tag="HELD-9")
    body = client_a.get(reverse("devices:device-detail", args=[device.asset_tag])).content.decode()
    assert "Held for a resident on the" in body and "waiting list" in body


def test_the_lapse_runs_on_the_schedule_as_a_registered_task():
    from inclusion.celery import app
    from inclusion.messaging.schedule import jobs

    app.loader.import_default_modules()
    task, when = jobs()["Lapse uncollected reservation holds"]
    assert task in app.tasks and when == ("every", 15)
