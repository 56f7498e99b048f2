"""The sweep: find what is due (each registered source, one set-based query each), compose one message per
resident (and one per organisation's staff) listing everything due, then queue what may be sent now.

Everything here is sets, never a query per loan, and safe to run twice or twice at once: items and messages
are inserted with ON CONFLICT DO NOTHING on their natural keys, and a transaction-scoped advisory lock lets
one sweep compose at a time (a second waits, then finds nothing new).

Quiet hours: nothing goes to residents between 21:00 and 09:00 UK time; staff alerts also wait for a working
day (inclusion/calendar.py: weekdays that are not bank holidays in England and Wales). Times are worked out
in Europe/London, so the nights the clocks change hold messages until 09:00 local time, whatever UTC says.
"""

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from inclusion.calendar import is_open

from . import sources
from .models import Channel, MessageStatus

logger = logging.getLogger(__name__)

UK = ZoneInfo("Europe/London")
DAY_STARTS = time(9, 0)
QUIET_FROM = time(21, 0)
SWEEP_LOCK = 7_310_001  # pg_advisory_xact_lock key: one sweep composes at a time
REQUEUE_AFTER = timedelta(minutes=15)  # a queued send task not yet run is queued again after this
DISPATCH_BATCH = 5000


def uk_today(now: datetime) -> date:
    return now.astimezone(UK).date()


def release_time(now: datetime, *, working_days_only: bool = False) -> datetime:
    """When a message created at `now` may be sent: now if it is daytime in the UK (09:00 to 21:00, and a working
    day if `working_days_only`), else 09:00 UK time on the next day that qualifies. MESSAGE_QUIET_HOURS off (some
    tests): always now."""
    if not settings.MESSAGE_QUIET_HOURS:
        return now
    local = now.astimezone(UK)
    day = local.date()
    daytime = DAY_STARTS <= local.time() < QUIET_FROM
    if daytime and (not working_days_only or is_open(day)):
        return now
    if local.time() >= DAY_STARTS:
        day += timedelta(days=1)
    while working_days_only and not is_open(day):
        day += timedelta(days=1)
    return datetime.combine(day, DAY_STARTS, tzinfo=UK)


def sweep_run(*, now: datetime | None = None, dispatch: bool = True) -> dict[str, int]:
    """Find everything due at `now` and compose it into messages; then (unless not `dispatch`) queue the sendable
    ones, after commit. Returns counts by source, plus "messages" composed and "queued"."""
    now = now or timezone.now()
    today = uk_today(now)
    counts: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SWEEP_LOCK])
        # Big set-based statements: compiling them (JIT) costs more than it saves, and sorts fit in memory.
        cursor.execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")
        for source in sources.sweeps():
            counts[source.name] = source.sweep(today=today, now=now, cursor=cursor)
        counts["messages"] = messages_compose(cursor, now=now)
    counts["queued"] = len(messages_dispatch(now=now)) if dispatch else 0
    logger.info("reminders sweep: %s", counts)
    return counts


# Which channel a resident's digest goes by: the stage's rule, then their preference, then what they allow.
# SMS and email need a current consent to contact that way; an "in person only" preference is an opt-out of
# messages. Someone with no phone and no email, but an address, gets a letter for staff to print. A restricted
# record (UK GDPR Art. 18) gets nothing: its message is skipped with the reason.
_CONSENT = """EXISTS (SELECT 1 FROM inclusion_consent c WHERE c.resident_id = r.id AND c.purpose = '{purpose}'
              AND NOT c.refused AND c.withdrawn_at IS NULL)"""
