"""Devices and loans in a real browser: lend a device by typing (or scanning) its tag, see it on the resident's
page, take it back; and a coordinator's stock pages.

Every page visited is screenshotted into artifacts/screenshots/40-NN-... and checked with axe-core (WCAG 2.2 A and
AA), for our house style and for JavaScript errors.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from devices import services
from devices.models import Device, Loan
from inclusion import choices
from inclusion.actors import Actor

from ..devices.factories import DeviceFactory
from ..factories import MembershipFactory, OrganisationFactory, ResidentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # what UserFactory sets


@pytest.fixture
def world():
    """Alpha Council with a frontline worker, a coordinator, two residents, some stock and an overdue loan."""
    alpha = OrganisationFactory(name="Alpha Council", slug="alpha", kind=choices.OrganisationKind.COUNCIL)
    frontline = MembershipFactory(organisation=alpha, role=choices.Role.FRONTLINE, user__full_name="Sam Worker")
    coordinator = MembershipFactory(organisation=alpha, role=choices.Role.COORDINATOR, user__full_name="Cat Lead")
    margaret = ResidentFactory(owning_organisation=alpha, first_name="Margaret", last_name="Oduya", postcode="WV1 1AA",
                               date_of_birth=datetime.date(1948, 5, 17))  # fmt: skip
    peter = ResidentFactory(owning_organisation=alpha, first_name="Peter", last_name="Okafor", postcode="WV2 4BT")
    DeviceFactory(owning_organisation=alpha, asset_tag="LAP-001", make="Lenovo", model="ThinkPad T480",
                  accessories=["charger", "case"], location="Central Library")  # fmt: skip
    DeviceFactory(owning_organisation=alpha, asset_tag="TAB-002", kind="tablet", make="Samsung", model="Galaxy Tab A8",
                  accessories=["charger"], location="Civic Centre")  # fmt: skip
    DeviceFactory(owning_organisation=alpha, asset_tag="CHR-003", kind="chromebook", make="Acer", model="Chromebook 314",
                  status="received", location="Civic Centre")  # fmt: skip
    DeviceFactory(
        owning_organisation=alpha, asset_tag="LAP-004", make="Dell", model="Latitude 5490", status="in_repair"
    )
    overdue = DeviceFactory(owning_organisation=alpha, asset_tag="TAB-005", kind="tablet", make="Apple", model="iPad 9")
    today = timezone.localdate()
    services.loan_create(actor=Actor.for_membership(frontline), device=overdue, resident=peter,
                         agreement_method="on_screen", started_on=today - datetime.timedelta(days=30),
                         due_on=today - datetime.timedelta(days=3))  # fmt: skip
    return {"frontline": frontline, "coordinator": coordinator, "margaret": margaret}


def sign_in(page, user):
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(re.compile("^Home"))


def nav(page, name):
    page.get_by_role("navigation", name="Menu").get_by_role("link", name=name, exact=True).click()


def test_lend_a_device_by_its_tag_and_take_it_back(page, checks, world):
    margaret = world["margaret"]
    sign_in(page, world["frontline"].user)
    loans = page.get_by_role("heading", name="Loans", exact=True).locator("xpath=following-sibling::div[1]")
    expect(loans).to_contain_text("1 overdue")
    expect(loans).to_contain_text("0 due back this week")
    checks("40-01-home-loan-figures")

    # Find the resident, then lend from their page.
    nav(page, "Find a resident")
    page.get_by_label("Name, postcode or phone number").fill("oduya")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Margaret Oduya").click()
    expect(page.get_by_role("heading", name="Device loans")).to_be_visible()
    expect(page.get_by_text("No devices lent yet.")).to_be_visible()
    page.get_by_role("button", name="Lend a device").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lend a device")
    expect(page).to_have_title(re.compile("^Lend a device to Margaret Oduya"))
    tag = page.get_by_label("Asset tag")
    expect(tag).to_be_focused()  # ready for the scanner
    expect(tag).to_have_attribute("autocomplete", "off")
    expect(page.get_by_text("They have accepted the loan agreement (terms version 2026-01)")).to_be_visible()
    checks("40-02-lend-form")

    # Nothing filled in: every error in the summary and at its field.
    page.get_by_role("button", name="Lend device").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    for message in ("Enter the asset tag, or scan its barcode", "Choose how they accepted the loan agreement",
                    "Confirm that they have accepted the loan agreement"):  # fmt: skip
        expect(summary.get_by_role("link", name=message)).to_be_visible()
    summary.get_by_role("link", name="Choose how they accepted the loan agreement").click()
    expect(page.get_by_label("Signed paper agreement")).to_be_focused()  # the link reaches the first radio
    expect(page.get_by_label("Asset tag")).to_have_attribute("aria-invalid", "true")
    checks("40-03-lend-errors")

    # Type the tag as a scanner would: lower case, then Enter. With the rest not filled in, Enter moves on to the
    # next question rather than sending a half-filled form.
    page.evaluate("window.stillHere = true")
    page.get_by_label("Asset tag").fill("lap-001")
    page.get_by_label("Asset tag").press("Enter")
    expect(page.get_by_label("Signed paper agreement")).to_be_focused()
    assert page.evaluate("window.stillHere === true"), "Enter in the tag sent the half-filled form"

    # A verbal agreement needs a witness.
    page.get_by_label("Verbal, with a witness").check()
    page.get_by_label("They have accepted the loan agreement (terms version 2026-01)").check()
    page.get_by_role("button", name="Lend device").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the name of the witness to a verbal agreement")
    expect(page.get_by_label("Asset tag")).to_have_value("lap-001")  # what they typed is kept
    expect(page.get_by_label("Verbal, with a witness")).to_be_checked()
    checks("40-04-lend-witness-error")
    assert not Loan.objects.filter(resident=margaret).exists()

    # Signed paper after all; with everything filled in, Enter in the tag (the scanner) sends the form.
    page.get_by_label("Signed paper agreement").check()
    expect(page.get_by_label("They have accepted the loan agreement (terms version 2026-01)")).to_be_checked()
    page.get_by_label("Asset tag").press("Enter")

    # The resident's page shows the loan.
    expect(page.get_by_role("heading", level=1)).to_have_text("Margaret Oduya")
    loan = Loan.objects.get(resident=margaret)
    expect(page.get_by_role("alert")).to_contain_text(
        f"Lenovo ThinkPad T480 (LAP-001) is lent to Margaret Oduya, due back {loan.due_on:%-d %B %Y}."
    )
    on_loan = page.get_by_role("table", name="Devices lent to Margaret Oduya")
    expect(on_loan).to_contain_text("LAP-001")
    expect(on_loan).to_contain_text("On loan")
    expect(page.locator(".app-timeline__item").first.get_by_role("heading")).to_have_text("Device lent")
    checks("40-05-resident-with-loan")

    # The loan, then the return.
    on_loan.get_by_role("link", name="LAP-001").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Loan of LAP-001")
    expect(page.get_by_text("Signed paper agreement")).to_be_visible()
    checks("40-06-loan")
    page.get_by_role("button", name="Record a return").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a return")
    checks("40-07-return-form")
    page.get_by_role("button", name="Record the return").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Choose what condition it came back in")
    checks("40-08-return-errors")
    page.get_by_label("Good", exact=True).check()
    page.get_by_label("Charger").check()
    page.get_by_label("Notes (optional)").fill("Case left at home; bringing it in on Friday.")
    page.get_by_role("button", name="Record the return").click()

    # The device's page: returned, awaiting check, with what came back.
    expect(page.get_by_role("heading", level=1)).to_have_text("LAP-001: Lenovo ThinkPad T480")
    expect(page.get_by_role("alert")).to_contain_text("LAP-001 is back.")
    expect(page.get_by_role("alert")).to_contain_text("Missing: case.")
    expect(page.locator(".govuk-tag").first).to_have_text("Returned, awaiting check")
    latest = page.locator(".app-timeline__item").first
    expect(latest.get_by_role("heading")).to_have_text("Returned")
    expect(latest).to_contain_text("On loan → Returned, awaiting check")
    expect(latest).to_contain_text("Came back without: case")
    expect(latest).to_contain_text("Sam Worker, Alpha Council")
    assert Device.objects.get(asset_tag="LAP-001").status == "awaiting_check"
    checks("40-09-device-awaiting-check")

    # The loans page and the stock, as frontline staff see them.
    nav(page, "Loans")
    expect(page.get_by_role("table", name=re.compile("^Overdue"))).to_contain_text("TAB-005")
    expect(page.get_by_role("table", name=re.compile("^Overdue"))).to_contain_text("3 days overdue")
    checks("40-10-loans")
    page.get_by_role("link", name="Closed").click()
    expect(page.get_by_role("table")).to_contain_text("LAP-001")
    checks("40-11-loans-closed")
    nav(page, "Devices")
    expect(page.get_by_role("heading", level=1)).to_have_text("Devices")
    expect(page.get_by_role("button", name="Add a device")).to_have_count(0)
    checks("40-12-devices-frontline")
    page.get_by_label("Asset tag or serial number").fill("tab-002")
    page.get_by_role("button", name="Show devices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("TAB-002: Samsung Galaxy Tab A8")

    # Lend this device, from its page: find the resident, then the form with the tag filled in.
    page.get_by_role("button", name="Lend this device").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who is it for?")
    page.get_by_label("Find the resident by name, postcode or phone number").fill("okafor")
    page.get_by_role("button", name="Search").click()
    checks("40-13-lend-this-device-search")
    page.get_by_role("link", name=re.compile(r"^Peter Okafor\W+lend TAB-002 to them$")).click()
    expect(page.get_by_label("Asset tag")).to_have_value("TAB-002")
    checks("40-14-lend-form-tag-filled")

    # On a phone, where scanning happens.
    page.set_viewport_size({"width": 375, "height": 740})
    checks("40-15-phone-lend-form")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Stock management is for coordinators.
    page.goto("/devices/add/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot see this page")
    checks("40-16-stock-only")
    # Chromium logs the 403 it was meant to get as a console error; that one is expected.
    checks.script_errors = [error for error in checks.script_errors if "status of 403 (Forbidden)" not in error]

    checks.assert_all_clean()


def test_coordinator_manages_stock_and_policy(page, checks, world):
    sign_in(page, world["coordinator"].user)
    nav(page, "Devices")
    checks("40-17-devices")
    page.get_by_label("Status").select_option(label="Received")
    page.get_by_role("button", name="Show devices").click()
    found = page.get_by_role("table", name=re.compile(r"^\d+ devices? found"))
    expect(found).to_contain_text("CHR-003")
    expect(found).not_to_contain_text("LAP-001")
    checks("40-18-devices-filtered")

    # Add a device: the errors first.
    page.get_by_role("button", name="Add a device").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a device")
    checks("40-19-add-device")
    page.get_by_role("button", name="Add the device").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Choose what kind of device it is")
    summary.get_by_role("link", name="Choose what kind of device it is").click()
    expect(page.get_by_label("Laptop", exact=True)).to_be_focused()
    checks("40-20-add-device-errors")
    page.get_by_label("Asset tag (optional)").fill("lap-777")
    page.get_by_label("Laptop", exact=True).check()
    page.get_by_label("Make (optional)").fill("HP")
    page.get_by_label("Model (optional)").fill("EliteBook 840")
    page.get_by_label("Charger").check()
    page.get_by_role("group", name="What condition is it in?").get_by_label("Good", exact=True).check()
    page.get_by_label("Where is it kept? (optional)").fill("Civic Centre")
    page.get_by_role("button", name="Add the device").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("LAP-777: HP EliteBook 840")
    expect(page.get_by_role("alert")).to_contain_text("LAP-777 is added to your stock.")
    checks("40-21-device-received")

    # Edit it.
    page.get_by_role("link", name="Edit the details of LAP-777").click()
    expect(page.get_by_label("Model (optional)")).to_have_value("EliteBook 840")
    checks("40-22-edit-device")
    page.get_by_label("Serial number (optional)").fill("5CG1234XYZ")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert")).to_contain_text("The details of LAP-777 are saved.")

    # Record a wipe: a date that does not exist first.
    page.get_by_role("button", name="Record a wipe").click()
    checks("40-23-wipe-form")
    page.get_by_label("NIST 800-88 Purge (secure erase)").check()
    group = page.get_by_role("group", name=re.compile("^When was it wiped"))
    group.get_by_label("Day").fill("31")
    group.get_by_label("Month").fill("2")
    group.get_by_label("Year").fill("2026")
    page.get_by_label("Who carried out the wipe?").fill("R. Patel")
    page.get_by_role("button", name="Record the wipe").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Date of the wipe must be a real date")
    summary.get_by_role("link", name="Date of the wipe must be a real date").click()
    expect(group.get_by_label("Day")).to_be_focused()
    checks("40-24-wipe-errors")
    today = timezone.localdate()
    group.get_by_label("Day").fill(str(today.day))
    group.get_by_label("Month").fill(str(today.month))
    group.get_by_label("Year").fill(str(today.year))
    page.get_by_label("Certificate reference (optional)").fill("BL-2026-0042")
    page.get_by_role("button", name="Record the wipe").click()
    expect(page.get_by_role("alert")).to_contain_text("Wipe recorded.")
    expect(page.get_by_role("table", name="Data wipes")).to_contain_text("BL-2026-0042")

    # Mark it ready.
    page.get_by_role("button", name="Mark ready to lend").click()
    expect(page.get_by_label("Mark ready to lend")).to_be_checked()
    checks("40-25-status-form")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("alert")).to_contain_text("LAP-777 is now ready to lend.")
    expect(page.get_by_role("button", name="Lend this device")).to_be_visible()
    checks("40-26-device-ready")

    # The overdue loan: extend, report lost and gift pages.
    nav(page, "Loans")
    page.get_by_role("link", name="TAB-005 loan").click()
    checks("40-27-loan-overdue")
    page.get_by_role("button", name="Extend the loan").click()
    checks("40-28-extend-form")
    page.get_by_role("button", name="Extend the loan").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why the loan needs extending")
    checks("40-29-extend-errors")
    page.get_by_label("Why does it need extending?").fill("Still on the skills course")
    page.get_by_role("button", name="Extend the loan").click()
    expect(page.get_by_role("alert")).to_contain_text("Loan extended")
    page.get_by_role("button", name="Report lost or stolen").click()
    page.get_by_label("Yes").check()
    page.get_by_label("Police crime reference (optional)").fill("WM-2026-1234")
    checks("40-30-report-lost-form")
    page.get_by_role("link", name="Back to the loan").click()
    page.get_by_role("button", name="Give it to them to keep").click()
    page.get_by_role("button", name="Give it to them").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Confirm that they are keeping the device")
    checks("40-31-gift-errors")

    # The loan policy.
    page.goto("/devices/policy/")
    checks("40-32-policy")
    page.set_viewport_size({"width": 375, "height": 800})
    checks("40-32-policy-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("How many days is a loan?").fill("400")
    page.get_by_label("How many days back can a loan's start date be?").fill("400")
    page.get_by_role("button", name="Save the policy").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Loan length must be a whole number between 1 and 365")
    expect(summary).to_contain_text("Days back must be a whole number between 0 and 365")
    checks("40-33-policy-errors")
    page.set_viewport_size({"width": 375, "height": 800})
    checks("40-33-policy-errors-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("How many days is a loan?").fill("42")
    page.get_by_label("How many days back can a loan's start date be?").fill("14")
    page.get_by_role("button", name="Save the policy").click()
    expect(page.get_by_role("alert")).to_contain_text("The loan policy is saved.")

    checks.assert_all_clean()


def test_a_returned_device_is_wiped_before_it_is_ready_again(page, checks, world):
    """The wipe rule: back from a loan, the device offers a wipe and not "ready to lend" until one is recorded."""
    sign_in(page, world["coordinator"].user)
    nav(page, "Loans")
    page.get_by_role("link", name="TAB-005 loan").click()
    page.get_by_role("button", name="Record a return").click()
    page.get_by_label("Good", exact=True).check()
    page.get_by_role("button", name="Record the return").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("TAB-005: Apple iPad 9")
    expect(page.get_by_text("It has been out on loan since it was last wiped: record a wipe before it is lent again.")
           ).to_be_visible()  # fmt: skip
    actions = page.locator(".govuk-button-group").first
    expect(actions.get_by_role("button", name="Record a wipe")).to_be_visible()
    expect(page.get_by_role("button", name="Mark ready to lend")).to_have_count(0)
    checks("40-34-returned-needs-wipe")
    page.set_viewport_size({"width": 375, "height": 740})
    checks("40-35-phone-returned-needs-wipe")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Even by the address, the status page does not offer it.
    page.goto("/devices/stock/TAB-005/status/?to=ready")
    expect(page.get_by_label("Mark ready to lend")).to_have_count(0)
    expect(page.get_by_label("Send for repair")).to_be_visible()
    checks("40-36-status-without-ready")
    page.get_by_role("link", name="Back to TAB-005").click()

    page.get_by_role("button", name="Record a wipe").click()
    page.get_by_label("Encrypted factory reset").check()
    group = page.get_by_role("group", name=re.compile("^When was it wiped"))
    today = timezone.localdate()
    group.get_by_label("Day").fill(str(today.day))
    group.get_by_label("Month").fill(str(today.month))
    group.get_by_label("Year").fill(str(today.year))
    page.get_by_label("Who carried out the wipe?").fill("R. Patel")
    page.get_by_role("button", name="Record the wipe").click()
    expect(page.get_by_role("alert")).to_contain_text("Wipe recorded.")
    expect(page.get_by_text("It has been out on loan since it was last wiped")).to_have_count(0)
    page.get_by_role("button", name="Mark ready to lend").click()
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("alert")).to_contain_text("TAB-005 is now ready to lend.")
    assert Device.objects.get(asset_tag="TAB-005").status == "ready"
    checks("40-37-wiped-and-ready")
    checks.assert_all_clean()


def test_lend_by_picking_a_ready_device_then_the_coordinator_finds_what_waits(page, checks, world):
    """Lending without typing a tag: the ready devices by kind, under the tag field. Then the coordinator's home
    (devices waiting for them), the stock list's export and labels, and the policy's open days."""
    margaret = world["margaret"]
    sign_in(page, world["frontline"].user)
    page.goto(f"/residents/{margaret.pk}/")
    page.get_by_role("button", name="Lend a device").click()
    picker = page.locator("#ready-devices")
    picker.get_by_text("Or choose one of your 2 ready devices").click()
    expect(picker.get_by_role("heading", name="Laptop")).to_be_visible()
    expect(picker.get_by_role("heading", name="Tablet")).to_be_visible()
    expect(picker).not_to_contain_text("CHR-003")  # received, not ready
    checks("41-01-lend-pick-ready")
    page.set_viewport_size({"width": 375, "height": 740})
    checks("41-02-lend-pick-ready-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    picker.get_by_role("link", name="TAB-002: Samsung Galaxy Tab A8").click()
    expect(page.get_by_label("Asset tag")).to_have_value("TAB-002")
    page.get_by_label("Accepted on screen").check()
    page.get_by_label("They have accepted the loan agreement (terms version 2026-01)").check()
    page.get_by_role("button", name="Lend device").click()
    expect(page.get_by_role("alert")).to_contain_text("Samsung Galaxy Tab A8 (TAB-002) is lent to Margaret Oduya")
    loan = Loan.objects.get(resident=margaret)
    assert loan.device.asset_tag == "TAB-002" and loan.due_on.weekday() != 6  # never due on a Sunday
    checks("41-03-lent-picked")

    page.get_by_role("navigation", name="Menu").get_by_role("button", name="Sign out").click()
    sign_in(page, world["coordinator"].user)
    waiting = page.get_by_role("heading", name="Devices waiting for you").locator("xpath=following-sibling::div[1]")
    expect(waiting).to_contain_text("1 waiting for a wipe")
    checks("41-04-coordinator-home")
    page.set_viewport_size({"width": 375, "height": 740})
    checks("41-05-coordinator-home-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    waiting.get_by_role("link", name="waiting for a wipe").click()
    expect(page.get_by_role("table", name="1 device found")).to_contain_text("CHR-003")
    export = page.get_by_role("link", name="CSV")
    expect(export).to_have_attribute("href", "/devices/export.csv?status=received")
    expect(page.get_by_role("link", name="print their labels")).to_have_attribute(
        "href", "/devices/labels/?status=received"
    )
    checks("41-06-stock-filtered-with-export")
    page.set_viewport_size({"width": 375, "height": 740})
    checks("41-07-stock-filtered-with-export-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto("/devices/policy/")
    days = page.get_by_role("group", name=re.compile("^Which days are you open"))
    expect(days.get_by_label("Saturday")).to_be_checked()
    expect(days.get_by_label("Sunday")).not_to_be_checked()
    days.get_by_label("Saturday").uncheck()
    page.get_by_role("button", name="Save the policy").click()
    expect(page.get_by_role("alert")).to_contain_text("The loan policy is saved.")
    checks("41-08-policy-open-days")
    page.set_viewport_size({"width": 375, "height": 740})
    checks("41-09-policy-open-days-phone")
    checks.assert_all_clean()
