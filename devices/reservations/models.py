"""A resident waiting for a kind of device at an organisation. App label "devices" (devices/models.py imports
this), like the vouchers. Rules that change these rows live in devices/reservations/services.py, whose
TRANSITIONS table is the only way a reservation's status moves."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from inclusion.models import Organisation, Resident, User


class ReservationStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Device held for them"
    FULFILLED = "fulfilled", "Lent"
    LAPSED = "lapsed", "Lapsed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE = (ReservationStatus.WAITING, ReservationStatus.OFFERED)


class Reservation(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="reservations")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="reservations")
    kind = models.CharField(max_length=20)  # a DeviceKind value (devices.models), checked by the service
    status = models.CharField(max_length=20, choices=ReservationStatus.choices, default=ReservationStatus.WAITING)
    note = models.CharField(max_length=300, blank=True)
    # Queued from a referral to the organisation's device lending (devices.reservations.services.reservation_create):
    # kept so the waiting list and the referral page show where the place came from.
    referral = models.ForeignKey("referrals.Referral", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="reservations")  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # While offered: the device held for them, and until when.
    device = models.ForeignKey("devices.Device", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="reservations")  # fmt: skip
    offered_at = models.DateTimeField(null=True, blank=True)
    hold_until = models.DateField(null=True, blank=True)
    loan = models.ForeignKey("devices.Loan", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    # Why it lapsed or was cancelled, in words for staff ("Not collected within 3 days").
    closed_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["organisation", "kind", "created_at"], condition=Q(status="waiting"),
                         name="reservation_queue"),
        ]  # fmt: skip
        constraints = [
            # One device is held for one reservation at a time.
            models.UniqueConstraint(fields=["device"], condition=Q(status="offered"), name="one_offer_per_device"),
            # One place in the queue per resident, kind and organisation.
            models.UniqueConstraint(fields=["organisation", "resident", "kind"],
                                    condition=Q(status__in=["waiting", "offered"]), name="one_active_reservation"),
            models.CheckConstraint(condition=~Q(status="offered") | (Q(device__isnull=False) & Q(hold_until__isnull=False)),
                                   name="offered_reservation_has_device"),
            models.CheckConstraint(condition=Q(status__in=["waiting", "offered"]) | Q(closed_at__isnull=False),
                                   name="closed_reservation_has_closed_at"),
        ]  # fmt: skip

    def __str__(self):
        return f"Reservation of a {self.kind} for {self.resident}"

    def get_kind_display_lower(self) -> str:
        from ..models import DeviceKind

        return DeviceKind(self.kind).label.lower() if self.kind in DeviceKind.values else self.kind

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE
