"""Staff pages for the monthly impact reports: the report (filters, figures beside their definitions, charts
beside their tables), its downloads, and the frozen snapshots. Everyone here needs the see-reports capability;
what each may choose and see is inclusion/reports/selectors.py."""

from django.http import QueryDict
from django.shortcuts import render

from ..access import Capability
from ..web import staff_view
from . import downloads, selectors
from .charts import report_charts
from .forms import ReportForm, last_full_month


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
    return render(request, "reports/report.html", context)


DOWNLOADS = {"csv": downloads.report_csv, "xlsx": downloads.report_xlsx, "pdf": downloads.report_pdf}


@staff_view(Capability.SEE_REPORTS)
def report_download(request, format):
    form = report_form(request)
    report = report_from(request, form)
    if report is None:
        return render(request, "reports/report.html", {"form": form, "report": None, "charts": {}}, status=400)
    return DOWNLOADS[format](report)
