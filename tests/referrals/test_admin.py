"""The Django admin of referrals: administrators read a referral with its history and outcomes and the partners'
webhook endpoints, and change nothing (a referral's status moves only through referrals/services.py); the messages
between partners and a webhook's secret are not shown."""

import pytest
from django.urls import reverse

from inclusion.models import User
from referrals import services
from referrals.models import Referral, ReferralStatus, WebhookEndpoint

from .factories import refer

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin@example.org", "correct-horse-battery", full_name="Ada"))
    return client


def test_a_referral_is_shown_with_its_history_and_cannot_be_changed_added_or_deleted(
    admin_client, actor_a, coordinator_b, shared_resident, course_b
):
    referral = refer(actor_a, shared_resident, course_b)
    services.referral_accept(actor=coordinator_b, referral=referral, note="We will call on Monday")
    listing = admin_client.get(reverse("admin:referrals_referral_changelist"))
    assert listing.status_code == 200 and "Beta&#x27;s Get Online course" in listing.content.decode()

    page = admin_client.get(reverse("admin:referrals_referral_change", args=[referral.pk])).content.decode()
    assert [e.action for e in referral.events.order_by("sequence")] == ["send", "accept"]
    history = page[page.index('id="events-group"') : page.index('id="outcomes-group"')]
    assert "send" in history and "accept" in history and "Accepted" in history  # the history, in order
    assert "We will call on Monday" not in page  # notes between the partners stay theirs
    assert 'name="status"' not in page and "Save" not in page  # nothing to submit
    changed = admin_client.post(reverse("admin:referrals_referral_change", args=[referral.pk]),
                                {"status": ReferralStatus.COMPLETED})  # fmt: skip
    assert changed.status_code == 403
    assert admin_client.get(reverse("admin:referrals_referral_add")).status_code == 403
    deleted = admin_client.post(reverse("admin:referrals_referral_delete", args=[referral.pk]), {"post": "yes"})
    assert deleted.status_code == 403
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED and Referral.objects.count() == 1


def test_a_webhook_endpoints_secret_is_never_shown(admin_client, org_b):
    endpoint = WebhookEndpoint.objects.create(organisation=org_b, url="https://partner.example/hook",
                                              secret="very-secret-signing-key-0123456789")  # fmt: skip
    listing = admin_client.get(reverse("admin:referrals_webhookendpoint_changelist")).content.decode()
    page = admin_client.get(reverse("admin:referrals_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    assert "https://partner.example/hook" in listing and "https://partner.example/hook" in page
    assert endpoint.secret not in listing and endpoint.secret not in page
