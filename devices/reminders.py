"""Loans, returns and vouchers as sources of reminders (inclusion/messaging): each sweep is one set-based INSERT
of the due items, keyed so that a second run adds nothing. Registered with messaging when this module is
imported (devices/apps.py imports it in ready()).

- loan reminders: each open loan at each stage in force for its organisation (messaging stages: 7 and 1 days
  before the due date, on the day, 1, 7 and 14 days after by default), to the resident; stages that escalate
  also tell the lending organisation's coordinators. The key holds the due date, so an extension starts again.
- long loans: a "still using it?" check every LOAN_CHECK_IN_DAYS (90) since the loan started (fixed-term loans).
- open-ended loans: the renewal's "still using it?" ask, once per renewal date, for the loans the loans' own
  selector says are due (devices.selectors.loans_renewal_due: within 7 days of the date, or late but not long
  late). They get no "due back" reminders before that date; unrenewed, the overdue stages follow as for any loan.
- returns awaiting a check (or a wipe) for more than RETURN_CHECK_FLAG_DAYS: flagged to coordinators.
- lost or stolen devices not found after LOST_WRITE_OFF_DAYS: proposed to coordinators for write-off.
- voucher batches expiring within VOUCHER_EXPIRY_WARNING_DAYS with codes left: coordinators warned once.
- voucher batches below their low-stock threshold: one alert per crossing (the key holds the batch's size).
- unissued codes of expired batches are expired by a daily task (devices.vouchers.services.voucher_expire_unissued).
"""

from datetime import date, timedelta

from celery import shared_task
from django.conf import settings

from inclusion.messaging import sources

# The stages in force for the loan's organisation: its own row at an offset, else the scheme's.
EFFECTIVE_STAGE = """
    s.subject = 'loan_due' AND (
        s.organisation_id = l.organisation_id
        OR (s.organisation_id IS NULL AND NOT EXISTS (
            SELECT 1 FROM messaging_stage o
            WHERE o.organisation_id = l.organisation_id AND o.subject = s.subject AND o.offset_days = s.offset_days)))
"""
LOAN_FACTS = """
    jsonb_build_object(
        'summary', 'Device ' || d.asset_tag || ' due back on ' || to_char(l.due_on, 'FMDD FMMonth YYYY'),
        'asset_tag', d.asset_tag, 'kind', d.kind, 'make', d.make, 'model', d.model, 'loan', l.id,
        'due_on', l.due_on, 'offset', s.offset_days,
        'extension_offer', (s.offset_days < 0 AND l.extensions < COALESCE(p.max_extensions, 2)))
"""


def _loan_window(today: date):
    """Stage dates from CATCH_UP_DAYS ago to today, of which each loan gets only its latest: a sweep missed
    (beat down for a day) is made up, a stage already passed is not sent late beside the current one, and a
    loan lent two days before its due date gets no "7 days before" reminder."""
    return today - timedelta(days=settings.MESSAGE_CATCH_UP_DAYS), today


def _latest_stage_sql(kind: str, suffix: str, channel: str, condition: str) -> str:
    """Each open loan's latest stage (of those matching `condition`) dated in the window; kept only if that stage
    is active, so a stage an organisation turned off is not replaced by the one before it. The latest stage is
    picked on ids alone; the facts of the message are built only for the loans kept."""
    return f"""
        WITH due AS (
            SELECT DISTINCT ON (l.id) l.id AS loan_id, s.id AS stage_id, s.active
            FROM devices_loan l
            JOIN messaging_stage s ON {EFFECTIVE_STAGE}
            WHERE l.closed_at IS NULL AND {condition}
              AND l.due_on BETWEEN %(earliest)s - s.offset_days AND %(latest)s - s.offset_days
            ORDER BY l.id, s.offset_days DESC
        )
        SELECT 'loan:' || l.id || ':stage:' || s.offset_days || ':due:' || l.due_on || '{suffix}',
               '{kind}', '{"staff" if suffix else "resident"}', l.organisation_id, l.resident_id, s.id, s.template,
               {channel}, l.due_on, 'loan', l.id::text, {LOAN_FACTS}
        FROM due
        JOIN devices_loan l ON l.id = due.loan_id
        JOIN messaging_stage s ON s.id = due.stage_id
        JOIN devices_device d ON d.id = l.device_id
        LEFT JOIN devices_loanpolicy p ON p.organisation_id = l.organisation_id
        WHERE due.active
    """


