"""Things staff need to find or do on the devices pages: the export and labels from the stock list (of what
is filtered), ready devices to pick when lending, work waiting on the coordinator's home page, and pages that
say what they show."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from devices import services
from inclusion import choices

from ..factories import MembershipFactory
from .factories import DeviceFactory

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def coord(org_a):
    client = Client()
    client.force_login(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR).user)
    return client


def test_stock_list_links_to_the_export_and_labels_of_what_is_filtered(coord, org_a):
    DeviceFactory(owning_organisation=org_a, status="ready", kind="laptop", location="Store")
    content = coord.get(reverse("devices:device-list"), {"status": "ready", "kind": "laptop"}).content.decode()
    for name in ("device-export-csv", "device-export-xlsx", "device-labels"):
        assert f'href="{reverse(f"devices:{name}")}?status=ready&amp;kind=laptop"' in content, name
    unfiltered = coord.get(reverse("devices:device-list")).content.decode()
    assert f'href="{reverse("devices:device-export-csv")}"' in unfiltered


def test_frontline_staff_see_no_export_or_labels_links(client_a, org_a):
    DeviceFactory(owning_organisation=org_a)
    content = client_a.get(reverse("devices:device-list")).content.decode()
    assert reverse("devices:device-export-csv") not in content and reverse("devices:device-labels") not in content


def test_lending_offers_the_organisations_ready_devices_by_kind(client_a, org_a, org_b, resident_a):
    DeviceFactory(owning_organisation=org_a, asset_tag="LAP-1", kind="laptop", make="Lenovo", model="T480")
    DeviceFactory(owning_organisation=org_a, asset_tag="TAB-1", kind="tablet", make="Samsung", model="Tab A8")
    DeviceFactory(owning_organisation=org_a, asset_tag="LAP-2", kind="laptop", status="received")
    DeviceFactory(owning_organisation=org_b, asset_tag="LAP-B", kind="laptop")
    url = reverse("devices:loan-create", args=[resident_a.pk])
    page = client_a.get(url)
    content = page.content.decode()
    assert "Or choose one of your 2 ready devices" in _text(page)
    laptops, tablets = content.index(">Laptop</h3>"), content.index(">Tablet</h3>")
    assert laptops < content.index(f'href="{url}?tag=LAP-1"') < tablets < content.index(f'href="{url}?tag=TAB-1"')
    assert "LAP-2" not in content and "LAP-B" not in content

    chosen = client_a.get(url, {"tag": "TAB-1"})
    assert chosen.context["form"]["asset_tag"].value() == "TAB-1"


def test_coordinators_home_shows_devices_waiting_for_a_wipe_or_a_check(coord, client_a, org_a, actor_a, resident_a):
    DeviceFactory(owning_organisation=org_a, status="received")
    DeviceFactory(owning_organisation=org_a, status="received")
    lent = DeviceFactory(owning_organisation=org_a)
    loan = services.loan_create(actor=actor_a, device=lent, resident=resident_a, agreement_method="on_screen")
    services.loan_return(actor=actor_a, loan=loan, condition="good", accessories_returned=["charger"])
    home = _text(coord.get(reverse("home")))
    assert "2 waiting for a wipe" in home and "1 returned, waiting to be checked" in home
    content = coord.get(reverse("home")).content.decode()
    assert f'href="{reverse("devices:device-list")}?status=received"' in content
    assert f'href="{reverse("devices:device-list")}?status=awaiting_check"' in content
    assert "waiting for a wipe" not in _text(client_a.get(reverse("home")))  # frontline staff do not wipe


def test_resident_page_titles_its_loans_for_what_they_are(client_a, actor_a, org_a, resident_a):
    device = DeviceFactory(owning_organisation=org_a)
    loan = services.loan_create(actor=actor_a, device=device, resident=resident_a, agreement_method="on_screen")
    services.loan_return(actor=actor_a, loan=loan, condition="good")
    content = client_a.get(reverse("resident-detail", args=[resident_a.pk])).content.decode()
    assert "Devices on loan" not in content and '<h2 class="govuk-heading-m" id="devices">Device loans</h2>' in content


def test_status_page_says_the_current_status_plainly(coord, org_a):
    device = DeviceFactory(owning_organisation=org_a, status="awaiting_check")
    page = _text(coord.get(reverse("devices:device-status", args=[device.asset_tag])))
    assert "Its status now: Returned, awaiting check" in page and "It is Returned" not in page
