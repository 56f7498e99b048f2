"""Benchmark: the reminders sweep over 100,000 loans due today, then a second sweep that finds nothing.

    python -m inclusion.embedded -- .venv/bin/python bench/reminders.py

Fills (once) 50,000 residents who agreed to texts, each with two loans due on the same day, spread over ten
organisations, in a few INSERT ... SELECTs. Each run clears the messages of earlier runs, then times:
the sweep (100,000 items inserted, composed into 50,000 digests: one per resident naming both devices),
the same sweep again (nothing new), and queuing one dispatch batch (rolled back, so nothing is sent).
Target: the first sweep within 20 seconds. On its own database ('<DATABASE_URL's name>_bench'), not the region's:
each run empties the messages tables. Writes artifacts/bench/reminders.md, which bench/run.py puts in BENCHMARKS.md.
"""

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import use_bench_database  # noqa: E402

use_bench_database()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from inclusion.messaging import sweeps  # noqa: E402
from inclusion.messaging.models import Message, MessageItem  # noqa: E402
from inclusion.models import Organisation  # noqa: E402

RESIDENTS = 50_000
LOANS_EACH = 2
ORGANISATIONS = 10
TARGET_SECONDS = 20
DUE_IN_DAYS = 5


def fill(due_on) -> float:
    started = time.perf_counter()
    orgs = []
    for n in range(ORGANISATIONS):
        organisation, _ = Organisation.objects.get_or_create(
            slug=f"bench-reminders-{n}",
            defaults={"name": f"Bench reminders {n}", "kind": "charity", "local_authority": "wolverhampton"},
        )
        orgs.append(organisation.pk)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM devices_loan WHERE organisation_id = ANY(%s) AND closed_at IS NULL", [orgs]
        )
        if cursor.fetchone()[0] >= RESIDENTS * LOANS_EACH:
            cursor.execute("UPDATE devices_loan SET due_on = %s WHERE organisation_id = ANY(%s) AND closed_at IS NULL",
                           [due_on, orgs])  # fmt: skip
            return 0.0
        cursor.execute(
            """
            INSERT INTO inclusion_resident (id, owning_organisation_id, first_name, last_name, preferred_name,
                date_of_birth, age_band, phone, email, address_line_1, address_line_2, town, postcode,
                local_authority, preferred_contact_method, preferred_language, accessibility_needs, gender,
                ethnicity, disability, employment_status, low_income, carer, needs_device, needs_connectivity,
                needs_skills, eds_foundation, eds_communicating, eds_handling_information, eds_transacting,
                eds_problem_solving, eds_being_safe, referral_source, referral_source_detail, created_at, updated_at,
                first_name_key, last_name_key, last_name_part_key, preferred_name_key)
            SELECT gen_random_uuid(), (%(orgs)s::bigint[])[1 + i %% %(n_orgs)s], 'Bench', 'Resident' || i, '',
                DATE '1960-01-01' + (i %% 9000), '', '+4479' || lpad((i * 37 %% 100000000)::text, 8, '0'), '',
                '1 High Street', '', 'Wolverhampton', 'WV1 1AA', 'wolverhampton', 'sms', 'English', '', '', '', '', '',
                '', '', true, false, false, '', '', '', '', '', '', '', '', now(), now(), 'bench', 'resident' || i, '', ''
            FROM generate_series(1, %(count)s) AS i
            """,
            {"orgs": orgs, "n_orgs": ORGANISATIONS, "count": RESIDENTS},
        )
        cursor.execute(
            """
            INSERT INTO inclusion_consent (resident_id, purpose, refused, wording_version, channel, organisation_id,
                given_at, withdrawal_channel, withdrawal_note)
            SELECT r.id, purpose, false, 'bench', 'paper', r.owning_organisation_id, now(), '', ''
            FROM inclusion_resident r CROSS JOIN unnest(ARRAY['processing', 'contact_sms']) AS purpose
            WHERE r.owning_organisation_id = ANY(%(orgs)s)
            """,
            {"orgs": orgs},
        )
        cursor.execute(
            """
            WITH borrowers AS (
                SELECT r.id AS resident_id, r.owning_organisation_id AS org, copy,
                       row_number() OVER (ORDER BY r.id, copy) AS n
                FROM inclusion_resident r CROSS JOIN generate_series(1, %(each)s) AS copy
                WHERE r.owning_organisation_id = ANY(%(orgs)s)
            ), devices AS (
                INSERT INTO devices_device (asset_tag, serial_number, kind, make, model, specification, accessories,
                    owning_organisation_id, location, source, donor, condition, status, needs_wipe, notes, created_at,
                    updated_at)
                SELECT 'REM-' || n, '', 'laptop', '', '', '', '{}', org, '', 'donated', '', 'good', 'on_loan', true,
                    '', now(), now() FROM borrowers RETURNING id, asset_tag, owning_organisation_id
            )
            INSERT INTO devices_loan (device_id, resident_id, organisation_id, agreement_method, agreement_terms_version,
                agreement_accepted_at, witness_name, started_on, due_on, extensions, outcome, accessories_returned,
                accessories_missing, closing_notes, police_reference, stolen, return_condition, created_at,
                accepted_name, agreement_sha256, open_ended, overdue_override_reason, renewals)
            SELECT d.id, b.resident_id, b.org, 'signed_paper', 'bench', now(), '', current_date, %(due_on)s, 0,
                '', '{}', '{}', '', '', false, '', now(), '', '', false, '', 0
            FROM devices d JOIN borrowers b ON d.asset_tag = 'REM-' || b.n
            """,
            {"orgs": orgs, "each": LOANS_EACH, "due_on": due_on},
        )
        cursor.execute("ANALYZE inclusion_resident; ANALYZE inclusion_consent; ANALYZE devices_loan; "
                       "ANALYZE devices_device")  # fmt: skip
    return time.perf_counter() - started


