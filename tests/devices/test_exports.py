"""The stock list as CSV and .xlsx: headings, contents, filters, one query, and no formula injection."""

import csv
import io
from datetime import date, datetime

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from devices import exports, imports, selectors
from devices.models import DeviceStatus

from .factories import DeviceFactory

pytestmark = pytest.mark.django_db

HEADINGS = ["Asset tag", "Serial number", "Kind", "Make", "Model", "Specification", "Accessories", "Location",
            "Source", "Donor", "Condition", "Notes", "Status", "Added on"]  # fmt: skip
DANGEROUS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rReturn"]


@pytest.fixture
def stock(org_a, org_b):
    added = timezone.make_aware(datetime(2026, 2, 3, 10, 30))
    ready = DeviceFactory(
        owning_organisation=org_a, asset_tag="LAP-001", serial_number="SN1", kind="laptop", make="Lenovo",
        model="ThinkPad T480", specification="i5, 8 GB", accessories=["charger", "sim_tray_tool"],
        location="Main office", source="donated", donor="Rotary", condition="fair", notes="Line one\nline two",
        status=DeviceStatus.READY, created_at=added,
    )  # fmt: skip
    repair = DeviceFactory(owning_organisation=org_a, asset_tag="TAB-001", kind="tablet", location="Library",
                           status=DeviceStatus.IN_REPAIR)  # fmt: skip
    DeviceFactory(owning_organisation=org_b, asset_tag="OTHER-001")
    return ready, repair


def export_csv(devices) -> list[list[str]]:
    text = "".join(exports.csv_stream(exports.device_export_rows(devices)))
    assert text.startswith("\ufeff")  # so Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def export_xlsx(devices) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(exports.xlsx_bytes(exports.device_export_rows(devices))))
    return list(workbook.active.iter_rows(values_only=True))


def test_csv_export_has_a_heading_row_and_the_organisations_devices_only(org_a, stock):
    rows = export_csv(selectors.device_list(organisation=org_a))
    assert rows[0] == HEADINGS
    assert rows[1] == ["LAP-001", "SN1", "Laptop", "Lenovo", "ThinkPad T480", "i5, 8 GB", "charger; sim tray tool",
                       "Main office", "Donated", "Rotary", "Fair: marks or wear", "Line one\nline two",
                       "Ready to lend", "2026-02-03"]  # fmt: skip
    assert [row[0] for row in rows[1:]] == ["LAP-001", "TAB-001"]


def test_xlsx_export_has_the_same_contents_with_a_real_date(org_a, stock):
    rows = export_xlsx(selectors.device_list(organisation=org_a))
    assert list(rows[0]) == HEADINGS
    first = list(rows[1])
    assert first[:13] == ["LAP-001", "SN1", "Laptop", "Lenovo", "ThinkPad T480", "i5, 8 GB", "charger; sim tray tool",
                          "Main office", "Donated", "Rotary", "Fair: marks or wear", "Line one\nline two",
                          "Ready to lend"]  # fmt: skip
    assert first[13] == datetime(2026, 2, 3)
    assert [row[0] for row in rows[1:]] == ["LAP-001", "TAB-001"]


def test_exports_follow_the_stock_lists_filters(org_a, stock):
    for filters, expected in (({"status": "in_repair"}, ["TAB-001"]), ({"kind": "laptop"}, ["LAP-001"]),
                              ({"location": "library"}, ["TAB-001"]), ({"status": "lost"}, [])):  # fmt: skip
        devices = selectors.device_list(organisation=org_a, **filters)
        assert [row[0] for row in export_csv(devices)[1:]] == expected
        assert [row[0] for row in export_xlsx(devices)[1:]] == expected


def test_an_export_is_one_query(org_a, stock, django_assert_num_queries):
    with django_assert_num_queries(1):
        export_csv(selectors.device_list(organisation=org_a))
    with django_assert_num_queries(1):
        export_xlsx(selectors.device_list(organisation=org_a))


@pytest.mark.parametrize("value", DANGEROUS)
def test_cell_safe_quotes_anything_a_spreadsheet_would_run(value):
    assert exports.cell_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["Lenovo", "", "2 chargers", "O'Brien", "a=b", "'=already quoted", None, 3,
                                   date(2026, 1, 1)])  # fmt: skip
def test_cell_safe_leaves_everything_else_alone(value):
    assert exports.cell_safe(value) == value


def test_formula_injection_is_defused_in_both_formats(org_a):
    for n, value in enumerate(DANGEROUS):
        DeviceFactory(owning_organisation=org_a, asset_tag=f"INJ-{n}", donor=value, notes=value, make=value)
    devices = selectors.device_list(organisation=org_a)
    for row, value in zip(export_csv(devices)[1:], DANGEROUS, strict=True):
        assert row[3] == row[9] == row[11] == "'" + value
    workbook = load_workbook(io.BytesIO(exports.xlsx_bytes(exports.device_export_rows(devices))))
    for row, value in zip(list(workbook.active.iter_rows(min_row=2)), DANGEROUS, strict=True):
        for cell in (row[3], row[9], row[11]):
            assert cell.data_type == "s"  # text, never a formula
            # (XML reads a stored carriage return back as a line feed.)
            assert cell.value in ("'" + value, "'" + value.replace("\r", "\n"))


def test_xlsx_drops_characters_excel_cannot_hold_then_checks_for_formulas_again(org_a):
    DeviceFactory(owning_organisation=org_a, asset_tag="CTRL-1", notes="\x01=cmd|' /C calc'!A0", donor="ok\x0bay")
    (row,) = export_xlsx(selectors.device_list(organisation=org_a))[1:]
    assert row[11] == "'=cmd|' /C calc'!A0" and row[9] == "okay"


def test_an_exported_row_reads_back_through_the_import(org_a, stock):
    """The headings and labels are the import's own, so a coordinator can edit an export and import it elsewhere
    (without the status and date columns, which an import does not take)."""
    rows = [row[:12] for row in export_csv(selectors.device_list(organisation=org_a))]
    rows[1][0] = "NEW-001"
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows[:2])
    check = imports.device_import_check(organisation=org_a, filename="edited.csv", content=out.getvalue().encode())
    assert check.problems == []
    values = check.rows[0].values
    assert (values["kind"], values["accessories"], values["condition"]) == ("laptop", ["charger", "sim_tray_tool"],
                                                                           "fair")  # fmt: skip


def test_export_filename_names_the_organisation_and_day():
    assert exports.export_filename("alpha", "csv") == f"alpha-devices-{timezone.localdate():%Y-%m-%d}.csv"
