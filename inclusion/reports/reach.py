"""The core's section of the report: reach (residents registered, residents supported, each person once across
every app's help) and who they are (the breakdowns by local authority, organisation and equality monitoring).

Residents supported come from every registered section's `supported(ctx)` rows, put together in one SQL
statement (UNION ALL), de-duplicated per resident, scoped, and counted by every breakdown at once (GROUPING
SETS, one per breakdown, which PostgreSQL hashes in one pass). A handful of queries whatever the size of the
region.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from .. import choices, registry
from ..models import Organisation, Resident
from .definitions import NOT_RECORDED, Metric, Reads, ReportContext, Table

METRICS = (
    Metric("residents_registered", "Residents newly registered",
           "Residents registered in the period (by the organisation, for an organisation; living in the local "
           "authority, for a local authority).", headline=True),
    Metric("residents_supported", "Residents supported",
           "Different residents lent a device, issued a data voucher or referred in the period, each counted "
           "once however many times or ways they were helped.", headline=True),
)  # fmt: skip


def _organisation_labels() -> dict[str, str]:
    return {str(pk): name for pk, name in Organisation.objects.values_list("pk", "name")}


BREAKDOWNS = (
    # (table key, the resident's value as SQL, code list, what the rows are)
    ("supported_by_local_authority", "COALESCE(NULLIF(r.local_authority, ''), ro.local_authority)",
     choices.LocalAuthority, "Local authority", "where they live (or, when not recorded, their registering "
     "organisation's local authority)"),
    ("supported_by_organisation", "r.owning_organisation_id::text", _organisation_labels, "Organisation",
     "the organisation that registered them"),
    ("supported_by_age_band", None, choices.AgeBand, "Age band",
     "their age on the last day of the period from their date of birth, or the age band they gave"),
    ("supported_by_gender", "r.gender", choices.Gender, "Gender", "gender, as they describe it"),
    ("supported_by_ethnicity", "r.ethnicity", choices.Ethnicity, "Ethnic group", "ethnic group (ONS 2021 Census groups)"),
    ("supported_by_disability", "r.disability", choices.YesNo, "Disability", "whether they consider themselves disabled"),
    ("supported_by_employment", "r.employment_status", choices.EmploymentStatus, "Employment status", "employment status, as they gave it"),
    ("supported_by_low_income", "r.low_income", choices.YesNo, "Low income",
     "whether they are on a low income or receiving benefits, as they said"),
)  # fmt: skip

TABLES = tuple(
    Table(key, f"Residents supported by {title[0].lower()}{title[1:]}",
          f"Residents supported in the period, by {what}."
          + ("" if key in ("supported_by_local_authority", "supported_by_organisation")
             else " 'Not recorded' counts those never asked."),
          choices=codes, chart="barh", not_recorded=key not in ("supported_by_local_authority", "supported_by_organisation"))
    for key, _, codes, title, what in BREAKDOWNS
)  # fmt: skip

AGE_BAND_SQL = """CASE WHEN r.date_of_birth IS NULL THEN NULLIF(r.age_band, '') ELSE (
    SELECT CASE WHEN age < 18 THEN 'under_18' WHEN age < 25 THEN '18_24' WHEN age < 35 THEN '25_34'
                WHEN age < 45 THEN '35_44' WHEN age < 55 THEN '45_54' WHEN age < 65 THEN '55_64'
                WHEN age < 75 THEN '65_74' ELSE '75_plus' END
    FROM (SELECT extract(year FROM age(%(as_of_date)s::date, r.date_of_birth)) AS age) AS years) END"""


def _activity_sql(ctx: ReportContext) -> tuple[str, list]:
    """Every section's (resident id, date, organisation id) rows for ctx's period, as one UNION ALL."""
    parts, params = [], []
    for section in registry.report_sections():
        if section.supported is None:
            continue
        for queryset in section.supported(ctx):
            sql, part_params = queryset.query.sql_with_params()
            parts.append(f"({sql})")
            params.extend(part_params)
    if not parts:
        return "SELECT NULL::uuid, NULL::date, NULL::bigint WHERE false", []
    return " UNION ALL ".join(parts), params


def _joins(ctx: ReportContext) -> str:
    """The resident and their registering organisation, joined only when the scope needs where they live."""
    if not ctx.local_authority:
        return ""
    return (f"JOIN {Resident._meta.db_table} r ON r.id = act.resident_id "
            f"JOIN {Organisation._meta.db_table} ro ON ro.id = r.owning_organisation_id")  # fmt: skip


def _scope_sql(ctx: ReportContext) -> tuple[str, dict]:
    conditions, params = ["true"], {}
    if ctx.organisation_id:
        conditions.append("act.organisation_id = %(organisation_id)s")
        params["organisation_id"] = ctx.organisation_id
    if ctx.local_authority:
        conditions.append("COALESCE(NULLIF(r.local_authority, ''), ro.local_authority) = %(local_authority)s")
        params["local_authority"] = ctx.local_authority
    return " AND ".join(conditions), params


def _named(sql: str, positional: list, named: dict) -> tuple[str, dict]:
    """Turn the querysets' %s placeholders into named ones, so one statement can mix both."""
    pieces = sql.split("%s")
    out, values = [pieces[0]], dict(named)
    for index, piece in enumerate(pieces[1:]):
        values[f"p{index}"] = positional[index]
        out.append(f"%(p{index})s{piece}")
    return "".join(out), values