def main() -> int:
    load_before = os.getloadavg()
    due_on = timezone.localdate() + timedelta(days=DUE_IN_DAYS)
    seconds = fill(due_on)
    print(f"filled {RESIDENTS:,} residents with {RESIDENTS * LOANS_EACH:,} loans in {seconds:.1f} s" if seconds
          else "loans already there")  # fmt: skip
    with connection.cursor() as cursor:  # earlier runs' messages, so this sweep finds everything again
        cursor.execute("TRUNCATE messaging_messageitem, messaging_message CASCADE")
        cursor.execute("DELETE FROM inclusion_caseevent WHERE kind LIKE 'message_%%'")
    now = datetime.combine(due_on, clock(10, 0), tzinfo=ZoneInfo("Europe/London"))
    failures = 0
    started = time.perf_counter()
    counts = sweeps.sweep_run(now=now, dispatch=False)
    first = time.perf_counter() - started
    verdict = (
        "ok" if first <= TARGET_SECONDS and counts["loan reminders"] == RESIDENTS * LOANS_EACH else "SLOW or WRONG"
    )
    failures += verdict != "ok"
    print(
        f"first sweep: {first:5.2f} s, {counts['loan reminders']:,} items, {counts['messages']:,} messages  {verdict}"
    )
    started = time.perf_counter()
    again = sweeps.sweep_run(now=now + timedelta(minutes=5), dispatch=False)
    second = time.perf_counter() - started
    nothing = again["loan reminders"] == 0 and again["messages"] == 0
    failures += not nothing
    print(f"second sweep: {second:5.2f} s, {again['loan reminders']} items, {again['messages']} messages  "
          f"{'ok' if nothing else 'WRONG: found something'}")  # fmt: skip
    with transaction.atomic():
        started = time.perf_counter()
        queued = sweeps.messages_dispatch(now=now)
        dispatch = time.perf_counter() - started
        transaction.set_rollback(True)  # measured, not sent
    print(f"dispatch of one batch: {dispatch:5.2f} s for {len(queued):,} messages (rolled back)")
    met = "met" if first <= TARGET_SECONDS else f"missed ({first / TARGET_SECONDS:.1f}×)"
    report = [
        f"Measured by `make bench-reminders` (bench/reminders.py) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, on "
        f"{connection.settings_dict['NAME']} ({RESIDENTS:,} residents who agreed to texts, {LOANS_EACH} loans each due "
        f"in {DUE_IN_DAYS} days, over {ORGANISATIONS} organisations); load average before: "
        f"{', '.join(f'{x:.1f}' for x in load_before)}.",
        "",
        "| step | s | found | target |",
        "|---|---|---|---|",
        f"| first sweep | {first:.1f} | {counts['loan reminders']:,} items, {counts['messages']:,} messages | "
        f"≤ {TARGET_SECONDS} s: {met} |",
        f"| second sweep (nothing new) | {second:.1f} | {again['loan reminders']} items, {again['messages']} messages "
        f"| finds nothing: {'yes' if nothing else 'NO'} |",
        f"| queuing one dispatch batch (rolled back) | {dispatch:.2f} | {len(queued):,} messages | – |",
    ]
    output = Path(__file__).resolve().parent.parent / "artifacts" / "bench" / "reminders.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(report) + "\n")
    digest = Message.objects.filter(audience="resident").first()
    print(f"items per resident digest: {MessageItem.objects.filter(message=digest).count()}; "
          f"messages by status: {dict(Message.objects.values_list('status').annotate(n=__import__('django.db.models', fromlist=['Count']).Count('id')))}")  # fmt: skip
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
