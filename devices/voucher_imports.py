"""Reading a provider's voucher file (CSV or Excel .xlsx) into rows for voucher_batch_import.

voucher_file_read() only reads: columns code, iccid and sim_serial (headings in any case and order), a
byte order mark, Excel's encodings and its "sep=" line. It reports every line it cannot read; the rules
about the codes themselves (format, check digits, duplicates, codes already held) are the service's
(devices.voucher_services.voucher_rows_validate). No message here ever holds a whole code: codes are
bearer secrets (models.mask_code).
"""

import csv
import io
import re
import zipfile
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath

from .models import mask_code
from .voucher_services import ImportRow

COLUMNS = ("code", "iccid", "sim_serial")
# Other headings providers use for the same things.
ALIASES = {"voucher_code": "code", "voucher": "code", "sim_serial_number": "sim_serial", "serial": "sim_serial",
           "serial_number": "sim_serial", "sim_number": "iccid"}  # fmt: skip
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 50
MAX_XLSX_UNPACKED = 100 * 1024 * 1024  # a small .xlsx that unpacks to gigabytes is refused, not read
_ZIP_MAGIC = b"PK\x03\x04"
# What Excel makes of a long number it was allowed to treat as one: 8.94423E+19. The digits are gone.
_EXCEL_NUMBER = re.compile(r"\d(\.\d+)?E\+\d+", re.IGNORECASE)
_SPACES_AND_HYPHENS = re.compile(r"[\s-]+")
_NOT_XLSX = "The selected file is not a valid Excel .xlsx file: save it again from Excel, or as CSV"


@dataclass
class VoucherFile:
    filename: str
    rows: list[ImportRow] = field(default_factory=list)  # the rows it could read (to check and import)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, reason) for rows it could not
    file_error: str = ""  # the file cannot be read at all: nothing else is reported


def voucher_file_read(*, filename: str, content: bytes) -> VoucherFile:
    """The rows of `content` (a CSV or .xlsx upload called `filename`), with the line each came from
    (the spreadsheet's row number: the heading row is line 1), and every line that could not be read."""
    result = VoucherFile(filename=upload_name(filename))
    try:
        with closing(_read_table(result.filename, content)) as records:
            header_line, header = next(records, (None, None))
            if header is None:
                raise _FileError("The selected file is empty")
            positions, unnamed = _columns(header_line, header, result)
            width = len(header)
            for line, cells in records:
                if not any(_text(cell) for cell in cells):
                    continue
                if len(result.rows) >= MAX_ROWS:
                    raise _FileError(
                        f"The selected file has more than {MAX_ROWS:,} vouchers: split it into smaller files"
                    )
                row = _row(line, cells, positions, unnamed, width, result.problems)
                if row is not None:
                    result.rows.append(row)
    except _FileError as error:
        return VoucherFile(filename=result.filename, file_error=str(error))
    if not result.rows and not result.problems:
        result.file_error = "The selected file has a heading row but no vouchers under it"
    return result


def upload_name(filename: str) -> str:
    """The file's own name, without any folders a browser sent."""
    return PurePath((filename or "").replace("\\", "/")).name[:200] or "the file"


def problems_masked(problems: list[tuple[int, str]], rows: list[ImportRow]) -> list[tuple[int, str]]:
    """The problems with any whole code, ICCID or serial from the rows replaced by its masked form: a
    message may quote the value it rejects, and the page must not show it."""
    by_line = {row.line: row for row in rows}
    masked = []
    for line, reason in problems:
        row = by_line.get(line)
        for value in (row.code, row.iccid, row.sim_serial) if row else ():
            if len(value) >= 4:
                for quoted in (repr(value[:70]), repr(value)):
                    reason = reason.replace(quoted, f"ending {value[-4:]}")  # as the service's other messages say
                for whole in (value[:70], value):
                    reason = reason.replace(whole, mask_code(value))
        masked.append((line, reason))
    return masked


# Reading


class _FileError(Exception):
    pass


