"""The outcome at follow-up, 6 to 12 weeks after completion: recorded once, by either organisation, on the staff web
and the API, without needing sight of the resident; it stops the follow-up reminder."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.messaging import sweeps
from inclusion.messaging.models import MessageItem
from inclusion.models import CaseEvent
from referrals import services
from referrals.models import Outcome, OutcomeStage

from ..factories import MembershipFactory, OrganisationFactory, ResidentFactory
from .factories import ServiceFactory, refer, sharing_consent

pytestmark = pytest.mark.django_db
BASE = "/api/v1/referrals/"


def _completed(actor_a, actor_b, resident, service):
    referral = refer(actor_a, resident, service, confidence_before=2)
    services.referral_accept(actor=actor_b, referral=referral)
    services.referral_start(actor=actor_b, referral=referral)
    services.referral_complete(
        actor=actor_b, referral=referral, outcome={"eds_foundation": "with_help", "confidence": 3}
    )
    referral.refresh_from_db()
    return referral


@pytest.fixture
def completed(actor_a, actor_b, shared_resident, course_b):
    return _completed(actor_a, actor_b, shared_resident, course_b)


def test_the_provider_records_the_follow_up_once_without_seeing_the_resident(completed, actor_a, actor_b):
    services.referral_follow_up_record(actor=actor_b, referral=completed, note="Still going to the library", outcome={
        "eds_foundation": "independent", "confidence": 5, "found_work": True})  # fmt: skip
    follow_up = Outcome.objects.get(referral=completed, stage=OutcomeStage.FOLLOW_UP)
    assert (follow_up.eds_foundation, follow_up.confidence, follow_up.found_work) == ("independent", 5, True)
    assert follow_up.organisation == actor_b.organisation and follow_up.recorded_by == actor_b.user
    event = completed.events.order_by("-sequence").first()
    assert (event.action, event.from_status, event.to_status, event.note) == (
        "follow-up recorded",
        "",
        "",
        "Still going to the library",
    )
    assert CaseEvent.objects.filter(resident=completed.resident, kind="referral_follow_up").count() == 1
    completed.refresh_from_db()
    assert completed.status == "completed"
    with pytest.raises(DomainError) as again:  # by either side
        services.referral_follow_up_record(actor=actor_a, referral=completed, outcome={"confidence": 4})
    assert again.value.code == "already_recorded"
    assert Outcome.objects.filter(referral=completed, stage=OutcomeStage.FOLLOW_UP).count() == 1


def test_the_referrer_may_record_it_instead(completed, actor_a):
    services.referral_follow_up_record(actor=actor_a, referral=completed, outcome={"feels_less_isolated": True})
    assert Outcome.objects.get(referral=completed, stage="follow_up").organisation == actor_a.organisation


def test_before_completion_it_is_refused_and_nothing_is_kept(actor_a, actor_b, shared_resident, course_b):
    referral = refer(actor_a, shared_resident, course_b)
    services.referral_accept(actor=actor_b, referral=referral)
    with pytest.raises(DomainError) as refused:
        services.referral_follow_up_record(actor=actor_b, referral=referral, outcome={"confidence": 4})
    assert refused.value.code == "illegal_transition" and "after completion" in str(refused.value)
    assert not Outcome.objects.filter(referral=referral).exists()


def test_bad_confidence_is_refused_naming_the_field(completed, actor_b):
    with pytest.raises(DomainError) as refused:
        services.referral_follow_up_record(actor=actor_b, referral=completed, outcome={"confidence": 9})
    assert (refused.value.code, refused.value.field) == ("out_of_range", "confidence")
    assert not Outcome.objects.filter(referral=completed, stage="follow_up").exists()


def test_an_organisation_on_neither_side_gets_404(completed, org_a):
    from django.http import Http404

    gamma = Actor.for_membership(MembershipFactory(organisation=OrganisationFactory(name="Gamma")))
    with pytest.raises(Http404):
        services.referral_follow_up_record(actor=gamma, referral=completed, outcome={})
    assert not Outcome.objects.filter(referral=completed, stage="follow_up").exists()


@pytest.mark.django_db(transaction=True)
def test_both_organisations_recording_at_once_keep_exactly_one(org_a, org_b):
    referrer = Actor.for_membership(MembershipFactory(organisation=org_a))
    provider = Actor.for_membership(MembershipFactory(organisation=org_b))
    resident = ResidentFactory(owning_organisation=org_a)
    sharing_consent(resident)
    referral = _completed(referrer, provider, resident, ServiceFactory(organisation=org_b))
    barrier = threading.Barrier(2)
    results = []

    def attempt(actor):
        try:
            barrier.wait()
            services.referral_follow_up_record(actor=actor, referral=referral, outcome={"confidence": 4})
            results.append("done")
        except DomainError as error:
            results.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(actor,)) for actor in (referrer, provider)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["already_recorded", "done"]
    assert Outcome.objects.filter(referral=referral, stage="follow_up").count() == 1


def test_a_recorded_follow_up_stops_the_reminder(completed, actor_b):
    due = timezone.now() + timedelta(weeks=8, days=1)
    services.referral_follow_up_record(actor=actor_b, referral=completed, outcome={"confidence": 4})
    sweeps.sweep_run(now=due)
    assert not MessageItem.objects.filter(kind="referral_follow_up").exists()


def test_without_it_the_reminder_is_made(completed):
    sweeps.sweep_run(now=timezone.now() + timedelta(weeks=8, days=1))
    assert MessageItem.objects.filter(kind="referral_follow_up").count() == 1


# --- Staff web --------------------------------------------------------------------------------------------------


@pytest.fixture
def client_b2(staff_b):
    from django.test import Client

    other = Client()
    other.force_login(staff_b.user)
    return other


def test_the_referral_page_offers_the_follow_up_and_its_form_shows_the_answers_at_completion(completed, client_b2):
    detail = reverse("referrals:referral-detail", args=[completed.pk])
    page = client_b2.get(detail).content.decode()
    assert "Record the outcome at follow-up" in page and "Margaret" not in page
    url = reverse("referrals:referral-answer", args=[completed.pk, "follow-up"])
    form = client_b2.get(url).content.decode()
    assert (
        "At completion: can do this with help" in form and "At completion: 3" in form and "Record the follow-up" in form
    )
    bad = client_b2.post(url, {"confidence": "9"})
    assert bad.status_code == 200 and "govuk-error-summary" in bad.content.decode()
    assert not Outcome.objects.filter(referral=completed, stage="follow_up").exists()
    done = client_b2.post(url, {"eds_foundation": "independent", "confidence": "5", "flags": ["found_work"]})
    assert done.status_code == 302
    assert Outcome.objects.get(referral=completed, stage="follow_up").found_work
    page = client_b2.get(detail).content.decode()
    assert "Outcome at follow-up (6 to 12 weeks later)" in page and "Record the outcome at follow-up" not in page
    again = client_b2.get(url)
    assert again.status_code == 409 and "recorded already" in again.content.decode()


def test_an_open_referral_offers_no_follow_up(actor_a, client_b2, shared_resident, course_b):
    referral = refer(actor_a, shared_resident, course_b)
    assert (
        "Record the outcome at follow-up"
        not in client_b2.get(reverse("referrals:referral-detail", args=[referral.pk])).content.decode()
    )
    assert client_b2.post(reverse("referrals:referral-answer", args=[referral.pk, "follow-up"]),
                          {"confidence": "4"}).status_code == 409  # fmt: skip
    assert not Outcome.objects.exists()


# --- Partner API ------------------------------------------------------------------------------------------------


def test_the_api_records_the_follow_up_then_refuses_a_second_with_409(completed, api_a, api_b):
    url = f"{BASE}{completed.pk}/follow-up/"
    response = api_b.post(url, {"eds_foundation": "independent", "confidence": 5, "found_work": True}, format="json")
    assert response.status_code == 200, response.content
    stages = {o["stage"]: o for o in response.json()["outcomes"]}
    assert stages["follow_up"]["confidence"] == 5 and stages["follow_up"]["found_work"] is True
    again = api_a.post(url, {"confidence": 4}, format="json")
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "already_recorded"
    bad = api_a.post(url, {"confidence": "four"}, format="json")
    assert bad.status_code == 400


def test_the_api_refuses_it_before_completion_and_hides_it_from_others(actor_a, api_b, shared_resident, course_b):
    from tests.conftest import _api_client

    referral = refer(actor_a, shared_resident, course_b)
    url = f"{BASE}{referral.pk}/follow-up/"
    early = api_b.post(url, {"confidence": 4}, format="json")
    assert early.status_code == 409 and early.json()["errors"][0]["code"] == "illegal_transition"
    gamma = _api_client(OrganisationFactory(name="Gamma", slug="gamma"))
    assert gamma.post(url, {"confidence": 4}, format="json").status_code == 404
    assert not Outcome.objects.exists()


def test_the_schema_documents_the_follow_up_and_its_refusals(api_a):
    schema = api_a.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/referrals/{id}/follow-up/"]["post"]
    assert {"200", "400", "404", "409"} <= set(operation["responses"])
    assert "already_recorded" in str(schema["components"]["schemas"])
