"""Staff web pages for data vouchers: import (preview, confirm, every bad line), stock, issuing from the
resident's page with the code shown once, reveal, activate / not working / withdraw, roles and scoping.
Codes are secrets: every test that can, checks the whole code is absent from the page."""

import io
import logging
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from devices.models import Voucher, VoucherBatch, VoucherKind, VoucherStatus
from devices.vouchers.events import VoucherEventKind
from devices.vouchers.imports import voucher_file_read
from devices.vouchers.services import ImportRow, voucher_activate, voucher_batch_import, voucher_issue
from inclusion import choices
from inclusion.actors import Actor
from inclusion.models import CaseEvent

from ...factories import MembershipFactory, ResidentFactory
from .factories import ProviderFactory, VoucherBatchFactory, VoucherFactory, iccid

pytestmark = pytest.mark.django_db
V = VoucherStatus
TODAY = timezone.localdate


@pytest.fixture
def coordinator_a(org_a):
    return MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR)


@pytest.fixture
def coordinator_client(coordinator_a):
    """Its own client: tests use it beside client_a (frontline), which signs in on pytest-django's `client`."""
    client = Client()
    client.force_login(coordinator_a.user)
    return client


@pytest.fixture
def provider():
    return ProviderFactory(name="National Databank", slug="national-databank")


@pytest.fixture
def batch_a(org_a, provider):
    """20 GB data codes for 30 days, one per resident every 183 days: three in stock."""
    batch = VoucherBatchFactory(organisation=org_a, provider=provider, low_stock_threshold=2)
    for n in range(3):
        VoucherFactory(batch=batch, code=f"NDB-SECRET-{n:04d}")
    return batch


def _issued(actor, resident, batch) -> Voucher:
    return voucher_issue(actor=actor, resident=resident, kind=batch.kind)


def _import_form(provider, file, /, **overrides):
    expires = TODAY() + timedelta(days=120)
    data = {
        "provider": provider.pk,
        "kind": VoucherKind.DATA_CODE,
        "reference": "NDB-ORDER-77",
        "data_allowance_gb": "20",
        "validity_days": "30",
        "expires_on_0": str(expires.day), "expires_on_1": str(expires.month), "expires_on_2": str(expires.year),
        "received_on_0": str(TODAY().day), "received_on_1": str(TODAY().month), "received_on_2": str(TODAY().year),
        "max_per_resident": "1",
        "eligibility_window_days": "183",
        "low_stock_threshold": "5",
        "file": file,
    }  # fmt: skip
    data.update(overrides)
    return data


