"""Every change to referrals: sending, the receiving organisation's answers, outcomes, withdrawal, messages.

The statuses move only as the TRANSITIONS table below allows (a database trigger, migration 0003, holds the same
table). Each service locks the resident first (checking, with that lock, that the acting organisation may still
see them: inclusion.access.resident_check_visible), then the referral, in inclusion/locks.py's order; writes the
referral's numbered history row and the resident's timeline entry in the same transaction; and queues the
webhook deliveries after commit (referrals/webhooks.py).
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from inclusion.access import NO_SUCH_RESIDENT, resident_check_visible
from inclusion.actors import Actor
from inclusion.calendar import add_working_days
from inclusion.choices import ConsentPurpose, ContactMethod
from inclusion.errors import DomainError
from inclusion.events import case_event_record
from inclusion.locks import lock_one, lock_rows
from inclusion.models import Consent, Organisation, Resident

from . import webhooks
from .events import ReferralEventKind, referral_event_record
from .models import (
    OUTCOME_FLAGS,
    DeclineReason,
    NotCompletedReason,
    Outcome,
    OutcomeStage,
    Referral,
    ReferralMessage,
    ReferralNeed,
    ReferralStatus,
    Service,
    ServiceStatus,
    Urgency,
)

S = ReferralStatus
# Allowed moves: from-status → {to-status: what the move is called}. Withdrawal is the referrer's; the rest are
# the receiving organisation's. Migration 0003's trigger refuses any other move in the database.
TRANSITIONS: dict[str, dict[str, str]] = {
    S.SENT: {S.ACCEPTED: "accept", S.DECLINED: "decline", S.WITHDRAWN: "withdraw"},
    S.ACCEPTED: {S.STARTED: "start", S.WITHDRAWN: "withdraw"},
    S.STARTED: {S.COMPLETED: "complete", S.NOT_COMPLETED: "record as not completed", S.WITHDRAWN: "withdraw"},
    S.DECLINED: {},
    S.COMPLETED: {},
    S.NOT_COMPLETED: {},
    S.WITHDRAWN: {},
}
# Who makes each move: the organisation the referral was sent to ("receiver") or the one that sent it.
MOVED_BY = {
    S.ACCEPTED: "receiver", S.DECLINED: "receiver", S.STARTED: "receiver", S.COMPLETED: "receiver",
    S.NOT_COMPLETED: "receiver", S.WITHDRAWN: "referrer",
}  # fmt: skip
EDS_FIELDS = ("eds_foundation", "eds_communicating", "eds_handling_information", "eds_transacting",
              "eds_problem_solving", "eds_being_safe")  # fmt: skip
NOTE_MAX = 2000
MESSAGE_MAX = 5000
FOLLOW_UP_AFTER = timedelta(weeks=8)  # the outcome check, between 6 and 12 weeks after completion


def referral_moves(referral: Referral, organisation: Organisation) -> dict[str, str]:
    """The moves `organisation` may make on this referral now: its status's row of TRANSITIONS, those of its side."""
    sides = set()
    if referral.to_organisation_id == organisation.pk:
        sides.add("receiver")
    if referral.from_organisation_id == organisation.pk:
        sides.add("referrer")
    return {to: name for to, name in TRANSITIONS[referral.status].items() if MOVED_BY[to] in sides}


def _refuse(referral: Referral, to_status: str, organisation: Organisation) -> DomainError:
    current = ReferralStatus(referral.status).label.lower()
    name = {S.ACCEPTED: "accept it", S.DECLINED: "decline it", S.STARTED: "start it", S.COMPLETED: "complete it",
            S.NOT_COMPLETED: "record it as not completed", S.WITHDRAWN: "withdraw it"}[to_status]  # fmt: skip
    allowed = referral_moves(referral, organisation)
    if to_status in TRANSITIONS[referral.status]:
        who = (
            "the organisation it was sent to" if MOVED_BY[to_status] == "receiver" else "the organisation that sent it"
        )
        return DomainError(f"Only {who} can {name}.", code="illegal_transition")
    hint = f" From here you can: {', '.join(allowed.values())}." if allowed else " Nothing more can happen to it."
    return DomainError(f"This referral is {current}, so you cannot {name}.{hint}", code="illegal_transition")