# An open-ended loan's date is a renewal date: before it, the renewal ask (loan_renewal_due_sweep) replaces the
# "due back on" stages; from the day after, an unanswered renewal is overdue and the overdue stages apply.
NOT_BEFORE_A_RENEWAL = "(NOT l.open_ended OR s.offset_days > 0)"


def loan_reminders_sweep(*, today: date, now, cursor) -> int:
    """The resident's reminder at each stage (one query for every loan and stage)."""
    earliest, latest = _loan_window(today)
    sql = _latest_stage_sql("loan_reminder", "", "s.channel", f"s.channel <> 'none' AND {NOT_BEFORE_A_RENEWAL}")
    return sources.items_insert(cursor, sql, {"earliest": earliest, "latest": latest})


def loan_escalations_sweep(*, today: date, now, cursor) -> int:
    """The lending organisation's staff told at the stages that escalate (one query)."""
    earliest, latest = _loan_window(today)
    sql = _latest_stage_sql("loan_escalation", ":staff", "'none'", "s.escalates_to_staff")
    return sources.items_insert(cursor, sql, {"earliest": earliest, "latest": latest})


def loan_still_using_sweep(*, today: date, now, cursor) -> int:
    """Long loans (every LOAN_CHECK_IN_DAYS since they started, 90 by default; 0 turns it off) get a "still using
    it?" check, whatever their due date: loans extended again and again, or lent for a long time. Open-ended loans
    are asked at each renewal instead (loan_renewal_due_sweep)."""
    every = settings.LOAN_CHECK_IN_DAYS
    if not every:
        return 0
    return sources.items_insert(
        cursor,
        """
        SELECT 'loan:' || l.id || ':still_using:' || ((%(today)s - l.started_on) / %(every)s), 'loan_still_using',
               'resident', l.organisation_id, l.resident_id, NULL::bigint, 'loan_still_using', 'preferred',
               l.due_on, 'loan', l.id::text,
               jsonb_build_object('summary', 'Still using device ' || d.asset_tag || '? (lent on '
                   || to_char(l.started_on, 'FMDD FMMonth YYYY') || ')', 'asset_tag', d.asset_tag, 'kind', d.kind,
                   'loan', l.id, 'started_on', l.started_on, 'due_on', l.due_on)
        FROM devices_loan l JOIN devices_device d ON d.id = l.device_id
        WHERE l.closed_at IS NULL AND NOT l.open_ended AND l.started_on <= %(today)s - %(every)s
          AND (%(today)s - l.started_on) %% %(every)s <= %(catch_up)s
        """,
        {"today": today, "every": every, "catch_up": settings.MESSAGE_CATCH_UP_DAYS},
    )


def loan_renewal_due_sweep(*, today: date, now, cursor) -> int:
    """Open-ended loans whose renewal is due (the loans' own rule: devices.selectors.loans_renewal_due, run as a
    subquery) get a "still using it? renew it with us" ask, once per renewal date: the key holds the date, so a
    renewal starts again and a second sweep adds nothing. One query."""
    from .selectors import loans_renewal_due

    due_sql, due_params = loans_renewal_due(organisation=None, on=today).order_by().values("pk").query.sql_with_params()
    return sources.items_insert(
        cursor,
        f"""
        SELECT 'loan:' || l.id || ':renewal:' || l.due_on, 'loan_renewal', 'resident', l.organisation_id,
               l.resident_id, NULL::bigint, 'loan_renewal', 'preferred', l.due_on, 'loan', l.id::text,
               jsonb_build_object('summary', 'Renewal of device ' || d.asset_tag || ' due on '
                   || to_char(l.due_on, 'FMDD FMMonth YYYY'), 'asset_tag', d.asset_tag, 'kind', d.kind,
                   'loan', l.id, 'started_on', l.started_on, 'due_on', l.due_on)
        FROM devices_loan l JOIN devices_device d ON d.id = l.device_id
        WHERE l.id IN ({due_sql})
        """,
        due_params,
    )


