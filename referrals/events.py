"""What the referrals app writes about what happened: a referral's history rows (numbered, one per change, in the
same transaction as the change) and the kinds of entry it puts on a resident's case timeline (registered with
the core in referrals/registration.py)."""

from django.db import models

from inclusion.actors import Actor
from inclusion.events import case_event_record

from .models import Referral, ReferralEvent


class ReferralEventKind(models.TextChoices):
    REFERRAL_SENT = "referral_sent", "Referred"
    REFERRAL_ACCEPTED = "referral_accepted", "Referral accepted"
    REFERRAL_DECLINED = "referral_declined", "Referral declined"
    REFERRAL_STARTED = "referral_started", "Referral started"
    REFERRAL_COMPLETED = "referral_completed", "Referral completed"
    REFERRAL_NOT_COMPLETED = "referral_not_completed", "Referral not completed"
    REFERRAL_WITHDRAWN = "referral_withdrawn", "Referral withdrawn"
    REFERRAL_MESSAGE = "referral_message", "Message about a referral"
    REFERRAL_FOLLOW_UP = "referral_follow_up", "Referral follow-up outcome"


TIMELINE_KIND = {
    "sent": ReferralEventKind.REFERRAL_SENT,
    "accepted": ReferralEventKind.REFERRAL_ACCEPTED,
    "declined": ReferralEventKind.REFERRAL_DECLINED,
    "started": ReferralEventKind.REFERRAL_STARTED,
    "completed": ReferralEventKind.REFERRAL_COMPLETED,
    "not_completed": ReferralEventKind.REFERRAL_NOT_COMPLETED,
    "withdrawn": ReferralEventKind.REFERRAL_WITHDRAWN,
}


def referral_event_record(
    *, referral: Referral, actor: Actor, action: str, from_status: str = "", to_status: str = "", reason: str = "",
    note: str = "", summary: str, kind: str | None = None,
) -> ReferralEvent:  # fmt: skip
    """Number and record one change of a locked referral: its history row and the resident's timeline entry.

    The timeline entry's kind is the new status's (TIMELINE_KIND), or `kind` for a record that moves nothing.
    Precondition: the referral row is locked by the caller (the sequence is read and bumped on it)."""
    referral.last_sequence += 1
    Referral.objects.filter(pk=referral.pk).update(last_sequence=referral.last_sequence)
    event = ReferralEvent.objects.create(
        referral=referral, sequence=referral.last_sequence, action=action, from_status=from_status,
        to_status=to_status, organisation=actor.organisation, actor=actor.user, api_key=actor.api_key, reason=reason,
        note=note,
    )  # fmt: skip
    case_event_record(resident=referral.resident, actor=actor, kind=kind or TIMELINE_KIND[to_status], summary=summary,
                      body=note, data={"referral": str(referral.pk), "sequence": event.sequence})  # fmt: skip
    return event
