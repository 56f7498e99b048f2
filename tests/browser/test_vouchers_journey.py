"""Data vouchers in a real browser: a coordinator imports a provider's file (every bad line listed, then a
preview and the import), and a frontline worker issues a voucher from a resident's page, sees the code once,
finds it masked back on the resident's page, shows it again and marks it activated.

Every page is screenshotted into artifacts/screenshots/50-...png and checked with axe-core (WCAG 2.2 A and
AA), for our house style and for JavaScript errors.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from devices.models import Voucher, VoucherKind, VoucherStatus
from devices.vouchers.events import VoucherEventKind
from devices.vouchers.services import voucher_issue
from inclusion import choices
from inclusion.actors import Actor
from inclusion.models import CaseEvent

from ..devices.vouchers.factories import ProviderFactory, VoucherBatchFactory, VoucherFactory, iccid
from ..factories import MembershipFactory, OrganisationFactory, ResidentFactory
from .test_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alpha():
    return OrganisationFactory(name="Alpha Council", slug="alpha", kind=choices.OrganisationKind.COUNCIL)


@pytest.fixture
def national_databank():
    return ProviderFactory(name="National Databank", slug="national-databank")


def test_coordinator_imports_a_batch_of_vouchers(page, checks, alpha, national_databank):
    coordinator = MembershipFactory(organisation=alpha, role=choices.Role.COORDINATOR, user__full_name="Cat Ordinator")
    held = VoucherBatchFactory(organisation=alpha, provider=national_databank, low_stock_threshold=5)
    VoucherFactory(batch=held, code="NDB-HELD-0042")
    sign_in(page, coordinator.user)
    home = page.get_by_role("table", name="Available to give out, by provider and kind")
    expect(home).to_contain_text("National Databank")
    expect(home.get_by_text("Low stock")).to_be_visible()  # 1 left, warns at 5
    checks("50-home-voucher-stock")

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Vouchers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Data vouchers")
    checks("51-voucher-stock")
    page.get_by_role("button", name="Import a batch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import data vouchers")
    checks("52-voucher-import")

    page.get_by_label("Which provider are they from?").select_option(label="National Databank")
    page.get_by_role("radio", name="Data voucher code").check()
    page.get_by_label("Provider's reference (optional)").fill("NDB-ORDER-77")
    page.get_by_label("Data allowance in GB (optional)").fill("20")
    page.get_by_label("Days they can use it after activation (optional)").fill("30")
    expires = timezone.localdate() + timedelta(days=120)
    group = page.get_by_role("group", name=re.compile("^When do unissued vouchers expire"))
    group.get_by_label("Day").fill(str(expires.day))
    group.get_by_label("Month").fill(str(expires.month))
    group.get_by_label("Year").fill(str(expires.year))
    bad = "code\nNDB-NEW-0001\nNDB-NEW-0001\nNDB HELD 0042\nNDB-HELD-0042\nNDB-NEW-0002\n"
    upload = page.get_by_label("Upload the provider's file")
    upload.set_input_files(files=[{"name": "databank.csv", "mimeType": "text/csv", "buffer": bad.encode()}])
    page.get_by_role("button", name="Check the file").click()

    expect(page).to_have_title(re.compile("^Error: Import data vouchers"))
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_contain_text("databank.csv has 3 problems: nothing has been imported")
    problems = page.get_by_role("table", name="3 problems in databank.csv")
    expect(problems.get_by_role("row")).to_have_count(4)
    for line in ("3", "4", "5"):
        expect(problems.get_by_role("cell", name=line, exact=True)).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("NDB HELD 0042")
    expect(page.locator("body")).not_to_contain_text("NDB-HELD-0042")
    expect(page.get_by_label("Provider's reference (optional)")).to_have_value("NDB-ORDER-77")
    checks("53-voucher-import-problems")

    good = "CODE\nNDB-NEW-0001\nNDB-NEW-0002\nNDB-NEW-0003\n"
    upload.set_input_files(files=[{"name": "databank.csv", "mimeType": "text/csv", "buffer": good.encode()}])
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the vouchers before you import them")
    expect(page.get_by_role("table", name="Vouchers in the file")).to_contain_text("••••0003")
    expect(page.locator("body")).not_to_contain_text("NDB-NEW-0003")
    checks("54-voucher-import-preview")

    page.get_by_role("button", name="Import 3 vouchers").click()
    expect(page.get_by_role("alert")).to_contain_text("3 vouchers imported from databank.csv.")
    expect(page.get_by_role("heading", level=1)).to_have_text("National Databank 20 GB data voucher code")
    expect(page.get_by_role("table", name="3 vouchers", exact=True)).to_be_visible()
    checks("55-voucher-batch")
    assert Voucher.objects.filter(batch__reference="NDB-ORDER-77", status=VoucherStatus.AVAILABLE).count() == 3
    checks.assert_all_clean()


def test_frontline_worker_issues_a_voucher_and_marks_it_activated(page, checks, alpha, national_databank):
    worker = MembershipFactory(organisation=alpha, role=choices.Role.FRONTLINE, user__full_name="Sam Worker")
    resident = ResidentFactory(owning_organisation=alpha, first_name="Margaret", last_name="Oduya")
    batch = VoucherBatchFactory(organisation=alpha, provider=national_databank, kind=VoucherKind.DATA_CODE)
    VoucherFactory(batch=batch, code="NDB-7Q4X-9K2M-5521")
    VoucherFactory(batch=batch, code="NDB-7Q4X-9K2M-5522")
    VoucherFactory(batch=batch, code="NDB-7Q4X-9K2M-5523")
    sign_in(page, worker.user)
    page.goto(f"/residents/{resident.pk}/")
    expect(page.get_by_text("No data vouchers issued yet.")).to_be_visible()
    checks("56-resident-before-voucher")

    page.get_by_role("radio", name="Data voucher code (3 left)").check()
    page.get_by_role("button", name="Issue voucher").click()

    # Asked to confirm: it uses their allowance.
    expect(page.get_by_role("heading", level=1)).to_have_text("Issue a data voucher code to Margaret Oduya?")
    expect(page.locator(".govuk-warning-text")).to_contain_text("This uses their allowance.")
    assert not Voucher.objects.filter(resident=resident).exists()
    checks("56b-voucher-confirm")
    page.set_viewport_size({"width": 375, "height": 740})
    checks("56c-voucher-confirm-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Yes, issue the voucher").click()

    # The code, whole, once.
    expect(page.get_by_role("heading", level=1)).to_have_text("Data voucher issued")
    expect(page.locator("#voucher-code")).to_have_text("NDB-7Q4X-9K2M-5521")
    expect(page.get_by_text("This is the only time the whole code is shown")).to_be_visible()
    checks("57-voucher-issued")
    page.get_by_role("button", name="Back to Margaret Oduya").click()

    # Back on their page: masked only.
    expect(page.get_by_role("heading", level=1)).to_have_text("Margaret Oduya")
    card = page.locator(".govuk-summary-card").filter(has_text="5521")
    expect(card).to_contain_text("Issued")
    expect(page.locator("body")).not_to_contain_text("NDB-7Q4X-9K2M-5521")
    checks("58-resident-voucher-masked")

    # Showing it again is recorded.
    card.get_by_role("button", name=re.compile("^Show code")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Voucher code")
    expect(page.locator("#voucher-code")).to_have_text("NDB-7Q4X-9K2M-5521")
    checks("59-voucher-code-shown")
    page.get_by_role("link", name="Back", exact=True).click()
    expect(page.locator(".app-timeline")).to_contain_text("Voucher code shown")
    expect(page.locator("body")).not_to_contain_text("NDB-7Q4X-9K2M-5521")

    # It works: mark it activated.
    card = page.locator(".govuk-summary-card").filter(has_text="5521")
    card.get_by_role("button", name=re.compile("^Mark as activated")).click()
    expect(page.get_by_role("alert")).to_contain_text("is marked as activated.")
    expect(page.locator(".govuk-summary-card").filter(has_text="5521")).to_contain_text("Activated")
    expect(page.locator("body")).not_to_contain_text("NDB-7Q4X-9K2M-5521")
    checks("60-resident-voucher-activated")

    voucher = Voucher.objects.get(resident=resident)
    assert voucher.status == VoucherStatus.ACTIVATED
    assert CaseEvent.objects.filter(resident=resident, kind=VoucherEventKind.VOUCHER_REVEALED).count() == 1

    # A second one is refused, with the rule on the form.
    page.get_by_role("radio", name="Data voucher code (2 left)").check()
    page.get_by_role("button", name="Issue voucher").click()
    page.get_by_role("button", name="Yes, issue the voucher").click()
    expect(page).to_have_title(re.compile("^Error: Issue a data voucher to Margaret Oduya"))
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_contain_text(
        "this batch allows 1 per resident every 183 days"
    )
    checks("61-voucher-issue-refused")
    page.get_by_role("link", name="Back to Margaret Oduya").click()
    page.locator(".govuk-summary-card").filter(has_text="5521").get_by_role("link", name=re.compile("^Details")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Voucher ••••5521")
    expect(page.get_by_role("definition").filter(has_text="Sam Worker")).to_be_visible()
    history = page.locator("#history + ol")
    expect(history.get_by_role("heading", level=3)).to_have_text(["Marked activated", "Issued"])  # newest first
    expect(history).to_contain_text("Issued → Activated")
    checks("62-voucher-detail")
    checks.assert_all_clean()


def test_a_voucher_that_does_not_work_is_replaced(page, checks, alpha, national_databank):
    worker = MembershipFactory(organisation=alpha, role=choices.Role.FRONTLINE, user__full_name="Sam Worker")
    resident = ResidentFactory(owning_organisation=alpha, first_name="Peter", last_name="Okafor")
    batch = VoucherBatchFactory(organisation=alpha, provider=national_databank, kind=VoucherKind.SIM_CARD)
    VoucherFactory(batch=batch, code="", iccid=iccid(1))
    VoucherFactory(batch=batch, code="", iccid=iccid(2))
    first = voucher_issue(actor=Actor.for_membership(worker), resident=resident, kind=VoucherKind.SIM_CARD)
    sign_in(page, worker.user)
    page.goto(f"/residents/{resident.pk}/#vouchers")
    page.get_by_role("link", name=re.compile("^It does not work")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("It does not work")
    checks("63-voucher-not-working")
    page.get_by_role("button", name="Mark as not working").click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_contain_text("Enter what went wrong")
    checks("64-voucher-not-working-errors")
    page.get_by_label("What went wrong?").fill("The phone says No SIM")
    page.get_by_role("button", name="Mark as not working").click()

    replacement = Voucher.objects.get(replacement_for=first)
    expect(page.get_by_role("heading", level=1)).to_have_text("Data voucher issued")
    expect(page.locator("#voucher-code")).to_have_text(replacement.iccid)
    expect(page.get_by_text("is marked as not working, and a replacement was issued")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(first.iccid)
    checks("65-voucher-replacement-issued")

    page.get_by_role("button", name="Back to Peter Okafor").click()
    expect(page.locator(".govuk-summary-card").filter(has_text=first.iccid[-4:])).to_contain_text(
        "The phone says No SIM"
    )
    page.locator(".govuk-summary-card").filter(has_text=replacement.iccid[-4:]).get_by_role(
        "link", name=re.compile("^Withdraw")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw the voucher")
    checks("66-voucher-withdraw")
    page.get_by_label("Why are you withdrawing it? (optional)").fill("They moved out of the area")
    page.get_by_role("button", name="Withdraw the voucher").click()
    expect(page.get_by_role("alert")).to_contain_text("is withdrawn.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Peter Okafor")
    checks("67-resident-voucher-withdrawn")
    for voucher in (first, replacement):
        expect(page.locator("body")).not_to_contain_text(voucher.iccid)
    checks.assert_all_clean()