def returns_unchecked_sweep(*, today: date, now, cursor) -> int:
    """Devices back from a loan and still awaiting a check (or a wipe) RETURN_CHECK_FLAG_DAYS after the return."""
    return sources.items_insert(
        cursor,
        """
        SELECT 'return:' || l.id || ':unchecked', 'return_unchecked', 'staff', d.owning_organisation_id, NULL::uuid,
               NULL::bigint, 'return_unchecked', 'none', l.returned_on, 'device', d.id::text,
               jsonb_build_object('summary', 'Device ' || d.asset_tag || ' returned on '
                   || to_char(l.returned_on, 'FMDD FMMonth YYYY') || ' is still awaiting a check or wipe',
                   'asset_tag', d.asset_tag)
        FROM devices_device d
        JOIN devices_loan l ON l.device_id = d.id AND l.outcome = 'returned'
        WHERE (d.status = 'awaiting_check' OR (d.needs_wipe AND d.status IN ('received', 'in_repair')))
          AND l.returned_on <= %(cutoff)s
          AND NOT EXISTS (SELECT 1 FROM devices_loan later WHERE later.device_id = d.id AND later.id > l.id)
        """,
        {"cutoff": today - timedelta(days=settings.RETURN_CHECK_FLAG_DAYS)},
    )


def lost_write_off_sweep(*, today: date, now, cursor) -> int:
    """Devices lost or stolen LOST_WRITE_OFF_DAYS ago and not found: propose writing them off."""
    return sources.items_insert(
        cursor,
        """
        SELECT 'lost:' || l.id || ':write_off', 'lost_write_off', 'staff', d.owning_organisation_id, NULL::uuid,
               NULL::bigint, 'lost_write_off', 'none', (l.closed_at AT TIME ZONE 'Europe/London')::date,
               'device', d.id::text,
               jsonb_build_object('summary', 'Device ' || d.asset_tag || ' reported lost on '
                   || to_char(l.closed_at AT TIME ZONE 'Europe/London', 'FMDD FMMonth YYYY')
                   || ' has not been found: write it off?', 'asset_tag', d.asset_tag)
        FROM devices_device d
        JOIN devices_loan l ON l.device_id = d.id AND l.outcome = 'lost'
        WHERE d.status = 'lost' AND (l.closed_at AT TIME ZONE 'Europe/London')::date <= %(cutoff)s
          AND NOT EXISTS (SELECT 1 FROM devices_loan later WHERE later.device_id = d.id AND later.id > l.id)
        """,
        {"cutoff": today - timedelta(days=settings.LOST_WRITE_OFF_DAYS)},
    )


def voucher_batches_expiring_sweep(*, today: date, now, cursor) -> int:
    """Batches expiring within VOUCHER_EXPIRY_WARNING_DAYS that still have codes to issue: warn once."""
    return sources.items_insert(
        cursor,
        """
        SELECT 'batch:' || b.id || ':expiring:' || b.expires_on, 'voucher_batch_expiring', 'staff', b.organisation_id,
               NULL::uuid, NULL::bigint, 'voucher_batch_expiring', 'none', b.expires_on, 'voucher_batch', b.id::text,
               jsonb_build_object('summary', 'Voucher batch ' || COALESCE(NULLIF(b.reference, ''), '#' || b.id)
                   || ' expires on ' || to_char(b.expires_on, 'FMDD FMMonth YYYY') || ' with '
                   || available.n || ' codes not issued', 'available', available.n)
        FROM devices_voucherbatch b
        CROSS JOIN LATERAL (SELECT count(*) AS n FROM devices_voucher v
                            WHERE v.batch_id = b.id AND v.status = 'available') available
        WHERE b.expires_on BETWEEN %(today)s AND %(horizon)s AND available.n > 0
        """,
        {"today": today, "horizon": today + timedelta(days=settings.VOUCHER_EXPIRY_WARNING_DAYS)},
    )