def _text(value: str, *, field: str, limit: int, required: bool = False, what: str = "the note") -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"Enter {what}", field=field, code="required")
    if len(value) > limit:
        raise DomainError(f"{what.capitalize()} must be {limit} characters or fewer", field=field, code="max_length")
    if "\x00" in value:
        raise DomainError(f"{what.capitalize()} contains a character that cannot be stored", field=field,
                          code="null_characters")  # fmt: skip
    return value


def sharing_consent_current(resident: Resident) -> Consent | None:
    return Consent.objects.current().filter(resident=resident, purpose=ConsentPurpose.SHARING).first()


def _check_sharing_consent(resident: Resident) -> Consent:
    """The resident's current consent to sharing with partners, locked; refused (DomainError on "resident") without
    one. Precondition: the resident is locked (consent_withdraw locks it too, so no withdrawal slips between)."""
    current = lock_rows(Consent.objects.current().filter(resident=resident, purpose=ConsentPurpose.SHARING))
    if current:
        return current[0]
    name = resident.display_name
    latest = Consent.objects.filter(resident=resident, purpose=ConsentPurpose.SHARING).order_by("-given_at").first()
    if latest is None:
        raise DomainError(f"Record {name}'s consent to sharing their details with partner organisations before "
                          "referring them.", field="resident", code="consent_missing")  # fmt: skip
    if latest.refused:
        when = f"{timezone.localtime(latest.given_at):%-d %B %Y}"
        raise DomainError(f"{name} refused consent to sharing their details with partner organisations on {when}, "
                          "so they cannot be referred. Ask them again if things have changed.", field="resident",
                          code="consent_refused")  # fmt: skip
    when = f"{timezone.localtime(latest.withdrawn_at):%-d %B %Y}"
    raise DomainError(f"{name} withdrew their consent to sharing their details with partner organisations on {when}, "
                      "so they cannot be referred. Ask them again if things have changed.", field="resident",
                      code="consent_refused")  # fmt: skip


def service_open_for_referrals(service: Service, today=None) -> bool:
    today = today or timezone.localdate()
    return (
        service.referrals_open and service.status == ServiceStatus.ACTIVE
        and (service.active_from is None or service.active_from <= today)
        and (service.active_until is None or service.active_until >= today)
    )  # fmt: skip


def response_due_on(sent_on: date) -> date:
    """The day a response is due: REFERRAL_RESPONSE_WORKING_DAYS working days (England and Wales) after sending."""
    return add_working_days(sent_on, settings.REFERRAL_RESPONSE_WORKING_DAYS)


