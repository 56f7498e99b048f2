"""The overdue worklist on the loans list: phone, preferred contact, the last reminder or chase, and recording a
chase on the resident's timeline."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from devices.chases import loan_chase_record
from inclusion import choices
from inclusion.errors import DomainError
from inclusion.messaging import sweeps
from inclusion.models import CaseEvent

from .conftest import texting_resident, uk

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(org_a, lend):
    today = timezone.localdate()
    resident = texting_resident(org_a, preferred_contact_method=choices.ContactMethod.PHONE)
    return lend(resident, today - timedelta(days=3), started_on=today - timedelta(days=20), asset_tag="LATE-01")


def overdue_row(client) -> str:
    page = client.get(reverse("devices:loan-list")).content.decode()
    table = page[page.index('id="overdue"') :]
    return table[: table.index("</table>")]


def test_the_overdue_list_shows_phone_preferred_contact_and_no_contact_yet(client_a, overdue):
    row = overdue_row(client_a)
    assert str(overdue.resident.phone) in row and "Prefers phone call" in row and "None yet" in row
    assert reverse("devices:loan-chase", args=[overdue.pk]) in row


def test_the_last_reminder_then_a_later_chase_show_on_the_worklist(client_a, overdue, actor_a):
    sweeps.sweep_run(now=uk(timezone.localdate() - timedelta(days=2), 12), dispatch=False)  # 1 day overdue stage
    assert "Text message reminder" in overdue_row(client_a)
    loan_chase_record(
        actor=actor_a, loan=overdue, outcome="promised", promised_on=timezone.localdate() + timedelta(days=2)
    )
    row = overdue_row(client_a)
    assert "They promised to bring it back by a date, by" in row
    event = CaseEvent.objects.get(kind="chase_recorded")
    assert event.resident_id == overdue.resident_id and event.data["outcome"] == "promised"
    assert event.summary.startswith("Chased about LATE-01: They promised")


def test_recording_a_chase_on_the_page(client_a, overdue):
    url = reverse("devices:loan-chase", args=[overdue.pk])
    page = client_a.get(url)
    assert page.status_code == 200 and str(overdue.resident.phone) in page.content.decode()
    refused = client_a.post(url, {"outcome": "promised"})
    assert "Enter the date they promised to bring it back by" in refused.content.decode()
    response = client_a.post(url, {"outcome": "left_message", "note": "Said she would call back"})
    assert response.status_code == 302
    event = CaseEvent.objects.get(kind="chase_recorded")
    assert event.body == "Said she would call back" and "Phoned: left a message" in event.summary


def test_a_closed_loan_cannot_be_chased(overdue, actor_a):
    from devices.services import loan_return

    loan_return(actor=actor_a, loan=overdue, condition="good")
    with pytest.raises(DomainError):
        loan_chase_record(actor=actor_a, loan=overdue, outcome="no_answer")


def test_another_organisation_cannot_chase(overdue, actor_b):
    from django.http import Http404

    with pytest.raises(Http404):
        loan_chase_record(actor=actor_b, loan=overdue, outcome="no_answer")
