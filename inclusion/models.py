"""Core data: organisations, staff and their memberships, residents, consent and the case timeline.

Rules that change data live in inclusion/services.py; who may see a resident lives in inclusion/access.py.
"""

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Trim, Upper
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField
from rest_framework_api_key.models import AbstractAPIKey

from . import choices
from .audit import field_history
from .validators import validate_name, validate_not_drama_number, validate_postcode


def actor_label(user, api_key) -> str:
    """Who did something, for history and timeline rows: the member of staff, else the API key, else the system."""
    if user is not None:
        return str(user)
    if api_key is not None:
        return f"API: {api_key.name}"
    return "System"


class Organisation(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=30, choices=choices.OrganisationKind.choices)
    local_authority = models.CharField(max_length=30, choices=choices.LocalAuthority.choices)
    is_scheme_lead = models.BooleanField(
        default=False, help_text="The scheme lead sees region-wide aggregates, never personal data."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_scheme_lead"], condition=Q(is_scheme_lead=True), name="one_scheme_lead"
            ),
        ]

    def __str__(self):
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("Staff need an email address to log in")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff. Logs in by email; what they can do comes from their memberships."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can log in to the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


@field_history(model_name="MembershipHistory")
class Membership(models.Model):
    """A user's role in one organisation. Deactivating it removes their access at the next request."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=choices.Role.choices)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_organisation"),
        ]
        ordering = ["organisation__name"]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} at {self.organisation}"


# The hash of the key stays out of its history (and last_used_at, which moves on every minute of use).
@field_history(model_name="OrganisationAPIKeyHistory", exclude=["hashed_key", "last_used_at"])
class OrganisationAPIKey(AbstractAPIKey):
    """A partner system's key. Stored hashed; the key itself is shown once, when it is created."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_keys")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "organisation API key"


@field_history(
    model_name="ResidentHistory",
    exclude=["first_name_key", "last_name_key", "last_name_part_key", "preferred_name_key", "postcode_key", "email_key",
             "updated_at"],
    personal=["first_name", "last_name", "preferred_name", "date_of_birth", "phone", "email", "address_line_1",
              "address_line_2", "town", "postcode", "accessibility_needs", "referral_source_detail"],
    resident="pgh_obj",
)  # fmt: skip
class Resident(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owning_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="residents")
    registered_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    first_name = models.CharField(max_length=100, validators=[validate_name])
    last_name = models.CharField(max_length=100, validators=[validate_name])
    preferred_name = models.CharField(max_length=100, blank=True, validators=[validate_name])
    date_of_birth = models.DateField(null=True, blank=True)
    age_band = models.CharField(
        max_length=10, blank=True, choices=choices.AgeBand.choices, help_text="When the date of birth is refused."
    )

    phone = PhoneNumberField(blank=True, validators=[validate_not_drama_number])
    email = models.EmailField(blank=True)
    address_line_1 = models.CharField(max_length=200, blank=True)
    address_line_2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=8, blank=True, validators=[validate_postcode])
    local_authority = models.CharField(max_length=30, blank=True, choices=choices.LocalAuthority.choices)
    preferred_contact_method = models.CharField(max_length=20, blank=True, choices=choices.ContactMethod.choices)
    preferred_language = models.CharField(max_length=60, default="English")
    accessibility_needs = models.TextField(blank=True, max_length=2000)

    # Equality monitoring: blank means not asked; every question offers "prefer not to say".
    gender = models.CharField(max_length=20, blank=True, choices=choices.Gender.choices)
    ethnicity = models.CharField(max_length=40, blank=True, choices=choices.Ethnicity.choices)
    disability = models.CharField(max_length=20, blank=True, choices=choices.YesNo.choices)
    employment_status = models.CharField(max_length=20, blank=True, choices=choices.EmploymentStatus.choices)
    low_income = models.CharField(
        max_length=20, blank=True, choices=choices.YesNo.choices, help_text="On a low income or receiving benefits"
    )
    carer = models.CharField(max_length=20, blank=True, choices=choices.YesNo.choices)

    # Needs assessment.
    needs_device = models.BooleanField(default=False)
    needs_connectivity = models.BooleanField(default=False)
    needs_skills = models.BooleanField(default=False)
    eds_foundation = models.CharField(max_length=20, blank=True, choices=choices.SkillLevel.choices)
    eds_communicating = models.CharField(max_length=20, blank=True, choices=choices.SkillLevel.choices)
    eds_handling_information = models.CharField(max_length=20, blank=True, choices=choices.SkillLevel.choices)
    eds_transacting = models.CharField(max_length=20, blank=True, choices=choices.SkillLevel.choices)
    eds_problem_solving = models.CharField(max_length=20, blank=True, choices=choices.SkillLevel.choices)
    eds_being_safe = models.CharField(max_length=20, blank=True, choices=choices.SkillLevel.choices)

    referral_source = models.CharField(max_length=20, blank=True, choices=choices.ReferralSource.choices)
    referral_source_detail = models.CharField(max_length=200, blank=True)
    # UK GDPR Article 18: while set, the record is read-only and the resident gets no messages
    # (services.resident_restrict; selectors.residents_messageable_q).
    restricted_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    # Search keys. Names are folded in Python (accents, apostrophes, the parts of a double-barrelled name:
    # validators.name_search_key) when the services save a resident (services.resident_search_keys_fill);
    # the postcode key is kept by PostgreSQL itself. Prefix searches on these use the text_pattern_ops
    # indexes below: fast on a million rows with core PostgreSQL only (no unaccent, no pg_trgm).
    first_name_key = models.TextField(default="", editable=False)
    last_name_key = models.TextField(default="", editable=False)
    last_name_part_key = models.TextField(default="", editable=False)  # "jones" for Smith-Jones; "" if one part
    preferred_name_key = models.TextField(default="", editable=False)
    postcode_key = models.GeneratedField(
        expression=Upper(Trim("postcode")), output_field=models.TextField(), db_persist=True
    )  # 'WV1 1AA', the space kept: a search for WV1 is not one for WV10 (validators.postcode_search_prefix)
    email_key = models.GeneratedField(expression=Lower("email"), output_field=models.TextField(), db_persist=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_of_birth__isnull=False) | ~Q(age_band=""),
                name="resident_has_date_of_birth_or_age_band",
                violation_error_message="Give a date of birth, or an age band if they would rather not say.",
            ),
        ]
        # Searches are always within what one organisation may see: the organisation comes first, so
        # a prefix search reads only that organisation's matching rows (bench/search.py measures it). Each
        # includes the list's order (last name, first name, id), so a search's matches are counted and sorted
        # from the index alone (access.VisibleResidents, selectors.resident_search_alternatives).
        indexes = [
            *(models.Index(fields=["owning_organisation", key], name=name, opclasses=["int8_ops", "text_pattern_ops"],
                           include=["last_name", "first_name", "id"])
              for key, name in (("last_name_key", "resident_last_name_cover"),
                                ("last_name_part_key", "resident_name_part_cover"),
                                ("first_name_key", "resident_first_name_cover"),
                                ("preferred_name_key", "resident_pref_name_cover"),
                                ("postcode_key", "resident_postcode_cover"))),
            models.Index(fields=["phone"], name="resident_phone_prefix", opclasses=["varchar_pattern_ops"]),
            # The residents list's order within one organisation (access.VisibleResidents): its first page
            # and its count read the index alone, however large the organisation.
            models.Index(fields=["owning_organisation", "last_name", "first_name", "id"], name="resident_org_name_order"),
            # Whether a resident another organisation's loan or referral links is its own, from the index alone
            # (access.VisibleResidents).
            models.Index(fields=["id"], include=["owning_organisation"], name="resident_id_owner"),
            # For the scheme-wide duplicate check (exact matches only).
            models.Index(fields=["postcode_key"], name="resident_postcode"),
            models.Index(fields=["email_key"], name="resident_email"),
            models.Index(fields=["date_of_birth"], name="resident_date_of_birth"),
        ]  # fmt: skip

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        if self.preferred_name and self.preferred_name != self.first_name:
            return f"{self.preferred_name} ({self.first_name}) {self.last_name}"
        return f"{self.first_name} {self.last_name}"

    def eds_baseline(self):
        """[(area label, level label)] for the Essential Digital Skills areas."""
        levels = dict(choices.SkillLevel.choices)
        return [(label, levels.get(getattr(self, field), "Not assessed")) for field, label in choices.EDS_AREAS.items()]


class ConsentQuerySet(models.QuerySet):
    def current(self):
        """Consents in force now: given and not withdrawn. What every rule that needs consent reads."""
        return self.filter(withdrawn_at__isnull=True, refused=False)


@field_history(model_name="ConsentHistory", personal=["withdrawal_note"], resident="resident")
class Consent(models.Model):
    """A resident's answer for one purpose: consent given (withdrawal is recorded on the same row, never
    deleted), or refused (kept, so that staff are told when they were asked, but never in force)."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=20, choices=choices.ConsentPurpose.choices)
    refused = models.BooleanField(default=False, help_text="They were asked and said no (given_at is when).")
    wording_version = models.CharField(max_length=20)
    channel = models.CharField(max_length=20, choices=choices.ConsentChannel.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    given_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    withdrawal_channel = models.CharField(max_length=20, blank=True, choices=choices.ConsentChannel.choices)
    withdrawal_note = models.CharField(max_length=500, blank=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "purpose"],
                condition=Q(withdrawn_at__isnull=True, refused=False),
                name="one_current_consent_per_purpose",
            ),
            models.CheckConstraint(
                condition=Q(refused=False) | Q(withdrawn_at__isnull=True), name="a_refusal_is_never_withdrawn"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=models.F("given_at")),
                name="consent_withdrawn_after_given",
            ),
        ]

    def __str__(self):
        state = "refused" if self.refused else "withdrawn" if self.withdrawn_at else "current"
        return f"{self.get_purpose_display()} ({state})"

    @property
    def is_current(self):
        return self.withdrawn_at is None and not self.refused


class CaseEvent(models.Model):
    """One entry on a resident's case timeline: a note, or something that happened to their case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="events")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    api_key = models.ForeignKey(OrganisationAPIKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # No database choices: each app registers its kinds and their labels in inclusion.registry, so an app
    # adds a kind without a migration of the core.
    kind = models.CharField(max_length=40)
    summary = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["resident", "-occurred_at"], name="case_event_timeline")]

    def __str__(self):
        return self.summary

    @property
    def kind_label(self) -> str:
        from .registry import event_kind_label

        return event_kind_label(self.kind)

    @property
    def author_label(self):
        return actor_label(self.author, self.api_key)


