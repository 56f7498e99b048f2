"""Every change to devices and loans: the stock lifecycle, lending, extending, returns, loss and gifts.

The lifecycle is the TRANSITIONS table below: nothing else sets a device's status. Each service
locks the rows it changes (the resident first, then the device, then the loan, in that order
everywhere), checks the move, writes the device's history and the resident's timeline in the same
transaction. Services that act on a resident check, with that first lock, that the acting
organisation may still see them (inclusion.access.resident_check_visible).
"""

import json
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone

from inclusion.access import Capability, membership_can, resident_check_visible
from inclusion.actors import Actor
from inclusion.calendar import next_open_day
from inclusion.errors import DomainError
from inclusion.events import audit_record, case_event_record, changed_values
from inclusion.locks import lock_one, lock_rows
from inclusion.models import Membership, Organisation, Resident
from inclusion.services import resident_check_ready

from .events import LoanEventKind, device_event_record
from .models import (
    DEVICE_FIELDS,
    KIT_VOUCHER_KINDS,
    AgreementMethod,
    Condition,
    Device,
    DeviceKind,
    DeviceStatus,
    Kit,
    KitLoan,
    Loan,
    LoanAgreement,
    LoanExtension,
    LoanOutcome,
    LoanPolicy,
    Wipe,
    accessories_in_sentence,
    agreement_text_sha256,
    asset_tag_normalise,
)
from .reminders import loan_check_not_blocked
from .reservations.services import reservation_check_lend, reservation_fulfil_on_lend, reservation_offer_next

S = DeviceStatus
# Allowed moves: from-status → {to-status: what the move is called}. Lending, returns, loss and gifts
# happen through the loan services; the others through device_transition and device_wipe_record.
TRANSITIONS: dict[str, dict[str, str]] = {
    S.RECEIVED: {S.WIPED: "record a wipe", S.RETIRED: "retire"},
    S.WIPED: {S.READY: "mark ready", S.IN_REPAIR: "send for repair", S.RETIRED: "retire"},
    S.READY: {S.ON_LOAN: "lend", S.IN_REPAIR: "send for repair", S.RETIRED: "retire"},
    S.ON_LOAN: {S.AWAITING_CHECK: "record a return", S.LOST: "report lost", S.GIFTED: "gift"},
    # Back from a loan (returned, or found again): wiped before anything else can make it ready.
    S.AWAITING_CHECK: {S.WIPED: "record a wipe", S.IN_REPAIR: "send for repair", S.RETIRED: "retire"},
    S.IN_REPAIR: {S.WIPED: "record a wipe", S.READY: "mark ready", S.RETIRED: "retire"},
    S.LOST: {S.WRITTEN_OFF: "write off", S.AWAITING_CHECK: "record it found"},
    S.RETIRED: {},
    S.WRITTEN_OFF: {},
    S.GIFTED: {},
}  # fmt: skip
ACTIONS = {
    S.WIPED: "record a wipe", S.READY: "mark ready", S.IN_REPAIR: "send for repair", S.RETIRED: "retire",
    S.ON_LOAN: "lend", S.AWAITING_CHECK: "record a return", S.LOST: "report lost", S.GIFTED: "gift",
    S.WRITTEN_OFF: "write off",
}  # fmt: skip
# Moves that device_transition may make; the rest need their own service.
SIMPLE_MOVES = {S.READY, S.IN_REPAIR, S.RETIRED, S.WRITTEN_OFF}


def device_moves(device: Device) -> dict[str, str]:
    """The moves open to this device now: its status's row of TRANSITIONS, less "mark ready" while it needs
    a wipe (it has been out on loan since it was last wiped: back from repair after a loan, say)."""
    return {
        to_status: name
        for to_status, name in TRANSITIONS[device.status].items()
        if not (to_status == S.READY and device.needs_wipe)
    }


def _refuse(device: Device, to_status: str) -> DomainError:
    if to_status == S.READY and device.needs_wipe and S.WIPED in TRANSITIONS[device.status]:
        return DomainError(
            f"{device.asset_tag} has been out on loan since it was last wiped, so it cannot be made ready to lend: "
            "record a wipe first, so that no data of the last borrower reaches the next resident.",
            code="wipe_required",
        )
    current = DeviceStatus(device.status).label.lower()
    allowed = device_moves(device)
    action = ACTIONS.get(to_status, to_status)
    hint = f" From here you can: {', '.join(allowed.values())}." if allowed else " Nothing more can happen to it."
    return DomainError(f"{device.asset_tag} is {current}, so you cannot {action}.{hint}", code="illegal_transition")


def _lock_device(device: Device) -> Device:
    return lock_one(Device, device.pk)


def _move(device: Device, to_status: str, *, actor: Actor, note: str = "", data: dict | None = None, **changes):
    """Apply one move to a device already locked by the caller, and record it. Lending marks the device as
    needing a wipe; recording one clears it (the device_wiped_before_ready constraint backs this up)."""
    if to_status not in device_moves(device):
        raise _refuse(device, to_status)
    from_status = device.status
    device.status = to_status
    if to_status == S.ON_LOAN:
        device.needs_wipe = True
    elif to_status == S.WIPED:
        device.needs_wipe = False
    for field, value in changes.items():
        setattr(device, field, value)
    device.save()
    device_event_record(device=device, actor=actor, action=TRANSITIONS[from_status][to_status], from_status=from_status,
                        to_status=to_status, note=note, data=data)  # fmt: skip
    return device


