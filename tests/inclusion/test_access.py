"""The access rule: own residents, plus those a registered link shares."""

import pytest
from django.http import Http404

from inclusion import access, registry
from inclusion.models import Resident

from ..factories import ResidentFactory

pytestmark = pytest.mark.django_db


def test_an_organisation_sees_only_its_own_residents(org_a, org_b):
    mine = ResidentFactory(owning_organisation=org_a)
    theirs = ResidentFactory(owning_organisation=org_b)
    assert list(access.residents_visible_to(org_a)) == [mine]
    assert access.resident_get_visible(org_a, mine.pk) == mine
    with pytest.raises(Http404):
        access.resident_get_visible(org_a, theirs.pk)
    with pytest.raises(Http404):
        access.resident_get_visible(org_a, "not-a-uuid")


def test_a_registered_link_shares_a_resident_while_it_lasts(org_a, org_b):
    shared = ResidentFactory(owning_organisation=org_b)
    ResidentFactory(owning_organisation=org_b)
    linked = {shared.pk}
    registry.register_resident_link("test link", lambda organisation: Resident.objects.filter(
        pk__in=linked if organisation == org_a else []).values("pk"))  # fmt: skip
    try:
        assert list(access.residents_visible_to(org_a)) == [shared]
        linked.clear()  # the loan is returned, the referral closed...
        assert list(access.residents_visible_to(org_a)) == []
    finally:
        registry.unregister_resident_link("test link")


def test_viewers_never_see_residents(staff_a):
    assert access.membership_can(staff_a, access.Capability.SEE_RESIDENTS)
    staff_a.role = "viewer"
    assert not access.membership_can(staff_a, access.Capability.SEE_RESIDENTS)
    staff_a.role = "frontline"
    staff_a.active = False
    assert not access.membership_can(staff_a, access.Capability.SEE_RESIDENTS)


@pytest.mark.parametrize(
    ("role", "can"),
    [
        ("frontline", {"see_residents", "lend"}),
        ("coordinator", {"see_residents", "lend", "manage_stock", "manage_referrals", "see_reports", "oversee"}),
        ("viewer", {"see_reports"}),
        ("administrator", {c.value for c in access.Capability}),
    ],
)
def test_each_role_has_exactly_its_capabilities(staff_a, role, can):
    staff_a.role = role
    assert {c.value for c in access.Capability if access.membership_can(staff_a, c)} == can
    staff_a.active = False
    assert not any(access.membership_can(staff_a, c) for c in access.Capability)
