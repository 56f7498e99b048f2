"""Every change to the core data: residents, notes, consent, memberships, API keys.

Each service is atomic, validates with full_clean() before saving, and writes its timeline
entry in the same transaction. Views, the API and tasks call these; nothing else saves.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .access import resident_check_visible
from .actors import Actor
from .choices import ConsentAnswer, ConsentPurpose, EventKind
from .errors import DomainError
from .events import audit_record, case_event_record
from .locks import lock_one
from .models import (
    CaseEvent,
    Consent,
    CrossOrganisationMatch,
    IdempotencyRecord,
    Membership,
    Organisation,
    OrganisationAPIKey,
    Resident,
)
from .privacy.models import AccessAction, Erasure
from .privacy.services import access_log_record
from .privacy.sharing import NOT_OWNER, resident_fields_not_changeable
from .ratelimit import rate_limit_take
from .selectors import PossibleDuplicate, possible_duplicates_shown, resident_possible_duplicates, resident_readiness
from .validators import name_part_key, name_search_key

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


def resident_details_normalise(details: dict) -> dict:
    from .validators import postcode_normalise

    details = dict(details)
    if details.get("postcode"):
        details["postcode"] = postcode_normalise(details["postcode"])
    if details.get("email"):
        details["email"] = details["email"].strip().lower()
    if details.get("date_of_birth"):
        details["age_band"] = ""  # a date of birth makes the age band redundant
    return details


def resident_search_keys_fill(resident: Resident) -> Resident:
    """Set the resident's name search keys from their names (validators.name_search_key), before saving.
    The services call it on every save of a resident; anything else that writes residents must too."""
    resident.first_name_key = name_search_key(resident.first_name)
    resident.last_name_key = name_search_key(resident.last_name)
    resident.last_name_part_key = name_part_key(resident.last_name)
    resident.preferred_name_key = name_search_key(resident.preferred_name)
    return resident


@transaction.atomic
def resident_register(*, actor: Actor, **details) -> Resident:
    """Register a resident owned by the actor's organisation; writes a 'registered' timeline entry."""
    _check_fields(details)
    resident = Resident(
        owning_organisation=actor.organisation, registered_by=actor.user, **resident_details_normalise(details)
    )
    resident_search_keys_fill(resident)
    resident.full_clean()
    resident.save()
    case_event_record(
        resident=resident, actor=actor, kind=EventKind.REGISTERED,
        summary=f"Registered by {actor.organisation}",
    )  # fmt: skip
    return resident


@transaction.atomic
def resident_duplicate_check(
    *, actor: Actor, first_name: str, last_name: str, date_of_birth=None, phone: str = "", email: str = "",
    postcode: str = "", exclude_pk=None,
) -> list[PossibleDuplicate]:  # fmt: skip
    """Before registering: the records anywhere in the scheme that may be this person, as the actor may be
    shown them (selectors.resident_possible_duplicates and possible_duplicates_shown).

    A check tells the checker that someone may be known at another partner, so each one counts against the
    person's DUPLICATE_CHECKS_PER_HOUR (RateLimited beyond it), and every match of another organisation's
    resident is recorded (CrossOrganisationMatch: who, when, which record, why) for that organisation's
    coordinators. What was typed is not kept."""
    rate_limit_take(action="duplicate-check", actor=actor, limit=settings.DUPLICATE_CHECKS_PER_HOUR,
                    things=("check for an existing record", "checks for an existing record"))  # fmt: skip
    matches = resident_possible_duplicates(
        organisation=actor.organisation, first_name=first_name, last_name=last_name, date_of_birth=date_of_birth,
        phone=str(phone or ""), email=email or "", postcode=postcode or "", exclude_pk=exclude_pk,
    )  # fmt: skip
    CrossOrganisationMatch.objects.bulk_create(
        CrossOrganisationMatch(
            organisation=actor.organisation, user=actor.user, api_key=actor.api_key, resident_id=match.matched_id,
            owning_organisation_id=match.owning_organisation_id, reasons=match.matched_reasons,
            organisation_named=match.organisation_name is not None,
        )
        for match in matches
        if match.owning_organisation_id != actor.organisation.pk
    )  # fmt: skip
    for match in matches:  # and on the access log (inclusion.privacy), as a look at another's resident
        if match.owning_organisation_id != actor.organisation.pk:
            access_log_record(actor=actor, action=AccessAction.DUPLICATE_MATCHED, resident=match.matched_id,
                              owning_organisation_id=match.owning_organisation_id)  # fmt: skip
    return possible_duplicates_shown(matches)


RESTRICTED = (
    "{name}'s record is restricted: they asked for their data to be used only to keep it, so nothing can be "
    "added or changed. A coordinator at {owner} can lift the restriction."
)


