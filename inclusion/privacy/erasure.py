"""Erasure (UK GDPR Art. 17): anonymising a resident, across every app, keeping what reports need.

`resident_erase` is the one way to do it: from a coordinator's confirmed retention review (the scheduled task,
inclusion/privacy/retention.py) or an erasure request. It removes their name, contact details, address, date of
birth and every free text about them (notes, reasons, typed names, messages as sent), in the core and, through
each app's registered `erase` (inclusion.registry.ResidentData), in every app; it keeps what the impact reports
count (inclusion/reports/): the record itself and its links (loans, vouchers, referrals, outcomes, dates,
statuses), the local authority, the age band they were in, equality monitoring answers, needs and skills
levels. So a past month's report adds up to the same figures after an erasure as before (tests/reports/).
"""

import datetime as dt

from django.db import connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from inclusion.access import resident_check_visible
from inclusion.actors import Actor
from inclusion.choices import AgeBand, EventKind
from inclusion.errors import DomainError
from inclusion.events import case_event_record
from inclusion.models import CaseEvent, Consent, ContactProposal, IdempotencyRecord, Resident

from .models import Erasure

# What free text erased in place reads as (where a column may not be blank).
ERASED = "[erased]"

# What an anonymised resident's own fields become. The record stays (reports count it); nothing identifies them.
# Kept: owning organisation, local authority, equality monitoring, needs, skills levels, how they came to us
# (its code, not its free text), the dates of the record.
RESIDENT_ERASED = {
    "first_name": "Anonymised", "last_name": "resident", "preferred_name": "", "date_of_birth": None,
    "phone": "", "email": "", "address_line_1": "", "address_line_2": "", "town": "", "postcode": "",
    "preferred_contact_method": "", "preferred_language": "English", "accessibility_needs": "",
    "referral_source_detail": "",
    "first_name_key": "anonymised", "last_name_key": "resident", "last_name_part_key": "", "preferred_name_key": "",
}  # fmt: skip

NOT_OWNER = "Only {owner}, who registered them, can anonymise their record."


def age_band_on(date_of_birth: dt.date, on: dt.date) -> str:
    """The AgeBand for someone born on `date_of_birth`, on the day `on`, as the reports count it
    (inclusion/reports/reach.py: AGE_BAND_SQL)."""
    age = on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    for limit, band in ((18, AgeBand.UNDER_18), (25, AgeBand.AGE_18_24), (35, AgeBand.AGE_25_34),
                        (45, AgeBand.AGE_35_44), (55, AgeBand.AGE_45_54), (65, AgeBand.AGE_55_64),
                        (75, AgeBand.AGE_65_74)):  # fmt: skip
        if age < limit:
            return band
    return AgeBand.AGE_75_PLUS


# Timeline entries that are about keeping the record, not about helping the resident: not activity.
NOT_ACTIVITY = (EventKind.RETENTION_CONFIRMED, EventKind.RETENTION_KEPT, EventKind.ANONYMISED)


def activity_entries() -> QuerySet[CaseEvent]:
    """What counts as activity for retention: every timeline entry (every app writes one for each loan,
    voucher, referral, message and change) except the retention review's own."""
    return CaseEvent.objects.exclude(kind__in=NOT_ACTIVITY)


def resident_last_activity(resident: Resident) -> dt.datetime:
    """When anything last happened to the resident: their newest activity entry, else when they were registered."""
    latest = activity_entries().filter(resident=resident).aggregate(at=Max("occurred_at"))["at"]
    return max(latest, resident.created_at) if latest else resident.created_at


def resident_is_erased(resident: Resident) -> bool:
    return Erasure.objects.filter(resident_id=resident.pk).exists()


@transaction.atomic
def resident_erase(*, actor: Actor, resident: Resident, reason: str) -> Erasure:
    """Anonymise the resident everywhere (see the module's docstring), once. Only their owning organisation may
    (DomainError "not_owner"); Http404 if it may not see them; "already_erased" the second time.

    Locks the resident (the lock order's resident, then what each app updates of theirs), re-checks access in
    this transaction, then: their own fields (RESIDENT_ERASED; the age band they were in when last active
    replaces the date of birth) and proposed contact details, every registered `erase` (the core's timeline and
    consents below, then each app's), and their field history
    (inclusion.audit.history_erase_for_resident). The record is restricted from then on (read-only, no
    messages: services.resident_check_not_restricted, selectors.residents_messageable_q). Writes the Erasure
    row (who, when, why; no personal data) and an "anonymised" timeline entry."""
    from inclusion import audit, registry

    resident = resident_check_visible(actor.organisation, resident)
    if resident.owning_organisation_id != actor.organisation.pk:
        raise DomainError(NOT_OWNER.format(owner=resident.owning_organisation), code="not_owner")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Enter why their record is anonymised", field="reason", code="required")
    if resident_is_erased(resident):
        raise DomainError("Their record is already anonymised.", code="already_erased")

    last_active = resident_last_activity(resident)
    age_band = (age_band_on(resident.date_of_birth, timezone.localtime(last_active).date())
                if resident.date_of_birth else resident.age_band)  # fmt: skip
    fields = {**RESIDENT_ERASED, "age_band": age_band, "restricted_at": resident.restricted_at or timezone.now()}
    Resident.objects.filter(pk=resident.pk).update(**fields, updated_at=timezone.now())

    ContactProposal.objects.filter(resident=resident, status=ContactProposal.Status.PENDING).update(
        status=ContactProposal.Status.REJECTED, decided_at=timezone.now()
    )
    ContactProposal.objects.filter(resident=resident).update(changes={})
    resident.refresh_from_db()
    for data in registry.resident_data_providers():
        if data.erase is not None:
            data.erase(resident, actor)
    # Field history keeps every earlier value of their details: it is cleaned with the record.
    audit.history_erase_for_resident(resident)
    idempotent_responses_erase(resident)

    erasure = Erasure.objects.create(
        resident=resident, organisation=actor.organisation, erased_by=actor.user, reason=reason[:500],
        last_active_at=last_active,
    )  # fmt: skip
    case_event_record(resident=resident, actor=actor, kind=EventKind.ANONYMISED,
                      summary="Record anonymised: personal details and free text removed", body="")  # fmt: skip
    return erasure


def timeline_erase(resident: Resident, actor: Actor) -> None:
    """The core's timeline: what staff typed (every entry's note) and a note's first line, its summary. The
    entries' kinds, dates and organisations stay."""
    CaseEvent.objects.filter(resident=resident, kind=EventKind.NOTE).update(summary="Note (erased)", body="")
    CaseEvent.objects.filter(resident=resident).exclude(body="").update(body="")


def consents_erase(resident: Resident, actor: Actor) -> None:
    """The core's consents: the note typed when one was withdrawn. Purposes, answers and dates stay."""
    Consent.objects.filter(resident=resident).exclude(withdrawal_note="").update(withdrawal_note="")


def idempotent_responses_erase(resident: Resident) -> int:
    """Forget the partner API's kept responses (inclusion/api/idempotency.py, up to 24 hours old) that name the
    resident: a retry's replay would otherwise hand back their details as they were. A retry after this does
    the work again, and finds the record anonymised and restricted."""
    table = IdempotencyRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE position(%s::bytea in body) > 0",  # noqa: S608 (our own name)
                       [str(resident.pk).encode()])  # fmt: skip
        return cursor.rowcount