def _check_owner(device: Device, actor: Actor) -> None:
    if device.owning_organisation_id != actor.organisation.pk:
        raise DomainError("This device belongs to another organisation.", code="not_your_device")


# Stock


def asset_tag_next(organisation: Organisation) -> str:
    return asset_tags_next(organisation, 1)[0]


@transaction.atomic
def device_create(*, actor: Actor, **details) -> Device:
    """Add a device to the actor's organisation's stock, status 'received'. Generates a tag if none given.
    Tags are unique within the organisation's stock (another organisation's tags are neither a bar nor
    mentioned)."""
    unknown = set(details) - set(DEVICE_FIELDS)
    if unknown:
        raise DomainError(f"Unknown device fields: {', '.join(sorted(unknown))}")
    details["asset_tag"] = asset_tag_normalise(details.get("asset_tag")) or asset_tag_next(actor.organisation)
    if Device.objects.filter(owning_organisation=actor.organisation, asset_tag=details["asset_tag"]).exists():
        raise DomainError(f"Asset tag {details['asset_tag']} is already in use.", field="asset_tag", code="duplicate")
    device = Device(owning_organisation=actor.organisation, status=S.RECEIVED, **details)
    device.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            device.save()
    except IntegrityError:
        raise DomainError(f"Asset tag {details['asset_tag']} is already in use.", field="asset_tag",
                          code="duplicate") from None  # fmt: skip
    device_event_record(device=device, actor=actor, action="receive", to_status=S.RECEIVED)
    return device


@transaction.atomic
def device_update(*, actor: Actor, device: Device, **changes) -> Device:
    """Change a device's details (never its status or owner)."""
    unknown = set(changes) - (set(DEVICE_FIELDS) - {"asset_tag"})
    if unknown:
        raise DomainError(f"These cannot be changed here: {', '.join(sorted(unknown))}")
    device = _lock_device(device)
    _check_owner(device, actor)
    changed = [field for field, value in changes.items() if getattr(device, field) != value]
    for field in changed:
        setattr(device, field, changes[field])
    if changed:
        device.full_clean(validate_unique=False)
        device.save()
        device_event_record(device=device, actor=actor, action="update details", data={"fields": changed})
    return device


@transaction.atomic
def device_wipe_record(
    *, actor: Actor, device: Device, method: str, wiped_on: date, operator: str, certificate_reference: str = ""
) -> Wipe:
    """Record data sanitisation; the device becomes 'wiped' (received, returned or repaired devices only)."""
    device = _lock_device(device)
    _check_owner(device, actor)
    if wiped_on > timezone.localdate():
        raise DomainError("The wipe date cannot be in the future.", field="wiped_on", code="in_the_future")
    wipe = Wipe(device=device, method=method, wiped_on=wiped_on, operator=operator,
                certificate_reference=certificate_reference, recorded_by=actor.user)  # fmt: skip
    wipe.full_clean()
    _move(device, S.WIPED, actor=actor, data={"method": method, "certificate_reference": certificate_reference})
    wipe.save()
    return wipe


def device_transition_moves(device: Device) -> list[str]:
    """The moves device_transition makes for this device now; the others have their own services."""
    found = device.status == S.LOST  # a lost device that turns up again waits to be checked
    return [to for to in device_moves(device) if to in SIMPLE_MOVES or (found and to == S.AWAITING_CHECK)]


@transaction.atomic
def device_transition(*, actor: Actor, device: Device, to_status: str, note: str = "") -> Device:
    """The simple moves: mark ready, send for repair, retire, write off, and a lost device found (it then
    waits to be checked). Refused with a reason otherwise; a device that has been out on loan since its
    last wipe is refused "ready" with code wipe_required."""
    device = _lock_device(device)
    _check_owner(device, actor)
    if to_status not in device_transition_moves(device):
        raise _refuse(device, to_status)
    device = _move(device, to_status, actor=actor, note=note)
    if to_status == S.READY:  # the oldest eligible reservation for its kind is offered it, and it is held
        reservation_offer_next(actor=actor, device=device)
    return device


POLICY_FIELDS = ("default_length_days", "extension_days", "max_extensions", "max_open_loans_per_resident",
                 "max_backdate_days", "terms_version", "open_days", "closed_on_bank_holidays")  # fmt: skip


@transaction.atomic
def loan_policy_update(*, actor: Actor, **values) -> LoanPolicy:
    """Change the actor's organisation's loan policy (made with the defaults the first time); an audit event
    keeps the values before and after."""
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise DomainError(f"Unknown loan policy fields: {', '.join(sorted(unknown))}")
    LoanPolicy.objects.get_or_create(organisation=actor.organisation)
    policy = lock_one(LoanPolicy, LoanPolicy.objects.get(organisation=actor.organisation).pk)
    before = {field: getattr(policy, field) for field in POLICY_FIELDS}
    for field, value in values.items():
        setattr(policy, field, value)
    policy.full_clean()
    policy.save()
    changed_before, changed_after = changed_values(before, {field: getattr(policy, field) for field in POLICY_FIELDS})
    if changed_after:
        audit_record(actor=actor, action="loan_policy.update", obj=policy, before=changed_before, after=changed_after)
    return policy


def loan_policy_for(organisation: Organisation) -> LoanPolicy:
    """The organisation's loan policy; its defaults, unsaved, if it has never changed them (a read never writes)."""
    return LoanPolicy.objects.filter(organisation=organisation).first() or LoanPolicy(organisation=organisation)


