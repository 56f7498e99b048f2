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
                                 .select_related("resident", "device").order_by("kind", "created_at", "pk"))  # fmt: skip
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
