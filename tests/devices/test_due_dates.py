"""Default due dates land on a day the organisation is open: its loan policy's open days (Monday to Saturday
unless the coordinator changes them), and not on a bank holiday in England and Wales if it closes on them."""

import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from devices import services
from devices.models import LoanPolicy
from inclusion import calendar, choices

from ..factories import MembershipFactory
from .factories import DeviceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(org_a):
    return services.loan_policy_for(org_a)


def test_a_new_policy_is_open_monday_to_saturday_and_closed_on_bank_holidays(policy):
    assert policy.open_days == [0, 1, 2, 3, 4, 5] and policy.closed_on_bank_holidays


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 11, 8), 28, date(2026, 12, 7)),  # a Sunday: the Monday after
        (date(2026, 11, 7), 28, date(2026, 12, 5)),  # a Saturday: open
        (date(2026, 11, 29), 28, date(2026, 12, 29)),  # Sunday 27 December, then Boxing Day's holiday on Monday 28
        (date(2026, 12, 11), 14, date(2026, 12, 26)),  # Christmas Day: the Saturday after is open
    ],
)
def test_default_due_date_moves_on_to_the_next_open_day(policy, start, days, due):
    assert services.loan_due_date(policy, start, days) == due


def test_an_organisation_open_every_day_and_on_bank_holidays_keeps_the_date(actor_a, policy):
    policy = services.loan_policy_update(actor=actor_a, open_days=list(range(7)), closed_on_bank_holidays=False)
    assert services.loan_due_date(policy, date(2026, 11, 29), 28) == date(2026, 12, 27)


def _last_start_due_on_a_sunday(days: int) -> date:
    today = timezone.localdate()
    return today - timedelta(days=(today + timedelta(days=days) - timedelta(days=calendar.SUNDAY)).weekday())


def test_lending_without_a_due_date_never_makes_it_due_on_a_sunday(actor_a, org_a, resident_a):
    start = _last_start_due_on_a_sunday(28)
    assert (start + timedelta(days=28)).weekday() == calendar.SUNDAY
    loan = services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a), resident=resident_a,
                                agreement_method="on_screen", started_on=start)  # fmt: skip
    assert loan.due_on == calendar.next_open_day(start + timedelta(days=28), open_days=range(6))
    assert loan.due_on.weekday() != calendar.SUNDAY


def test_an_extension_lands_on_an_open_day_too(actor_a, org_a, resident_a):
    loan = services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a), resident=resident_a,
                                agreement_method="on_screen")  # fmt: skip
    services.loan_policy_update(actor=actor_a, extension_days=(calendar.SUNDAY - loan.due_on.weekday()) % 7 or 7)
    loan = services.loan_extend(actor=actor_a, loan=loan)
    assert loan.due_on.weekday() != calendar.SUNDAY


def test_the_lend_form_gives_the_moved_date_as_the_latest(client_a, actor_a, org_a, resident_a):
    length = (calendar.SUNDAY - timezone.localdate().weekday()) % 7 or 7  # lands on a Sunday
    services.loan_policy_update(actor=actor_a, default_length_days=length)
    due = services.loan_due_date(services.loan_policy_for(org_a), timezone.localdate(), length)
    content = client_a.get(reverse("devices:loan-create", args=[resident_a.pk])).content.decode()
    assert f"until {due:%A} {due.day} {due:%B %Y}" in content and due.weekday() != calendar.SUNDAY


def test_coordinator_sets_the_open_days_on_the_policy_page(org_a):
    client = Client()
    client.force_login(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR).user)
    data = {"default_length_days": "28", "extension_days": "14", "max_extensions": "2",
            "max_open_loans_per_resident": "1", "max_backdate_days": "31", "terms_version": "2026-01"}  # fmt: skip
    page = " ".join(client.get(reverse("devices:loan-policy")).content.decode().split())
    ticked = re.findall(
        r'name="open_days" class="govuk-checkboxes__input" id="id_open_days_\d" value="(\d)" checked', page
    )
    assert ticked == ["0", "1", "2", "3", "4", "5"]  # Monday to Saturday

    response = client.post(reverse("devices:loan-policy"), {**data, "open_days": ["0", "1", "2", "3", "4"]})
    assert response.status_code == 302
    policy = LoanPolicy.objects.get(organisation=org_a)
    assert policy.open_days == [0, 1, 2, 3, 4] and not policy.closed_on_bank_holidays

    response = client.post(reverse("devices:loan-policy"), {**data, "closed_on_bank_holidays": "on"})
    assert "Choose the days you are open to take devices back" in response.content.decode()
    policy.refresh_from_db()
    assert policy.open_days == [0, 1, 2, 3, 4]