_COMPOSE_RESIDENTS = f"""
WITH grouped AS (
    SELECT i.resident_id, i.organisation_id, i.channel_rule, min(i.id) AS first_id, array_agg(i.id) AS ids
    FROM messaging_messageitem i
    WHERE i.message_id IS NULL AND i.audience = 'resident'
    GROUP BY i.resident_id, i.organisation_id, i.channel_rule
), facts AS (
    SELECT g.*, r.phone, r.email, r.preferred_contact_method AS preferred, r.preferred_language,
           (r.phone <> '' AND {_CONSENT.format(purpose="contact_sms")}) AS sms_ok,
           (r.email <> '' AND {_CONSENT.format(purpose="contact_email")}) AS email_ok,
           (r.address_line_1 <> '' AND r.postcode <> '') AS post_ok,
           (r.phone = '' AND r.email = '') AS unreachable,
           (r.restricted_at IS NOT NULL) AS restricted  -- inclusion.selectors.residents_messageable_q, in SQL
    FROM grouped g JOIN inclusion_resident r ON r.id = g.resident_id
), chosen AS (
    SELECT f.*, CASE
        WHEN f.restricted THEN NULL
        WHEN f.preferred = 'in_person' THEN NULL
        WHEN f.channel_rule = 'sms' THEN CASE WHEN f.sms_ok THEN 'sms' END
        WHEN f.channel_rule = 'email' THEN CASE WHEN f.email_ok THEN 'email' END
        WHEN f.channel_rule = 'letter' THEN CASE WHEN f.post_ok THEN 'letter' END
        WHEN f.preferred = 'email' AND f.email_ok THEN 'email'
        WHEN f.preferred IN ('sms', 'phone') AND f.sms_ok THEN 'sms'
        WHEN f.preferred = 'post' AND f.post_ok THEN 'letter'
        WHEN f.sms_ok THEN 'sms'
        WHEN f.email_ok THEN 'email'
        WHEN f.unreachable AND f.post_ok THEN 'letter'
    END AS channel
    FROM facts f
), inserted AS (
    INSERT INTO messaging_message (natural_key, kind, audience, organisation_id, resident_id, channel, recipient,
        language, body, status, status_reason, send_after, attempts, created_at, updated_at)
    SELECT 'resident:' || c.first_id, 'digest', 'resident', c.organisation_id, c.resident_id,
        COALESCE(c.channel, 'none'),
        CASE c.channel WHEN 'sms' THEN c.phone WHEN 'email' THEN c.email ELSE '' END,
        c.preferred_language, '',
        CASE WHEN c.channel IS NULL THEN 'skipped' ELSE 'pending' END,
        CASE
            WHEN c.channel IS NOT NULL THEN ''
            WHEN c.restricted THEN 'Their record is restricted: no messages until the restriction is lifted'
            WHEN c.preferred = 'in_person' THEN 'They prefer to be contacted in person only'
            WHEN c.channel_rule IN ('sms', 'email', 'letter') THEN 'They cannot be reached the way this stage uses'
            WHEN c.unreachable THEN 'No phone, email or postal address'
            ELSE 'No current consent to contact them by text or email'
        END,
        CASE WHEN c.channel = 'letter' THEN %(now)s ELSE %(release)s END, 0, %(now)s, %(now)s
    FROM chosen c
    ON CONFLICT (natural_key) DO NOTHING
    RETURNING id, natural_key, resident_id, organisation_id, status, status_reason, channel
), timeline AS (
    INSERT INTO inclusion_caseevent (id, resident_id, organisation_id, kind, summary, body, data, occurred_at)
    SELECT gen_random_uuid(), m.resident_id, m.organisation_id,
        CASE WHEN m.status = 'skipped' THEN 'message_skipped' ELSE 'message_queued' END,
        CASE WHEN m.status = 'skipped' THEN left('Reminder not sent: ' || m.status_reason, 300)
             ELSE 'Reminder letter queued for staff to print' END,
        '', jsonb_build_object('message', m.id), %(now)s
    FROM inserted m WHERE m.status = 'skipped' OR m.channel = 'letter'
), assigned AS (
    UPDATE messaging_messageitem i SET message_id = m.id
    FROM (SELECT unnest(c.ids) AS item_id, c.first_id FROM chosen c) p
    JOIN inserted m ON m.natural_key = 'resident:' || p.first_id
    WHERE i.id = p.item_id AND i.message_id IS NULL
    RETURNING i.message_id
)
SELECT count(DISTINCT message_id) FROM assigned
"""

