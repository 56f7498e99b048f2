"""Import, export and label pages: who may use them, the upload → preview → confirm flow, the downloads."""

import csv
import io
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve, reverse
from openpyxl import load_workbook

from devices import labels
from devices.models import Device, DeviceEvent, DeviceStatus
from devices.views import files as io_views
from inclusion import choices

from ..factories import MembershipFactory
from .factories import DeviceFactory
from .test_imports import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

GOOD = [["asset_tag", "kind", "make", "model"], ["WEB-1", "Laptop", "Dell", "Latitude"], ["", "tablet", "", ""],
        ["WEB-3", "chromebook", "HP", ""]]  # fmt: skip


@pytest.fixture
def coordinator_a(org_a):
    return MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR)


@pytest.fixture
def coordinator(client, coordinator_a):
    client.force_login(coordinator_a.user)
    return client


@pytest.fixture
def device_a(org_a):
    return DeviceFactory(owning_organisation=org_a, asset_tag="LAP-001", make="Lenovo", model="ThinkPad T480")


def upload(client, rows=None, *, content=None, name="stock.csv"):
    content = csv_bytes(rows) if content is None else content
    return client.post(reverse("devices:device-import"), {"file": SimpleUploadedFile(name, content)})


def token_of(response) -> str:
    match = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    assert match, "no confirm form on the page"
    return match.group(1)


def page(response) -> str:
    return response.content.decode()


# Routes and permissions


def test_routes_resolve_to_these_pages():
    """Also fails if a device page's "<asset_tag>/" pattern comes first and swallows these."""
    for path, name in (("/devices/import/", "device-import"), ("/devices/import/confirm/", "device-import-confirm"),
                       ("/devices/export.csv", "device-export-csv"), ("/devices/export.xlsx", "device-export-xlsx"),
                       ("/devices/labels/", "device-labels"), ("/devices/stock/LAP-001/label/", "device-label")):  # fmt: skip
        match = resolve(path)
        assert (match.namespace, match.url_name) == ("devices", name)
    assert reverse("devices:device-label", args=["DI-000001"]) == "/devices/stock/DI-000001/label/"


PAGES = [
    ("get", "devices:device-import", []),
    ("post", "devices:device-import", []),
    ("post", "devices:device-import-confirm", []),
    ("get", "devices:device-export-csv", []),
    ("get", "devices:device-export-xlsx", []),
    ("get", "devices:device-labels", []),
    ("get", "devices:device-label", ["LAP-001"]),
]


@pytest.mark.parametrize("role", [choices.Role.FRONTLINE, choices.Role.VIEWER])
@pytest.mark.parametrize(("method", "name", "args"), PAGES)
def test_only_coordinators_and_administrators_may_use_these_pages(client, org_a, device_a, role, method, name, args):
    client.force_login(MembershipFactory(organisation=org_a, role=role).user)
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 403
    assert "Only coordinators and administrators" in page(response)


@pytest.mark.parametrize(("method", "name", "args"), PAGES)
def test_administrators_may_use_them(client, org_a, device_a, method, name, args):
    client.force_login(MembershipFactory(organisation=org_a, role=choices.Role.ADMINISTRATOR).user)
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code in (200, 302)


@pytest.mark.parametrize(("method", "name", "args"), PAGES)
def test_signed_out_people_are_sent_to_sign_in(client, device_a, method, name, args):
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", [choices.Role.COORDINATOR, choices.Role.FRONTLINE])
def test_another_organisations_device_label_is_404_whatever_the_role(client, org_b, device_a, role):
    client.force_login(MembershipFactory(organisation=org_b, role=role).user)
    response = client.get(reverse("devices:device-label", args=["LAP-001"]))
    assert response.status_code == 404
    assert "LAP-001" not in page(response) and "ThinkPad" not in page(response)


def test_a_label_for_a_tag_nobody_has_is_404(coordinator):
    assert coordinator.get(reverse("devices:device-label", args=["NOPE-1"])).status_code == 404


def test_labels_and_exports_do_not_accept_posts(coordinator, device_a):
    for name, args in (("devices:device-label", ["LAP-001"]), ("devices:device-export-csv", []),
                       ("devices:device-labels", [])):  # fmt: skip
        assert coordinator.post(reverse(name, args=args)).status_code == 405
    assert coordinator.get(reverse("devices:device-import-confirm")).status_code == 405