class DataSharingAgreement(models.Model):
    """A partner organisation's data-sharing agreement with the scheme: its reference and the dates it runs
    (both inclusive). While none is current, the organisation reaches no other organisation's resident by
    any link (a loan, a referral): the access rule's link part requires one (inclusion.access:
    sharing_agreement_current). Its own residents are unaffected. Managed by administrators in the admin."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="sharing_agreements")
    reference = models.CharField(max_length=100, help_text="The signed agreement's reference, e.g. DSA-2026-014")
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["organisation", "-starts_on"]
        verbose_name = "data-sharing agreement"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="one_agreement_per_reference"),
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                   name="agreement_ends_after_it_starts"),
        ]  # fmt: skip
        indexes = [models.Index(fields=["organisation", "starts_on", "ends_on"], name="agreement_current")]

    def __str__(self):
        return f"{self.reference} ({self.organisation}, {self.starts_on:%-d %b %Y} to {self.ends_on:%-d %b %Y})"

    @property
    def is_current(self) -> bool:
        return self.starts_on <= timezone.localdate() <= self.ends_on


class ContactProposal(models.Model):
    """A contact update (phone, email, address, preferred contact) proposed by an organisation linked to
    another's resident, for the owning organisation's staff to accept or reject: the owner owns the record
    (inclusion.privacy.sharing). Only its services change it (inclusion.privacy.proposals); a pending one
    is decided once (compare-and-set on status)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the owner"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    # Which fields a proposal may carry; blank means "no change proposed" for that field.
    FIELDS = ("phone", "email", "address_line_1", "address_line_2", "town", "postcode", "preferred_contact_method")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="contact_proposals")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    proposed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    api_key = models.ForeignKey(OrganisationAPIKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changes = models.JSONField(help_text="The proposed values, by field (ContactProposal.FIELDS)")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One waiting proposal per resident and proposing organisation: a second replaces nothing silently.
            models.UniqueConstraint(
                fields=["resident", "organisation"], condition=models.Q(status="pending"),
                name="one_pending_contact_proposal",
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending", decided_at__isnull=True)
                | (~models.Q(status="pending") & models.Q(decided_at__isnull=False)),
                name="contact_proposal_decided_when_not_pending",
            ),
        ]  # fmt: skip

    def __str__(self):
        return f"Contact update for {self.resident_id} from {self.organisation_id} ({self.status})"


class CrossOrganisationMatch(models.Model):
    """A possible-duplicate check by one organisation that matched a resident of another: who checked, when,
    which record and why. The owning organisation's coordinators see these (a check tells the checker that
    a person may be known somewhere); what the checker typed is never kept."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    api_key = models.ForeignKey(OrganisationAPIKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="+")
    owning_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    reasons = models.JSONField(default=list)
    organisation_named = models.BooleanField(help_text="The checker was told the owning organisation's name")
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["owning_organisation", "-checked_at"], name="match_owner_checked")]

    def __str__(self):
        return f"{self.organisation} matched a resident of {self.owning_organisation}"

    @property
    def checker_label(self):
        return actor_label(self.user, self.api_key)


class IdempotencyRecord(models.Model):
    """The first successful response to a POST sent with an `Idempotency-Key`, kept for 24 hours so that the
    same key's retries get it again instead of doing the write twice (inclusion/api/idempotency.py).

    Scoped to one API key: one partner's key can never replay, or learn anything of, another's requests.
    """

    api_key = models.ForeignKey(OrganisationAPIKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the method, path and body: the same key with another request is refused, not replayed.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, help_text="Null while the first request runs.")
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=bytes)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="one_idempotency_record_per_key"),
        ]

    def __str__(self):
        return f"Idempotency-Key {self.key} ({self.api_key})"


class AuditEvent(models.Model):
    """A change that belongs to no resident's timeline: a loan policy, a membership, an API key, stock taken
    out of use. Who (member of staff or API key), when, what, and the values before and after.
    Written by the services (inclusion.events.audit_record) in the same transaction as the change;
    administrators read them in the admin."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    api_key = models.ForeignKey(OrganisationAPIKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=60, help_text="What was done, e.g. loan_policy.update")
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=150)
    object_repr = models.CharField(max_length=200)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "-occurred_at"], name="audit_organisation_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self):
        return f"{self.action}: {self.object_repr}"

    @property
    def actor_label(self):
        return actor_label(self.actor, self.api_key)
