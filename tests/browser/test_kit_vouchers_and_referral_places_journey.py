"""Two of issue 13's later parts, in a real browser: a kit with a SIM line (the coordinator adds it, a frontline
worker lends it, the SIM is issued with it and shown masked on the kit's page and its receipt), and a place on the
waiting list made from a referral (the receiving partner's worker queues the resident from the referral's page; the
place shows on the referral and on the waiting list).

Every page is screenshotted into artifacts/screenshots/46-NN-... at desktop width and again at 375 px, and checked
with axe-core (WCAG 2.2 A and AA), for our house style and for JavaScript errors.
"""

import datetime
import re

import pytest
from playwright.sync_api import expect

from devices.models import KitLoan, Reservation
from inclusion import choices
from inclusion.actors import Actor
from referrals.models import ServiceKind

from ..devices.factories import DeviceFactory
from ..devices.vouchers.factories import ProviderFactory, VoucherBatchFactory, VoucherFactory
from ..factories import MembershipFactory, OrganisationFactory, ResidentFactory
from ..referrals.factories import ServiceFactory, refer, sharing_consent
from .test_devices_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def both_widths(page, checks, name: str) -> None:
    """Check and screenshot the page at desktop width, then at 375 px (reloaded, as a phone would open it)."""
    checks(name)
    page.set_viewport_size(PHONE)
    page.reload()
    checks(f"{name}-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{name} is wider than 375 px"
    page.set_viewport_size(DESKTOP)
    page.reload()


@pytest.fixture
def world():
    alpha = OrganisationFactory(name="Alpha Council", slug="alpha", kind=choices.OrganisationKind.COUNCIL)
    beta = OrganisationFactory(name="Beta Library", slug="beta", kind=choices.OrganisationKind.LIBRARY)
    frontline = MembershipFactory(organisation=alpha, role=choices.Role.FRONTLINE, user__full_name="Sam Worker")
    coordinator = MembershipFactory(organisation=alpha, role=choices.Role.COORDINATOR, user__full_name="Cat Lead")
    beta_worker = MembershipFactory(organisation=beta, role=choices.Role.FRONTLINE, user__full_name="Bea Lender")
    margaret = ResidentFactory(owning_organisation=alpha, first_name="Margaret", last_name="Oduya", postcode="WV1 1AA",
                               date_of_birth=datetime.date(1948, 5, 17))  # fmt: skip
    DeviceFactory(owning_organisation=alpha, asset_tag="LAP-101", kind="laptop", make="Lenovo",
                  model="ThinkPad T480", accessories=["charger"])  # fmt: skip
    sims = VoucherBatchFactory(organisation=alpha, provider=ProviderFactory(name="Vodafone", slug="vodafone"),
                               kind="sim_card", data_allowance_gb=30, validity_days=30)  # fmt: skip
    VoucherFactory(batch=sims, code="", iccid="8944200000000000011", sim_serial="SIM-000000000001")
    return {"alpha": alpha, "beta": beta, "frontline": frontline, "coordinator": coordinator,
            "beta_worker": beta_worker, "margaret": margaret}  # fmt: skip


def test_a_kit_with_a_sim_is_lent_and_the_sim_is_on_its_receipt(page, checks, world):
    sign_in(page, world["coordinator"].user)
    page.goto("/devices/kits/")
    page.get_by_label("Kit name").fill("Laptop and SIM")
    page.get_by_label("Laptop").check()
    page.get_by_label("Charger").check()
    page.get_by_label("SIM card").check()
    page.get_by_role("button", name="Add the kit").click()
    expect(page.get_by_role("table", name="Your kits")).to_contain_text("SIM card")
    both_widths(page, checks, "46-01-kits-with-a-sim")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, world["frontline"].user)
    page.goto(f"/devices/residents/{world['margaret'].pk}/lend-kit/")
    expect(page.get_by_label("Issue the kit's SIM or data voucher with it")).to_be_checked()
    both_widths(page, checks, "46-02-kit-lend-form-with-a-sim")
    page.get_by_label("Laptop and SIM").check()
    page.get_by_label("Scan or type the tag of each device in the kit").fill("lap-101")
    page.get_by_label("Signed paper agreement").check()
    page.get_by_label(re.compile("They have accepted the loan agreement")).check()
    page.get_by_role("button", name="Lend the kit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Laptop and SIM")
    data = page.locator(".govuk-summary-list").filter(has_text="Vodafone SIM card")
    expect(data).to_contain_text("••••0011")
    expect(data).to_contain_text("Issued")
    both_widths(page, checks, "46-03-kit-loan-with-its-sim")

    page.get_by_role("link", name="Print the kit's receipt").click()
    borrowed = page.get_by_role("table", name="What you have borrowed")
    expect(borrowed).to_contain_text("LAP-101")
    expect(borrowed).to_contain_text("Vodafone SIM card, 30 GB")
    expect(borrowed).to_contain_text("••••0011")
    expect(borrowed).not_to_contain_text("8944200000000000011")
    both_widths(page, checks, "46-04-kit-receipt-with-its-sim")
    page.go_back()
    page.get_by_role("link", name=re.compile("See the voucher")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Voucher ••••0011")
    assert KitLoan.objects.get().voucher.status == "issued"
    checks.assert_all_clean()


def test_the_receiving_partner_queues_a_resident_from_a_referral(page, checks, world):
    alpha_actor = Actor.for_membership(world["frontline"])
    sharing_consent(world["margaret"])
    lending = ServiceFactory(organisation=world["beta"], name="Laptop lending at Beta Library",
                             kind=ServiceKind.LENDING_POINT, skill_areas=[])  # fmt: skip
    referral = refer(alpha_actor, world["margaret"], lending, need="device", reason="Needs a laptop for job search")
    sign_in(page, world["beta_worker"].user)
    page.goto(f"/referrals/{referral.pk}/")
    panel = page.get_by_role("heading", name="Waiting list for a device")
    expect(panel).to_be_visible()
    both_widths(page, checks, "46-10-referral-with-the-waiting-list")
    page.get_by_role("button", name="Add to the waiting list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Join the waiting list")
    expect(page.get_by_text("From the referral from Alpha Council")).to_be_visible()
    both_widths(page, checks, "46-11-reserve-from-a-referral")
    page.get_by_role("button", name="Add to the waiting list").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the kind of device they need")
    checks("46-12-reserve-from-a-referral-error")
    page.get_by_label("Laptop").check()
    page.get_by_role("button", name="Add to the waiting list").click()
    expect(page.get_by_role("alert")).to_contain_text("Margaret Oduya is on the waiting list for a laptop")
    expect(page.get_by_text(re.compile("number 1 in the queue"))).to_be_visible()
    expect(page.get_by_role("button", name="Add them for another kind of device")).to_be_visible()
    both_widths(page, checks, "46-13-referral-with-the-place")
    page.goto("/devices/waiting-list/")
    queue = page.get_by_role("table", name="Laptop: 1 waiting")
    expect(queue).to_contain_text("Margaret Oduya")
    expect(queue.get_by_role("link", name="Referred by Alpha Council")).to_be_visible()
    both_widths(page, checks, "46-14-waiting-list-with-a-referral")
    assert Reservation.objects.get().referral_id == referral.pk
    checks.assert_all_clean()


def test_a_renewal_too_late_is_not_offered_on_the_loan_page(page, checks, world):
    from devices import services
    from devices.models import Loan

    loan = services.loan_create(actor=Actor.for_membership(world["frontline"]),
                                device=DeviceFactory(owning_organisation=world["alpha"], asset_tag="LAP-555"),
                                resident=world["margaret"], agreement_method="signed_paper", open_ended=True)  # fmt: skip
    today = datetime.date.today()
    Loan.objects.filter(pk=loan.pk).update(due_on=today - datetime.timedelta(days=40),
                                           started_on=today - datetime.timedelta(days=68))  # fmt: skip
    sign_in(page, world["frontline"].user)
    page.goto(f"/devices/loans/{loan.pk}/")
    expect(page.get_by_text("The renewal is 40 days late, more than the 28 allowed")).to_be_visible()
    expect(page.get_by_role("button", name="Renew the loan")).to_have_count(0)
    expect(page.get_by_role("button", name="Record a return")).to_be_visible()
    both_widths(page, checks, "46-20-loan-renewal-too-late")
    checks.assert_all_clean()