# Import: upload, preview, confirm


def test_the_import_page_has_a_gov_uk_file_upload(coordinator):
    response = coordinator.get(reverse("devices:device-import"))
    assert response.status_code == 200
    body = page(response)
    assert 'enctype="multipart/form-data"' in body
    assert 'class="govuk-file-upload" id="id_file" name="file" type="file"' in body
    assert '<label class="govuk-label govuk-label--m" for="id_file">Upload a file</label>' in body


@pytest.mark.parametrize(
    ("content", "name", "error"),
    [
        (None, None, "Select a CSV or Excel file"),
        (b"", "stock.csv", "The selected file is empty"),
        (b"\xef\xbb\xbf", "stock.csv", "The selected file is empty"),
        (b"%PDF-1.7", "stock.pdf", "The selected file must be a CSV or an Excel .xlsx file"),
        (b"kind\r\n", "stock.csv", "The selected file has a heading row but no devices under it"),
    ],
    ids=["no-file", "empty", "bom-only", "pdf", "heading-only"],
)
def test_an_unusable_file_is_one_error_on_the_form(coordinator, content, name, error):
    data = {} if content is None else {"file": SimpleUploadedFile(name, content)}
    response = coordinator.post(reverse("devices:device-import"), data)
    assert response.status_code == 200
    body = page(response)
    assert response.templates[0].name == "devices/import.html"
    assert '<h2 class="govuk-error-summary__title" id="error-summary-title">' in body
    assert f'<a href="#id_file">{error}' in body
    assert f'<span class="govuk-visually-hidden">Error:</span> {error}' in body
    assert "govuk-file-upload--error" in body
    assert body.count(error) == 2  # once in the summary, once by the field: one clear error


def test_a_file_too_large_is_refused_before_it_is_read(coordinator, monkeypatch):
    monkeypatch.setattr("devices.imports.MAX_BYTES", 1024 * 1024)
    response = upload(coordinator, content=b"kind\r\n" + b"laptop\r\n" * 200_000)
    assert "The selected file must be smaller than 1 MB" in page(response)


def test_bad_rows_are_listed_with_line_column_and_reason_and_nothing_is_imported(coordinator, org_a):
    DeviceFactory(owning_organisation=org_a, asset_tag="HELD-1")
    rows = [["asset_tag", "kind", "Colour"], ["OK-1", "laptop", ""], ["HELD-1", "laptop", ""],
            ["X-2", "Desktop", ""], ["ok-1", "", ""]]  # fmt: skip
    response = upload(coordinator, rows)
    assert response.status_code == 200
    body = page(response)
    assert response.templates[0].name == "devices/import_preview.html"
    assert "<title>Error: Fix the problems in stock.csv" in body
    assert "5 problems in stock.csv: nothing has been imported" in body
    cells = re.findall(r'<td class="govuk-table__cell(?: govuk-table__cell--numeric)?">(.*?)</td>', body, re.S)
    table = [tuple(cells[i : i + 3]) for i in range(0, len(cells), 3)]
    assert [(line, column) for line, column, _ in table] == [
        ("1", "Colour"), ("3", "asset_tag"), ("4", "kind"), ("5", "asset_tag"), ("5", "kind")]  # fmt: skip
    assert "Asset tag HELD-1 is already in use" in body
    assert "Asset tag OK-1 is also on line 2" in body
    assert 'name="token"' not in body and "Import " not in re.sub(r"<title>.*?</title>", "", body)
    assert Device.objects.count() == 1


def test_preview_then_confirm_imports_the_file_once_with_a_success_banner(coordinator, org_a):
    response = upload(coordinator, GOOD)
    body = page(response)
    assert "Check the devices before you import them" in body
    assert "3 devices will be added to Alpha Council" in body and "1 without an asset tag will be given one" in body
    assert ">Import 3 devices</button>" in body
    assert "WEB-1" in body and "Dell Latitude" in body
    assert Device.objects.count() == 0  # nothing until confirmed

    token = token_of(response)
    response = coordinator.post(reverse("devices:device-import-confirm"), {"token": token}, follow=True)
    assert response.status_code == 200
    assert "govuk-notification-banner--success" in page(response)
    assert "3 devices imported from stock.csv." in page(response)
    devices = Device.objects.filter(owning_organisation=org_a)
    assert devices.count() == 3 and set(devices.values_list("status", flat=True)) == {DeviceStatus.RECEIVED}
    assert DeviceEvent.objects.filter(action="receive", data__import="stock.csv").count() == 3

    again = coordinator.post(reverse("devices:device-import-confirm"), {"token": token}, follow=True)
    assert "That upload has expired or was already imported" in page(again)
    assert Device.objects.count() == 3


