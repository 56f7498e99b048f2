"""Reading a CSV or .xlsx upload into numbered rows: encodings, Excel's "sep=" line, delimiters, multi-line
cells, blank rows, other kinds of file, limits, and .xlsx cells as text or as values."""

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from inclusion.spreadsheets import SpreadsheetError, cell_text, heading_key, spreadsheet_open

LIMITS = {"max_bytes": 1024 * 1024, "max_rows": 100, "max_columns": 10}


def read(content: bytes, filename="f.csv", **options) -> tuple[tuple[int, list], list[tuple[int, list]]]:
    """(heading line, headings) and the rows, as spreadsheet_open gives them."""
    kwargs = {"known_columns": ("code", "name"), "row_name": "codes", **LIMITS, **options}
    with spreadsheet_open(filename=filename, content=content, **kwargs) as sheet:
        return (sheet.heading_line, sheet.headings), list(sheet.rows)


def refusal(content: bytes, filename="f.csv", **options) -> str:
    with pytest.raises(SpreadsheetError) as error:
        read(content, filename, **options)
    return str(error.value)


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        "code,name\r\nA-1,Zoë\r\n".encode(),
        b"\xef\xbb\xbf" + "code,name\r\nA-1,Zoë\r\n".encode(),  # Excel's "CSV UTF-8"
        "code,name\r\nA-1,Zoë\r\n".encode("cp1252"),  # Excel's plain "CSV" on Windows
        "code\tname\r\nA-1\tZoë\r\n".encode("utf-16"),  # Excel's "Unicode text", tab separated
    ],
    ids=["utf-8", "utf-8-bom", "cp1252", "utf-16-tabs"],
)
def test_excels_encodings_are_read(content):
    assert read(content) == ((1, ["code", "name"]), [(2, ["A-1", "Zoë"])])


def test_the_delimiter_is_the_one_that_finds_the_known_headings():
    assert read(b"Code;Name\nA-1;x,y\n")[1] == [(2, ["A-1", "x,y"])]
    assert read(b"code;name\nA-1;B\n", known_columns=("other",))[1] == [(2, ["A-1;B"])]  # comma on a tie


def test_excels_sep_line_sets_the_delimiter_and_is_not_a_row():
    heading, rows = read(b"sep=|\r\nfoo|bar\r\nA-1|B\r\n")
    assert heading == (2, ["foo", "bar"]) and rows == [(3, ["A-1", "B"])]


def test_a_row_with_a_multi_line_cell_is_reported_on_the_line_it_starts():
    heading, rows = read(b'code,name\r\nA-1,"two\r\nlines"\r\n\r\nA-2,x\r\n')
    assert rows == [(2, ["A-1", "two\r\nlines"]), (5, ["A-2", "x"])]  # line 4 is blank: skipped, still counted


def test_a_line_the_csv_reader_cannot_read_is_named():
    content = b"code,name\r\nA-1,x\r\nA-2," + b"y" * 200_000 + b"\r\n"
    assert refusal(content).startswith("Line 3 of the file could not be read as CSV (field larger than field limit")


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b" \r\n\r\n"], ids=["nothing", "bom", "blank-lines"])
def test_an_empty_file_is_one_clear_error(content):
    assert refusal(content) == "The selected file is empty"


def test_an_empty_sheet_is_one_clear_error():
    assert refusal(xlsx_bytes([]), "f.xlsx") == "The selected file is empty"


