"""Staff pages for the monthly impact reports: the report (filters, figures beside their definitions, charts
beside their tables), its downloads, and the frozen snapshots. Everyone here needs the see-reports capability;
what each may choose and see is inclusion/reports/selectors.py."""

import datetime as dt

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render

from ..access import Capability, membership_can
from ..errors import DomainError
from ..web import actor_for, form_refuse, paginate, posted, staff_view
from . import downloads, selectors, services
from .charts import report_charts
from .forms import ReportForm, SnapshotIssueForm, last_full_month


def report_form(request) -> ReportForm:
    """The filters as asked in the query string; none asked: your own organisation, last month."""
    data = request.GET if request.GET else QueryDict(mutable=True)
    if not request.GET:
        data.update({"scope": selectors.OWN, "month": last_full_month()})
    return ReportForm(data, scopes=selectors.report_scopes(request.membership), own_scope=selectors.OWN)


def report_from(request, form: ReportForm) -> dict | None:
    if not form.is_valid():
        return None
    return selectors.report_for(request.membership, form.cleaned_data["scope"], *form.cleaned_data["period"])


@staff_view(Capability.SEE_REPORTS)
def report_page(request):
    form = report_form(request)
    report = report_from(request, form)
    context = {"form": form, "report": report, "charts": report_charts(report) if report else {},
               "query": form.data.urlencode() if report else ""}  # fmt: skip
    if report:
        organisation, _ = selectors.scope_resolve(request.membership, form.cleaned_data["scope"])
        context["issued"], context["changed"] = selectors.snapshot_changes(report, organisation)
    return render(request, "reports/report.html", context)


DOWNLOADS = {"csv": downloads.report_csv, "xlsx": downloads.report_xlsx, "pdf": downloads.report_pdf}


@staff_view(Capability.SEE_REPORTS)
def report_download(request, format):
    form = report_form(request)
    report = report_from(request, form)
    if report is None:
        return render(request, "reports/report.html", {"form": form, "report": None, "charts": {}}, status=400)
    return DOWNLOADS[format](report)


@staff_view(Capability.SEE_REPORTS)
def snapshot_list(request):
    snapshots = selectors.snapshots_visible_to(request.membership.organisation)
    form = None
    if membership_can(request.membership, Capability.OVERSEE):
        form = snapshot_issue_form(request, None)
    return render(request, "reports/snapshot_list.html", {"page_obj": paginate(request, snapshots), "form": form})


def snapshot_issue_form(request, data):
    organisation = request.membership.organisation
    whose = [(selectors.OWN, f"{organisation.name} (your organisation's own figures)")]
    if organisation.is_scheme_lead:
        whose.append((selectors.SCHEME, "The whole scheme (small numbers suppressed)"))
    return SnapshotIssueForm(data, whose=whose, initial={"whose": selectors.OWN, "month": last_full_month()})


@staff_view(Capability.OVERSEE)
def snapshot_issue(request):
    form = snapshot_issue_form(request, posted(request))
    if form.is_valid():
        data = form.cleaned_data
        organisation = request.membership.organisation if data["whose"] == selectors.OWN else None
        try:
            snapshot = services.snapshot_issue(
                month=dt.date.fromisoformat(data["month"] + "-01"), organisation=organisation,
                actor=actor_for(request), reason=data["reason"],
            )  # fmt: skip
        except DomainError as error:
            form_refuse(form, error)
        else:
            messages.success(request, f"{snapshot} issued.")
            return redirect("reports:snapshot-detail", snapshot.pk)
    snapshots = selectors.snapshots_visible_to(request.membership.organisation)
    return render(request, "reports/snapshot_list.html", {"page_obj": paginate(request, snapshots), "form": form})


def load_snapshot(request, pk, **kwargs) -> dict:
    return {"snapshot": selectors.snapshot_get_visible(request.membership.organisation, pk), **kwargs}


@staff_view(Capability.SEE_REPORTS, load=load_snapshot)
def snapshot_detail(request, snapshot):
    report = snapshot.figures
    return render(request, "reports/snapshot_detail.html",
                  {"snapshot": snapshot, "report": report, "charts": report_charts(report)})  # fmt: skip


@staff_view(Capability.SEE_REPORTS, load=load_snapshot)
def snapshot_download(request, snapshot, format):
    """The files as issued (PDF and Excel byte for byte); the CSV written from the issued figures."""
    if format == "csv":
        return downloads.report_csv(snapshot.figures)
    content_type = "application/pdf" if format == "pdf" else downloads.XLSX_TYPE
    response = HttpResponse(bytes(snapshot.pdf if format == "pdf" else snapshot.xlsx), content_type=content_type)
    name = downloads.filename(snapshot.figures, format).replace("impact-report-", f"impact-report-v{snapshot.version}-")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