def test_an_xlsx_file_goes_through_the_same_flow(coordinator, org_a):
    response = upload(coordinator, content=xlsx_bytes(GOOD), name="stock.xlsx")
    assert ">Import 3 devices</button>" in page(response)
    coordinator.post(reverse("devices:device-import-confirm"), {"token": token_of(response)})
    assert Device.objects.filter(owning_organisation=org_a).count() == 3


def test_the_upload_waits_in_the_cache_for_30_minutes(coordinator, coordinator_a):
    token = token_of(upload(coordinator, GOOD))
    key = cache.make_and_validate_key(f"devices:import:{token}")
    ttl = cache._cache.get_client(key).ttl(key)
    assert io_views.IMPORT_KEEP_SECONDS == 30 * 60 and 30 * 60 - 5 <= ttl <= 30 * 60
    kept = cache.get(f"devices:import:{token}")
    assert kept["filename"] == "stock.csv" and kept["user"] == coordinator_a.user.pk


def test_confirm_checks_the_file_again(coordinator, org_a):
    token = token_of(upload(coordinator, GOOD))
    DeviceFactory(owning_organisation=org_a, asset_tag="WEB-3")  # taken since the preview, by a colleague
    response = coordinator.post(reverse("devices:device-import-confirm"), {"token": token})
    assert response.status_code == 200
    body = page(response)
    assert "something had changed since" in body and "Asset tag WEB-3 is already in use" in body
    assert Device.objects.count() == 1


@pytest.mark.parametrize("who", ["same-organisation", "other-organisation"])
def test_someone_elses_token_imports_nothing(client, coordinator, org_a, org_b, who):
    token = token_of(upload(coordinator, GOOD))
    other = MembershipFactory(organisation=org_a if who == "same-organisation" else org_b,
                              role=choices.Role.COORDINATOR)  # fmt: skip
    client.force_login(other.user)
    response = client.post(reverse("devices:device-import-confirm"), {"token": token}, follow=True)
    assert "That upload has expired" in page(response)
    assert Device.objects.count() == 0
    assert cache.get(f"devices:import:{token}") is not None  # still there for the person who uploaded it


def test_a_token_kept_for_one_organisation_cannot_import_into_another_of_the_users(client, coordinator_a, org_b):
    MembershipFactory(organisation=org_b, user=coordinator_a.user, role=choices.Role.COORDINATOR)
    client.force_login(coordinator_a.user)
    token = token_of(upload(client, GOOD))
    client.post(
        reverse("switch-organisation"), {"membership": coordinator_a.user.memberships.get(organisation=org_b).pk}
    )
    response = client.post(reverse("devices:device-import-confirm"), {"token": token}, follow=True)
    assert "That upload has expired" in page(response) and Device.objects.count() == 0


@pytest.mark.parametrize("token", ["", "short", "x" * 200, "../../etc", "a" * 43])
def test_a_missing_or_unknown_token_says_the_upload_expired(coordinator, token):
    response = coordinator.post(reverse("devices:device-import-confirm"), {"token": token})
    assert response.status_code == 302 and response.url == reverse("devices:device-import")
    assert Device.objects.count() == 0


# Export


