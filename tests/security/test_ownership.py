"""The owning organisation owns the record (inclusion.privacy.sharing, inclusion.privacy.proposals): an
organisation linked to another's resident changes none of the owner's fields, field by field, through the
services, the staff web and the API; it proposes a contact update, which the owner's staff accept or reject."""

import datetime

import pytest
from django.http import Http404
from django.urls import reverse

from inclusion.choices import EDS_AREAS
from inclusion.errors import DomainError
from inclusion.models import ContactProposal, Resident
from inclusion.privacy.proposals import contact_proposal_accept, contact_proposal_reject, contact_update_propose
from inclusion.privacy.sharing import LINKED_MAY_CHANGE
from inclusion.services import RESIDENT_FIELDS, resident_restriction_set, resident_update
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

OWNER_FIELDS = [field for field in RESIDENT_FIELDS if field not in LINKED_MAY_CHANGE]


def _another_value(resident: Resident, field: str):
    """A valid value for `field` that differs from what the resident has."""
    model_field = Resident._meta.get_field(field)
    current = getattr(resident, field)
    if model_field.choices:
        return next(value for value, _ in model_field.choices if value and value != current)
    if isinstance(current, bool):
        return not current
    return {
        "date_of_birth": datetime.date(1950, 5, 17), "phone": "+447911123456", "email": "new.address@example.org",
        "postcode": "WV10 6QR", "first_name": "Renamed", "last_name": "Renamed", "preferred_name": "Ren",
    }.get(field, "Changed by a partner")  # fmt: skip


@pytest.fixture
def shared(resident_a, org_b, sharing):
    sharing.share(resident_a, org_b)
    return resident_a


def _snapshot(resident):
    resident.refresh_from_db()
    return {field: getattr(resident, field) for field in RESIDENT_FIELDS}


def test_the_owners_fields_are_every_field_but_the_skills_baseline():
    assert LINKED_MAY_CHANGE == frozenset(EDS_AREAS)
    assert {"first_name", "phone", "email", "postcode", "gender", "needs_device", "accessibility_needs"} <= set(
        OWNER_FIELDS
    )


@pytest.mark.parametrize("field", OWNER_FIELDS)
def test_a_linked_organisation_cannot_change_an_owners_field(shared, actor_b, field):
    before = _snapshot(shared)
    with pytest.raises(DomainError) as refused:
        resident_update(actor=actor_b, resident=shared, **{field: _another_value(shared, field)})
    assert refused.value.code == "not_owner" and "Alpha Council registered" in refused.value.message
    assert _snapshot(shared) == before
    assert not shared.events.filter(kind="details_updated").exists()


@pytest.mark.parametrize("field", OWNER_FIELDS)
def test_the_owner_can_change_each_of_its_fields(resident_a, actor_a, field):
    if field == "age_band":  # an age band stands in for a date of birth: only without one
        first_band = next(value for value, _ in Resident._meta.get_field("age_band").choices if value)
        Resident.objects.filter(pk=resident_a.pk).update(date_of_birth=None, age_band=first_band)
        resident_a.refresh_from_db()
    value = _another_value(resident_a, field)
    resident_update(actor=actor_a, resident=resident_a, **{field: value})
    resident_a.refresh_from_db()
    assert str(getattr(resident_a, field)) == str(value)


def test_a_linked_organisation_may_record_the_skills_baseline_it_assesses(shared, actor_b):
    resident_update(actor=actor_b, resident=shared, eds_foundation=_another_value(shared, "eds_foundation"))
    shared.refresh_from_db()
    assert shared.eds_foundation and shared.events.filter(kind="details_updated", organisation=actor_b.organisation)


def test_a_change_mixing_the_skills_baseline_with_an_owners_field_is_refused_whole(shared, actor_b):
    before = _snapshot(shared)
    with pytest.raises(DomainError, match="keeps their details"):
        resident_update(actor=actor_b, resident=shared, eds_foundation=_another_value(shared, "eds_foundation"),
                        town="Bilston")  # fmt: skip
    assert _snapshot(shared) == before


