"""Benchmark: resident search on a million residents, with core PostgreSQL only.

    make bench            (or: python -m inclusion.embedded -- python bench/search.py)

Uses a database '<name>_bench' beside DATABASE_URL's (bench/common.py), fills it (once) with
BENCH_RESIDENTS residents (default 1,000,000) spread over 20 organisations in one INSERT ... SELECT,
then times searches by name, postcode and phone for one organisation and prints the plan of one.
Targets: every search's median under 50 ms.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import use_bench_database  # noqa: E402

TARGET_MS = 50
COUNT = int(os.environ.get("BENCH_RESIDENTS", "1000000"))
use_bench_database()

from django.db import connection  # noqa: E402

from inclusion.models import Organisation, Resident  # noqa: E402
from inclusion.selectors import resident_search  # noqa: E402

FIRST = [
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Harry",
    "Mia",
    "Noah",
    "Aisha",
    "Mohammed",
    "Priya",
    "Jack",
    "Grace",
    "Leo",
    "Fatima",
    "Arthur",
    "Sofia",
    "Oscar",
    "Zara",
    "Jacob",
    "Margaret",
    "David",
    "Susan",
    "Kwame",
]
LAST = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Khan",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Begum",
    "Singh",
    "Okafor",
    "Hughes",
    "Edwards",
    "Hussain",
    "Lewis",
    "Clarke",
    "Ahmed",
    "Kaur",
    "Oduya",
]


def fill():
    if Resident.objects.count() >= COUNT:
        return 0.0
    orgs = [Organisation.objects.get_or_create(slug=f"bench-{i}", defaults={"name": f"Bench partner {i}",
            "kind": "charity", "local_authority": "wolverhampton"})[0].pk for i in range(20)]  # fmt: skip
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO inclusion_resident (id, owning_organisation_id, first_name, last_name, preferred_name,
                date_of_birth, age_band, phone, email, address_line_1, address_line_2, town, postcode,
                local_authority, preferred_contact_method, preferred_language, accessibility_needs, gender,
                ethnicity, disability, employment_status, low_income, carer, needs_device, needs_connectivity,
                needs_skills, eds_foundation, eds_communicating, eds_handling_information, eds_transacting,
                eds_problem_solving, eds_being_safe, referral_source, referral_source_detail, created_at, updated_at,
                first_name_key, last_name_key, last_name_part_key, preferred_name_key)
            SELECT id, organisation, first_name, last_name, '', date_of_birth, '', phone, '', '', '', 'Wolverhampton',
                postcode, 'wolverhampton', '', 'English', '', '', '', '', '', '', '', false, false, false, '', '', '',
                '', '', '', '', '', now(), now(),
                -- The names are ASCII, so SQL gives the keys inclusion.validators.name_search_key would.
                lower(first_name), regexp_replace(lower(last_name), '[^a-z0-9]', '', 'g'),
                CASE WHEN last_name LIKE '%%-%%' THEN regexp_replace(lower(last_name), '^.*-', '') ELSE '' END, ''
            FROM (SELECT gen_random_uuid() AS id, (%(orgs)s::bigint[])[1 + abs(hashtext(i || 'o')) %% 20] AS organisation,
                (%(first)s::text[])[1 + abs(hashtext(i || 'f')) %% cardinality(%(first)s::text[])] AS first_name,
                (%(last)s::text[])[1 + abs(hashtext(i || 'l')) %% cardinality(%(last)s::text[])]
                    || CASE WHEN abs(hashtext(i || 'x')) %% 4 = 0 THEN '-' || chr(97 + abs(hashtext(i || 'y')) %% 26) ELSE '' END
                    AS last_name,
                DATE '1930-01-01' + (i %% 25000) AS date_of_birth, '+4479' || lpad((i * 37 %% 100000000)::text, 8, '0') AS phone,
                'WV' || (1 + abs(hashtext(i || 'p')) %% 16) || ' ' || (abs(hashtext(i || 'q')) %% 10)
                    || chr(65 + abs(hashtext(i || 'r')) %% 26) || chr(65 + abs(hashtext(i || 's')) %% 26) AS postcode
                FROM generate_series(%(start)s, %(stop)s) AS i) AS generated
            """,
            {"orgs": orgs, "first": FIRST, "last": LAST, "start": Resident.objects.count(), "stop": COUNT - 1},
        )
        cursor.execute("ANALYZE inclusion_resident")
    return time.perf_counter() - started