def voucher_low_stock_sweep(*, today: date, now, cursor) -> int:
    """Batches (not expired) whose available codes fell below their threshold: one alert per crossing. The key
    holds how many codes the batch has, so a batch topped up and run down again alerts again."""
    return sources.items_insert(
        cursor,
        """
        SELECT 'batch:' || b.id || ':low:' || counts.total, 'voucher_low_stock', 'staff', b.organisation_id,
               NULL::uuid, NULL::bigint, 'voucher_low_stock', 'none', NULL::date, 'voucher_batch', b.id::text,
               jsonb_build_object('summary', 'Voucher batch ' || COALESCE(NULLIF(b.reference, ''), '#' || b.id)
                   || ' is low: ' || counts.available || ' codes left (threshold ' || b.low_stock_threshold || ')',
                   'available', counts.available)
        FROM devices_voucherbatch b
        CROSS JOIN LATERAL (SELECT count(*) AS total, count(*) FILTER (WHERE v.status = 'available') AS available
                            FROM devices_voucher v WHERE v.batch_id = b.id) counts
        WHERE b.expires_on >= %(today)s AND counts.total > 0 AND counts.available < b.low_stock_threshold
        """,
        {"today": today},
    )


def resident_blocked_from_lending(resident_id, *, organisation_id, today: date) -> bool:
    """Whether an open loan of the resident from `organisation_id` has reached a stage (of that organisation's)
    that blocks new loans. Another organisation's loans are not looked at: a refusal must not reveal them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT EXISTS (SELECT 1 FROM devices_loan l JOIN messaging_stage s ON {EFFECTIVE_STAGE}
                WHERE l.resident_id = %s AND l.organisation_id = %s AND l.closed_at IS NULL AND s.active
                  AND s.blocks_new_loans AND l.due_on + s.offset_days <= %s)""",
            [resident_id, organisation_id, today],
        )
        return cursor.fetchone()[0]


def loan_check_not_blocked(*, resident, organisation) -> None:
    """For loan_create: refuse a new loan while one of ours to the resident is past a stage that blocks loans."""
    from django.utils import timezone

    from inclusion.errors import DomainError

    if resident_blocked_from_lending(resident.pk, organisation_id=organisation.pk, today=timezone.localdate()):
        raise DomainError(
            "They have a device from you that is long overdue: it must come back (or be reported lost) before "
            "they can borrow another.", field="resident", code="too_many_loans",
        )  # fmt: skip


def loan_items_still_due(items) -> set:
    """Items about loans still due when their message is sent: the loan still open and, for a reminder at a
    stage, still due on the same date (an extension makes the old reminder wrong). One query."""
    from .models import Loan

    open_loans = dict(
        Loan.objects.filter(pk__in=[int(item.source_id) for item in items], closed_at__isnull=True).values_list(
            "pk", "due_on"
        )
    )
    return {
        item.pk for item in items
        if int(item.source_id) in open_loans
        and (item.kind == "loan_still_using" or item.due_on == open_loans[int(item.source_id)])
    }  # fmt: skip


@shared_task(name="devices.vouchers_expire_unissued")
def vouchers_expire_unissued() -> int:
    """Daily: expire unissued codes of expired batches (one UPDATE; safe to run twice)."""
    from .vouchers.services import voucher_expire_unissued

    return voucher_expire_unissued()


@shared_task(name="devices.reservations_lapse_expired")
def reservations_lapse_expired() -> int:
    """Every quarter of an hour: holds on the waiting list not collected in time lapse, saying why, and each
    device is offered to the next in the queue (devices/reservations/services.py; safe to run twice)."""
    from .reservations.services import reservations_lapse_expired as lapse

    return lapse()


sources.register_still_due("loan", loan_items_still_due)
sources.register_sweep("loan reminders", loan_reminders_sweep, order=10)
sources.register_sweep("loan escalations", loan_escalations_sweep, order=11)
sources.register_sweep("loans still in use", loan_still_using_sweep, order=12)
sources.register_sweep("open-ended loans to renew", loan_renewal_due_sweep, order=13)
sources.register_sweep("returns unchecked", returns_unchecked_sweep, order=20)
sources.register_sweep("lost devices", lost_write_off_sweep, order=21)
sources.register_sweep("voucher batches expiring", voucher_batches_expiring_sweep, order=30)
sources.register_sweep("voucher low stock", voucher_low_stock_sweep, order=31)
