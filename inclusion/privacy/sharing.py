"""What an organisation linked to another's resident (by a loan or a referral) may read of them: the one
field-by-field rule, used by the resident page and the partner API.

The owning organisation owns the record. A linked organisation sees what it needs to serve the resident
(name, contact details, needs, accessibility) and what it recorded itself; it does not see their equality
monitoring answers (special category data, collected for the owner's reporting) nor the notes and free text
the owner's staff (or any other organisation's) wrote on the timeline. The timeline's facts (a loan made, a
voucher issued) stay, with what another organisation typed left out.
"""

from collections.abc import Iterable

from inclusion.choices import EDS_AREAS, EQUALITY_FIELDS
from inclusion.models import CaseEvent, Organisation, Resident

# Fields of a resident only the owning organisation reads.
OWNER_ONLY_FIELDS: tuple[str, ...] = tuple(EQUALITY_FIELDS)
NOT_SHARED = ""  # how an owner-only field reads to a linked organisation: as not asked
# What a linked organisation may change itself: the skills baseline it assesses when it teaches them. Every
# other field (details, contact, equality, needs) is the owner's to change; a linked organisation proposes a
# contact update instead (inclusion.privacy.proposals).
LINKED_MAY_CHANGE: frozenset[str] = frozenset(EDS_AREAS)
NOT_OWNER = (
    "{owner} registered {name} and keeps their details. Propose a contact update for their staff to check instead."
)


def resident_is_owner(*, organisation: Organisation, resident: Resident) -> bool:
    return resident.owning_organisation_id == organisation.pk


def resident_fields_hidden(*, organisation: Organisation, resident: Resident) -> frozenset[str]:
    """The resident's fields `organisation` may not read (none for the owner)."""
    return frozenset() if resident_is_owner(organisation=organisation, resident=resident) else frozenset(
        OWNER_ONLY_FIELDS)  # fmt: skip


def resident_fields_not_changeable(*, organisation: Organisation, resident: Resident, fields) -> list[str]:
    """Of `fields`, those `organisation` may not change on the resident (none for the owner); the services
    refuse a change that names any (DomainError "not_owner")."""
    if resident_is_owner(organisation=organisation, resident=resident):
        return []
    return sorted(set(fields) - LINKED_MAY_CHANGE)


def resident_events_shown(
    *, organisation: Organisation, resident: Resident, events: Iterable[CaseEvent]
) -> list[CaseEvent]:
    """The timeline entries `organisation` may read: all, for the owner; for a linked organisation its own
    entries whole, others' facts without what their staff typed, and no one else's notes."""
    if resident_is_owner(organisation=organisation, resident=resident):
        return list(events)
    shown = []
    for event in events:
        if event.organisation_id == organisation.pk:
            shown.append(event)
        elif event.kind != "note":
            event.body = ""
            shown.append(event)
    return shown


def resident_notes_shown(*, organisation: Organisation, resident: Resident, notes):
    """The case notes (a CaseEvent query) `organisation` may read: all for the owner, its own otherwise."""
    if resident_is_owner(organisation=organisation, resident=resident):
        return notes
    return notes.filter(organisation=organisation)


def resident_questions_shown(*, organisation: Organisation, resident: Resident, groups: list[dict]) -> list[dict]:
    """The "still to ask" groups (inclusion.selectors.resident_still_to_ask) `organisation` may see: a linked
    organisation is not told how many equality questions were answered, nor asks them."""
    if resident_is_owner(organisation=organisation, resident=resident):
        return groups
    return [group for group in groups if group["url_name"] != "resident-equality"]
