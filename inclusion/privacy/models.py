"""The access log: an append-only record of every look at a resident's data (their record, a voucher code,
an export, a cross-organisation duplicate match). Written only by inclusion.privacy.services.access_log_record;
a database trigger refuses UPDATE and DELETE (migration 0001), so not even a bug or raw SQL can change it.

It refers to people and residents by id, without database foreign keys: the log outlives what it points at
(an erased resident, a deleted account), and a foreign key's ON DELETE would be an UPDATE or DELETE here.
It holds no names, contact details or codes: `actor_label` is the member of staff's or key's own name.
"""

from django.db import models
from django.utils import timezone

from inclusion.models import Organisation, OrganisationAPIKey, Resident, User


class AccessAction(models.TextChoices):
    RESIDENT_VIEWED = "resident_viewed", "Opened their record"
    VOUCHER_CODE_REVEALED = "voucher_code_revealed", "Saw a voucher code"
    EXPORT_DOWNLOADED = "export_downloaded", "Downloaded an export"
    DUPLICATE_MATCHED = "duplicate_matched", "Found them in a duplicate check"
    SUBJECT_ACCESS_EXPORTED = "subject_access_exported", "Produced their subject access export"


class Channel(models.TextChoices):
    WEB = "web", "Staff web"
    API = "api", "Partner API"
    SYSTEM = "system", "The system"


def _ref(model, **kwargs):
    """A reference by id that the database does not enforce (see the module's docstring)."""
    return models.ForeignKey(model, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", **kwargs)


class AccessLogEntry(models.Model):
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=40, choices=AccessAction.choices)
    # Who: a member of staff of `organisation`, or its partner system's key.
    organisation = _ref(Organisation)
    user = _ref(User, null=True, blank=True)
    api_key = _ref(OrganisationAPIKey, null=True, blank=True)
    actor_label = models.CharField(max_length=200)
    # Which resident (and whose resident they were at the time), or which other object.
    resident = _ref(Resident, null=True, blank=True)
    owning_organisation = _ref(Organisation, null=True, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=150, blank=True)
    # From where.
    channel = models.CharField(max_length=10, choices=Channel.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "access log entry"
        verbose_name_plural = "access log"
        indexes = [
            models.Index(fields=["owning_organisation", "-at"], name="access_log_owner_time"),
            models.Index(fields=["resident", "-at"], name="access_log_resident_time"),
            models.Index(fields=["-at"], name="access_log_time"),
        ]

    def __str__(self):
        return f"{self.actor_label} ({self.organisation_id}): {self.get_action_display()} at {self.at:%Y-%m-%d %H:%M}"


class Erasure(models.Model):
    """That a resident was anonymised (inclusion.privacy.erasure.resident_erase): when, by whom, why. One per
    resident. It holds no personal data: the resident's row stays, anonymised, for the reports."""

    resident = models.OneToOneField(Resident, on_delete=models.PROTECT, related_name="erasure")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    erased_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=500)
    last_active_at = models.DateTimeField(help_text="When anything last happened to them before the erasure")
    erased_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-erased_at", "-id"]

    def __str__(self):
        return f"Resident {self.resident_id} anonymised at {self.erased_at:%Y-%m-%d %H:%M}"


class RetentionStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed: to be anonymised"
    KEPT = "kept", "Kept"
    ANONYMISED = "anonymised", "Anonymised"
    LAPSED = "lapsed", "Not anonymised: active again"


class RetentionReview(models.Model):
    """A coordinator's decision on a resident the retention review lists (no activity for
    settings.RETENTION_INACTIVE_YEARS): confirm (the scheduled task anonymises them) or keep, with a reason.
    Only inclusion.privacy.retention changes it, along its TRANSITIONS."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="retention_reviews")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=RetentionStatus.choices)
    reason = models.CharField(max_length=500, blank=True)
    last_active_at = models.DateTimeField(help_text="Their last activity when the decision was made")
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When the task anonymised them or let it lapse")

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            # One decision waiting for the task per resident: a second confirmation adds nothing.
            models.UniqueConstraint(fields=["resident"], condition=models.Q(status="confirmed"),
                                    name="one_confirmed_retention_review"),
            models.CheckConstraint(condition=~models.Q(status="kept") | ~models.Q(reason=""),
                                   name="retention_kept_has_reason"),
        ]  # fmt: skip
        indexes = [models.Index(fields=["status"], condition=models.Q(status="confirmed"), name="retention_confirmed")]

    def __str__(self):
        return f"Retention review of {self.resident_id}: {self.status}"