def test_the_edit_page_is_not_offered_to_a_linked_organisation(shared, client_b):
    edit = reverse("resident-edit", kwargs={"pk": shared.pk})
    page = client_b.get(reverse("resident-detail", kwargs={"pk": shared.pk})).content.decode()
    assert edit not in page and reverse("contact-propose", kwargs={"pk": shared.pk}) in page
    assert client_b.get(edit).status_code == 404
    before = _snapshot(shared)
    assert client_b.post(edit, {"first_name": "Hacked", "last_name": "Hacked", "age_band": "25_34"}).status_code == 404
    assert _snapshot(shared) == before


@pytest.mark.parametrize("field", OWNER_FIELDS)
def test_the_api_refuses_a_linked_organisations_change_of_each_owners_field(shared, api_b, field):
    before = _snapshot(shared)
    value = _another_value(shared, field)
    response = api_b.patch(
        f"/api/v1/residents/{shared.pk}/", {field: value if isinstance(value, bool) else str(value)}, format="json"
    )
    assert response.status_code == 409, response.json()
    assert response.json()["errors"][0]["code"] == "not_owner"
    assert _snapshot(shared) == before


def test_the_api_refuses_a_linked_organisations_replacement_and_allows_its_skills_baseline(shared, api_b):
    before = _snapshot(shared)
    body = {"first_name": "Hacked", "last_name": "Hacked", "age_band": "25_34"}
    assert api_b.put(f"/api/v1/residents/{shared.pk}/", body, format="json").status_code == 409
    assert _snapshot(shared) == before
    level = _another_value(shared, "eds_being_safe")
    response = api_b.patch(f"/api/v1/residents/{shared.pk}/", {"eds_being_safe": level}, format="json")
    assert response.status_code == 200 and response.json()["eds_being_safe"] == level


# Proposals


def test_a_linked_organisations_proposal_is_shown_to_the_owner_and_accepted(shared, actor_b, client_a, staff_a):
    proposal = contact_update_propose(actor=actor_b, resident=shared, phone="07911 123457", town="Bilston",
                                      email="")  # fmt: skip
    assert proposal.changes == {"phone": "+447911123457", "town": "Bilston"}  # blank email: not proposed
    assert shared.events.filter(kind="contact_proposed", organisation=actor_b.organisation).exists()
    shared.refresh_from_db()
    assert shared.town == "Wolverhampton"  # nothing changes until the owner accepts

    page = client_a.get(reverse("resident-detail", kwargs={"pk": shared.pk})).content.decode()
    assert "Proposed contact updates" in page and "From Beta Library" in page and "Bilston" in page
    response = client_a.post(reverse("contact-proposal-decide", kwargs={"pk": shared.pk, "proposal_pk": proposal.pk}),
                             {"decision": "accept"})  # fmt: skip
    assert response.status_code == 302
    shared.refresh_from_db()
    proposal.refresh_from_db()
    assert str(shared.phone) == "+447911123457" and shared.town == "Bilston"
    assert proposal.status == "accepted" and proposal.decided_by == staff_a.user and proposal.decided_at
    kinds = list(shared.events.values_list("kind", flat=True))
    assert "contact_accepted" in kinds and "details_updated" in kinds
    page = client_a.get(reverse("resident-detail", kwargs={"pk": shared.pk})).content.decode()
    assert "Proposed contact updates" not in page


def test_a_rejected_proposal_changes_nothing_and_is_on_the_timeline(shared, actor_a, actor_b):
    before = _snapshot(shared)
    proposal = contact_update_propose(actor=actor_b, resident=shared, email="elsewhere@example.org")
    contact_proposal_reject(actor=actor_a, proposal=proposal)
    assert _snapshot(shared) == before
    assert shared.events.filter(kind="contact_rejected", organisation=actor_a.organisation).exists()
    with pytest.raises(DomainError) as again:
        contact_proposal_accept(actor=actor_a, proposal=proposal)
    assert again.value.code == "already_decided"
    assert _snapshot(shared) == before


