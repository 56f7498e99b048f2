"""Retention (inclusion/privacy/retention.py): who the review lists, coordinators' decisions, the nightly task that
anonymises only confirmed residents (also on a real Celery worker), and the staff pages."""

import datetime as dt
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from django.utils import timezone

from inclusion import choices
from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.models import CaseEvent, Resident
from inclusion.privacy import retention
from inclusion.privacy.models import Erasure, RetentionReview
from inclusion.services import note_add

from ..factories import MembershipFactory, ResidentFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def aged(organisation, years: float, **details) -> Resident:
    """A resident registered `years` ago, whose last timeline entry is from then."""
    then = NOW - dt.timedelta(days=365.25 * years)
    resident = ResidentFactory(owning_organisation=organisation, **details)
    Resident.objects.filter(pk=resident.pk).update(created_at=then)
    CaseEvent.objects.create(resident=resident, organisation=organisation, kind="note", summary="Called",
                             occurred_at=then)  # fmt: skip
    resident.refresh_from_db()
    return resident


@pytest.fixture
def coordinator_a(org_a):
    return MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR)


@pytest.fixture
def boss(coordinator_a):
    return Actor.for_membership(coordinator_a)


def due(organisation):
    return list(retention.residents_due_for_review(organisation=organisation).values_list("first_name", flat=True))


def test_the_review_lists_only_the_organisations_own_residents_inactive_for_the_set_years(org_a, org_b, settings):
    settings.RETENTION_INACTIVE_YEARS = 6
    aged(org_a, 7, first_name="Old")
    aged(org_a, 5, first_name="Recent")
    aged(org_b, 7, first_name="Theirs")
    lively = aged(org_a, 8, first_name="Lively")
    CaseEvent.objects.create(resident=lively, organisation=org_b, kind="loan_started", summary="Lent")  # by anyone
    assert due(org_a) == ["Old"]
    settings.RETENTION_INACTIVE_YEARS = 4
    assert sorted(due(org_a)) == ["Old", "Recent"]


def test_a_confirmation_waits_for_the_task_and_a_keep_takes_them_off_the_list_for_a_while(org_a, boss, settings):
    old = aged(org_a, 7, first_name="Old")
    other = aged(org_a, 7, first_name="Other")
    retention.retention_decide(actor=boss, resident=old, decision="confirm")
    retention.retention_decide(actor=boss, resident=other, decision="keep", reason="Complaint open")
    assert due(org_a) == []
    assert [review.resident.first_name for review in retention.retention_reviews_confirmed(organisation=org_a)] == [
        "Old"
    ]
    settings.RETENTION_KEEP_DAYS = 0
    assert due(org_a) == ["Other"]  # a keep holds for RETENTION_KEEP_DAYS
    timeline = CaseEvent.objects.filter(resident=other, kind="retention_kept").get()
    assert timeline.body == "Complaint open"


def test_decisions_are_refused_with_a_reason_on_the_field_at_fault(org_a, org_b, boss, actor_b, sharing):
    old = aged(org_a, 7)
    recent = aged(org_a, 1)
    with pytest.raises(DomainError) as no_reason:
        retention.retention_decide(actor=boss, resident=old, decision="keep", reason=" ")
    assert (no_reason.value.field, no_reason.value.code) == ("reason", "required")
    with pytest.raises(DomainError) as not_due:
        retention.retention_decide(actor=boss, resident=recent, decision="confirm")
    assert not_due.value.code == "not_due"
    sharing.share(old, org_b)
    with pytest.raises(DomainError) as linked:
        retention.retention_decide(actor=actor_b, resident=old, decision="confirm")
    assert linked.value.code == "not_owner"
    retention.retention_decide(actor=boss, resident=old, decision="confirm")
    with pytest.raises(DomainError) as twice:
        retention.retention_decide(actor=boss, resident=old, decision="confirm")
    assert twice.value.code == "already_confirmed"
    kept = retention.retention_decide(actor=boss, resident=old, decision="keep", reason="Laptop still out")
    assert (kept.status, RetentionReview.objects.count()) == ("kept", 1)  # the confirmation became a keep