@pytest.mark.parametrize(
    ("filename", "content", "error"),
    [
        ("f.pdf", b"%PDF-1.7", "The selected file must be a CSV or an Excel .xlsx file"),
        ("f.txt", b"code\nA-1\n", "The selected file must be a CSV or an Excel .xlsx file"),
        ("f.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "The selected file must be a CSV or an Excel .xlsx file: "
                                                       "this looks like an old Excel .xls (or other Office) file: "
                                                       "save it as .xlsx or CSV"),
        ("f.xlsx", b"\x89PNG\r\n\x1a\n", "The selected file must be a CSV or an Excel .xlsx file: this looks like an image"),
        ("f.xlsx", b"code\nA-1\n", "The selected file is not a valid Excel .xlsx file: save it again from Excel, or as CSV"),
        ("f.xlsx", b"PK\x03\x04 not a zip", "The selected file is not a valid Excel .xlsx file: save it again from "
                                            "Excel, or as CSV"),
        ("f.csv", b"\x00\x01\x02\x00" * 50, "The selected file must be a CSV or an Excel .xlsx file: this one is not text"),
    ],
    ids=["pdf", "txt-not-allowed", "xls-named-csv", "png-named-xlsx", "text-named-xlsx", "broken-zip", "binary"],
)  # fmt: skip
def test_other_kinds_of_file_are_one_clear_error(filename, content, error):
    assert refusal(content, filename) == error


def test_the_caller_chooses_which_file_names_it_takes():
    assert read(b"code\nA-1\n", "codes.TXT", suffixes=(".csv", ".txt"))[1] == [(2, ["A-1"])]


def test_an_xlsx_renamed_csv_is_read_as_xlsx():
    assert read(xlsx_bytes([["code"], ["A-1"]]), "f.csv")[1] == [(2, ["A-1"])]


def test_a_file_over_max_bytes_is_refused_before_it_is_read():
    assert refusal(b"code\n" + b"A-1\n" * 300_000) == "The selected file must be smaller than 1 MB"


def test_more_rows_than_max_rows_is_one_clear_error_and_blank_rows_do_not_count():
    assert len(read(b"code\n" + b"A-1\n\n" * 3 + b",\n", max_rows=3)[1]) == 3
    error = refusal(b"code\n" + b"A-1\n" * 4, max_rows=3)
    assert error == "The selected file has more than 3 codes: split it into smaller files"
    assert "more than 1,000 codes" in refusal(b"code\n" + b"A-1\n" * 1001, max_rows=1000)


def test_rows_are_cut_to_max_columns():
    heading, rows = read(b"code,name,a,b\nA-1,x,y,z\n", max_columns=2)
    assert heading == (1, ["code", "name"]) and rows == [(2, ["A-1", "x"])]
    assert read(xlsx_bytes([["code", "name", "a"], [1, 2, 3]]), "f.xlsx", max_columns=2)[1] == [(2, ["1", "2"])]


def test_xlsx_lines_are_the_sheets_row_numbers_and_cells_are_text_unless_asked_for_values():
    rows = [["code", "when", "n", "ok"], [None, None, None, None], ["A-1", datetime(2024, 5, 1), 123456.0, True]]
    heading, read_rows = read(xlsx_bytes(rows), "f.xlsx")
    assert heading == (1, ["code", "when", "n", "ok"])
    assert read_rows == [(3, ["A-1", "2024-05-01", "123456", "TRUE"])]
    assert read(xlsx_bytes(rows), "f.xlsx", xlsx_as_text=False)[1] == [
        (3, ["A-1", datetime(2024, 5, 1), 123456, True])]  # fmt: skip


def test_an_xlsx_that_unpacks_to_more_than_max_unpacked_is_refused():
    content = xlsx_bytes([["code"], ["A" * 5000]])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        unpacked = sum(item.file_size for item in archive.infolist())
    assert read(content, "f.xlsx", max_unpacked=unpacked)[1] == [(2, ["A" * 5000])]
    error = refusal(content, "f.xlsx", max_unpacked=unpacked - 1)
    assert error == "The selected file is too large once unpacked: save it as CSV, or split it"


def test_heading_key_and_cell_text():
    assert {heading_key(h) for h in ("Asset tag", "ASSET_TAG", " asset-tag ", "asset  tag")} == {"asset_tag"}
    assert [cell_text(v) for v in (None, False, 12.0, 1.5, date(2024, 5, 1), datetime(2024, 5, 1, 9, 30), "x ")] == [
        "", "FALSE", "12", "1.5", "2024-05-01", "2024-05-01 09:30:00", "x "]  # fmt: skip
