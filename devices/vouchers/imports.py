"""Reading a provider's voucher file (CSV or Excel .xlsx) into rows for voucher_batch_import.

voucher_file_read() only reads: columns code, iccid and sim_serial (headings in any case and order), from
a file read by inclusion.spreadsheets (Excel's encodings, its "sep=" line, .xlsx cells as Excel stored
them, so that a number Excel has shortened is caught). It reports every line it cannot read; the rules
about the codes themselves (format, check digits, duplicates, codes already held) are the service's
(devices.vouchers.services.voucher_rows_validate). No message here ever holds a whole code: codes are
bearer secrets (models.mask_code).
"""

import re
from dataclasses import dataclass, field

from inclusion.spreadsheets import SpreadsheetError, cell_text, heading_key, spreadsheet_open
from inclusion.uploads import upload_name

from .models import mask_code
from .services import ImportRow

COLUMNS = ("code", "iccid", "sim_serial")
# Other headings providers use for the same things.
ALIASES = {"voucher_code": "code", "voucher": "code", "sim_serial_number": "sim_serial", "serial": "sim_serial",
           "serial_number": "sim_serial", "sim_number": "iccid"}  # fmt: skip
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 50
# What Excel makes of a long number it was allowed to treat as one: 8.94423E+19. The digits are gone.
_EXCEL_NUMBER = re.compile(r"\d(\.\d+)?E\+\d+", re.IGNORECASE)
_SPACES_AND_HYPHENS = re.compile(r"[\s-]+")
_CONTROL = re.compile(r"[\x00-\x1f]")


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
        with spreadsheet_open(
            filename=result.filename,
            content=content,
            known_columns=(*COLUMNS, *ALIASES),
            row_name="vouchers",
            max_bytes=MAX_BYTES,
            max_rows=MAX_ROWS,
            max_columns=MAX_COLUMNS,
            suffixes=(".csv", ".xlsx", ".txt"),
            xlsx_as_text=False,
        ) as sheet:
            positions, unnamed = _columns(sheet.heading_line, sheet.headings, result)
            width = len(sheet.headings)
            for line, cells in sheet.rows:
                row = _row(line, cells, positions, unnamed, width, result.problems)
                if row is not None:
                    result.rows.append(row)
    except SpreadsheetError as error:
        return VoucherFile(filename=result.filename, file_error=str(error))
    if not result.rows and not result.problems:
        result.file_error = "The selected file has a heading row but no vouchers under it"
    return result


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


# Checking


def _column_key(heading) -> str:
    """'ICCID', ' SIM serial ', 'sim-serial' → 'iccid', 'sim_serial', 'sim_serial'."""
    key = heading_key(_text(heading))
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
        raise SpreadsheetError(
            f"The first row of the file must be its headings: {', '.join(COLUMNS)} (at least one of them)"
        )
    return positions, unnamed


def _text(value) -> str:
    return cell_text(value).strip()


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
    if _CONTROL.search(text):
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