def test_the_task_anonymises_only_confirmed_residents_still_inactive_and_is_safe_twice(org_a, boss, actor_a):
    confirmed = aged(org_a, 7, first_name="Confirmed")
    active_again = aged(org_a, 7, first_name="Returned")
    listed = aged(org_a, 7, first_name="Listed")
    retention.retention_decide(actor=boss, resident=confirmed, decision="confirm")
    retention.retention_decide(actor=boss, resident=active_again, decision="confirm")
    note_add(actor=actor_a, resident=active_again, body="Came back for a course")

    assert retention.retention_anonymise_confirmed() == {"anonymised": 1, "lapsed": 1}
    assert retention.retention_anonymise_confirmed() == {"anonymised": 0, "lapsed": 0}

    names = dict(Resident.objects.values_list("pk", "first_name"))
    assert (names[confirmed.pk], names[active_again.pk], names[listed.pk]) == ("Anonymised", "Returned", "Listed")
    assert Erasure.objects.get().resident_id == confirmed.pk
    statuses = dict(RetentionReview.objects.values_list("resident_id", "status"))
    assert statuses == {confirmed.pk: "anonymised", active_again.pk: "lapsed"}
    assert due(org_a) == ["Listed"]


@pytest.mark.django_db(transaction=True)
def test_the_scheduled_task_runs_on_a_real_worker():
    from inclusion.celery import app
    from inclusion.messaging.schedule import jobs
    from inclusion.privacy.tasks import retention_anonymise_confirmed

    from ..factories import OrganisationFactory

    organisation = OrganisationFactory()
    boss = Actor.for_membership(MembershipFactory(organisation=organisation, role=choices.Role.COORDINATOR))
    resident = aged(organisation, 7)
    retention.retention_decide(actor=boss, resident=resident, decision="confirm")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        retention_anonymise_confirmed.delay()
        deadline = time.monotonic() + 60
        while not Erasure.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    resident.refresh_from_db()
    assert resident.first_name == "Anonymised"
    assert jobs()["Anonymise residents confirmed at retention review"][0] == retention_anonymise_confirmed.name


# The staff pages


def test_a_coordinator_reviews_and_decides_with_errors_on_each_field(client, org_a, coordinator_a):
    old = aged(org_a, 7, first_name="Winifred", last_name="Ashdown")
    client.force_login(coordinator_a.user)
    page = client.get(reverse("retention-review")).content.decode()
    assert "Winifred Ashdown" in page and reverse("retention-decide", args=[old.pk]) in page
    url = reverse("retention-decide", args=[old.pk])
    nothing = client.post(url, {}).content.decode()
    assert "Choose whether to anonymise their record or keep it" in nothing and 'href="#id_decision_1"' in nothing
    no_reason = client.post(url, {"decision": "keep", "reason": ""}).content.decode()
    assert "Enter why you are keeping their record" in no_reason and 'href="#id_reason"' in no_reason
    assert not RetentionReview.objects.exists()
    done = client.post(url, {"decision": "confirm"})
    assert done.status_code == 302 and done["Location"] == reverse("retention-review")
    after = client.get(reverse("retention-review")).content.decode()
    assert "To be anonymised tonight" in after and "Keep instead" in after


def test_the_pages_are_the_coordinators_and_another_organisations_resident_is_404(client, org_a, org_b, staff_a):
    theirs = aged(org_b, 7)
    ours = aged(org_a, 7)
    client.force_login(staff_a.user)  # frontline
    assert client.get(reverse("retention-review")).status_code == 403
    assert client.get(reverse("retention-decide", args=[ours.pk])).status_code == 403
    client.force_login(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR).user)
    assert client.get(reverse("retention-decide", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("retention-decide", args=[theirs.pk]), {"decision": "confirm"}).status_code == 404
    assert not RetentionReview.objects.exists()


def test_the_demo_gives_the_scheme_leads_coordinator_three_residents_to_review():
    from io import StringIO

    from django.core.management import call_command

    from inclusion.models import Organisation

    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())  # tops up, never duplicates
    lead = Organisation.objects.get(is_scheme_lead=True)
    assert sorted(due(lead)) == ["Albert", "Doreen", "Winifred"]
