"""Issuing reports: freezing a month's report as a snapshot (figures, PDF and Excel, who, when, why, code list
versions), and the monthly round that issues last month's for each organisation and the whole scheme and
emails their coordinators and viewers a link."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse

from ..actors import Actor
from ..choices import Role
from ..errors import DomainError
from ..models import Membership, Organisation
from .build import report_build
from .definitions import add_months, month_start
from .downloads import report_pdf_bytes, report_xlsx_bytes
from .models import ReportSnapshot

FIRST_ISSUE = "Issued for the month"


def snapshot_issue(
    *, month: dt.date, organisation: Organisation | None = None, actor: Actor | None = None, reason: str = ""
) -> ReportSnapshot:
    """Freeze the report for `month` (its first day) for `organisation` (its own figures, in full) or, with
    none, for the whole scheme (suppressed, protected against every active partner's own figures).

    The first issue needs no reason; another version of the same month must say why ("reason"), and is added
    beside the first, never over it. Two issues at once: the second is refused (the version's unique index).
    Side effects: none (the monthly round sends the emails)."""
    start = month_start(month)
    end = add_months(start, 1)
    existing = ReportSnapshot.objects.filter(
        organisation=organisation, period_start=start, period_end=end - dt.timedelta(days=1)
    )
    latest = existing.aggregate(latest=Max("version"))["latest"] or 0
    if latest and not reason.strip():
        raise DomainError(
            "Say why the report is issued again: the version already sent stays as it was",
            field="reason",
            code="reason_required",
        )
    partners = list(Organisation.objects.filter(active=True)) if organisation is None else []
    report = report_build(
        start=start, end=end, organisation=organisation, viewer=organisation, protect_against=partners
    )
    pdf, xlsx = report_pdf_bytes(report), report_xlsx_bytes(report)
    try:
        with transaction.atomic():
            return ReportSnapshot.objects.create(
                organisation=organisation, period_start=start, period_end=end - dt.timedelta(days=1),
                version=latest + 1, reason=reason.strip() or FIRST_ISSUE, figures=report,
                code_lists=report["header"]["code_lists"], pdf=pdf, xlsx=xlsx,
                issued_by=actor.user if actor else None,
            )  # fmt: skip
    except IntegrityError:
        raise DomainError(
            "Someone issued this report at the same moment: look at the list again", field="reason", code="duplicate"
        ) from None


def monthly_reports_issue(*, today: dt.date | None = None) -> list[int]:
    """Issue last month's reports, each active organisation's and the whole scheme's, and email each
    organisation's coordinators and viewers the links to theirs and the scheme's. Safe to run twice: a report
    already issued for the month is not issued again, and only those issued now are emailed about."""
    from django.utils import timezone

    month = add_months(month_start(today or timezone.localdate()), -1)
    issued = []
    for organisation in [None, *Organisation.objects.filter(active=True).order_by("pk")]:
        done = ReportSnapshot.objects.filter(organisation=organisation, period_start=month).exists()
        if not done:
            issued.append(snapshot_issue(month=month, organisation=organisation))
    if issued:
        transaction.on_commit(lambda: snapshot_emails_send([snapshot.pk for snapshot in issued]))
    return [snapshot.pk for snapshot in issued]


def snapshot_emails_send(snapshot_ids: list[int]) -> int:
    """Email coordinators and viewers of each organisation a link to its new report, and to the scheme's."""
    snapshots = list(ReportSnapshot.objects.filter(pk__in=snapshot_ids).select_related("organisation"))
    scheme = next((s for s in snapshots if s.organisation_id is None), None)
    readers = Membership.objects.filter(
        active=True, user__is_active=True, role__in=[Role.COORDINATOR, Role.VIEWER]
    ).select_related("user", "organisation")
    messages = []
    for membership in readers:
        own = next((s for s in snapshots if s.organisation_id == membership.organisation_id), None)
        links = [s for s in (own, scheme) if s is not None]
        if not links:
            continue
        lines = [
            f"{s.scope_label}: {settings.SITE_URL}{reverse('reports:snapshot-detail', args=[s.pk])}" for s in links
        ]
        month = f"{links[0].period_start:%B %Y}"
        body = (f"The impact reports for {month} have been issued.\n\n" + "\n".join(lines)
                + "\n\nSign in to read them. They show no personal data.\n")  # fmt: skip
        messages.append((f"Impact report for {month}", body, settings.DEFAULT_FROM_EMAIL, [membership.user.email]))
    return send_mass_mail(messages, fail_silently=False) if messages else 0
