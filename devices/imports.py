"""Reading and checking a stock import (CSV or Excel .xlsx): every bad row, with its line and reason.

device_import_check() only reads: it turns a file into the devices it would add, or the list of problems
that stop it. The write is devices.services.device_import, which runs the same check again inside its
transaction, so a file is imported whole or not at all.
"""

import csv
import io
import re
import zipfile
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath

from inclusion.errors import DomainError

from .models import ACCESSORIES, ASSET_TAG_PATTERN, Condition, Device, DeviceKind, DeviceSource

# The columns a file may have, in the order a template lists them. Only kind is required.
IMPORT_COLUMNS = ("asset_tag", "serial_number", "kind", "make", "model", "specification", "accessories", "location",
                  "source", "donor", "condition", "notes")  # fmt: skip
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 100  # a sheet claiming thousands of columns is read no further than this
MAX_XLSX_UNPACKED = 100 * 1024 * 1024  # a small .xlsx that unpacks to gigabytes is refused, not read
ACCESSORY_SEPARATOR = ";"
# Tags appear in URLs (/devices/<tag>/label/) and on printed labels: no slashes or punctuation.
TAG_PATTERN = re.compile(ASSET_TAG_PATTERN)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ZIP_MAGIC = b"PK\x03\x04"
_OTHER_FORMATS = {
    b"\xd0\xcf\x11\xe0": "an old Excel .xls (or other Office) file: save it as .xlsx or CSV",
    b"%PDF": "a PDF",
    b"\x89PNG": "an image",
    b"\xff\xd8\xff": "an image",
    b"GIF8": "an image",
}


@dataclass(frozen=True)
class Problem:
    """Why a file, a column or a row cannot be imported. line is None for the whole file."""

    line: int | None
    column: str
    message: str


@dataclass(frozen=True)
class ImportRow:
    line: int
    values: dict  # Device field → value, ready for Device(**values); asset_tag "" means "generate one"


@dataclass
class ImportCheck:
    filename: str
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    file_error: str = ""  # the file cannot be read at all (wrong type, empty...): nothing else is reported

    @property
    def ok(self) -> bool:
        return not self.file_error and not self.problems and bool(self.rows)

    @property
    def tags_to_generate(self) -> int:
        return sum(1 for row in self.rows if not row.values["asset_tag"])


class DeviceImportRefused(DomainError):
    """The file has problems, so nothing was imported. `check` lists them all."""

    def __init__(self, check: ImportCheck):
        if check.file_error:
            message = check.file_error
        else:
            count = len(check.problems)
            message = f"{check.filename} has {count} problem{'s' if count != 1 else ''}, so nothing was imported."
        super().__init__(message, field="file", code="import_refused")
        self.check = check


def device_import_check(*, filename: str, content: bytes) -> ImportCheck:
    """Read `content` (a CSV or .xlsx upload called `filename`) and check every row. Reads the database once,
    for asset tags already in use by any organisation."""
    check = ImportCheck(filename=upload_name(filename))
    try:
        with closing(_read_table(check.filename, content)) as records:
            header_line, header = next(records, (None, None))
            if header is None:
                raise _FileError("The selected file is empty")
            layout = _columns(header_line, header, check.problems)
            rows = []
            for line, cells in records:
                if len(rows) >= MAX_ROWS:
                    raise _FileError(
                        f"The selected file has more than {MAX_ROWS:,} devices: split it into smaller files"
                    )
                if any(cell.strip() for cell in cells):
                    rows.append((line, cells))
    except _FileError as error:
        check.file_error = str(error)
        return check
    if not rows:
        check.file_error = "The selected file has a heading row but no devices under it"
        return check

    lookups = {"kind": _choice_lookup(DeviceKind), "source": _choice_lookup(DeviceSource),
               "condition": _choice_lookup(Condition)}  # fmt: skip
    first_line_of_tag: dict[str, int] = {}
    for line, cells in rows:
        values = _check_row(line, cells, layout, lookups, check.problems)
        tag = values["asset_tag"]
        if tag and tag in first_line_of_tag:
            check.problems.append(
                Problem(line, "asset_tag", f"Asset tag {tag} is also on line {first_line_of_tag[tag]}")
            )
        elif tag:
            first_line_of_tag[tag] = line
        check.rows.append(ImportRow(line=line, values=values))

    taken = set(Device.objects.filter(asset_tag__in=list(first_line_of_tag)).values_list("asset_tag", flat=True))
    for row in check.rows:
        if row.values["asset_tag"] in taken:
            check.problems.append(
                Problem(row.line, "asset_tag", f"Asset tag {row.values['asset_tag']} is already in use")
            )
    check.problems.sort(key=lambda p: (p.line or 0, _column_order(p.column)))
    return check


