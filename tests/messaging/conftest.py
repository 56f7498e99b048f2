"""Helpers for messaging tests: lend devices due on chosen dates, residents who agreed to texts or emails."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from devices.models import LoanPolicy
from devices.services import loan_create
from inclusion import choices
from tests.devices.factories import DeviceFactory
from tests.factories import ConsentFactory, MembershipFactory, ResidentFactory

UK = ZoneInfo("Europe/London")


def uk(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in UK local time (what a frozen clock reads)."""
    return datetime.combine(day, time(hour, minute), tzinfo=UK)


def texting_resident(organisation, **kwargs):
    resident = ResidentFactory(owning_organisation=organisation, **kwargs)
    ConsentFactory(resident=resident, purpose=choices.ConsentPurpose.CONTACT_SMS)
    return resident


@pytest.fixture
def lend(org_a, actor_a):
    LoanPolicy.objects.update_or_create(organisation=org_a, defaults={"max_open_loans_per_resident": 5})

    def lend(resident, due_on: date, started_on: date | None = None, **device):
        device = DeviceFactory(owning_organisation=org_a, **device)
        return loan_create(actor=actor_a, device=device, resident=resident, agreement_method="signed_paper",
                           due_on=due_on, started_on=started_on)  # fmt: skip

    return lend


@pytest.fixture
def coordinator_a(org_a):
    return MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR, user__email="coord@alpha.example")