def _csv(text: str, name: str = "vouchers.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def _body(response) -> str:
    return response.content.decode()


# Import


def test_import_preview_lists_every_bad_line_masked_and_imports_nothing(coordinator_client, org_a, provider):
    VoucherFactory(batch__organisation=org_a, batch__provider=provider, provider=provider, code="HELD-CODE-9999")
    bad_iccid = iccid(7)[:-1] + str((int(iccid(7)[-1]) + 1) % 10)
    text = (
        "Code,ICCID\n"  # line 1
        "GOOD-CODE-0001,\n"  # 2: fine
        "GOOD-CODE-0001,\n"  # 3: repeated
        "BAD CODE WITH SPACES 4321,\n"  # 4: malformed
        "HELD-CODE-9999,\n"  # 5: already held
        f",{bad_iccid}\n"  # 6: check digit
        ",12345\n"  # 7: too short
        "GOOD-CODE-0002,8.94420E+19\n"  # 8: Excel shortened it
        ",\n"  # a blank row: skipped, not a problem
        "GOOD-CODE-0003,\n"  # 10: fine
    )
    response = coordinator_client.post(reverse("devices:voucher-import"), _import_form(provider, _csv(text)))
    body = _body(response)
    assert response.status_code == 200
    assert "vouchers.csv has 6 problems: nothing has been imported" in body
    problems = body.split('id="problems"')[1].split("</table>")[0]
    for line in (3, 4, 5, 6, 7, 8):
        assert f'govuk-table__cell--numeric">{line}</td>' in problems
    for line in (2, 9, 10):
        assert f'govuk-table__cell--numeric">{line}</td>' not in problems
    assert "repeated (first on line 2)" in body and "already in your stock" in body and "Luhn" in body
    assert "18 to 20 digits" in body and "Excel has shortened" in body and "malformed" in body
    # No whole code, even the malformed one the service quotes back.
    for secret in ("BAD CODE WITH SPACES 4321", "HELD-CODE-9999", "GOOD-CODE-0001", bad_iccid):
        assert secret not in body
    assert "4321" in body  # shown by its last four characters
    # The form keeps what was typed, so only the file has to be chosen again.
    assert 'value="NDB-ORDER-77"' in body
    assert VoucherBatch.objects.count() == 1 and Voucher.objects.count() == 1  # only the one already held


def test_import_preview_then_confirm_imports_the_batch(coordinator_client, org_a, coordinator_a, provider):
    text = "\ufeffCODE,Sim Serial\nNDB-A-000001,SER1\nNDB-A-000002,SER2\nNDB-A-000003,\n"
    preview = coordinator_client.post(reverse("devices:voucher-import"), _import_form(provider, _csv(text)))
    body = _body(preview)
    assert preview.status_code == 200
    assert "Check the vouchers before you import them" in body and "Import 3 vouchers" in body
    assert "NDB-A-000001" not in body and "••••0001" in body
    assert not Voucher.objects.exists()
    token = body.split('name="token" value="')[1].split('"')[0]

    response = coordinator_client.post(reverse("devices:voucher-import-confirm"), {"token": token}, follow=True)
    batch = VoucherBatch.objects.get()
    assert response.redirect_chain[-1][0] == reverse("devices:voucher-batch-detail", args=[batch.pk])
    assert "3 vouchers imported from vouchers.csv." in _body(response)
    assert (batch.organisation, batch.provider, batch.reference) == (org_a, provider, "NDB-ORDER-77")
    assert (batch.data_allowance_gb, batch.validity_days, batch.low_stock_threshold) == (20, 30, 5)
    assert batch.expires_on == TODAY() + timedelta(days=120) and batch.created_by == coordinator_a.user
    assert sorted(batch.vouchers.values_list("code", "sim_serial")) == [
        ("NDB-A-000001", "SER1"), ("NDB-A-000002", "SER2"), ("NDB-A-000003", "")
    ]  # fmt: skip
    assert "NDB-A-000001" not in _body(response)

    again = coordinator_client.post(reverse("devices:voucher-import-confirm"), {"token": token}, follow=True)
    assert "expired or was already imported" in _body(again)
    assert Voucher.objects.count() == 3


def test_import_confirm_checks_again_and_imports_nothing_if_the_codes_were_taken(
    coordinator_client, org_a, actor_a, provider
):
    text = "code\nNDB-B-000001\nNDB-B-000002\n"
    preview = coordinator_client.post(reverse("devices:voucher-import"), _import_form(provider, _csv(text)))
    token = _body(preview).split('name="token" value="')[1].split('"')[0]
    # Someone imports one of the same codes meanwhile.
    voucher_batch_import(actor=actor_a, rows=[ImportRow(line=2, code="NDB-B-000002")], dry_run=False,
                         provider=provider, kind=VoucherKind.DATA_CODE, expires_on=TODAY() + timedelta(days=9))  # fmt: skip
    response = coordinator_client.post(reverse("devices:voucher-import-confirm"), {"token": token})
    body = _body(response)
    assert response.status_code == 200
    assert "something had changed since the preview" in body
    assert "already in your stock" in body and "NDB-B-000002" not in body
    assert Voucher.objects.count() == 1


def test_import_an_excel_file(coordinator_client, provider):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["ICCID", "SIM serial"])
    sheet.append([iccid(1), "S-1"])
    sheet.append([int(iccid(2)), "S-2"])  # typed in as a number: a spreadsheet keeps 15 digits of it
    sheet.append([8.944200000000000e19, "S-3"])
    sheet.append([12345, "S-4"])  # a short number is exact (and then a bad ICCID)
    content = io.BytesIO()
    workbook.save(content)
    upload = SimpleUploadedFile("sims.xlsx", content.getvalue())
    response = coordinator_client.post(
        reverse("devices:voucher-import"), _import_form(provider, upload, kind=VoucherKind.SIM_CARD)
    )
    body = _body(response)
    assert "sims.xlsx has 3 problems" in body
    assert body.count("so Excel has changed its last digits") == 2
    for line in (3, 4, 5):
        assert f'govuk-table__cell--numeric">{line}</td>' in body
    assert "ICCID must be 18 to 20 digits starting 89" in body


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"provider": ""}, "Choose the provider"),
        ({"kind": ""}, "Choose what kind of vouchers they are"),
        ({"expires_on_0": "", "expires_on_1": "", "expires_on_2": ""}, "Enter the expiry date"),
        ({"expires_on_0": "31", "expires_on_1": "2", "expires_on_2": "2030"}, "Expiry date must be a real date"),
        ({"expires_on_2": "2020"}, "Expiry date must be today or in the future"),
        ({"max_per_resident": "0"}, "How many one resident can have must be a whole number between 1 and 20"),
        ({"data_allowance_gb": "lots"}, "Data allowance must be a number of GB, like 20 or 2.5"),
        ({"file": ""}, "Select the provider&#x27;s CSV or Excel file"),
    ],
)
def test_import_form_errors(coordinator_client, provider, changes, message):
    data = _import_form(provider, _csv("code\nNDB-C-000001\n"), **changes)
    if data["file"] == "":
        del data["file"]
    response = coordinator_client.post(reverse("devices:voucher-import"), data)
    body = _body(response)
    assert response.status_code == 200 and "govuk-error-summary" in body and message in body
    assert not VoucherBatch.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("codes.csv", b"", "The selected file is empty"),
        ("codes.pdf", b"%PDF-1.4", "must be a CSV or an Excel .xlsx file"),
        ("codes.csv", b"NDB-1\nNDB-2\n", "The first row of the file must be its headings"),
        ("codes.csv", b"code\n", "a heading row but no vouchers under it"),
    ],
)
def test_import_refuses_files_it_cannot_read(coordinator_client, provider, name, content, message):
    data = _import_form(provider, SimpleUploadedFile(name, content))
    response = coordinator_client.post(reverse("devices:voucher-import"), data)
    assert message in _body(response) and not VoucherBatch.objects.exists()