def lend_to_others(organisation, count=2000):
    """Open loans from `organisation` to other organisations' residents, so the access rule's links count."""
    from datetime import timedelta

    from django.utils import timezone

    from devices.models import Loan
    from inclusion.models import DataSharingAgreement

    today = timezone.localdate()  # the links count only under a current data-sharing agreement (inclusion.access)
    DataSharingAgreement.objects.update_or_create(
        organisation=organisation, reference=f"DSA-{organisation.slug}",
        defaults={"starts_on": today - timedelta(days=365), "ends_on": today + timedelta(days=365)},
    )  # fmt: skip
    if Loan.objects.filter(organisation=organisation).exists():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH borrowers AS (
                SELECT id AS resident_id, row_number() OVER () AS n FROM inclusion_resident
                WHERE owning_organisation_id <> %(org)s ORDER BY id LIMIT %(count)s
            ), devices AS (
                INSERT INTO devices_device (asset_tag, serial_number, kind, make, model, specification, accessories,
                    owning_organisation_id, location, source, donor, condition, status, needs_wipe, notes, created_at,
                    updated_at)
                SELECT 'BENCH-' || n, '', 'laptop', '', '', '', '{}', %(org)s, '', 'donated', '', 'good', 'on_loan', true,
                    '', now(), now() FROM borrowers RETURNING id, asset_tag
            )
            INSERT INTO devices_loan (device_id, resident_id, organisation_id, agreement_method, agreement_terms_version,
                agreement_accepted_at, witness_name, started_on, due_on, extensions, outcome, accessories_returned,
                accessories_missing, closing_notes, police_reference, stolen, return_condition, created_at)
            SELECT d.id, b.resident_id, %(org)s, 'signed_paper', 'bench', now(), '', current_date, current_date + 28, 0,
                '', '{}', '{}', '', '', false, '', now()
            FROM devices d JOIN borrowers b ON d.asset_tag = 'BENCH-' || b.n
            """,
            {"org": organisation.pk, "count": count},
        )


def timed(organisation, query, runs=15):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        found = list(resident_search(organisation=organisation, query=query))
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), len(found)


def main():
    seconds = fill()
    total = Resident.objects.count()
    print(f"residents: {total:,} (filled in {seconds:.1f} s)" if seconds else f"residents: {total:,} (already there)")
    organisation = Organisation.objects.get(slug="bench-3")
    lend_to_others(organisation)
    print(f"open loans linking other organisations' residents to {organisation.slug}: "
          f"{organisation.loans.filter(closed_at__isnull=True).count():,}")  # fmt: skip
    failures = 0
    for query in [
        "smith",
        "oduya",
        "grace smith",
        "pat",
        "zz",
        "wv3 4",
        "wv1",
        "wv11",
        "WV12 7KD",
        "+447900000111",
        "07900 0001",
        "kaur-b",
        "kaur b",
        "o'duya",
    ]:
        median, worst, found = timed(organisation, query)
        verdict = "ok" if median < TARGET_MS else "SLOW"
        failures += verdict != "ok"
        print(f"  search {query!r:<18} {found:>3} found   median {median:6.1f} ms   max {worst:6.1f} ms   {verdict}")
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:  # the search is one statement (access.VisibleResidents)
        resident_search(organisation=organisation, query="grace smith")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN ANALYZE " + captured.captured_queries[0]["sql"])
        plan = [row[0] for row in cursor.fetchall()]
    print("plan for 'grace smith':\n" + "\n".join("    " + line for line in plan))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
