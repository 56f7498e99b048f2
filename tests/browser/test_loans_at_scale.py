"""The loans page of a partner with more overdue loans than it lists: the first ones, then a link to all of
them (issue 12). Screenshotted into artifacts/screenshots/ and checked with axe-core."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from devices import services
from devices.views import loans as views
from inclusion import choices
from inclusion.actors import Actor

from ..devices.factories import DeviceFactory
from ..factories import MembershipFactory, OrganisationFactory, ResidentFactory
from .test_devices_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_loans_page_lists_the_first_overdue_and_links_to_all(page, checks, monkeypatch):
    monkeypatch.setattr(views, "SECTION_ROWS", 2)
    alpha = OrganisationFactory(name="Alpha Council", slug="alpha", kind=choices.OrganisationKind.COUNCIL)
    frontline = MembershipFactory(organisation=alpha, role=choices.Role.FRONTLINE, user__full_name="Sam Worker")
    today = timezone.localdate()
    for days in (9, 5, 2):
        services.loan_create(actor=Actor.for_membership(frontline), device=DeviceFactory(owning_organisation=alpha),
                             resident=ResidentFactory(owning_organisation=alpha), agreement_method="on_screen",
                             started_on=today - datetime.timedelta(days=30), due_on=today - datetime.timedelta(days=days))  # fmt: skip
    sign_in(page, frontline.user)
    page.goto("/devices/loans/")
    expect(page.get_by_text("9 days overdue")).to_be_visible()
    expect(page.get_by_text("2 days overdue")).to_have_count(0)
    checks("46-01-loans-first-overdue-and-see-all")
    page.get_by_role("link", name="See all 3 overdue loans").click()
    expect(page.get_by_text("2 days overdue")).to_be_visible()
    checks("46-02-loans-all-overdue")
    checks.assert_all_clean()