def upload_name(filename: str) -> str:
    """The file's own name, without any folders a browser sent, for messages and the device history."""
    return PurePath((filename or "").replace("\\", "/")).name[:200] or "the file"


# Reading


class _FileError(Exception):
    pass


def _read_table(filename: str, content: bytes):
    """A generator of (line number, [cell text]) for each row of the first sheet, the heading row first."""
    if not content or not content.strip(b" \t\r\n\xef\xbb\xbf"):
        raise _FileError("The selected file is empty")
    if len(content) > MAX_BYTES:
        raise _FileError(f"The selected file must be smaller than {MAX_BYTES // (1024 * 1024)} MB")
    suffix = PurePath(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise _FileError("The selected file must be a CSV or an Excel .xlsx file")
    if content.startswith(_ZIP_MAGIC):
        return _read_xlsx(content)  # an .xlsx, even one renamed .csv
    for magic, what in _OTHER_FORMATS.items():
        if content.startswith(magic):
            raise _FileError(f"The selected file must be a CSV or an Excel .xlsx file: this looks like {what}")
    if suffix == ".xlsx":
        raise _FileError(_NOT_XLSX)
    return _read_csv(content)


_NOT_XLSX = "The selected file is not a valid Excel .xlsx file: save it again from Excel, or as CSV"


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
        delimiter = _guess_delimiter(first)
        lines.seek(0)
    reader = csv.reader(lines, delimiter=delimiter)
    return _csv_records(reader, offset)


def _guess_delimiter(header_line: str) -> str:
    """The one of , ; and tab that splits the heading row into the most known column names (comma on a tie)."""

    def known(delimiter):
        return sum(_column_key(cell) in IMPORT_COLUMNS for cell in header_line.split(delimiter))

    return max([",", ";", "\t"], key=known)


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
            yield number, [_cell_text(value) for value in row[:MAX_COLUMNS]]
    except _FileError:
        raise
    except Exception as error:  # a damaged sheet fails only when it is read
        raise _FileError(_NOT_XLSX) from error
    finally:
        workbook.close()


def _cell_text(value) -> str:
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


# Checking


def _column_key(heading: str) -> str:
    """'Asset tag', 'ASSET_TAG', ' asset-tag ' → 'asset_tag'."""
    return re.sub(r"[\s\-]+", "_", heading.strip().lower())


def _column_order(column: str) -> int:
    return IMPORT_COLUMNS.index(column) if column in IMPORT_COLUMNS else -1


@dataclass
class _Layout:
    positions: dict[str, int]  # known column → its position in a row
    unnamed: list[int]  # positions with a blank heading


def _columns(line: int, header: list[str], problems: list[Problem]) -> _Layout:
    """Where each known column is; unknown and repeated headings are reported once each."""
    layout = _Layout(positions={}, unnamed=[])
    for position, heading in enumerate(header):
        key = _column_key(heading)
        if not key:
            layout.unnamed.append(position)  # fine if empty; _check_row reports values under it
        elif key not in IMPORT_COLUMNS:
            problems.append(Problem(line, heading.strip(), f"Unknown column “{heading.strip()}”. The columns are: "
                                                           f"{', '.join(IMPORT_COLUMNS)}"))  # fmt: skip
        elif key in layout.positions:
            problems.append(Problem(line, key, f"There are two {key} columns"))
        else:
            layout.positions[key] = position
    if "kind" not in layout.positions:
        problems.append(Problem(line, "kind", "There is no kind column: every device needs a kind, such as Laptop"))
    return layout


def _choice_lookup(choices) -> dict[str, str]:
    """Every way a person might write a choice, lower case → its value: 'laptop', 'Laptop', 'as new',
    'as_new', 'As new', 'Fair: marks or wear', 'fair'."""
    lookup = {}
    for value, label in choices.choices:
        for spelling in (value, value.replace("_", " "), label, label.split(":")[0]):
            lookup[spelling.strip().lower()] = value
    return lookup


def _choice_names(choices) -> str:
    labels = [label.split(":")[0] for label in choices.labels]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def _accessory_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


ACCESSORY_NAMES = ", ".join(name.replace("_", " ") for name in ACCESSORIES)


def _check_row(line: int, cells: list[str], layout: _Layout, lookups: dict, problems: list[Problem]) -> dict:
    values = {}
    for column in IMPORT_COLUMNS:
        position = layout.positions.get(column)
        raw = cells[position] if position is not None and position < len(cells) else ""
        if "\x00" in raw:
            problems.append(Problem(line, column, "Contains a NUL character (an invisible control character): "
                                                  "delete the cell's contents and type them again"))  # fmt: skip
            raw = raw.replace("\x00", "")
        values[column] = raw.strip()
    for position in layout.unnamed:
        if position < len(cells) and cells[position].strip():
            problems.append(Problem(line, "", f"Column {position + 1} has a value but no heading"))

    tag = values["asset_tag"].upper()
    values["asset_tag"] = tag
    if tag and not TAG_PATTERN.fullmatch(tag):
        problems.append(Problem(line, "asset_tag", f"Asset tag “{values['asset_tag']}” can only have letters, numbers, "
                                                   f"spaces, hyphens (-), dots (.) and underscores (_)"))  # fmt: skip

    kind = values["kind"]
    if not kind:
        if "kind" in layout.positions:  # else reported once, for the file
            problems.append(Problem(line, "kind", "Enter the kind of device, such as Laptop or Tablet"))
    elif kind.lower() not in lookups["kind"]:
        problems.append(Problem(line, "kind", f"“{kind}” is not a kind of device: use {_choice_names(DeviceKind)}"))
    else:
        values["kind"] = lookups["kind"][kind.lower()]

    for column, choices, default in (("source", DeviceSource, DeviceSource.DONATED),
                                     ("condition", Condition, Condition.GOOD)):  # fmt: skip
        given = values[column]
        if not given:
            values[column] = default.value
        elif given.lower() not in lookups[column]:
            problems.append(Problem(line, column, f"“{given}” is not a {column} we know: use {_choice_names(choices)}"))
        else:
            values[column] = lookups[column][given.lower()]

    accessories = []
    for name in filter(None, (part.strip() for part in values["accessories"].split(ACCESSORY_SEPARATOR))):
        key = _accessory_key(name)
        if key not in ACCESSORIES:
            problems.append(Problem(line, "accessories", f"“{name}” is not an accessory we know: use {ACCESSORY_NAMES}, "
                                                         f"separated by {ACCESSORY_SEPARATOR}"))  # fmt: skip
        elif key not in accessories:
            accessories.append(key)
    values["accessories"] = accessories

    for column in IMPORT_COLUMNS:
        limit = Device._meta.get_field(column).max_length
        value = values[column]
        if isinstance(value, str) and limit and len(value) > limit:
            label = column.replace("_", " ").capitalize()
            problems.append(
                Problem(line, column, f"{label} must be {limit} characters or fewer (this has {len(value)})")
            )
    return values