def loan_due_date(policy: LoanPolicy, start: date, days: int) -> date:
    """`days` after `start`, moved on to the organisation's next open day (its policy's open days, and not a
    bank holiday in England and Wales if it closes on them): the default due date of a loan or an extension."""
    return next_open_day(start + timedelta(days=days), open_days=policy.open_days,
                         closed_on_bank_holidays=policy.closed_on_bank_holidays)  # fmt: skip


# The loan agreement


def loan_agreement_current(organisation: Organisation) -> LoanAgreement | None:
    """The organisation's latest published agreement (what a loan made now is accepted against), or None."""
    return LoanAgreement.objects.filter(organisation=organisation).order_by("-version").first()


@transaction.atomic
def loan_agreement_publish(*, actor: Actor, text: str, return_instructions: str, contact: str) -> LoanAgreement:
    """Publish a new version of the actor's organisation's loan agreement: the next version number, the text
    kept exactly as given (its SHA-256 beside it). Earlier versions stay as they were, for the loans that
    accepted them. Locks the organisation row, so two coordinators publishing at once get versions n and n+1
    (the unique constraint on (organisation, version) holds it regardless). An audit event records it."""
    if not text.strip():
        raise DomainError("Enter the text of the agreement", field="text", code="required")
    if not return_instructions.strip():
        raise DomainError("Enter how to return a device", field="return_instructions", code="required")
    if not contact.strip():
        raise DomainError("Enter whom to call", field="contact", code="required")
    lock_one(Organisation, actor.organisation.pk)
    current = loan_agreement_current(actor.organisation)
    if current and (current.text, current.return_instructions, current.contact) == (text, return_instructions, contact):
        raise DomainError("This is the same as the current version: change something to publish a new one.",
                          field="text", code="unchanged")  # fmt: skip
    agreement = LoanAgreement(
        organisation=actor.organisation, version=(current.version + 1) if current else 1, text=text,
        return_instructions=return_instructions.strip(), contact=contact.strip(), sha256=agreement_text_sha256(text),
        published_by=actor.user,
    )  # fmt: skip
    agreement.full_clean(validate_constraints=False)
    agreement.save()
    audit_record(actor=actor, action="loan_agreement.publish", obj=agreement,
                 after={"version": agreement.version, "sha256": agreement.sha256})  # fmt: skip
    return agreement


# Loans


LOAN_HELD_ROWS = ["device", "resident", "organisation", "lent_by", "api_key", "agreement", "kit_loan"]


