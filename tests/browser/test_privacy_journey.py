"""In a real browser: a coordinator works through the retention review (an error on each field, then a confirmation
and a keep), produces a resident's subject access page, and anonymises another on request. Screenshots in
artifacts/screenshots/privacy-*.png; axe-core on each page."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inclusion import choices
from inclusion.models import CaseEvent, Resident
from inclusion.privacy.models import RetentionReview

from ..factories import MembershipFactory, OrganisationFactory, ResidentFactory
from .test_ownership_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def long_inactive(organisation, **details):
    then = timezone.now() - dt.timedelta(days=365 * 8)
    resident = ResidentFactory(owning_organisation=organisation, **details)
    Resident.objects.filter(pk=resident.pk).update(created_at=then)
    CaseEvent.objects.create(
        resident=resident, organisation=organisation, kind="note", summary="Called", occurred_at=then
    )
    return resident


def test_a_coordinator_reviews_retention_reads_subject_access_and_anonymises(page, checks):
    alpha = OrganisationFactory(name="Alpha Council", slug="alpha", kind=choices.OrganisationKind.COUNCIL)
    coordinator = MembershipFactory(organisation=alpha, role=choices.Role.COORDINATOR, user__full_name="Cora Ord")
    winifred = long_inactive(alpha, first_name="Winifred", last_name="Ashdown")
    long_inactive(alpha, first_name="Albert", last_name="Brook")
    margaret = ResidentFactory(owning_organisation=alpha, first_name="Margaret", last_name="Oduya")

    sign_in(page, coordinator.user)
    page.get_by_role("link", name=re.compile("^Retention review")).click()
    expect(page).to_have_title(re.compile("^Retention review"))
    expect(page.locator("table")).to_contain_text("Winifred Ashdown")
    checks("privacy-01-retention-review")
    page.get_by_role("link", name="Decide on Winifred Ashdown's record").click()
    page.get_by_role("button", name="Save decision").click()
    expect(page).to_have_title(re.compile("^Error: Retention review"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose whether to anonymise their record or keep it")
    checks("privacy-02-decide-nothing-chosen")
    page.get_by_label(re.compile("Keep their record")).check()
    page.get_by_role("button", name="Save decision").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why you are keeping their record")
    page.get_by_label(re.compile("Anonymise their record: remove")).check()
    page.get_by_role("button", name="Save decision").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("will be anonymised tonight")
    expect(page.locator("table").first).to_contain_text("To be anonymised tonight")
    checks("privacy-03-confirmed")
    page.get_by_role("link", name="Decide on Albert Brook's record").click()
    page.get_by_label(re.compile("Keep their record")).check()
    page.get_by_label(re.compile("Why are you keeping it")).fill("A complaint is open")
    page.get_by_role("button", name="Save decision").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("record is kept")
    assert dict(RetentionReview.objects.values_list("resident_id", "status")) == {
        winifred.pk: "confirmed", RetentionReview.objects.get(status="kept").resident_id: "kept"}  # fmt: skip

    page.goto(f"/residents/{margaret.pk}/")
    page.get_by_role("button", name="Everything we hold (subject access)").click()
    expect(page).to_have_title(re.compile("^Subject access: Margaret Oduya"))
    expect(page.locator("#part-details")).to_be_visible()
    checks("privacy-04-subject-access")
    page.get_by_role("link", name=re.compile("^Back to Margaret")).click()
    page.get_by_role("button", name="Anonymise").click()
    page.get_by_role("button", name="Anonymise their record").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why their record is being anonymised")
    checks("privacy-05-anonymise-errors")
    page.get_by_label("Why is their record being anonymised?").fill("Asked by phone to erase their data")
    page.get_by_label(re.compile("I understand")).check()
    page.get_by_role("button", name="Anonymise their record").click()
    expect(page.locator(".govuk-notification-banner").first).to_contain_text("anonymised")
    expect(page.locator("h1")).to_have_text("Anonymised resident")
    checks("privacy-06-anonymised")

    page.set_viewport_size({"width": 375, "height": 740})  # on a phone: nothing wider than the screen
    for path, name in (("/privacy/retention/", "privacy-07-retention-375"),
                       (f"/privacy/residents/{winifred.pk}/subject-access/", "privacy-08-subject-access-375"),
                       (f"/privacy/retention/{winifred.pk}/", "privacy-09-decide-375")):  # fmt: skip
        page.goto(path)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375, path
        checks(name)
    checks.assert_all_clean()
