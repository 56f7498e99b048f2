"""The service directory: what each partner offers and others refer residents to (digital skills courses
above all, device lending points, data and connectivity hubs, one-to-one digital help).

Published as Open Referral UK 3.0 at /openreferral/ (referrals/directory/openreferral.py); never holds
personal data. Rules that change these rows live in referrals/directory/services.py.
"""

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from inclusion.audit import field_history
from inclusion.models import Organisation, User
from inclusion.validators import validate_postcode


class ServiceKind(models.TextChoices):
    SKILLS_COURSE = "skills_course", "Digital skills course"
    LENDING_POINT = "lending_point", "Device lending point"
    CONNECTIVITY_HUB = "connectivity_hub", "Data and connectivity hub"
    DIGITAL_HELP = "digital_help", "One-to-one digital help"


class SkillArea(models.TextChoices):
    """The Essential Digital Skills framework's areas (DfE, 2018), with its foundation skills."""

    FOUNDATION = "foundation", "Foundation skills"
    COMMUNICATING = "communicating", "Communicating"
    HANDLING_INFORMATION = "handling_information", "Handling information and content"
    TRANSACTING = "transacting", "Transacting"
    PROBLEM_SOLVING = "problem_solving", "Problem solving"
    BEING_SAFE = "being_safe", "Being safe and legal online"


class ServiceLevel(models.TextChoices):
    ANY = "any", "All levels"
    BEGINNER = "beginner", "Beginners: new to the internet"
    IMPROVER = "improver", "Improvers: online a little"
    CONFIDENT = "confident", "Confident users building on their skills"


class Delivery(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    ONLINE = "online", "Online"
    BLENDED = "blended", "In person and online"


class Weekday(models.TextChoices):
    """iCalendar day codes, as Open Referral UK's schedules use them (byday)."""

    MO = "MO", "Monday"
    TU = "TU", "Tuesday"
    WE = "WE", "Wednesday"
    TH = "TH", "Thursday"
    FR = "FR", "Friday"
    SA = "SA", "Saturday"
    SU = "SU", "Sunday"


class ServiceStatus(models.TextChoices):
    """Open Referral UK's service statuses."""

    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    DEFUNCT = "defunct", "Defunct"
    TEMPORARILY_CLOSED = "temporarily closed", "Temporarily closed"


@field_history(model_name="ServiceHistory", exclude=["updated_at"])
class Service(models.Model):
    """What a partner organisation offers, and others refer residents to."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=200)
    description = models.TextField(max_length=4000)
    kind = models.CharField(max_length=20, choices=ServiceKind.choices)
    skill_areas = ArrayField(models.CharField(max_length=30, choices=SkillArea.choices), default=list, blank=True)
    level = models.CharField(max_length=20, choices=ServiceLevel.choices, default=ServiceLevel.ANY)
    delivery = models.CharField(max_length=20, choices=Delivery.choices, default=Delivery.IN_PERSON)
    # When it runs: the days (for searching by day) and the times, with a description for the rest
    # ("every other Tuesday in term time").
    days = ArrayField(models.CharField(max_length=2, choices=Weekday.choices), default=list, blank=True)
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)
    schedule_description = models.CharField(max_length=300, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Places per course or session")
    free = models.BooleanField(default=True)
    cost_description = models.CharField(max_length=200, blank=True)
    eligibility = models.CharField(max_length=500, blank=True)
    minimum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    languages = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    accessibility = models.CharField(max_length=500, blank=True)
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=30, blank=True)
    url = models.URLField(blank=True)
    referrals_open = models.BooleanField(default=True, help_text="Whether partners may refer to it now")
    status = models.CharField(max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE)
    active_from = models.DateField(null=True, blank=True)
    active_until = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["organisation", "name"], name="service_organisation_name"),
            models.Index(fields=["kind", "status"], name="service_kind_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(active_until__isnull=True) | Q(active_from__isnull=True)
                | Q(active_until__gte=models.F("active_from")),
                name="service_active_until_after_from",
            ),
            models.CheckConstraint(
                condition=Q(maximum_age__isnull=True) | Q(minimum_age__isnull=True)
                | Q(maximum_age__gte=models.F("minimum_age")),
                name="service_age_range",
            ),
        ]  # fmt: skip

    def __str__(self):
        return f"{self.name} ({self.organisation})"


class ServiceLocation(models.Model):
    """Where a service runs in person (none for one that is online only)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=200, blank=True)
    address_line_1 = models.CharField(max_length=200)
    address_line_2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100)
    postcode = models.CharField(max_length=8, validators=[validate_postcode])
    # The outward code ("WV10" of "WV10 6QR"), for searching the directory by place; kept by the services.
    postcode_district = models.CharField(max_length=4, db_index=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    accessibility = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["service", "name", "id"]

    def __str__(self):
        return self.name or f"{self.address_line_1}, {self.postcode}"