def resident_check_not_restricted(resident: Resident) -> None:
    """Refuse (DomainError, code "restricted") any change to a restricted resident's record (UK GDPR Art. 18).
    Call it on the resident as locked by access.resident_check_visible, so a restriction made at the same
    moment is seen. Withdrawing a consent stays possible: it limits use further."""
    if resident.restricted_at is not None:
        if Erasure.objects.filter(resident_id=resident.pk).exists():
            raise DomainError("This record is anonymised: nothing can be added or changed.", code="restricted")
        raise DomainError(RESTRICTED.format(name=resident.display_name, owner=resident.owning_organisation),
                          code="restricted")  # fmt: skip


@transaction.atomic
def resident_restriction_set(*, actor: Actor, resident: Resident, restricted: bool, reason: str) -> Resident:
    """Restrict the resident's record (read-only, no messages) or lift the restriction, with the reason, on
    their timeline. Only the owning organisation may (DomainError "not_owner"); Http404 if the actor's
    organisation may no longer see them. Locks the resident."""
    resident = resident_check_visible(actor.organisation, resident)
    if resident.owning_organisation_id != actor.organisation.pk:
        raise DomainError(f"Only {resident.owning_organisation}, who registered them, can change this.",
                          code="not_owner")  # fmt: skip
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Enter why", field="reason", code="required")
    if not restricted and Erasure.objects.filter(resident_id=resident.pk).exists():
        raise DomainError("This record is anonymised: it stays restricted.", code="anonymised")
    if restricted == (resident.restricted_at is not None):
        raise DomainError("Their record is already restricted." if restricted else "Their record is not restricted.",
                          code="already_current")  # fmt: skip
    resident.restricted_at = timezone.now() if restricted else None
    resident.save(update_fields=["restricted_at", "updated_at"])
    case_event_record(
        resident=resident, actor=actor, kind=EventKind.RESTRICTED if restricted else EventKind.RESTRICTION_LIFTED,
        summary="Record restricted: read-only, no messages" if restricted else "Restriction lifted", body=reason,
    )  # fmt: skip
    return resident


@transaction.atomic
def resident_update(*, actor: Actor, resident: Resident, **changes) -> Resident:
    """Change a resident's details. The timeline names the fields changed, not their values.

    Locks the resident; refused as unknown (Http404) if the actor's organisation may no longer see them.
    The owning organisation changes any field; a linked one only its skills baseline (privacy.sharing:
    LINKED_MAY_CHANGE), anything else is refused whole (DomainError "not_owner", even when nothing would
    change, so the answer is the same whatever the record holds).
    """
    resident = resident_check_visible(actor.organisation, resident)
    resident_check_not_restricted(resident)
    _check_fields(changes)
    changes = resident_details_normalise(changes)
    changed = [field for field, value in changes.items() if getattr(resident, field) != value]
    if resident_fields_not_changeable(organisation=actor.organisation, resident=resident, fields=changes):
        raise DomainError(NOT_OWNER.format(owner=resident.owning_organisation, name=resident.display_name),
                          code="not_owner")  # fmt: skip
    if not changed:
        return resident
    for field in changed:
        setattr(resident, field, changes[field])
    resident_search_keys_fill(resident)
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
    """Add a case note to the resident's timeline (Http404 if the actor's organisation may no longer see them)."""
    resident_check_not_restricted(resident_check_visible(actor.organisation, resident))
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
    *, actor: Actor, resident: Resident, purpose: str, channel: str, wording_version: str | None = None,
    refused: bool = False,
) -> Consent:  # fmt: skip
    """Record the resident's answer for one purpose: consent given or, with `refused`, refused. A refusal is
    kept (so that staff are told it, with its date) but is never a current consent. Refused when consent
    for that purpose is already current (withdraw it instead), and as unknown (Http404) if the actor's
    organisation may no longer see the resident."""
    resident_check_not_restricted(resident_check_visible(actor.organisation, resident))
    consent = Consent(
        resident=resident, purpose=purpose, channel=channel, organisation=actor.organisation, refused=refused,
        recorded_by=actor.user, wording_version=wording_version or settings.CONSENT_WORDING_VERSION,
    )  # fmt: skip
    try:
        consent.full_clean(validate_constraints=False)
    except ValidationError as error:
        raise DomainError("; ".join(error.messages)) from error
    label = ConsentPurpose(purpose).label
    if Consent.objects.current().filter(resident=resident, purpose=purpose).exists():
        raise DomainError(f"Consent for {label.lower()} is already recorded", field="purpose", code="already_current")
    try:
        with transaction.atomic():
            consent.save()
    except IntegrityError:  # recorded by someone else a moment ago
        raise DomainError(f"Consent for {label.lower()} is already recorded", field="purpose",
                          code="already_current") from None  # fmt: skip
    how = consent.get_channel_display().lower()
    case_event_record(
        resident=resident, actor=actor, kind=EventKind.CONSENT_REFUSED if refused else EventKind.CONSENT_RECORDED,
        summary=f"Consent {'refused' if refused else 'recorded'}: {label}" + ("" if refused else f" ({how})"),
        data={"purpose": purpose, "wording_version": consent.wording_version},
    )  # fmt: skip
    return consent