def _read_table(filename: str, content: bytes):
    """A generator of (line number, [cell]) for each row of the first sheet, the heading row first. CSV
    cells are text; Excel cells are what openpyxl reads (text, numbers, dates, None)."""
    if not content or not content.strip(b" \t\r\n\xef\xbb\xbf"):
        raise _FileError("The selected file is empty")
    if len(content) > MAX_BYTES:
        raise _FileError(f"The selected file must be smaller than {MAX_BYTES // (1024 * 1024)} MB")
    suffix = PurePath(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx", ".txt"):
        raise _FileError("The selected file must be a CSV or an Excel .xlsx file")
    if content.startswith(_ZIP_MAGIC):
        return _read_xlsx(content)  # an .xlsx, even one renamed .csv
    if suffix == ".xlsx":
        raise _FileError(_NOT_XLSX)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _FileError("The selected file is an old Excel .xls file: save it as .xlsx or CSV")
    return _read_csv(content)


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
        raise _FileError("The selected file is not a readable CSV file: save it from Excel as “CSV UTF-8”") from None


def _read_csv(content: bytes):
    text = _decode(content)
    if text.count("\x00") > max(10, len(text) // 100):
        raise _FileError("The selected file must be a CSV or an Excel .xlsx file: this one is not text")
    lines = io.StringIO(text, newline="")
    first = lines.readline()
    offset = 0
    match = re.fullmatch(r"sep=(.)\r?\n?", first)  # Excel's hint line, e.g. "sep=;"
    if match:
        delimiter, offset = match.group(1), 1
    else:
        # Whichever of , ; and tab splits the heading row into the most known columns (comma on a tie).
        delimiter = max([",", ";", "\t"], key=lambda d: sum(_column_key(cell) in COLUMNS for cell in first.split(d)))
        lines.seek(0)
    return _csv_records(csv.reader(lines, delimiter=delimiter), offset)


def _csv_records(reader, offset: int):
    previous_end = offset
    try:
        for cells in reader:
            start = previous_end + 1  # a quoted cell may span lines: report where the row starts
            previous_end = reader.line_num + offset
            yield start, cells[:MAX_COLUMNS]
    except csv.Error as error:
        raise _FileError(f"Line {previous_end + 1} of the file could not be read as CSV ({error})") from None


def _read_xlsx(content: bytes):
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(item.file_size for item in archive.infolist()) > MAX_XLSX_UNPACKED:
                raise _FileError("The selected file is too large once unpacked: save it as CSV, or split it")
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except _FileError:
        raise
    except Exception as error:  # openpyxl raises many kinds of error for a damaged or non-Excel zip
        raise _FileError(_NOT_XLSX) from error
    return _xlsx_records(workbook)


def _xlsx_records(workbook):
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some programs write wrong sheet sizes; read what is really there
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(row[:MAX_COLUMNS])
    except _FileError:
        raise
    except Exception as error:  # a damaged sheet fails only when it is read
        raise _FileError(_NOT_XLSX) from error
    finally:
        workbook.close()


# Checking


def _column_key(heading) -> str:
    """'ICCID', ' SIM serial ', 'sim-serial' → 'iccid', 'sim_serial', 'sim_serial'."""
    key = re.sub(r"[\s\-]+", "_", _text(heading).lower())
    return ALIASES.get(key, key)


def _columns(line: int, header: list, result: VoucherFile) -> tuple[dict[str, int], list[int]]:
    """Where each known column is, and the positions with a blank heading. Unknown and repeated headings
    are problems of the heading row; no known heading at all means the file cannot be read."""
    positions: dict[str, int] = {}
    unnamed: list[int] = []
    for position, heading in enumerate(header):
        key = _column_key(heading)
        if not key:
            unnamed.append(position)
        elif key not in COLUMNS:
            shown = _text(heading)[:40]
            result.problems.append((line, f"Unknown column “{shown}”. The columns are: {', '.join(COLUMNS)}"))
        elif key in positions:
            result.problems.append((line, f"There are two {key} columns"))
        else:
            positions[key] = position
    if not positions:
        raise _FileError(f"The first row of the file must be its headings: {', '.join(COLUMNS)} (at least one of them)")
    return positions, unnamed


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def _cell(line: int, column: str, value, problems: list[tuple[int, str]]) -> str | None:
    """The cell as text, or None (with the problem recorded) when it cannot be trusted."""
    name = {"code": "The code", "iccid": "The ICCID", "sim_serial": "The SIM serial"}[column]
    if isinstance(value, bool):
        problems.append((line, f"{name} is TRUE or FALSE, not a code"))
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Excel keeps 15 significant digits of a number: an ICCID typed as one has lost its last ones.
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        problems.append((line, f"{name} is stored as a number, so Excel has changed its last digits: format the "
                               f"{column} column as Text and paste the values in again"))  # fmt: skip
        return None
    text = _text(value)
    if _EXCEL_NUMBER.fullmatch(text):
        problems.append((line, f"{name} looks like a number Excel has shortened ({text}): format the {column} "
                               "column as Text and paste the values in again"))  # fmt: skip
        return None
    if "\x00" in text or any(ord(char) < 32 for char in text):
        problems.append((line, f"{name} contains an invisible control character: type it again"))
        return None
    if column == "iccid":
        text = _SPACES_AND_HYPHENS.sub("", text)  # printed in groups: 8944 2000 0000 ...
    return text


def _row(
    line: int, cells: list, positions: dict[str, int], unnamed: list[int], width: int, problems
) -> ImportRow | None:
    """The row, or None when a cell could not be read (the problem is recorded)."""
    values, readable = {}, True
    for column, position in positions.items():
        value = cells[position] if position < len(cells) else None
        text = _cell(line, column, value, problems)
        readable = readable and text is not None
        values[column] = text or ""
    for position in unnamed:
        if position < len(cells) and _text(cells[position]):
            problems.append((line, f"Column {position + 1} has a value but no heading"))
            readable = False
    if any(_text(cell) for cell in cells[width:]):
        problems.append((line, "This row has more values than the heading row has columns"))
        readable = False
    return ImportRow(line=line, **values) if readable else None
