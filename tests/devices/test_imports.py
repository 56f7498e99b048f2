"""Stock import from CSV and .xlsx: every bad row reported with its line, all-or-nothing, bulk inserts."""

import csv
import io
import threading
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from openpyxl import Workbook

from devices import imports, services
from devices.imports import DeviceImportRefused, Problem, device_import_check
from devices.models import Device, DeviceEvent, DeviceStatus
from inclusion.actors import Actor
from inclusion.errors import DomainError

from ..factories import MembershipFactory, OrganisationFactory
from .factories import DeviceFactory

pytestmark = pytest.mark.django_db

HEADER = ["asset_tag", "serial_number", "kind", "make", "model", "specification", "accessories", "location", "source",
          "donor", "condition", "notes"]  # fmt: skip


def csv_bytes(rows, *, bom=False, delimiter=",", encoding="utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(rows)  # the excel dialect: quoted cells, CRLF line ends
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode(encoding)


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def problems_at(check) -> list[tuple]:
    return [(problem.line, problem.column) for problem in check.problems]


GOOD_ROWS = [
    HEADER,
    ["LAP-0101", "PF1ABCDE", "Laptop", "Lenovo", "ThinkPad T480", "i5, 8 GB", "charger; case", "Main office",
     "Donated", "Rotary Club", "Good", ""],
    ["lap-0102", "PF1ABCDF", "laptop", "Dell", "Latitude 5490", "", "Charger", "Main office", "refurbished", "",
     "Fair: marks or wear", "Scratch on the lid"],
    ["", "R52N90", "TABLET", "Samsung", "Galaxy Tab A8", "", "", "Library", "", "", "", ""],
]  # fmt: skip


def test_good_csv_imports_every_device_as_received_with_its_history(actor_a, org_a):
    devices = services.device_import(actor=actor_a, filename="C:\\Users\\sam\\stock.csv", content=csv_bytes(GOOD_ROWS))
    assert len(devices) == 3
    first, second, third = (Device.objects.get(pk=device.pk) for device in devices)
    assert (first.asset_tag, first.kind, first.source, first.condition) == ("LAP-0101", "laptop", "donated", "good")
    assert first.accessories == ["charger", "case"] and first.specification == "i5, 8 GB"
    assert (second.asset_tag, second.source, second.condition, second.notes) == (
        "LAP-0102", "refurbished", "fair", "Scratch on the lid")  # fmt: skip
    assert third.asset_tag.startswith("AC-") and third.kind == "tablet"
    assert third.source == "donated" and third.condition == "good"  # the model's defaults for blanks
    assert {d.status for d in (first, second, third)} == {DeviceStatus.RECEIVED}
    assert {d.owning_organisation_id for d in (first, second, third)} == {org_a.pk}
    events = DeviceEvent.objects.filter(device__in=devices)
    assert events.count() == 3
    assert set(events.values_list("action", "to_status", "actor", "organisation")) == {
        ("receive", DeviceStatus.RECEIVED, actor_a.user.pk, org_a.pk)}  # fmt: skip
    assert {event.data["import"] for event in events} == {"stock.csv"}  # the file's name, without folders


def test_good_xlsx_imports_with_numbers_and_dates_as_text(actor_a):
    rows = [
        ["Asset Tag", "Serial Number", "Kind", "Make", "Notes"],
        ["XL-1", 123456789, "Chromebook", "HP", datetime(2026, 3, 1)],
        [None, 987654321.0, "MiFi or hotspot", None, None],
    ]
    devices = services.device_import(actor=actor_a, filename="stock.xlsx", content=xlsx_bytes(rows))
    first, second = (Device.objects.get(pk=device.pk) for device in devices)
    assert (first.asset_tag, first.serial_number, first.kind, first.notes) == ("XL-1", "123456789", "chromebook",
                                                                               "2026-03-01")  # fmt: skip
    assert second.serial_number == "987654321" and second.kind == "mifi" and second.asset_tag.startswith("AC-")


def test_the_sample_file_in_docs_imports(actor_a):
    sample = Path(settings.BASE_DIR) / "docs" / "samples" / "devices.csv"
    check = device_import_check(organisation=OrganisationFactory(), filename=sample.name, content=sample.read_bytes())
    assert check.problems == [] and check.file_error == ""
    assert len(check.rows) == 4 and check.tags_to_generate == 1


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_imported(actor_a, org_b):
    DeviceFactory(owning_organisation=actor_a.organisation, asset_tag="HELD-1")
    DeviceFactory(owning_organisation=org_b, asset_tag="OK-1")  # another organisation's: no bar to ours
    rows = [
        ["asset_tag", "kind", "make", "source", "condition", "accessories", "notes"],
        ["OK-1", "laptop", "Lenovo", "", "", "", ""],  # line 2: fine
        ["BAD-KIND", "Desktop", "", "", "", "", ""],  # 3
        ["NO-KIND", "", "", "", "", "", ""],  # 4
        ["BAD-SOURCE", "tablet", "", "Found it", "", "", ""],  # 5
        ["BAD-COND", "tablet", "", "", "Broken", "", ""],  # 6
        ["LONG", "tablet", "x" * 101, "", "", "", ""],  # 7
        ["NUL", "tablet", "Len\x00ovo", "", "", "", ""],  # 8
        ["ok-1", "tablet", "", "", "", "", ""],  # 9: OK-1 again, in other capitals
        ["HELD-1", "tablet", "", "", "", "", ""],  # 10: already in our stock
        ["A/B", "tablet", "", "", "", "", ""],  # 11: a slash would break the label's address
        ["ACC", "tablet", "", "", "", "charger; jetpack", ""],  # 12
        ["NOTES", "tablet", "", "", "", "", "n" * 2001],  # 13
        ["", "", "", "", "", "", ""],  # 14: blank, skipped
        ["TWO", "Desktop", "", "Found it", "", "", ""],  # 15: two problems on one row
    ]
    content = csv_bytes(rows)
    check = device_import_check(organisation=actor_a.organisation, filename="stock.csv", content=content)
    assert problems_at(check) == [
        (3, "kind"), (4, "kind"), (5, "source"), (6, "condition"), (7, "make"), (8, "make"), (9, "asset_tag"),
        (10, "asset_tag"), (11, "asset_tag"), (12, "accessories"), (13, "notes"), (15, "kind"), (15, "source"),
    ]  # fmt: skip
    messages = {(p.line, p.column): p.message for p in check.problems}
    assert messages[3, "kind"] == ("“Desktop” is not a kind of device: use Laptop, Chromebook, Tablet, Smartphone, "
                                   "MiFi or hotspot or Other")  # fmt: skip
    assert messages[4, "kind"] == "Enter the kind of device, such as Laptop or Tablet"
    assert messages[5, "source"] == "“Found it” is not a source we know: use Purchased, Donated or Refurbished"
    assert messages[6, "condition"] == "“Broken” is not a condition we know: use As new, Good, Fair or Poor"
    assert messages[7, "make"] == "Make must be 100 characters or fewer (this has 101)"
    assert messages[8, "make"].startswith("Contains a NUL character")
    assert messages[9, "asset_tag"] == "Asset tag OK-1 is also on line 2"
    assert messages[10, "asset_tag"] == "Asset tag HELD-1 is already in use"
    assert messages[11, "asset_tag"].startswith("Asset tag “A/B” can only have letters, numbers")
    assert messages[12, "accessories"].startswith("“jetpack” is not an accessory we know")
    assert messages[13, "notes"] == "Notes must be 2000 characters or fewer (this has 2001)"

    with pytest.raises(DeviceImportRefused) as refused:
        services.device_import(actor=actor_a, filename="stock.csv", content=content)
    assert refused.value.message == "stock.csv has 13 problems, so nothing was imported."
    assert problems_at(refused.value.check) == problems_at(check)
    assert Device.objects.count() == 2 and DeviceEvent.objects.count() == 0  # the two made above


def test_unknown_columns_are_reported_once_and_stop_the_import(actor_a):
    rows = [["asset_tag", "kind", "Colour", "Price"], ["A-1", "laptop", "red", "100"], ["A-2", "laptop", "blue", "90"]]
    check = device_import_check(organisation=OrganisationFactory(), filename="stock.csv", content=csv_bytes(rows))
    assert check.problems == [
        Problem(1, "Colour", "Unknown column “Colour”. The columns are: " + ", ".join(imports.IMPORT_COLUMNS)),
        Problem(1, "Price", "Unknown column “Price”. The columns are: " + ", ".join(imports.IMPORT_COLUMNS)),
    ]
    assert not check.ok


def test_a_missing_kind_column_is_reported_once_not_on_every_row():
    rows = [["asset_tag", "make"], ["A-1", "Dell"], ["A-2", "HP"]]
    check = device_import_check(organisation=OrganisationFactory(), filename="stock.csv", content=csv_bytes(rows))
    assert check.problems == [Problem(1, "kind", "There is no kind column: every device needs a kind, such as Laptop")]


def test_repeated_columns_and_values_under_a_blank_heading_are_reported():
    rows = [["kind", "Kind", "", "make"], ["laptop", "tablet", "stray", "Dell"]]
    check = device_import_check(organisation=OrganisationFactory(), filename="stock.csv", content=csv_bytes(rows))
    assert check.problems == [
        Problem(1, "kind", "There are two kind columns"),
        Problem(2, "", "Column 3 has a value but no heading"),
    ]


def test_headings_are_case_insensitive_and_kinds_may_be_labels_or_values():
    rows = [["ASSET TAG", "Kind", "Serial-Number", "CONDITION"], ["a-1", "MiFi or hotspot", "S1", "AS NEW"],
            ["a-2", "mifi", "S2", "as_new"], ["a-3", "Smartphone", "S3", "fair"]]  # fmt: skip
    check = device_import_check(organisation=OrganisationFactory(), filename="stock.csv", content=csv_bytes(rows))
    assert check.problems == []
    assert [(r.values["asset_tag"], r.values["kind"], r.values["serial_number"], r.values["condition"])
            for r in check.rows] == [("A-1", "mifi", "S1", "as_new"), ("A-2", "mifi", "S2", "as_new"),
                                     ("A-3", "smartphone", "S3", "fair")]  # fmt: skip


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_heading(actor_a):
    content = csv_bytes([["asset_tag", "kind", "donor"], ["BOM-1", "laptop", "Zoë’s Café"]], bom=True)
    devices = services.device_import(actor=actor_a, filename="stock.csv", content=content)
    assert devices[0].asset_tag == "BOM-1" and Device.objects.get(asset_tag="BOM-1").donor == "Zoë’s Café"


def test_excel_style_csv_windows_encoding_semicolons_and_cells_over_several_lines():
    rows = [["asset_tag", "kind", "notes"], ["E-1", "laptop", "First line\r\nsecond line"], ["E-2", "Desktop", "£5"]]
    content = b"sep=;\r\n" + csv_bytes(rows, delimiter=";", encoding="cp1252")
    check = device_import_check(organisation=OrganisationFactory(), filename="Stock.CSV", content=content)
    assert check.rows[0].values["notes"] == "First line\r\nsecond line"
    assert check.rows[1].values["notes"] == "£5"
    # Line numbers count the sep= line and the two lines of the quoted cell, as a text editor would.
    assert [row.line for row in check.rows] == [3, 5]
    assert problems_at(check) == [(5, "kind")]


def test_semicolon_separated_csv_without_a_hint_line_is_recognised():
    content = csv_bytes([["asset_tag", "kind", "make"], ["S-1", "laptop", "Dell"]], delimiter=";")
    check = device_import_check(organisation=OrganisationFactory(), filename="stock.csv", content=content)
    assert check.problems == [] and check.rows[0].values["make"] == "Dell"


@pytest.mark.parametrize(
    "content",
    [b"", b"\xef\xbb\xbf", b"  \r\n\r\n", b"\xef\xbb\xbf\r\n"],
    ids=["nothing", "bom-only", "blank-lines", "bom-and-newline"],
)
def test_an_empty_file_is_one_clear_error(actor_a, content):
    check = device_import_check(organisation=OrganisationFactory(), filename="stock.csv", content=content)
    assert check.file_error == "The selected file is empty" and check.problems == [] and check.rows == []
    with pytest.raises(DeviceImportRefused, match="The selected file is empty"):
        services.device_import(actor=actor_a, filename="stock.csv", content=content)


def test_an_empty_xlsx_and_a_heading_only_file_are_clear_errors():
    assert (
        device_import_check(organisation=OrganisationFactory(), filename="s.xlsx", content=xlsx_bytes([])).file_error
        == "The selected file is empty"
    )
    for filename, content in (("s.csv", csv_bytes([HEADER])), ("s.xlsx", xlsx_bytes([HEADER, [None] * 3]))):
        check = device_import_check(organisation=OrganisationFactory(), filename=filename, content=content)
        assert check.file_error == "The selected file has a heading row but no devices under it"


@pytest.mark.parametrize(
    ("filename", "content", "error"),
    [
        ("stock.pdf", b"%PDF-1.7 ...", "The selected file must be a CSV or an Excel .xlsx file"),
        ("stock.docx", b"PK\x03\x04...", "The selected file must be a CSV or an Excel .xlsx file"),
        ("stock", b"kind\nlaptop\n", "The selected file must be a CSV or an Excel .xlsx file"),
        (
            "stock.csv",
            b"\x89PNG\r\n\x1a\n\x00\x00",
            "The selected file must be a CSV or an Excel .xlsx file: this looks like an image",
        ),
        (
            "stock.csv",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            "The selected file must be a CSV or an Excel .xlsx file: this looks like an old Excel .xls",
        ),
        ("stock.xlsx", b"kind\nlaptop\n", "The selected file is not a valid Excel .xlsx file"),
        ("stock.xlsx", b"PK\x03\x04 not really a zip", "The selected file is not a valid Excel .xlsx file"),
        (
            "stock.csv",
            b"\x00\x01\x02\x00" * 50,
            "The selected file must be a CSV or an Excel .xlsx file: this one is not text",
        ),
    ],
    ids=["pdf", "docx", "no-extension", "png-named-csv", "xls-named-csv", "text-named-xlsx", "broken-zip", "binary"],
)
def test_a_file_that_is_not_csv_or_xlsx_is_one_clear_error(filename, content, error):
    check = device_import_check(organisation=OrganisationFactory(), filename=filename, content=content)
    assert check.file_error.startswith(error)
    assert check.problems == [] and check.rows == []


def test_an_xlsx_renamed_csv_is_still_read():
    check = device_import_check(
        organisation=OrganisationFactory(), filename="stock.csv", content=xlsx_bytes([["kind"], ["laptop"]])
    )
    assert check.ok and check.rows[0].values["kind"] == "laptop"


def test_xlsx_line_numbers_are_the_sheets_row_numbers_blank_rows_included():
    rows = [["asset_tag", "kind"], ["X-1", "laptop"], [None, None], ["X-2", "Desktop"]]
    check = device_import_check(organisation=OrganisationFactory(), filename="stock.xlsx", content=xlsx_bytes(rows))
    assert [row.line for row in check.rows] == [2, 4]
    assert problems_at(check) == [(4, "kind")]


def test_duplicate_tags_within_the_file_are_reported_on_every_later_line():
    rows = [["asset_tag", "kind"], ["D-1", "laptop"], ["d-1", "laptop"], [" D-1 ", "tablet"]]
    check = device_import_check(organisation=OrganisationFactory(), filename="stock.csv", content=csv_bytes(rows))
    assert [(p.line, p.message) for p in check.problems] == [
        (3, "Asset tag D-1 is also on line 2"), (4, "Asset tag D-1 is also on line 2")]  # fmt: skip


def test_a_tag_held_by_a_device_in_the_database_is_refused(actor_a, org_a):
    DeviceFactory(owning_organisation=org_a, asset_tag="LAP-001")
    content = csv_bytes([["asset_tag", "kind"], ["NEW-1", "laptop"], ["lap-001", "laptop"]])
    with pytest.raises(DeviceImportRefused) as refused:
        services.device_import(actor=actor_a, filename="stock.csv", content=content)
    assert refused.value.check.problems == [Problem(3, "asset_tag", "Asset tag LAP-001 is already in use")]
    assert not Device.objects.filter(asset_tag="NEW-1").exists()


def test_a_tag_taken_between_the_check_and_the_insert_is_a_clear_error_and_nothing_is_imported(
    actor_a, org_b, monkeypatch
):
    """The unique constraint is the backstop when another import or form takes a tag after our check."""
    real_check = imports.device_import_check

    def check_then_someone_else_takes_a_tag(**kwargs):
        check = real_check(**kwargs)
        DeviceFactory(owning_organisation=actor_a.organisation, asset_tag="RACE-2")
        return check

    monkeypatch.setattr(imports, "device_import_check", check_then_someone_else_takes_a_tag)
    content = csv_bytes([["asset_tag", "kind"], ["RACE-1", "laptop"], ["RACE-2", "laptop"], ["", "tablet"]])
    with pytest.raises(DomainError) as error:
        services.device_import(actor=actor_a, filename="stock.csv", content=content)
    assert error.value.message == ("Asset tag RACE-2 was taken by another device while the file was being imported, "
                                   "so nothing was imported. Upload the file again to check it.")  # fmt: skip
    # The stand-in for the other writer ran inside the import's transaction, so it went too; none of the file's did.
    assert Device.objects.count() == 0 and DeviceEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_imports_at_once_sharing_a_tag_import_one_file_whole_and_none_of_the_other(org_a, monkeypatch):
    """Two staff of one organisation: both pass the check before either inserts; the database's unique
    constraint decides."""
    real_check = imports.device_import_check
    both_checked = threading.Barrier(2)

    def check_and_wait_for_the_other(**kwargs):
        check = real_check(**kwargs)
        both_checked.wait(timeout=10)
        return check

    monkeypatch.setattr(imports, "device_import_check", check_and_wait_for_the_other)
    files = {
        "first": csv_bytes([["asset_tag", "kind"], ["A-ONLY", "laptop"], ["SHARED-1", "laptop"], ["", "tablet"]]),
        "second": csv_bytes([["asset_tag", "kind"], ["B-ONLY", "laptop"], ["SHARED-1", "tablet"], ["", "tablet"]]),
    }
    actors = {name: Actor.for_membership(MembershipFactory(organisation=org_a)) for name in files}
    results = {}

    def run(name):
        try:
            results[name] = len(services.device_import(actor=actors[name], filename="f.csv", content=files[name]))
        except DomainError as error:
            results[name] = error.message
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(name,)) for name in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values(), key=str) == [3, "Asset tag SHARED-1 was taken by another device while the file "
                                                    "was being imported, so nothing was imported. Upload the file "
                                                    "again to check it."]  # fmt: skip
    winner = next(name for name, result in results.items() if result == 3)
    assert Device.objects.count() == 3 and DeviceEvent.objects.count() == 3
    assert {"first": "A-ONLY", "second": "B-ONLY"}[winner] in Device.objects.values_list("asset_tag", flat=True)


