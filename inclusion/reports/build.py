"""Building a report: every registered section's figures for the period, the period before and the 12 months
to its end, put in order with their labels and definitions, and suppressed for readers outside the owning
organisation (inclusion/reports/suppression.py).

The result is plain JSON-ready data: what the page, the downloads and a snapshot all show, so that a frozen
snapshot shows what was sent, whatever later changes to the code.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .. import registry
from ..choices import LocalAuthority
from ..models import Organisation
from . import rollups
from .definitions import (
    NOT_RECORDED,
    ReportContext,
    add_months,
    code_list_version,
    month_start,
    months_between,
    report_reads,
)
from .suppression import LESS_THAN_5, WITHHELD, plain, suppress_count, suppress_table


def is_whole_months(start: dt.date, end: dt.date) -> bool:
    return start.day == 1 and end.day == 1 and end > start


def period_label(start: dt.date, end: dt.date) -> str:
    last = end - dt.timedelta(days=1)
    if is_whole_months(start, end) and add_months(start, 1) == end:
        return f"{start:%B %Y}"
    return f"{start.day} {start:%B %Y} to {last.day} {last:%B %Y}"


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period just before, as long: the months before, for whole months; else the same number of days."""
    if is_whole_months(start, end):
        months = len(months_between(start, end))
        return add_months(start, -months), start
    return start - (end - start), start


def scope_label(organisation: Organisation | None, local_authority: str) -> str:
    if organisation is not None:
        return organisation.name
    if local_authority:
        return f"{LocalAuthority(local_authority).label} (local authority)"
    return "The whole scheme"


def compute_raw(ctx: ReportContext) -> dict:
    """{"metrics": {key: value}, "tables": {key: {code: count}}} over every registered section: for one whole
    closed month, its stored figures (inclusion/reports/rollups.py); else computed now."""
    if rollups.covers(ctx):
        parts = ("metrics", "tables") if ctx.detail else ("metrics",)
        figures = rollups.month_figures(ctx, [ctx.start], parts)[ctx.start]
        return {"metrics": figures["metrics"], "tables": figures.get("tables", {}) if ctx.detail else {}}
    return compute_raw_live(ctx)


def compute_raw_live(ctx: ReportContext) -> dict:
    """compute_raw from the activity itself, whatever the period."""
    with report_reads():
        return _compute_raw_live(ctx)


def _compute_raw_live(ctx: ReportContext) -> dict:
    metrics, tables = {}, {}
    for section in registry.report_sections():
        figures = section.compute(ctx)
        metrics.update(figures.get("metrics", {}))
        tables.update(
            {key: {str(code): n for code, n in rows.items()} for key, rows in figures.get("tables", {}).items()}
        )
    return {"metrics": metrics, "tables": tables}


