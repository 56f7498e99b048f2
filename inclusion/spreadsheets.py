"""Spreadsheets in and out: reading an upload (CSV or Excel .xlsx) into numbered rows of cells, for the
imports; and writing rows out as a CSV stream or an .xlsx workbook, for exports and reports.

Reading:

spreadsheet_open() reads the first sheet: the heading row, then every row that is not blank, each with its
line (the spreadsheet's row number; for a CSV, the line a row starts on, past Excel's "sep=" line). It
reads Excel's encodings and byte order marks, guesses the delimiter from the headings it knows, refuses
other kinds of file by what they hold rather than by their name, and keeps to the limits it is given.
Anything that stops the file being read at all is one SpreadsheetError, with a message for the person who
uploaded it. What the columns mean is the caller's.

Writing: every text cell a spreadsheet would run as a formula (starting =, +, -, @, tab or carriage
return) gets a leading single quote, so a donor called "=HYPERLINK(...)" stays text (OWASP's advice on
CSV injection). csv_lines() streams (a byte order mark first, so Excel reads UTF-8; dates as ISO 8601);
xlsx_bytes() writes one sheet per OutputSheet in openpyxl's write-only mode, numbers as numbers and dates
as dates. csv_response()/xlsx_response() wrap them as downloads.
"""

import csv
import io
import re
import zipfile
from collections.abc import Collection, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePath

from django.http import HttpResponse, StreamingHttpResponse

MAX_UNPACKED = 100 * 1024 * 1024  # a small .xlsx that unpacks to gigabytes is refused, not read
NOT_XLSX = "The selected file is not a valid Excel .xlsx file: save it again from Excel, or as CSV"
_ZIP_MAGIC = b"PK\x03\x04"
_OTHER_FORMATS = {
    b"\xd0\xcf\x11\xe0": "an old Excel .xls (or other Office) file: save it as .xlsx or CSV",
    b"%PDF": "a PDF",
    b"\x89PNG": "an image",
    b"\xff\xd8\xff": "an image",
    b"GIF8": "an image",
}
_DELIMITERS = [",", ";", "\t"]


class SpreadsheetError(Exception):
    """The file cannot be read at all. The message says why, for the person who uploaded it."""


@dataclass
class Sheet:
    heading_line: int
    headings: list  # the first row, blank or not
    rows: Iterator[tuple[int, list]]  # (line, cells) for each row after it that is not blank


@contextmanager
def spreadsheet_open(
    *,
    filename: str,
    content: bytes,
    known_columns: Collection[str],
    row_name: str,
    max_bytes: int,
    max_rows: int,
    max_columns: int,
    max_unpacked: int = MAX_UNPACKED,
    suffixes: Collection[str] = (".csv", ".xlsx"),
    xlsx_as_text: bool = True,
) -> Iterator[Sheet]:
    """The first sheet of `content`, an upload called `filename`; raises SpreadsheetError, on opening or while
    its rows are read, when the file cannot be read.

    known_columns: heading_key()s of the headings the caller knows; the CSV delimiter is the one that finds
    most of them. row_name: what a row is ("devices"), for the message when there are more than max_rows.
    Rows are cut to max_columns cells. CSV cells are text; .xlsx cells are too (cell_text), unless
    xlsx_as_text is False: then they are what openpyxl reads (text, numbers, dates, booleans, None).
    """
    records = _records(
        filename,
        content,
        known_columns=known_columns,
        max_bytes=max_bytes,
        max_columns=max_columns,
        max_unpacked=max_unpacked,
        suffixes=suffixes,
        xlsx_as_text=xlsx_as_text,
    )
    with closing(records):
        heading_line, headings = next(records, (None, None))
        if headings is None:
            raise SpreadsheetError("The selected file is empty")
        yield Sheet(heading_line, headings, _rows(records, max_rows=max_rows, row_name=row_name))


def heading_key(heading: str) -> str:
    """'Asset tag', 'ASSET_TAG', ' asset-tag ' → 'asset_tag'."""
    return re.sub(r"[\s\-]+", "_", heading.strip().lower())