def test_file_reading_unknown_columns_and_values_without_heading():
    read = voucher_file_read(filename="x.csv", content=b"code;pin\nNDB-1;1234\n")
    assert read.problems == [(1, "Unknown column “pin”. The columns are: code, iccid, sim_serial")]
    read = voucher_file_read(filename="x.csv", content=b"code,\nNDB-0001,oops\nNDB-0002,\n")
    assert read.problems == [(2, "Column 2 has a value but no heading")]
    assert [row.code for row in read.rows] == ["NDB-0002"]
    spaced = " ".join(iccid(1)[i : i + 4] for i in range(0, 20, 4))  # as printed on the card
    read = voucher_file_read(filename="x.csv", content=f"sep=;\r\nICCID;code\r\n{spaced};X\r\n".encode())
    assert read.rows == [ImportRow(line=3, code="X", iccid=iccid(1))]


def test_frontline_staff_cannot_import_or_see_the_stock(client_a, provider):
    for name in ("devices:voucher-import", "devices:voucher-stock"):
        response = client_a.get(reverse(name))
        assert response.status_code == 403 and "Only coordinators and administrators" in _body(response)
    response = client_a.post(reverse("devices:voucher-import"), _import_form(provider, _csv("code\nNDB-D-1\n")))
    assert response.status_code == 403 and not VoucherBatch.objects.exists()
    assert client_a.post(reverse("devices:voucher-import-confirm"), {"token": "x" * 43}).status_code == 403