def compute_trend(ctx: ReportContext) -> tuple[list[dt.date], dict[str, dict]]:
    """The 12 months to the end of ctx's period, and each section's headline figures by month."""
    last_month = month_start(ctx.end - dt.timedelta(days=1))
    first = add_months(last_month, -11)
    months = months_between(first, add_months(last_month, 1))
    closed = [month for month in months if rollups.is_closed(month, ctx.cut_off)]
    series: dict[str, dict] = {}
    for month, figures in sorted(rollups.month_figures(ctx, closed, ("trend",)).items() if closed else []):
        for key, value in figures["trend"].items():
            series.setdefault(key, {})[month] = value
    still_open = [month for month in months if month not in closed]
    if still_open:
        wide = ctx.with_period(still_open[0], add_months(last_month, 1))
        with report_reads():
            for section in registry.report_sections():
                if section.trend is not None:
                    for key, by_month in section.trend(wide).items():
                        series.setdefault(key, {}).update(by_month)
    # In the sections' order of metrics (stored figures come back from JSON in no particular order).
    order = [metric.key for section in registry.report_sections() for metric in section.metrics]
    return months, dict(
        sorted(series.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    )


def report_build(
    *,
    start: dt.date,
    end: dt.date,
    organisation: Organisation | None = None,
    local_authority: str = "",
    viewer: Organisation | None = None,
    cut_off: dt.datetime | None = None,
    protect_against: list[Organisation] | tuple = (),
) -> dict:
    """The report for [start, end) and the scope (an organisation, a local authority, or the whole scheme), as
    `viewer` may see it: in full for the scope's own organisation, else suppressed.

    `protect_against`: organisations whose own part of each cell is treated as known to the reader (a
    snapshot of the whole scheme is protected against every partner's; a live report against the viewer's).
    Queries: a few per section for the period, the period before and the trend, and again for each related
    report used by the suppression; never one per row.
    """
    cut_off = cut_off or timezone.now()
    ctx = ReportContext(start, end, organisation.pk if organisation else None, local_authority, cut_off)
    owner = organisation is not None and viewer is not None and viewer.pk == organisation.pk
    raw = compute_raw(ctx)
    previous = compute_raw(ctx.with_period(*previous_period(start, end)).headline_only())["metrics"]
    months, trend = compute_trend(ctx)

    related = []
    if not owner:
        if ctx.scope != "scheme":
            related.append(compute_raw(ctx.with_scope())["tables"])
        readers = [*protect_against] + ([viewer] if viewer is not None else [])
        if ctx.scope != "organisation":
            for reader in {reader.pk: reader for reader in readers}.values():
                related.append(compute_raw(ctx.with_scope(reader.pk, local_authority))["tables"])

    sections = []
    code_lists = {}
    for section in registry.report_sections():
        for name, codes in (section.code_lists or {}).items():
            code_lists[name] = code_list_version(codes)
        sections.append(_present_section(section, raw, previous, related, suppressed=not owner))
    return {
        "header": {
            "title": "Monthly impact report" if is_whole_months(start, end) else "Impact report",
            "period": {
                "start": start.isoformat(),
                "end": (end - dt.timedelta(days=1)).isoformat(),
                "label": period_label(start, end),
            },
            "previous_period": {"label": period_label(*previous_period(start, end))},
            "scope": {
                "kind": ctx.scope,
                "label": scope_label(organisation, local_authority),
                "organisation": organisation.slug if organisation else None,
                "local_authority": local_authority or None,
            },
            "cut_off": timezone.localtime(cut_off).isoformat(timespec="seconds"),
            "cut_off_label": f"{timezone.localtime(cut_off):%-d %B %Y, %H:%M}",
            "period_end_label": f"{end - dt.timedelta(days=1):%-d %B %Y}",
            "as_of": timezone.localtime(ctx.as_of).isoformat(timespec="seconds"),
            "code_lists": [{"name": name, "version": version} for name, version in sorted(code_lists.items())],
            "suppressed": not owner,
        },  # fmt: skip
        "sections": sections,
        "trend": _present_trend(months, trend, suppressed=not owner),
    }


def _metric_display(metric, value, metrics: dict, suppressed: bool) -> tuple:
    if not suppressed:
        return value, plain(value)
    if metric.is_count:
        shown = suppress_count(value)
        return (None, shown) if shown == LESS_THAN_5 else (value, shown)
    basis = metrics.get(metric.basis) if metric.basis else None
    if metric.basis and isinstance(basis, int) and 0 < basis < 5:
        return None, WITHHELD
    return value, plain(value)


def _present_section(section, raw: dict, previous: dict, related: list[dict], suppressed: bool) -> dict:
    metrics = []
    for metric in section.metrics:
        value, display = _metric_display(metric, raw["metrics"].get(metric.key), raw["metrics"], suppressed)
        before, before_display = _metric_display(metric, previous.get(metric.key), previous, suppressed)
        change = None
        if (
            value is not None
            and before is not None
            and display not in (LESS_THAN_5, WITHHELD)
            and before_display not in (LESS_THAN_5, WITHHELD)
        ):
            change = (
                round(value - before, 1) if isinstance(value, float) or isinstance(before, float) else value - before
            )
        metrics.append({
            "key": metric.key, "label": metric.label, "definition": metric.definition, "unit": metric.unit,
            "headline": metric.headline, "value": value, "display": display, "previous": before,
            "previous_display": before_display,
            "change_display": "–" if change is None else (f"+{plain(change)}" if change > 0 else plain(change)),
        })  # fmt: skip
    tables = []
    for table in section.tables:
        counts = raw["tables"].get(table.key, {})
        labels = table.labels()
        codes = [*labels, *sorted(code for code in counts if code not in labels and code != NOT_RECORDED)]
        if NOT_RECORDED in counts or table.not_recorded:
            codes.append(NOT_RECORDED)
        values = {code: counts.get(code, 0) for code in codes}
        related_values = [rel.get(table.key, {}) for rel in related]
        if not suppressed:
            shown = {code: plain(value) for code, value in values.items()}
        elif table.partition:
            shown = suppress_table(values, related_values)
        else:
            shown = {code: suppress_table({code: value}, [{code: r.get(code, 0)} for r in related_values])[code]
                     for code, value in values.items()}  # fmt: skip
        total = sum(values.values()) if table.partition else None
        rows = [
            {"code": code, "label": labels.get(code, "Not recorded" if code == NOT_RECORDED else code),
             "value": values[code] if shown[code] not in (LESS_THAN_5, WITHHELD) else None, "display": shown[code]}
            for code in codes
        ]  # fmt: skip
        tables.append({
            "key": table.key, "title": table.title, "definition": table.definition, "chart": table.chart,
            "rows": rows, "total": total,
            "total_display": None if total is None else (suppress_count(total) if suppressed else plain(total)),
        })  # fmt: skip
    return {"key": section.key, "title": section.title, "metrics": metrics, "tables": tables}


def _present_trend(months: list[dt.date], trend: dict, suppressed: bool) -> dict:
    labels = {metric.key: metric.label for section in registry.report_sections() for metric in section.metrics}
    series = []
    for key, by_month in trend.items():
        values = [by_month.get(month, 0) for month in months]
        display = [suppress_count(v) if suppressed else plain(v) for v in values]
        series.append({
            "key": key, "label": labels.get(key, key),
            "values": [None if shown == LESS_THAN_5 else v for v, shown in zip(values, display, strict=True)],
            "display": display,
        })  # fmt: skip
    return {"months": [f"{month:%Y-%m}" for month in months], "month_labels": [f"{month:%b %Y}" for month in months],
            "series": series}  # fmt: skip
