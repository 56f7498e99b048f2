"""A report as files: CSV (one row per figure and per breakdown cell), Excel (one sheet per section, numbers as
numbers) and PDF (WeasyPrint, with the same SVG charts as the page). Writing goes through
inclusion/spreadsheets.py, which makes every text cell formula-safe. Each shows exactly what the report
shows: suppressed cells stay "<5" and "[c]"."""

from __future__ import annotations

from django.http import HttpResponse

from inclusion.pdf import pdf_render

from ..spreadsheets import OutputSheet, csv_response, xlsx_bytes, xlsx_response
from .charts import report_charts

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _number_or_text(value, display):
    """A number where the report shows one, else what it shows ("<5", "[c]", "–")."""
    return value if value is not None and display not in ("<5", "[c]") else display


def report_rows(report: dict) -> list[list]:
    """Section, figure, category, value, previous period, definition: every figure of the report."""
    rows = []
    for section in report["sections"]:
        for metric in section["metrics"]:
            rows.append([section["title"], metric["label"], "", _number_or_text(metric["value"], metric["display"]),
                         _number_or_text(metric["previous"], metric["previous_display"]), metric["definition"]])  # fmt: skip
        for table in section["tables"]:
            for row in table["rows"]:
                rows.append([section["title"], table["title"], row["label"],
                             _number_or_text(row["value"], row["display"]), "", table["definition"]])  # fmt: skip
    for line in report["trend"]["series"]:
        for month, value, shown in zip(report["trend"]["months"], line["values"], line["display"], strict=True):
            rows.append(["The last 12 months", line["label"], month, _number_or_text(value, shown), "", ""])
    return rows


def filename(report: dict, extension: str) -> str:
    header = report["header"]
    scope = header["scope"]["organisation"] or header["scope"]["local_authority"] or "scheme"
    return f"impact-report-{scope}-{header['period']['start']}-to-{header['period']['end']}.{extension}"


def header_rows(report: dict) -> list[list]:
    header = report["header"]
    rows = [["Report", header["title"]], ["Period", header["period"]["label"]], ["Whose figures", header["scope"]["label"]],
            ["Data cut-off", header["cut_off"]],
            ["Small numbers", "Counts from 1 to 4 shown as <5; [c] hides a cell so that totals cannot give them back"
             if header["suppressed"] else "Shown in full (your own organisation's figures)"]]  # fmt: skip
    rows += [[f"Code list: {item['name']}", item["version"]] for item in header["code_lists"]]
    return rows


def report_csv(report: dict):
    headings = ["Section", "Figure", "Category", report["header"]["period"]["label"],
                report["header"]["previous_period"]["label"], "How it is counted"]  # fmt: skip
    rows = [[label, value, "", "", "", ""] for label, value in header_rows(report)] + report_rows(report)
    return csv_response(headings, rows, filename(report, "csv"))


def report_sheets(report: dict) -> list[OutputSheet]:
    period, previous = report["header"]["period"]["label"], report["header"]["previous_period"]["label"]
    sheets = [OutputSheet("About this report", ["", ""], header_rows(report), widths=(28, 80))]
    for section in report["sections"]:
        rows = [[m["label"], _number_or_text(m["value"], m["display"]), _number_or_text(m["previous"], m["previous_display"]),
                 m["definition"]] for m in section["metrics"]]  # fmt: skip
        for table in section["tables"]:
            rows.append([])
            rows.append([table["title"], "", "", table["definition"]])
            rows += [
                [f"  {row['label']}", _number_or_text(row["value"], row["display"]), "", ""] for row in table["rows"]
            ]
            if table["total"] is not None:
                rows.append(["  Total", _number_or_text(table["total"], table["total_display"]), "", ""])
        sheets.append(OutputSheet(section["title"], ["Figure", period, previous, "How it is counted"], rows,
                                  widths=(48, 14, 14, 80)))  # fmt: skip
    trend = report["trend"]
    sheets.append(OutputSheet(
        "The last 12 months", ["Figure", *trend["month_labels"]],
        [[line["label"], *[_number_or_text(v, s) for v, s in zip(line["values"], line["display"], strict=True)]]
         for line in trend["series"]],
    ))  # fmt: skip
    return sheets


def report_xlsx_bytes(report: dict) -> bytes:
    return xlsx_bytes(report_sheets(report))


def report_xlsx(report: dict) -> HttpResponse:
    return xlsx_response(report_sheets(report), filename(report, "xlsx"))


def report_pdf_bytes(report: dict) -> bytes:
    """The report as PDF, its charts inline (inclusion/pdf.py: WeasyPrint, fetching nothing)."""
    return pdf_render("reports/report_pdf.html", {"report": report, "charts": report_charts(report)})


def report_pdf(report: dict) -> HttpResponse:
    response = HttpResponse(report_pdf_bytes(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename(report, "pdf")}"'
    return response
