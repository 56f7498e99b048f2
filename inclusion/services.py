"""Every change to the core data: residents, notes, consent, memberships, API keys.

Each service is atomic, validates with full_clean() before saving, and writes its timeline
entry in the same transaction. Views, the API and tasks call these; nothing else saves.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .actors import Actor
from .choices import ConsentPurpose, EventKind
from .errors import DomainError
from .events import case_event_record
from .models import CaseEvent, Consent, IdempotencyRecord, Membership, Organisation, OrganisationAPIKey, Resident

# The fields staff and partner systems may set on a resident (not ownership, not audit fields).
RESIDENT_FIELDS = (
    "first_name", "last_name", "preferred_name", "date_of_birth", "age_band",
    "phone", "email", "address_line_1", "address_line_2", "town", "postcode", "local_authority",
    "preferred_contact_method", "preferred_language", "accessibility_needs",
    "gender", "ethnicity", "disability", "employment_status", "low_income", "carer",
    "needs_device", "needs_connectivity", "needs_skills",
    "eds_foundation", "eds_communicating", "eds_handling_information", "eds_transacting",
    "eds_problem_solving", "eds_being_safe",
    "referral_source", "referral_source_detail",
)  # fmt: skip

NOTE_MAX_LENGTH = 5000


def _check_fields(details: dict) -> None:
    unknown = set(details) - set(RESIDENT_FIELDS)
    if unknown:
        raise DomainError(f"Unknown resident fields: {', '.join(sorted(unknown))}")


def _normalise(details: dict) -> dict:
    from .validators import postcode_normalise

    details = dict(details)
    if details.get("postcode"):
        details["postcode"] = postcode_normalise(details["postcode"])
    if details.get("email"):
        details["email"] = details["email"].strip().lower()
    if details.get("date_of_birth"):
        details["age_band"] = ""  # a date of birth makes the age band redundant
    return details


@transaction.atomic
def resident_register(*, actor: Actor, **details) -> Resident:
    """Register a resident owned by the actor's organisation; writes a 'registered' timeline entry."""
    _check_fields(details)
    resident = Resident(owning_organisation=actor.organisation, registered_by=actor.user, **_normalise(details))
    resident.full_clean()
    resident.save()
    case_event_record(
        resident=resident, actor=actor, kind=EventKind.REGISTERED,
        summary=f"Registered by {actor.organisation}",
    )  # fmt: skip
    return resident


@transaction.atomic
def resident_update(*, actor: Actor, resident: Resident, **changes) -> Resident:
    """Change a resident's details. The timeline names the fields changed, not their values.

    Precondition: the actor's organisation may see the resident (callers fetch it through access.py).
    """
    _check_fields(changes)
    changes = _normalise(changes)
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    changed = [field for field, value in changes.items() if getattr(resident, field) != value]
    if not changed:
        return resident
    for field in changed:
        setattr(resident, field, changes[field])
    resident.full_clean()
    resident.save()
    labels = [str(Resident._meta.get_field(field).verbose_name) for field in changed]
    case_event_record(
        resident=resident, actor=actor, kind=EventKind.DETAILS_UPDATED,
        summary=f"Updated {', '.join(labels)}", data={"fields": changed},
    )  # fmt: skip
    return resident


@transaction.atomic
def note_add(*, actor: Actor, resident: Resident, body: str) -> CaseEvent:
    """Add a case note to the resident's timeline."""
    body = (body or "").strip()
    if not body:
        raise DomainError("Enter the note", field="body", code="required")
    if len(body) > NOTE_MAX_LENGTH:
        raise DomainError(f"A note must be {NOTE_MAX_LENGTH} characters or fewer", field="body", code="max_length")
    if "\x00" in body:
        raise DomainError("The note contains a character that cannot be stored", field="body", code="null_characters")
    first_line = body.splitlines()[0]
    summary = first_line if len(first_line) <= 120 else first_line[:117] + "..."
    return case_event_record(resident=resident, actor=actor, kind=EventKind.NOTE, summary=summary, body=body)


@transaction.atomic
def consent_record(
    *, actor: Actor, resident: Resident, purpose: str, channel: str, wording_version: str | None = None
) -> Consent:
    """Record consent for one purpose. Refused when consent for that purpose is already current."""
    consent = Consent(
        resident=resident, purpose=purpose, channel=channel, organisation=actor.organisation,
        recorded_by=actor.user, wording_version=wording_version or settings.CONSENT_WORDING_VERSION,
    )  # fmt: skip
    try:
        consent.full_clean(validate_constraints=False)
    except ValidationError as error:
        raise DomainError("; ".join(error.messages)) from error
    try:
        with transaction.atomic():
            consent.save()
    except IntegrityError:
        label = ConsentPurpose(purpose).label.lower()
        raise DomainError(f"Consent for {label} is already recorded", field="purpose", code="already_current") from None
    case_event_record(
        resident=resident, actor=actor, kind=EventKind.CONSENT_RECORDED,
        summary=f"Consent recorded: {consent.get_purpose_display()} ({consent.get_channel_display().lower()})",
        data={"purpose": purpose, "wording_version": consent.wording_version},
    )  # fmt: skip
    return consent


@transaction.atomic
def consent_withdraw(*, actor: Actor, consent: Consent, channel: str, note: str = "") -> Consent:
    """Record that consent was withdrawn. The consent row stays, marked withdrawn, for the record."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at:
        raise DomainError("This consent has already been withdrawn", code="already_withdrawn")
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = actor.user
    consent.withdrawal_channel = channel
    consent.withdrawal_note = note
    consent.full_clean()
    consent.save()
    case_event_record(
        resident=consent.resident, actor=actor, kind=EventKind.CONSENT_WITHDRAWN,
        summary=f"Consent withdrawn: {consent.get_purpose_display()}", body=note, data={"purpose": consent.purpose},
    )  # fmt: skip
    return consent


@transaction.atomic
def membership_deactivate(*, membership: Membership) -> Membership:
    """Remove a member of staff's access to an organisation, from their next request."""
    Membership.objects.filter(pk=membership.pk).update(active=False, deactivated_at=timezone.now())
    membership.refresh_from_db()
    return membership


def api_key_create(*, organisation: Organisation, name: str) -> tuple[OrganisationAPIKey, str]:
    """Create a key for a partner system. Returns the key row and the key itself, which is never stored."""
    return OrganisationAPIKey.objects.create_key(name=name, organisation=organisation)


def api_key_revoke(*, api_key: OrganisationAPIKey) -> OrganisationAPIKey:
    OrganisationAPIKey.objects.filter(pk=api_key.pk).update(revoked=True)
    api_key.refresh_from_db()
    return api_key


def idempotency_records_purge(*, now=None) -> int:
    """Delete the stored responses of Idempotency-Keys older than their 24 hours. One DELETE; safe to run
    twice. Called at most hourly by the API itself (inclusion/api/idempotency.py) and by a task."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
