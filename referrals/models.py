"""Referrals between partner organisations, their history, messages and outcomes, and the webhooks that
tell partners' systems about them. The service directory they refer to is referrals/directory/.

The allowed status moves are the TRANSITIONS table in referrals/services.py: nothing else sets a
referral's status. A referral shares the resident with the receiving organisation while it is open
(sent, accepted or started) and the resident's consent to sharing is current (inclusion/access.py).
"""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from inclusion.audit import field_history
from inclusion.choices import ContactMethod, SkillLevel
from inclusion.models import Consent, Organisation, OrganisationAPIKey, Resident, User

from .directory.models import (  # noqa: F401  (the directory's models belong to this app)
    Delivery,
    Service,
    ServiceKind,
    ServiceLevel,
    ServiceLocation,
    ServiceStatus,
    SkillArea,
    Weekday,
)


class ReferralStatus(models.TextChoices):
    SENT = "sent", "Sent, awaiting a response"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    STARTED = "started", "Started"
    COMPLETED = "completed", "Completed"
    NOT_COMPLETED = "not_completed", "Not completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


# While a referral is in one of these, the receiving organisation may see the resident (with sharing consent).
OPEN_STATUSES = (ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.STARTED)


class ReferralNeed(models.TextChoices):
    SKILLS = "skills", "Digital skills"
    DEVICE = "device", "A device"
    CONNECTIVITY = "connectivity", "Data or an internet connection"
    SUPPORT = "support", "One-to-one digital help"
    OTHER = "other", "Something else"


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    SOON = "soon", "Soon: within a week"
    URGENT = "urgent", "Urgent"


class DeclineReason(models.TextChoices):
    UNABLE_TO_CONTACT = "unable_to_contact", "Unable to contact the resident"
    NO_CAPACITY = "no_capacity", "No capacity"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"
    RESIDENT_DECLINED = "resident_declined", "The resident declined"
    DUPLICATE = "duplicate", "A duplicate referral"
    OTHER = "other", "Other"


class NotCompletedReason(models.TextChoices):
    STOPPED_ATTENDING = "stopped_attending", "Stopped attending"
    MOVED_AWAY = "moved_away", "Moved away"
    HEALTH = "health", "Health or caring responsibilities"
    NOT_SUITABLE = "not_suitable", "The course did not suit them"
    SERVICE_ENDED = "service_ended", "The service ended"
    OTHER = "other", "Other"


@field_history(model_name="ReferralHistory", exclude=["updated_at"], personal=["reason"], resident="resident")
class Referral(models.Model):
    """A resident referred by one partner (and member of staff) to another's service, or to the organisation
    with no particular service."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="referrals")
    from_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="referrals_sent")
    referred_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    api_key = models.ForeignKey(OrganisationAPIKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="referrals_received")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals")

    need = models.CharField(max_length=20, choices=ReferralNeed.choices)
    reason = models.TextField(max_length=2000, help_text="Why this referral: what the resident wants to do")
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    preferred_contact = models.CharField(max_length=20, blank=True, choices=ContactMethod.choices)
    # The resident's consent to sharing with partners when the referral was sent (it must stay current).
    sharing_consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="+")
    # Confidence using the internet (1 to 5) when referred, against which the outcome's is compared.
    confidence_before = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    status = models.CharField(max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.SENT)
    sent_at = models.DateTimeField(default=timezone.now)
    response_due_on = models.DateField(help_text="N working days after it was sent (settings)")
    responded_at = models.DateTimeField(null=True, blank=True, help_text="First accept or decline")
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=30, blank=True, choices=DeclineReason.choices)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, help_text="Completed, not completed or withdrawn")
    not_completed_reason = models.CharField(max_length=30, blank=True, choices=NotCompletedReason.choices)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    follow_up_due_on = models.DateField(null=True, blank=True, help_text="The outcome check after completion")
    # Each change is numbered (ReferralEvent.sequence), so partners' systems can put webhook events in order.
    last_sequence = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [
            # The access rule's link and each inbox: open referrals by receiving organisation.
            models.Index(
                fields=["to_organisation", "resident"],
                condition=Q(status__in=["sent", "accepted", "started"]),
                name="referral_open_to_resident",
            ),
            models.Index(fields=["to_organisation", "status", "sent_at"], name="referral_inbox_received"),
            models.Index(fields=["from_organisation", "status", "sent_at"], name="referral_inbox_sent"),
            models.Index(fields=["resident", "sent_at"], name="referral_resident"),
            models.Index(fields=["response_due_on"], condition=Q(status="sent"), name="referral_awaiting_response"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(from_organisation=models.F("to_organisation")),
                                   name="referral_to_another_organisation"),
            models.CheckConstraint(condition=Q(status="declined") | Q(decline_reason=""),
                                   name="referral_decline_reason_only_when_declined"),
            models.CheckConstraint(condition=~Q(status="declined") | ~Q(decline_reason=""),
                                   name="referral_declined_with_reason"),
            models.CheckConstraint(condition=Q(status__in=["sent", "accepted", "started"]) | Q(finished_at__isnull=False)
                                   | Q(status="declined"), name="referral_finished_when_closed"),
            # One open referral of a resident to one service (or to one organisation with no service): two
            # staff referring the same person at once make one referral, not two.
            models.UniqueConstraint(fields=["resident", "to_organisation", "service"],
                                    condition=Q(status__in=["sent", "accepted", "started"]), nulls_distinct=False,
                                    name="one_open_referral_per_resident_and_service"),
        ]  # fmt: skip

    def __str__(self):
        target = self.service.name if self.service_id else str(self.to_organisation)
        return f"Referral of {self.resident} to {target}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ReferralEvent(models.Model):
    """A referral's history: every status change and message, with who, when, the note and its number."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    sequence = models.PositiveIntegerField()
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True, choices=ReferralStatus.choices)
    to_status = models.CharField(max_length=20, blank=True, choices=ReferralStatus.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    api_key = models.ForeignKey(OrganisationAPIKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=30, blank=True)
    note = models.TextField(blank=True, max_length=2000)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["referral", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "sequence"], name="referral_event_sequence_unique"),
        ]

    def __str__(self):
        return f"{self.referral_id} #{self.sequence}: {self.action}"

    @property
    def reason_label(self) -> str:
        labels = (
            dict(DeclineReason.choices)
            if self.to_status == ReferralStatus.DECLINED
            else dict(NotCompletedReason.choices)
        )
        return str(labels.get(self.reason, self.reason))


