"""What the devices app writes about what happened: device history entries (one function writes them, in
the same transaction as the change) and the kinds of entry it puts on a resident's case timeline
(registered with the core in devices/apps.py). The vouchers' are in devices/vouchers/events.py."""

from django.db import models

from inclusion.actors import Actor

from .models import Device, DeviceEvent


def device_event_record(
    *, device: Device, actor: Actor, action: str, from_status: str = "", to_status: str = "", note: str = "",
    data: dict | None = None,
) -> DeviceEvent:  # fmt: skip
    return DeviceEvent.record(actor=actor, device=device, action=action, from_status=from_status, to_status=to_status,
                              note=note, data=data or {})  # fmt: skip


class LoanEventKind(models.TextChoices):
    LOAN_STARTED = "loan_started", "Device lent"
    LOAN_EXTENDED = "loan_extended", "Loan extended"
    LOAN_RETURNED = "loan_returned", "Device returned"
    LOAN_LOST = "loan_lost", "Device reported lost or stolen"
    LOAN_GIFTED = "loan_gifted", "Device gifted"
    LOAN_RENEWED = "loan_renewed", "Loan renewed"
    LOAN_OVERDUE_OVERRIDDEN = "loan_overdue_overridden", "Lent despite an overdue loan"
    RESERVATION_MADE = "reservation_made", "Added to a waiting list"
    RESERVATION_OFFERED = "reservation_offered", "Device held for them"
    RESERVATION_CLOSED = "reservation_closed", "Reservation lapsed or cancelled"