def test_csv_export_downloads_the_filtered_stock(coordinator, org_a, org_b):
    DeviceFactory(owning_organisation=org_a, asset_tag="R-1", status=DeviceStatus.READY, kind="laptop")
    DeviceFactory(owning_organisation=org_a, asset_tag="R-2", status=DeviceStatus.READY, kind="tablet")
    DeviceFactory(owning_organisation=org_a, asset_tag="W-1", status=DeviceStatus.WIPED, donor="=1+1")
    DeviceFactory(owning_organisation=org_b, asset_tag="B-1", status=DeviceStatus.READY)
    response = coordinator.get(reverse("devices:device-export-csv"), {"status": "ready"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="alpha-devices-\d{4}-\d{2}-\d{2}\.csv"', response["Content-Disposition"])
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"), newline="")))
    assert rows[0][0] == "Asset tag" and [row[0] for row in rows[1:]] == ["R-1", "R-2"]
    rows = list(csv.reader(io.StringIO(
        b"".join(coordinator.get(reverse("devices:device-export-csv"), {"kind": "laptop", "status": "ready"})
                 .streaming_content).decode("utf-8-sig"), newline="")))  # fmt: skip
    assert [row[0] for row in rows[1:]] == ["R-1"]
    everything = b"".join(coordinator.get(reverse("devices:device-export-csv")).streaming_content).decode("utf-8-sig")
    assert "W-1" in everything and "'=1+1" in everything and "B-1" not in everything


def test_xlsx_export_downloads_the_filtered_stock(coordinator, org_a, org_b):
    DeviceFactory(owning_organisation=org_a, asset_tag="L-1", location="Library", notes="@SUM(1)")
    DeviceFactory(owning_organisation=org_a, asset_tag="M-1", location="Main office")
    DeviceFactory(owning_organisation=org_b, asset_tag="B-1", location="Library")
    response = coordinator.get(reverse("devices:device-export-xlsx"), {"location": "Library"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].endswith('.xlsx"')
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Asset tag" and [row[0] for row in rows[1:]] == ["L-1"]
    assert rows[1][11] == "'@SUM(1)"


# Labels


def test_the_label_shows_the_organisation_the_tag_large_and_a_qr_code_of_it(coordinator, device_a):
    response = coordinator.get(reverse("devices:device-label", args=["lap-001"]))  # as typed: capitals forgiven
    assert response.status_code == 200
    body = page(response)
    assert '<p class="app-label__tag">LAP-001</p>' in body
    assert '<p class="app-label__organisation">Alpha Council</p>' in body
    assert '<p class="app-label__description">Lenovo ThinkPad T480</p>' in body
    qr = str(labels.qr_svg("LAP-001", description="QR code of asset tag LAP-001"))
    assert qr in body  # the SVG of exactly the tag
    assert '<svg role="img" aria-label="QR code of asset tag LAP-001" viewBox=' in body
    assert "<title>QR code of asset tag LAP-001</title>" in body
    assert "@media print" in body and "window.print()" in body


def test_the_qr_code_encodes_exactly_the_tag():
    import segno

    expected = segno.make("DI-000042", micro=False, error="m", boost_error=True)
    svg = str(labels.qr_svg("DI-000042", description="x"))
    assert expected.svg_inline(scale=1, border=2, omitsize=True, title="x", svgclass="app-label__qr").split(
        "<path", 1)[1] in svg  # fmt: skip


def test_label_text_is_escaped(coordinator, org_a):
    DeviceFactory(owning_organisation=org_a, asset_tag="ESC-1", make="<script>alert(1)</script>", model="")
    body = page(coordinator.get(reverse("devices:device-label", args=["ESC-1"])))
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_the_label_sheet_prints_the_chosen_devices_in_sheets_of_21(coordinator, org_a, org_b):
    for n in range(23):
        DeviceFactory(owning_organisation=org_a, asset_tag=f"RD-{n:03d}", status=DeviceStatus.READY)
    DeviceFactory(owning_organisation=org_a, asset_tag="WIPED-1", status=DeviceStatus.WIPED)
    DeviceFactory(owning_organisation=org_b, asset_tag="OTHER-1", status=DeviceStatus.READY)
    response = coordinator.get(reverse("devices:device-labels"), {"status": "ready"})
    body = page(response)
    assert body.count('class="app-label-sheet"') == 2
    assert body.count('<p class="app-label__tag">') == 23
    assert "WIPED-1" not in body and "OTHER-1" not in body
    assert "23 labels for devices ready to lend, on 2 A4 sheets of 21" in body
    assert '<option value="ready" selected>' in body


def test_the_label_sheet_stops_at_its_limit_and_says_so(coordinator, org_a, monkeypatch):
    monkeypatch.setattr(labels, "MAX_LABELS", 2)
    for n in range(3):
        DeviceFactory(owning_organisation=org_a, asset_tag=f"LIM-{n}")
    body = page(coordinator.get(reverse("devices:device-labels")))
    assert body.count('<p class="app-label__tag">') == 2 and "Only the first 2 are shown" in body


def test_the_label_sheet_with_nothing_to_print_says_so(coordinator):
    body = page(coordinator.get(reverse("devices:device-labels"), {"status": "lost"}))
    assert "No devices match" in body and "window.print()" not in body