class ReferralMessage(models.Model):
    """A message between the two organisations about a referral (never shown to other partners)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="messages")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    api_key = models.ForeignKey(OrganisationAPIKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(max_length=5000)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at", "id"]

    def __str__(self):
        return f"Message on {self.referral_id} from {self.organisation}"


class OutcomeStage(models.TextChoices):
    COMPLETION = "completion", "At completion"
    FOLLOW_UP = "follow_up", "At follow-up (6 to 12 weeks later)"


class Outcome(models.Model):
    """What changed for the resident, recorded at completion and again at follow-up: the Essential Digital
    Skills self-assessment per area (against the baseline recorded at registration), confidence and the
    outcome flags the impact report counts."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="outcomes")
    stage = models.CharField(max_length=20, choices=OutcomeStage.choices)
    eds_foundation = models.CharField(max_length=20, blank=True, choices=SkillLevel.choices)
    eds_communicating = models.CharField(max_length=20, blank=True, choices=SkillLevel.choices)
    eds_handling_information = models.CharField(max_length=20, blank=True, choices=SkillLevel.choices)
    eds_transacting = models.CharField(max_length=20, blank=True, choices=SkillLevel.choices)
    eds_problem_solving = models.CharField(max_length=20, blank=True, choices=SkillLevel.choices)
    eds_being_safe = models.CharField(max_length=20, blank=True, choices=SkillLevel.choices)
    confidence = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    got_online_independently = models.BooleanField(default=False)
    uses_online_public_services = models.BooleanField(default=False)
    applied_for_work_or_training = models.BooleanField(default=False)
    found_work = models.BooleanField(default=False)
    feels_less_isolated = models.BooleanField(default=False)
    saves_money_online = models.BooleanField(default=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["referral", "recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "stage"], name="one_outcome_per_referral_stage"),
        ]

    def __str__(self):
        return f"{self.get_stage_display()} outcome of {self.referral_id}"

    def eds_levels(self) -> list[tuple[str, str]]:
        """[(area, level now)] for the areas asked."""
        from inclusion.choices import EDS_AREAS

        levels = dict(SkillLevel.choices)
        return [(label.split(" (")[0], levels[getattr(self, name)]) for name, label in EDS_AREAS.items()
                if getattr(self, name)]  # fmt: skip

    def flags_sentence(self) -> str:
        return ", ".join(label for name, label in OUTCOME_FLAGS.items() if getattr(self, name))


OUTCOME_FLAGS = {
    "got_online_independently": "Got online independently",
    "uses_online_public_services": "Uses online public services",
    "applied_for_work_or_training": "Applied for work or training",
    "found_work": "Found work",
    "feels_less_isolated": "Feels less isolated",
    "saves_money_online": "Saves money online",
}


class WebhookEndpoint(models.Model):
    """An HTTPS address of a partner's system, told about referrals to or from its organisation. Events are
    signed with HMAC-SHA256 over the timestamp and body with `secret`, shown to the coordinator once."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation", "url"]
        constraints = [
            models.CheckConstraint(condition=Q(url__startswith="https://"), name="webhook_url_is_https"),
        ]

    def __str__(self):
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed for good"


class WebhookDelivery(models.Model):
    """One event for one endpoint: its payload as sent, attempts and result. Delivered in sequence order per
    referral and endpoint; a failure is kept with the response, and a coordinator may send it again."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(ReferralEvent, on_delete=models.CASCADE, related_name="deliveries")
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="+")
    sequence = models.PositiveIntegerField()
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status__in=["pending", "sending"]),
                         name="webhook_delivery_due"),
        ]  # fmt: skip
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="one_delivery_per_endpoint_event"),
        ]

    def __str__(self):
        return f"{self.event} → {self.endpoint}"
