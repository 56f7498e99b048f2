"""Frozen reports: issued once, never changed (the database refuses it), issued again only as a new version
that says why; the monthly task issues last month's for every organisation and the scheme and emails the
readers; late corrections show as "changed since issued" on the live report."""

import datetime as dt
import io
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from pypdf import PdfReader

from inclusion import choices
from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.reports.build import report_build
from inclusion.reports.models import ReportSnapshot
from inclusion.reports.services import monthly_reports_issue, snapshot_issue

from ..devices.factories import DeviceFactory
from ..factories import MembershipFactory
from .conftest import at, loan

MARCH_FIRST = dt.date(2026, 3, 1)
APRIL = dt.date(2026, 4, 15)


def _metric(figures, key):
    return next(m for s in figures["sections"] for m in s["metrics"] if m["key"] == key)


@pytest.mark.django_db
def test_an_issued_report_keeps_its_figures_files_and_code_lists_after_late_corrections(client, world):
    coordinator = MembershipFactory(organisation=world["a"], role=choices.Role.COORDINATOR)
    snapshot = snapshot_issue(month=MARCH_FIRST, organisation=world["a"], actor=Actor.for_membership(coordinator))
    assert (snapshot.version, snapshot.reason, snapshot.issued_by) == (1, "Issued for the month", coordinator.user)
    assert _metric(snapshot.figures, "devices_lent")["value"] == 2
    assert {c["name"] for c in snapshot.code_lists} >= {"Ethnic groups (ONS 2021)", "Decline reasons"}
    assert "Monthly impact report: March 2026" in PdfReader(io.BytesIO(bytes(snapshot.pdf))).pages[0].extract_text()

    # A loan recorded late, in March.
    with transaction.atomic():
        late = DeviceFactory(owning_organisation=world["a"], status="on_loan", created_at=at("2026-01-01"))
        loan(late, world["residents"][0], "2026-03-30", "2026-04-27")
    snapshot.refresh_from_db()
    assert _metric(snapshot.figures, "devices_lent")["value"] == 2
    client.force_login(coordinator.user)
    live = client.get(reverse("reports:report"), {"scope": "own", "month": "2026-03"}).content.decode()
    assert "Changed since issued" in live and "Devices lent" in live
    issued = client.get(reverse("reports:snapshot-detail", args=[snapshot.pk])).content.decode()
    assert "as issued (version 1)" in issued
    pdf = client.get(reverse("reports:snapshot-pdf", args=[snapshot.pk]))
    assert pdf.content == bytes(snapshot.pdf)


@pytest.mark.django_db
def test_the_database_refuses_to_change_or_delete_an_issued_report(world):
    snapshot = snapshot_issue(month=MARCH_FIRST, organisation=world["a"])
    with pytest.raises(IntegrityError, match="cannot be changed"), transaction.atomic():
        ReportSnapshot.objects.filter(pk=snapshot.pk).update(reason="Nothing happened")
    with pytest.raises(IntegrityError, match="cannot be changed"), transaction.atomic():
        ReportSnapshot.objects.filter(pk=snapshot.pk).delete()
    assert ReportSnapshot.objects.get(pk=snapshot.pk).reason == "Issued for the month"


@pytest.mark.django_db
def test_issuing_a_month_again_needs_a_reason_and_makes_a_new_version(world):
    first = snapshot_issue(month=MARCH_FIRST, organisation=world["a"])
    with pytest.raises(DomainError, match="Say why") as refused:
        snapshot_issue(month=MARCH_FIRST, organisation=world["a"])
    assert refused.value.field == "reason"
    second = snapshot_issue(month=MARCH_FIRST, organisation=world["a"], reason="Late returns recorded")
    assert (second.version, second.reason) == (2, "Late returns recorded")
    assert ReportSnapshot.objects.get(pk=first.pk).version == 1


@pytest.mark.django_db
def test_the_schemes_issued_report_is_suppressed_for_every_reader(world):
    snapshot = snapshot_issue(month=MARCH_FIRST)
    assert snapshot.figures["header"]["suppressed"] is True
    assert _metric(snapshot.figures, "devices_lent")["display"] == "<5"


