"""The service directory in a real browser: a coordinator adds a course (with a mistake to correct first),
then frontline staff at another partner search the directory by skill area, place and day and open it.

Every page visited is screenshotted into artifacts/screenshots/60-NN-... and checked with axe-core (WCAG 2.2 A
and AA), for our house style and for JavaScript errors.
"""

import re

import pytest
from playwright.sync_api import expect

from inclusion import choices
from referrals.directory.models import Service

from ..factories import MembershipFactory, OrganisationFactory
from ..referrals.directory.factories import ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # what UserFactory sets


@pytest.fixture
def world():
    library = OrganisationFactory(name="Central Library", slug="library", kind=choices.OrganisationKind.LIBRARY)
    works = OrganisationFactory(name="Black Country Works", slug="works")
    coordinator = MembershipFactory(organisation=library, role=choices.Role.COORDINATOR, user__full_name="Cat Lead")
    frontline = MembershipFactory(organisation=works, role=choices.Role.FRONTLINE, user__full_name="Sam Worker")
    ServiceFactory(organisation=works, name="Laptops for job seekers", kind="lending_point", skill_areas=[],
                   days=["MO"], place="WV10 6QR")  # fmt: skip
    ServiceFactory(organisation=works, name="Online banking made easy", delivery="online",
                   skill_areas=["transacting"], days=["WE"])  # fmt: skip
    return {"coordinator": coordinator, "frontline": frontline}


def sign_in(page, user):
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(re.compile("^Home"))


def test_coordinator_adds_a_course_and_frontline_staff_find_it(page, checks, world, browser):
    sign_in(page, world["coordinator"].user)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Services", exact=True).click()
    expect(page.get_by_role("heading", name="Service directory")).to_be_visible()
    checks("60-01-directory-coordinator")
    page.get_by_role("button", name="Add a service").click()
    expect(page.get_by_role("heading", name="Add a service")).to_be_visible()
    checks("60-02-add-service-empty")

    page.get_by_label("Name of the service").fill("Get online: computer basics")
    page.get_by_label("Description").fill("Email, video calls and staying safe online, for people new to it.")
    page.get_by_label("Digital skills course").check()
    page.get_by_label("Communicating").check()
    page.get_by_label("Being safe and legal online").check()
    page.get_by_label("Beginners: new to the internet").check()
    page.get_by_role("group", name="How is it delivered?").get_by_label("In person", exact=True).check()
    page.get_by_label("Address line 1").fill("Snow Hill")
    page.get_by_label("Town or city").fill("Wolverhampton")
    page.get_by_label("Postcode").fill("WV99 ZZZ")  # a mistake
    page.get_by_label("Tuesday").check()
    page.get_by_label("Start time (optional)").fill("10am")
    page.get_by_label("Finish time (optional)").fill("12pm")
    page.get_by_label("Places per course or session (optional)").fill("8")
    page.get_by_role("button", name="Add the service").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter a real UK postcode, like WV1 1AA")
    checks("60-03-add-service-error")
    summary.get_by_role("link", name="Enter a real UK postcode, like WV1 1AA").click()
    expect(page.get_by_label("Postcode")).to_be_focused()
    page.get_by_label("Postcode").fill("wv1 3ax")
    page.get_by_role("button", name="Add the service").click()
    expect(page.get_by_role("heading", name="Get online: computer basics")).to_be_visible()
    expect(page.get_by_text("Get online: computer basics is in the directory.")).to_be_visible()
    expect(page.get_by_text("WV1 3AX")).to_be_visible()
    checks("60-04-service-page-coordinator")
    assert Service.objects.get(name="Get online: computer basics").locations.get().postcode_district == "WV1"

    # Frontline staff at another partner search for it, from a fresh session.
    context = browser.new_context(base_url=page.url.split("/directory")[0], viewport={"width": 1280, "height": 900},
                                  locale="en-GB", timezone_id="Europe/London")  # fmt: skip
    other = context.new_page()
    other.set_default_timeout(5_000)
    from tests.browser.helpers import PageChecks

    other_checks = PageChecks(other)
    sign_in(other, world["frontline"].user)
    other.get_by_role("navigation", name="Menu").get_by_role("link", name="Services", exact=True).click()
    expect(other.get_by_role("button", name="Add a service")).to_have_count(0)
    expect(other.get_by_role("heading", name="3 services")).to_be_visible()
    other.get_by_label("Skill area").select_option(label="Communicating")
    other.get_by_label("Postcode or district").fill("WV1 1AA")
    other.get_by_label("Day").select_option(label="Tuesday")
    other.get_by_role("button", name="Search the directory").click()
    expect(other.get_by_role("heading", name="1 service found")).to_be_visible()
    other_checks("60-05-directory-search-results")
    other.get_by_label("Postcode or district").fill("Wolverhampton")
    other.get_by_role("button", name="Search the directory").click()
    expect(other.locator(".govuk-error-summary")).to_contain_text("Enter a postcode or the first part of one")
    other_checks("60-06-directory-search-error")
    other.get_by_label("Postcode or district").fill("WV1")
    other.get_by_role("button", name="Search the directory").click()
    other.get_by_role("link", name="Get online: computer basics").click()
    expect(other.get_by_role("heading", name="Get online: computer basics")).to_be_visible()
    expect(other.get_by_text("Central Library", exact=True).first).to_be_visible()
    expect(other.get_by_role("link", name="Edit the details")).to_have_count(0)
    other_checks("60-07-service-page-frontline")
    context.close()
    checks.assert_all_clean()
    other_checks.assert_all_clean()


def test_coordinator_imports_services_from_a_spreadsheet(page, checks, world, tmp_path):
    from ..referrals.directory.test_imports import GOOD, csv_bytes

    bad = tmp_path / "services.csv"
    bad.write_bytes(csv_bytes([*GOOD, ["", "No name", "Cooking class", "", "", "", "", "", "", "", "", "", "", ""]]))
    good = tmp_path / "services-fixed.csv"
    good.write_bytes(csv_bytes(GOOD))

    sign_in(page, world["coordinator"].user)
    page.goto("/directory/ours/")
    checks("60-10-our-services")
    page.get_by_role("link", name="Import from a spreadsheet").click()
    expect(page.get_by_role("heading", name="Import services")).to_be_visible()
    checks("60-11-import")
    page.get_by_label("Upload a file").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Fix the problems in the file")).to_be_visible()
    expect(page.get_by_role("table", name="2 problems")).to_contain_text("“Cooking class” is not a kind we know")
    checks("60-12-import-problems")
    page.get_by_role("link", name="Upload a corrected file").click()
    page.get_by_label("Upload a file").set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Check the services before you import them")).to_be_visible()
    checks("60-13-import-preview")
    page.get_by_role("button", name="Import 3 services").click()
    expect(page.get_by_text("3 services imported from services-fixed.csv.")).to_be_visible()
    expect(page.get_by_role("link", name="Tablet lending")).to_be_visible()
    checks("60-14-imported")
    assert Service.objects.filter(organisation=world["coordinator"].organisation).count() == 3
    checks.assert_all_clean()
