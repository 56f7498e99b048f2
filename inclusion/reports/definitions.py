"""What a report is made of: metrics and tables (each defined once, in words shown beside it), the period and
scope a report covers (ReportContext), and the query helpers every section uses to stay within them.

Scope, as every section counts it:
- the whole scheme: everything;
- one organisation: what that organisation did (its loans, its vouchers, referrals it sent or received, the
  residents it registered);
- one local authority: what was done for residents living there (the resident's local authority, or their
  registering organisation's when it was not recorded); stock with no resident by its organisation's.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Aggregate, FloatField, Q
from django.utils import timezone


@dataclass(frozen=True)
class Metric:
    """One headline figure. `unit`: "count" (people or things: small ones are suppressed outside the owning
    organisation), or "days", "GB", "points" (an average or total over `basis` records, withheld when the
    count it rests on is)."""

    key: str
    label: str
    definition: str
    unit: str = "count"
    basis: str | None = None
    headline: bool = False

    @property
    def is_count(self) -> bool:
        return self.unit == "count"


@dataclass(frozen=True)
class Table:
    """One breakdown: counts by category of a code list (`choices`: a TextChoices class, or a dict of code →
    label). Categories with no value are shown as 0; rows outside the list under their code."""

    key: str
    title: str
    definition: str
    choices: object = None
    chart: str = "bar"
    # Whether the rows split one total (each thing in exactly one row): then the total is shown, and cells are
    # hidden in pairs so that it cannot give a small one back. Rows that overlap (before/after) have no total.
    partition: bool = True
    # Whether to show a "Not recorded" row even when it is 0 (questions that may go unasked).
    not_recorded: bool = False

    def labels(self) -> dict[str, str]:
        if self.choices is None:
            return {}
        if callable(self.choices) and not hasattr(self.choices, "choices"):
            return self.choices()
        if hasattr(self.choices, "choices"):
            return {str(value): str(label) for value, label in self.choices.choices}
        return {str(value): str(label) for value, label in dict(self.choices).items()}


NOT_RECORDED = "not_recorded"


@dataclass(frozen=True)
class Reads:
    """The columns of one model a section's statements read, for keeping closed months' figures
    (inclusion/reports/rollups.py). `dates`: the dates and times that place a row in a period; a change to one
    touches the months of its old and new values. `attributes`: everything else read (who, what, where,
    outcome): a change to one touches every month from the row's earliest date (every month, for a model
    without dates). `with_dates`: columns that only ever change together with one of `dates` (a status and the
    time it was reached), which then says which months are touched; changed alone, they count as attributes.
    A new row or a removed one touches the months of its dates. `not_followed`: columns read whose changes
    cannot move a closed month's figures (say why beside them); tests/reports/test_rollups.py checks that every
    column the sections' statements name is declared one way or another."""

    model: object
    dates: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()
    with_dates: tuple[str, ...] = ()
    not_followed: tuple[str, ...] = ()


def code_list_version(choices) -> str:
    """A code list's version: a short digest of its codes and labels, so that any change to a list used by a
    report shows in the report's header (and a snapshot says which lists it was made with)."""
    pairs = choices.choices if hasattr(choices, "choices") else sorted(dict(choices).items())
    text = "\n".join(f"{value}={label}" for value, label in pairs)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class ReportContext:
    """A report's period (dates, `end` exclusive) and scope: the whole scheme, or one organisation
    (`organisation_id`), or one local authority, or (for the privacy checks) an organisation's part of one.
    The cut-off: figures at "the end of the period" are as of `as_of`, the earlier of the period's end and the
    cut-off (now, for a live report)."""

    start: dt.date
    end: dt.date
    organisation_id: int | None = None
    local_authority: str = ""
    cut_off: dt.datetime = field(default_factory=timezone.now)
    # False: the headline figures only (the period before, for the comparison): sections may skip their tables.
    detail: bool = True

    @property
    def scope(self) -> str:
        return "organisation" if self.organisation_id else "local_authority" if self.local_authority else "scheme"

    @property
    def start_at(self) -> dt.datetime:
        return _midnight(self.start)

    @property
    def end_at(self) -> dt.datetime:
        return _midnight(self.end)

    @property
    def as_of(self) -> dt.datetime:
        return min(self.end_at, self.cut_off)

    @property
    def as_of_date(self) -> dt.date:
        """The last day the period's end figures cover (the day before `as_of`, or the cut-off's day)."""
        return timezone.localtime(self.as_of - dt.timedelta(microseconds=1)).date()

    def with_period(self, start: dt.date, end: dt.date) -> ReportContext:
        return ReportContext(start, end, self.organisation_id, self.local_authority, self.cut_off, self.detail)

    def with_scope(self, organisation_id=None, local_authority="") -> ReportContext:
        return ReportContext(self.start, self.end, organisation_id, local_authority, self.cut_off, self.detail)

    def headline_only(self) -> ReportContext:
        return ReportContext(self.start, self.end, self.organisation_id, self.local_authority, self.cut_off, False)

    def during(self, field_name: str) -> Q:
        """Rows whose datetime `field_name` falls in the period (and before the cut-off)."""
        return Q(**{f"{field_name}__gte": self.start_at, f"{field_name}__lt": self.as_of})

    def during_dates(self, field_name: str) -> Q:
        """Rows whose date `field_name` falls in the period (up to the cut-off's day)."""
        return Q(**{f"{field_name}__gte": self.start, f"{field_name}__lte": self.as_of_date})

    def scoped(self, *, organisations: tuple[str, ...], resident: str | None = None, resident_always=False) -> Q:
        """Rows within the scope: done by the scope's organisation through any of `organisations` (paths to an
        Organisation), and/or for a resident living in its local authority (`resident`: the path to the
        Resident, "" for residents themselves; rows with none go by the first organisation's local authority)."""
        condition = Q()
        if self.organisation_id:
            by_organisation = Q()
            for path in organisations:
                by_organisation |= Q(**{f"{path}_id": self.organisation_id})
            condition &= by_organisation
        if self.local_authority:
            la = self.local_authority
            by_organisation_la = Q(**{f"{organisations[0]}__local_authority": la})
            if resident is None:
                condition &= by_organisation_la
            elif resident == "":  # rows that are residents
                condition &= Q(local_authority=la) | Q(local_authority="", owning_organisation__local_authority=la)
            else:
                # Rows that always have a resident (loans, referrals) need no alternative for rows without one:
                # a plain join then, which PostgreSQL plans far better than an OR across three tables.
                lives_there = Q(**{f"{resident}__local_authority": la}) | Q(
                    **{f"{resident}__local_authority": "", f"{resident}__owning_organisation__local_authority": la}
                )
                if resident_always:
                    condition &= lives_there
                else:
                    condition &= lives_there | (Q(**{f"{resident}__isnull": True}) & by_organisation_la)
        return condition


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of the months from `start`'s to the one before `end` (exclusive)."""
    months, month = [], month_start(start)
    while month < end:
        months.append(month)
        month = add_months(month, 1)
    return months


class Median(Aggregate):
    """PostgreSQL's exact median (percentile_cont), with FILTER like any aggregate."""

    function = "percentile_cont"
    template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


@contextmanager
def report_reads():
    """Around a report's statements: they sort and group hundreds of thousands of rows at region scale (the
    residents supported, once per breakdown), which PostgreSQL's default 4 MB work_mem sends to disk; and JIT
    compiling them costs more than it saves. Both only for this transaction (SET LOCAL)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'; SET LOCAL jit = off")
        yield
