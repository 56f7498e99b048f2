"""Closed months' figures, computed once and kept (ReportRollup), so that a report of a closed month and the
12-month trend read twelve stored rows instead of a year of the region's activity.

A closed month is one that ended at least a day ago (`SETTLE`): a transaction that began before its end has
committed by then. Its figures are computed the first time a report needs them (or by the nightly
`report_rollups_refresh`), for that scope, and stored with the month's generation (RollupGeneration).

Late corrections. Each section declares the columns it reads (`reads`, inclusion.reports.definitions.Reads).
A statement-level trigger on each of those tables (installed after every migrate, from the declarations)
works out, from the rows the statement changed, the earliest moment it reached back to, and bumps the
generation of every closed month from then on. A stored month whose generation no longer matches is
computed again. Everyday work (a loan lent today, a return recorded today, a referral accepted today) touches
only the current month and bumps nothing; a loan recorded with last month's start date, a resident's
ethnicity corrected, or a loan's outcome changed after it closed does.

Why generations and not a delete: a month computed while a late correction was being written (not yet
committed) is stored with the generation read before it began, which the correction then bumps.
"""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .. import registry
from .definitions import Reads, ReportContext, add_months, month_start, report_reads
from .models import ReportRollup, RollupGeneration

SETTLE = dt.timedelta(days=1)
# Months before this are never stored (a bump "from the beginning" bumps every month from here).
FIRST_MONTH = dt.date(2000, 1, 1)


# --- Which months a report may read from storage -------------------------------------------------------------


def is_closed(month: dt.date, cut_off: dt.datetime) -> bool:
    """Whether `month`'s stored figures may stand for a report cut off at `cut_off`: the month ended before the
    cut-off (so the report counts it whole) and at least SETTLE ago."""
    end = ReportContext(month, add_months(month, 1)).end_at  # the periods' own midnight, as every report counts
    return month >= FIRST_MONTH and end <= cut_off and end <= timezone.now() - SETTLE


def covers(ctx: ReportContext) -> bool:
    """Whether ctx is one whole closed month."""
    return ctx.start.day == 1 and ctx.end == add_months(ctx.start, 1) and is_closed(ctx.start, ctx.cut_off)


def scope_key(ctx: ReportContext) -> str:
    return f"o{ctx.organisation_id or ''}:{ctx.local_authority}"


# --- Reading and storing --------------------------------------------------------------------------------------


ALL = ("metrics", "tables", "trend")


def month_figures(ctx: ReportContext, months: list[dt.date], parts: tuple[str, ...] = ALL) -> dict[dt.date, dict]:
    """{month: {part: ...}} for ctx's scope and each of `months` (closed ones), with at least `parts` of
    "metrics", "tables" (the period's figures) and "trend" (the month's value of each trend series): the stored
    figures where they are current, else computed now and stored. One query when all are stored. Missing
    trend values are computed for all the months at once (one statement per section, as a live trend is)."""
    scope = scope_key(ctx)
    found = _stored(scope, months)
    missing = [month for month in months if not set(parts) <= set(found.get(month, {}))]
    if not missing:
        return found
    # Each month's generation before reading anything: a correction committed after this makes it stale.
    RollupGeneration.objects.bulk_create([RollupGeneration(month=month) for month in missing], ignore_conflicts=True)
    generations = dict(RollupGeneration.objects.filter(month__in=missing).values_list("month", "generation"))
    computed: dict[dt.date, dict] = {month: {} for month in missing}
    now = timezone.now()
    if "trend" in parts:
        for month in missing:
            computed[month]["trend"] = {}
        wide = ReportContext(min(missing), add_months(max(missing), 1), ctx.organisation_id, ctx.local_authority, now)
        with report_reads():
            for section in registry.report_sections():
                if section.trend is not None:
                    for key, by_month in section.trend(wide).items():
                        for month in missing:
                            computed[month]["trend"][key] = by_month.get(month, 0)
    if {"metrics", "tables"} & set(parts):
        from .build import compute_raw_live

        for month in missing:
            one = ReportContext(month, add_months(month, 1), ctx.organisation_id, ctx.local_authority, now,
                                detail="tables" in parts)  # fmt: skip
            raw = compute_raw_live(one)
            computed[month]["metrics"] = raw["metrics"]
            if "tables" in parts:
                computed[month]["tables"] = raw["tables"]
    for month, figures in computed.items():
        found[month] = _store(scope, month, generations[month], figures)
    return found