@transaction.atomic
def loan_create(
    *, actor: Actor, device: Device, resident: Resident, agreement_method: str, agreement_accepted: bool = True,
    witness_name: str = "", accepted_name: str = "", started_on: date | None = None, due_on: date | None = None,
    notes: str = "", open_ended: bool = False, overdue_override_reason: str = "", kit_loan: KitLoan | None = None,
) -> Loan:  # fmt: skip
    """Lend a ready device of the actor's organisation to a resident the organisation may see.

    Locks the resident (refused as unknown, Http404, if the organisation may no longer see them; and so
    that two devices cannot both slip under the open-loan limit), then the device row, so two staff
    lending the same device at once cannot both succeed; the partial unique constraint
    one_open_loan_per_device holds it even if a caller forgot the lock.

    The loan keeps the organisation's current published agreement (loan_agreement_publish), its version and
    the SHA-256 of its text. Accepted on screen against a published text, the resident types their name
    under it (`accepted_name`, required then); a verbal agreement names a witness.

    No new loan while the resident has an overdue loan from this organisation, unless a coordinator gives
    `overdue_override_reason` (kept on the loan and on the timeline). An `open_ended` loan has no return date:
    its due date is a renewal date, the policy's loan length ahead, which loan_renew moves on.
    """
    resident = resident_check_visible(actor.organisation, resident)
    if not agreement_accepted:
        raise DomainError("The loan agreement must be accepted before the device leaves.", field="agreement_accepted",
                          code="not_accepted")  # fmt: skip
    # A witness is named for a verbal agreement, and only then: a name typed before another way was chosen goes.
    witness_name = witness_name.strip() if agreement_method == AgreementMethod.VERBAL_WITNESSED else ""
    if agreement_method == AgreementMethod.VERBAL_WITNESSED and not witness_name:
        raise DomainError("Enter the name of the witness to a verbal agreement", field="witness_name", code="required")
    agreement = loan_agreement_current(actor.organisation)
    accepted_name = " ".join(accepted_name.split()) if agreement_method == AgreementMethod.ON_SCREEN else ""
    if agreement is not None and agreement_method == AgreementMethod.ON_SCREEN and not accepted_name:
        raise DomainError("Ask them to type their full name to accept the agreement on screen", field="accepted_name",
                          code="required")  # fmt: skip
    device = _lock_device(device)
    _check_owner(device, actor)
    resident_check_ready(resident=resident, receiving="loan")
    loan_check_not_blocked(resident=resident, organisation=actor.organisation)  # reminder stages (devices/reminders.py)
    if device.status == S.ON_LOAN:
        raise DomainError(f"{device.asset_tag} is already on loan.", field="device", code="already_on_loan")
    if device.status != S.READY:
        raise _refuse(device, S.ON_LOAN)
    reservation_check_lend(device=device, resident=resident)
    policy = loan_policy_for(actor.organisation)
    overdue_override_reason = " ".join(overdue_override_reason.split())
    overdue = (Loan.objects.filter(resident=resident, organisation=actor.organisation, closed_at__isnull=True,
                                   due_on__lt=timezone.localdate()).order_by("due_on").first())  # fmt: skip
    if overdue is None:
        overdue_override_reason = ""
    elif not overdue_override_reason:
        raise DomainError(
            f"{resident.display_name} has a loan overdue since {overdue.due_on:%-d %B %Y} ({overdue.device.asset_tag}): "
            "take it back or renew it first. A coordinator may lend anyway, giving a reason.",
            field="resident", code="overdue_loan",
        )  # fmt: skip
    elif not actor_may_manage_stock(actor):
        raise DomainError("Only a coordinator may lend while another loan is overdue.",
                          field="overdue_override_reason", code="coordinator_only")  # fmt: skip
    # A kit lent together counts as one loan; the kit being lent now (kit_loan_create) is not counted.
    open_items = Loan.objects.filter(resident=resident, organisation=actor.organisation, closed_at__isnull=True)
    if kit_loan is not None:
        open_items = open_items.exclude(kit_loan=kit_loan)
    open_loans = (open_items.filter(kit_loan__isnull=True).count()
                  + open_items.filter(kit_loan__isnull=False).values("kit_loan").distinct().count())  # fmt: skip
    if open_loans >= policy.max_open_loans_per_resident:
        raise DomainError(
            f"{resident.display_name} already has {open_loans} open loan{'s' if open_loans != 1 else ''}; "
            f"your policy allows {policy.max_open_loans_per_resident}.",
            field="resident",
            code="too_many_loans",
        )
    started_on = started_on or timezone.localdate()
    if started_on > timezone.localdate():
        raise DomainError(
            "A loan cannot start in the future: lend the device on the day it leaves.", field="started_on",
            code="in_the_future",
        )  # fmt: skip
    earliest = timezone.localdate() - timedelta(days=policy.max_backdate_days)
    if started_on < earliest:
        raise DomainError(f"Your policy lets a loan start at most {policy.max_backdate_days} days ago: "
                          f"{earliest:%-d %B %Y} at the earliest.", field="started_on", code="too_far_back")  # fmt: skip
    longest = loan_due_date(policy, started_on, policy.default_length_days)
    if open_ended and due_on:
        raise DomainError("An open-ended loan has no due date: it is renewed every "
                          f"{policy.default_length_days} days.", field="due_on", code="open_ended")  # fmt: skip
    due_on = due_on or longest
    if due_on < started_on:
        raise DomainError("The due date must be on or after the start date.", field="due_on", code="before_start")
    if due_on > longest:
        raise DomainError(f"Your policy lends for at most {policy.default_length_days} days: due by "
                          f"{longest:%-d %B %Y} at the latest.", field="due_on", code="beyond_policy")  # fmt: skip
    loan = Loan(
        device=device, resident=resident, organisation=actor.organisation, lent_by=actor.user, api_key=actor.api_key,
        agreement_method=agreement_method,
        agreement_terms_version=str(agreement.version) if agreement else policy.terms_version,
        agreement=agreement, agreement_sha256=agreement.sha256 if agreement else "", accepted_name=accepted_name,
        agreement_accepted_at=timezone.now(), witness_name=witness_name, started_on=started_on, due_on=due_on,
        open_ended=open_ended, overdue_override_reason=overdue_override_reason, kit_loan=kit_loan,
    )  # fmt: skip
    # Not its foreign keys: each would be a query to find a row this service already holds (the device and the
    # resident locked above, the actor's organisation, user and key, the agreement and kit loan just read), and the
    # database checks them on insert anyway. Lending ran 20 queries, four of them those (issue 12).
    loan.full_clean(exclude=LOAN_HELD_ROWS, validate_constraints=False)
    try:
        with transaction.atomic():
            loan.save()
    except IntegrityError:
        raise DomainError(f"{device.asset_tag} is already on loan.", field="device", code="already_on_loan") from None
    _move(device, S.ON_LOAN, actor=actor, note=notes, data={"loan": loan.pk, "due_on": str(due_on)})
    reservation_fulfil_on_lend(loan=loan)
    when = f"to renew by {due_on:%-d %B %Y}" if open_ended else f"due back {due_on:%-d %B %Y}"
    case_event_record(resident=resident, actor=actor, kind=LoanEventKind.LOAN_STARTED,
                      summary=f"Lent {device.description} ({device.asset_tag}), {when}",
                      body=notes, data={"loan": loan.pk, "device": device.asset_tag})  # fmt: skip
    if overdue_override_reason:
        case_event_record(resident=resident, actor=actor, kind=LoanEventKind.LOAN_OVERDUE_OVERRIDDEN,
                          summary=f"Lent {device.asset_tag} although {overdue.device.asset_tag} is overdue",
                          body=overdue_override_reason, data={"loan": loan.pk, "overdue_loan": overdue.pk})  # fmt: skip
    return loan


# Kits


