"""The report page, its downloads read back, and the headline figures on the home page."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from inclusion import choices

from ..factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db
MARCH = {"scope": "own", "month": "2026-03"}


def login(client, organisation, role=choices.Role.VIEWER):
    client.force_login(MembershipFactory(organisation=organisation, role=role).user)
    return client


def test_a_viewer_sees_the_report_with_definitions_and_a_chart_beside_each_table(client, world):
    page = login(client, world["a"]).get(reverse("reports:report"), MARCH)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Monthly impact report: March 2026" in body and "Alpha Council" in body
    assert "Loans that started in the period." in body  # the definition beside the figure
    # Each chart is an image of its SVG (whose own styles the page's CSP would refuse inline), titled in its alt.
    assert body.count('<img class="app-chart" src="data:image/svg+xml;base64,') >= 10
    assert 'alt="Residents supported by gender"' in body and "<svg" not in body
    assert "Residents supported by gender" in body and "Shown in full" in body


def test_the_page_opens_on_last_month_for_your_own_organisation(client, world):
    body = login(client, world["a"]).get(reverse("reports:report")).content.decode()
    assert "Alpha Council" in body and "Monthly impact report" in body


def test_frontline_staff_may_not_see_reports(client, world):
    response = login(client, world["a"], choices.Role.FRONTLINE).get(reverse("reports:report"), MARCH)
    assert response.status_code == 403 and "coordinators, viewers and administrators" in response.content.decode()


def test_another_partners_figures_are_suppressed_for_the_scheme_and_not_offered_by_name(client, world):
    viewer = login(client, world["b"])
    body = viewer.get(reverse("reports:report"), {"scope": "scheme", "month": "2026-03"}).content.decode()
    assert "Counts from 1 to 4 are shown as &lt;5" in body and "&lt;5" in body
    refused = viewer.get(reverse("reports:report"), {"scope": "org:alpha", "month": "2026-03"}).content.decode()
    assert "Choose whose figures to show" in refused and "Monthly impact report:" not in refused


def test_the_scheme_lead_may_choose_any_organisation_and_sees_it_suppressed(client, world):
    lead = OrganisationFactory(name="Lead Council", slug="lead", is_scheme_lead=True)
    body = (
        login(client, lead).get(reverse("reports:report"), {"scope": "org:alpha", "month": "2026-03"}).content.decode()
    )
    assert "Monthly impact report: March 2026" in body and "Alpha Council" in body and "&lt;5" in body


def test_a_range_of_days_is_only_for_your_own_figures(client, world):
    viewer = login(client, world["a"])
    days = {"start_0": "1", "start_1": "3", "start_2": "2026", "end_0": "7", "end_1": "3", "end_2": "2026"}
    own = viewer.get(reverse("reports:report"), {**MARCH, **days}).content.decode()
    assert "Impact report: 1 March 2026 to 7 March 2026" in own
    scheme = viewer.get(reverse("reports:report"), {"scope": "scheme", "month": "2026-03", **days}).content.decode()
    assert "A range of days is for your own organisation&#x27;s figures: choose a month" in scheme
    backwards = viewer.get(reverse("reports:report"), {**MARCH, **days, "end_0": "1", "start_0": "9"}).content.decode()
    assert "End date must be the same as or after the start date" in backwards


def test_the_csv_has_every_figure_with_numbers(client, world):
    response = login(client, world["a"]).get(reverse("reports:download-csv"), MARCH)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Disposition"] == 'attachment; filename="impact-report-alpha-2026-03-01-to-2026-03-31.csv"'
    assert "Devices,Devices lent,,2,1,Loans that started in the period." in text
    assert "Reach,Residents supported by gender,Woman,2," in text


def test_the_excel_file_has_a_sheet_per_section_with_numbers_as_numbers(client, world):
    response = login(client, world["a"]).get(reverse("reports:download-xlsx"), MARCH)
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["About this report", "Reach", "Devices", "Connectivity", "Referrals", "Skills",
                               "Outcomes", "The last 12 months"]  # fmt: skip
    devices = {row[0]: row[1:] for row in book["Devices"].iter_rows(values_only=True)}
    assert devices["Devices lent"][:2] == (2, 1) and devices["Average loan length (days)"][0] == 42.0
    connectivity = {row[0]: row[1] for row in book["Connectivity"].iter_rows(values_only=True)}
    assert connectivity["Data supplied (GB)"] == 40.0 and isinstance(connectivity["Vouchers issued"], int)


def test_the_excel_file_keeps_suppressed_cells_suppressed(client, world):
    response = login(client, world["b"]).get(reverse("reports:download-xlsx"), {"scope": "scheme", "month": "2026-03"})
    devices = {
        row[0]: row[1] for row in load_workbook(io.BytesIO(response.content))["Devices"].iter_rows(values_only=True)
    }
    assert devices["Devices lent"] == "<5"


def test_the_pdf_has_the_figures_and_the_charts(client, world):
    response = login(client, world["a"]).get(reverse("reports:download-pdf"), MARCH)
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Monthly impact report: March 2026" in text and "Alpha Council" in text
    assert "Loans that started in the period." in text
    assert "Residents supported by gender" in text and "Median days to first response" in text
    assert len(reader.pages) >= 3


def test_the_home_page_shows_last_months_headline_figures_to_viewers_and_coordinators(client, world, settings):
    from django.utils import timezone

    for role in (choices.Role.VIEWER, choices.Role.COORDINATOR):
        body = login(client, world["a"], role).get(reverse("home")).content.decode()
        assert "Last month at a glance" in body and "residents supported" in body
    frontline = login(client, world["a"], choices.Role.FRONTLINE).get(reverse("home")).content.decode()
    assert "Last month at a glance" not in frontline
    assert timezone.localdate().year >= 2026


def test_the_home_page_headlines_count_last_months_figures(world):
    import datetime as dt

    from inclusion.reports.selectors import organisation_headlines

    figures = dict(organisation_headlines(world["a"], today=dt.date(2026, 4, 15))["figures"])
    assert figures == {"residents supported": 4, "devices lent": 2, "data vouchers issued": 2, "referrals sent": 2}


@pytest.mark.parametrize("query", [
    {"scope": "la:nowhere", "month": "2026-03"}, {"scope": "own", "month": "March"}, {"scope": "own", "month": "2026-13"},
    {"scope": "own", "month": "2026-03", "start_0": "31", "start_1": "2", "start_2": "2026", "end_0": "1",
     "end_1": "3", "end_2": "2026"},
    {"scope": "own", "month": "2026-03", "start_0": "1", "start_1": "1", "start_2": "99999", "end_0": "1",
     "end_1": "1", "end_2": "2026"},
    {"scope": "own", "month": "2026-03", "start_0": "1", "start_1": "1", "start_2": "2020", "end_0": "1",
     "end_1": "1", "end_2": "2026"},
    {"scope": "\x00", "month": "\u202e"},
])  # fmt: skip
def test_odd_filters_are_form_errors_never_a_server_error(client, world, query):
    viewer = login(client, world["a"])
    page = viewer.get(reverse("reports:report"), query)
    assert page.status_code == 200 and "govuk-error-summary" in page.content.decode()
    assert viewer.get(reverse("reports:download-pdf"), query).status_code == 400
