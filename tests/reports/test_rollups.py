"""Closed months' stored figures (inclusion/reports/rollups.py): the same report as computing it from the
activity, one query once stored, and computed again after a late correction, whatever way it was written (the
database's triggers), but not after everyday work dated this month."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devices.models import Device, Loan
from devices.vouchers.models import Voucher
from inclusion.models import Organisation, Resident
from inclusion.reports import build, rollups
from inclusion.reports.build import compute_raw, compute_raw_live, report_build
from inclusion.reports.definitions import ReportContext
from inclusion.reports.models import ReportRollup, RollupGeneration
from referrals.models import Referral

from ..devices.factories import DeviceFactory
from .conftest import MARCH, at, loan

pytestmark = pytest.mark.django_db

MARCH_START = MARCH[0]


def live(monkeypatch):
    """Build reports without stored figures: every month counts as open."""
    monkeypatch.setattr(rollups, "is_closed", lambda month, cut_off: False)


def generation(month=MARCH_START) -> int:
    return RollupGeneration.objects.filter(month=month).values_list("generation", flat=True).first() or 0


def scopes(world):
    return [
        dict(),
        dict(organisation=world["a"], viewer=world["a"]),
        dict(organisation=world["b"], viewer=world["b"]),
        dict(local_authority="dudley", viewer=world["a"]),
        dict(viewer=world["b"]),
    ]


def test_reports_from_stored_months_are_the_reports_computed_from_the_activity(world, monkeypatch):
    stored = [report_build(start=MARCH[0], end=MARCH[1], **scope) for scope in scopes(world)]
    assert ReportRollup.objects.filter(month=MARCH_START).count() >= 4
    again = [report_build(start=MARCH[0], end=MARCH[1], **scope) for scope in scopes(world)]
    live(monkeypatch)
    computed = [report_build(start=MARCH[0], end=MARCH[1], **scope) for scope in scopes(world)]
    strip = lambda reports: [{**r, "header": {**r["header"], "cut_off": None, "cut_off_label": None}} for r in reports]  # noqa: E731
    assert strip(stored) == strip(computed) == strip(again)
    lent = next(s for s in stored[1]["trend"]["series"] if s["key"] == "devices_lent")  # Alpha's own, in full
    assert lent["values"][-2:] == [1, 2]  # February and March, from two stored months


def test_a_stored_month_is_one_query(world):
    ctx = ReportContext(*MARCH)
    first = compute_raw(ctx)
    with CaptureQueriesContext(connection) as queries:
        second = compute_raw(ctx)
    assert len(queries) == 1
    assert first == second == {k: v for k, v in compute_raw_live(ctx).items()}


def test_a_report_with_a_cut_off_inside_the_month_is_computed_not_read(world):
    ctx = ReportContext(*MARCH, cut_off=at("2026-03-15"))
    compute_raw(ctx)
    assert not ReportRollup.objects.exists()
    assert not rollups.covers(ReportContext(dt.date(2026, 3, 1), dt.date(2026, 3, 15)))


def test_a_loan_recorded_late_with_a_start_in_march_is_counted(world):
    before = compute_raw(ReportContext(*MARCH))["metrics"]["devices_lent"]
    loan(
        DeviceFactory(owning_organisation=world["a"], status="on_loan"),
        world["residents"][0],
        "2026-03-30",
        "2026-04-30",
    )
    assert compute_raw(ReportContext(*MARCH))["metrics"]["devices_lent"] == before + 1


def test_a_correction_to_who_a_resident_is_is_counted_in_every_month_since(world):
    gender = lambda: compute_raw(ReportContext(*MARCH))["tables"]["supported_by_gender"]  # noqa: E731
    assert gender().get("man") == 1
    Resident.objects.filter(pk=world["residents"][1].pk).update(gender="woman")  # a bulk update is seen too
    assert gender().get("man") is None
    assert generation(dt.date(2026, 2, 1)) >= 1  # r2 was registered in March; Feb's bump is the one-day margin


def test_an_outcome_corrected_after_a_loan_closed_is_counted(world):
    # outcome is read with its date (closed_at): changed alone, it reaches back to the loan's start
    assert compute_raw(ReportContext(*MARCH))["metrics"]["devices_lost"] == 1
    Loan.objects.filter(outcome="lost").update(outcome="returned")
    metrics = compute_raw(ReportContext(*MARCH))["metrics"]
    assert (metrics["devices_lost"], metrics["devices_returned"]) == (0, 2)


def test_a_removed_row_is_counted(world):
    assert compute_raw(ReportContext(*MARCH))["metrics"]["vouchers_activated"] == 1
    Voucher.objects.filter(status="activated").delete()
    assert compute_raw(ReportContext(*MARCH))["metrics"]["vouchers_activated"] == 0


def test_an_organisation_moving_local_authority_recomputes_every_month(world):
    compute_raw(ReportContext(*MARCH, local_authority="dudley"))
    Organisation.objects.filter(pk=world["a"].pk).update(local_authority="dudley")
    assert generation() >= 1 and generation(dt.date(2001, 1, 1)) >= 1


def test_everyday_work_dated_this_month_touches_no_closed_month(world):
    compute_raw(ReportContext(*MARCH))
    marks = list(RollupGeneration.objects.values_list("month", "generation"))
    now = timezone.now()
    open_loan = Loan.objects.filter(closed_at__isnull=True).first()
    Loan.objects.filter(pk=open_loan.pk).update(closed_at=now, outcome="returned", returned_on=now.date())
    Device.objects.filter(pk=open_loan.device_id).update(status="awaiting_check", needs_wipe=True)
    Referral.objects.filter(status="sent").update(status="accepted", accepted_at=now, responded_at=now)
    Voucher.objects.filter(status="available").update(status="issued", issued_at=now, resident=world["residents"][0])
    Resident.objects.filter(pk=world["residents"][0].pk).update(first_name="Dani", phone="07700900123")
    assert list(RollupGeneration.objects.values_list("month", "generation")) == marks
    with CaptureQueriesContext(connection) as queries:
        compute_raw(ReportContext(*MARCH))
    assert len(queries) == 1


def test_every_declared_table_has_its_triggers(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname LIKE 'rollup_%%'")
        installed = cursor.fetchall()
    tables = {table.strip('"') for table, _ in installed}
    for model in rollups.merged_reads():
        assert model._meta.db_table in tables
    assert ("referrals_referral", "rollup_update_referrals_referral") in {(t.strip('"'), n) for t, n in installed}


@pytest.mark.django_db(transaction=True)
def test_a_correction_committed_while_a_month_is_computed_makes_it_stale(monkeypatch):
    """The month is computed from what was committed when it began; a late loan committed meanwhile (on another
    connection) bumps the month, so the figures stored are not read again."""
    with transaction.atomic():
        from .conftest import _world

        world = _world()
    computing = build.compute_raw_live

    def slow(ctx):
        figures = computing(ctx)
        if ctx.start == MARCH_START and ctx.end == MARCH[1]:

            def correct():
                try:
                    with transaction.atomic():
                        loan(DeviceFactory(owning_organisation=world["a"], status="on_loan"), world["residents"][1],
                             "2026-03-29", "2026-04-29")  # fmt: skip
                finally:
                    connections.close_all()

            thread = threading.Thread(target=correct)
            thread.start()
            thread.join()
        return figures

    monkeypatch.setattr(build, "compute_raw_live", slow)
    first = compute_raw(ReportContext(*MARCH))["metrics"]["devices_lent"]
    monkeypatch.setattr(build, "compute_raw_live", computing)
    assert compute_raw(ReportContext(*MARCH))["metrics"]["devices_lent"] == first + 1


def test_the_nightly_refresh_stores_each_scope_once(world):
    computed = rollups.report_rollups_refresh(months=2, today=dt.date(2026, 4, 10))
    assert computed >= 2 * 3  # March and February for the scheme, each local authority, each organisation
    assert rollups.report_rollups_refresh(months=2, today=dt.date(2026, 4, 10)) == 0


def test_every_column_the_reports_read_is_declared(world):
    """A column read but not declared in a section's `reads` would leave late corrections to it uncounted."""
    import re

    declared = {}
    for model, reads in rollups.merged_reads().items():
        fields = [*reads.dates, *reads.attributes, *reads.with_dates, *reads.not_followed, model._meta.pk.name]
        declared[model._meta.db_table] = {model._meta.get_field(name).column for name in fields}
    with CaptureQueriesContext(connection) as queries:
        for organisation, local_authority in ((None, ""), (world["a"].pk, ""), (None, "dudley")):
            ctx = ReportContext(*MARCH, organisation, local_authority)
            compute_raw_live(ctx)
            build.compute_trend(ctx.with_scope(organisation, local_authority))
    undeclared = set()
    for query in queries:
        sql = query["sql"]
        named = re.findall(r'"?(\w+)"? (?:AS )?"?(U\d+|T\d+|r|ro)"?(?=[\s),]|$)', sql)
        aliases = {alias: table for table, alias in named if table in declared}
        aliases.update({table: table for table in declared})
        for table, column in re.findall(r'"?(\w+)"?\."?(\w+)"?', sql):
            table = aliases.get(table, table)
            if table in declared and column not in declared[table]:
                undeclared.add(f"{table}.{column}")
    assert sorted(undeclared) == []


def test_a_years_trend_not_yet_stored_is_a_few_statements_per_section_not_per_month(world):
    from inclusion import registry

    with CaptureQueriesContext(connection) as queries:
        months, series = build.compute_trend(ReportContext(*MARCH))
    sections = sum(1 for section in registry.report_sections() if section.trend is not None)
    # stored rows, generations (2), each section's trend (one or two statements), then one store per month
    assert len(queries) <= 3 + 2 * sections + len(months)
    assert len(ReportRollup.objects.filter(month__in=months)) == 12
    with CaptureQueriesContext(connection) as again:
        assert build.compute_trend(ReportContext(*MARCH)) == (months, series)
    assert len(again) == 1
