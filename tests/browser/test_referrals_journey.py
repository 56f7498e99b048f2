"""Referrals in a real browser: Alpha's frontline worker refers a resident to Beta's course from the resident's
page (seeing why it fits); Beta's worker finds it in the inbox, accepts it, records the start, then completion
with the outcome against the registration baseline; Alpha sees the outcome; Beta no longer sees the resident.

Every page visited is screenshotted into artifacts/screenshots/60-NN-... and checked with axe-core (WCAG 2.2 A and
AA), for our house style and for JavaScript errors.
"""

import re

import pytest
from playwright.sync_api import expect

from inclusion import choices
from referrals.models import Outcome, Referral

from ..factories import ConsentFactory, MembershipFactory, OrganisationFactory, ResidentFactory
from ..referrals.factories import ServiceFactory, ServiceLocationFactory
from .test_devices_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    alpha = OrganisationFactory(name="Alpha Council", slug="alpha", kind=choices.OrganisationKind.COUNCIL)
    beta = OrganisationFactory(name="Beta Library", slug="beta", kind=choices.OrganisationKind.LIBRARY)
    alpha_worker = MembershipFactory(organisation=alpha, role=choices.Role.FRONTLINE, user__full_name="Sam Worker")
    beta_worker = MembershipFactory(organisation=beta, role=choices.Role.FRONTLINE, user__full_name="Tom Walker")
    margaret = ResidentFactory(owning_organisation=alpha, first_name="Margaret", last_name="Oduya", postcode="WV1 1AA",
                               needs_skills=True, eds_foundation="with_help", eds_communicating="cannot")  # fmt: skip
    ConsentFactory(resident=margaret, purpose="sharing")
    course = ServiceFactory(organisation=beta, name="Get online: first steps", skill_areas=["foundation", "communicating"],
                            schedule_description="Tuesdays, 10am to 12 noon")  # fmt: skip
    ServiceLocationFactory(service=course)
    ServiceFactory(organisation=beta, name="Online safety workshop", skill_areas=["being_safe"])
    return {"alpha_worker": alpha_worker, "beta_worker": beta_worker, "margaret": margaret}


def sign_out(page):
    page.get_by_role("navigation", name="Menu").get_by_role("button", name="Sign out").click()


