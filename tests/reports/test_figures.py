"""Every figure of the report against the hand-computed world of conftest.py (March 2026).

Residents: r1 (Alpha, registered 5 March, Wolverhampton), r2 (Alpha, 10 March, no local authority recorded:
Alpha's, Wolverhampton), r3 (Alpha, February, Dudley), r4 (Beta, 20 March, Dudley).
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inclusion.reports.build import compute_raw, compute_raw_live, report_build
from inclusion.reports.definitions import ReportContext

from .conftest import MARCH

pytestmark = pytest.mark.django_db


def raw(organisation=None, local_authority="", period=MARCH):
    ctx = ReportContext(*period, organisation.pk if organisation else None, local_authority)
    return compute_raw(ctx)


def test_the_whole_schemes_march_figures(world):
    figures = raw()
    assert {key: figures["metrics"][key] for key in (
        "residents_registered", "residents_supported", "devices_lent", "devices_returned", "devices_gifted",
        "devices_lost", "loans_closed", "devices_on_loan", "devices_overdue", "average_loan_days",
    )} == {
        "residents_registered": 3,  # r1, r2, r4 (r3 in February)
        "residents_supported": 4,  # r1 (loan, voucher, referral), r2 (voucher, referral), r3 (loan), r4
        "devices_lent": 3,  # d1, d3, d4 (d2's loan started in February)
        "devices_returned": 1, "devices_gifted": 0, "devices_lost": 1, "loans_closed": 2,
        "devices_on_loan": 2,  # d1 (due 3 April) and d3
        "devices_overdue": 1,  # d3, due 20 March
        "average_loan_days": 24.5,  # (42 + 7) / 2
    }  # fmt: skip
    assert figures["tables"]["devices_by_status"] == {"on_loan": 2, "awaiting_check": 1, "lost": 1, "ready": 1}
    m = figures["metrics"]
    assert (m["vouchers_issued"], m["vouchers_activated"], m["vouchers_failed"], m["vouchers_expired_unused"]) == (
        3, 1, 1, 1)  # fmt: skip
    assert m["data_gb_supplied"] == 50.0  # 20 + 20 + 10
    assert figures["tables"]["vouchers_by_kind"] == {"data_code": 2, "sim_card": 1}


def test_the_schemes_referral_skills_and_outcome_figures(world):
    figures = raw()
    m = figures["metrics"]
    assert {k: m[k] for k in ("referrals_sent", "referrals_received", "referrals_accepted", "referrals_declined",
                              "referrals_no_response", "referrals_completed", "median_days_to_response")} == {
        "referrals_sent": 3, "referrals_received": 3, "referrals_accepted": 1, "referrals_declined": 1,
        "referrals_no_response": 1,  # r2's, due 27 March, never answered
        "referrals_completed": 1,
        "median_days_to_response": 1.5,  # 2 days and 1 day
    }  # fmt: skip
    assert figures["tables"]["declined_by_reason"] == {"no_capacity": 1}
    assert figures["tables"]["referrals_by_need"] == {"skills": 1, "device": 1, "connectivity": 1}
    assert (m["skills_referred"], m["skills_started"], m["skills_completed"]) == (1, 1, 1)
    assert (m["confidence_change"], m["confidence_assessed"]) == (2.0, 1)
    eds = figures["tables"]["eds_before_after"]
    assert (eds["foundation__before"], eds["foundation__after"], eds["foundation__improved"]) == (0, 1, 1)
    assert (eds["communicating__before"], eds["communicating__after"], eds["communicating__improved"]) == (1, 1, 0)
    assert eds["being_safe__after"] == 0
    flags = figures["tables"]["outcome_flags"]
    assert flags["got_online_independently__completion"] == 1 and flags["found_work__completion"] == 1
    assert flags["saves_money_online__completion"] == 0 and flags["found_work__follow_up"] == 0
    assert (m["outcomes_at_completion"], m["outcomes_at_follow_up"]) == (1, 0)


def test_breakdowns_of_residents_supported(world):
    tables = raw()["tables"]
    assert tables["supported_by_gender"] == {"woman": 2, "man": 1, "not_recorded": 1}
    assert tables["supported_by_age_band"] == {"35_44": 1, "75_plus": 1, "25_34": 2}  # r3 by band, r4 aged 26
    assert tables["supported_by_local_authority"] == {"wolverhampton": 2, "dudley": 2}
    assert tables["supported_by_organisation"] == {str(world["a"].pk): 3, str(world["b"].pk): 1}
    assert tables["supported_by_ethnicity"] == {"white_british": 1, "asian_indian": 1, "not_recorded": 2}
    assert tables["supported_by_low_income"] == {"yes": 1, "not_recorded": 3}
    assert tables["supported_by_employment"] == {"unemployed": 1, "not_recorded": 3}
    assert tables["supported_by_disability"] == {"no": 1, "not_recorded": 3}


def test_one_organisations_figures_are_what_it_did(world):
    m = raw(world["a"])["metrics"]
    assert m["residents_registered"] == 2
    assert m["residents_supported"] == 4  # its loans and vouchers, and referrals it sent (r1, r2) or received (r4)
    assert (m["devices_lent"], m["devices_returned"], m["devices_lost"], m["devices_on_loan"]) == (2, 1, 0, 2)
    assert m["average_loan_days"] == 42.0
    assert (m["vouchers_issued"], m["data_gb_supplied"], m["vouchers_expired_unused"]) == (2, 40.0, 1)
    assert (m["referrals_sent"], m["referrals_received"]) == (2, 1)
    b = raw(world["b"])["metrics"]
    assert (b["residents_supported"], b["devices_lent"], b["referrals_sent"], b["referrals_received"]) == (3, 1, 1, 2)


def test_one_local_authoritys_figures_are_for_residents_living_there(world):
    wolverhampton = raw(local_authority="wolverhampton")
    m = wolverhampton["metrics"]
    # r1 and r2 (r2's local authority is Alpha's): d1, v1, v2, r1's and r2's referrals.
    assert (m["residents_registered"], m["residents_supported"], m["devices_lent"], m["vouchers_issued"]) == (
        2,
        2,
        1,
        2,
    )
    assert m["referrals_sent"] == 2 and m["devices_returned"] == 1  # d2 came back from r2
    assert m["vouchers_expired_unused"] == 1  # no resident: Alpha's local authority
    dudley = raw(local_authority="dudley")["metrics"]
    assert (dudley["residents_supported"], dudley["devices_lent"], dudley["vouchers_expired_unused"]) == (2, 2, 0)


def test_a_range_of_days_and_the_month_before(world):
    first_week = raw(period=(dt.date(2026, 3, 1), dt.date(2026, 3, 8)))["metrics"]
    assert (first_week["devices_lent"], first_week["residents_supported"], first_week["referrals_sent"]) == (2, 2, 1)
    february = raw(period=(dt.date(2026, 2, 1), dt.date(2026, 3, 1)))["metrics"]
    assert (february["devices_lent"], february["residents_registered"], february["residents_supported"]) == (1, 1, 1)
    assert february["devices_on_loan"] == 1  # d2, until 15 March
    assert february["devices_overdue"] == 0  # due 1 March: not yet overdue on 28 February


def test_the_built_report_has_the_trend_the_comparison_and_the_header(world):
    report = report_build(start=MARCH[0], end=MARCH[1], organisation=world["a"], viewer=world["a"])
    header = report["header"]
    assert header["period"] == {"start": "2026-03-01", "end": "2026-03-31", "label": "March 2026"}
    assert header["scope"]["label"] == "Alpha Council" and header["suppressed"] is False
    assert {"Ethnic groups (ONS 2021)", "Decline reasons", "Device statuses"} <= {
        c["name"] for c in header["code_lists"]
    }
    assert all(len(c["version"]) == 10 for c in header["code_lists"])
    trend = report["trend"]
    assert trend["months"][0] == "2025-04" and trend["months"][-1] == "2026-03" and len(trend["months"]) == 12
    lent = next(s for s in trend["series"] if s["key"] == "devices_lent")
    assert lent["values"][-2:] == [1, 2]  # February: d2; March: d1, d3
    metrics = {m["key"]: m for s in report["sections"] for m in s["metrics"]}
    assert metrics["devices_lent"]["previous"] == 1 and metrics["devices_lent"]["change_display"] == "+1"
    assert metrics["devices_lent"]["definition"] == "Loans that started in the period."
    gender = next(t for s in report["sections"] for t in s["tables"] if t["key"] == "supported_by_gender")
    assert [(r["label"], r["display"]) for r in gender["rows"]][:2] == [("Woman", "2"), ("Man", "1")]


def test_a_report_is_a_handful_of_queries_whatever_the_number_of_rows(world):
    # From the activity itself (a closed month's stored figures are one query: tests/reports/test_rollups.py).
    ctx = ReportContext(*MARCH)
    with CaptureQueriesContext(connection) as first:
        compute_raw_live(ctx)
    from ..factories import ResidentFactory

    ResidentFactory.create_batch(20, owning_organisation=world["a"])
    with CaptureQueriesContext(connection) as second:
        compute_raw_live(ctx)
    assert len(first) == len(second) <= 15
