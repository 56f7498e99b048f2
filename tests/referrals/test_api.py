"""The referrals partner API: list with filters, create, retrieve, transitions as POST sub-resources, messages,
webhook endpoints and deliveries; another organisation's referral is 404 everywhere; errors in the one format."""

import pytest

from inclusion.models import Consent
from inclusion.services import consent_withdraw
from referrals.models import Referral, WebhookDelivery

from ..factories import OrganisationFactory, ResidentFactory
from .factories import ServiceFactory, refer, sharing_consent

pytestmark = pytest.mark.django_db
BASE = "/api/v1/referrals/"


def codes(response):
    return [(error["attr"], error["code"]) for error in response.json()["errors"]]


def test_a_partner_system_refers_and_the_receiver_answers_through_to_completion(
    api_a, api_b, shared_resident, course_b
):
    response = api_a.post(BASE, {"resident": str(shared_resident.pk), "service": str(course_b.pk), "need": "skills",
                                 "reason": "Wants to use email", "confidence_before": 2}, format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["direction"], body["to_organisation"], body["sequence"]) == ("sent", "sent", "beta", 1)
    assert body["resident"] == {"id": str(shared_resident.pk), "name": "Margaret Oduya"}
    pk = body["id"]
    received = api_b.get(f"{BASE}{pk}/").json()
    assert received["direction"] == "received" and received["resident"]["name"] == "Margaret Oduya"
    assert api_b.post(f"{BASE}{pk}/accept/", {"note": "Booked"}, format="json").json()["status"] == "accepted"
    assert api_b.post(f"{BASE}{pk}/start/", {}, format="json").json()["status"] == "started"
    done = api_b.post(f"{BASE}{pk}/complete/", {"eds_foundation": "independent", "confidence": 4,
                                                "found_work": True}, format="json")  # fmt: skip
    assert done.status_code == 200, done.json()
    done = done.json()
    assert done["status"] == "completed" and done["sequence"] == 4
    assert done["outcomes"][0]["confidence"] == 4 and done["outcomes"][0]["found_work"] is True
    # The receiver keeps the referral, no longer the resident; the sender keeps both.
    assert done["resident"] is None and done["reason"] is None
    assert api_a.get(f"{BASE}{pk}/").json()["resident"]["name"] == "Margaret Oduya"
    assert api_b.get(f"/api/v1/residents/{shared_resident.pk}/").status_code == 404


def test_list_filters_by_direction_and_status(api_a, api_b, actor_a, actor_b, shared_resident, org_b):
    from referrals import services

    first = refer(actor_a, shared_resident, ServiceFactory(organisation=org_b))
    second = refer(actor_a, shared_resident, ServiceFactory(organisation=org_b))
    services.referral_decline(actor=actor_b, referral=second, reason="no_capacity")
    assert [r["id"] for r in api_b.get(BASE, {"direction": "received", "status": "open"}).json()["results"]] == [
        str(first.pk)
    ]
    assert [r["id"] for r in api_b.get(BASE, {"status": "declined"}).json()["results"]] == [str(second.pk)]
    assert api_b.get(BASE, {"direction": "sent"}).json()["results"] == []
    assert api_a.get(BASE, {"direction": "sent"}).json()["count"] == 2
    bad = api_a.get(BASE, {"status": "lost"})
    assert bad.status_code == 400 and codes(bad) == [("status", "invalid_choice")]


def test_refusals_are_409_or_422_with_their_codes(api_a, api_b, resident_a, course_b, org_a):
    response = api_a.post(BASE, {"resident": str(resident_a.pk), "service": str(course_b.pk), "need": "skills",
                                 "reason": "x"}, format="json")  # fmt: skip
    assert response.status_code == 409 and codes(response) == [("resident", "consent_missing")]
    sharing_consent(resident_a)
    own = ServiceFactory(organisation=org_a)
    response = api_a.post(BASE, {"resident": str(resident_a.pk), "service": str(own.pk), "need": "skills",
                                 "reason": "x"}, format="json")  # fmt: skip
    assert response.status_code == 422 and codes(response) == [("service", "own_organisation")]
    response = api_a.post(BASE, {"resident": str(resident_a.pk), "service": "7b0f0c5e-0000-4000-8000-000000000000",
                                 "need": "skills", "reason": "x"}, format="json")  # fmt: skip
    assert response.status_code == 422 and codes(response) == [("service", "does_not_exist")]
    pk = api_a.post(BASE, {"resident": str(resident_a.pk), "service": str(course_b.pk), "need": "skills",
                           "reason": "x"}, format="json").json()["id"]  # fmt: skip
    again = api_a.post(BASE, {"resident": str(resident_a.pk), "service": str(course_b.pk), "need": "skills",
                              "reason": "x"}, format="json")  # fmt: skip
    assert again.status_code == 409 and codes(again) == [("service", "duplicate")]
    illegal = api_b.post(f"{BASE}{pk}/complete/", {}, format="json")
    assert illegal.status_code == 409 and codes(illegal) == [(None, "illegal_transition")]
    assert "so you cannot complete it. From here you can: accept, decline" in illegal.json()["errors"][0]["detail"]
    assert api_a.post(f"{BASE}{pk}/accept/", {}, format="json").status_code == 409  # only the receiver
    decline = api_b.post(f"{BASE}{pk}/decline/", {"reason": "other"}, format="json")
    assert decline.status_code == 422 and codes(decline) == [("note", "required")]
    unknown = api_b.post(f"{BASE}{pk}/accept/", {"notes": "typo"}, format="json")
    assert unknown.status_code == 400 and codes(unknown) == [("notes", "unknown_field")]


