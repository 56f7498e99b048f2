"""The demo gives every chart of the monthly impact report something to show, last month and across the
12-month trend, and loading it again adds nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from devices.models import Loan
from devices.vouchers.models import Voucher
from inclusion.models import Resident
from inclusion.reports.build import report_build
from inclusion.reports.definitions import add_months, month_start
from referrals.models import Outcome, Referral, ReferralStatus

pytestmark = pytest.mark.django_db


def counts():
    return tuple(model.objects.count() for model in (Resident, Loan, Voucher, Referral, Outcome))


def test_the_demo_fills_every_chart_for_last_month_and_the_trend_and_loads_again_without_duplicates():
    call_command("load_demo", stdout=StringIO())
    first = add_months(month_start(timezone.localdate()), -1)
    report = report_build(start=first, end=add_months(first, 1))  # the whole scheme, as a funder sees it
    tables = {table["key"]: table for section in report["sections"] for table in section["tables"]}
    empty = [key for key, table in tables.items() if not any(row["display"] not in ("0", "–") for row in table["rows"])]
    assert empty == [], f"charts with nothing to show last month: {empty}"
    metrics = {m["key"]: m for section in report["sections"] for m in section["metrics"]}
    for key in ("residents_supported", "devices_lent", "devices_returned", "vouchers_issued", "vouchers_activated",
                "referrals_sent", "referrals_completed"):  # fmt: skip
        assert metrics[key]["display"] not in ("0", "–"), key
    for line in report["trend"]["series"]:
        assert all(shown != "0" for shown in line["display"][:-1]), f"{line['key']}: {line['display']}"
    assert set(Referral.objects.values_list("status", flat=True)) == set(ReferralStatus.values)
    assert Outcome.objects.filter(stage="follow_up").exists()
    assert Resident.objects.exclude(local_authority="").values("local_authority").distinct().count() >= 7
    before = counts()
    call_command("load_demo", stdout=StringIO())
    assert counts() == before