@transaction.atomic
def referral_create(
    *, actor: Actor, resident: Resident, need: str, reason: str, service: Service | None = None,
    to_organisation: Organisation | None = None, urgency: str = Urgency.ROUTINE, preferred_contact: str = "",
    confidence_before: int | None = None,
) -> Referral:  # fmt: skip
    """Refer a resident the actor's organisation may see to another partner's service (or to the organisation, with no
    particular service). Needs the resident's current consent to sharing with partners (codes consent_missing,
    consent_refused); the service must be open for referrals; one open referral per resident and service.

    Locks the resident (refused as unknown, Http404, if the organisation may no longer see them), their sharing
    consent, then the service. The receiving organisation sees the resident from now until the referral ends
    (the "open referrals" link, referrals/selectors.py). Queues webhook events after commit."""
    resident = resident_check_visible(actor.organisation, resident)
    if need not in ReferralNeed.values:
        raise DomainError("Choose what the resident needs", field="need", code="invalid_choice")
    if urgency not in Urgency.values:
        raise DomainError("Choose how urgent it is", field="urgency", code="invalid_choice")
    if preferred_contact and preferred_contact not in ContactMethod.values:
        raise DomainError("Choose how they prefer to be contacted", field="preferred_contact", code="invalid_choice")
    if confidence_before is not None and not 1 <= confidence_before <= 5:
        raise DomainError("Confidence must be between 1 and 5", field="confidence_before", code="out_of_range")
    reason = _text(reason, field="reason", limit=NOTE_MAX, required=True, what="why you are referring them")
    consent = _check_sharing_consent(resident)
    if service is not None:
        try:
            service = lock_one(Service, service.pk, related=("organisation",))
        except Service.DoesNotExist:
            raise DomainError("Choose a service from the directory", field="service", code="does_not_exist") from None
        if to_organisation is not None and to_organisation.pk != service.organisation_id:
            raise DomainError("That service is run by another organisation", field="to_organisation", code="invalid")
        to_organisation = service.organisation
        if not service_open_for_referrals(service):
            raise DomainError(f"{service.name} is not taking referrals now.", field="service", code="referrals_closed")
    if to_organisation is None:
        raise DomainError("Choose a service, or the organisation to refer them to", field="service", code="required")
    if not to_organisation.active:
        raise DomainError(f"{to_organisation.name} is no longer part of the scheme.", field="to_organisation",
                          code="referrals_closed")  # fmt: skip
    if to_organisation.pk == actor.organisation.pk:
        field = "service" if service is not None else "to_organisation"
        raise DomainError(
            "Refer them to another organisation: this one is yours.", field=field, code="own_organisation"
        )
    open_already = Referral.objects.filter(resident=resident, to_organisation=to_organisation, service=service,
                                           status__in=[S.SENT, S.ACCEPTED, S.STARTED])  # fmt: skip
    target = service.name if service is not None else to_organisation.name
    duplicate = DomainError(f"{resident.display_name} already has an open referral to {target}.",
                            field="service" if service is not None else "to_organisation", code="duplicate")  # fmt: skip
    if open_already.exists():
        raise duplicate
    now = timezone.now()
    referral = Referral(
        resident=resident, from_organisation=actor.organisation, referred_by=actor.user, api_key=actor.api_key,
        to_organisation=to_organisation, service=service, need=need, reason=reason, urgency=urgency,
        preferred_contact=preferred_contact, sharing_consent=consent, confidence_before=confidence_before,
        status=S.SENT, sent_at=now, response_due_on=response_due_on(timezone.localdate(now)),
    )  # fmt: skip
    try:
        with transaction.atomic():
            referral.save(force_insert=True)
    except IntegrityError:  # the open-referral constraint, if a caller skipped the resident lock
        raise duplicate from None
    referral = lock_one(Referral, referral.pk, related=("resident", "to_organisation", "from_organisation", "service"))
    event = referral_event_record(referral=referral, actor=actor, action="send", to_status=S.SENT,
                                  summary=f"Referred to {target}", note=reason)  # fmt: skip
    webhooks.deliveries_create(event)
    return referral


