"""A small world with hand-computed figures for March 2026 (see test_figures.py for each number's working).

Rows are created as they stand after the fact, with their real dates: the services always act "now", and a
report is about months past."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from devices.models import DeviceEvent, Loan
from referrals.models import Outcome, Referral

from ..devices.factories import DeviceFactory
from ..devices.vouchers.factories import VoucherBatchFactory, VoucherFactory
from ..factories import ConsentFactory, OrganisationFactory, ResidentFactory

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 4, 1))


def at(day: str, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour)))


def resident(organisation, created: str, **details):
    person = ResidentFactory(owning_organisation=organisation, **details)
    type(person).objects.filter(pk=person.pk).update(created_at=at(created))
    return person


def device(organisation, status, **details):
    return DeviceFactory(owning_organisation=organisation, status=status, created_at=at("2026-01-01"), **details)


def loan(
    device_, person, started: str, due: str, closed: str | None = None, outcome: str = "", returned: str | None = None
):
    return Loan.objects.create(
        device=device_, resident=person, organisation=device_.owning_organisation, agreement_method="signed_paper",
        agreement_terms_version="2026-01", agreement_accepted_at=at(started), started_on=dt.date.fromisoformat(started),
        due_on=dt.date.fromisoformat(due), closed_at=at(closed) if closed else None, outcome=outcome,
        returned_on=dt.date.fromisoformat(returned) if returned else None,
    )  # fmt: skip


def referral(person, sender, receiver, need, sent: str, due: str, status="sent", **fields):
    """A referral as it stands after the fact: sent, then moved along the referrals' own TRANSITIONS (the
    database checks each move) to `status`, with its dates."""
    consent = ConsentFactory(resident=person, purpose="sharing")
    made = Referral.objects.create(
        resident=person, from_organisation=sender, to_organisation=receiver, need=need, reason="Wants to get online",
        sharing_consent=consent, sent_at=at(sent), response_due_on=dt.date.fromisoformat(due),
        confidence_before=fields.pop("confidence_before", None),
    )  # fmt: skip
    steps = {"sent": [], "declined": ["declined"], "completed": ["accepted", "started", "completed"]}[status]
    for step in steps:
        Referral.objects.filter(pk=made.pk).update(status=step, **(fields if step == status else {}))
    made.refresh_from_db()
    return made


@pytest.fixture
def world(db):
    # One transaction: the device-and-loan trigger is checked at commit (and browser tests commit each statement).
    with transaction.atomic():
        return _world()


def _world():
    a = OrganisationFactory(name="Alpha Council", slug="alpha", local_authority="wolverhampton")
    b = OrganisationFactory(name="Beta Works", slug="beta", local_authority="dudley")
    r1 = resident(
        a,
        "2026-03-05",
        gender="woman",
        date_of_birth=dt.date(1990, 6, 1),
        ethnicity="white_british",
        disability="no",
        employment_status="unemployed",
        low_income="yes",
        local_authority="wolverhampton",
        eds_foundation="with_help",
        eds_communicating="independent",
    )
    r2 = resident(
        a, "2026-03-10", gender="man", date_of_birth=dt.date(1950, 1, 1), ethnicity="asian_indian", local_authority=""
    )
    r3 = resident(a, "2026-02-10", gender="woman", date_of_birth=None, age_band="25_34", local_authority="dudley")
    r4 = resident(b, "2026-03-20", gender="", date_of_birth=dt.date(2000, 1, 1), local_authority="dudley")

    d1, d3 = device(a, "on_loan", asset_tag="A-1"), device(a, "on_loan", asset_tag="A-3")
    d2 = device(a, "awaiting_check", asset_tag="A-2", needs_wipe=True)
    d4 = device(b, "lost", asset_tag="B-4", needs_wipe=True)
    d5 = device(a, "retired", asset_tag="A-5")
    DeviceEvent.objects.create(
        device=d5,
        action="retire",
        from_status="ready",
        to_status="retired",
        organisation=a,
        occurred_at=at("2026-05-01"),
    )
    loan(d1, r1, "2026-03-06", "2026-04-03")
    loan(d2, r2, "2026-02-01", "2026-03-01", closed="2026-03-15", outcome="returned", returned="2026-03-15")
    loan(d3, r3, "2026-03-02", "2026-03-20")
    loan(d4, r4, "2026-03-21", "2026-04-18", closed="2026-03-28", outcome="lost")

    batch_a = VoucherBatchFactory(organisation=a, kind="data_code", data_allowance_gb=20)
    batch_b = VoucherBatchFactory(organisation=b, kind="sim_card", data_allowance_gb=10)
    VoucherFactory(
        batch=batch_a, status="activated", resident=r1, issued_at=at("2026-03-07"), activated_at=at("2026-03-08")
    )
    VoucherFactory(batch=batch_a, status="failed", resident=r2, issued_at=at("2026-03-09"), failed_at=at("2026-03-10"))
    VoucherFactory(batch=batch_b, status="issued", resident=r4, issued_at=at("2026-03-22"))
    VoucherFactory(batch=batch_a, status="expired", expired_at=at("2026-03-31", 23))
    VoucherFactory(batch=batch_a)  # still available: in no figure

    r1_course = referral(
        r1,
        a,
        b,
        "skills",
        "2026-03-03",
        "2026-03-10",
        status="completed",
        confidence_before=2,
        responded_at=at("2026-03-05"),
        accepted_at=at("2026-03-05"),
        started_at=at("2026-03-12"),
        finished_at=at("2026-03-25"),
    )
    referral(
        r4,
        b,
        a,
        "device",
        "2026-03-21",
        "2026-03-28",
        status="declined",
        decline_reason="no_capacity",
        responded_at=at("2026-03-22"),
        declined_at=at("2026-03-22"),
    )
    referral(r2, a, b, "connectivity", "2026-03-20", "2026-03-27")
    Outcome.objects.create(
        referral=r1_course,
        stage="completion",
        eds_foundation="independent",
        eds_communicating="independent",
        confidence=4,
        got_online_independently=True,
        found_work=True,
        organisation=b,
        recorded_at=at("2026-03-25"),
    )
    return {"a": a, "b": b, "residents": (r1, r2, r3, r4), "devices": (d1, d2, d3, d4, d5)}