@transaction.atomic
def consents_record(*, actor: Actor, resident: Resident, answers: dict[str, str], channel: str) -> list[Consent]:
    """Record the resident's answers for several purposes at once ({purpose: "given" or "refused"}), all or
    none. Purposes not in `answers` were not asked."""
    answers = {purpose: answer for purpose, answer in answers.items() if answer}
    if not answers:
        raise DomainError("Answer for at least one purpose", code="required")
    unknown = set(answers.values()) - set(ConsentAnswer.values)
    if unknown:
        raise DomainError(f"Unknown answers: {', '.join(sorted(unknown))}")
    return [
        consent_record(actor=actor, resident=resident, purpose=purpose, channel=channel,
                       refused=answer == ConsentAnswer.REFUSED)
        for purpose, answer in answers.items()
    ]  # fmt: skip


@transaction.atomic
def consent_withdraw(*, actor: Actor, consent: Consent, channel: str, note: str = "") -> Consent:
    """Record that consent was withdrawn. The consent row stays, marked withdrawn, for the record.
    Refused as unknown (Http404) if the actor's organisation may no longer see the resident."""
    resident_check_visible(actor.organisation, consent.resident_id)
    consent = lock_one(Consent, consent.pk)
    if consent.refused:
        raise DomainError("This consent was refused, so there is nothing to withdraw", code="refused")
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


# What a loan or a voucher needs of the resident: (what it is, the doing, the verb)
RECEIVING = {
    "loan": ("lending them a device", "lend them a device"),
    "voucher": ("issuing them a voucher", "issue them a voucher"),
}


def resident_check_ready(*, resident: Resident, receiving: str) -> None:
    """Refuse (DomainError on "resident") a loan or a voucher (`receiving`) the resident is not ready for.

    Both need a current consent to keeping their details (processing); a loan also needs a way to reach
    them, to be reminded to bring it back (a phone, an email or a postal address). The loan and voucher
    services call this with the resident locked (access.resident_check_visible), so a consent withdrawn at
    the same moment is seen. The codes: consent_missing, consent_refused, no_contact_route."""
    doing, verb = RECEIVING[receiving]
    resident_check_not_restricted(resident)
    readiness = resident_readiness(resident=resident)
    name = resident.display_name
    if readiness.consent == "never":
        raise DomainError(f"Record {name}'s consent to keeping their details before {doing}.", field="resident",
                          code="consent_missing")  # fmt: skip
    if readiness.consent in ("refused", "withdrawn"):
        what = "refused consent" if readiness.consent == "refused" else "withdrew their consent"
        raise DomainError(
            f"{name} {what} to keeping their details on {readiness.consent_changed_on:%-d %B %Y}, so we cannot "
            f"{verb}. If they have changed their mind, record their consent again.", field="resident",
            code="consent_refused" if readiness.consent == "refused" else "consent_missing",
        )  # fmt: skip
    if receiving == "loan" and not readiness.contact_routes:
        raise DomainError(f"Add a phone number, email address or postal address for {name} before {doing}, so "
                          "that they can be reminded to bring it back.", field="resident",
                          code="no_contact_route")  # fmt: skip


@transaction.atomic
@transaction.atomic
def membership_deactivate(*, membership: Membership, actor: Actor | None = None) -> Membership:
    """Remove a member of staff's access to an organisation, from their next request (the middleware looks
    memberships up on every request). An audit event records who did it."""
    Membership.objects.filter(pk=membership.pk).update(active=False, deactivated_at=timezone.now())
    membership.refresh_from_db()
    audit_record(actor=actor or Actor(organisation=membership.organisation), action="membership.deactivate",
                 obj=membership, before={"active": True}, after={"active": False})  # fmt: skip
    return membership


@transaction.atomic
def api_key_create(
    *, organisation: Organisation, name: str, actor: Actor | None = None
) -> tuple[OrganisationAPIKey, str]:
    """Create a key for a partner system. Returns the key row and the key itself, which is never stored."""
    api_key, key = OrganisationAPIKey.objects.create_key(name=name, organisation=organisation)
    audit_record(actor=actor or Actor(organisation=organisation), action="api_key.create", obj=api_key,
                 after={"name": name, "prefix": api_key.prefix})  # fmt: skip
    return api_key, key


@transaction.atomic
def api_key_revoke(*, api_key: OrganisationAPIKey, actor: Actor | None = None) -> OrganisationAPIKey:
    OrganisationAPIKey.objects.filter(pk=api_key.pk).update(revoked=True)
    api_key.refresh_from_db()
    audit_record(actor=actor or Actor(organisation=api_key.organisation), action="api_key.revoke", obj=api_key,
                 before={"revoked": False}, after={"revoked": True})  # fmt: skip
    return api_key


def idempotency_records_purge(*, now=None) -> int:
    """Delete the stored responses of Idempotency-Keys older than their 24 hours. One DELETE; safe to run
    twice. Called at most hourly by the API itself (inclusion/api/idempotency.py) and by a task."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