def test_refer_then_the_receiver_accepts_starts_and_completes_with_outcomes(page, checks, world):
    margaret = world["margaret"]
    sign_in(page, world["alpha_worker"].user)
    page.goto(f"/residents/{margaret.pk}/")
    expect(page.get_by_role("heading", name="Referrals", exact=True)).to_be_visible()
    page.get_by_role("button", name="Refer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Refer to another partner")
    course = page.get_by_label("Get online: first steps, Beta Library")
    expect(course).to_be_visible()
    hint = page.locator(f"#{course.get_attribute('aria-describedby')}")
    expect(hint).to_contain_text("Margaret wants skills help")
    expect(hint).to_contain_text(
        "Covers what their skills baseline says they need help with: foundation skills, communicating"
    )
    expect(hint).to_contain_text("Runs in WV1, where they live")
    checks("60-01-refer-choose-service")

    # Nothing chosen: the errors link to their inputs.
    page.get_by_role("button", name="Send the referral").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="Choose a service").click()
    expect(course).to_be_focused()
    checks("60-02-refer-errors")

    course.check()
    page.get_by_label("Digital skills").check()
    page.get_by_label("Why are you referring them?").fill("Wants to email her grandchildren in Leeds")
    page.get_by_label("Routine").check()
    page.get_by_label("2", exact=True).check()
    page.get_by_role("button", name="Send the referral").click()
    expect(page.locator(".govuk-notification-banner, .govuk-notification-banner--success").first).to_contain_text(
        "Referral sent to Get online: first steps at Beta Library"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral to Get online: first steps")
    expect(page.get_by_text("Sent, awaiting a response")).to_be_visible()
    checks("60-03-referral-sent")
    referral = Referral.objects.get()
    sign_out(page)

    # Beta: the home page counts it; the inbox lists it.
    sign_in(page, world["beta_worker"].user)
    figures = page.get_by_role("heading", name="Referrals", exact=True).locator("xpath=following-sibling::div[1]")
    expect(figures).to_contain_text("1 received, awaiting your answer")
    checks("60-04-home-referral-figures")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Referrals", exact=True).click()
    expect(page.get_by_role("table")).to_contain_text("Alpha Council")
    checks("60-05-inbox-received")
    page.get_by_role("link", name="Margaret Oduya").click()
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accept the referral")
    checks("60-06-accept")
    page.get_by_label("Note (optional)").fill("Booked on the course starting Tuesday")
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("Accepted", exact=True)).to_be_visible()

    page.get_by_label("Send a message to the other organisation").fill("Does Margaret need a large-print handout?")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_text("Does Margaret need a large-print handout?")).to_be_visible()
    checks("60-07-referral-accepted-with-message")

    page.get_by_role("button", name="Record that they have started").click()
    page.get_by_role("button", name="Record that they have started").click()
    expect(page.get_by_text("Started", exact=True)).to_be_visible()

    page.get_by_role("button", name="Record completion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record completion and outcomes")
    foundation = page.get_by_role("group", name=re.compile("^Foundation skills"))
    expect(foundation).to_contain_text("At registration: can do this with help")
    checks("60-08-outcome-form")
    foundation.get_by_label("Can do this on their own").check()
    page.get_by_role("group", name="Communicating").get_by_label("Can do this with help").check()
    page.get_by_role("group", name=re.compile("^How confident")).get_by_label("4", exact=True).check()
    page.get_by_label("Got online independently").check()
    page.get_by_label("Feels less isolated").check()
    page.get_by_role("button", name="Record completion").click()
    expect(page.get_by_text("Completed: outcomes recorded.")).to_be_visible()
    expect(page.get_by_text("Not shared with you now")).to_be_visible()
    expect(page.get_by_text("Got online independently, Feels less isolated")).to_be_visible()
    checks("60-09-completed-receiver")
    outcome = Outcome.objects.get(referral=referral)
    assert (outcome.eds_foundation, outcome.eds_communicating, outcome.confidence) == ("independent", "with_help", 4)
    assert page.request.get(f"/residents/{margaret.pk}/").status == 404  # no longer shared with Beta
    sign_out(page)

    # Alpha sees the whole story and the outcome; the timeline has each step.
    sign_in(page, world["alpha_worker"].user)
    page.goto(f"/referrals/{referral.pk}/")
    expect(page.get_by_text("4 out of 5 (was 2)")).to_be_visible()
    expect(page.locator(".app-timeline")).to_contain_text("4. Complete by Beta Library")
    checks("60-10-completed-referrer")
    page.goto(f"/residents/{margaret.pk}/")
    expect(page.locator("#referrals").locator("xpath=following-sibling::table[1]")).to_contain_text("Completed")
    checks("60-11-resident-page-referrals")

    # Eight weeks on, Alpha asks Margaret again and records the outcome at follow-up, once.
    page.goto(f"/referrals/{referral.pk}/")
    page.get_by_role("link", name="Record the outcome at follow-up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record the outcome at follow-up")
    foundation = page.get_by_role("group", name=re.compile("^Foundation skills"))
    expect(foundation).to_contain_text("At completion: can do this on their own")
    checks("60-12-follow-up-form")
    foundation.get_by_label("Can do this on their own").check()
    page.get_by_role("group", name=re.compile("^How confident")).get_by_label("5: very confident").check()
    page.get_by_label("Applied for work or training").check()
    page.get_by_role("button", name="Record the follow-up").click()
    expect(page.get_by_text("Follow-up outcome recorded.")).to_be_visible()
    expect(page.get_by_role("heading", name="Outcome at follow-up (6 to 12 weeks later)")).to_be_visible()
    expect(page.get_by_role("link", name="Record the outcome at follow-up")).to_have_count(0)
    checks("60-13-follow-up-recorded")
    assert Outcome.objects.get(referral=referral, stage="follow_up").applied_for_work_or_training
    checks.assert_all_clean()


