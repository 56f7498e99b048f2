"""Referrals as sources of reminders (inclusion/messaging): set-based sweeps of due items, keyed so that a
second run adds nothing. Registered with messaging when imported (referrals/apps.py imports it in ready()).

- no response by the referral's response date (N working days after it was sent): remind the receiving
  organisation's coordinators;
- still none REFERRAL_CHASE_REFERRER_WORKING_DAYS working days after that: tell the referring organisation;
- completed: the follow-up outcome check, due at `follow_up_due_on` (six weeks after completion when not set)
  and asked until REFERRAL_FOLLOW_UP_LATEST_WEEKS after completion, unless the outcome is recorded already.

Staff alerts name the referral by its reference, never the resident: the email may be read anywhere.
"""

from datetime import date, timedelta

from django.conf import settings

from inclusion.calendar import add_working_days
from inclusion.messaging import sources

FOLLOW_UP_AFTER_DAYS = 42  # six weeks


def working_days_cutoff(today: date, working_days: int) -> date:
    """The latest date that `working_days` whole working days (weekdays, not bank holidays) have passed since,
    by the start of `today`: a due date on or before it has waited that long."""
    day = today
    while add_working_days(day, working_days) >= today:
        day -= timedelta(days=1)
    return day


REFERENCE = "upper(left(r.id::text, 8))"


def referral_no_response_sweep(*, today: date, now, cursor) -> int:
    return sources.items_insert(
        cursor,
        f"""
        SELECT 'referral:' || r.id || ':no_response:' || r.response_due_on, 'referral_no_response', 'staff',
               r.to_organisation_id, r.resident_id, NULL::bigint, 'referral_no_response', 'none', r.response_due_on,
               'referral', r.id::text,
               jsonb_build_object('summary', 'Referral ' || {REFERENCE} || ' from ' || f.name || ', sent on '
                   || to_char(r.sent_at AT TIME ZONE 'Europe/London', 'FMDD FMMonth YYYY')
                   || ', is waiting for your answer (due by ' || to_char(r.response_due_on, 'FMDD FMMonth YYYY')
                   || ')')
        FROM referrals_referral r JOIN inclusion_organisation f ON f.id = r.from_organisation_id
        WHERE r.status = 'sent' AND r.response_due_on < %(today)s
        """,
        {"today": today},
    )


def referral_tell_referrer_sweep(*, today: date, now, cursor) -> int:
    cutoff = working_days_cutoff(today, settings.REFERRAL_CHASE_REFERRER_WORKING_DAYS)
    return sources.items_insert(
        cursor,
        f"""
        SELECT 'referral:' || r.id || ':no_response_referrer:' || r.response_due_on, 'referral_no_response_referrer',
               'staff', r.from_organisation_id, r.resident_id, NULL::bigint, 'referral_no_response_referrer', 'none',
               r.response_due_on, 'referral', r.id::text,
               jsonb_build_object('summary', 'Your referral ' || {REFERENCE} || ' to ' || t.name
                   || ' has had no answer since ' || to_char(r.sent_at AT TIME ZONE 'Europe/London', 'FMDD FMMonth YYYY')
                   || ': they have been reminded; you may want to call them or refer elsewhere')
        FROM referrals_referral r JOIN inclusion_organisation t ON t.id = r.to_organisation_id
        WHERE r.status = 'sent' AND r.response_due_on <= %(cutoff)s
        """,
        {"cutoff": cutoff},
    )


def referral_follow_up_sweep(*, today: date, now, cursor) -> int:
    latest = today - timedelta(weeks=settings.REFERRAL_FOLLOW_UP_LATEST_WEEKS)
    return sources.items_insert(
        cursor,
        f"""
        SELECT 'referral:' || r.id || ':follow_up', 'referral_follow_up', 'staff', r.to_organisation_id, r.resident_id,
               NULL::bigint, 'referral_follow_up', 'none', due.on_, 'referral', r.id::text,
               jsonb_build_object('summary', 'Referral ' || {REFERENCE} || ', completed on '
                   || to_char(r.finished_at AT TIME ZONE 'Europe/London', 'FMDD FMMonth YYYY')
                   || ': time for the follow-up outcome check')
        FROM referrals_referral r
        CROSS JOIN LATERAL (SELECT COALESCE(r.follow_up_due_on,
                            (r.finished_at AT TIME ZONE 'Europe/London')::date + {FOLLOW_UP_AFTER_DAYS}) AS on_) due
        WHERE r.status = 'completed' AND due.on_ <= %(today)s
          AND (r.finished_at AT TIME ZONE 'Europe/London')::date >= %(latest)s
          AND NOT EXISTS (SELECT 1 FROM referrals_outcome o WHERE o.referral_id = r.id AND o.stage = 'follow_up')
        """,
        {"today": today, "latest": latest},
    )


sources.register_sweep("referrals without a response", referral_no_response_sweep, order=40)
sources.register_sweep("referrals: tell the referrer", referral_tell_referrer_sweep, order=41)
sources.register_sweep("referral follow-ups", referral_follow_up_sweep, order=42)
