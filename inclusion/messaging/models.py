"""Reminder stages (data, not code), the due things sweeps find (items) and the messages that carry them.

A sweep inserts one `MessageItem` per due thing, keyed by its natural key (a loan, a stage, a due date), with
ON CONFLICT DO NOTHING: a sweep run twice, or two at once, adds nothing the second time. Items for one
resident (or, for staff, one organisation) are then composed into one `Message`: a digest listing them all.
The send task claims a message with a compare-and-set update (pending → sending) and sends it once.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from inclusion.models import Organisation, Resident


class Subject(models.TextChoices):
    """What a stage counts its offset from."""

    LOAN_DUE = "loan_due", "A loan's due date"


class StageChannel(models.TextChoices):
    PREFERRED = "preferred", "The resident's preferred way (text, email or letter)"
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter (printed by staff)"
    NONE = "none", "Nothing to the resident (staff only)"


class StageTemplate(models.TextChoices):
    """The wording of a stage (templates/messaging/items/<value>.txt; Notify template ids per kind)."""

    DUE_SOON = "loan_due_soon", "Due soon (offers an extension where the policy allows)"
    DUE_TOMORROW = "loan_due_tomorrow", "Due tomorrow"
    DUE_TODAY = "loan_due_today", "Due today: please bring it back"
    OVERDUE = "loan_overdue", "Overdue: please bring it back"
    FINAL = "loan_overdue_final", "Overdue: final request"


class Stage(models.Model):
    """One reminder stage. Rows without an organisation are the scheme's defaults; an organisation's row with
    the same subject and offset replaces the default for that organisation (inactive: turned off there)."""

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="reminder_stages"
    )
    subject = models.CharField(max_length=20, choices=Subject.choices, default=Subject.LOAN_DUE)
    offset_days = models.SmallIntegerField(help_text="Days after the due date (negative: before it)")
    channel = models.CharField(max_length=20, choices=StageChannel.choices, default=StageChannel.PREFERRED)
    template = models.CharField(max_length=40, choices=StageTemplate.choices)
    escalates_to_staff = models.BooleanField(default=False, help_text="Also tell the lending organisation's staff")
    blocks_new_loans = models.BooleanField(default=False, help_text="No new loan to the resident from this stage on")
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["subject", "offset_days"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "subject", "offset_days"], nulls_distinct=False, name="stage_one_per_offset"
            ),
            models.CheckConstraint(condition=Q(offset_days__gte=-90, offset_days__lte=365), name="stage_offset_range"),
        ]

    def __str__(self):
        return f"{self.get_subject_display()} {self.offset_label}"

    @property
    def offset_label(self) -> str:
        days = abs(self.offset_days)
        if self.offset_days == 0:
            return "on the due date"
        unit = "day" if days == 1 else "days"
        return f"{days} {unit} {'before' if self.offset_days < 0 else 'after'}"


class Audience(models.TextChoices):
    RESIDENT = "resident", "Resident"
    STAFF = "staff", "Staff"


class Channel(models.TextChoices):
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter to print"
    STAFF_EMAIL = "staff_email", "Email to staff"
    NONE = "none", "None"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Not sent"


class Message(models.Model):
    """What is sent: one digest to a resident (or to an organisation's staff) listing its items."""

    natural_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=40, help_text="digest (to a resident) or staff_digest")
    audience = models.CharField(max_length=10, choices=Audience.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", db_index=False)
    resident = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    recipient = models.CharField(max_length=1000, blank=True, help_text="Phone, email or staff emails")
    language = models.CharField(max_length=60, default="English")
    body = models.TextField(blank=True, help_text="The text as sent (written when it is sent)")
    status = models.CharField(max_length=20, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    status_reason = models.CharField(max_length=300, blank=True)
    notify_id = models.UUIDField(null=True, blank=True, unique=True)
    send_after = models.DateTimeField(default=timezone.now, help_text="Held until then (quiet hours)")
    queued_at = models.DateTimeField(null=True, blank=True, help_text="When a send task was last queued")
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["send_after"], condition=Q(status="pending"), name="message_pending_idx"),
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="message_sending_idx"),
            models.Index(fields=["organisation", "-created_at"], name="message_org_created_idx"),
            models.Index(fields=["organisation"], condition=Q(status__in=["pending", "sending"]),
                         name="message_org_unsent_idx"),
        ]  # fmt: skip
        constraints = [
            models.CheckConstraint(
                condition=Q(audience="staff", resident__isnull=True) | Q(audience="resident", resident__isnull=False),
                name="message_resident_matches_audience",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"

    def get_kind_display(self) -> str:
        return {"digest": "Reminder", "staff_digest": "Staff alert"}.get(self.kind, self.kind)


class MessageItem(models.Model):
    """One due thing (a loan at a stage, a batch about to expire...). Its natural key makes it once only.
    (No index of its own on organisation: nothing looks items up by it alone, and a sweep may write 100,000.)"""

    natural_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=40)
    audience = models.CharField(max_length=10, choices=Audience.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", db_index=False)
    resident = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    template = models.CharField(max_length=40)
    channel_rule = models.CharField(max_length=20, choices=StageChannel.choices, default=StageChannel.PREFERRED)
    due_on = models.DateField(null=True, blank=True)
    source_type = models.CharField(max_length=30)
    source_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["audience", "organisation"], condition=Q(message__isnull=True), name="item_unsent_idx"
            ),
            models.Index(fields=["source_type", "source_id"], name="item_source_idx"),
        ]

    def __str__(self):
        return self.natural_key