def _lock(
    actor: Actor,
    referral: Referral | object,
    *,
    to_status: str | None = None,
    consent: bool = False,
    resident_visible: bool = True,
) -> Referral:
    """Lock the referral's resident, their current sharing consent, then the referral (inclusion/locks.py's order),
    and check, in this order: the actor's organisation sent or received it (else Http404, as for an unknown one);
    the move to `to_status` is open to it now (else a DomainError saying what is possible: a colleague may have
    answered a moment ago); it may still see the resident (else Http404: the referral ended, or consent to sharing
    was withdrawn), unless `resident_visible` is False for a record about the referral that needs no sight of the
    resident (the follow-up outcome); with `consent`, that consent is current (else DomainError)."""
    pk = getattr(referral, "pk", referral)
    resident_id = (
        getattr(referral, "resident_id", None)
        or Referral.objects.filter(pk=pk).values_list("resident_id", flat=True).first()
    )
    if resident_id is None:
        raise Http404("No such referral")
    resident = lock_one(Resident, resident_id)
    sharing = lock_rows(Consent.objects.current().filter(resident=resident, purpose=ConsentPurpose.SHARING))
    referral = lock_one(Referral, pk, related=("resident", "to_organisation", "from_organisation", "service"))
    if actor.organisation.pk not in (referral.to_organisation_id, referral.from_organisation_id):
        raise Http404(NO_SUCH_RESIDENT)
    if to_status is not None and to_status not in referral_moves(referral, actor.organisation):
        raise _refuse(referral, to_status, actor.organisation)
    if resident_visible:
        resident_check_visible(actor.organisation, resident_id)  # a row lock already held: only the check
    if consent and not sharing:
        _check_sharing_consent(resident)
    return referral


def _move(
    actor: Actor, referral: Referral, to_status: str, *, note: str = "", reason: str = "", summary: str, **changes
) -> Referral:
    """Apply one move to a referral locked by the caller (_lock), record it and queue its webhook events."""
    if to_status not in referral_moves(referral, actor.organisation):
        raise _refuse(referral, to_status, actor.organisation)
    from_status = referral.status
    now = timezone.now()
    referral.status = to_status
    if to_status in (S.ACCEPTED, S.DECLINED) and referral.responded_at is None:
        referral.responded_at = now
    if to_status in (S.DECLINED, S.COMPLETED, S.NOT_COMPLETED, S.WITHDRAWN):
        referral.finished_at = now
    for field, value in changes.items():
        setattr(referral, field, value)
    referral.save()
    event = referral_event_record(referral=referral, actor=actor, action=TRANSITIONS[from_status][to_status],
                                  from_status=from_status, to_status=to_status, reason=reason, note=note,
                                  summary=summary)  # fmt: skip
    webhooks.deliveries_create(event)
    return referral


def _target(referral: Referral) -> str:
    return referral.service.name if referral.service_id else referral.to_organisation.name


@transaction.atomic
def referral_accept(*, actor: Actor, referral: Referral, note: str = "") -> Referral:
    """The receiving organisation takes the referral on. Needs the resident's sharing consent to be current still."""
    referral = _lock(actor, referral, to_status=S.ACCEPTED, consent=True)
    note = _text(note, field="note", limit=NOTE_MAX)
    return _move(actor, referral, S.ACCEPTED, note=note, accepted_at=timezone.now(),
                 summary=f"Referral to {_target(referral)} accepted by {actor.organisation.name}")  # fmt: skip


@transaction.atomic
def referral_decline(*, actor: Actor, referral: Referral, reason: str, note: str = "") -> Referral:
    """The receiving organisation turns the referral down, with a reason from the code list (and a note for
    "other"). The resident is no longer shared with it."""
    referral = _lock(actor, referral, to_status=S.DECLINED)
    if reason not in DeclineReason.values:
        raise DomainError("Choose why you are declining it", field="reason", code="invalid_choice")
    note = _text(note, field="note", limit=NOTE_MAX, required=reason == DeclineReason.OTHER, what="the reason")
    label = DeclineReason(reason).label
    return _move(actor, referral, S.DECLINED, note=note, reason=reason, declined_at=timezone.now(),
                 decline_reason=reason,
                 summary=f"Referral to {_target(referral)} declined: {label[0].lower()}{label[1:]}")  # fmt: skip


@transaction.atomic
def referral_start(*, actor: Actor, referral: Referral, note: str = "") -> Referral:
    """The resident has started (enrolled on the course, first session held)."""
    referral = _lock(actor, referral, to_status=S.STARTED)
    note = _text(note, field="note", limit=NOTE_MAX)
    return _move(actor, referral, S.STARTED, note=note, started_at=timezone.now(),
                 summary=f"Started at {_target(referral)}")  # fmt: skip