# Staff alerts: one email per organisation listing its due items, to its active coordinators.
_COMPOSE_STAFF = """
WITH grouped AS (
    SELECT i.organisation_id, min(i.id) AS first_id, array_agg(i.id) AS ids
    FROM messaging_messageitem i
    WHERE i.message_id IS NULL AND i.audience = 'staff'
    GROUP BY i.organisation_id
), addressed AS (
    SELECT g.*, (
        SELECT string_agg(DISTINCT u.email, ', ' ORDER BY u.email)
        FROM inclusion_membership ms JOIN inclusion_user u ON u.id = ms.user_id
        WHERE ms.organisation_id = g.organisation_id AND ms.active AND u.is_active
          AND ms.role IN ('coordinator', 'administrator')
    ) AS emails
    FROM grouped g
), inserted AS (
    INSERT INTO messaging_message (natural_key, kind, audience, organisation_id, channel, recipient, language, body,
        status, status_reason, send_after, attempts, created_at, updated_at)
    SELECT 'staff:' || a.first_id, 'staff_digest', 'staff', a.organisation_id, 'staff_email', COALESCE(a.emails, ''),
        'English', '',
        CASE WHEN a.emails IS NULL THEN 'skipped' ELSE 'pending' END,
        CASE WHEN a.emails IS NULL THEN 'No active coordinator to tell' ELSE '' END,
        %(release)s, 0, %(now)s, %(now)s
    FROM addressed a
    ON CONFLICT (natural_key) DO NOTHING
    RETURNING id, natural_key
), assigned AS (
    UPDATE messaging_messageitem i SET message_id = m.id
    FROM (SELECT unnest(a.ids) AS item_id, a.first_id FROM addressed a) p
    JOIN inserted m ON m.natural_key = 'staff:' || p.first_id
    WHERE i.id = p.item_id AND i.message_id IS NULL
    RETURNING i.message_id
)
SELECT count(DISTINCT message_id) FROM assigned
"""


def messages_compose(cursor, *, now: datetime) -> int:
    """Gather items not yet in a message into one message per resident (per organisation and channel rule) and
    one per organisation's staff. Precondition: the sweep's advisory lock is held. Returns messages made."""
    cursor.execute(_COMPOSE_RESIDENTS, {"now": now, "release": release_time(now)})
    made = cursor.fetchone()[0]
    cursor.execute(_COMPOSE_STAFF, {"now": now, "release": release_time(now, working_days_only=True)})
    return made + cursor.fetchone()[0]


SENDABLE = (Channel.SMS, Channel.EMAIL, Channel.STAFF_EMAIL)


def messages_dispatch(*, now: datetime | None = None, limit: int = DISPATCH_BATCH) -> list[int]:
    """Queue a send task for each pending message whose time has come (and not queued in the last 15 minutes).
    Letters are not sent: staff print them from the outbox. The tasks are queued after commit."""
    from .tasks import message_send

    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE messaging_message SET queued_at = %(now)s
            WHERE id IN (
                SELECT id FROM messaging_message
                WHERE status = 'pending' AND channel = ANY(%(channels)s) AND send_after <= %(now)s
                  AND (queued_at IS NULL OR queued_at < %(requeue)s)
                ORDER BY send_after, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED
            ) RETURNING id
            """,
            {"now": now, "channels": list(SENDABLE), "requeue": now - REQUEUE_AFTER, "limit": limit},
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        transaction.on_commit(lambda: [message_send.delay(pk) for pk in ids])
    return ids


def messages_reconcile(*, now: datetime | None = None, stuck_after: int | None = None) -> int:
    """Return messages stuck in `sending` (their worker died or lost its connection) to the queue. The send task
    asks Notify for the message's reference before sending again, so one that did reach Notify is not repeated.
    `stuck_after` seconds (MESSAGE_STUCK_AFTER_SECONDS) is longer than any send task may run."""
    now = now or timezone.now()
    stuck_after = settings.MESSAGE_STUCK_AFTER_SECONDS if stuck_after is None else stuck_after
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE messaging_message SET status = %s, queued_at = NULL, updated_at = %s, "
            "status_reason = 'Returned to the queue: its send did not finish' "
            "WHERE status = %s AND claimed_at < %s",
            [MessageStatus.PENDING, now, MessageStatus.SENDING, now - timedelta(seconds=stuck_after)],
        )
        return cursor.rowcount