def test_only_the_owner_answers_a_proposal(shared, actor_b, client_b, org_b):
    proposal = contact_update_propose(actor=actor_b, resident=shared, town="Bilston")
    with pytest.raises(DomainError) as refused:
        contact_proposal_accept(actor=actor_b, proposal=proposal)
    assert refused.value.code == "not_owner"
    url = reverse("contact-proposal-decide", kwargs={"pk": shared.pk, "proposal_pk": proposal.pk})
    assert client_b.post(url, {"decision": "accept"}).status_code == 404
    proposal.refresh_from_db()
    assert proposal.status == "pending"


def test_the_owner_does_not_propose_and_a_second_pending_proposal_is_refused(shared, actor_a, actor_b):
    with pytest.raises(DomainError) as own:
        contact_update_propose(actor=actor_a, resident=shared, town="Bilston")
    assert own.value.code == "is_owner"
    contact_update_propose(actor=actor_b, resident=shared, town="Bilston")
    with pytest.raises(DomainError) as twice:
        contact_update_propose(actor=actor_b, resident=shared, town="Tipton")
    assert twice.value.code == "already_pending"
    with pytest.raises(DomainError) as same:
        contact_update_propose(actor=actor_b, resident=shared, town=shared.town, email="")
    assert same.value.code in ("nothing_changed", "already_pending")
    assert ContactProposal.objects.filter(resident=shared).count() == 1


def test_nothing_new_and_a_bad_value_are_refused(shared, actor_b):
    with pytest.raises(DomainError) as same:
        contact_update_propose(actor=actor_b, resident=shared, town=shared.town)
    assert same.value.code == "nothing_changed"
    with pytest.raises(DomainError) as bad:
        contact_update_propose(actor=actor_b, resident=shared, postcode="NOT A CODE")
    assert bad.value.field == "postcode"
    with pytest.raises(DomainError):
        contact_update_propose(actor=actor_b, resident=shared, first_name="Renamed")
    assert not ContactProposal.objects.exists()


def test_a_restricted_record_takes_no_proposal_and_none_is_accepted(shared, org_a, actor_b):
    coordinator = MembershipFactory(organisation=org_a, role="coordinator")
    from inclusion.actors import Actor

    owner = Actor.for_membership(coordinator)
    proposal = contact_update_propose(actor=actor_b, resident=shared, town="Bilston")
    resident_restriction_set(actor=owner, resident=shared, restricted=True, reason="Disputes their address")
    with pytest.raises(DomainError) as refused:
        contact_proposal_accept(actor=owner, proposal=proposal)
    assert refused.value.code == "restricted"
    proposal.refresh_from_db()
    assert proposal.status == "pending"


def test_a_proposal_after_the_link_ended_is_refused_as_unknown(shared, actor_b, org_b, sharing):
    sharing.end(shared, org_b)
    with pytest.raises(Http404):
        contact_update_propose(actor=actor_b, resident=shared, town="Bilston")


def test_the_propose_page_sends_a_proposal(shared, client_b):
    url = reverse("contact-propose", kwargs={"pk": shared.pk})
    page = client_b.get(url)
    assert page.status_code == 200 and "Propose new contact details" in page.content.decode()
    data = {"phone": str(shared.phone), "email": "moved@example.org", "address_line_1": shared.address_line_1,
            "address_line_2": "", "town": shared.town, "postcode": "wv10 6qr", "preferred_contact_method": ""}  # fmt: skip
    response = client_b.post(url, data)
    assert response.status_code == 302
    proposal = ContactProposal.objects.get(resident=shared)
    assert proposal.changes == {"email": "moved@example.org", "postcode": "WV10 6QR"}
    again = client_b.post(url, data)
    assert again.status_code == 200 and "already proposed" in again.content.decode()


def test_the_owner_is_sent_to_the_edit_page_instead(resident_a, client_a):
    response = client_a.get(reverse("contact-propose", kwargs={"pk": resident_a.pk}))
    assert response.status_code == 302 and response.url == reverse("resident-edit", kwargs={"pk": resident_a.pk})