def _outcome(actor: Actor, referral: Referral, stage: str, outcome: dict | None) -> Outcome:
    """An outcome record for `referral` at `stage`, checked (the known fields, confidence 1 to 5), not yet saved."""
    outcome = dict(outcome or {})
    unknown = set(outcome) - set(EDS_FIELDS) - set(OUTCOME_FLAGS) - {"confidence"}
    if unknown:
        raise DomainError(f"Unknown outcome fields: {', '.join(sorted(unknown))}", code="invalid")
    confidence = outcome.get("confidence")
    if confidence is not None and not 1 <= int(confidence) <= 5:
        raise DomainError("Confidence must be between 1 and 5", field="confidence", code="out_of_range")
    record = Outcome(referral=referral, stage=stage, organisation=actor.organisation, recorded_by=actor.user,
                     **{k: v for k, v in outcome.items() if v is not None})  # fmt: skip
    record.full_clean(exclude=["referral"], validate_constraints=False)
    return record


@transaction.atomic
def referral_complete(*, actor: Actor, referral: Referral, outcome: dict | None = None, note: str = "") -> Referral:
    """The resident finished: the referral closes with its outcome at completion (the Essential Digital Skills
    self-assessment per area, confidence 1 to 5, the outcome flags), and a follow-up is due in eight weeks. The
    resident is no longer shared with the receiving organisation; the outcome stays with the referral."""
    referral = _lock(actor, referral, to_status=S.COMPLETED)
    note = _text(note, field="note", limit=NOTE_MAX)
    record = _outcome(actor, referral, OutcomeStage.COMPLETION, outcome)
    if S.COMPLETED not in referral_moves(referral, actor.organisation):
        raise _refuse(referral, S.COMPLETED, actor.organisation)
    _move(actor, referral, S.COMPLETED, note=note, summary=f"Completed at {_target(referral)}",
          follow_up_due_on=timezone.localdate() + FOLLOW_UP_AFTER)  # fmt: skip
    record.save()
    return referral


def follow_up_open(referral: Referral) -> bool:
    """Whether the outcome at follow-up may be recorded now: the referral was completed and no follow-up outcome
    is recorded yet (by either organisation). It may be recorded early or late: the reminder asks for it from
    `follow_up_due_on` (referrals/reminders.py)."""
    return referral.status == S.COMPLETED and not referral.outcomes.filter(stage=OutcomeStage.FOLLOW_UP).exists()


@transaction.atomic
def referral_follow_up_record(*, actor: Actor, referral: Referral, outcome: dict | None = None,
                              note: str = "") -> Referral:  # fmt: skip
    """The outcome check 6 to 12 weeks after completion: the same self-assessment, confidence and outcome flags,
    recorded once per referral by either of its two organisations (the course's provider usually asks; the first
    one recorded counts, a second is refused with `already_recorded`).

    The resident is no longer shared with the receiving organisation after completion, and this needs no sight of
    them: the check is that the actor's organisation sent or received the referral (inside this transaction, with
    the referral locked) and that it was completed. It stops the follow-up reminder (its sweep skips referrals
    with a follow-up outcome)."""
    referral = _lock(actor, referral, resident_visible=False)
    note = _text(note, field="note", limit=NOTE_MAX)
    record = _outcome(actor, referral, OutcomeStage.FOLLOW_UP, outcome)
    if referral.status != S.COMPLETED:
        current = ReferralStatus(referral.status).label.lower()
        raise DomainError(f"This referral is {current}: a follow-up outcome is recorded only after completion.",
                          code="illegal_transition")  # fmt: skip
    if not follow_up_open(referral):
        raise DomainError("The follow-up outcome has been recorded already.", code="already_recorded")
    record.save()
    referral_event_record(referral=referral, actor=actor, action="follow-up recorded", note=note,
                          summary=f"Follow-up outcome recorded for {_target(referral)}",
                          kind=ReferralEventKind.REFERRAL_FOLLOW_UP)  # fmt: skip
    return referral