def test_a_coordinator_answers_in_bulk_declines_one_and_registers_a_webhook(page, checks, world, settings):
    from inclusion.actors import Actor
    from referrals.services import referral_create

    from ..factories import ResidentFactory as Resident

    alpha_actor = Actor.for_membership(world["alpha_worker"])
    beta = world["beta_worker"].organisation
    course = beta.services.get(name="Get online: first steps")
    people = [world["margaret"]] + [Resident(owning_organisation=alpha_actor.organisation, first_name=name,
                                             last_name="Bello") for name in ("Ada", "Ben")]  # fmt: skip
    for person in people[1:]:
        ConsentFactory(resident=person, purpose="sharing")
    referrals = [referral_create(actor=alpha_actor, resident=person, service=course, need="skills",
                                 reason="Wants to get online") for person in people]  # fmt: skip
    coordinator = MembershipFactory(organisation=beta, role=choices.Role.COORDINATOR, user__full_name="Cat Lead")
    sign_in(page, coordinator.user)
    page.goto("/referrals/?direction=received&status=awaiting")
    page.get_by_label("Choose the referral sent", exact=False).first.check()
    page.get_by_label("Choose the referral sent", exact=False).nth(1).check()
    checks("60-12-inbox-bulk")
    page.get_by_role("button", name="Accept ticked").click()
    expect(page.get_by_text("2 referrals accepted.")).to_be_visible()
    assert sorted(Referral.objects.values_list("status", flat=True)) == ["accepted", "accepted", "sent"]
    remaining = Referral.objects.get(status="sent")
    page.goto(f"/referrals/{remaining.pk}/decline/")
    page.get_by_role("button", name="Decline the referral").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose why you are declining it")
    checks("60-13-decline-errors")
    page.get_by_label("No capacity").check()
    page.get_by_label("Note (optional)").fill("The course is full until January")
    page.get_by_role("button", name="Decline the referral").click()
    expect(page.get_by_text("Declined", exact=True)).to_be_visible()

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    page.goto("/referrals/webhooks/")
    page.get_by_label("Address of your system").fill("https://crm.beta-library.example.org/hooks/referrals")
    page.get_by_role("button", name="Add the endpoint").click()
    expect(page.get_by_role("heading", name="Signing secret")).to_be_visible()
    checks("60-14-webhooks")
    # An event that failed for good is in the log with "Send again".
    from referrals.models import WebhookDelivery
    from referrals.services import referral_withdraw

    referral_withdraw(actor=alpha_actor, referral=referrals[0])
    WebhookDelivery.objects.update(status="failed", attempts=8, last_status_code=503,
                                   last_error="HTTP 503: Service Unavailable")  # fmt: skip
    page.goto("/referrals/webhooks/")
    page.get_by_role("button", name="Send again event 3").click()
    expect(page.get_by_text("Event 3 of the referral will be sent again now.")).to_be_visible()
    assert WebhookDelivery.objects.get().status == "pending"
    checks("60-15-webhook-log")
    assert len(referrals) == 3
    checks.assert_all_clean()


def test_referral_pages_fit_a_phone(page, checks, world):
    from inclusion.actors import Actor
    from referrals import services
    from referrals.webhooks import webhook_endpoint_create

    from .test_phone_width import PHONE

    beta = world["beta_worker"].organisation
    course = beta.services.get(name="Get online: first steps")
    referral = services.referral_create(actor=Actor.for_membership(world["alpha_worker"]), resident=world["margaret"],
                                        service=course, need="skills", reason="Wants to email her grandchildren")  # fmt: skip
    coordinator = MembershipFactory(organisation=beta, role=choices.Role.COORDINATOR)
    beta_actor = Actor.for_membership(coordinator)
    services.referral_accept(actor=beta_actor, referral=referral)
    services.referral_start(actor=beta_actor, referral=referral)
    webhook_endpoint_create(actor=beta_actor, url="https://crm.beta-library.example.org/hooks/referrals")
    services.referral_message_add(actor=beta_actor, referral=referral, body="Doing well: she sent her first email")
    sign_in(page, coordinator.user)
    page.set_viewport_size(PHONE)
    problems = []
    for name, url in {
        "inbox": "/referrals/?direction=received&status=all",
        "inbox-bulk": "/referrals/?direction=received&status=awaiting",
        "referral": f"/referrals/{referral.pk}/",
        "outcome-form": f"/referrals/{referral.pk}/complete/",
        "refer": f"/referrals/residents/{world['margaret'].pk}/refer/",
        "webhooks": "/referrals/webhooks/",
    }.items():
        response = page.goto(url)
        if response.status == 404:  # (Beta sees Alpha's resident while the referral is open, so may refer them on)
            problems.append(f"{name} ({url}) is 404")
            continue
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        checks(f"60-phone-{name}")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{name} ({url}) is {width} px wide")
    assert not problems, "\n".join(problems)
    checks.assert_all_clean()
