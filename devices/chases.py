"""The overdue worklist: what staff need to chase a loan (the resident's phone and preferred contact, the last
reminder or chase and its outcome) and "record a chase", which goes on the resident's timeline.

Kept apart from devices/services.py and views.py (which are being reorganised): the loans list calls
`worklist` on its overdue loans; the chase page is devices/chase_views.py.
"""

from datetime import date

from django.db import models, transaction
from django.utils import timezone

from inclusion.access import resident_check_visible
from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.events import case_event_record
from inclusion.messaging.events import MessageEventKind
from inclusion.messaging.selectors import items_for_source
from inclusion.models import CaseEvent

from .models import Loan


class ChaseOutcome(models.TextChoices):
    NO_ANSWER = "no_answer", "Phoned: no answer"
    LEFT_MESSAGE = "left_message", "Phoned: left a message"
    SPOKE = "spoke", "Spoke to them"
    PROMISED = "promised", "They promised to bring it back by a date"
    VISITED = "visited", "Visited them"
    OTHER = "other", "Something else"


CHASE = MessageEventKind.CHASE_RECORDED


@transaction.atomic
def loan_chase_record(
    *, actor: Actor, loan: Loan, outcome: str, promised_on: date | None = None, note: str = ""
) -> CaseEvent:
    """Record an attempt to get an overdue device back, on the resident's timeline. The loan must be the actor's
    organisation's and open; a promise needs a date, today or later. Checks the resident is still visible."""
    resident = resident_check_visible(actor.organisation, loan.resident_id)
    loan = Loan.objects.select_related("device").get(pk=loan.pk)
    if loan.organisation_id != actor.organisation.pk:
        raise DomainError("This loan is not your organisation's")
    if loan.closed_at is not None:
        raise DomainError("This loan is closed: there is nothing to chase", code="loan_closed")
    if outcome not in ChaseOutcome.values:
        raise DomainError("Choose what happened", field="outcome")
    if outcome == ChaseOutcome.PROMISED:
        if promised_on is None:
            raise DomainError("Enter the date they promised to bring it back by", field="promised_on")
        if promised_on < timezone.localdate():
            raise DomainError("The promised date must be today or in the future", field="promised_on")
    elif promised_on is not None:
        promised_on = None  # only a promise has a date
    summary = f"Chased about {loan.device.asset_tag}: {ChaseOutcome(outcome).label}"
    if promised_on:
        summary += f", by {promised_on:%-d %B %Y}"
    return case_event_record(
        resident=resident, actor=actor, kind=CHASE, summary=summary, body=note.strip(),
        data={"loan": loan.pk, "outcome": outcome, "promised_on": promised_on.isoformat() if promised_on else None},
    )  # fmt: skip


def worklist(organisation, loans) -> list[Loan]:
    """The loans (overdue, of `organisation`) with what chasing needs: `last_contact` = (when, what, outcome) of
    the latest reminder or chase, whichever is later. Two queries for the whole list, none per loan."""
    loans = list(loans)
    ids = [loan.pk for loan in loans]
    chases: dict[int, CaseEvent] = {}
    # Looked up by the loans' residents (the timeline's index), then by loan: by loan alone it read every entry of
    # the organisation's timeline (350 ms for the largest partner at region scale).
    residents = {loan.resident_id for loan in loans}
    chases_of_loans = CaseEvent.objects.filter(resident__in=residents, organisation=organisation, kind=CHASE,
                                               data__loan__in=ids)  # fmt: skip
    for event in chases_of_loans.order_by("-occurred_at"):
        chases.setdefault(event.data["loan"], event)
    reminders = items_for_source("loan", ids)
    for loan in loans:
        loan.worklist = True
        contacts = []
        if (chase := chases.get(loan.pk)) is not None:
            contacts.append((chase.occurred_at, chase.summary.split(": ", 1)[-1], "chase"))
        item = reminders.get(str(loan.pk))
        if item is not None and item.message is not None:
            message = item.message
            what = f"{message.get_channel_display()} reminder"
            contacts.append((message.sent_at or message.created_at, what, message.get_status_display().lower()))
        loan.last_contact = max(contacts, key=lambda contact: contact[0]) if contacts else None
    return loans
