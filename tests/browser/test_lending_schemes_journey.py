"""Lending as schemes run it, in a real browser: a coordinator publishes the agreement and a kit, a frontline worker
lends the kit and prints its receipt (the PDF read back); the returns desk checks in a list of scanned tags; a
resident on the waiting list is offered a device the moment it is made ready; and a QR label read by the camera.

Every page visited is screenshotted into artifacts/screenshots/45-NN-... and checked with axe-core (WCAG 2.2 A and
AA), for our house style and for JavaScript errors.
"""

import datetime
import io
import re

import pytest
import segno
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from devices import services
from devices.models import KitLoan, Loan, Reservation
from inclusion import choices
from inclusion.actors import Actor

from ..devices.factories import DeviceFactory
from ..factories import MembershipFactory, OrganisationFactory, ResidentFactory
from .conftest import CHROMIUM, CHROMIUM_ARGS
from .helpers import PageChecks
from .test_devices_journey import PASSWORD, nav, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    alpha = OrganisationFactory(name="Alpha Council", slug="alpha", kind=choices.OrganisationKind.COUNCIL)
    frontline = MembershipFactory(organisation=alpha, role=choices.Role.FRONTLINE, user__full_name="Sam Worker")
    coordinator = MembershipFactory(organisation=alpha, role=choices.Role.COORDINATOR, user__full_name="Cat Lead")
    margaret = ResidentFactory(owning_organisation=alpha, first_name="Margaret", last_name="Oduya", postcode="WV1 1AA",
                               date_of_birth=datetime.date(1948, 5, 17))  # fmt: skip
    DeviceFactory(owning_organisation=alpha, asset_tag="CB-101", kind="chromebook", make="Acer",
                  model="Chromebook 314", accessories=["charger"])  # fmt: skip
    DeviceFactory(owning_organisation=alpha, asset_tag="MF-201", kind="mifi", make="Huawei", model="E5576",
                  accessories=["cable"])  # fmt: skip
    return {"alpha": alpha, "frontline": frontline, "coordinator": coordinator, "margaret": margaret}


def _open_resident(page, name):
    nav(page, "Find a resident")
    page.get_by_label("Name, postcode or phone number").fill(name.split()[-1].lower())
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=name).click()


def test_publish_the_agreement_lend_a_kit_and_print_its_receipt(page, checks, world):
    sign_in(page, world["coordinator"].user)
    page.goto("/devices/agreement/")
    checks("45-01-agreement-none")
    page.get_by_label("The agreement residents accept").fill(
        "You may use the Chromebook and MiFi to learn and look for work.\nBring them back when you no longer need them."
    )
    page.get_by_label("How to return a device").fill("Central Library help desk, Monday to Saturday, 9am to 5pm")
    page.get_by_label("Whom to call").fill("Digital help desk, 01902 555 0100")
    page.get_by_role("button", name="Publish as a new version").click()
    expect(page.get_by_role("alert")).to_contain_text("Version 1 is published")
    checks("45-02-agreement-published")

    page.goto("/devices/kits/")
    page.get_by_label("Kit name").fill("Chromebook starter kit")
    page.get_by_label("Chromebook").check()
    page.get_by_label("MiFi or hotspot").check()
    page.get_by_label("Charger").check()
    page.get_by_role("button", name="Add the kit").click()
    expect(page.get_by_role("table", name="Your kits")).to_contain_text("Chromebook, MiFi or hotspot")
    checks("45-03-kits")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, world["frontline"].user)
    _open_resident(page, "Margaret Oduya")
    page.get_by_role("button", name="Lend a kit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lend a kit")
    checks("45-04-kit-lend-form")
    page.get_by_label("Chromebook starter kit").check()
    tags = page.get_by_label("Scan or type the tag of each device in the kit")
    tags.press_sequentially("cb-101")
    tags.press("Enter")  # a scanner ends each tag with Enter: in the list, a new line
    tags.press_sequentially("mf-201")
    page.get_by_label("Accepted on screen", exact=True).check()
    page.get_by_role("button", name="Lend the kit").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Confirm that they have accepted the loan agreement")
    checks("45-05-kit-lend-errors")
    page.get_by_label("Accepted on screen: their full name, typed by them").fill("Margaret Oduya")
    page.get_by_label(re.compile("They have accepted the loan agreement")).check()
    page.get_by_role("button", name="Lend the kit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chromebook starter kit")
    expect(page.get_by_text("2 of 2 still on loan")).to_be_visible()
    checks("45-06-kit-loan")

    page.get_by_role("link", name="Print the kit's receipt").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Loan receipt")
    expect(page.get_by_role("table", name="What you have borrowed")).to_contain_text("CB-101")
    checks("45-07-kit-receipt")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the receipt (PDF)").click()
    pdf = download.value
    assert pdf.suggested_filename.startswith("loan-receipt-") and pdf.suggested_filename.endswith(".pdf")
    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(open(pdf.path(), "rb").read())).pages
    )
    for expected in (
        "Chromebook starter kit",
        "Margaret Oduya",
        "CB-101",
        "MF-201",
        "Central Library help desk",
        "01902 555 0100",
        "Sam Worker",
        "typed name Margaret Oduya",
    ):
        assert expected in text, expected  # fmt: skip
    kit_loan = KitLoan.objects.get()
    assert {loan.accepted_name for loan in kit_loan.items.all()} == {"Margaret Oduya"}
    checks.assert_all_clean()


