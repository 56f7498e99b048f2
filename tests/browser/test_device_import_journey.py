"""The stock import in a real browser, through the upload → preview → confirm flow every import shares
(inclusion/imports.py): a file with problems lists each by line and imports nothing; a good one is previewed, then
imported, and the new devices are on the stock list.

Every page is screenshotted into artifacts/screenshots/42-...png and checked with axe-core (WCAG 2.2 A and AA),
for our house style and for JavaScript errors.
"""

import re

import pytest
from playwright.sync_api import expect

from devices.models import Device, DeviceEvent
from inclusion import choices

from ..devices.factories import DeviceFactory
from ..factories import MembershipFactory, OrganisationFactory
from .test_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADINGS = "asset_tag,kind,make,model,accessories,condition\n"


def test_coordinator_imports_stock_from_a_spreadsheet(page, checks):
    works = OrganisationFactory(name="Black Country Works", slug="bcw", kind=choices.OrganisationKind.CHARITY)
    coordinator = MembershipFactory(organisation=works, role=choices.Role.COORDINATOR, user__full_name="Cat Ordinator")
    DeviceFactory(owning_organisation=works, asset_tag="LAP-0001")
    sign_in(page, coordinator.user)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Devices").click()
    page.get_by_role("link", name="Import from a spreadsheet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import devices")
    page.get_by_text("What columns the file needs").click()
    expect(page.get_by_role("table", name="Columns")).to_contain_text("Separated by semicolons (;)")
    checks("42-01-device-import")

    upload = page.get_by_label("Upload a file")
    bad = (
        HEADINGS
        + "LAP-0001,Laptop,Lenovo,T480,charger,Good\nLAP-0002,Desktop,Dell,,,\n,Tablet,Samsung,Tab A8,case;jetpack,\n"
    )
    upload.set_input_files(files=[{"name": "stock.csv", "mimeType": "text/csv", "buffer": bad.encode()}])
    page.get_by_role("button", name="Check the file").click()
    expect(page).to_have_title(re.compile("^Error: Fix the problems in stock.csv"))
    problems = page.get_by_role("table", name="3 problems")
    expect(problems.get_by_role("row")).to_have_count(4)
    expect(problems).to_contain_text("Asset tag LAP-0001 is already in use")
    expect(problems).to_contain_text("“Desktop” is not a kind of device")
    expect(problems).to_contain_text("“jetpack” is not an accessory we know")
    expect(page.get_by_text("Correct the 3 rows below")).to_be_visible()
    checks("42-02-device-import-problems")
    assert Device.objects.filter(owning_organisation=works).count() == 1

    page.get_by_role("link", name="Upload a corrected file").click()
    good = HEADINGS + "di 7,laptop,Lenovo,T480,charger;case,as new\n,Tablet,Samsung,Tab A8,,\n"
    page.get_by_label("Upload a file").set_input_files(
        files=[{"name": "stock.csv", "mimeType": "text/csv", "buffer": good.encode()}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the devices before you import them")
    expect(page.get_by_text("1 without an asset tag will be given one (BCW-…)")).to_be_visible()
    expect(page.get_by_role("table", name="Devices in the file")).to_contain_text("DI 7")
    checks("42-03-device-import-preview")

    page.get_by_role("button", name="Import 2 devices").click()
    expect(page.get_by_role("alert")).to_contain_text("2 devices imported from stock.csv.")
    checks("42-04-device-import-done")
    imported = Device.objects.filter(owning_organisation=works).exclude(asset_tag="LAP-0001")
    assert sorted(device.asset_tag[:4] for device in imported) == ["BCW-", "DI 7"]
    assert DeviceEvent.objects.filter(device__in=imported, action="receive").count() == 2
    expect(page.get_by_role("link", name="DI 7")).to_be_visible()  # on the stock list, newly received first
    checks.assert_all_clean()
