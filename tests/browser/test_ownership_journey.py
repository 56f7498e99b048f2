"""In a real browser: a partner that a referral links to another organisation's resident proposes new
contact details (it cannot edit them), and the owner's member of staff accepts the proposal from the
resident's page, then sees who changed what in the field history. Screenshots in artifacts/screenshots/ownership-*.png; axe-core on each page."""

import re

import pytest
from playwright.sync_api import expect

from inclusion import choices
from inclusion.actors import Actor
from inclusion.services import consent_record
from referrals.services import referral_create

from ..factories import MembershipFactory, OrganisationFactory, ResidentFactory
from ..referrals.factories import ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # what UserFactory sets


def sign_in(page, user):
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(re.compile("^Home"))


def test_a_partner_proposes_new_contact_details_and_the_owner_accepts_them(page, checks):
    alpha = OrganisationFactory(name="Alpha Council", slug="alpha", kind=choices.OrganisationKind.COUNCIL)
    beta = OrganisationFactory(name="Beta Library", slug="beta", kind=choices.OrganisationKind.LIBRARY)
    owner = MembershipFactory(organisation=alpha, user__full_name="Ola Owner")
    partner = MembershipFactory(organisation=beta, user__full_name="Pat Partner")
    resident = ResidentFactory(owning_organisation=alpha, first_name="Margaret", last_name="Oduya",
                               email="margaret@example.com")  # fmt: skip
    consent_record(actor=Actor.for_membership(owner), resident=resident, purpose="sharing", channel="paper")
    referral_create(actor=Actor.for_membership(owner), resident=resident, service=ServiceFactory(organisation=beta),
                    need="skills", reason="Wants to learn email")  # fmt: skip

    sign_in(page, partner.user)
    page.goto(f"/residents/{resident.pk}/")
    expect(page.get_by_role("link", name="Edit details")).to_have_count(0)
    page.get_by_role("button", name="Propose new contact details").click()
    expect(page).to_have_title(re.compile("^Propose new contact details"))
    checks("ownership-01-propose")
    page.get_by_role("button", name="Send the proposal").click()  # nothing changed
    expect(page).to_have_title(re.compile("^Error: Propose new contact details"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("differs from what they have now")
    checks("ownership-02-nothing-changed")
    page.get_by_label("Email address").fill("maggie.oduya@example.org")
    page.get_by_role("button", name="Send the proposal").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Your proposal is sent to Alpha")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, owner.user)
    page.goto(f"/residents/{resident.pk}/")
    card = page.locator(".govuk-summary-card", has_text="From Beta Library")
    expect(card).to_contain_text("maggie.oduya@example.org")
    expect(card).to_contain_text("Now: margaret@example.com")
    checks("ownership-03-owner-sees-the-proposal")
    card.get_by_role("button", name=re.compile("^Accept")).click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Their contact details are updated")
    expect(page.locator("#timeline")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Accepted Beta Library's proposed email")
    checks("ownership-04-accepted")
    # The field history (inclusion/audit.py): the change, who made it, the value before and after.
    page.get_by_text("Show who changed what").click()
    history = page.locator(".app-field-history li").first
    expect(history).to_contain_text("Ola Owner (Alpha Council)")
    row = history.get_by_role("row", name=re.compile("^Email "))
    expect(row.get_by_role("cell").nth(0)).to_have_text("margaret@example.com")
    expect(row.get_by_role("cell").nth(1)).to_have_text("maggie.oduya@example.org")
    checks("ownership-05-field-history")
    checks.assert_all_clean()
