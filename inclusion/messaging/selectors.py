"""Reads of messages: the outbox, the last message about a thing, whether Notify is set up."""

from django.conf import settings
from django.db.models import Q, QuerySet

from inclusion.access import residents_visible_to
from inclusion.models import Organisation

from .models import Message, MessageItem


def notify_configured() -> bool:
    return bool(settings.NOTIFY_API_KEY)


def messages_for(organisation: Organisation, *, status: str = "", channel: str = "") -> QuerySet[Message]:
    """The organisation's messages: to its staff, and to residents it may still see (inclusion.access)."""
    queryset = Message.objects.filter(organisation=organisation).filter(
        Q(resident__isnull=True) | Q(resident__in=residents_visible_to(organisation))
    )
    if status:
        queryset = queryset.filter(status=status)
    if channel:
        queryset = queryset.filter(channel=channel)
    return queryset.select_related("resident").prefetch_related("items").order_by("-created_at", "-id")


def items_for_source(source_type: str, source_ids) -> dict[str, MessageItem]:
    """The latest item (with its message) for each source id: "last reminder" on the worklist."""
    latest: dict[str, MessageItem] = {}
    for item in (
        MessageItem.objects.filter(source_type=source_type, source_id__in=[str(pk) for pk in source_ids])
        .select_related("message")
        .order_by("source_id", "-id")
    ):
        latest.setdefault(item.source_id, item)
    return latest


def resident_export_messages(resident) -> list[dict]:
    """Subject access: every message to the resident, with what it said and what became of it."""
    return [
        {
            "created_at": message.created_at.isoformat(), "organisation": message.organisation.name,
            "channel": message.channel, "to": message.recipient, "status": message.status,
            "reason": message.status_reason, "text": message.body,
            "sent_at": message.sent_at.isoformat() if message.sent_at else None,
        }
        for message in Message.objects.filter(resident=resident).select_related("organisation").order_by("created_at")
    ]  # fmt: skip
