"""Reminder stages are data: the scheme's defaults, an organisation's own replacing them, the coordinator's page."""

import pytest
from django.urls import reverse

from inclusion import choices
from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.messaging import stages
from inclusion.messaging.models import Stage
from inclusion.models import AuditEvent
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def offsets(items):
    return [(item.stage.offset_days, item.stage.template, item.own) for item in items]


def test_scheme_defaults_are_7_and_1_days_before_the_day_and_1_7_14_after(org_a):
    found = stages.stages_for(org_a)
    assert [item.stage.offset_days for item in found] == [-7, -1, 0, 1, 7, 14]
    final = found[-1].stage
    assert final.escalates_to_staff and final.blocks_new_loans
    assert not any(item.own for item in found)


def test_an_organisations_own_stage_replaces_the_default_for_it_only(org_a, org_b):
    coordinator = MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR)
    stages.stage_save(actor=Actor.for_membership(coordinator), offset_days=-7, channel="email",
                      template="loan_due_soon", active=False)  # fmt: skip
    stages.stage_save(actor=Actor.for_membership(coordinator), offset_days=3, channel="sms", template="loan_overdue")
    mine = {item.stage.offset_days: item for item in stages.stages_for(org_a)}
    assert mine[-7].own and not mine[-7].stage.active and mine[-7].stage.channel == "email"
    assert mine[3].own and mine[3].default is None
    assert [item.stage.offset_days for item in stages.stages_for(org_b)] == [-7, -1, 0, 1, 7, 14]
    assert Stage.objects.filter(organisation__isnull=True).count() == 6
    audit = AuditEvent.objects.filter(action="reminder_stage.update").order_by("occurred_at").first()
    assert audit.before == {"channel": "preferred", "active": True} and audit.after == {
        "channel": "email",
        "active": False,
    }


def test_reset_brings_back_the_default(org_a):
    actor = Actor.for_membership(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR))
    stages.stage_save(actor=actor, offset_days=1, channel="letter", template="loan_overdue")
    stages.stage_reset(actor=actor, offset_days=1)
    assert stages.stage_for(org_a, 1).stage.organisation_id is None
    with pytest.raises(DomainError):
        stages.stage_reset(actor=actor, offset_days=1)


def test_a_stage_telling_nobody_is_refused(org_a):
    actor = Actor.for_membership(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR))
    with pytest.raises(DomainError) as refused:
        stages.stage_save(actor=actor, offset_days=2, channel="none", template="loan_overdue")
    assert refused.value.field == "channel"


def test_coordinator_changes_a_stage_before_the_due_date_on_the_page(client, org_a):
    coordinator = MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR)
    client.force_login(coordinator.user)
    page = client.get(reverse("messaging:stage-list"))
    assert page.status_code == 200 and "7 days before" in page.content.decode()
    url = reverse("messaging:stage-edit", kwargs={"offset": -7})
    assert url.endswith("/stages/-7/")
    response = client.post(url, {"template": "loan_due_soon", "channel": "sms", "active": "on"})
    assert response.status_code == 302
    assert Stage.objects.get(organisation=org_a, offset_days=-7).channel == "sms"


def test_the_add_form_says_what_is_wrong(client, org_a):
    client.force_login(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR).user)
    response = client.post(reverse("messaging:stage-add"), {"offset_days": "400", "channel": "sms"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "Days after the due date must be a whole number between -90 and 365" in text
    assert "Choose what the message says" in text


def test_frontline_staff_see_the_stages_but_cannot_change_them(client_a):
    assert "Change" not in client_a.get(reverse("messaging:stage-list")).content.decode()
    assert client_a.get(reverse("messaging:stage-edit", kwargs={"offset": 0})).status_code == 403
    assert client_a.post(reverse("messaging:stage-add"), {"offset_days": "3"}).status_code == 403
