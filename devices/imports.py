"""Reading and checking a stock import (CSV or Excel .xlsx): every bad row, with its line and reason. The page
flow around it (upload, preview, confirm) is inclusion/imports.py's, set up in devices/views/files.py.

device_import_check() only reads: it turns a file into the devices it would add, or the list of problems
that stop it. The write is devices.services.device_import, which runs the same check again inside its
transaction, so a file is imported whole or not at all. The file itself is read by inclusion.spreadsheets.
"""

import re
from dataclasses import dataclass, field

from inclusion.imports import (  # noqa: F401  (Problem: this module's word too)
    Columns,
    ImportCheck,
    ImportRefused,
    Problem,
    choice_lookup,
    row_values,
    sheet_read,
)
from inclusion.models import Organisation
from inclusion.uploads import upload_name

from .models import (
    ACCESSORIES,
    ACCESSORY_SEPARATOR,
    ASSET_TAG_PATTERN,
    DEVICE_COLUMNS,
    DEVICE_FIELDS,
    Condition,
    Device,
    DeviceKind,
    DeviceSource,
    asset_tag_normalise,
    choice_names,
)

# The columns a file may have (a device's details, models.DEVICE_COLUMNS), in the order a template lists them.
# Only kind is required.
IMPORT_COLUMNS = DEVICE_FIELDS
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 100  # a sheet claiming thousands of columns is read no further than this
# Tags appear in URLs (/devices/<tag>/label/) and on printed labels: no slashes or punctuation.
TAG_PATTERN = re.compile(ASSET_TAG_PATTERN)
NO_KIND_COLUMN = "There is no kind column: every device needs a kind, such as Laptop"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ImportRow:
    line: int
    values: dict  # Device field → value, ready for Device(**values); asset_tag "" means "generate one"


@dataclass
class DeviceImportCheck(ImportCheck):
    rows: list[ImportRow] = field(default_factory=list)

    @property
    def tags_to_generate(self) -> int:
        return sum(1 for row in self.rows if not row.values["asset_tag"])


class DeviceImportRefused(ImportRefused):
    """The file has problems, so nothing was imported. `check` lists them all."""


def column_guide() -> list[tuple[str, str]]:
    """(heading, what to put) for each column, for the import page."""
    return [(column.name, column.guide) for column in DEVICE_COLUMNS]


def device_import_check(*, organisation: Organisation, filename: str, content: bytes) -> DeviceImportCheck:
    """Read `content` (a CSV or .xlsx upload called `filename`) and check every row, for `organisation`'s
    stock. Reads the database once, for asset tags already in use in that stock (tags are unique per
    organisation: another's are no bar, and never mentioned)."""
    check = DeviceImportCheck(filename=upload_name(filename))
    read = sheet_read(check, content, known=IMPORT_COLUMNS, required={"kind": NO_KIND_COLUMN}, row_name="devices",
                      max_bytes=MAX_BYTES, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)  # fmt: skip
    if read is None:
        return check
    layout, rows = read

    lookups = {"kind": choice_lookup(DeviceKind), "source": choice_lookup(DeviceSource),
               "condition": choice_lookup(Condition)}  # fmt: skip
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

    # One array parameter, not a placeholder per tag (5,000 of them cost more than the look-up itself).
    taken = set(
        Device.objects.filter(owning_organisation=organisation)
        .extra(where=["devices_device.asset_tag = ANY(%s)"], params=[list(first_line_of_tag)])
        .values_list("asset_tag", flat=True)
    ) if first_line_of_tag else set()  # fmt: skip
    for row in check.rows:
        if row.values["asset_tag"] in taken:
            check.problems.append(
                Problem(row.line, "asset_tag", f"Asset tag {row.values['asset_tag']} is already in use")
            )
    check.problems.sort(key=lambda p: (p.line or 0, _column_order(p.column)))
    return check


# Checking


def _column_order(column: str) -> int:
    return IMPORT_COLUMNS.index(column) if column in IMPORT_COLUMNS else -1


def _accessory_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


ACCESSORY_NAMES = ", ".join(name.replace("_", " ") for name in ACCESSORIES)


def _check_row(line: int, cells: list[str], layout: Columns, lookups: dict, problems: list[Problem]) -> dict:
    values = row_values(line, cells, layout, names=IMPORT_COLUMNS, problems=problems)

    tag = values["asset_tag"] = asset_tag_normalise(values["asset_tag"])
    if tag and not TAG_PATTERN.fullmatch(tag):
        problems.append(Problem(line, "asset_tag", f"Asset tag “{values['asset_tag']}” can only have letters, numbers, "
                                                   f"spaces, hyphens (-), dots (.) and underscores (_)"))  # fmt: skip

    kind = values["kind"]
    if not kind:
        if "kind" in layout.positions:  # else reported once, for the file
            problems.append(Problem(line, "kind", "Enter the kind of device, such as Laptop or Tablet"))
    elif kind.lower() not in lookups["kind"]:
        problems.append(Problem(line, "kind", f"“{kind}” is not a kind of device: use {choice_names(DeviceKind)}"))
    else:
        values["kind"] = lookups["kind"][kind.lower()]

    for column, choices, default in (("source", DeviceSource, DeviceSource.DONATED),
                                     ("condition", Condition, Condition.GOOD)):  # fmt: skip
        given = values[column]
        if not given:
            values[column] = default.value
        elif given.lower() not in lookups[column]:
            problems.append(Problem(line, column, f"“{given}” is not a {column} we know: use {choice_names(choices)}"))
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
