"""Reservations from a referral: staff of the organisation a referral asks for a device (to its lending point, or
for a device) queue the resident from the referral's page or the API; the reservation keeps the link, shown on the
waiting list and the referral's page. Any other referral is refused without saying whose it is."""

import pytest
from django.urls import reverse

from devices.models import Reservation
from devices.reservations import services as reservations
from devices.resident_sections import reservations_export
from inclusion.errors import DomainError
from inclusion.models import CaseEvent
from referrals.models import ServiceKind
from referrals.services import referral_withdraw

from ..referrals.factories import ServiceFactory, refer, sharing_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def lending_point_b(org_b):
    return ServiceFactory(organisation=org_b, name="Beta's laptop lending", kind=ServiceKind.LENDING_POINT,
                          skill_areas=[])  # fmt: skip


@pytest.fixture
def device_referral(actor_a, resident_a, lending_point_b):
    """Alpha refers its resident to Beta's lending point."""
    sharing_consent(resident_a)
    return refer(actor_a, resident_a, lending_point_b, need="device", reason="Needs a laptop for a course")


def test_the_receiving_organisation_queues_the_resident_from_the_referral_and_the_link_is_kept(
    actor_b, resident_a, device_referral
):
    reservation = reservations.reservation_create(actor=actor_b, resident=resident_a, kind="laptop",
                                                  referral=device_referral)  # fmt: skip
    assert reservation.referral_id == device_referral.pk and reservation.status == "waiting"
    event = CaseEvent.objects.get(resident=resident_a, kind="reservation_made")
    assert event.summary == "Added to the waiting list for a laptop (referred by Alpha Council)"
    assert event.data["referral"] == str(device_referral.pk)
    assert [place["referral"] for place in reservations_export(resident_a)] == [str(device_referral.pk)]


def test_a_referral_not_asking_for_a_device_or_not_received_cannot_queue(
    actor_a, actor_b, org_b, resident_a, device_referral
):
    course = ServiceFactory(organisation=org_b, name="Beta's Get Online course")
    skills = refer(actor_a, resident_a, course)
    with pytest.raises(DomainError) as refused:
        reservations.reservation_create(actor=actor_b, resident=resident_a, kind="laptop", referral=skills)
    assert refused.value.code == "not_for_lending" and refused.value.field == "referral"
    # The organisation that sent it did not receive it: the same words, nothing about whose it is.
    with pytest.raises(DomainError) as refused:
        reservations.reservation_create(actor=actor_a, resident=resident_a, kind="laptop", referral=device_referral)
    assert refused.value.code == "not_for_lending"
    assert not Reservation.objects.exists()


def test_a_referral_closed_meanwhile_cannot_queue(actor_a, actor_b, org_b, resident_a, device_referral, sharing):
    referral_withdraw(actor=actor_a, referral=device_referral)
    sharing.share(resident_a, org_b)  # still shared with Beta another way (a loan, say)
    with pytest.raises(DomainError) as refused:
        reservations.reservation_create(actor=actor_b, resident=resident_a, kind="laptop", referral=device_referral)
    assert refused.value.code == "referral_closed" and "withdrawn" in refused.value.message
    assert not Reservation.objects.exists()


def test_queue_from_the_referral_page(client_b, resident_a, device_referral):
    page = client_b.get(reverse("referrals:referral-detail", args=[device_referral.pk])).content.decode()
    url = reverse("devices:reservation-create", args=[resident_a.pk]) + f"?referral={device_referral.pk}"
    assert "Add to the waiting list" in page and url in page
    form = client_b.get(url).content.decode()
    assert "From the referral from Alpha Council to Beta&#x27;s laptop lending" in form
    assert "Back to the referral" in form
    response = client_b.post(url, {"kind": "laptop", "note": "Course starts in May"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/referrals/{device_referral.pk}/#waiting-list")
    assert Reservation.objects.get().referral_id == device_referral.pk
    page = client_b.get(reverse("referrals:referral-detail", args=[device_referral.pk])).content.decode()
    assert "On your waiting list for a laptop since" in page and "number 1 in the queue" in page
    waiting = client_b.get(reverse("devices:waiting-list")).content.decode()
    assert "Referred by Alpha Council" in waiting
    assert reverse("referrals:referral-detail", args=[device_referral.pk]) in waiting


def test_the_referral_page_offers_the_waiting_list_only_to_the_receiver_of_a_device_referral(
    client, staff_a, staff_b, actor_a, org_b, resident_a, device_referral
):
    client.force_login(staff_a.user)  # the sender
    page = client.get(reverse("referrals:referral-detail", args=[device_referral.pk])).content.decode()
    assert "Waiting list for a device" not in page
    url = reverse("devices:reservation-create", args=[resident_a.pk]) + f"?referral={device_referral.pk}"
    assert client.get(url).status_code == 404  # not a referral Alpha received: 404, as for one it cannot see
    assert client.get(url.split("?")[0] + "?referral=not-an-id").status_code == 404
    client.force_login(staff_b.user)
    skills = refer(actor_a, resident_a, ServiceFactory(organisation=org_b))
    page = client.get(reverse("referrals:referral-detail", args=[skills.pk])).content.decode()
    assert "Waiting list for a device" not in page
    assert client.get(url.split("?")[0] + f"?referral={skills.pk}").status_code == 404


def test_queue_from_a_referral_through_the_api(api_a, api_b, actor_a, org_b, resident_a, device_referral, sharing):
    body = {"resident": str(resident_a.pk), "kind": "laptop", "referral": str(device_referral.pk)}
    # Alpha sent it, did not receive it: as if there were none.
    response = api_a.post("/api/v1/reservations/", body, format="json")
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "does_not_exist"
    response = api_b.post("/api/v1/reservations/", body, format="json")
    assert response.status_code == 201 and response.json()["referral"] == str(device_referral.pk)
    skills = refer(actor_a, resident_a, ServiceFactory(organisation=org_b))
    response = api_b.post("/api/v1/reservations/", {**body, "kind": "tablet", "referral": str(skills.pk)},
                          format="json")  # fmt: skip
    assert response.status_code == 422
    assert response.json()["errors"][0] | {"detail": ""} == {"code": "not_for_lending", "attr": "referral",
                                                             "detail": ""}  # fmt: skip
    referral_withdraw(actor=actor_a, referral=device_referral)
    sharing.share(resident_a, org_b)
    response = api_b.post("/api/v1/reservations/", {**body, "kind": "tablet"}, format="json")
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "referral_closed"