def test_an_import_is_a_few_queries_however_many_rows(actor_a, django_assert_max_num_queries):
    rows = [["asset_tag", "kind"]] + [[f"Q-{n}" if n % 2 else "", "laptop"] for n in range(300)]
    # the check (tags in use), the generated tags, then a temporary table, COPY, one INSERT of devices and history
    with django_assert_max_num_queries(10):
        devices = services.device_import(actor=actor_a, filename="big.csv", content=csv_bytes(rows))
    assert len(devices) == 300 and DeviceEvent.objects.count() == 300
    generated = sorted(d.asset_tag for d in devices if d.asset_tag.startswith("AC-"))
    assert len(generated) == 150 and len(set(generated)) == 150


def test_generated_tags_follow_on_from_asset_tag_next(org_a):
    before = services.asset_tag_next(org_a)
    tags = services.asset_tags_next(org_a, 3)
    assert tags == [f"AC-{int(before[3:]) + n:06d}" for n in (1, 2, 3)]
    assert services.asset_tags_next(org_a, 0) == []


def test_accessories_are_separated_by_semicolons_and_named_loosely():
    rows = [["kind", "accessories"], ["tablet", "SIM tray tool ; Charger;charger; ; sim-tray-tool"]]
    check = device_import_check(organisation=OrganisationFactory(), filename="stock.csv", content=csv_bytes(rows))
    assert check.problems == [] and check.rows[0].values["accessories"] == ["sim_tray_tool", "charger"]


def test_too_many_rows_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    rows = [["kind"]] + [["laptop"]] * 4
    check = device_import_check(organisation=OrganisationFactory(), filename="stock.csv", content=csv_bytes(rows))
    assert check.file_error == "The selected file has more than 3 devices: split it into smaller files"


def test_another_organisations_tags_are_no_bar_and_are_not_mentioned(actor_a, org_b):
    DeviceFactory(owning_organisation=org_b, asset_tag="LIB-001")
    devices = services.device_import(actor=actor_a, filename="stock.csv",
                                     content=csv_bytes([["asset_tag", "kind"], ["lib-001", "laptop"]]))  # fmt: skip
    assert [(d.asset_tag, d.owning_organisation_id) for d in devices] == [("LIB-001", actor_a.organisation.pk)]
