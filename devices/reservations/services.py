"""Every change to reservations: joining the waiting list, a device offered to the oldest eligible reservation
when it becomes ready (held for RESERVATION_HOLD_DAYS), fulfilled when lent to them, lapsed (with why) or
cancelled. Statuses move only by TRANSITIONS. Locks: the device before the reservation (inclusion/locks.py)."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from inclusion.access import resident_check_visible
from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.events import case_event_record
from inclusion.locks import lock_one, lock_rows
from inclusion.models import Resident

from ..events import LoanEventKind, device_event_record
from .models import Reservation, ReservationStatus

R = ReservationStatus
TRANSITIONS: dict[str, dict[str, str]] = {
    R.WAITING: {R.OFFERED: "offer a device", R.FULFILLED: "lend", R.CANCELLED: "cancel", R.LAPSED: "lapse"},
    R.OFFERED: {R.FULFILLED: "lend", R.WAITING: "put back in the queue", R.CANCELLED: "cancel", R.LAPSED: "lapse"},
    R.FULFILLED: {},
    R.LAPSED: {},
    R.CANCELLED: {},
}


def reservation_hold_days() -> int:
    """How many days a device offered to a reservation is held for them (settings, default 3)."""
    return getattr(settings, "RESERVATION_HOLD_DAYS", 3)


def _move(reservation: Reservation, to_status: str, **fields) -> Reservation:
    if to_status not in TRANSITIONS[reservation.status]:
        raise DomainError(f"This reservation is {reservation.get_status_display().lower()}: it cannot be changed now.",
                          code="illegal_transition")  # fmt: skip
    reservation.status = to_status
    if to_status not in (R.WAITING, R.OFFERED):
        fields.setdefault("closed_at", timezone.now())
    if to_status == R.WAITING:  # back in the queue: nothing held for them any more
        fields.setdefault("device", None)
        fields.setdefault("hold_until", None)
    for name, value in fields.items():
        setattr(reservation, name, value)
    reservation.save()
    return reservation


def referral_is_for_lending(referral) -> bool:
    """Whether a referral asks the receiving organisation for a device: to one of its device lending points, or
    for a device with no particular service. Only these may queue the resident (reservation_create)."""
    from referrals.models import ReferralNeed, ServiceKind

    if referral.service_id is not None:
        return referral.service.kind == ServiceKind.LENDING_POINT
    return referral.need == ReferralNeed.DEVICE


def _check_referral(*, actor: Actor, resident: Resident, referral):
    """The referral read afresh: one the actor's organisation received, still open, for this resident and for a
    device. Refused in words that say nothing of a referral the organisation did not receive."""
    from referrals.models import Referral

    fresh = (
        Referral.objects.filter(pk=referral.pk, to_organisation=actor.organisation).select_related("service").first()
    )
    if fresh is None or fresh.resident_id != resident.pk or not referral_is_for_lending(fresh):
        raise DomainError("Choose an open referral for a device that your organisation received for them.",
                          field="referral", code="not_for_lending")  # fmt: skip
    if not fresh.is_open:
        raise DomainError(f"The referral is {fresh.get_status_display().lower()}: only an open referral can add them "
                          "to the waiting list.", field="referral", code="referral_closed")  # fmt: skip
    return fresh


@transaction.atomic
def reservation_create(
    *, actor: Actor, resident: Resident, kind: str, note: str = "", referral=None
) -> Reservation:  # fmt: skip
    """Put a resident the organisation may see on its waiting list for a kind of device. Refused if they are
    already waiting for that kind there. If a device of that kind is ready and free now, staff should lend it:
    this says so rather than queue them.

    From a referral (`referral`: one the organisation received for this resident, open, to a lending point or
    for a device), the reservation keeps the link and the timeline says so."""
    from ..models import DeviceKind

    if kind not in DeviceKind.values:
        raise DomainError("Choose the kind of device they need", field="kind", code="invalid")
    resident = resident_check_visible(actor.organisation, resident)
    if referral is not None:
        referral = _check_referral(actor=actor, resident=resident, referral=referral)
    if Reservation.objects.filter(organisation=actor.organisation, resident=resident, kind=kind,
                                  status__in=[R.WAITING, R.OFFERED]).exists():  # fmt: skip
        raise DomainError(f"{resident.display_name} is already on the waiting list for a {DeviceKind(kind).label.lower()}.",
                          field="kind", code="duplicate")  # fmt: skip
    reservation = Reservation(organisation=actor.organisation, resident=resident, kind=kind, note=note.strip(),
                              created_by=actor.user, referral=referral)  # fmt: skip
    try:
        with transaction.atomic():
            reservation.save()
    except IntegrityError:
        raise DomainError("They are already on the waiting list for this.", field="kind", code="duplicate") from None
    source = f" (referred by {referral.from_organisation})" if referral is not None else ""
    case_event_record(resident=resident, actor=actor, kind=LoanEventKind.RESERVATION_MADE,
                      summary=f"Added to the waiting list for a {DeviceKind(kind).label.lower()}{source}", body=note,
                      data={"reservation": reservation.pk, **({"referral": str(referral.pk)} if referral else {})})  # fmt: skip
    return reservation


def _eligible(reservation: Reservation) -> bool:
    """Whether the reservation's resident may be offered a device now: still ready to receive a loan (consent,
    a way to reach them) and with no overdue loan at the organisation."""
    from inclusion.services import resident_check_ready

    from ..models import Loan

    try:
        resident_check_ready(resident=reservation.resident, receiving="loan")
    except DomainError:
        return False
    return not Loan.objects.filter(resident=reservation.resident, organisation=reservation.organisation,
                                   closed_at__isnull=True, due_on__lt=timezone.localdate()).exists()  # fmt: skip


def reservation_offer_next(*, actor: Actor, device) -> Reservation | None:
    """Offer a device that has just become ready to the oldest eligible reservation waiting for its kind at its
    organisation, held for reservation_hold_days(). Precondition: inside the transaction that made it ready,
    holding the device's lock (so one device is offered to one reservation; the one_offer_per_device index holds
    it too). Reservations locked by another transaction are skipped (SKIP LOCKED), not waited for."""
    from ..models import DeviceStatus

    if device.status != DeviceStatus.READY or Reservation.objects.filter(device=device, status=R.OFFERED).exists():
        return None
    queue = Reservation.objects.filter(organisation=device.owning_organisation_id, kind=device.kind,
                                       status=R.WAITING).select_related("resident", "organisation")  # fmt: skip
    for candidate in queue.order_by("created_at", "pk")[:50]:
        locked = lock_rows(Reservation.objects.filter(pk=candidate.pk, status=R.WAITING), skip_locked=True)
        if not locked or not _eligible(candidate):
            continue
        reservation = locked[0]
        hold_until = timezone.localdate() + timedelta(days=reservation_hold_days())
        _move(reservation, R.OFFERED, device=device, offered_at=timezone.now(), hold_until=hold_until)
        device_event_record(device=device, actor=actor, action="hold for a reservation",
                            data={"reservation": reservation.pk, "hold_until": str(hold_until)})  # fmt: skip
        case_event_record(resident=candidate.resident, actor=actor, kind=LoanEventKind.RESERVATION_OFFERED,
                          summary=f"{device.description} ({device.asset_tag}) held for them until {hold_until:%-d %B %Y}",
                          data={"reservation": reservation.pk, "device": device.asset_tag})  # fmt: skip
        return reservation
    return None


def reservation_fulfil_on_lend(*, loan) -> None:
    """A device was lent (loan_create, holding the device's lock): the reservation it was held for, or the
    resident's waiting reservation for its kind, is fulfilled. Lending a device held for someone else is
    refused before this (reservation_check_lend)."""
    reservation = (Reservation.objects.filter(device=loan.device, status=R.OFFERED, resident=loan.resident).first()
                   or Reservation.objects.filter(organisation=loan.organisation, resident=loan.resident,
                                                 kind=loan.device.kind, status=R.WAITING).first())  # fmt: skip
    if reservation is not None:
        reservation = lock_one(Reservation, reservation.pk)
        _move(reservation, R.FULFILLED, loan=loan, device=loan.device)


def reservation_check_lend(*, device, resident) -> None:
    """Refuse lending a device held for another resident's reservation (the device is locked by the caller)."""
    held = Reservation.objects.filter(device=device, status=R.OFFERED).exclude(resident=resident).first()
    if held is not None:
        raise DomainError(f"{device.asset_tag} is held for a resident on the waiting list until "
                          f"{held.hold_until:%-d %B %Y}. Lend another, or cancel their reservation first.",
                          field="device", code="held_for_reservation")  # fmt: skip


@transaction.atomic
def reservation_cancel(*, actor: Actor, reservation: Reservation, reason: str) -> Reservation:
    """Take a reservation off the waiting list, saying why; a device held for it is offered to the next."""
    from ..models import Device

    reason = " ".join(reason.split())
    if not reason:
        raise DomainError("Enter why the reservation is cancelled", field="reason", code="required")
    resident_check_visible(actor.organisation, reservation.resident_id)
    # The device held for it, read afresh (an offer may have been made since the page was shown), locked first.
    device_id = Reservation.objects.filter(pk=reservation.pk).values_list("device_id", flat=True).first()
    device = lock_one(Device, device_id) if device_id else None
    reservation = lock_one(Reservation, reservation.pk)
    if reservation.device_id != device_id and reservation.status == R.OFFERED:
        raise DomainError("The reservation changed meanwhile: try again.", code="changed")
    if reservation.organisation_id != actor.organisation.pk:
        raise DomainError("This reservation belongs to another organisation.", code="not_yours")
    _move(reservation, R.CANCELLED, closed_reason=f"Cancelled: {reason}")
    case_event_record(resident=reservation.resident, actor=actor, kind=LoanEventKind.RESERVATION_CLOSED,
                      summary="Taken off the waiting list", body=reason, data={"reservation": reservation.pk})  # fmt: skip
    if device is not None:
        reservation_offer_next(actor=actor, device=device)
    return reservation


def reservations_lapse_expired(*, actor: Actor | None = None) -> int:
    """Lapse every offered reservation whose hold has ended ("Not collected within N days") and offer each
    device to the next in the queue. One transaction per device (device, then reservation locks); safe to run
    twice. Returns how many lapsed. For the background schedule (and staff pages may call it first)."""
    from ..models import Device

    lapsed = 0
    for pk, device_id in (
        Reservation.objects.filter(status=R.OFFERED, hold_until__lt=timezone.localdate())
        .values_list("pk", "device_id")
        .order_by("pk")
    ):
        with transaction.atomic():
            device = lock_one(Device, device_id)
            reservation = lock_one(Reservation, pk)
            if reservation.status != R.OFFERED or reservation.hold_until >= timezone.localdate():
                continue
            days = reservation_hold_days()
            _move(reservation, R.LAPSED, closed_reason=f"Not collected within {days} day{'s' if days != 1 else ''}")
            system = actor or Actor(organisation=reservation.organisation)
            case_event_record(resident=reservation.resident, actor=system, kind=LoanEventKind.RESERVATION_CLOSED,
                              summary=f"Reservation lapsed: {device.asset_tag} not collected in time",
                              data={"reservation": reservation.pk})  # fmt: skip
            reservation_offer_next(actor=system, device=device)
            lapsed += 1
    return lapsed