@pytest.mark.django_db
def test_the_monthly_round_issues_each_organisations_and_the_schemes_once_and_emails_readers(
    world, django_capture_on_commit_callbacks
):
    viewer = MembershipFactory(organisation=world["a"], role=choices.Role.VIEWER)
    MembershipFactory(organisation=world["a"], role=choices.Role.FRONTLINE)
    with django_capture_on_commit_callbacks(execute=True):
        issued = monthly_reports_issue(today=APRIL)
    snapshots = ReportSnapshot.objects.filter(pk__in=issued)
    assert sorted(str(s.organisation_id) for s in snapshots) == sorted([str(world["a"].pk), str(world["b"].pk), "None"])
    assert {s.period_start for s in snapshots} == {MARCH_FIRST}
    assert [m.to for m in mail.outbox] == [[viewer.user.email]]  # coordinators and viewers; Beta has none
    assert "/reports/issued/" in mail.outbox[0].body and "The whole scheme" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        assert monthly_reports_issue(today=APRIL) == []
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_readers_see_their_own_and_the_schemes_issued_reports_and_nobody_elses(client, world):
    # Frozen as the service would, without drawing three PDFs: this is about who may read them.
    def frozen(organisation):
        report = report_build(start=MARCH_FIRST, end=dt.date(2026, 4, 1), organisation=organisation,
                              viewer=organisation)  # fmt: skip
        return ReportSnapshot.objects.create(organisation=organisation, period_start=MARCH_FIRST,
                                             period_end=dt.date(2026, 3, 31), reason="Issued for the month",
                                             figures=report, pdf=b"%PDF-1.7", xlsx=b"PK")  # fmt: skip

    own, others, scheme = frozen(world["a"]), frozen(world["b"]), frozen(None)
    client.force_login(MembershipFactory(organisation=world["a"], role=choices.Role.VIEWER).user)
    listing = client.get(reverse("reports:snapshot-list")).content.decode()
    assert reverse("reports:snapshot-detail", args=[own.pk]) in listing
    assert reverse("reports:snapshot-detail", args=[scheme.pk]) in listing
    assert reverse("reports:snapshot-detail", args=[others.pk]) not in listing
    for name in ("reports:snapshot-detail", "reports:snapshot-pdf", "reports:snapshot-xlsx", "reports:snapshot-csv"):
        assert client.get(reverse(name, args=[others.pk])).status_code == 404
    assert "Issue a report now" not in listing  # a viewer reads; coordinators issue


@pytest.mark.django_db
def test_a_coordinator_issues_a_month_again_from_the_page_saying_why(client, world):
    snapshot_issue(month=MARCH_FIRST, organisation=world["a"])
    client.force_login(MembershipFactory(organisation=world["a"], role=choices.Role.COORDINATOR).user)
    refused = client.post(reverse("reports:snapshot-issue"), {"whose": "own", "month": "2026-03", "reason": ""})
    assert "Say why the report is issued again" in refused.content.decode()
    done = client.post(reverse("reports:snapshot-issue"), {"whose": "own", "month": "2026-03", "reason": "Late loans"})
    assert done.status_code == 302
    assert ReportSnapshot.objects.filter(organisation=world["a"]).count() == 2
    scheme = client.post(reverse("reports:snapshot-issue"), {"whose": "scheme", "month": "2026-03"}).content.decode()
    assert "Select a valid choice" in scheme or "Choose" in scheme  # only the scheme lead issues the scheme's


@pytest.mark.django_db(transaction=True)
def test_the_monthly_task_runs_on_a_real_worker(world, settings):
    from inclusion.celery import app
    from inclusion.reports.tasks import monthly_reports

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        monthly_reports.delay()
        deadline = time.monotonic() + 60
        while ReportSnapshot.objects.count() < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    assert ReportSnapshot.objects.count() == 3  # Alpha's, Beta's and the scheme's, for last month
    from inclusion.messaging.schedule import jobs

    assert jobs()["Monthly impact reports"][0] == monthly_reports.name