@transaction.atomic
def referral_not_complete(*, actor: Actor, referral: Referral, reason: str, note: str = "") -> Referral:
    """The resident started but did not finish, with a reason from the code list (and a note for "other")."""
    referral = _lock(actor, referral, to_status=S.NOT_COMPLETED)
    if reason not in NotCompletedReason.values:
        raise DomainError("Choose why they did not complete it", field="reason", code="invalid_choice")
    note = _text(note, field="note", limit=NOTE_MAX, required=reason == NotCompletedReason.OTHER, what="the reason")
    label = NotCompletedReason(reason).label
    return _move(actor, referral, S.NOT_COMPLETED, note=note, reason=reason, not_completed_reason=reason,
                 summary=f"Did not complete {_target(referral)}: {label[0].lower()}{label[1:]}")  # fmt: skip


@transaction.atomic
def referral_withdraw(*, actor: Actor, referral: Referral, note: str = "") -> Referral:
    """The referring organisation withdraws the referral at any open stage; the resident is no longer shared."""
    referral = _lock(actor, referral, to_status=S.WITHDRAWN)
    note = _text(note, field="note", limit=NOTE_MAX)
    return _move(actor, referral, S.WITHDRAWN, note=note, withdrawn_at=timezone.now(),
                 summary=f"Referral to {_target(referral)} withdrawn by {actor.organisation.name}")  # fmt: skip


@transaction.atomic
def referral_message_add(*, actor: Actor, referral: Referral, body: str) -> ReferralMessage:
    """A message from one of the two organisations to the other, kept on the referral and the resident's timeline.
    Either side may write while it can see the resident (the referrer keeps its own resident; the receiver while
    the referral is open)."""
    referral = _lock(actor, referral)
    body = _text(body, field="body", limit=MESSAGE_MAX, required=True, what="the message")
    message = ReferralMessage.objects.create(referral=referral, organisation=actor.organisation, author=actor.user,
                                             api_key=actor.api_key, body=body)  # fmt: skip
    other = (
        referral.to_organisation
        if actor.organisation.pk == referral.from_organisation_id
        else referral.from_organisation
    )
    case_event_record(resident=referral.resident, actor=actor, kind=ReferralEventKind.REFERRAL_MESSAGE,
                      summary=f"Message to {other.name} about the referral to {_target(referral)}", body=body,
                      data={"referral": str(referral.pk), "message": message.pk})  # fmt: skip
    return message


BULK_ACTIONS = {"accept", "decline"}


def referrals_respond_in_bulk(
    *, actor: Actor, referrals: list[Referral], action: str, reason: str = "", note: str = ""
) -> tuple[list[Referral], list[tuple[Referral, DomainError]]]:
    """A coordinator accepts or declines several received referrals: each in its own transaction (one refused,
    say because the referrer withdrew it a moment ago, leaves the others done). Returns (done, refused)."""
    if action not in BULK_ACTIONS:
        raise DomainError("Choose accept or decline", field="action", code="invalid_choice")
    if action == "decline" and reason not in DeclineReason.values:
        raise DomainError("Choose why you are declining them", field="reason", code="invalid_choice")
    done, refused = [], []
    for referral in sorted(referrals, key=lambda r: r.pk):
        try:
            if action == "accept":
                done.append(referral_accept(actor=actor, referral=referral, note=note))
            else:
                done.append(referral_decline(actor=actor, referral=referral, reason=reason, note=note))
        except DomainError as error:
            refused.append((referral, error))
        except Http404:
            refused.append((referral, DomainError("You can no longer see this referral.", code="not_found")))
    return done, refused
