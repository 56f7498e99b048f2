"""Every change to a message: sending it once (claim, send, record), delivery receipts, letters posted.

Sending is exactly once by construction:
- a message is claimed with a compare-and-set update (pending → sending, stamped with the claim time), so two
  workers given the same message send it once: the second finds it no longer pending;
- the claim is committed before Notify is called, and the result is recorded only if the claim still holds;
- Notify is given the message's id as its `reference`: a message sent again after its worker died mid-send
  (the reconciler returned it to the queue) is first looked up by reference, and not sent twice if Notify has it.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.events import case_event_record

from . import channels, render
from .events import MessageEventKind
from .models import Audience, Channel, Message, MessageStatus

logger = logging.getLogger(__name__)

S = MessageStatus


class TransientFailure(Exception):
    """Sending failed in a way worth trying again (Notify 5xx, a timeout, the mail server away)."""


@dataclass(frozen=True)
class Claim:
    message: Message
    claimed_at: datetime


def message_claim(message_id: int, *, now: datetime | None = None) -> Claim | None:
    """Take a pending message for sending (compare-and-set: pending → sending). None if it is not pending: another
    worker has it, it was sent, or it is held until later (quiet hours)."""
    now = now or timezone.now()
    _hold_for_quiet_hours(message_id, now)
    claimed = Message.objects.filter(pk=message_id, status=S.PENDING, send_after__lte=now).update(
        status=S.SENDING, claimed_at=now, updated_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    message = Message.objects.select_related("organisation", "resident").get(pk=message_id)
    return Claim(message, now)


def _hold_for_quiet_hours(message_id: int, now: datetime) -> None:
    """A message due before the night but sent only now (a retry, or one returned by the reconciler) waits for
    the morning too: its send_after moves on to when it may go (sweeps.release_time)."""
    from .sweeps import release_time

    for audience, working_days_only in ((Audience.RESIDENT, False), (Audience.STAFF, True)):
        release = release_time(now, working_days_only=working_days_only)
        if release > now:
            Message.objects.filter(pk=message_id, status=S.PENDING, audience=audience, send_after__lt=release).update(
                send_after=release, queued_at=None, updated_at=now
            )


def _finish(claim: Claim, **values) -> bool:
    """Record the outcome if our claim still holds (the reconciler may have given the message to another)."""
    now = timezone.now()
    return bool(
        Message.objects.filter(pk=claim.message.pk, status=S.SENDING, claimed_at=claim.claimed_at).update(
            updated_at=now, **values
        )
    )


def _timeline(message: Message, kind: str, summary: str) -> None:
    if message.resident_id is None:
        return
    case_event_record(
        resident=message.resident, actor=Actor(organisation=message.organisation), kind=kind, summary=summary,
        data={"message": message.pk, "channel": message.channel},
    )  # fmt: skip


def message_send(message_id: int, *, final_attempt: bool = False) -> str:
    """Send one message, once. Returns what happened ("sent", "skipped", "failed", "not pending").

    Raises TransientFailure (the message back to pending) when it may succeed later, unless `final_attempt`,
    when it is marked failed instead. Side effects: the request to Notify or the email; a timeline entry."""
    claim = message_claim(message_id)
    if claim is None:
        return "not pending"
    message = claim.message
    lines = render.item_lines(message)
    if not lines:
        _finish(claim, status=S.SKIPPED, status_reason="Nothing left to say: returned, extended or dealt with since")
        return "skipped"
    body = render.message_body(message, lines)
    try:
        if message.channel == Channel.STAFF_EMAIL:
            notify_id = _send_staff_email(message, body)
        elif not settings.NOTIFY_API_KEY:
            with transaction.atomic():
                _finish(claim, status=S.SKIPPED, body=body,
                        status_reason="Not sent: no GOV.UK Notify key is set (recorded in the outbox)")  # fmt: skip
                _timeline(message, MessageEventKind.MESSAGE_SKIPPED,
                          "Reminder recorded in the outbox, not sent (no GOV.UK Notify key)")  # fmt: skip
            return "skipped"
        else:
            notify_id = _send_by_notify(message, lines, body)
    except channels.APIError as error:
        reason = f"GOV.UK Notify answered {error.status_code}: {error.message}"[:300]
        if channels.is_transient(error) and not final_attempt:
            _finish(claim, status=S.PENDING, status_reason=reason, queued_at=timezone.now())
            raise TransientFailure(reason) from error
        return _fail(claim, reason)
    except (OSError, TransientFailure) as error:  # the mail server (smtplib errors are OSErrors)
        reason = f"Could not send: {error}"[:300]
        if not final_attempt:
            _finish(claim, status=S.PENDING, status_reason=reason, queued_at=timezone.now())
            raise TransientFailure(reason) from error
        return _fail(claim, reason)
    except DomainError as error:
        return _fail(claim, error.message)
    with transaction.atomic():
        if _finish(claim, status=S.SENT, body=body, notify_id=notify_id, sent_at=timezone.now(), status_reason=""):
            _timeline(message, MessageEventKind.MESSAGE_SENT,
                      f"Reminder sent by {message.get_channel_display().lower()}: " + " ".join(lines))  # fmt: skip
    return "sent"


def _fail(claim: Claim, reason: str) -> str:
    with transaction.atomic():
        if _finish(claim, status=S.FAILED, status_reason=reason, failed_at=timezone.now()):
            _timeline(claim.message, MessageEventKind.MESSAGE_FAILED, f"Reminder not sent: {reason}")
    logger.warning("message %s failed: %s", claim.message.pk, reason)
    return "failed"


def _send_staff_email(message: Message, body: str):
    recipients = [address.strip() for address in message.recipient.split(",") if address.strip()]
    if not recipients:
        raise DomainError("No one to send it to")
    send_mail(subject=f"Reminders: things that need attention at {message.organisation.name}", message=body,
              from_email=None, recipient_list=recipients)  # fmt: skip
    return None


def _send_by_notify(message: Message, lines: list[str], body: str):
    template_id = channels.notify_template_id(message.kind, message.channel, message.language)
    if not template_id:
        raise DomainError(f"No GOV.UK Notify template is set for {message.kind} by {message.channel}")
    client = channels.notify_client()
    reference = str(message.pk)
    if message.attempts > 1:
        # Tried before: it may have reached Notify before the worker died. Ask before sending again.
        found = client.get_all_notifications(reference=reference).get("notifications", [])
        if found:
            return found[0]["id"]
    personalisation = render.personalisation(message, lines, body)
    if message.channel == Channel.SMS:
        response = client.send_sms_notification(phone_number=message.recipient, template_id=template_id,
                                                personalisation=personalisation, reference=reference)  # fmt: skip
    else:
        response = client.send_email_notification(email_address=message.recipient, template_id=template_id,
                                                  personalisation=personalisation, reference=reference)  # fmt: skip
    return response["id"]


NOTIFY_DELIVERED = {"delivered"}
NOTIFY_FAILED = {"permanent-failure", "temporary-failure", "technical-failure", "failed"}


def message_receipt_record(*, notify_id, reference: str | None, status: str, completed_at=None) -> Message | None:
    """A delivery receipt from Notify: `delivered` or a failure, for the message it names (by Notify's id, or our
    reference). Receipts for unknown notifications, and repeats, change nothing. Returns the message if known."""
    message = Message.objects.filter(notify_id=notify_id).select_related("organisation", "resident").first()
    if message is None and reference and reference.isdigit():
        message = Message.objects.filter(pk=int(reference), notify_id__isnull=True).first()
    if message is None:
        return None
    now = timezone.now()
    with transaction.atomic():
        if status in NOTIFY_DELIVERED:
            changed = Message.objects.filter(pk=message.pk, status__in=[S.SENT, S.SENDING]).update(
                status=S.DELIVERED, delivered_at=completed_at or now, updated_at=now, notify_id=notify_id
            )
        elif status in NOTIFY_FAILED:
            reason = {"permanent-failure": "The number or address does not exist or is not in use",
                      "temporary-failure": "Their phone was off or their inbox full; Notify gave up",
                      "technical-failure": "A problem at GOV.UK Notify"}.get(status, "Not delivered")  # fmt: skip
            changed = Message.objects.filter(pk=message.pk, status__in=[S.SENT, S.SENDING]).update(
                status=S.FAILED, failed_at=completed_at or now, updated_at=now, status_reason=reason,
                notify_id=notify_id,
            )  # fmt: skip
            if changed:
                _timeline(message, MessageEventKind.MESSAGE_FAILED, f"Reminder not delivered: {reason}")
        else:
            changed = 0
    if changed:
        message.refresh_from_db()
    return message


@transaction.atomic
def message_letter_posted(*, actor: Actor, message: Message) -> Message:
    """Staff printed and posted a queued letter: it is sent."""
    now = timezone.now()
    changed = Message.objects.filter(
        pk=message.pk, organisation=actor.organisation, channel=Channel.LETTER, status=S.PENDING
    ).update(status=S.SENT, sent_at=now, updated_at=now, body=message.body or render.message_body(message))
    if not changed:
        raise DomainError("This letter is not waiting to be posted")
    message.refresh_from_db()
    case_event_record(resident=message.resident, actor=actor, kind=MessageEventKind.MESSAGE_SENT,
                      summary="Reminder letter posted", data={"message": message.pk})  # fmt: skip
    return message


POLL_WINDOW_DAYS = 7  # Notify keeps notifications for 7 days


def delivery_statuses_poll(*, now: datetime | None = None, max_pages: int = 40) -> dict[str, int]:
    """Delivery receipts by polling: read Notify's list of recent notifications (newest first, 250 a page, a few
    requests rather than one per message) back to the oldest message still `sent`, and record each that was
    delivered or failed. Returns counts. (Notify's callback could replace this; the poll needs no public URL.)"""
    from datetime import timedelta

    from django.utils.dateparse import parse_datetime

    if not settings.NOTIFY_API_KEY:
        return {}
    now = now or timezone.now()
    waiting = Message.objects.filter(status=S.SENT, notify_id__isnull=False,
                                     sent_at__gte=now - timedelta(days=POLL_WINDOW_DAYS))  # fmt: skip
    oldest = waiting.order_by("sent_at").values_list("sent_at", flat=True).first()
    if oldest is None:
        return {"delivered": 0, "failed": 0}
    wanted = {str(pk) for pk in waiting.values_list("notify_id", flat=True)}
    client = channels.notify_client()
    outcomes: dict[str, tuple[str, object]] = {}
    older_than = None
    for _ in range(max_pages):
        page = client.get_all_notifications(older_than=older_than)
        notifications = page.get("notifications") or []
        for notification in notifications:
            if notification["id"] in wanted and notification.get("status") in NOTIFY_DELIVERED | NOTIFY_FAILED:
                outcomes[notification["id"]] = (
                    notification["status"],
                    parse_datetime(notification.get("completed_at") or "")
                    if notification.get("completed_at")
                    else None,
                )
        created = [parse_datetime(n["created_at"]) for n in notifications if n.get("created_at")]
        if (
            not notifications
            or not page.get("links", {}).get("next")
            or (created and min(created) < oldest - timedelta(hours=1))
        ):
            break
        older_than = notifications[-1]["id"]
    counts = {"delivered": 0, "failed": 0}
    for notify_id, (status, completed_at) in outcomes.items():
        message = message_receipt_record(notify_id=notify_id, reference=None, status=status, completed_at=completed_at)
        if message is not None and message.status in (S.DELIVERED, S.FAILED):
            counts["delivered" if message.status == S.DELIVERED else "failed"] += 1
    return counts


def resident_erase_messages(resident, actor) -> None:
    """Erasure: remove what was sent to the resident (the text as rendered) and where (their phone, email or
    address), and the reasons a send gave; a message still waiting is not sent. Kept for the figures: that a
    message of its kind went by its channel, when, and its status. Inside the caller's transaction, with the
    resident locked (inclusion.privacy.erasure)."""
    Message.objects.filter(resident=resident, status=MessageStatus.PENDING).update(
        status=MessageStatus.SKIPPED, status_reason="Not sent: their record was anonymised"
    )
    Message.objects.filter(resident=resident).exclude(status=MessageStatus.SKIPPED).update(status_reason="")
    Message.objects.filter(resident=resident).update(body="", recipient="")