def cell_text(value) -> str:
    """An .xlsx cell as a person reads it in Excel: 123456 (not 123456.0), 2024-05-01, TRUE."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # serial numbers typed as numbers: 123456, not 123456.0
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _rows(records, *, max_rows: int, row_name: str):
    count = 0
    for line, cells in records:
        if all(cell is None or not str(cell).strip() for cell in cells):
            continue  # blank rows are skipped, and not counted
        if count >= max_rows:
            raise SpreadsheetError(
                f"The selected file has more than {max_rows:,} {row_name}: split it into smaller files"
            )
        count += 1
        yield line, cells


def _records(
    filename: str, content: bytes, *, known_columns, max_bytes, max_columns, max_unpacked, suffixes, xlsx_as_text
):
    """A generator of (line number, [cell]) for each row of the first sheet, the heading row first."""
    if not content or not content.strip(b" \t\r\n\xef\xbb\xbf"):
        raise SpreadsheetError("The selected file is empty")
    if len(content) > max_bytes:
        raise SpreadsheetError(f"The selected file must be smaller than {max_bytes // (1024 * 1024)} MB")
    suffix = PurePath(filename).suffix.lower()
    if suffix not in suffixes:
        raise SpreadsheetError("The selected file must be a CSV or an Excel .xlsx file")
    if content.startswith(_ZIP_MAGIC):
        # an .xlsx, even one renamed .csv
        return _xlsx_records(_workbook(content, max_unpacked), max_columns=max_columns, as_text=xlsx_as_text)
    for magic, what in _OTHER_FORMATS.items():
        if content.startswith(magic):
            raise SpreadsheetError(f"The selected file must be a CSV or an Excel .xlsx file: this looks like {what}")
    if suffix == ".xlsx":
        raise SpreadsheetError(NOT_XLSX)
    return _csv(content, known_columns=known_columns, max_columns=max_columns)


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")  # Excel's "Unicode text"
    try:
        return content.decode("utf-8-sig")  # "CSV UTF-8" from Excel starts with a byte order mark
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")  # plain "CSV" from Excel on Windows
    except UnicodeDecodeError:
        raise SpreadsheetError(
            "The selected file is not a readable CSV file: save it from Excel as “CSV UTF-8”"
        ) from None


def _csv(content: bytes, *, known_columns, max_columns: int):
    text = _decode(content)
    if text.count("\x00") > max(10, len(text) // 100):
        raise SpreadsheetError("The selected file must be a CSV or an Excel .xlsx file: this one is not text")
    lines = io.StringIO(text, newline="")
    first = lines.readline()
    offset = 0
    match = re.fullmatch(r"sep=(.)\r?\n?", first)  # Excel's hint line, e.g. "sep=;"
    if match:
        delimiter, offset = match.group(1), 1
    else:
        delimiter = _delimiter_guess(first, known_columns)
        lines.seek(0)
    return _csv_records(csv.reader(lines, delimiter=delimiter), offset, max_columns)


def _delimiter_guess(heading_line: str, known_columns) -> str:
    """The one of , ; and tab that splits the heading row into the most known column names (comma on a tie)."""

    def known(delimiter):
        return sum(heading_key(cell) in known_columns for cell in heading_line.split(delimiter))

    return max(_DELIMITERS, key=known)


def _csv_records(reader, offset: int, max_columns: int):
    previous_end = offset
    try:
        for cells in reader:
            start = previous_end + 1  # a quoted cell may span lines: report where the row starts
            previous_end = reader.line_num + offset
            yield start, cells[:max_columns]
    except csv.Error as error:
        raise SpreadsheetError(f"Line {previous_end + 1} of the file could not be read as CSV ({error})") from None


def _workbook(content: bytes, max_unpacked: int):
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(item.file_size for item in archive.infolist()) > max_unpacked:
                raise SpreadsheetError("The selected file is too large once unpacked: save it as CSV, or split it")
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except SpreadsheetError:
        raise
    except Exception as error:  # openpyxl raises many kinds of error for a damaged or non-Excel zip
        raise SpreadsheetError(NOT_XLSX) from error


def _xlsx_records(workbook, *, max_columns: int, as_text: bool):
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some programs write wrong sheet sizes; read what is really there
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = row[:max_columns]
            yield number, [cell_text(value) for value in cells] if as_text else list(cells)
    except Exception as error:  # a damaged sheet fails only when it is read
        raise SpreadsheetError(NOT_XLSX) from error
    finally:
        workbook.close()


# --- Writing -------------------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell_safe(value):
    """Text a spreadsheet would treat as a formula, quoted so it stays text; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write() hands the line back, for streaming csv.writer's output."""

    def write(self, value):
        return value


def csv_lines(headings: list[str], rows) -> Iterator[str]:
    """The heading row and `rows` as CSV lines, starting with a byte order mark so Excel reads UTF-8.
    Text cells are made formula-safe here, so callers cannot forget to."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([cell_safe(heading) for heading in headings])
    for row in rows:
        yield writer.writerow([value.isoformat() if isinstance(value, date) else cell_safe(value) for value in row])


@dataclass
class OutputSheet:
    """One sheet of a workbook to write: its title (Excel keeps 31 characters), headings, rows of cells
    (str, int, float, Decimal, date or None) and, optionally, a width in characters per column."""

    title: str
    headings: list[str]
    rows: object  # any iterable of lists; read once
    widths: tuple[int, ...] = ()


def xlsx_bytes(sheets) -> bytes:
    """The sheets as an .xlsx workbook (openpyxl's write-only mode: rows are not kept in memory)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet_out in sheets:
        sheet = workbook.create_sheet(title=_sheet_title(sheet_out.title))
        sheet.freeze_panes = "A2"
        for number, width in enumerate(sheet_out.widths, start=1):
            sheet.column_dimensions[get_column_letter(number)].width = width
        heading_cells = []
        for heading in sheet_out.headings:
            cell = WriteOnlyCell(sheet, value=cell_safe(heading))
            cell.font = bold
            heading_cells.append(cell)
        sheet.append(heading_cells)
        for row in sheet_out.rows:
            cells = []
            for value in row:
                if isinstance(value, str):
                    # Control characters other than tab and newlines cannot be stored in .xlsx at all; once
                    # they are gone the text may start like a formula, so it is checked again.
                    cells.append(cell_safe(ILLEGAL_CHARACTERS_RE.sub("", value)))
                elif isinstance(value, datetime):
                    cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
                    cell.number_format = "DD/MM/YYYY HH:MM"
                    cells.append(cell)
                elif isinstance(value, date):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = "DD/MM/YYYY"
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _sheet_title(title: str) -> str:
    """Excel refuses []:*?/\\ in a sheet's title and more than 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", "-", title)[:31] or "Sheet"


def _attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(headings: list[str], rows, filename: str) -> StreamingHttpResponse:
    """A CSV download, streamed row by row."""
    return _attachment(StreamingHttpResponse(csv_lines(headings, rows), content_type=CSV_TYPE), filename)


def xlsx_response(sheets, filename: str) -> HttpResponse:
    """An .xlsx download of the given OutputSheets."""
    return _attachment(HttpResponse(xlsx_bytes(sheets), content_type=XLSX_TYPE), filename)
