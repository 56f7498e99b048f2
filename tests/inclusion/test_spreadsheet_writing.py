"""Writing spreadsheets (inclusion/spreadsheets.py): formula-safe cells in CSV and .xlsx, several sheets with
numbers as numbers and dates as dates, titles Excel accepts, and the downloads' headers. Read back with the
csv module and openpyxl, as a user's spreadsheet program would read them."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from inclusion import spreadsheets
from inclusion.spreadsheets import OutputSheet


@pytest.mark.parametrize("value", ["=1+1", "+44", "-3", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_would_run_as_a_formula_is_quoted(value):
    assert spreadsheets.cell_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["Smith", "", 3, -3, Decimal("1.5"), None, date(2026, 1, 2)])
def test_other_cells_are_unchanged(value):
    assert spreadsheets.cell_safe(value) == value


def test_csv_starts_with_a_byte_order_mark_and_quotes_formulas_in_headings_and_cells():
    text = "".join(spreadsheets.csv_lines(["Name", "=Total"], [["=HYPERLINK(1)", 4], ["Ann", date(2026, 3, 1)]]))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [["Name", "'=Total"], ["'=HYPERLINK(1)", "4"], ["Ann", "2026-03-01"]]


def test_xlsx_writes_one_sheet_each_with_numbers_as_numbers_and_dates_as_dates():
    content = spreadsheets.xlsx_bytes(
        [
            OutputSheet("Reach", ["Measure", "Count"], [["Residents", 12], ["Share", Decimal("0.25")]], (20, 8)),
            OutputSheet("Devices: in/out?", ["Day", "Lent", "At"], [[date(2026, 3, 1), 3, datetime(2026, 3, 1, 9)]]),
            OutputSheet("A very long section title that Excel would refuse", ["X"], [["=cmd|' /C calc'!A0"]]),
        ]
    )
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["Reach", "Devices- in-out-", "A very long section title that "]
    reach = workbook["Reach"]
    assert [[cell.value for cell in row] for row in reach.iter_rows()] == [
        ["Measure", "Count"],
        ["Residents", 12],
        ["Share", 0.25],
    ]
    assert reach["A1"].font.bold and reach.freeze_panes == "A2" and reach.column_dimensions["A"].width == 20
    devices = workbook["Devices- in-out-"]
    assert devices["A2"].value == datetime(2026, 3, 1) and devices["A2"].number_format == "DD/MM/YYYY"
    assert devices["B2"].value == 3 and devices["B2"].data_type == "n"
    assert devices["C2"].value == datetime(2026, 3, 1, 9)
    assert workbook.worksheets[2]["A2"].value == "'=cmd|' /C calc'!A0"


def test_xlsx_drops_control_characters_then_checks_for_a_formula_again():
    content = spreadsheets.xlsx_bytes([OutputSheet("S", ["X"], [["\x00=1+1"]])])
    assert load_workbook(io.BytesIO(content)).active["A2"].value == "'=1+1"


def test_downloads_name_their_file_and_type():
    response = spreadsheets.csv_response(["A"], [[1]], "report-2026-03.csv")
    assert response["Content-Type"] == spreadsheets.CSV_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="report-2026-03.csv"'
    assert b"".join(response.streaming_content).decode("utf-8") == "\ufeffA\r\n1\r\n"
    response = spreadsheets.xlsx_response([OutputSheet("S", ["A"], [[1]])], "report.xlsx")
    assert response["Content-Type"] == spreadsheets.XLSX_TYPE
    assert load_workbook(io.BytesIO(response.content)).active["A2"].value == 1
