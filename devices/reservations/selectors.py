"""Reads of the waiting list, always scoped to one organisation; a resident it may no longer see is shown
without their name (`resident_visible`), as loans are."""

from datetime import timedelta

from django.utils import timezone

from inclusion.models import Organisation, Resident

from .models import ACTIVE, Reservation, ReservationStatus


def _mark_visible(organisation: Organisation, reservations) -> list[Reservation]:
    from inclusion.access import residents_visible_to

    reservations = list(reservations)
    ids = {reservation.resident_id for reservation in reservations}
    visible = set(residents_visible_to(organisation).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    for reservation in reservations:
        reservation.resident_visible = reservation.resident_id in visible
    return reservations


def waiting_list(*, organisation: Organisation) -> list[tuple[str, list[Reservation]]]:
    """The organisation's active reservations by kind of device, each kind's queue in order (oldest first, the
    order devices are offered in), each marked with its `position` in its queue."""
    from ..models import DeviceKind

    reservations = _mark_visible(organisation, Reservation.objects.filter(organisation=organisation, status__in=ACTIVE)
                                 .select_related("resident", "device", "referral__from_organisation")
                                 .order_by("kind", "created_at", "pk"))  # fmt: skip
    queues: dict[str, list[Reservation]] = {}
    for reservation in reservations:
        queue = queues.setdefault(reservation.kind, [])
        queue.append(reservation)
        reservation.position = len(queue)
    return [(DeviceKind(kind).label, queue) for kind, queue in sorted(queues.items(),
                                                                      key=lambda item: DeviceKind.values.index(item[0]))]  # fmt: skip


def reservations_closed_recently(*, organisation: Organisation, days: int = 30) -> list[Reservation]:
    """Reservations lapsed, cancelled or fulfilled in the last `days` days, the latest first, with why."""
    since = timezone.now() - timedelta(days=days)
    return _mark_visible(organisation, Reservation.objects.filter(
        organisation=organisation, closed_at__gte=since).select_related("resident", "device", "loan")
        .order_by("-closed_at", "-pk"))  # fmt: skip


def reservation_get(*, organisation: Organisation, pk) -> Reservation | None:
    found = Reservation.objects.filter(organisation=organisation, pk=pk).select_related("resident", "device").first()
    return _mark_visible(organisation, [found])[0] if found else None


def reservations_for_resident(*, organisation: Organisation, resident: Resident) -> list[Reservation]:
    return list(Reservation.objects.filter(organisation=organisation, resident=resident)
                .select_related("device").order_by("-created_at")[:20])  # fmt: skip


def reservation_held(*, device) -> Reservation | None:
    """The reservation the device is held for, if any."""
    return Reservation.objects.filter(device=device, status=ReservationStatus.OFFERED).first()


def referral_received_get(*, organisation: Organisation, pk):
    """A referral the organisation received, in any status, or None (another's, or a malformed id): for the API,
    which then lets reservation_create say why it may not queue from it."""
    from django.core.exceptions import ValidationError

    from referrals.models import Referral

    try:
        return Referral.objects.filter(pk=pk, to_organisation=organisation).select_related("service").first()
    except (ValueError, TypeError, ValidationError):
        return None


def referral_for_reservation(*, organisation: Organisation, pk):
    """A referral the organisation received that may queue its resident (open, for a device, the resident shared),
    or None (also for another organisation's referral or a malformed id: the page is then 404, saying nothing)."""
    from django.core.exceptions import ValidationError

    from referrals.models import OPEN_STATUSES, Referral

    from .services import referral_is_for_lending

    try:
        referral = (Referral.objects.filter(pk=pk, to_organisation=organisation, status__in=OPEN_STATUSES)
                    .select_related("service", "from_organisation", "resident").first())  # fmt: skip
    except (ValueError, TypeError, ValidationError):
        return None
    if referral is None or not referral_is_for_lending(referral):
        return None
    from inclusion.access import residents_visible_to

    return referral if residents_visible_to(organisation).filter(pk=referral.resident_id).exists() else None


def reservations_for_referral(*, organisation: Organisation, referral) -> list[Reservation]:
    """The organisation's reservations made from a referral, the active first (for the referral page)."""
    found = (Reservation.objects.filter(organisation=organisation, referral=referral).select_related("device")
             .order_by("-created_at", "-pk"))  # fmt: skip
    reservations = list(found)
    for reservation in reservations:
        if reservation.is_active:
            ahead = Reservation.objects.filter(organisation=organisation, kind=reservation.kind, status__in=ACTIVE,
                                               created_at__lt=reservation.created_at).count()  # fmt: skip
            reservation.position = ahead + 1
    return reservations
