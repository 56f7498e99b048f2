"""Search and the possible-duplicate warning."""

from datetime import date

import pytest

from inclusion.selectors import names_similar, resident_possible_duplicates, resident_search
from inclusion.services import consent_withdraw

from ..factories import ConsentFactory, ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def residents(org_a, org_b):
    return {
        "jane": ResidentFactory(owning_organisation=org_a, first_name="Jane", last_name="Smith", postcode="WV1 1AA",
                                phone="+447911123456"),
        "john": ResidentFactory(owning_organisation=org_a, first_name="John", last_name="Smithson", postcode="WV10 9ZZ",
                                preferred_name="Jack"),
        "other": ResidentFactory(owning_organisation=org_b, first_name="Jane", last_name="Smith", postcode="WV1 1AB"),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("smith", ["jane", "john"]),
        ("SMI", ["jane", "john"]),
        ("jane smith", ["jane"]),
        ("smith jane", ["jane"]),
        ("jack", ["john"]),
        ("wv1 1", ["jane"]),
        ("WV11AA", ["jane"]),
        ("wv10", ["john"]),
        ("07911 123456", ["jane"]),
        ("+44 7911 123", ["jane"]),
        ("nobody", []),
        ("s", []),
    ],
)
def test_search_by_name_postcode_or_phone_within_scope(residents, org_a, query, expected):
    found = list(resident_search(organisation=org_a, query=query))
    assert found == [residents[key] for key in expected]


def test_search_never_returns_another_organisations_resident(residents, org_b):
    assert list(resident_search(organisation=org_b, query="jane smith")) == [residents["other"]]


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [
        (("Jane", "Smith"), ("Jane", "Smith"), True),
        (("Jane", "Smith"), ("Jayne", "Smyth"), True),
        (("J", "Smith"), ("Jane", "Smith"), True),
        (("Smith", "Jane"), ("Jane", "Smith"), True),
        (("Jane", "Smith"), ("Robert", "Smith"), False),
        (("Jane", "Smith"), ("Jane", "Patel"), False),
    ],
)
def test_names_similar(a, b, similar):
    assert names_similar(*a, *b) is similar


def test_duplicate_same_date_of_birth_and_similar_name(org_a):
    existing = ResidentFactory(owning_organisation=org_a, first_name="Jayne", last_name="Smyth",
                               date_of_birth=date(1970, 5, 1))  # fmt: skip
    found = resident_possible_duplicates(organisation=org_a, first_name="Jane", last_name="Smith",
                                         date_of_birth=date(1970, 5, 1))  # fmt: skip
    assert [m.resident for m in found] == [existing]
    assert found[0].reasons == ["same date of birth and a similar name"]


def test_same_date_of_birth_with_a_different_name_is_not_a_duplicate(org_a):
    ResidentFactory(owning_organisation=org_a, first_name="Robert", last_name="Jones", date_of_birth=date(1970, 5, 1))
    assert resident_possible_duplicates(organisation=org_a, first_name="Jane", last_name="Smith",
                                        date_of_birth=date(1970, 5, 1)) == []  # fmt: skip


def test_duplicate_same_phone_or_email_whatever_the_name(org_a):
    existing = ResidentFactory(owning_organisation=org_a, phone="+447911123456", email="x@example.com")
    by_phone = resident_possible_duplicates(organisation=org_a, first_name="A", last_name="B", phone="+447911123456")
    by_email = resident_possible_duplicates(organisation=org_a, first_name="A", last_name="B", email="X@example.com")
    assert by_phone[0].resident == existing and by_phone[0].reasons == ["same phone number"]
    assert by_email[0].resident == existing and by_email[0].reasons == ["same email address"]


def test_duplicate_same_postcode_and_similar_name(org_a):
    existing = ResidentFactory(owning_organisation=org_a, first_name="Jane", last_name="Smith", postcode="WV1 1AA")
    found = resident_possible_duplicates(organisation=org_a, first_name="Jane", last_name="Smith", postcode="wv11aa")
    assert found[0].resident == existing and found[0].reasons == ["same postcode and a similar name"]
    assert (
        resident_possible_duplicates(organisation=org_a, first_name="Amir", last_name="Khan", postcode="WV1 1AA") == []
    )


def test_a_match_at_another_organisation_names_neither_the_person_nor_the_organisation(org_a, org_b):
    theirs = ResidentFactory(owning_organisation=org_b, phone="+447911123456", first_name="Jane", last_name="Smith")
    found = resident_possible_duplicates(organisation=org_a, first_name="Made", last_name="Up", phone="+447911123456")
    assert [(m.resident, m.organisation_name, m.reasons, m.matched_id) for m in found] == [
        (None, None, [], theirs.pk)
    ]  # fmt: skip


def test_a_match_at_another_organisation_names_it_when_the_person_consented_to_sharing(org_a, org_b):
    theirs = ResidentFactory(owning_organisation=org_b, phone="+447911123456")
    ConsentFactory(resident=theirs, purpose="sharing")
    found = resident_possible_duplicates(organisation=org_a, first_name="A", last_name="B", phone="+447911123456")
    assert [(m.resident, m.organisation_name, m.reasons) for m in found] == [(None, "Beta Library", [])]


def test_a_withdrawn_consent_to_sharing_does_not_name_the_organisation(org_a, org_b, actor_b):
    theirs = ResidentFactory(owning_organisation=org_b, phone="+447911123456")
    consent = ConsentFactory(resident=theirs, purpose="sharing")
    consent_withdraw(actor=actor_b, consent=consent, channel="phone")
    found = resident_possible_duplicates(organisation=org_a, first_name="A", last_name="B", phone="+447911123456")
    assert [m.organisation_name for m in found] == [None]


def test_across_organisations_only_strong_evidence_matches(org_a, org_b):
    """Date of birth with a close name, or the same phone or email: a postcode and a similar name is not
    enough to tell someone at another partner that a person is known there."""
    ResidentFactory(owning_organisation=org_b, first_name="Jane", last_name="Smith", postcode="WV1 1AA",
                    date_of_birth=date(1970, 5, 1))  # fmt: skip
    assert resident_possible_duplicates(organisation=org_a, first_name="Jane", last_name="Smith",
                                        postcode="WV1 1AA") == []  # fmt: skip
    found = resident_possible_duplicates(organisation=org_a, first_name="Jayne", last_name="Smith",
                                         date_of_birth=date(1970, 5, 1))  # fmt: skip
    assert len(found) == 1 and found[0].resident is None