def test_a_viewer_gets_403_on_every_voucher_page(client, org_a, batch_a, actor_a, resident_a):
    voucher = _issued(actor_a, resident_a, batch_a)
    viewer = MembershipFactory(organisation=org_a, role=choices.Role.VIEWER)
    client.force_login(viewer.user)
    for path in (
        reverse("devices:voucher-stock"), reverse("devices:voucher-import"),
        reverse("devices:voucher-batch-detail", args=[batch_a.pk]), reverse("devices:voucher-detail", args=[voucher.pk]),
        reverse("devices:voucher-issue", args=[resident_a.pk]), reverse("devices:voucher-activate", args=[voucher.pk]),
    ):  # fmt: skip
        assert client.get(path).status_code == 403, path
    assert client.post(reverse("devices:voucher-show-code", args=[voucher.pk])).status_code == 403


# Stock


def test_stock_page_shows_batches_counts_and_low_stock_with_masked_codes(coordinator_client, batch_a, actor_a):
    resident = ResidentFactory(owning_organisation=actor_a.organisation, first_name="Ada", last_name="Lovell")
    voucher = _issued(actor_a, resident, batch_a)
    response = coordinator_client.get(reverse("devices:voucher-stock"))
    body = _body(response)
    assert response.status_code == 200
    assert "National Databank 20 GB data voucher code" in body and "Low stock" in body  # 2 left, warns at 2
    assert "Ada Lovell" in body and voucher.masked in body
    for n in range(3):
        assert f"NDB-SECRET-{n:04d}" not in body
    issued_only = _body(coordinator_client.get(reverse("devices:voucher-stock"), {"status": "issued"}))
    assert "1 voucher matches" in issued_only
    batch_page = _body(coordinator_client.get(reverse("devices:voucher-batch-detail", args=[batch_a.pk])))
    assert "3 vouchers by status" in batch_page and "NDB-SECRET" not in batch_page


def test_home_page_shows_voucher_stock_to_coordinators_only(coordinator_client, client_a, batch_a):
    home = _body(coordinator_client.get(reverse("home")))
    assert "Data voucher stock" in home and "National Databank" in home
    assert "Vouchers</a>" in home  # in the navigation
    assert "Data voucher stock" not in _body(client_a.get(reverse("home")))


# Issuing and the code shown once


def test_issue_from_the_resident_page_shows_the_code_once_then_only_masked(client_a, resident_a, batch_a, caplog):
    caplog.set_level(logging.DEBUG)
    page = _body(client_a.get(reverse("resident-detail", args=[resident_a.pk])))
    assert "Issue a data voucher" in page and "Data voucher code (3 left)" in page

    response = client_a.post(
        reverse("devices:voucher-issue", args=[resident_a.pk]), {"kind": VoucherKind.DATA_CODE, "confirmed": "on"}
    )
    voucher = Voucher.objects.get(resident=resident_a)
    assert response.status_code == 302 and response.url == reverse("devices:voucher-issued", args=[voucher.pk])
    confirmation = client_a.get(response.url)
    body = _body(confirmation)
    assert voucher.status == V.ISSUED and voucher.code in body and "Data voucher issued" in body
    assert "no-store" in confirmation["Cache-Control"]

    again = client_a.get(response.url)
    assert again.status_code == 302 and again.url == reverse("devices:voucher-detail", args=[voucher.pk])
    for path in (reverse("resident-detail", args=[resident_a.pk]), again.url):
        body = _body(client_a.get(path))
        assert voucher.code not in body and voucher.masked in body
    assert voucher.code not in caplog.text