def test_another_organisation_gets_404_for_every_referral_endpoint(api_a, actor_a, shared_resident, course_b):
    referral = refer(actor_a, shared_resident, course_b)
    from inclusion.api.authentication import PartnerSystem  # noqa: F401  (the key machinery is the core's)
    from tests.conftest import _api_client

    api_c = _api_client(OrganisationFactory(name="Gamma", slug="gamma"))
    assert api_c.get(f"{BASE}{referral.pk}/").status_code == 404
    for sub in ("accept", "decline", "start", "complete", "not-completed", "withdraw", "messages"):
        response = api_c.post(f"{BASE}{referral.pk}/{sub}/", {"reason": "other", "note": "x", "body": "x"},
                              format="json")  # fmt: skip
        assert response.status_code == 404, sub
        assert codes(response) == [(None, "not_found")]
    assert api_c.get(f"{BASE}{referral.pk}/messages/").status_code == 404
    assert api_c.get(BASE).json()["count"] == 0
    # A resident filter naming another organisation's resident finds nothing, as one that does not exist.
    assert api_c.get(BASE, {"resident": str(shared_resident.pk)}).json()["count"] == 0
    assert Referral.objects.get().status == "sent"


def test_a_resident_the_caller_cannot_see_is_does_not_exist(api_b, resident_a, org_a):
    course = ServiceFactory(organisation=org_a)
    response = api_b.post(BASE, {"resident": str(resident_a.pk), "service": str(course.pk), "need": "skills",
                                 "reason": "x"}, format="json")  # fmt: skip
    assert response.status_code == 422 and codes(response) == [("resident", "does_not_exist")]
    stranger = ResidentFactory()
    again = api_b.post(BASE, {"resident": str(stranger.pk), "service": str(course.pk), "need": "skills",
                              "reason": "x"}, format="json")  # fmt: skip
    assert again.json()["errors"] == response.json()["errors"]


def test_messages_both_ways_and_only_your_own_once_the_resident_is_no_longer_shared(api_a, api_b, actor_a,
                                                                                    shared_resident, course_b):  # fmt: skip
    referral = refer(actor_a, shared_resident, course_b)
    url = f"{BASE}{referral.pk}/messages/"
    assert api_b.post(url, {"body": "Tuesday?"}, format="json").status_code == 201
    assert api_a.post(url, {"body": "Yes, Tuesday"}, format="json").status_code == 201
    assert [m["body"] for m in api_b.get(url).json()["results"]] == ["Tuesday?", "Yes, Tuesday"]
    consent_withdraw(actor=actor_a, consent=Consent.objects.get(purpose="sharing"), channel="verbal")
    assert [m["body"] for m in api_b.get(url).json()["results"]] == ["Tuesday?"]
    assert api_b.post(url, {"body": "Hello?"}, format="json").status_code == 404


def test_webhook_endpoints_and_their_log_through_the_api(api_a, api_b, actor_a, shared_resident, course_b, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    bad = api_b.post("/api/v1/webhook-endpoints/", {"url": "https://10.0.0.5/hook"}, format="json")
    assert bad.status_code == 422 and codes(bad) == [("url", "private_address")]
    created = api_b.post("/api/v1/webhook-endpoints/", {"url": "https://crm.beta.example.org/hook"}, format="json")
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    endpoint_id = created.json()["id"]
    assert "secret" not in api_b.get("/api/v1/webhook-endpoints/").json()["results"][0]
    referral = refer(actor_a, shared_resident, course_b)
    log = api_b.get("/api/v1/webhook-deliveries/").json()["results"]
    assert [(d["endpoint"], d["sequence"], d["event_type"], d["status"]) for d in log] == [
        (endpoint_id, 1, "referral.created", "pending")
    ]
    assert api_a.get("/api/v1/webhook-deliveries/").json()["count"] == 0
    again = api_b.post(f"/api/v1/webhook-deliveries/{log[0]['id']}/send-again/", format="json")
    assert again.status_code == 409 and codes(again) == [(None, "already_pending")]
    WebhookDelivery.objects.update(status="failed")
    assert (
        api_b.post(f"/api/v1/webhook-deliveries/{log[0]['id']}/send-again/", format="json").json()["status"]
        == "pending"
    )
    assert api_a.post(f"/api/v1/webhook-deliveries/{log[0]['id']}/send-again/", format="json").status_code == 404
    assert api_a.delete(f"/api/v1/webhook-endpoints/{endpoint_id}/").status_code == 404
    assert api_b.delete(f"/api/v1/webhook-endpoints/{endpoint_id}/").status_code == 204
    assert referral.pk


def test_the_list_takes_as_many_queries_for_thirty_referrals_as_for_two(api_b, actor_a, actor_b, shared_resident,
                                                                         org_b):  # fmt: skip
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from referrals import services

    def add(count):
        for _ in range(count):
            referral = refer(actor_a, shared_resident, ServiceFactory(organisation=org_b))
            services.referral_accept(actor=actor_b, referral=referral)
            services.referral_start(actor=actor_b, referral=referral)
            services.referral_complete(actor=actor_b, referral=referral, outcome={"confidence": 3})

    add(2)
    with CaptureQueriesContext(connection) as few:
        assert len(api_b.get(BASE, {"page_size": 100}).json()["results"]) == 2
    add(28)
    with CaptureQueriesContext(connection) as many:
        results = api_b.get(BASE, {"page_size": 100}).json()["results"]
    assert len(results) == 30 and all(r["outcomes"][0]["confidence"] == 3 for r in results)
    # (The first request of a key also records its use: one query the second one does not need.)
    assert len(many) <= len(few) <= 6, [query["sql"] for query in many.captured_queries]