@transaction.atomic
def kit_create(
    *, actor: Actor, name: str, kinds: list[str], accessories: list[str] | None = None, voucher_kind: str = ""
) -> Kit:  # fmt: skip
    """A kit template for the actor's organisation: the kinds of device lent together, their accessories and,
    optionally, a SIM card or data voucher issued with each loan of it (`voucher_kind`, one of KIT_VOUCHER_KINDS)."""
    name = " ".join(name.split())
    if not name:
        raise DomainError("Enter the kit's name", field="name", code="required")
    if not kinds or set(kinds) - set(DeviceKind.values):
        raise DomainError("Choose the kinds of device in the kit", field="kinds", code="required")
    if voucher_kind and voucher_kind not in KIT_VOUCHER_KINDS:
        raise DomainError("Choose a SIM card, a data voucher code or a Wi-Fi voucher, or none", field="voucher_kind",
                          code="invalid")  # fmt: skip
    if Kit.objects.filter(organisation=actor.organisation, name__iexact=name).exists():
        raise DomainError(f"You already have a kit called {name}.", field="name", code="duplicate")
    kit = Kit(organisation=actor.organisation, name=name, kinds=sorted(set(kinds), key=DeviceKind.values.index),
              accessories=list(accessories or []), voucher_kind=voucher_kind)  # fmt: skip
    kit.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            kit.save()
    except IntegrityError:
        raise DomainError(f"You already have a kit called {name}.", field="name", code="duplicate") from None
    audit_record(actor=actor, action="kit.create", obj=kit,
                 after={"kinds": kit.kinds, "accessories": kit.accessories, "voucher_kind": kit.voucher_kind})  # fmt: skip
    return kit


@transaction.atomic
def kit_loan_create(
    *, actor: Actor, kit: Kit, resident: Resident, devices: list[Device], agreement_method: str,
    agreement_accepted: bool = True, witness_name: str = "", accepted_name: str = "", open_ended: bool = False,
    overdue_override_reason: str = "", notes: str = "", issue_voucher: bool = True,
) -> KitLoan:  # fmt: skip
    """Lend a kit: one device of each of the kit's kinds, under one agreement, with one receipt. Each device
    becomes its own Loan (loan_create: every rule of a loan applies to each item, and the one-open-loan-per-device
    index holds for each) tied to one KitLoan; the kit counts as one loan against the policy's limit. All or
    nothing. Locks the resident, then every device in primary-key order, before the first item is lent.

    A kit with a voucher line (`kit.voucher_kind`) also issues the resident a voucher of that kind through
    voucher_issue (eligibility, the soonest-expiring batch, its history and timeline entry), after the devices, as
    the lock order has it (... loan → voucher). If none can be issued, nothing is lent and the reason is on the
    `issue_voucher` field; staff may lend the kit without it (`issue_voucher=False`)."""
    from .vouchers.services import voucher_issue

    if kit.organisation_id != actor.organisation.pk or not kit.active:
        raise DomainError("Choose one of your kits.", field="kit", code="does_not_exist")
    resident = resident_check_visible(actor.organisation, resident)
    if len({device.pk for device in devices}) != len(devices):
        raise DomainError("The same device was scanned twice.", field="devices", code="duplicate")
    kinds = sorted(device.kind for device in devices)
    if kinds != sorted(kit.kinds):
        wanted = ", ".join(DeviceKind(kind).label for kind in kit.kinds)
        raise DomainError(f"A {kit.name} is one each of: {wanted}. Scan one device of each kind.",
                          field="devices", code="kit_mismatch")  # fmt: skip
    lock_rows(Device.objects.filter(pk__in=[device.pk for device in devices]))
    kit_loan = KitLoan.objects.create(organisation=actor.organisation, resident=resident, kit=kit, kit_name=kit.name,
                                      accessories=kit.accessories, lent_by=actor.user)  # fmt: skip
    for device in sorted(devices, key=lambda device: device.pk):
        loan_create(actor=actor, device=device, resident=resident, agreement_method=agreement_method,
                    agreement_accepted=agreement_accepted, witness_name=witness_name, accepted_name=accepted_name,
                    open_ended=open_ended, overdue_override_reason=overdue_override_reason, notes=notes,
                    kit_loan=kit_loan)  # fmt: skip
    if kit.voucher_kind and issue_voucher:
        try:
            kit_loan.voucher = voucher_issue(actor=actor, resident=resident, kind=kit.voucher_kind)
        except DomainError as refused:
            raise DomainError(f"The kit's {kit.get_voucher_kind_display()} cannot be issued: {refused.message} "
                              "Lend the kit without it, or lend the devices on their own.", field="issue_voucher",
                              code=refused.code) from None  # fmt: skip
        kit_loan.save(update_fields=["voucher"])
    return kit_loan


def actor_may_manage_stock(actor: Actor) -> bool:
    """Whether the actor is staff whose membership of the acting organisation may manage stock (coordinators,
    administrators), read now: a partner's API key never may."""
    if actor.user is None:
        return False
    membership = Membership.objects.filter(user=actor.user, organisation=actor.organisation, active=True).first()
    return membership_can(membership, Capability.MANAGE_STOCK)


def loan_renewal_long_overdue_days() -> int:
    """How many days past its renewal date an open-ended loan may still be renewed (settings, default 28);
    after that it must come back (or a coordinator acts)."""
    return getattr(settings, "LOAN_RENEWAL_LONG_OVERDUE_DAYS", 28)


def loan_renewal_days_late(loan: Loan) -> int | None:
    """How many days past its renewal date an open-ended loan is, if more than loan_renewal_long_overdue_days():
    then it can no longer be renewed and must come back (None while it still can be)."""
    late = (timezone.localdate() - loan.due_on).days
    return late if late > loan_renewal_long_overdue_days() else None


