"""Benchmark: the monthly impact report for the whole region against one hand-written SQL query for the same
headline figures (issue 12's targets: the report within 2 s and within 1.5 times the hand-written query).

    .venv/bin/python bench/report.py [--month YYYY-MM] [--runs N]     (or `make bench-report`)

Runs against the region database bench/run.py uses (BENCH_REGION_DATABASE beside DATABASE_URL's, default
region_scale; it writes only the closed months' stored figures, inclusion/reports/rollups.py, which it empties
first). Times, for the given month (by default the last full month): the whole scheme's report as a funder sees
it (every section's figures and tables, the month before, the 12-month trend, suppression), one local
authority's and one organisation's own, each the first run (nothing stored: every month computed and stored)
and the median of the rest (stored months read), with its queries counted; the scheme's report again after a
late correction to the month (its generation bumped, as the triggers do: that month computed again); and the
one hand-written statement computing the report's five headline figures for the
whole scheme (checked equal to the report's). Charts and files are not included (they do not grow with the
region). Writes artifacts/bench/report.md, which bench/run.py puts in BENCHMARKS.md.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

TARGET_SECONDS, TARGET_RATIO = 2.0, 1.5

# The whole scheme's five headline figures for [start, end), written by hand: each a count on its own index
# (created_at, started_on, issued_at, sent_at), residents supported one DISTINCT over the three activities.
HEADLINES_SQL = """
WITH loans AS (SELECT resident_id FROM devices_loan WHERE started_on >= %(start)s AND started_on < %(end)s),
     vouchers AS (SELECT resident_id FROM devices_voucher WHERE issued_at >= %(start_at)s AND issued_at < %(end_at)s),
     referrals AS (SELECT resident_id FROM referrals_referral WHERE sent_at >= %(start_at)s AND sent_at < %(end_at)s)
SELECT (SELECT count(*) FROM inclusion_resident WHERE created_at >= %(start_at)s AND created_at < %(end_at)s),
       (SELECT count(DISTINCT resident_id) FROM (SELECT * FROM loans UNION ALL SELECT * FROM vouchers
                                                 UNION ALL SELECT * FROM referrals) AS helped),
       (SELECT count(*) FROM loans), (SELECT count(*) FROM vouchers), (SELECT count(*) FROM referrals)
"""
HEADLINE_KEYS = ("residents_registered", "residents_supported", "devices_lent", "vouchers_issued", "referrals_sent")


def timed(function, runs: int) -> tuple[float, float, int]:
    """(first, median of the rest, queries of the last run) in seconds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            function()
            timings.append(time.perf_counter() - started)
        queries = len(captured)
    return timings[0], statistics.median(timings[1:]) if runs > 1 else timings[0], queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", help="YYYY-MM (default: the last full month)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--output", default=str(BASE_DIR / "artifacts" / "bench" / "report.md"))
    args = parser.parse_args()
    from bench.run import database_urls

    os.environ["DATABASE_URL"] = database_urls()[0]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inclusion.settings.dev")
    import datetime as dt

    import django

    django.setup()
    from django.db import connection
    from django.db.models import F
    from django.utils import timezone

    from devices.models import Loan
    from inclusion.models import Organisation, Resident
    from inclusion.reports.build import report_build
    from inclusion.reports.definitions import add_months, month_start

    residents = Resident.objects.count()
    if not residents:
        print(f"No residents in {connection.settings_dict['NAME']}: build it first (manage.py build_region).")
        return 1
    start = (
        dt.date.fromisoformat(args.month + "-01") if args.month else add_months(month_start(timezone.localdate()), -1)
    )
    end = add_months(start, 1)
    organisation = Organisation.objects.get(slug="region-01")
    header = (f"{connection.settings_dict['NAME']}: {residents:,} residents, {Loan.objects.count():,} loans; the "
              f"report for {start:%B %Y}, {args.runs} runs each")  # fmt: skip
    print(header)
    lines = [f"Measured by `make bench-report` (bench/report.py) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
             f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}. {header}.", "",
             "| report | first s (computed) | median s (stored) | queries | target (2 s) |", "|---|---|---|---|---|"]  # fmt: skip
    cases = {
        "whole scheme (a funder's)": {},
        "one local authority": {"local_authority": organisation.local_authority},
        "one organisation (its own)": {"organisation": organisation, "viewer": organisation},
    }
    from inclusion.reports.models import ReportRollup, RollupGeneration

    ReportRollup.objects.all().delete()  # the first run of each computes its months from the activity
    failures, scheme_median = 0, 0.0
    for name, kwargs in cases.items():
        first, median, queries = timed(lambda kwargs=kwargs: report_build(start=start, end=end, **kwargs), args.runs)
        scheme_median = scheme_median or median
        verdict = "met" if median <= TARGET_SECONDS else f"missed ({median / TARGET_SECONDS:.1f}×)"
        failures += median > TARGET_SECONDS
        lines.append(f"| {name} | {first:.2f} | {median:.3f} | {queries} | {verdict} |")
        print(lines[-1], flush=True)
    RollupGeneration.objects.filter(month=start).update(generation=F("generation") + 1)
    corrected, _, queries = timed(lambda: report_build(start=start, end=end), 1)
    lines.append(
        f"| whole scheme, after a late correction to {start:%B} | {corrected:.2f} | – | {queries} | {'met' if corrected <= TARGET_SECONDS else 'missed'} |"
    )
    print(lines[-1], flush=True)
    # The headline figures as the report computes them (its sections' own queries), for the check.
    report = report_build(start=start, end=end)
    figures = {m["key"]: m["value"] for section in report["sections"] for m in section["metrics"]}
    tz = timezone.get_current_timezone()
    params = {"start": start, "end": end, "start_at": datetime.combine(start, dt.time(), tz),
              "end_at": datetime.combine(end, dt.time(), tz)}  # fmt: skip
    by_hand = {}

    def headlines():
        with connection.cursor() as cursor:
            cursor.execute(HEADLINES_SQL, params)
            by_hand.update(zip(HEADLINE_KEYS, cursor.fetchone(), strict=True))

    first, sql_median, _ = timed(headlines, args.runs)
    agree = all(by_hand[key] == figures.get(key) for key in HEADLINE_KEYS)
    failures += not agree
    ratio = scheme_median / sql_median if sql_median else float("inf")
    failures += ratio > TARGET_RATIO
    lines += [
        f"| the five headline figures, one hand-written statement | {first:.2f} | {sql_median:.2f} | 1 | – |",
        "",
        f"The whole scheme's report took {ratio:.1f}× the hand-written statement (target ≤ {TARGET_RATIO}×): "
        + ("met." if ratio <= TARGET_RATIO else f"missed by {ratio / TARGET_RATIO:.1f}×.")
        + " The report computes far more than the five headline figures (every section's figures and tables, "
        "the month before, twelve months of trend); the statement is the floor for the headline alone. "
        + ("Its figures equal the report's: " if agree else "ITS FIGURES DIFFER FROM THE REPORT'S: ")
        + ", ".join(f"{key} {by_hand[key]:,}" + ("" if by_hand[key] == figures.get(key) else
                                                  f" (report {figures.get(key)})") for key in HEADLINE_KEYS)
        + ".",
    ]  # fmt: skip
    print("\n".join(lines[-3:]))
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text("\n".join(lines) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