def _stored(scope: str, months: list[dt.date]) -> dict[dt.date, dict]:
    rollups, generations = ReportRollup._meta.db_table, RollupGeneration._meta.db_table
    current = ReportRollup.objects.filter(scope=scope, month__in=months).extra(
        tables=[generations],
        where=[f"{generations}.month = {rollups}.month", f"{generations}.generation = {rollups}.generation"],
    )
    return dict(current.values_list("month", "figures"))


def _store(scope: str, month: dt.date, generation: int, figures: dict) -> dict:
    """Store `figures` (some parts) for the month, beside the parts already stored of the same generation (in
    place of those of another); returns every part now stored."""
    table = ReportRollup._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {table} (scope, month, generation, figures, computed_at)
                VALUES (%s, %s, %s, %s, now())
                ON CONFLICT (scope, month) DO UPDATE SET
                    figures = CASE WHEN {table}.generation = EXCLUDED.generation
                                   THEN {table}.figures || EXCLUDED.figures ELSE EXCLUDED.figures END,
                    generation = EXCLUDED.generation, computed_at = EXCLUDED.computed_at
                RETURNING figures""",
            [scope, month, generation, json.dumps(figures)],
        )
        stored = cursor.fetchone()[0]
    return json.loads(stored) if isinstance(stored, str) else stored


def report_rollups_refresh(*, months: int = 13, today: dt.date | None = None) -> int:
    """Compute what is missing or stale of the last `months` closed months, for the whole scheme, each local
    authority and each active organisation (the nightly task: reports of those then read stored figures).
    Returns how many scope-months were computed."""
    from ..choices import LocalAuthority
    from ..models import Organisation

    now = timezone.now()
    last = add_months(month_start(today or timezone.localdate()), -1)
    wanted = [m for m in (add_months(last, -i) for i in range(months)) if is_closed(m, now)]
    contexts = [ReportContext(last, add_months(last, 1), cut_off=now)]
    contexts += [ReportContext(last, add_months(last, 1), None, la, now) for la in LocalAuthority.values]
    contexts += [
        ReportContext(last, add_months(last, 1), pk, "", now)
        for pk in Organisation.objects.filter(active=True).order_by("pk").values_list("pk", flat=True)
    ]
    computed = 0
    for ctx in contexts:
        stored = _stored(scope_key(ctx), wanted)
        missing = [month for month in wanted if not set(ALL) <= set(stored.get(month, {}))]
        if missing:
            month_figures(ctx, missing)
            computed += len(missing)
    return computed


# --- The triggers that bump generations -----------------------------------------------------------------------


def merged_reads() -> dict[type, Reads]:
    """Every section's declarations, one per model (a column read as an attribute anywhere is one)."""
    merged: dict[type, Reads] = {}
    for section in registry.report_sections():
        for reads in section.reads:
            seen = merged.get(reads.model)
            if seen is None:
                merged[reads.model] = reads
                continue
            attributes = tuple(dict.fromkeys([*seen.attributes, *reads.attributes]))
            merged[reads.model] = Reads(
                reads.model,
                dates=tuple(dict.fromkeys([*seen.dates, *reads.dates])),
                attributes=attributes,
                with_dates=tuple(
                    c for c in dict.fromkeys([*seen.with_dates, *reads.with_dates]) if c not in attributes
                ),
                not_followed=tuple(dict.fromkeys([*seen.not_followed, *reads.not_followed])),
            )
    return merged


FUNCTION = "reports_rollup_touch"


