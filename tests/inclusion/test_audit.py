"""Changes with no resident keep a history too: who, when, what, before and after (inclusion.events.audit_record)."""

import pytest
from django.urls import reverse

from devices import services as devices
from inclusion import services
from inclusion.models import AuditEvent, Membership

from ..factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_a_loan_policy_change_keeps_the_values_before_and_after(actor_a, staff_a):
    devices.loan_policy_update(actor=actor_a, default_length_days=42, extension_days=14)
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.organisation) == ("loan_policy.update", staff_a.user, staff_a.organisation)
    assert (event.before, event.after) == ({"default_length_days": 28}, {"default_length_days": 42})
    devices.loan_policy_update(actor=actor_a, default_length_days=42)  # nothing changed: nothing recorded
    assert AuditEvent.objects.count() == 1


def test_reading_the_policy_writes_nothing(org_a):
    assert devices.loan_policy_for(org_a).default_length_days == 28
    assert not devices.LoanPolicy.objects.exists()


def test_deactivating_a_membership_and_keys_made_and_revoked_are_recorded(org_a, actor_a, staff_a):
    other = MembershipFactory(organisation=org_a)
    services.membership_deactivate(membership=other, actor=actor_a)
    api_key, _ = services.api_key_create(organisation=org_a, name="CRM", actor=actor_a)
    services.api_key_revoke(api_key=api_key, actor=actor_a)
    assert list(AuditEvent.objects.order_by("id").values_list("action", "object_id", "after")) == [
        ("membership.deactivate", str(other.pk), {"active": False}),
        ("api_key.create", str(api_key.pk), {"name": "CRM", "prefix": api_key.prefix}),
        ("api_key.revoke", str(api_key.pk), {"revoked": True}),
    ]
    assert not Membership.objects.get(pk=other.pk).active


def test_administrators_read_the_audit_events_and_cannot_change_them(client, org_a, actor_a):
    from inclusion.models import User

    devices.loan_policy_update(actor=actor_a, max_extensions=3)
    admin = User.objects.create_superuser("admin@example.org", "correct-horse-battery", full_name="Ada Admin")
    client.force_login(admin)
    listing = client.get(reverse("admin:inclusion_auditevent_changelist"))
    assert listing.status_code == 200 and "loan_policy.update" in listing.content.decode()
    event = AuditEvent.objects.get()
    assert (
        client.post(reverse("admin:inclusion_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()