def test_the_resident_page_reads_only_the_stock_the_issue_form_needs(client_a, resident_a, batch_a, provider):
    """Issue 12: the resident page used to count every voucher of the organisation on each view. Now each
    current batch is read up to ISSUE_COUNT_CAP free vouchers, and the figure says "or more" beyond it;
    vouchers of other residents, of expired batches, or already given out are not read at all."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from devices.vouchers.selectors import ISSUE_COUNT_CAP

    big = VoucherBatchFactory(organisation=batch_a.organisation, provider=provider, kind=VoucherKind.SIM_CARD)
    Voucher.objects.bulk_create(
        Voucher(batch=big, provider=provider, iccid=iccid(9000 + n)) for n in range(ISSUE_COUNT_CAP + 20)
    )
    expired = VoucherBatchFactory(organisation=batch_a.organisation, provider=provider,
                                  expires_on=TODAY() - timedelta(days=1))  # fmt: skip
    VoucherFactory(batch=expired)
    with CaptureQueriesContext(connection) as queries:
        page = _body(client_a.get(reverse("resident-detail", args=[resident_a.pk])))
    assert "Data voucher code (3 left)" in page  # the expired batch's voucher is not offered
    assert f"SIM card ({ISSUE_COUNT_CAP} or more left)" in page
    stock_reads = [q["sql"] for q in queries if "devices_voucher " in q["sql"] or '"devices_voucher"' in q["sql"]]
    for sql in stock_reads:
        # Either this resident's own vouchers, or a bounded read of the free ones.
        assert f"'{resident_a.pk.hex}'" in sql.replace("-", "") or "LIMIT 100" in sql, sql
    assert not any("COUNT(" in sql.upper() and "LIMIT" not in sql for sql in stock_reads)


def test_issue_refusals_show_the_services_message_on_the_form(client_a, resident_a, batch_a, actor_a):
    _issued(actor_a, resident_a, batch_a)
    response = client_a.post(
        reverse("devices:voucher-issue", args=[resident_a.pk]), {"kind": VoucherKind.DATA_CODE, "confirmed": "on"}
    )
    body = _body(response)
    assert response.status_code == 200 and "govuk-error-summary" in body
    assert "this batch allows 1 per resident every 183 days" in body
    assert 'href="#id_voucher_kind_1"' in body  # the summary links to the radio at fault

    Voucher.objects.filter(status=V.AVAILABLE).update(status=V.WITHDRAWN)
    other = ResidentFactory(owning_organisation=resident_a.owning_organisation)
    response = client_a.post(
        reverse("devices:voucher-issue", args=[other.pk]), {"kind": VoucherKind.DATA_CODE, "confirmed": "on"}
    )
    assert "None left: every voucher of that kind has been issued" in _body(response)

    response = client_a.post(reverse("devices:voucher-issue", args=[other.pk]), {"confirmed": "on"})
    assert "Choose what they need" in _body(response)


def test_show_code_reveals_it_and_records_it_on_the_timeline(client_a, resident_a, batch_a, actor_a):
    voucher = _issued(actor_a, resident_a, batch_a)
    assert client_a.get(reverse("devices:voucher-show-code", args=[voucher.pk])).status_code == 405
    response = client_a.post(reverse("devices:voucher-show-code", args=[voucher.pk]), {"return_to": "resident"})
    body = _body(response)
    assert response.status_code == 200 and voucher.code in body and "no-store" in response["Cache-Control"]
    event = CaseEvent.objects.get(resident=resident_a, kind=VoucherEventKind.VOUCHER_REVEALED)
    assert voucher.masked in event.summary and voucher.code not in event.summary
    assert voucher.code not in _body(client_a.get(reverse("resident-detail", args=[resident_a.pk])))


# What happened to it


def test_mark_activated_from_the_resident_page(client_a, resident_a, batch_a, actor_a):
    voucher = _issued(actor_a, resident_a, batch_a)
    response = client_a.post(reverse("devices:voucher-activate", args=[voucher.pk]), {"return_to": "resident"},
                             follow=True)  # fmt: skip
    assert response.redirect_chain[-1][0] == reverse("resident-detail", args=[resident_a.pk]) + "#vouchers"
    assert f"{voucher.masked} is marked as activated." in _body(response)
    voucher.refresh_from_db()
    assert voucher.status == V.ACTIVATED

    again = client_a.post(reverse("devices:voucher-activate", args=[voucher.pk]), {"return_to": "resident"})
    assert again.status_code == 200
    assert "This voucher is activated, so it cannot be marked activated." in _body(again)


def test_mark_not_working_issues_a_replacement_and_shows_its_code_once(client_a, resident_a, batch_a, actor_a):
    voucher = _issued(actor_a, resident_a, batch_a)
    empty = client_a.post(reverse("devices:voucher-fail", args=[voucher.pk]), {"reason": "  "})
    assert "Enter what went wrong" in _body(empty)
    too_long = client_a.post(reverse("devices:voucher-fail", args=[voucher.pk]), {"reason": "x" * 301})
    assert "What went wrong must be 300 characters or fewer" in _body(too_long)

    response = client_a.post(reverse("devices:voucher-fail", args=[voucher.pk]), {"reason": "Network says invalid"},
                             follow=True)  # fmt: skip
    replacement = Voucher.objects.get(replacement_for=voucher)
    body = _body(response)
    assert response.redirect_chain[-1][0] == reverse("devices:voucher-issued", args=[replacement.pk])
    assert "is marked as not working, and a replacement was issued" in body
    assert replacement.code in body and voucher.code not in body
    voucher.refresh_from_db()
    assert voucher.status == V.FAILED and voucher.failure_reason == "Network says invalid"


def test_mark_not_working_when_none_is_left_says_so(client_a, resident_a, batch_a, actor_a):
    voucher = _issued(actor_a, resident_a, batch_a)
    Voucher.objects.filter(status=V.AVAILABLE).update(status=V.WITHDRAWN)
    response = client_a.post(reverse("devices:voucher-fail", args=[voucher.pk]),
                             {"reason": "Not recognised", "return_to": "resident"}, follow=True)  # fmt: skip
    assert response.redirect_chain[-1][0] == reverse("resident-detail", args=[resident_a.pk]) + "#vouchers"
    assert "There was no replacement to give" in _body(response)
    assert not Voucher.objects.filter(replacement_for=voucher).exists()


def test_withdraw(client_a, coordinator_client, resident_a, batch_a, actor_a):
    voucher = _issued(actor_a, resident_a, batch_a)
    too_long = client_a.post(reverse("devices:voucher-withdraw", args=[voucher.pk]), {"reason": "x" * 301})
    assert "The reason must be 300 characters or fewer" in _body(too_long)
    response = client_a.post(reverse("devices:voucher-withdraw", args=[voucher.pk]), {"reason": "Moved away"})
    assert response.status_code == 302 and response.url == reverse("devices:voucher-detail", args=[voucher.pk])
    voucher.refresh_from_db()
    assert voucher.status == V.WITHDRAWN and voucher.failure_reason == "Moved away"
    again = client_a.post(reverse("devices:voucher-withdraw", args=[voucher.pk]), {"reason": ""})
    assert "This voucher is withdrawn, so it cannot be withdrawn." in _body(again)

    # Taking one out of stock is for coordinators.
    in_stock = batch_a.vouchers.filter(status=V.AVAILABLE).first()
    assert client_a.get(reverse("devices:voucher-withdraw", args=[in_stock.pk])).status_code == 403
    response = coordinator_client.post(reverse("devices:voucher-withdraw", args=[in_stock.pk]), {"reason": "Damaged"})
    assert response.status_code == 302
    in_stock.refresh_from_db()
    assert in_stock.status == V.WITHDRAWN


def test_voucher_page_lists_what_happened_without_the_code(client_a, resident_a, batch_a, actor_a):
    voucher = _issued(actor_a, resident_a, batch_a)
    voucher_activate(actor=actor_a, voucher=voucher)
    body = _body(client_a.get(reverse("devices:voucher-detail", args=[voucher.pk])))
    assert voucher.masked in body and voucher.code not in body
    assert "Activated" in body and resident_a.display_name in body and "Show code" in body


# Scoping


def test_another_organisations_voucher_and_batch_are_404(client_b, org_b, resident_a, batch_a, actor_a):
    voucher = _issued(actor_a, resident_a, batch_a)
    coordinator_b = MembershipFactory(organisation=org_b, role=choices.Role.COORDINATOR)
    for user_client in (client_b,):
        for name in ("voucher-detail", "voucher-issued", "voucher-activate", "voucher-fail", "voucher-withdraw"):
            path = reverse(f"devices:{name}", args=[voucher.pk])
            assert user_client.get(path).status_code == 404, path
            assert user_client.post(path, {"reason": "x"}).status_code == 404, path
        assert user_client.post(reverse("devices:voucher-show-code", args=[voucher.pk])).status_code == 404
        assert user_client.get(reverse("devices:voucher-batch-detail", args=[batch_a.pk])).status_code == 404
        assert (
            user_client.post(reverse("devices:voucher-issue", args=[resident_a.pk]), {"kind": "data_code"}).status_code
            == 404
        )
    client_b.force_login(coordinator_b.user)
    assert client_b.get(reverse("devices:voucher-batch-detail", args=[batch_a.pk])).status_code == 404
    stock = _body(client_b.get(reverse("devices:voucher-stock")))
    assert "National Databank" not in stock and voucher.masked not in stock
    voucher.refresh_from_db()
    assert voucher.status == V.ISSUED
    assert not CaseEvent.objects.filter(kind=VoucherEventKind.VOUCHER_REVEALED).exists()


def test_a_shared_residents_vouchers_from_another_organisation_are_listed_without_actions(
    client_a, org_b, resident_a, provider
):
    """B lent to A's resident, so B may see them and issue one; A sees it listed, but cannot act on it."""
    from inclusion import registry

    registry.register_resident_link("test link", lambda organisation: [resident_a.pk] if organisation == org_b else [])
    try:
        batch_b = VoucherBatchFactory(organisation=org_b, provider=provider)
        VoucherFactory(batch=batch_b, code="BETA-SECRET-0001")
        staff_b = MembershipFactory(organisation=org_b)
        voucher = voucher_issue(actor=Actor.for_membership(staff_b), resident=resident_a, kind=batch_b.kind)
        body = _body(client_a.get(reverse("resident-detail", args=[resident_a.pk])))
        assert voucher.masked in body and f"by {org_b}" in body and voucher.code not in body
        assert reverse("devices:voucher-show-code", args=[voucher.pk]) not in body
    finally:
        registry.unregister_resident_link("test link")


