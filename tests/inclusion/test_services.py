"""Core services on the real database: registration, updates, notes and consent."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from inclusion import choices
from inclusion.errors import DomainError
from inclusion.models import CaseEvent, Consent, Resident
from inclusion.services import (
    consent_record,
    consent_withdraw,
    membership_deactivate,
    note_add,
    resident_register,
    resident_update,
)

pytestmark = pytest.mark.django_db


def test_register_normalises_postcode_and_email_and_writes_timeline(actor_a):
    resident = resident_register(
        actor=actor_a, first_name="Jan", last_name="Kowalski", date_of_birth=date(1958, 4, 2),
        postcode="wv11aa", email=" Jan@Example.COM ", phone="07911 123456",
    )  # fmt: skip
    resident.refresh_from_db()
    assert resident.postcode == "WV1 1AA"
    assert resident.postcode_key == "WV1 1AA"  # the space kept: WV1 is not WV11
    assert resident.email == "jan@example.com"
    assert str(resident.phone) == "+447911123456"
    assert resident.owning_organisation == actor_a.organisation
    event = CaseEvent.objects.get(resident=resident)
    assert event.kind == choices.EventKind.REGISTERED
    assert event.author == actor_a.user


def test_register_refuses_a_bad_postcode_and_saves_nothing(actor_a):
    with pytest.raises(ValidationError) as error:
        resident_register(
            actor=actor_a, first_name="A", last_name="B", date_of_birth=date(1990, 1, 1), postcode="NOT IT"
        )
    assert "Enter a real UK postcode, like WV1 1AA" in str(error.value)
    assert Resident.objects.count() == 0
    assert CaseEvent.objects.count() == 0


def test_register_needs_a_date_of_birth_or_an_age_band(actor_a):
    with pytest.raises(ValidationError) as error:
        resident_register(actor=actor_a, first_name="A", last_name="B")
    assert "age band" in str(error.value)
    resident = resident_register(actor=actor_a, first_name="A", last_name="B", age_band=choices.AgeBand.AGE_65_74)
    assert resident.date_of_birth is None


def test_database_refuses_a_resident_without_date_of_birth_or_age_band(org_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        Resident.objects.create(owning_organisation=org_a, first_name="A", last_name="B")


def test_register_refuses_unknown_fields(actor_a):
    with pytest.raises(DomainError, match="Unknown resident fields: owning_organisation"):
        resident_register(actor=actor_a, first_name="A", last_name="B", age_band="18_24", owning_organisation=None)


def test_update_records_which_fields_changed_not_their_values(actor_a, resident_a):
    resident_update(actor=actor_a, resident=resident_a, town="Bilston", postcode="wv14 0aa")
    resident_a.refresh_from_db()
    assert (resident_a.town, resident_a.postcode) == ("Bilston", "WV14 0AA")
    event = CaseEvent.objects.get(resident=resident_a, kind=choices.EventKind.DETAILS_UPDATED)
    assert event.data == {"fields": ["town", "postcode"]}
    assert "Bilston" not in event.summary


def test_update_with_no_change_writes_nothing(actor_a, resident_a):
    resident_update(actor=actor_a, resident=resident_a, town=resident_a.town)
    assert not CaseEvent.objects.filter(kind=choices.EventKind.DETAILS_UPDATED).exists()


def test_update_keeps_field_history(actor_a, resident_a):
    resident_update(actor=actor_a, resident=resident_a, last_name="Oduya-Smith")
    assert [h.last_name for h in resident_a.field_history.order_by("pgh_id")][-1] == "Oduya-Smith"


def test_note_is_added_to_timeline_with_author(actor_a, resident_a):
    note = note_add(actor=actor_a, resident=resident_a, body="Needs a laptop for job search.\nFollow up Friday.")
    assert note.kind == choices.EventKind.NOTE
    assert note.summary == "Needs a laptop for job search."
    assert note.author == actor_a.user and note.organisation == actor_a.organisation


@pytest.mark.parametrize(
    ("body", "message"),
    [("   ", "Enter the note"), ("x" * 5001, "5000 characters or fewer"), ("a\x00b", "cannot be stored")],
)
def test_bad_notes_are_refused_and_nothing_saved(actor_a, resident_a, body, message):
    with pytest.raises(DomainError, match=message):
        note_add(actor=actor_a, resident=resident_a, body=body)
    assert not CaseEvent.objects.filter(kind=choices.EventKind.NOTE).exists()


def test_consent_is_recorded_once_per_purpose(actor_a, resident_a):
    consent = consent_record(actor=actor_a, resident=resident_a, purpose="sharing", channel="paper")
    assert consent.wording_version and consent.is_current
    with pytest.raises(DomainError, match="Consent for sharing their details with partner organisations is already"):
        consent_record(actor=actor_a, resident=resident_a, purpose="sharing", channel="verbal")
    assert Consent.objects.filter(resident=resident_a, purpose="sharing").count() == 1


def test_withdrawn_consent_is_kept_and_can_be_given_again(actor_a, resident_a):
    consent = consent_record(actor=actor_a, resident=resident_a, purpose="contact_sms", channel="on_screen")
    consent_withdraw(actor=actor_a, consent=consent, channel="phone", note="Changed number")
    consent.refresh_from_db()
    assert consent.withdrawn_at and consent.withdrawn_by == actor_a.user
    with pytest.raises(DomainError, match="already been withdrawn"):
        consent_withdraw(actor=actor_a, consent=consent, channel="phone")
    again = consent_record(actor=actor_a, resident=resident_a, purpose="contact_sms", channel="paper")
    assert Consent.objects.filter(resident=resident_a, purpose="contact_sms").count() == 2 and again.is_current
    kinds = list(CaseEvent.objects.filter(resident=resident_a).values_list("kind", flat=True))
    assert kinds.count(choices.EventKind.CONSENT_RECORDED) == 2
    assert kinds.count(choices.EventKind.CONSENT_WITHDRAWN) == 1


def test_unknown_consent_purpose_is_refused(actor_a, resident_a):
    with pytest.raises(DomainError, match="not a valid choice"):
        consent_record(actor=actor_a, resident=resident_a, purpose="marketing", channel="paper")


def test_deactivated_membership_is_inactive(staff_a):
    membership_deactivate(membership=staff_a)
    assert staff_a.active is False and staff_a.deactivated_at is not None


# The possible-duplicate check across the scheme: recorded, and limited per person.


def test_a_duplicate_check_records_every_match_at_another_organisation(actor_a, org_a, org_b):
    from inclusion.models import CrossOrganisationMatch
    from inclusion.services import resident_duplicate_check

    from ..factories import ResidentFactory

    theirs = ResidentFactory(owning_organisation=org_b, phone="+447911123456")
    ResidentFactory(owning_organisation=org_a, phone="+447911123456")  # ours: no record needed
    shown = resident_duplicate_check(actor=actor_a, first_name="Made", last_name="Up", phone="+447911123456")
    assert len(shown) == 2
    match = CrossOrganisationMatch.objects.get()
    assert (match.organisation, match.user, match.api_key, match.resident, match.owning_organisation) == (
        org_a, actor_a.user, None, theirs, org_b)  # fmt: skip
    assert (match.reasons, match.organisation_named) == (["same phone number"], False)


def test_duplicate_checks_are_limited_per_person_per_hour(actor_a, settings):
    from inclusion.ratelimit import RateLimited
    from inclusion.services import resident_duplicate_check

    settings.DUPLICATE_CHECKS_PER_HOUR = 2
    for _ in range(2):
        resident_duplicate_check(actor=actor_a, first_name="A", last_name="B", phone="+447911123456")
    with pytest.raises(RateLimited) as refused:
        resident_duplicate_check(actor=actor_a, first_name="A", last_name="B", phone="+447911123456")
    assert refused.value.message.startswith(
        "You have made 2 checks for an existing record this hour, the most allowed. Try again after "
    )
