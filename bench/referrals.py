"""Benchmark: referrals at scale, on the search benchmark's residents.

    python -m inclusion.embedded -- python bench/referrals.py      (BENCH_RESIDENTS, BENCH_REFERRALS to size it)

Uses bench/search.py's database and residents (filled once), adds BENCH_REFERRALS referrals (default 50,000)
between its 20 organisations in every status, each resident with a consent to sharing, in a few INSERT ... SELECTs;
then times what every page and request of one receiving organisation does: a resident search through the access
rule (now with the "open referrals" link), opening a referred resident, the inbox's first page, the home page's
counts. Target: each median under 50 ms.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.db import connection  # noqa: E402

from bench import search  # noqa: E402  (sets up the bench database)
from inclusion.access import resident_get_visible  # noqa: E402
from inclusion.models import Organisation  # noqa: E402
from inclusion.selectors import resident_search  # noqa: E402
from referrals.models import Referral  # noqa: E402
from referrals.selectors import referral_counts, referral_list  # noqa: E402

TARGET_MS = 50
REFERRALS = int(os.environ.get("BENCH_REFERRALS", "50000"))
STATUSES = ["sent", "accepted", "started", "declined", "completed", "not_completed", "withdrawn"]


def fill() -> float:
    """Referrals from each organisation's residents to the other organisations, statuses in turn (all at once)."""
    if Referral.objects.exists():
        return 0.0
    started = time.perf_counter()
    orgs = list(Organisation.objects.filter(slug__startswith="bench-").order_by("pk").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        # BENCH_REFERRALS residents, spread over the organisations and the id range, agree to sharing.
        cursor.execute(
            """
            INSERT INTO inclusion_consent (resident_id, purpose, refused, wording_version, channel, organisation_id,
                given_at, withdrawal_channel, withdrawal_note)
            SELECT id, 'sharing', false, 'bench', 'paper', owning_organisation_id, now(), '', ''
            FROM inclusion_resident ORDER BY md5(id::text) LIMIT %(count)s
            """,
            {"count": REFERRALS},
        )
        # One referral per chosen resident, to the next organisation round the ring; statuses in turn. Inserted as
        # sent (the transition trigger's rule for new rows), then moved on with the dates each status needs.
        cursor.execute(
            """
            INSERT INTO referrals_referral (id, resident_id, from_organisation_id, to_organisation_id, need, reason,
                urgency, preferred_contact, sharing_consent_id, status, sent_at, response_due_on, decline_reason,
                not_completed_reason, last_sequence, updated_at)
            SELECT gen_random_uuid(), c.resident_id, c.organisation_id,
                (%(orgs)s::bigint[])[1 + (array_position(%(orgs)s::bigint[], c.organisation_id) %% cardinality(%(orgs)s::bigint[]))],
                'skills', 'bench', 'routine', '', c.id, 'sent', now() - (c.id %% 60) * interval '1 day',
                current_date + 5 - (c.id %% 60)::int, '', '', 1, now()
            FROM inclusion_consent c WHERE c.purpose = 'sharing'
            """,
            {"orgs": orgs},
        )  # fmt: skip
        for index, status in enumerate(STATUSES[1:], start=1):
            cursor.execute(
                f"""
                UPDATE referrals_referral SET status = 'accepted', accepted_at = now(), responded_at = now()
                WHERE abs(hashtext(id::text)) %% 7 = {index} AND %(status)s IN ('accepted', 'started', 'completed',
                    'not_completed', 'withdrawn');
                UPDATE referrals_referral SET status = 'started', started_at = now()
                WHERE abs(hashtext(id::text)) %% 7 = {index} AND %(status)s IN ('started', 'completed', 'not_completed');
                UPDATE referrals_referral SET status = %(status)s, finished_at = now(),
                    decline_reason = CASE WHEN %(status)s = 'declined' THEN 'no_capacity' ELSE '' END,
                    not_completed_reason = CASE WHEN %(status)s = 'not_completed' THEN 'health' ELSE '' END
                WHERE abs(hashtext(id::text)) %% 7 = {index} AND %(status)s NOT IN ('accepted', 'started');
                """,
                {"status": status},
            )  # fmt: skip
        cursor.execute("ANALYZE referrals_referral; ANALYZE inclusion_consent")
    return time.perf_counter() - started


def timed(call, runs=15):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), result


def main():
    search.fill()
    seconds = fill()
    print(
        f"referrals: {Referral.objects.count():,}"
        + (f" (filled in {seconds:.1f} s)" if seconds else " (already there)")
    )
    organisation = Organisation.objects.get(slug="bench-3")
    open_to_it = Referral.objects.filter(to_organisation=organisation, status__in=["sent", "accepted", "started"])
    print(f"open referrals to {organisation.slug}: {open_to_it.count():,}")
    referred = open_to_it.first().resident_id
    checks = {
        "search 'smith' (access rule with referrals)": lambda: len(list(resident_search(organisation=organisation,
                                                                                          query="smith"))),
        "open a referred resident": lambda: resident_get_visible(organisation, referred).pk,
        "inbox: received, open, first page": lambda: len(list(referral_list(organisation=organisation,
                                                                             direction="received", status="open")[:50])),
        "inbox: sent, all, first page": lambda: len(list(referral_list(organisation=organisation,
                                                                        direction="sent")[:50])),
        "home page counts": lambda: referral_counts(organisation=organisation)["received_awaiting"],
    }  # fmt: skip
    failures = 0
    for name, call in checks.items():
        median, worst, result = timed(call)
        verdict = "ok" if median < TARGET_MS else "SLOW"
        failures += verdict != "ok"
        print(f"  {name:<46} median {median:6.1f} ms   max {worst:6.1f} ms   ({result})   {verdict}")
    plan = referral_list(organisation=organisation, direction="received", status="open")[:50].explain(analyze=True)
    print("plan of the inbox:\n" + "\n".join("    " + line for line in plan.splitlines()))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
