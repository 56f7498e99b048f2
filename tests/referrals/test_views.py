"""Staff web pages for referrals: refer from the resident page, the inbox, the referral page, the answers with the
outcome form, bulk answers, the home page's counts and the webhooks page."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from inclusion import choices
from inclusion.models import Consent
from inclusion.services import consent_withdraw
from referrals import services
from referrals.models import Outcome, Referral, WebhookEndpoint

from ..factories import MembershipFactory, ResidentFactory
from .factories import ServiceFactory, ServiceLocationFactory, refer, sharing_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_b2(client, staff_b):
    """A second browser, for Beta's frontline worker (client is Alpha's in client_a)."""
    from django.test import Client

    other = Client()
    other.force_login(staff_b.user)
    return other


def test_the_resident_page_has_the_referrals_section_and_the_refer_button(client_a, shared_resident):
    body = client_a.get(reverse("resident-detail", args=[shared_resident.pk])).content.decode()
    assert 'id="referrals"' in body and "No referrals yet." in body
    assert reverse("referrals:referral-create", args=[shared_resident.pk]) in body


def test_the_refer_page_says_why_each_service_fits_and_sends_the_referral(client_a, shared_resident, org_b):
    shared_resident.needs_skills = True
    shared_resident.eds_communicating = "with_help"
    shared_resident.postcode = "WV1 1AA"
    shared_resident.save()
    course = ServiceFactory(organisation=org_b, name="Email for beginners", skill_areas=["communicating"])
    ServiceLocationFactory(service=course, postcode="WV1 3AX", postcode_district="WV1")
    ServiceFactory(organisation=org_b, name="Closed course", referrals_open=False)
    url = reverse("referrals:referral-create", args=[shared_resident.pk])
    body = client_a.get(url).content.decode()
    assert "Email for beginners" in body and "Closed course" not in body
    assert "Margaret wants skills help" in body
    assert "Covers what their skills baseline says they need help with: communicating" in body
    assert "Runs in WV1, where they live" in body
    response = client_a.post(url, {"service": str(course.pk), "need": "skills", "reason": "Wants to email her son",
                                   "urgency": "routine", "preferred_contact": "phone", "confidence_before": "2"})  # fmt: skip
    referral = Referral.objects.get()
    assert response.status_code == 302 and response.url == reverse("referrals:referral-detail", args=[referral.pk])
    assert (referral.service, referral.confidence_before, referral.preferred_contact) == (course, 2, "phone")


def test_referring_without_sharing_consent_warns_and_refuses(client_a, resident_a, course_b):
    url = reverse("referrals:referral-create", args=[resident_a.pk])
    assert "has not agreed to their details being shared" in client_a.get(url).content.decode()
    response = client_a.post(url, {"service": str(course_b.pk), "need": "skills", "reason": "x", "urgency": "routine"})
    assert response.status_code == 200
    assert "Record Margaret Oduya&#x27;s consent to sharing" in response.content.decode()
    assert not Referral.objects.exists()


def test_refer_page_shows_each_missing_answer_as_an_error(client_a, shared_resident, course_b):
    response = client_a.post(reverse("referrals:referral-create", args=[shared_resident.pk]), {})
    body = response.content.decode()
    for message in ("Choose a service", "Choose what they need", "Enter why you are referring them"):
        assert message in body
    assert 'href="#id_service_1"' in body and 'id="id_service_1"' in body


def test_the_receiver_answers_from_the_inbox_through_to_completion_with_outcomes(
    actor_a, client_b2, shared_resident, course_b
):
    shared_resident.eds_foundation = "cannot"
    shared_resident.save()
    referral = refer(actor_a, shared_resident, course_b, confidence_before=2)
    inbox = client_b2.get(reverse("referrals:inbox")).content.decode()
    assert "Margaret Oduya" in inbox and "Alpha Council" in inbox
    detail = reverse("referrals:referral-detail", args=[referral.pk])
    assert "Accept" in client_b2.get(detail).content.decode()

    def answer(action, data=None):
        return client_b2.post(reverse("referrals:referral-answer", args=[referral.pk, action]), data or {})

    assert answer("accept", {"note": "Call booked"}).status_code == 302
    assert answer("start").status_code == 302
    page = client_b2.get(reverse("referrals:referral-answer", args=[referral.pk, "complete"])).content.decode()
    assert "At registration: cannot do this yet" in page and "When referred: 2" in page
    response = answer("complete", {"eds_foundation": "independent", "confidence": "4",
                                   "flags": ["got_online_independently", "feels_less_isolated"]})  # fmt: skip
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "completed"
    outcome = Outcome.objects.get(referral=referral)
    assert (outcome.eds_foundation, outcome.confidence) == ("independent", 4)
    assert outcome.got_online_independently and outcome.feels_less_isolated and not outcome.found_work
    # Completed: the resident is no longer shared, but the referral and Beta's outcome stay with Beta.
    page = client_b2.get(detail).content.decode()
    assert "Not shared with you now" in page and "Margaret" not in page
    assert "Got online independently, Feels less isolated" in page
    assert client_b2.get(reverse("resident-detail", args=[shared_resident.pk])).status_code == 404


def test_decline_page_needs_a_reason_and_a_closed_referral_offers_nothing(
    actor_a, client_b2, shared_resident, course_b
):
    referral = refer(actor_a, shared_resident, course_b)
    url = reverse("referrals:referral-answer", args=[referral.pk, "decline"])
    assert "Choose why you are declining it" in client_b2.post(url, {}).content.decode()
    assert client_b2.post(url, {"reason": "not_eligible"}).status_code == 302
    response = client_b2.get(reverse("referrals:referral-answer", args=[referral.pk, "start"]))
    assert response.status_code == 409 and "so you cannot do this now" in response.content.decode()


def test_the_referrer_withdraws_from_the_referral_page(actor_a, client_a, shared_resident, course_b):
    referral = refer(actor_a, shared_resident, course_b)
    detail = client_a.get(reverse("referrals:referral-detail", args=[referral.pk])).content.decode()
    assert "Withdraw the referral" in detail and ">Accept<" not in detail
    client_a.post(reverse("referrals:referral-answer", args=[referral.pk, "withdraw"]), {"note": "Moved away"})
    referral.refresh_from_db()
    assert referral.status == "withdrawn"


def test_messages_are_sent_from_the_referral_page(actor_a, client_b2, shared_resident, course_b):
    referral = refer(actor_a, shared_resident, course_b)
    url = reverse("referrals:referral-message", args=[referral.pk])
    assert "Enter the message" in client_b2.post(url, {"body": " "}).content.decode()
    client_b2.post(url, {"body": "Can she do Tuesdays?"})
    page = client_b2.get(reverse("referrals:referral-detail", args=[referral.pk])).content.decode()
    assert "Can she do Tuesdays?" in page and "Message from Beta Library" in page


def test_another_organisation_gets_404_for_a_referral_and_its_pages(actor_a, shared_resident, course_b, client):
    referral = refer(actor_a, shared_resident, course_b)
    client.force_login(MembershipFactory(role="coordinator").user)
    for url in (reverse("referrals:referral-detail", args=[referral.pk]),
                reverse("referrals:referral-answer", args=[referral.pk, "accept"]),
                reverse("referrals:referral-message", args=[referral.pk])):  # fmt: skip
        assert client.get(url).status_code in (404, 405) and client.post(url, {"body": "x"}).status_code == 404


def test_overdue_answers_come_first_and_the_home_page_counts_them(actor_a, client_b2, shared_resident, course_b):
    first = refer(actor_a, shared_resident, course_b)
    other = ResidentFactory(owning_organisation=actor_a.organisation, first_name="Olu", last_name="Latecomer")
    sharing_consent(other)
    late = refer(actor_a, other, course_b)
    Referral.objects.filter(pk=late.pk).update(response_due_on=date.today() - timedelta(days=1))
    body = client_b2.get(reverse("referrals:inbox")).content.decode()
    assert body.index("Olu Latecomer") < body.index("Margaret Oduya") and "Response overdue" in body
    home = client_b2.get("/").content.decode()
    assert 'app-stat">2</span> <a class="govuk-link" href="/referrals/?direction=received&amp;status=awaiting"' in home
    assert 'app-stat">1</span> <a class="govuk-link" href="/referrals/?direction=received&amp;status=overdue"' in home
    assert first.pk


def test_a_coordinator_accepts_several_at_once_and_frontline_staff_cannot(actor_a, client, client_b2, shared_resident,
                                                                          org_b):  # fmt: skip
    referrals = [refer(actor_a, shared_resident, ServiceFactory(organisation=org_b)) for _ in range(3)]
    data = {"referrals": [str(r.pk) for r in referrals[:2]], "action": "accept"}
    assert client_b2.post(reverse("referrals:bulk"), data).status_code == 403
    client.force_login(MembershipFactory(organisation=org_b, role=choices.Role.COORDINATOR).user)
    page = client.get(reverse("referrals:inbox"), {"direction": "received", "status": "awaiting"}).content.decode()
    assert "Accept ticked" in page
    response = client.post(reverse("referrals:bulk"), data, follow=True)
    assert "2 referrals accepted." in response.content.decode()
    assert sorted(Referral.objects.values_list("status", flat=True)) == ["accepted", "accepted", "sent"]
    response = client.post(reverse("referrals:bulk"), {"referrals": [str(referrals[2].pk)], "action": "decline"},
                           follow=True)  # fmt: skip
    assert "Choose why you are declining them" in response.content.decode()


def test_after_consent_withdrawal_the_receiver_keeps_the_referral_without_the_resident(
    actor_a, client_b2, shared_resident, course_b
):
    referral = refer(actor_a, shared_resident, course_b)
    consent_withdraw(actor=actor_a, consent=Consent.objects.get(purpose="sharing"), channel="verbal")
    body = client_b2.get(reverse("referrals:inbox")).content.decode()
    assert "Resident no longer shared" in body and "Margaret" not in body
    page = client_b2.get(reverse("referrals:referral-detail", args=[referral.pk])).content.decode()
    assert "Margaret" not in page and "Wants to use email" not in page
    assert client_b2.post(reverse("referrals:referral-answer", args=[referral.pk, "accept"])).status_code == 404


def test_a_coordinator_registers_a_webhook_endpoint_and_sees_its_secret_once(client, org_b, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    client.force_login(MembershipFactory(organisation=org_b, role=choices.Role.COORDINATOR).user)
    url = reverse("referrals:webhook-list")
    assert "not a local or private one" in client.post(url, {"url": "https://127.0.0.1/hook"}).content.decode()
    assert "starting with https://" in client.post(url, {"url": "http://crm.example.org/hook"}).content.decode()
    body = client.post(url, {"url": "https://crm.example.org/hooks", "description": "CRM"}).content.decode()
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in body and endpoint.organisation == org_b
    assert endpoint.secret not in client.get(url).content.decode()
    client.post(reverse("referrals:webhook-deactivate", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert not endpoint.active


def test_frontline_staff_cannot_reach_the_webhooks_page(client_b2):
    assert client_b2.get(reverse("referrals:webhook-list")).status_code == 403


def test_services_refuse_what_the_page_would_not_offer(actor_a, actor_b, shared_resident, course_b):
    referral = refer(actor_a, shared_resident, course_b)
    services.referral_accept(actor=actor_b, referral=referral)
    referral.refresh_from_db()
    assert services.referral_moves(referral, actor_b.organisation) == {"started": "start"}
    assert services.referral_moves(referral, actor_a.organisation) == {"withdrawn": "withdraw"}