def test_voucher_export_masks_every_code_and_names_no_resident(
    coordinator_client, client_a, actor_a, resident_a, batch_a
):
    issued = voucher_issue(actor=actor_a, resident=resident_a, kind="data_code")
    response = coordinator_client.get(reverse("devices:voucher-export-csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("Voucher,Provider,Kind") and len(lines) == 1 + batch_a.vouchers.count()
    for voucher in batch_a.vouchers.all():
        assert voucher.code not in body and voucher.masked in body
    assert resident_a.last_name not in body and issued.code not in body
    assert client_a.get(reverse("devices:voucher-export-csv")).status_code == 403


def test_import_over_the_hourly_limit_says_so_and_checks_nothing(coordinator_client, provider, settings):
    settings.VOUCHER_IMPORTS_PER_HOUR = 1
    coordinator_client.post(reverse("devices:voucher-import"), _import_form(provider, _csv("code\nNDB-Z-000001\n")))
    response = coordinator_client.post(reverse("devices:voucher-import"),
                                       _import_form(provider, _csv("code\nNDB-Z-000002\n")))  # fmt: skip
    body = _body(response)
    assert response.status_code == 200
    assert "You have made 1 voucher import or check this hour, the most allowed. Try again after" in body
    assert "Check the vouchers before you import them" not in body


def test_voucher_page_shows_its_history_with_who_and_why(client_a, coordinator_client, resident_a, batch_a, actor_a):
    voucher = _issued(actor_a, resident_a, batch_a)
    client_a.post(reverse("devices:voucher-withdraw", args=[voucher.pk]), {"reason": "Moved to Walsall"})
    body = _body(client_a.get(reverse("devices:voucher-detail", args=[voucher.pk])))
    history = body[body.index('id="history"') :]
    assert history.index("Withdrawn") < history.index("Issued")  # newest first
    assert "Issued → Withdrawn" in history and "Available → Issued" in history
    assert "Moved to Walsall" in history and str(actor_a.user) in history
    assert voucher.code not in body