def test_the_api_takes_a_linked_organisations_proposal_and_refuses_the_owners(shared, api_a, api_b):
    url = f"/api/v1/residents/{shared.pk}/contact-proposals/"
    response = api_b.post(url, {"email": "Moved@Example.org", "town": "Bilston"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["changes"] == {"email": "moved@example.org", "town": "Bilston"}
    assert response.json()["status"] == "pending" and response.json()["organisation"] == "beta"
    assert api_b.post(url, {"town": "Tipton"}, format="json").json()["errors"][0]["code"] == "already_pending"
    own = api_a.post(url, {"town": "Tipton"}, format="json")
    assert own.status_code == 409 and own.json()["errors"][0]["code"] == "is_owner"
    assert api_b.post(url, {"first_name": "Hacked"}, format="json").status_code == 400


def test_a_proposed_phone_that_is_not_real_is_a_documented_422(shared, api_b):
    from drf_spectacular.generators import SchemaGenerator

    url = f"/api/v1/residents/{shared.pk}/contact-proposals/"
    response = api_b.post(url, {"phone": "07700 900123"}, format="json")  # a drama number libphonenumber accepts
    assert response.status_code == 422
    assert [(e["attr"], e["code"]) for e in response.json()["errors"]] == [("phone", "invalid_phone_number")]
    # ... and the schema says so (schemathesis found it answered but undocumented).
    components = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    phone_error = components["V1ResidentsContactProposalsCreate422PhoneErrorComponent"]
    assert "invalid_phone_number" in phone_error["properties"]["code"]["enum"]


def _proposed(api_b, shared, **changes) -> int:
    response = api_b.post(f"/api/v1/residents/{shared.pk}/contact-proposals/", changes, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_the_owner_accepts_a_proposal_over_the_api_and_the_proposer_sees_the_outcome(shared, api_a, api_b):
    pk = _proposed(api_b, shared, email="moved@example.org")
    waiting = api_a.get("/api/v1/contact-proposals/", {"direction": "received", "status": "pending"}).json()
    assert [(item["id"], item["resident"], item["changes"]) for item in waiting["results"]] == [
        (pk, str(shared.pk), {"email": "moved@example.org"})
    ]
    accepted = api_a.post(f"/api/v1/contact-proposals/{pk}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted" and accepted.json()["decided_at"]
    shared.refresh_from_db()
    assert shared.email == "moved@example.org"
    seen = api_b.get(f"/api/v1/contact-proposals/{pk}/").json()
    assert (seen["status"], seen["organisation"]) == ("accepted", "beta")
    assert [item["status"] for item in api_b.get("/api/v1/contact-proposals/", {"direction": "sent"}).json()[
        "results"]] == ["accepted"]  # fmt: skip
    again = api_a.post(f"/api/v1/contact-proposals/{pk}/reject/")
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "already_decided"


def test_a_proposal_is_answered_by_the_owner_only_and_unknown_to_anyone_else(shared, api_a, api_b, db):
    from tests.conftest import _api_client
    from tests.factories import OrganisationFactory

    pk = _proposed(api_b, shared, town="Bilston")
    own = api_b.post(f"/api/v1/contact-proposals/{pk}/accept/")
    assert own.status_code == 409 and own.json()["errors"][0]["code"] == "not_owner"
    stranger = _api_client(OrganisationFactory())
    for call in (stranger.get, stranger.post):
        path = f"/api/v1/contact-proposals/{pk}/" if call == stranger.get else f"/api/v1/contact-proposals/{pk}/reject/"
        assert call(path).status_code == 404
    assert stranger.get("/api/v1/contact-proposals/").json()["results"] == []
    rejected = api_a.post(f"/api/v1/contact-proposals/{pk}/reject/")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    shared.refresh_from_db()
    assert shared.town != "Bilston"
    assert api_b.get(f"/api/v1/contact-proposals/{pk}/").json()["status"] == "rejected"


def test_the_proposer_sees_the_outcome_on_the_residents_page(shared, actor_a, actor_b, client_b):
    proposal = contact_update_propose(actor=actor_b, resident=shared, town="Bilston")
    page = client_b.get(reverse("resident-detail", kwargs={"pk": shared.pk})).content.decode()
    assert "Contact updates you proposed" in page and "Waiting for the owner" in page
    contact_proposal_reject(actor=actor_a, proposal=proposal)
    page = client_b.get(reverse("resident-detail", kwargs={"pk": shared.pk})).content.decode()
    assert "Rejected on" in page
