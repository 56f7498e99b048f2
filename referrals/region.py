"""The referrals app's part of the region-scale dataset (inclusion/region.py, `manage.py build_region`): referrals
between partners in every status (2% sent, 1.5% accepted, 3% started: 6.5% open, which share their resident with
the receiving partner; then declined, completed, not completed, withdrawn), each with the resident's consent to
sharing, its numbered history, outcomes for the completed ones (at completion, and at follow-up for half), and a
message between the two partners on one referral in four. Set-based SQL only.

The database's rules hold: a referral is inserted as sent and moved on by UPDATEs along the TRANSITIONS table, so
the status trigger (referral_status_transition) checks every move, and the check constraints each row.
"""

from inclusion.region import Region, int_array, text_array

from .models import Outcome, Referral, ReferralEvent, ReferralMessage

# Out of every 200 referrals: how many end in each status (ranges of mod(g, 200)).
STATUS_SHARES = [("sent", 4), ("accepted", 3), ("started", 6), ("declined", 24), ("completed", 110),
                 ("not_completed", 30), ("withdrawn", 23)]  # fmt: skip
# The moves each final status took from "sent" (as services.TRANSITIONS allows), with the action's name.
PATHS = {
    "sent": [],
    "accepted": [("sent", "accepted", "accept")],
    "started": [("sent", "accepted", "accept"), ("accepted", "started", "start")],
    "declined": [("sent", "declined", "decline")],
    "completed": [("sent", "accepted", "accept"), ("accepted", "started", "start"),
                  ("started", "completed", "complete")],
    "not_completed": [("sent", "accepted", "accept"), ("accepted", "started", "start"),
                      ("started", "not_completed", "record as not completed")],
    "withdrawn": [("sent", "withdrawn", "withdraw")],
}  # fmt: skip
NEEDS = ["skills", "skills", "skills", "device", "connectivity", "support", "other"]
LEVELS = ["cannot", "with_help", "independent", "independent"]
# A permutation of resident numbers (7,919 is prime, so coprime with any size here): distinct residents.
STRIDE = 7919


def _target_sql() -> str:
    cases, upto = [], 0
    for status, share in STATUS_SHARES:
        upto += share
        cases.append(f"WHEN mod(g, 200) < {upto} THEN '{status}'")
    return "CASE " + " ".join(cases) + " END"


