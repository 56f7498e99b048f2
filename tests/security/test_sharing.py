"""What a linked organisation reads of another's resident (inclusion.privacy.sharing), field by field: the
equality monitoring answers and the owner's notes stay with the owner, on the web and in the API."""

import pytest
from django.urls import reverse

from inclusion.privacy.sharing import OWNER_ONLY_FIELDS
from inclusion.services import note_add, resident_update

pytestmark = pytest.mark.django_db

EQUALITY = {"gender": "woman", "ethnicity": "white_british", "disability": "yes", "employment_status": "retired",
            "carer": "no"}  # fmt: skip


@pytest.fixture
def shared(resident_a, actor_a, actor_b, org_b, sharing):
    """A's resident, with equality answers and a note from A, shared with B (as a loan would), and a note of B's."""
    valid = {}
    from inclusion.models import Resident

    for name, value in EQUALITY.items():
        choices = dict(Resident._meta.get_field(name).choices)
        valid[name] = value if value in choices else next(iter(k for k in choices if k))
    resident_update(actor=actor_a, resident=resident_a, **valid)
    note_add(actor=actor_a, resident=resident_a, body="Owner note: lives with her son, who is unwell")
    sharing.share(resident_a, org_b)
    note_add(actor=actor_b, resident=resident_a, body="Beta note: came in for a tablet")
    resident_a.refresh_from_db()
    return resident_a


def test_the_equality_answers_are_the_owners_only():
    assert set(OWNER_ONLY_FIELDS) == {"gender", "ethnicity", "disability", "employment_status", "low_income", "carer"}


def test_a_linked_organisation_sees_neither_the_owners_notes_nor_equality_answers_on_the_page(shared, client_b):
    page = client_b.get(reverse("resident-detail", kwargs={"pk": shared.pk}))
    body = page.content.decode()
    assert page.status_code == 200 and "Margaret" in body  # what it needs to serve them
    assert "Beta note: came in for a tablet" in body  # its own
    assert "Owner note" not in body and "unwell" not in body
    assert reverse("resident-equality", kwargs={"pk": shared.pk}) not in body
    assert client_b.get(reverse("resident-equality", kwargs={"pk": shared.pk})).status_code == 404
    assert client_b.post(reverse("resident-equality", kwargs={"pk": shared.pk}), {"gender": ""}).status_code == 404
    shared.refresh_from_db()
    assert shared.gender != ""


def test_the_owner_sees_everything_including_the_linked_organisations_notes(shared, client_a):
    body = client_a.get(reverse("resident-detail", kwargs={"pk": shared.pk})).content.decode()
    assert "Owner note" in body and "Beta note" in body
    assert reverse("resident-equality", kwargs={"pk": shared.pk}) in body
    assert client_a.get(reverse("resident-equality", kwargs={"pk": shared.pk})).status_code == 200


def test_the_api_gives_a_linked_organisation_blank_equality_answers_and_only_its_own_notes(shared, api_a, api_b):
    for response in (api_b.get(f"/api/v1/residents/{shared.pk}/"),):
        assert response.status_code == 200 and response.json()["first_name"] == "Margaret"
        assert {name: response.json()[name] for name in OWNER_ONLY_FIELDS} == dict.fromkeys(OWNER_ONLY_FIELDS, "")
    listed = {row["id"]: row for row in api_b.get("/api/v1/residents/").json()["results"]}
    assert all(listed[str(shared.pk)][name] == "" for name in OWNER_ONLY_FIELDS)
    own = api_a.get(f"/api/v1/residents/{shared.pk}/").json()
    assert own["gender"] == shared.gender and own["ethnicity"] == shared.ethnicity

    b_notes = [note["body"] for note in api_b.get(f"/api/v1/residents/{shared.pk}/notes/").json()["results"]]
    assert b_notes == ["Beta note: came in for a tablet"]
    a_notes = [note["body"] for note in api_a.get(f"/api/v1/residents/{shared.pk}/notes/").json()["results"]]
    assert len(a_notes) == 2
