"""Reads of devices: finding the device a person typed or scanned (devices.selectors.device_find_typed), the
one place a typed tag is forgiven, and asset_tag_normalise, the one place a tag is put in its stored form."""

import pytest
from django.urls import reverse

from devices import services
from devices.models import asset_tag_normalise
from devices.selectors import device_find_typed, device_get, loans_for_resident
from devices.vouchers.selectors import vouchers_for_resident
from devices.vouchers.services import voucher_issue

from .factories import DeviceFactory
from .vouchers.factories import VoucherFactory

pytestmark = pytest.mark.django_db


def test_normalise_upper_cases_and_tidies_spaces():
    assert asset_tag_normalise("  lap   0001 ") == "LAP 0001"
    assert asset_tag_normalise(None) == "" and asset_tag_normalise("   ") == ""


@pytest.mark.parametrize("typed", ["DI-000006", "di-000006 ", "di 000006", "DI000006", "di_000006", "DI.000006",
                                   "000006", "6", "0006", "di 6"])  # fmt: skip
def test_a_typed_tag_is_forgiven_case_separators_and_all_but_the_number(org_a, typed):
    device = DeviceFactory(owning_organisation=org_a, asset_tag="DI-000006")
    DeviceFactory(owning_organisation=org_a, asset_tag="DI-000060")
    DeviceFactory(owning_organisation=org_a, asset_tag="DI-000016")
    assert device_find_typed(organisation=org_a, typed=typed) == device


def test_the_exact_tag_wins_over_a_forgiven_match(org_a):
    spaced = DeviceFactory(owning_organisation=org_a, asset_tag="LAP 1")
    hyphened = DeviceFactory(owning_organisation=org_a, asset_tag="LAP-1")
    assert device_find_typed(organisation=org_a, typed="lap 1") == spaced
    assert device_find_typed(organisation=org_a, typed="lap-1") == hyphened


def test_what_could_mean_two_devices_finds_neither(org_a):
    DeviceFactory(owning_organisation=org_a, asset_tag="LAP-0007")
    DeviceFactory(owning_organisation=org_a, asset_tag="TAB-0007")
    DeviceFactory(owning_organisation=org_a, asset_tag="LAP 1")
    DeviceFactory(owning_organisation=org_a, asset_tag="LAP-1")
    assert device_find_typed(organisation=org_a, typed="7") is None
    assert device_find_typed(organisation=org_a, typed="LAP1") is None
    assert device_find_typed(organisation=org_a, typed="tab 7") is not None  # letters and the number: one device


def test_only_the_organisations_own_stock_is_searched(org_a, org_b):
    DeviceFactory(owning_organisation=org_b, asset_tag="DI-000006")
    for typed in ("DI-000006", "di 000006", "6"):
        assert device_find_typed(organisation=org_a, typed=typed) is None
    assert (
        device_find_typed(organisation=org_a, typed="") is None
        and device_find_typed(organisation=org_a, typed="-") is None
    )


def test_a_machine_sent_tag_is_exact(org_a):
    DeviceFactory(owning_organisation=org_a, asset_tag="DI-000006")
    assert device_get(organisation=org_a, asset_tag=" di-000006") is not None
    assert device_get(organisation=org_a, asset_tag="6") is None  # /devices/stock/6/ is not DI-000006's page


def test_the_stock_search_and_lending_use_the_forgiving_finder(client_a, org_a, resident_a):
    DeviceFactory(owning_organisation=org_a, asset_tag="DI-000006")
    response = client_a.get(reverse("devices:device-list"), {"q": "di 000006"})
    assert response.status_code == 302 and response.url == reverse("devices:device-detail", args=["DI-000006"])


def test_the_owner_sees_all_of_a_residents_loans_and_vouchers_others_their_own(actor_a, actor_b, org_a, org_b,
                                                                               resident_a, sharing):  # fmt: skip
    """resident_records_visible, the one home of this rule, for loans and vouchers alike."""
    ours = services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a), resident=resident_a,
                                agreement_method="signed_paper")  # fmt: skip
    sharing.share(resident_a, org_b)
    theirs = services.loan_create(actor=actor_b, device=DeviceFactory(owning_organisation=org_b), resident=resident_a,
                                  agreement_method="signed_paper")  # fmt: skip
    our_voucher = VoucherFactory(batch__organisation=org_a)
    their_voucher = VoucherFactory(batch__organisation=org_b)
    our_voucher = voucher_issue(actor=actor_a, resident=resident_a, kind=our_voucher.batch.kind)
    their_voucher = voucher_issue(actor=actor_b, resident=resident_a, kind=their_voucher.batch.kind)
    assert set(loans_for_resident(organisation=org_a, resident=resident_a)) == {ours, theirs}
    assert set(loans_for_resident(organisation=org_b, resident=resident_a)) == {theirs}
    assert set(vouchers_for_resident(organisation=org_a, resident=resident_a)) == {our_voucher, their_voucher}
    assert set(vouchers_for_resident(organisation=org_b, resident=resident_a)) == {their_voucher}
