"""The staff pages on a 375 px phone: nothing wider than the screen, and no asset tag broken across two lines.

Each page is screenshotted into artifacts/screenshots/70-...png and checked with axe-core and for house style.
"""

import datetime

import pytest
from playwright.sync_api import expect

from devices import services
from devices.vouchers.services import voucher_issue
from inclusion import choices
from inclusion.actors import Actor

from ..devices.factories import DeviceFactory
from ..devices.vouchers.factories import ProviderFactory, VoucherBatchFactory, VoucherFactory
from ..factories import MembershipFactory, OrganisationFactory, ResidentFactory
from .test_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}

# Text nodes holding an asset tag (DI-000004, LAP-0042...) whose tag is laid out on more than one line.
BROKEN_TAGS_JS = r"""() => {
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    for (const match of node.textContent.matchAll(/\b[A-Z]{2,4}-\d{3,6}\b/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (lines.size > 1) broken.push(`${match[0]} in <${node.parentElement.tagName.toLowerCase()}>`);
    }
  }
  return broken;
}"""


@pytest.fixture
def coordinator():
    alpha = OrganisationFactory(name="Wolverhampton City Council", slug="wolverhampton",
                                kind=choices.OrganisationKind.COUNCIL)  # fmt: skip
    membership = MembershipFactory(organisation=alpha, role=choices.Role.COORDINATOR, user__full_name="Cat Ordinator")
    actor = Actor.for_membership(membership)
    resident = ResidentFactory(owning_organisation=alpha, first_name="Margaret", last_name="Oduya-Whitfield",
                               preferred_name="Maggie", postcode="WV10 6QH",
                               date_of_birth=datetime.date(1948, 5, 17))  # fmt: skip
    ResidentFactory(owning_organisation=alpha, first_name="Bartholomew", last_name="Featherstonehaugh-Oduya",
                    postcode="WV1 1AA", date_of_birth=datetime.date(1961, 12, 30))  # fmt: skip
    ResidentFactory(owning_organisation=alpha, first_name="Christopher", last_name="Oduya", preferred_name="Kit",
                    postcode="WV11 2XY", date_of_birth=None, age_band="65_74")  # fmt: skip
    laptop = DeviceFactory(owning_organisation=alpha, asset_tag="DI-000004", make="Lenovo", model="ThinkPad T480",
                           accessories=["charger", "case", "sim_tray_tool"])  # fmt: skip
    DeviceFactory(owning_organisation=alpha, asset_tag="LAP-000042", kind="chromebook", make="Acer",
                  model="Chromebook Spin 713", location="Central Library store room")  # fmt: skip
    loan = services.loan_create(actor=actor, device=laptop, resident=resident, agreement_method="signed_paper",
                                notes="Charger and case are in the bag")  # fmt: skip
    provider = ProviderFactory(name="National Databank", slug="national-databank")
    batch = VoucherBatchFactory(organisation=alpha, provider=provider, reference="NDB-ORDER-2026-000077",
                                low_stock_threshold=50)  # fmt: skip
    for n in range(3):
        VoucherFactory(batch=batch, code=f"NDB-CODE-{n:012d}")
    sim_batch = VoucherBatchFactory(organisation=alpha, provider=ProviderFactory(name="Vodafone", slug="vodafone"),
                                    kind="sim_card", data_allowance_gb=None)  # fmt: skip
    VoucherFactory(batch=sim_batch, code="", iccid="8944200000000000011", sim_serial="SIM-000000000001")
    voucher = voucher_issue(actor=actor, resident=resident, kind="data_code")
    return membership, resident, loan, voucher


def _pages(resident, loan, voucher):
    return {
        "home": "/",
        "search-results": "/residents/?q=oduya",
        "search-postcode": "/residents/?q=wv1",
        "register": "/residents/register/",
        "resident": f"/residents/{resident.pk}/",
        "equality": f"/residents/{resident.pk}/equality/",
        "devices": "/devices/",
        "device": "/devices/stock/DI-000004/",
        "lend": f"/devices/residents/{resident.pk}/lend/",
        "lend-this-device": "/devices/stock/LAP-000042/lend/?q=oduya",
        "loans": "/devices/loans/?status=open",
        "loan": f"/devices/loans/{loan.pk}/",
        "voucher-stock": "/devices/vouchers/",
        "voucher": f"/devices/vouchers/{voucher.pk}/",
        "policy": "/devices/policy/",
    }


def test_no_page_is_wider_than_a_phone_and_no_asset_tag_breaks(page, checks, coordinator):
    membership, resident, loan, voucher = coordinator
    sign_in(page, membership.user)
    page.set_viewport_size(PHONE)
    problems = []
    for name, url in _pages(resident, loan, voucher).items():
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        checks(f"70-phone-{name}")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide = page.evaluate(
                """limit => [...document.querySelectorAll('body *')]
                     .filter(el => el.getBoundingClientRect().right > limit + 1)
                     .slice(0, 3).map(el => `<${el.tagName.toLowerCase()} class="${el.className}">`)""",
                PHONE["width"],
            )
            problems.append(f"{name} ({url}) is {width} px wide: {wide}")
        broken = page.evaluate(BROKEN_TAGS_JS)
        if broken:
            problems.append(f"{name} ({url}) breaks asset tags across lines: {broken}")
    assert not problems, "\n".join(problems)
    checks.assert_all_clean()