def test_bulk_check_in_at_the_returns_desk(page, checks, world):
    frontline = Actor.for_membership(world["frontline"])
    alpha = world["alpha"]
    for number in (1, 2, 3):
        device = DeviceFactory(owning_organisation=alpha, asset_tag=f"RET-00{number}", accessories=["charger"])
        services.loan_create(actor=frontline, device=device, resident=ResidentFactory(owning_organisation=alpha),
                             agreement_method="signed_paper")  # fmt: skip
    sign_in(page, world["frontline"].user)
    nav(page, "Loans")
    page.get_by_role("link", name="Check in returned devices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check in returned devices")
    checks("45-10-check-in-form")
    page.get_by_role("button", name="Check them in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Scan or type at least one tag")
    checks("45-11-check-in-error")
    field = page.get_by_label("Scan or type the tags of the devices coming back")
    for typed in ("ret-001", "RET 2", "NOT-OURS"):
        field.press_sequentially(typed)
        field.press("Enter")  # the scanner's Enter: a new line, not a submission
    expect(page.get_by_role("heading", level=1)).to_have_text("Check in returned devices")
    page.get_by_role("button", name="Check them in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("2 returned, 1 not")
    expect(page.get_by_role("table", name="Returned", exact=True)).to_contain_text("RET-001")
    expect(page.get_by_role("table", name="Returned", exact=True)).to_contain_text("RET-002")
    expect(page.get_by_role("table", name="Not returned")).to_contain_text("No device of yours has this tag")
    checks("45-12-check-in-summary")
    assert Loan.objects.filter(closed_at__isnull=True).get().device.asset_tag == "RET-003"
    page.get_by_role("link", name="Return receipt for RET-001").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Return receipt")
    checks("45-13-return-receipt")
    checks.assert_all_clean()


def test_a_reservation_is_offered_the_device_made_ready(page, checks, world):
    alpha = world["alpha"]
    DeviceFactory(owning_organisation=alpha, asset_tag="LAP-900", kind="laptop", make="Dell", model="Latitude",
                  status="wiped")  # fmt: skip
    sign_in(page, world["frontline"].user)
    _open_resident(page, "Margaret Oduya")
    page.get_by_role("button", name="Join the waiting list").click()
    checks("45-20-reserve-form")
    page.get_by_role("button", name="Add to the waiting list").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the kind of device they need")
    page.get_by_label("Laptop").check()
    page.get_by_label("Note (optional)").fill("Starts a course in May")
    page.get_by_role("button", name="Add to the waiting list").click()
    expect(page.get_by_role("alert")).to_contain_text("is on the waiting list for a laptop")
    page.goto("/devices/waiting-list/")
    expect(page.get_by_role("table", name="Laptop: 1 waiting")).to_contain_text("Margaret Oduya")
    checks("45-21-waiting-list")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, world["coordinator"].user)
    page.goto("/devices/stock/LAP-900/")
    page.get_by_role("button", name="Mark ready to lend").click()
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("alert")).to_contain_text("LAP-900 is now ready to lend.")
    page.goto("/devices/waiting-list/")
    row = page.get_by_role("table", name="Laptop: 1 waiting")
    expect(row).to_contain_text("Held: LAP-900")
    hold_until = timezone.localdate() + datetime.timedelta(days=3)
    expect(row).to_contain_text(f"until {hold_until.day} {hold_until:%b %Y}")
    checks("45-22-waiting-list-offered")
    row.get_by_role("link", name="Lend it").click()
    expect(page.get_by_label("Asset tag")).to_have_value("LAP-900")
    page.get_by_label("Signed paper agreement").check()
    page.get_by_label(re.compile("They have accepted the loan agreement")).check()
    page.get_by_role("button", name="Lend device").click()
    expect(page.get_by_role("alert")).to_contain_text("is lent to Margaret Oduya")
    checks("45-23-resident-after-lend")
    assert Reservation.objects.get().status == "fulfilled"
    checks.assert_all_clean()


def _qr_video(path, text: str, width=640, height=480) -> None:
    """A Y4M video (what Chromium's fake camera plays) of a white frame with the QR code of `text` in it, made as
    the labels make it (devices/labels.py: a full QR code, never a Micro QR)."""
    rows = [list(row) for row in segno.make(text, micro=False, error="m").matrix_iter(scale=8, border=4)]
    size = len(rows)
    top, left = (height - size) // 2, (width - size) // 2
    luma = bytearray([235]) * (width * height)
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                luma[(top + y) * width + left + x] = 16
    chroma = bytes([128]) * (width * height // 4)
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F5:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(5):
            video.write(b"FRAME\n" + bytes(luma) + chroma + chroma)


def test_the_camera_reads_a_qr_label_into_the_tag(browser, world, live_server, tmp_path):
    video = tmp_path / "label.y4m"
    _qr_video(video, "CB-101")
    # A browser of its own: the camera (a fake one playing the video) is chosen when Chromium starts.
    camera_browser = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=[
        *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ])  # fmt: skip
    try:
        context = camera_browser.new_context(base_url=live_server.url, viewport={"width": 412, "height": 900},
                                             locale="en-GB", permissions=["camera"])  # fmt: skip
        context.set_default_timeout(10_000)
        page = context.new_page()
        checks = PageChecks(page)
        page.goto("/sign-in/")
        page.get_by_label("Email address").fill(world["frontline"].user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/devices/residents/{world['margaret'].pk}/lend/")
        page.get_by_role("button", name="Scan a QR label with the camera").click()
        expect(page.get_by_label("Asset tag")).to_have_value("CB-101")
        expect(page.get_by_role("status")).to_contain_text("Scanned CB-101.")
        checks("45-30-lend-scanned-by-camera")
        checks.assert_all_clean()
    finally:
        camera_browser.close()
