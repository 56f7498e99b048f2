"""Contact updates proposed by a linked organisation, for the owning organisation to accept or reject.

The owning organisation owns the record (inclusion.privacy.sharing): a partner linked to the resident by a
loan or a referral does not change their details, but when the resident tells it of a new phone number,
email or address it proposes the update here. The owner's staff see it on the resident's page and accept it
(the details change as if they had typed them) or reject it; each step is on the timeline, naming the fields,
never their values.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from inclusion.access import resident_check_visible
from inclusion.actors import Actor
from inclusion.choices import EventKind
from inclusion.errors import DomainError
from inclusion.events import case_event_record
from inclusion.locks import lock_one
from inclusion.models import ContactProposal, Organisation, Resident

from .sharing import resident_is_owner

FIELDS = ContactProposal.FIELDS
ALREADY_PENDING = "Your organisation has already proposed a contact update for them: {owner} has not answered it yet."


def _labels(fields) -> str:
    return ", ".join(str(Resident._meta.get_field(field).verbose_name) for field in fields)


def _clean(resident: Resident, changes: dict) -> dict:
    """The proposed values checked as the resident's own fields are (DomainError naming the field), without
    those that would change nothing."""
    from inclusion.services import resident_details_normalise

    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise DomainError(f"Only contact details can be proposed, not {', '.join(sorted(unknown))}", code="invalid")
    given = {field: value for field, value in changes.items() if value not in (None, "")}
    try:
        given = resident_details_normalise(given)
    except ValidationError as error:  # the postcode's shape
        raise DomainError(error.messages[0], field="postcode", code="invalid") from error
    cleaned = {}
    for field, value in given.items():
        model_field = Resident._meta.get_field(field)
        try:
            value = model_field.clean(value, resident)
        except ValidationError as error:
            raise DomainError(error.messages[0], field=field, code="invalid") from error
        if getattr(resident, field) != value:
            cleaned[field] = str(value)
    return cleaned


@transaction.atomic
def contact_update_propose(*, actor: Actor, resident: Resident, **changes) -> ContactProposal:
    """Propose new contact details (ContactProposal.FIELDS; blank ones are not proposed) for a resident of
    another organisation the actor's is linked to. Refused: as unknown (Http404) if it may not see them; to
    the owner ("is_owner": they change the details themselves); on a restricted record ("restricted"); when
    nothing would change ("nothing_changed"); and while its own earlier proposal waits ("already_pending").
    Locks the resident; writes a timeline entry naming the fields."""
    from inclusion.services import resident_check_not_restricted

    resident = resident_check_visible(actor.organisation, resident)
    if resident_is_owner(organisation=actor.organisation, resident=resident):
        raise DomainError("Your organisation keeps their details: change them directly.", code="is_owner")
    resident_check_not_restricted(resident)
    cleaned = _clean(resident, changes)
    if not cleaned:
        raise DomainError("Enter at least one contact detail that differs from what they have now",
                          code="nothing_changed")  # fmt: skip
    proposal = ContactProposal(resident=resident, organisation=actor.organisation, proposed_by=actor.user,
                               api_key=actor.api_key, changes=cleaned)  # fmt: skip
    try:
        with transaction.atomic():
            proposal.save()
    except IntegrityError:  # one_pending_contact_proposal
        raise DomainError(ALREADY_PENDING.format(owner=resident.owning_organisation), code="already_pending") from None
    case_event_record(
        resident=resident, actor=actor, kind=EventKind.CONTACT_PROPOSED,
        summary=f"{actor.organisation} proposed a new {_labels(cleaned)}", data={"fields": sorted(cleaned)},
    )  # fmt: skip
    return proposal


def _decide(*, actor: Actor, proposal: ContactProposal) -> tuple[Resident, ContactProposal]:
    resident = resident_check_visible(actor.organisation, proposal.resident_id)
    if not resident_is_owner(organisation=actor.organisation, resident=resident):
        raise DomainError(f"Only {resident.owning_organisation}, who registered them, can answer this.",
                          code="not_owner")  # fmt: skip
    proposal = lock_one(ContactProposal, proposal.pk)
    if proposal.status != ContactProposal.Status.PENDING:
        raise DomainError(f"This proposal was already {proposal.get_status_display().lower()}.",
                          code="already_decided")  # fmt: skip
    return resident, proposal


@transaction.atomic
def contact_proposal_accept(*, actor: Actor, proposal: ContactProposal) -> ContactProposal:
    """The owner accepts a proposed contact update: the resident's details change (services.resident_update,
    its rules and its timeline entry) and the acceptance is on the timeline. Refused to anyone but the owning
    organisation ("not_owner"), once decided ("already_decided"), on a restricted record ("restricted").
    Locks the resident, then the proposal."""
    from inclusion.services import resident_update

    resident, proposal = _decide(actor=actor, proposal=proposal)
    resident_update(actor=actor, resident=resident, **proposal.changes)
    return _close(actor=actor, resident=resident, proposal=proposal, status=ContactProposal.Status.ACCEPTED)


@transaction.atomic
def contact_proposal_reject(*, actor: Actor, proposal: ContactProposal) -> ContactProposal:
    """The owner rejects a proposed contact update: nothing changes but the proposal, and the rejection is on
    the timeline. Refused as contact_proposal_accept is."""
    resident, proposal = _decide(actor=actor, proposal=proposal)
    return _close(actor=actor, resident=resident, proposal=proposal, status=ContactProposal.Status.REJECTED)


def _close(*, actor: Actor, resident: Resident, proposal: ContactProposal, status: str) -> ContactProposal:
    proposal.status = status
    proposal.decided_at = timezone.now()
    proposal.decided_by = actor.user
    proposal.save(update_fields=["status", "decided_at", "decided_by"])
    accepted = status == ContactProposal.Status.ACCEPTED
    case_event_record(
        resident=resident, actor=actor,
        kind=EventKind.CONTACT_ACCEPTED if accepted else EventKind.CONTACT_REJECTED,
        summary=f"{'Accepted' if accepted else 'Rejected'} {proposal.organisation}'s proposed "
        f"{_labels(sorted(proposal.changes))}",
        data={"proposal": proposal.pk, "fields": sorted(proposal.changes)},
    )  # fmt: skip
    return proposal


def _shown(resident: Resident, field: str, value) -> str:
    if field == "preferred_contact_method":
        return str(dict(Resident._meta.get_field(field).choices).get(value, value or ""))
    if field == "phone" and value:
        return getattr(value, "as_national", None) or str(value)
    return str(value or "")


def contact_proposals_pending(*, resident: Resident) -> list[ContactProposal]:
    """The proposals waiting for the owner's answer, oldest first, with who proposed them; each with `rows`:
    (the field's label, what the record holds now, what is proposed)."""
    from phonenumber_field.phonenumber import to_python

    pending = list(
        ContactProposal.objects.filter(resident=resident, status=ContactProposal.Status.PENDING)
        .select_related("organisation", "proposed_by")
        .order_by("created_at", "id")
    )
    for proposal in pending:
        proposal.rows = [
            (
                str(Resident._meta.get_field(field).verbose_name).capitalize(),
                _shown(resident, field, getattr(resident, field)),
                _shown(resident, field, to_python(value) if field == "phone" else value),
            )
            for field, value in proposal.changes.items()
        ]
    return pending


def contact_proposals_for(*, organisation: Organisation) -> QuerySet[ContactProposal]:
    """The proposals `organisation` may see, newest first: those it sent, with their outcome (whether or not it
    still sees the resident: the values are its own), and those about its own residents, to answer."""
    return (
        ContactProposal.objects.filter(Q(organisation=organisation) | Q(resident__owning_organisation=organisation))
        .select_related("organisation")
        .order_by("-created_at", "-id")
    )


def contact_proposals_sent(*, organisation: Organisation, resident: Resident) -> QuerySet[ContactProposal]:
    """What `organisation` proposed for the resident and what became of each, newest first (its resident page)."""
    return contact_proposals_for(organisation=organisation).filter(organisation=organisation, resident=resident)