@transaction.atomic
def loan_renew(*, actor: Actor, loan: Loan, note: str = "") -> Loan:
    """The resident is still using it: an open-ended loan's renewal date moves on by the policy's loan length
    from today (to an open day). Refused for a loan with a fixed due date (extend it instead), and for one more
    than loan_renewal_long_overdue_days() past its renewal date."""
    loan, device = _lock_loan(loan, actor)
    if not loan.open_ended:
        raise DomainError("This loan has a due date: extend it instead.", code="not_open_ended")
    late = loan_renewal_days_late(loan)
    if late is not None:
        raise DomainError(f"The renewal is {late} days overdue, more than the {loan_renewal_long_overdue_days()} "
                          "allowed: the device must come back.", code="long_overdue")  # fmt: skip
    policy = loan_policy_for(actor.organisation)
    previous = loan.due_on
    loan.due_on = loan_due_date(policy, timezone.localdate(), policy.default_length_days)
    loan.renewals += 1
    loan.save()
    LoanExtension.objects.create(loan=loan, previous_due_on=previous, new_due_on=loan.due_on, reason=note,
                                 renewal=True, extended_by=actor.user)  # fmt: skip
    device_event_record(device=device, actor=actor, action="renew loan", note=note,
                        data={"loan": loan.pk, "due_on": str(loan.due_on)})  # fmt: skip
    case_event_record(resident=loan.resident, actor=actor, kind=LoanEventKind.LOAN_RENEWED,
                      summary=f"Loan of {device.asset_tag} renewed until {loan.due_on:%-d %B %Y}", body=note,
                      data={"loan": loan.pk})  # fmt: skip
    return loan


def _lock_loan(loan: Loan, actor: Actor) -> tuple[Loan, Device]:
    """Lock the resident (checking the organisation may still see them), the device, then the loan (the same
    order everywhere), and check the loan is still open."""
    resident_check_visible(actor.organisation, loan.resident_id)
    device = lock_one(Device, loan.device_id)
    loan = lock_one(Loan, loan.pk, related=("resident",))
    if loan.organisation_id != actor.organisation.pk:
        raise DomainError("This loan belongs to another organisation.", code="not_your_loan")
    if not loan.is_open:
        raise DomainError(f"This loan was already closed ({loan.get_outcome_display().lower()}).", code="loan_closed")
    return loan, device


CLOSING_NOTES_MAX = 2000


def _close(loan: Loan, *, actor: Actor, outcome: str, notes: str, **fields) -> Loan:
    loan.closed_at = timezone.now()
    loan.outcome = outcome
    loan.closing_notes = notes
    loan.closed_by = actor.user
    for field, value in fields.items():
        setattr(loan, field, value)
    if len(notes) > CLOSING_NOTES_MAX:
        raise DomainError(f"Notes must be {CLOSING_NOTES_MAX} characters or fewer.", field="closing_notes")
    loan.save()
    return loan


@dataclass(frozen=True)
class ExtensionPreview:
    new_due_on: date  # the due date an extension made now would give
    refusal: str  # why it cannot be extended, or ""

    @property
    def allowed(self) -> bool:
        return not self.refusal


def loan_extension_preview(*, loan: Loan, policy: LoanPolicy) -> ExtensionPreview:
    """What extending the loan now would do under `policy`: its new due date (the policy's extension length
    from the later of its due date and today, moved on to an open day), or why it cannot be extended. Reads only:
    the extend page shows it, and loan_extend applies it under its locks."""
    new_due_on = loan_due_date(policy, max(loan.due_on, timezone.localdate()), policy.extension_days)
    refusal = ""
    if loan.extensions >= policy.max_extensions:
        refusal = (f"This loan has been extended {loan.extensions} time{'s' if loan.extensions != 1 else ''}, "
                   f"the most your policy allows.")  # fmt: skip
    return ExtensionPreview(new_due_on=new_due_on, refusal=refusal)


@transaction.atomic
def loan_extend(*, actor: Actor, loan: Loan, reason: str = "") -> Loan:
    """Move the due date on by the policy's extension length, up to its maximum number of extensions
    (loan_extension_preview says what that would be)."""
    loan, device = _lock_loan(loan, actor)
    preview = loan_extension_preview(loan=loan, policy=loan_policy_for(actor.organisation))
    if not preview.allowed:
        raise DomainError(preview.refusal, code="extension_limit")
    previous = loan.due_on
    loan.due_on = preview.new_due_on
    loan.extensions += 1
    loan.save()
    LoanExtension.objects.create(loan=loan, previous_due_on=previous, new_due_on=loan.due_on, reason=reason,
                                 extended_by=actor.user)  # fmt: skip
    device_event_record(device=device, actor=actor, action="extend loan", note=reason,
                        data={"loan": loan.pk, "due_on": str(loan.due_on)})  # fmt: skip
    case_event_record(resident=loan.resident, actor=actor, kind=LoanEventKind.LOAN_EXTENDED,
                      summary=f"Loan of {device.asset_tag} extended to {loan.due_on:%-d %B %Y}", body=reason,
                      data={"loan": loan.pk})  # fmt: skip
    return loan


