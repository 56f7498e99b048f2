"""Reminders in a real browser: a coordinator changes a reminder stage, reads the outbox, prints a letter; a
frontline worker chases an overdue loan from the loans list's worklist.

Every page visited is screenshotted into artifacts/screenshots/60-NN-... and checked with axe-core (WCAG 2.2 A and
AA), for our house style and for JavaScript errors.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from devices import services
from inclusion import choices
from inclusion.actors import Actor
from inclusion.messaging import sweeps
from inclusion.messaging.models import Message

from ..devices.factories import DeviceFactory
from ..factories import ConsentFactory, MembershipFactory, OrganisationFactory, ResidentFactory
from .test_devices_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(settings):
    settings.NOTIFY_API_KEY = ""
    alpha = OrganisationFactory(name="Alpha Council", slug="alpha", kind=choices.OrganisationKind.COUNCIL)
    frontline = MembershipFactory(organisation=alpha, role=choices.Role.FRONTLINE, user__full_name="Sam Worker")
    coordinator = MembershipFactory(organisation=alpha, role=choices.Role.COORDINATOR, user__full_name="Cat Lead")
    peter = ResidentFactory(owning_organisation=alpha, first_name="Peter", last_name="Okafor",
                            preferred_contact_method="phone")  # fmt: skip
    ConsentFactory(resident=peter, purpose=choices.ConsentPurpose.CONTACT_SMS)
    winifred = ResidentFactory(owning_organisation=alpha, first_name="Winifred", last_name="Bailey", phone="", email="")
    today = timezone.localdate()
    actor = Actor.for_membership(frontline)
    for resident, tag in ((peter, "TAB-005"), (winifred, "LAP-006")):
        services.loan_create(actor=actor, resident=resident, agreement_method="on_screen",
                             device=DeviceFactory(owning_organisation=alpha, asset_tag=tag, kind="tablet"),
                             started_on=today - datetime.timedelta(days=20), due_on=today - datetime.timedelta(days=1))  # fmt: skip
    sweeps.sweep_run(now=timezone.now() - datetime.timedelta(minutes=1), dispatch=False)
    return {"frontline": frontline, "coordinator": coordinator, "winifred": winifred}


def test_coordinator_changes_a_stage_and_prints_a_letter(page, checks, world):
    sign_in(page, world["coordinator"].user)
    expect(page.get_by_text("letters to print")).to_be_visible()
    checks("60-01-home-reminders")
    page.get_by_role("link", name="When residents are reminded").click()
    expect(page.get_by_role("heading", name="Reminder stages")).to_be_visible()
    checks("60-02-stages")
    page.get_by_role("link", name="Change the stage 7 days before").click()
    expect(page.get_by_role("heading", name="The stage 7 days before")).to_be_visible()
    page.get_by_label("Email", exact=True).check()
    checks("60-03-stage-change")
    page.get_by_role("button", name="Save the stage").click()
    expect(page.get_by_text("The stage is saved")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("7 days before.*Email.*Your organisation"))).to_be_visible()
    page.get_by_role("link", name="Add a stage").click()
    page.get_by_label("How many days after the due date?").fill("400")
    page.get_by_role("button", name="Save the stage").click()
    expect(
        page.get_by_role("link", name="Days after the due date must be a whole number between -90 and 365")
    ).to_be_visible()
    checks("60-04-stage-add-errors")
    page.goto("/messages/outbox/")
    expect(page.get_by_text("No GOV.UK Notify key is set")).to_be_visible()
    checks("60-05-outbox")
    page.get_by_role("link", name="Print the letter to Winifred Bailey").click()
    expect(page.get_by_role("heading", name="Letter to Winifred Bailey")).to_be_visible()
    checks("60-06-letter")
    page.get_by_role("button", name="Mark as posted").click()
    expect(page.get_by_text("is marked as posted")).to_be_visible()
    assert Message.objects.get(resident=world["winifred"]).status == "sent"
    checks.assert_all_clean()


def test_frontline_chases_an_overdue_loan_from_the_worklist(page, checks, world):
    sign_in(page, world["frontline"].user)
    page.goto("/devices/loans/")
    overdue = page.locator("#overdue")
    expect(overdue.get_by_text("Prefers phone call")).to_be_visible()
    expect(overdue.get_by_text("Text message reminder")).to_be_visible()
    checks("60-07-loans-worklist")
    page.get_by_role("link", name="Record a chase for TAB-005").click()
    page.get_by_label("They promised to bring it back by a date").check()
    page.get_by_role("button", name="Record the chase").click()
    expect(page.get_by_role("link", name="Enter the date they promised to bring it back by")).to_be_visible()
    checks("60-08-chase-errors")
    page.get_by_label("Spoke to them").check()
    page.get_by_label("Note (optional)").fill("Bringing it on Friday")
    page.get_by_role("button", name="Record the chase").click()
    expect(page.get_by_text("Chase recorded")).to_be_visible()
    expect(page.locator("#overdue").get_by_text("Spoke to them")).to_be_visible()
    checks("60-09-loans-after-chase")
    checks.assert_all_clean()