def supported_breakdowns(ctx: ReportContext) -> dict[str, dict[str, int]]:
    """{table key: {code: residents}} and {"total": {NOT_RECORDED: residents}}, in one statement: each supported
    resident's values once, counted by every breakdown at once through GROUPING SETS (hashed by PostgreSQL, so
    no sort of a row per resident and breakdown)."""
    activity, activity_params = _activity_sql(ctx)
    where, scope_params = _scope_sql(ctx)
    values = ",\n".join(
        f"{AGE_BAND_SQL if expression is None else expression} AS b{index}"
        for index, (_, expression, *_) in enumerate(BREAKDOWNS)
    )
    names = [f"b{index}" for index in range(len(BREAKDOWNS))]
    sql = f"""
        WITH act(resident_id, at, organisation_id) AS ({activity}),
        supported AS (SELECT DISTINCT act.resident_id FROM act {_joins(ctx)} WHERE {where}),
        answers AS (
            SELECT {values}
            FROM supported s
            JOIN {Resident._meta.db_table} r ON r.id = s.resident_id
            JOIN {Organisation._meta.db_table} ro ON ro.id = r.owning_organisation_id
        )
        SELECT GROUPING({", ".join(names)}), {", ".join(names)}, count(*)
        FROM answers
        GROUP BY GROUPING SETS ({", ".join(f"({name})" for name in names)}, ())
    """
    sql, params = _named(sql, activity_params, {**scope_params, "as_of_date": ctx.as_of_date})
    result: dict[str, dict[str, int]] = {"total": {}}
    width = len(BREAKDOWNS)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for grouping, *row in cursor.fetchall():
            count = row[-1]
            # GROUPING() has a bit set for each column not grouped by, the first column the highest bit.
            grouped = [index for index in range(width) if not grouping & (1 << (width - 1 - index))]
            if not grouped:
                result["total"][NOT_RECORDED] = count
                continue
            index = grouped[0]
            table = result.setdefault(BREAKDOWNS[index][0], {})
            code = str(row[index] or NOT_RECORDED)  # NULL and "" are both not recorded
            table[code] = table.get(code, 0) + count
    return result


def supported_by_month(ctx: ReportContext) -> dict:
    """{first day of month: different residents supported that month} over ctx's months."""
    activity, activity_params = _activity_sql(ctx)
    where, scope_params = _scope_sql(ctx)
    sql = f"""
        WITH act(resident_id, at, organisation_id) AS ({activity})
        SELECT date_trunc('month', act.at)::date, count(DISTINCT act.resident_id)
        FROM act {_joins(ctx)}
        WHERE {where}
        GROUP BY 1
    """
    sql, params = _named(sql, activity_params, scope_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def supported_count(ctx: ReportContext) -> int:
    activity, activity_params = _activity_sql(ctx)
    where, scope_params = _scope_sql(ctx)
    sql = f"""WITH act(resident_id, at, organisation_id) AS ({activity})
              SELECT count(DISTINCT act.resident_id) FROM act {_joins(ctx)} WHERE {where}"""
    sql, params = _named(sql, activity_params, scope_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def compute(ctx: ReportContext) -> dict:
    registered = Resident.objects.filter(
        ctx.during("created_at"), ctx.scoped(organisations=("owning_organisation",), resident="")
    ).count()
    if not ctx.detail:
        return {"metrics": {"residents_registered": registered, "residents_supported": supported_count(ctx)}}
    breakdowns = supported_breakdowns(ctx)
    return {
        "metrics": {"residents_registered": registered,
                    "residents_supported": breakdowns.pop("total", {}).get(NOT_RECORDED, 0)},
        "tables": {key: breakdowns.get(key, {}) for key, *_ in BREAKDOWNS},
    }  # fmt: skip


def trend(ctx: ReportContext) -> dict:
    registered = dict(
        Resident.objects.filter(
            ctx.during("created_at"), ctx.scoped(organisations=("owning_organisation",), resident="")
        )
        .annotate(month=TruncMonth("created_at", tzinfo=timezone.get_current_timezone()))
        .values_list("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    registered = {_as_date(month): n for month, n in registered.items()}
    return {"residents_registered": registered, "residents_supported": supported_by_month(ctx)}


def _as_date(value):
    return value.date() if hasattr(value, "date") and callable(value.date) else value


SECTION = registry.ReportSection(
    key="reach", title="Reach", order=10, compute=compute, metrics=METRICS, tables=TABLES, trend=trend,
    reads=(Reads(Resident, dates=("created_at",), attributes=("owning_organisation", "local_authority",
                 "date_of_birth", "age_band", "gender", "ethnicity", "disability", "employment_status", "low_income")),
           Reads(Organisation, attributes=("local_authority",))),
    code_lists={"Local authorities": choices.LocalAuthority, "Age bands": choices.AgeBand, "Gender": choices.Gender,
                "Ethnic groups (ONS 2021)": choices.Ethnicity, "Yes/no answers": choices.YesNo,
                "Employment status": choices.EmploymentStatus},
)  # fmt: skip
