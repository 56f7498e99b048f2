"""Restriction (UK GDPR Art. 18): a restricted resident's record is read-only, everywhere a change is made,
and they are left out of messages; only the owning organisation's coordinators restrict and lift."""

import pytest
from django.urls import reverse

from devices.vouchers.services import voucher_issue
from inclusion import choices
from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.models import Resident
from inclusion.selectors import residents_messageable_q
from inclusion.services import consent_withdraw, note_add, resident_restriction_set, resident_update

from ..devices.vouchers.factories import VoucherFactory
from ..factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator_a(org_a):
    return MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR)


@pytest.fixture
def restricted(resident_a, coordinator_a):
    return resident_restriction_set(actor=Actor.for_membership(coordinator_a), resident=resident_a, restricted=True,
                                    reason="Disputes her address")  # fmt: skip


def test_a_coordinator_restricts_a_record_from_its_page_and_it_says_so(client, coordinator_a, resident_a):
    client.force_login(coordinator_a.user)
    page = client.get(reverse("resident-detail", kwargs={"pk": resident_a.pk})).content.decode()
    assert reverse("resident-restriction", kwargs={"pk": resident_a.pk}) in page
    refused = client.post(reverse("resident-restriction", kwargs={"pk": resident_a.pk}), {"reason": ""})
    assert "Enter why" in refused.content.decode()
    done = client.post(reverse("resident-restriction", kwargs={"pk": resident_a.pk}), {"reason": "Disputes details"},
                       follow=True)  # fmt: skip
    body = done.content.decode()
    assert "Their record is restricted" in body and "Lift the restriction" in body
    resident_a.refresh_from_db()
    assert resident_a.restricted_at is not None
    event = resident_a.events.get(kind="restricted")
    assert event.body == "Disputes details"


def test_nothing_can_be_changed_or_added_while_restricted(restricted, actor_a):
    VoucherFactory(batch__organisation=actor_a.organisation)
    for change in (
        lambda: resident_update(actor=actor_a, resident=restricted, town="Bilston"),
        lambda: note_add(actor=actor_a, resident=restricted, body="A note"),
        lambda: voucher_issue(actor=actor_a, resident=restricted, kind="data_code"),
    ):
        with pytest.raises(DomainError) as refused:
            change()
        assert refused.value.code == "restricted" and "record is restricted" in refused.value.message
    restricted.refresh_from_db()
    assert restricted.town == "Wolverhampton" and not restricted.vouchers.exists()


def test_a_consent_can_still_be_withdrawn_while_restricted(restricted, actor_a):
    consent = restricted.consents.get()
    consent_withdraw(actor=actor_a, consent=consent, channel="verbal")
    consent.refresh_from_db()
    assert not consent.is_current


def test_the_edit_page_shows_the_refusal(restricted, client_a):
    from ..inclusion.test_views import VALID_REGISTRATION

    data = {**VALID_REGISTRATION, "first_name": "Margaret", "last_name": "Oduya", "town": "Tettenhall"}
    response = client_a.post(reverse("resident-edit", kwargs={"pk": restricted.pk}), data)
    assert response.status_code == 200 and "record is restricted" in response.content.decode()
    restricted.refresh_from_db()
    assert restricted.town == "Wolverhampton"


def test_the_api_refuses_a_change_with_409_restricted(restricted, api_a):
    response = api_a.patch(f"/api/v1/residents/{restricted.pk}/", {"town": "Bilston"}, format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "restricted"


def test_restricted_residents_get_no_messages(restricted, org_a):
    from ..factories import ResidentFactory

    other = ResidentFactory(owning_organisation=org_a)
    assert list(Resident.objects.filter(residents_messageable_q()).values_list("pk", flat=True)) == [other.pk]


def test_lifting_the_restriction_allows_changes_again(restricted, client, coordinator_a, actor_a):
    client.force_login(coordinator_a.user)
    page = client.get(reverse("resident-restriction", kwargs={"pk": restricted.pk}))
    assert "Lift the restriction" in page.content.decode()
    client.post(reverse("resident-restriction", kwargs={"pk": restricted.pk}), {"reason": "Address corrected"})
    resident_update(actor=actor_a, resident=restricted, town="Bilston")
    restricted.refresh_from_db()
    assert restricted.restricted_at is None and restricted.town == "Bilston"


def test_only_the_owners_coordinators_restrict(client, resident_a, org_b, sharing, staff_a):
    sharing.share(resident_a, org_b)
    partner = MembershipFactory(organisation=org_b, role=choices.Role.COORDINATOR)
    client.force_login(partner.user)
    url = reverse("resident-restriction", kwargs={"pk": resident_a.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "x"}).status_code == 404
    with pytest.raises(DomainError) as refused:
        resident_restriction_set(actor=Actor.for_membership(partner), resident=resident_a, restricted=True, reason="x")
    assert refused.value.code == "not_owner"
    client.force_login(staff_a.user)  # frontline
    assert client.get(url).status_code == 403
    resident_a.refresh_from_db()
    assert resident_a.restricted_at is None
