"""The report page in a real browser (Debian's Chromium): a viewer opens it from the home page, chooses the
whole scheme, then a range of days of their own figures. Each page is screenshotted into
artifacts/screenshots/80-...png and checked with axe-core (WCAG 2.2 A and AA), our house style and for
JavaScript errors."""

import pytest
from playwright.sync_api import expect

from inclusion import choices

from ..factories import MembershipFactory
from ..reports.conftest import world  # noqa: F401  (the hand-computed month of tests/reports/)
from .test_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# A report is a few seconds' work on a busy 2-core machine (and issuing one draws a PDF): wait for it.
SLOW = 60_000


@pytest.fixture
def patient(page):
    page.set_default_timeout(SLOW)
    return page


def test_a_viewer_reads_the_report_with_charts_beside_their_tables(patient, checks, world):  # noqa: F811
    page = patient
    viewer = MembershipFactory(organisation=world["a"], role=choices.Role.VIEWER)
    sign_in(page, viewer.user)
    expect(page.get_by_text("Last month at a glance")).to_be_visible()
    checks("80-home-viewer-headlines")

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Reports").click()
    page.get_by_label("Which month", exact=True).select_option("2026-03")
    page.get_by_role("button", name="Show the report").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Monthly impact report: March 2026", timeout=SLOW)
    gender = page.get_by_role("table", name="Residents supported by gender")
    expect(gender).to_contain_text("Woman")
    expect(page.get_by_role("img", name="Residents supported by gender")).to_be_visible()
    checks("81-report-own-organisation")

    page.get_by_label("Whose figures", exact=True).select_option("scheme")
    page.get_by_role("button", name="Show the report").click()
    expect(page.get_by_text("Counts from 1 to 4 are shown as <5")).to_be_visible(timeout=SLOW)
    checks("82-report-whole-scheme")

    page.get_by_label("Whose figures", exact=True).select_option("scheme")
    page.locator("#id_start_0").fill("1")
    page.locator("#id_start_1").fill("3")
    page.locator("#id_start_2").fill("2026")
    page.locator("#id_end_0").fill("7")
    page.locator("#id_end_1").fill("3")
    page.locator("#id_end_2").fill("2026")
    page.get_by_role("button", name="Show the report").click()
    expect(page.get_by_role("link", name="A range of days is for your own organisation's figures")).to_be_visible(
        timeout=SLOW
    )
    checks("83-report-range-refused")
    checks.assert_all_clean()


def test_a_coordinator_issues_a_month_and_reads_it_as_issued(patient, checks, world):  # noqa: F811
    page = patient
    coordinator = MembershipFactory(organisation=world["a"], role=choices.Role.COORDINATOR)
    sign_in(page, coordinator.user)
    page.goto("/reports/issued/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports as issued")
    checks("84-issued-reports-empty")
    page.get_by_role("radio", name="Alpha Council (your organisation's own figures)").check()
    page.get_by_label("Which month", exact=True).select_option("2026-03")
    page.get_by_role("button", name="Issue the report").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Monthly impact report: March 2026", timeout=SLOW)
    expect(page.get_by_text("as issued (version 1)")).to_be_visible()
    checks("85-issued-report")
    page.get_by_role("link", name="Back to the issued reports").click()
    page.get_by_role("radio", name="Alpha Council (your organisation's own figures)").check()
    page.get_by_label("Which month", exact=True).select_option("2026-03")
    page.get_by_role("button", name="Issue the report").click()
    expect(page.get_by_role("link", name="Say why the report is issued again")).to_be_visible(timeout=SLOW)
    checks("86-issue-again-needs-a-reason")
    checks.assert_all_clean()


def test_the_report_on_the_demo_data_has_something_in_every_chart(patient, checks):
    """The demo (manage.py load_demo) as a funder's viewer sees it: last month's whole-scheme report, every chart
    drawn, small numbers suppressed. Screenshotted as 84-report-demo-scheme."""
    from io import StringIO

    from django.core.management import call_command

    from inclusion.models import Organisation

    page = patient
    call_command("load_demo", stdout=StringIO())
    viewer = MembershipFactory(
        organisation=Organisation.objects.get(slug="wolverhampton-council"), role=choices.Role.VIEWER
    )
    sign_in(page, viewer.user)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Reports").click()
    page.get_by_label("Whose figures", exact=True).select_option("scheme")
    page.get_by_role("button", name="Show the report").click()
    expect(page.get_by_text("Counts from 1 to 4 are shown as <5")).to_be_visible(timeout=SLOW)
    expect(page.get_by_role("img", name="Residents supported by gender")).to_be_visible()
    assert page.locator(".app-chart").count() >= 10  # inline SVG here; an <img> of it on main (report_tags)
    checks("84-report-demo-scheme")
    checks.assert_all_clean()