@transaction.atomic
def loan_return(
    *, actor: Actor, loan: Loan, condition: str, returned_on: date | None = None,
    accessories_returned: list[str] | None = None, notes: str = "",
) -> Loan:  # fmt: skip
    """Take a device back: the loan closes and the device waits to be checked (and wiped) before lending."""
    loan, device = _lock_loan(loan, actor)
    returned_on = returned_on or timezone.localdate()
    if returned_on < loan.started_on or returned_on > timezone.localdate():
        raise DomainError("The return date must be between the start of the loan and today.", field="returned_on",
                          code="out_of_range")  # fmt: skip
    if condition not in Condition.values:
        raise DomainError("Choose the condition it came back in.", field="condition")
    # What came back is recorded on the loan; what did not is taken off the device's list, so the device no
    # longer claims to come with it (a coordinator adds it back if it turns up).
    not_lent = sorted(set(accessories_returned or []) - set(device.accessories))
    if not_lent:
        raise DomainError(f"{device.asset_tag} did not go out with: {accessories_in_sentence(not_lent)}.",
                          field="accessories_returned", code="not_lent_with")  # fmt: skip
    came_back = [name for name in device.accessories if name in set(accessories_returned or [])]
    missing = [name for name in device.accessories if name not in came_back]
    _close(loan, actor=actor, outcome=LoanOutcome.RETURNED, notes=notes, returned_on=returned_on,
           return_condition=condition, accessories_returned=came_back, accessories_missing=missing)  # fmt: skip
    _move(device, S.AWAITING_CHECK, actor=actor, note=notes, condition=condition, accessories=came_back,
          data={"loan": loan.pk, "missing_accessories": missing})  # fmt: skip
    summary = f"Returned {device.asset_tag} ({Condition(condition).label.lower()})"
    if missing:
        summary += f"; missing: {accessories_in_sentence(missing)}"
    case_event_record(resident=loan.resident, actor=actor, kind=LoanEventKind.LOAN_RETURNED, summary=summary, body=notes,
                      data={"loan": loan.pk})  # fmt: skip
    return loan


@dataclass(frozen=True)
class CheckIn:
    """What happened to one tag at the returns desk."""

    typed: str  # as scanned or typed
    outcome: str  # "returned", "no_match" (no device of ours), "not_on_loan", or "refused" (a rule: see message)
    device: Device | None = None
    loan: Loan | None = None
    message: str = ""

    @property
    def returned(self) -> bool:
        return self.outcome == "returned"


def loans_check_in(*, actor: Actor, tags: list[str], returned_on: date | None = None) -> list[CheckIn]:
    """The returns desk: take back every device whose tag is in `tags` (scanned or pasted, in any case and with
    the forgiveness of devices.selectors.device_find_typed), each matched to its open loan and returned as it went
    out: the condition its record gives, with all its accessories (anything else is recorded one loan at a time,
    on the loan's return page). The same tag twice counts once.

    All or nothing per tag: each return is its own transaction (loan_return: resident → device → loan locks, in
    inclusion/locks.py order), so one refused tag leaves the others returned, and two desks scanning the same
    device return it once: the second finds the loan closed. Returns one CheckIn per distinct tag, in order.
    Not atomic itself: call it outside a transaction."""
    from .selectors import device_find_typed

    results, seen = [], set()
    for typed in tags:
        typed = " ".join(typed.split())
        if not typed:
            continue
        device = device_find_typed(organisation=actor.organisation, typed=typed)
        key = device.pk if device else asset_tag_normalise(typed)
        if key in seen:
            continue
        seen.add(key)
        if device is None:
            results.append(CheckIn(typed, "no_match", message="No device of yours has this tag"))
            continue
        loan = Loan.objects.filter(device=device, closed_at__isnull=True).first()
        if loan is None:
            results.append(CheckIn(typed, "not_on_loan", device, message=f"Not on loan: {device.get_status_display()}"))
            continue
        try:
            loan = loan_return(actor=actor, loan=loan, condition=device.condition, returned_on=returned_on,
                               accessories_returned=list(device.accessories), notes="Checked in at the returns desk")  # fmt: skip
        except DomainError as error:
            outcome = "not_on_loan" if error.code == "loan_closed" else "refused"
            results.append(CheckIn(typed, outcome, device, loan, "Already returned" if error.code == "loan_closed"
                                   else error.message))  # fmt: skip
        except Http404:  # the resident is no longer ours to see: the loan's page says what to do
            results.append(CheckIn(typed, "refused", device, loan, "Record this return from the loan's page"))
        else:
            results.append(CheckIn(typed, "returned", device, loan))
    return results


@transaction.atomic
def loan_report_lost(
    *, actor: Actor, loan: Loan, stolen: bool = False, police_reference: str = "", notes: str = ""
) -> Loan:
    """The device is lost or stolen: the loan closes; the device can later be written off (or found)."""
    loan, device = _lock_loan(loan, actor)
    what = "stolen" if stolen else "lost"
    _close(loan, actor=actor, outcome=LoanOutcome.LOST, notes=notes, police_reference=police_reference.strip(),
           stolen=stolen)  # fmt: skip
    _move(device, S.LOST, actor=actor, note=notes, data={"loan": loan.pk, "stolen": stolen,
                                                         "police_reference": loan.police_reference})  # fmt: skip
    case_event_record(resident=loan.resident, actor=actor, kind=LoanEventKind.LOAN_LOST,
                      summary=f"{device.asset_tag} reported {what}" + (f" (police ref {police_reference})"
                                                                        if police_reference else ""),
                      body=notes, data={"loan": loan.pk})  # fmt: skip
    return loan


@transaction.atomic
def loan_gift(*, actor: Actor, loan: Loan, notes: str = "") -> Loan:
    """The resident keeps the device: ownership passes to them and the loan closes."""
    loan, device = _lock_loan(loan, actor)
    _close(loan, actor=actor, outcome=LoanOutcome.GIFTED, notes=notes)
    _move(device, S.GIFTED, actor=actor, note=notes, gifted_to=loan.resident, data={"loan": loan.pk})
    case_event_record(resident=loan.resident, actor=actor, kind=LoanEventKind.LOAN_GIFTED,
                      summary=f"{device.description} ({device.asset_tag}) given to keep", body=notes,
                      data={"loan": loan.pk})  # fmt: skip
    return loan