def _function_sql() -> str:
    """TG_ARGV[0]: a statement over the transition tables giving the earliest moment the change reached back to."""
    generations = RollupGeneration._meta.db_table
    return f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    earliest timestamptz;
    local_now timestamp := clock_timestamp() AT TIME ZONE %(tz)s;
BEGIN
    EXECUTE TG_ARGV[0] INTO earliest;
    IF earliest IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO {generations} (month, generation)
    SELECT m::date, 1
    FROM generate_series(
        date_trunc('month', greatest(earliest, %(first)s::timestamptz) AT TIME ZONE %(tz)s),
        date_trunc('month', local_now) - interval '1 month', interval '1 month') AS m
    ORDER BY 1
    ON CONFLICT (month) DO UPDATE SET generation = {generations}.generation + 1;
    RETURN NULL;
END
$fn$;
"""


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def _least(columns: list[str], prefixes: tuple[str, ...]) -> str:
    terms = [f"{prefix}.{column}::timestamptz" for column in columns for prefix in prefixes]
    return f"least({', '.join(terms)})"


def _earliest_sql(reads: Reads, event: str) -> str | None:
    """The statement the trigger runs for `event`: the earliest moment the changed rows reach back to."""
    model = reads.model
    dates = [_column(model, name) for name in reads.dates]
    attributes = [_column(model, name) for name in reads.attributes]
    with_dates = [_column(model, name) for name in reads.with_dates]
    if event in ("INSERT", "DELETE"):
        if not dates:
            return None  # a row without dates is in no period until a row with dates points at it
        table = "new_rows" if event == "INSERT" else "old_rows"
        return f"SELECT min({_least(dates, ('t',))}) FROM {table} t"

    def row(prefix, columns):
        return f"({', '.join(f'{prefix}.{c}' for c in columns)})"

    everything = _least(dates, ("o", "n")) if dates else "'-infinity'::timestamptz"
    widening = []
    if attributes:
        widening.append(f"{row('o', attributes)} IS DISTINCT FROM {row('n', attributes)}")
    if with_dates:
        alone = f"{row('o', with_dates)} IS DISTINCT FROM {row('n', with_dates)}"
        if dates:
            alone += f" AND {row('o', dates)} IS NOT DISTINCT FROM {row('n', dates)}"
        widening.append(f"({alone})")
    moved = [
        f"CASE WHEN o.{c} IS DISTINCT FROM n.{c} THEN least(o.{c}::timestamptz, n.{c}::timestamptz) END" for c in dates
    ]
    narrow = f"least({', '.join(moved)})" if moved else "NULL::timestamptz"
    case = f"CASE WHEN {' OR '.join(widening)} THEN {everything} ELSE {narrow} END" if widening else narrow
    pk = _column(model, model._meta.pk.name)
    return f"SELECT min({case}) FROM old_rows o JOIN new_rows n ON n.{pk} = o.{pk}"


def _trigger_name(model, event: str) -> str:
    return f"rollup_{event.lower()}_{model._meta.db_table}"[:63]


def install_triggers(using: str = "default", **kwargs) -> None:
    """(Re)create the function and each declared table's triggers: a post_migrate receiver, so that they
    follow the sections' declarations."""
    from django.db import connections

    with connections[using].cursor() as cursor:
        cursor.execute(_function_sql(), {"tz": settings.TIME_ZONE, "first": FIRST_MONTH.isoformat()})
        for model, reads in merged_reads().items():
            table = connections[using].ops.quote_name(model._meta.db_table)
            for event, referencing in (
                ("INSERT", "REFERENCING NEW TABLE AS new_rows"),
                ("UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                ("DELETE", "REFERENCING OLD TABLE AS old_rows"),
            ):
                name = _trigger_name(model, event)
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                statement = _earliest_sql(reads, event)
                if statement is None:
                    continue
                argument = statement.replace("'", "''")
                cursor.execute(
                    f"CREATE TRIGGER {name} AFTER {event} ON {table} {referencing} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}('{argument}')"
                )
