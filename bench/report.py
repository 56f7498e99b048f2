"""Benchmark: the monthly impact report for the whole region (target: 2 s at a million residents).

    .venv/bin/python bench/report.py [--database-url URL] [--month YYYY-MM] [--runs N]

Runs against the region dataset that `manage.py build_region` builds (by default the database `region_full`
beside DATABASE_URL's; nothing is written to it). Times, for the given month (by default the last month that
has loans): the whole scheme's report as a funder sees it (figures, the month before, the 12-month trend,
suppression), one local authority's (plus the whole scheme's, for the suppression's differences), and one
organisation's own; each run cold-ish (first) and warm (the median of the rest), with the queries counted.
Charts and files are not included (they do not grow with the region).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_SECONDS = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="the region database (default: region_full beside DATABASE_URL's)")
    parser.add_argument("--month", help="YYYY-MM (default: the latest month with a loan)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inclusion")
    os.environ["DATABASE_URL"] = args.database_url or base.split("?")[0].rsplit("/", 1)[0] + "/region_full"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inclusion.settings.dev")

    import datetime as dt

    import django

    django.setup()
    from django.db import connection
    from django.db.models import Max
    from django.test.utils import CaptureQueriesContext

    from devices.models import Loan
    from inclusion.models import Organisation, Resident
    from inclusion.reports.build import report_build
    from inclusion.reports.definitions import add_months

    residents = Resident.objects.count()
    if not residents:
        print(f"No residents in {connection.settings_dict['NAME']}: build it first (manage.py build_region).")
        return 1
    if args.month:
        start = dt.date.fromisoformat(args.month + "-01")
    else:
        latest = Loan.objects.aggregate(latest=Max("started_on"))["latest"] or dt.date.today()
        start = latest.replace(day=1)
    end = add_months(start, 1)
    organisation = Organisation.objects.order_by("pk").first()
    print(f"{connection.settings_dict['NAME']}: {residents:,} residents, {Loan.objects.count():,} loans; "
          f"report for {start:%B %Y}")  # fmt: skip
    cases = {
        "whole scheme (funder)": {},
        "one local authority": {"local_authority": organisation.local_authority},
        "one organisation (own)": {"organisation": organisation, "viewer": organisation},
    }
    failures = 0
    for name, kwargs in cases.items():
        timings, queries = [], 0
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                report_build(start=start, end=end, **kwargs)
                timings.append(time.perf_counter() - started)
            queries = len(captured)
        warm = statistics.median(timings[1:]) if len(timings) > 1 else timings[0]
        verdict = "ok" if warm <= TARGET_SECONDS else "SLOW"
        failures += verdict != "ok"
        print(f"{name:26} first {timings[0]:6.2f} s  median {warm:6.2f} s  max {max(timings):6.2f} s  "
              f"{queries} queries  (target {TARGET_SECONDS:.0f} s) {verdict}")  # fmt: skip
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