def build_referrals(region: Region) -> dict[str, int]:
    size = region.size
    if size.referrals > size.residents or size.residents % STRIDE == 0:
        raise ValueError("The region's referrals need distinct residents: at most one per resident.")
    cursor = region.cursor
    users = int_array(region.user_ids)
    orgs = len(region.organisation_ids)
    # One row per referral: its resident, its final status, when it was sent (open ones recently).
    cursor.execute(f"""
        CREATE TEMPORARY TABLE region_referral ON COMMIT DROP AS
        SELECT g, r, target, md5('region-referral-' || g)::uuid AS id,
            {region.organisation_index_sql("r")} AS from_index,
            1 + mod({region.organisation_index_sql("r")} + mod(g, {orgs - 1}), {orgs}) AS to_index,
            now() - CASE WHEN target = 'sent' THEN random() * interval '4 days'
                         WHEN target IN ('accepted', 'started') THEN interval '5 days' + random() * interval '50 days'
                         ELSE interval '90 days' + random() * interval '900 days' END AS sent_at
        FROM (SELECT g, 1 + mod((g - 1)::bigint * {STRIDE}, {size.residents})::int AS r, {_target_sql()} AS target
              FROM generate_series(1, {size.referrals}) g) numbered
    """)  # fmt: skip
    cursor.execute("ANALYZE region_referral")
    consents = region.insert_select(
        Referral._meta.get_field("sharing_consent").related_model,
        {
            "resident_id": region.resident_id_sql("r"),
            "purpose": "'sharing'",
            "refused": "false",
            "wording_version": "'region'",
            "channel": "'paper'",
            "organisation_id": region.organisation_id_sql("from_index"),
            "recorded_by_id": f"({users})[from_index]",
            "given_at": "sent_at - interval '1 hour'",
        },
        "region_referral",
    )
    to_org, from_org = region.organisation_id_sql("t.to_index"), region.organisation_id_sql("t.from_index")
    path_length = "CASE t.target " + " ".join(f"WHEN '{k}' THEN {len(v) + 1}" for k, v in PATHS.items()) + " END"
    accepted = "t.target IN ('accepted', 'started', 'completed', 'not_completed')"
    started = "t.target IN ('started', 'completed', 'not_completed')"
    finished = "t.target IN ('completed', 'not_completed', 'withdrawn')"
    referrals = region.insert_select(
        Referral,
        {
            "id": "t.id",
            "resident_id": region.resident_id_sql("t.r"),
            "from_organisation_id": from_org,
            "referred_by_id": f"({users})[t.from_index]",
            "to_organisation_id": to_org,
            "need": f"({text_array(NEEDS)})[1 + mod(t.g, {len(NEEDS)})]",
            "reason": "'Wants to get online to manage their Universal Credit account and talk to family.'",
            "urgency": "(ARRAY['routine','routine','routine','soon','urgent'])[1 + mod(t.g, 5)]",
            "sharing_consent_id": "c.id",
            "confidence_before": "1 + mod(t.g, 3)",
            "status": "'sent'",  # moved on below, along the transitions
            "sent_at": "t.sent_at",
            "response_due_on": "(t.sent_at + interval '7 days')::date",
            "responded_at": f"CASE WHEN {accepted} OR t.target = 'declined' THEN t.sent_at + interval '2 days' END",
            "accepted_at": f"CASE WHEN {accepted} THEN t.sent_at + interval '2 days' END",
            "declined_at": "CASE WHEN t.target = 'declined' THEN t.sent_at + interval '2 days' END",
            "started_at": f"CASE WHEN {started} THEN t.sent_at + interval '10 days' END",
            "finished_at": f"CASE WHEN t.target = 'withdrawn' THEN t.sent_at + interval '1 day' "
            f"WHEN {finished} THEN t.sent_at + interval '60 days' END",
            "withdrawn_at": "CASE WHEN t.target = 'withdrawn' THEN t.sent_at + interval '1 day' END",
            "not_completed_reason": "CASE WHEN t.target = 'not_completed' "
            "THEN (ARRAY['stopped_attending','moved_away','health','not_suitable'])[1 + mod(t.g, 4)] ELSE '' END",
            "follow_up_due_on": "CASE WHEN t.target = 'completed' THEN (t.sent_at + interval '116 days')::date END",
            "last_sequence": path_length,
            "updated_at": "t.sent_at",
        },
        "region_referral t JOIN inclusion_consent c "
        f"ON c.resident_id = {region.resident_id_sql('t.r')} AND c.purpose = 'sharing' AND c.withdrawn_at IS NULL",
    )
    table = Referral._meta.db_table
    for to_status, targets in (
        ("accepted", "('accepted', 'started', 'completed', 'not_completed')"),
        ("started", "('started', 'completed', 'not_completed')"),
        ("t.target", "('declined', 'completed', 'not_completed', 'withdrawn')"),
    ):
        status = to_status if to_status == "t.target" else f"'{to_status}'"
        cursor.execute(
            f"UPDATE {table} r SET status = {status}, decline_reason = CASE WHEN t.target = 'declined' "
            "THEN (ARRAY['no_capacity','not_eligible','unable_to_contact','resident_declined'])[1 + mod(t.g, 4)] "
            f"ELSE '' END FROM region_referral t WHERE r.id = t.id AND t.target IN {targets}"
        )
    # The history: "send" (sequence 1), then each move of the referral's path.
    moves = [("", "sent", "send", 1, "sent", "from")]
    for target, path in PATHS.items():
        for sequence, (from_status, to_status, action) in enumerate(path, start=2):
            side = "from" if to_status == "withdrawn" else "to"
            moves.append((from_status, to_status, action, sequence, target, side))
    values = ", ".join(f"('{f}', '{t}', '{a}', {n}, '{target}', '{side}')" for f, t, a, n, target, side in moves)
    events = region.insert_select(
        ReferralEvent,
        {
            "referral_id": "t.id",
            "sequence": "m.sequence",
            "action": "m.action",
            "from_status": "m.from_status",
            "to_status": "m.to_status",
            "organisation_id": f"CASE m.side WHEN 'from' THEN {from_org} ELSE {to_org} END",
            "actor_id": f"({users})[CASE m.side WHEN 'from' THEN t.from_index ELSE t.to_index END]",
            "reason": "CASE WHEN m.to_status = 'declined' THEN 'no_capacity' ELSE '' END",
            "occurred_at": "t.sent_at + (m.sequence - 1) * interval '2 days'",
        },
        f"region_referral t JOIN (VALUES {values}) AS m(from_status, to_status, action, sequence, target, side) "
        "ON m.target = t.target OR (m.sequence = 1)",
    )
    level = f"({text_array(LEVELS)})[1 + floor(random() * {len(LEVELS)})::int]"
    outcomes = region.insert_select(
        Outcome,
        {
            "referral_id": "t.id",
            "stage": "s.stage",
            **{
                f"eds_{area}": level
                for area in (
                    "foundation",
                    "communicating",
                    "handling_information",
                    "transacting",
                    "problem_solving",
                    "being_safe",
                )
            },  # fmt: skip
            "confidence": "2 + floor(random() * 4)::int",
            "got_online_independently": "random() < 0.6",
            "uses_online_public_services": "random() < 0.4",
            "applied_for_work_or_training": "random() < 0.2",
            "found_work": "random() < 0.05",
            "feels_less_isolated": "random() < 0.3",
            "saves_money_online": "random() < 0.25",
            "organisation_id": to_org,
            "recorded_by_id": f"({users})[t.to_index]",
            "recorded_at": "t.sent_at + CASE s.stage WHEN 'completion' THEN interval '60 days' "
            "ELSE interval '116 days' END",
        },
        "region_referral t JOIN (VALUES ('completion'), ('follow_up')) AS s(stage) "
        "ON t.target = 'completed' AND (s.stage = 'completion' OR mod(t.g, 2) = 0)",
    )
    messages = region.insert_select(
        ReferralMessage,
        {
            "referral_id": "t.id",
            "organisation_id": to_org,
            "author_id": f"({users})[t.to_index]",
            "body": "'We called twice and left a voicemail: could you check their number with them?'",
            "sent_at": "t.sent_at + interval '1 day'",
        },
        "region_referral t WHERE mod(t.g, 4) = 1",
    )
    cursor.execute("DROP TABLE region_referral")
    return {"sharing consents": consents, "referrals": referrals, "referral history": events,
            "outcomes": outcomes, "referral messages": messages}  # fmt: skip