# Stock import (devices/imports.py reads and checks the file; this is the one write)


ASSET_TAG_PREFIX_SKIP = {"of", "the", "and", "for"}


def asset_tag_prefix(organisation: Organisation) -> str:
    """The organisation's initials for generated tags, so a label says whose it is: Black Country Works →
    BCW, City of Wolverhampton College → CWC; a one-word name gives its first three letters (Oxfam → OXF).
    Derived from the name (unique in the scheme), so nothing needs setting up; a renamed organisation's new
    tags follow the new name."""
    words = ["".join(ch for ch in word if ch.isalnum()) for word in organisation.name.split()]
    words = [word for word in words if word and word.lower() not in ASSET_TAG_PREFIX_SKIP]
    if len(words) == 1:
        prefix = words[0][:3]
    else:
        prefix = "".join(word if word.isdigit() else word[0] for word in words)[:6]
    return prefix.upper() or "DI"


def asset_tags_next(organisation: Organisation, count: int) -> list[str]:
    """`count` new tags for the organisation, its prefix and a number from one scheme-wide sequence
    (BCW-000123): one query for all. The shared sequence keeps generated tags unique across the scheme too."""
    if count <= 0:
        return []
    prefix = asset_tag_prefix(organisation)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('devices_asset_tag_seq') FROM generate_series(1, %s)", [count])
        return [f"{prefix}-{number:06d}" for number in sorted(row[0] for row in cursor.fetchall())]


@transaction.atomic
def device_import(*, actor: Actor, filename: str, content: bytes) -> list[Device]:
    """Add every device in a CSV or .xlsx file to the actor's organisation's stock, status 'received', or none.

    Checks the whole file again (devices.imports.device_import_check) and raises DeviceImportRefused,
    listing every problem, if any row is bad. Otherwise the rows go to PostgreSQL by COPY (into a temporary
    table), and one statement adds the devices, with tags generated for rows without one, and a 'receive'
    history entry for each. Takes no locks: the unique constraint on (organisation, asset_tag) refuses a tag a
    colleague took since the check, and then nothing is imported. Returns the devices added, in file order
    (their tag and kind loaded; the rest loads when read).
    """
    from .imports import IMPORT_COLUMNS, DeviceImportRefused, device_import_check
    from .models import DeviceEvent

    check = device_import_check(organisation=actor.organisation, filename=filename, content=content)
    if not check.ok:
        raise DeviceImportRefused(check)
    generated = iter(asset_tags_next(actor.organisation, check.tags_to_generate))
    columns = [Device._meta.get_field(name).column for name in IMPORT_COLUMNS]
    names = ", ".join(columns)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE device_import_rows ON COMMIT DROP AS "
                f"SELECT 0 AS line, {names} FROM {Device._meta.db_table} WITH NO DATA"
            )
            with cursor.cursor.copy(f"COPY device_import_rows (line, {names}) FROM STDIN") as copy:
                for row in check.rows:
                    values = {**row.values, "asset_tag": row.values["asset_tag"] or next(generated)}
                    copy.write_row((row.line, *(values[name] for name in IMPORT_COLUMNS)))
            cursor.execute(
                f"""WITH added AS (
                        INSERT INTO {Device._meta.db_table}
                            ({names}, owning_organisation_id, status, needs_wipe, created_at, updated_at)
                        SELECT {names}, %(organisation)s, %(status)s, false, now(), now()
                        FROM device_import_rows ORDER BY line
                        RETURNING id, asset_tag, kind),
                    history AS (
                        INSERT INTO {DeviceEvent._meta.db_table} (device_id, action, from_status, to_status, note,
                                                                   data, occurred_at, actor_id, api_key_id,
                                                                   organisation_id)
                        SELECT id, 'receive', '', %(status)s, '', %(data)s, now(), %(actor)s, %(key)s,
                               %(organisation)s
                        FROM added)
                    SELECT id, asset_tag, kind FROM added ORDER BY id""",
                {"organisation": actor.organisation.pk, "status": S.RECEIVED,
                 "data": json.dumps({"import": check.filename}), "actor": actor.user.pk if actor.user else None,
                 "key": actor.api_key.pk if actor.api_key else None},
            )  # fmt: skip
            added = cursor.fetchall()
            cursor.execute("DROP TABLE device_import_rows")
    except IntegrityError as error:
        # "Key (owning_organisation_id, asset_tag)=(7, LAP-1) already exists." (a tag never has a comma)
        detail = getattr(getattr(error.__cause__, "diag", None), "message_detail", None) or ""
        taken = detail.split("=(", 1)[-1].split(")", 1)[0].rsplit(", ", 1)[-1] if "=(" in detail else ""
        raise DomainError(
            f"Asset tag {taken or 'in the file'} was taken by another device while the file was being imported, "
            f"so nothing was imported. Upload the file again to check it.",
            field="file", code="duplicate",
        ) from None  # fmt: skip
    loaded = ["id", "asset_tag", "kind", "owning_organisation_id"]
    organisation_id = actor.organisation.pk
    return [Device.from_db(connection.alias, loaded, (pk, tag, kind, organisation_id)) for pk, tag, kind in added]
