"""manage.py build_region: the small size, checked for its counts, its skew and its integrity."""

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from devices.models import Device, Loan, Voucher
from inclusion import access
from inclusion.models import CaseEvent, Membership, Organisation, Resident
from inclusion.region import SIZES, shares
from inclusion.selectors import resident_search
from inclusion.validators import name_part_key, name_search_key

SMALL = SIZES["small"]


@pytest.fixture
def region(db):
    call_command("build_region", size="small", stdout=open("/dev/null", "w"))
    return Organisation.objects.filter(slug__startswith="region-").order_by("slug")


def test_small_region_has_the_sizes_it_promises(region):
    assert region.count() == SMALL.organisations
    assert Membership.objects.filter(organisation__in=region).count() == SMALL.organisations
    assert Resident.objects.count() == SMALL.residents
    assert CaseEvent.objects.count() == SMALL.timeline_entries
    assert CaseEvent.objects.filter(kind="registered").count() == SMALL.residents
    assert Device.objects.count() == SMALL.devices
    assert Loan.objects.count() == SMALL.loans
    assert Loan.objects.filter(closed_at__isnull=True).count() == SMALL.open_loans
    overdue = Loan.objects.filter(closed_at__isnull=True, due_on__lt=timezone.localdate())
    assert overdue.count() == SMALL.overdue_loans
    assert Voucher.objects.count() == SMALL.vouchers


def test_small_region_is_skewed_like_the_real_one(region):
    counts = [Resident.objects.filter(owning_organisation=org).count() for org in region]
    assert counts == shares(SMALL.residents, SMALL.organisations, SMALL.largest_share)
    assert counts[0] == max(counts)
    smiths = Resident.objects.filter(last_name="Smith").count()
    assert smiths > 3 * Resident.objects.filter(last_name="Ward").count()
    # Some open loans go to another organisation's residents: that is what shares a resident.
    shared = Loan.objects.filter(closed_at__isnull=True).exclude(resident__owning_organisation=F("organisation"))
    assert shared.exists()


def test_small_region_holds_the_databases_rules(region):
    # A device is on loan exactly when it has an open loan, and a loan's device belongs to the lender.
    on_loan = set(Device.objects.filter(status="on_loan").values_list("pk", flat=True))
    assert on_loan == set(Loan.objects.filter(closed_at__isnull=True).values_list("device_id", flat=True))
    assert not Loan.objects.exclude(device__owning_organisation=F("organisation")).exists()
    assert not Loan.objects.filter(due_on__lt=F("started_on")).exists()
    # Issued vouchers go to the batch organisation's own residents.
    issued = Voucher.objects.filter(status="issued")
    assert issued.count() == SMALL.vouchers // 3
    assert not issued.exclude(resident__owning_organisation=F("batch__organisation")).exists()
    # Timeline entries are written by the resident's own organisation.
    assert not CaseEvent.objects.exclude(organisation=F("resident__owning_organisation")).exists()


def test_small_region_residents_are_found_as_the_services_would_store_them(region):
    for resident in Resident.objects.order_by("id")[:200]:
        assert resident.last_name_key == name_search_key(resident.last_name)
        assert resident.first_name_key == name_search_key(resident.first_name)
        assert resident.last_name_part_key == name_part_key(resident.last_name)
        assert resident.postcode_key == resident.postcode.upper()
        resident.full_clean(exclude=["registered_by"])
    largest = region.first()
    found = list(resident_search(organisation=largest, query="smi"))
    assert found and all(r.last_name_key.startswith("smi") or r.first_name_key.startswith("smi") for r in found)
    shared = Loan.objects.filter(closed_at__isnull=True, organisation=largest).exclude(
        resident__owning_organisation=largest
    )
    visible = access.VisibleResidents(largest)
    assert visible.count(cap=SMALL.residents)[0] == (
        Resident.objects.filter(owning_organisation=largest).count() + shared.values("resident_id").distinct().count()
    )


def test_a_second_region_in_the_same_database_is_refused(region):
    with pytest.raises(CommandError, match="already has a region"):
        call_command("build_region", size="small")
