"""Data-sharing agreements (inclusion.access.sharing_agreement_current): an organisation without a current
agreement reaches no other organisation's resident by any link (a referral, a loan), on the web, in the API,
in lists and in the services' own re-checks; its own residents are unaffected."""

from datetime import timedelta

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from inclusion.access import VisibleResidents, resident_get_visible, residents_visible_to
from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.models import AuditEvent, DataSharingAgreement
from inclusion.privacy.agreements import sharing_agreement_save
from inclusion.services import consent_record, note_add
from referrals.services import referral_create
from tests.factories import OrganisationFactory, ResidentFactory
from tests.referrals.factories import ServiceFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _agreement(organisation, starts, ends):
    """Replace the organisation's agreements with one running from today + starts to today + ends (days)."""
    DataSharingAgreement.objects.filter(organisation=organisation).delete()
    if starts is not None:
        DataSharingAgreement.objects.create(organisation=organisation, reference="DSA-TEST",
                                            starts_on=TODAY() + timedelta(days=starts),
                                            ends_on=TODAY() + timedelta(days=ends))  # fmt: skip


@pytest.fixture
def referred(resident_a, actor_a, org_b):
    """A's resident, referred to B's course: a real link (referrals registers it with the access rule)."""
    consent_record(actor=actor_a, resident=resident_a, purpose="sharing", channel="paper")
    referral_create(actor=actor_a, resident=resident_a, service=ServiceFactory(organisation=org_b), need="skills",
                    reason="Wants to learn email")  # fmt: skip
    return resident_a


def _reaches(organisation, resident) -> bool:
    """Whether every form of the access rule lets `organisation` reach `resident`, checking they agree."""
    by_q = residents_visible_to(organisation).filter(pk=resident.pk).exists()
    page = VisibleResidents(organisation).page(limit=100)
    total, _ = VisibleResidents(organisation).count(cap=100)
    assert by_q == (resident.pk in {r.pk for r in page}), "the two forms of the rule disagree"
    assert total == len(page) == residents_visible_to(organisation).count(), "the counts disagree"
    return by_q


# (first day, last day) relative to today; None: no agreement at all.
CASES = {
    "current": ((-30, 30), True),
    "ends today": ((-30, 0), True),
    "starts today": ((0, 30), True),
    "none": ((None, None), False),
    "expired yesterday": ((-365, -1), False),
    "not yet started": ((1, 365), False),
}


@pytest.mark.parametrize("case", CASES)
def test_a_link_shares_a_resident_only_under_a_current_agreement(referred, org_b, case):
    (starts, ends), shared = CASES[case]
    _agreement(org_b, starts, ends)
    assert _reaches(org_b, referred) is shared


def test_without_a_current_agreement_the_page_and_the_api_answer_404(referred, org_b, client_b, api_b):
    assert client_b.get(reverse("resident-detail", kwargs={"pk": referred.pk})).status_code == 200
    assert api_b.get(f"/api/v1/residents/{referred.pk}/").status_code == 200
    _agreement(org_b, -365, -1)
    assert client_b.get(reverse("resident-detail", kwargs={"pk": referred.pk})).status_code == 404
    assert api_b.get(f"/api/v1/residents/{referred.pk}/").status_code == 404
    listed = api_b.get("/api/v1/residents/").json()
    assert str(referred.pk) not in {row["id"] for row in listed["results"]} and listed["count"] == 0
    searched = client_b.get(reverse("resident-search"), {"q": referred.last_name}).content.decode()
    assert str(referred.pk) not in searched
    with pytest.raises(Http404):
        resident_get_visible(org_b, referred.pk)


def test_a_services_recheck_inside_its_transaction_applies_the_agreement(referred, org_b, actor_b):
    note_add(actor=actor_b, resident=referred, body="Came to the first session")
    _agreement(org_b, 1, 365)  # replaced by one not yet started
    with pytest.raises(Http404):
        note_add(actor=actor_b, resident=referred, body="Should not be written")
    assert not referred.events.filter(body="Should not be written").exists()


def test_an_organisation_without_an_agreement_still_sees_its_own_residents(org_b, staff_b):
    _agreement(org_b, None, None)
    own = ResidentFactory(owning_organisation=org_b)
    assert _reaches(org_b, own)
    assert resident_get_visible(org_b, own.pk) == own


def test_an_agreement_is_the_organisations_own(referred, org_b):
    """Another partner's current agreement does nothing for B."""
    _agreement(org_b, None, None)
    OrganisationFactory(slug="gamma")  # has its own current agreement
    assert not _reaches(org_b, referred)


def test_agreements_are_recorded_with_an_audit_event_and_must_end_after_they_start(org_b, staff_b):
    actor = Actor(organisation=org_b, user=staff_b.user)
    agreement = sharing_agreement_save(actor=actor, agreement=DataSharingAgreement(
        organisation=org_b, reference="DSA-2026-014", starts_on=TODAY(), ends_on=TODAY() + timedelta(days=365)))  # fmt: skip
    event = AuditEvent.objects.get(action="sharing_agreement.create", object_id=str(agreement.pk))
    assert event.after["reference"] == "DSA-2026-014" and event.actor == staff_b.user
    agreement.ends_on = TODAY() - timedelta(days=1)
    with pytest.raises(DomainError):
        sharing_agreement_save(actor=actor, agreement=agreement)
    agreement.refresh_from_db()
    assert agreement.ends_on == TODAY() + timedelta(days=365)


def test_the_demo_gives_every_partner_a_current_agreement(db):
    from django.core.management import call_command

    from inclusion.models import Organisation

    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    organisations = Organisation.objects.all()
    assert organisations.exists()
    for organisation in organisations:
        agreement = organisation.sharing_agreements.get()
        assert agreement.is_current, organisation
