"""The reports' partner API: a month's report as JSON with the page's suppression and scoping, and the issued
snapshots listed and downloaded (another organisation's: 404)."""

import datetime as dt

import pytest

from inclusion.reports.build import report_build
from inclusion.reports.models import ReportSnapshot

from ..conftest import _api_client
from ..factories import OrganisationFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/monthly/"


def metric(report, key):
    return next(m for s in report["sections"] for m in s["metrics"] if m["key"] == key)


def test_a_key_sees_its_own_organisations_month_in_full(world):
    response = _api_client(world["a"]).get(URL, {"month": "2026-03", "organisation": "alpha"})
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["header"]["suppressed"] is False and report["header"]["scope"]["organisation"] == "alpha"
    assert report["header"]["period"] == {"start": "2026-03-01", "end": "2026-03-31", "label": "March 2026"}
    assert metric(report, "devices_lent")["value"] == 2  # went out in March
    assert metric(report, "devices_lent")["definition"]
    assert len(report["trend"]["months"]) == 12 and report["trend"]["months"][-1] == "2026-03"


def test_the_whole_scheme_and_a_local_authority_are_suppressed_as_on_the_page(world):
    api = _api_client(world["b"])
    scheme = api.get(URL, {"month": "2026-03"}).json()
    assert scheme["header"]["suppressed"] is True and scheme["header"]["scope"]["kind"] == "scheme"
    lent = metric(scheme, "devices_lent")  # three across the scheme: a small number
    assert lent["value"] is None and lent["display"] == "<5"
    body = api.get(URL, {"month": "2026-03", "local_authority": "dudley"})
    assert body.status_code == 200 and body.json()["header"]["scope"]["local_authority"] == "dudley"
    assert body.json()["header"]["suppressed"] is True
    # The same figures as the page's report for that scope and viewer: one build, one suppression.
    page = report_build(start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 1), viewer=world["b"])
    assert [m["display"] for s in scheme["sections"] for m in s["metrics"]] == [
        m["display"] for s in page["sections"] for m in s["metrics"]
    ]


def test_another_organisations_figures_are_a_404_like_one_that_does_not_exist(world):
    api = _api_client(world["b"])
    other = api.get(URL, {"month": "2026-03", "organisation": "alpha"})
    missing = api.get(URL, {"month": "2026-03", "organisation": "no-such-org"})
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json() == {"type": "client_error",
                                              "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}]}  # fmt: skip


def test_the_scheme_leads_key_sees_another_organisation_suppressed(world):
    lead = OrganisationFactory(name="Lead Council", slug="lead", is_scheme_lead=True)
    report = _api_client(lead).get(URL, {"month": "2026-03", "organisation": "alpha"}).json()
    assert report["header"]["suppressed"] is True and report["header"]["scope"]["organisation"] == "alpha"
    assert metric(report, "devices_lent")["display"] == "<5" and metric(report, "devices_lent")["value"] is None


@pytest.mark.parametrize(
    ("query", "status", "code", "attr"),
    [
        ({}, 400, "required", "month"),
        ({"month": "2026-13"}, 400, "invalid", "month"),
        ({"month": "March"}, 400, "invalid", "month"),
        ({"month": "0000-01"}, 400, "invalid", "month"),
        ({"month": ""}, 422, "blank", "month"),  # schemathesis found year 0 a 500
        ({"month": "2099-01"}, 422, "in_the_future", "month"),
        ({"month": "2001-01"}, 422, "too_far_back", "month"),
        ({"month": "2026-03", "local_authority": "atlantis"}, 400, "invalid_choice", "local_authority"),
        ({"month": "2026-03", "organisation": "beta", "local_authority": "dudley"}, 422, "one_scope_only",
         "local_authority"),
        ({"month": "2026-03", "organisation": "a\x00b"}, 400, "invalid", "organisation"),
        ({"month": "2026-03", "scope": "scheme"}, 400, "unknown_parameter", "scope"),
    ],
)  # fmt: skip
def test_odd_queries_are_the_apis_errors_never_a_server_error(world, query, status, code, attr):
    response = _api_client(world["b"]).get(URL, query)
    assert response.status_code == status, response.content
    assert {"code": code, "attr": attr} in [{"code": e["code"], "attr": e["attr"]} for e in response.json()["errors"]]


def snapshot(organisation, month=dt.date(2026, 3, 1)):
    return ReportSnapshot.objects.create(
        organisation=organisation, period_start=month, period_end=month.replace(day=31), reason="Issued",
        pdf=b"%PDF-1.7 the issued file", xlsx=b"PK\x03\x04 the issued workbook",
        figures=report_build(start=month, end=dt.date(2026, 4, 1), organisation=organisation, viewer=organisation),
    )  # fmt: skip


def test_snapshots_are_listed_and_downloaded_byte_for_byte_and_another_organisations_is_a_404(world):
    own, scheme, others = snapshot(world["b"]), snapshot(None), snapshot(world["a"])
    api = _api_client(world["b"])
    listed = api.get("/api/v1/reports/snapshots/")
    assert listed.status_code == 200
    assert sorted(row["id"] for row in listed.json()["results"]) == sorted([own.pk, scheme.pk])
    row = next(row for row in listed.json()["results"] if row["id"] == own.pk)
    assert row["organisation"] == "beta" and row["pdf"].endswith(f"/api/v1/reports/snapshots/{own.pk}/pdf/")
    pdf = api.get(f"/api/v1/reports/snapshots/{own.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content == b"%PDF-1.7 the issued file" and "attachment" in pdf["Content-Disposition"]
    xlsx = api.get(f"/api/v1/reports/snapshots/{scheme.pk}/xlsx/")
    assert xlsx.status_code == 200 and xlsx.content == b"PK\x03\x04 the issued workbook"
    detail = api.get(f"/api/v1/reports/snapshots/{own.pk}/").json()
    assert detail["figures"] == own.figures
    for path in ("", "pdf/", "xlsx/"):
        refused = api.get(f"/api/v1/reports/snapshots/{others.pk}/{path}")
        assert refused.status_code == 404 and refused.json()["errors"][0]["code"] == "not_found"
        assert b"the issued" not in refused.content
    assert api.get("/api/v1/reports/snapshots/99999999999999999/pdf/").status_code == 404


def test_the_schema_documents_every_answer_of_the_reports_api(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    monthly = schema["paths"]["/api/v1/reports/monthly/"]["get"]
    assert {"200", "400", "401", "404", "422", "429", "500"} <= set(monthly["responses"])
    one = monthly["responses"]["200"]["content"]["application/json"]["schema"]
    assert one == {"$ref": "#/components/schemas/Report"}  # one report, not a list of them
    assert {p["name"] for p in monthly["parameters"]} == {"month", "organisation", "local_authority"}
    pdf = schema["paths"]["/api/v1/reports/snapshots/{id}/pdf/"]["get"]["responses"]
    assert "application/pdf" in pdf["200"]["content"] and "404" in pdf
