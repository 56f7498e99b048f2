"""A past month's impact report gives the same figures after its residents are anonymised (inclusion/privacy/
erasure.py keeps what the reports count: the records, their links, local authority, age band, equality answers,
outcomes and dates)."""

import pytest

from inclusion import choices
from inclusion.actors import Actor
from inclusion.models import Resident
from inclusion.privacy.erasure import resident_erase
from inclusion.reports.build import report_build

from ..factories import MembershipFactory
from .conftest import MARCH, at

pytestmark = pytest.mark.django_db


def reports(world) -> list[dict]:
    cut_off = at("2026-04-02")
    return [
        report_build(start=MARCH[0], end=MARCH[1], cut_off=cut_off),
        report_build(start=MARCH[0], end=MARCH[1], organisation=world["a"], viewer=world["a"], cut_off=cut_off),
        report_build(start=MARCH[0], end=MARCH[1], organisation=world["b"], viewer=world["b"], cut_off=cut_off),
        report_build(start=MARCH[0], end=MARCH[1], local_authority="dudley", cut_off=cut_off),
    ]


def test_a_past_months_reports_add_up_the_same_after_every_resident_is_anonymised(world):
    before = reports(world)
    assert before[1]["sections"][0]["metrics"]  # (a real report, with figures)
    for resident in world["residents"]:
        owner = resident.owning_organisation
        actor = Actor.for_membership(MembershipFactory(organisation=owner, role=choices.Role.COORDINATOR))
        resident_erase(actor=actor, resident=resident, reason="Retention period ended")
    assert set(Resident.objects.values_list("first_name", flat=True)) == {"Anonymised"}
    assert Resident.objects.filter(date_of_birth__isnull=False).count() == 0
    assert reports(world) == before
