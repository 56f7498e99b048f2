"""The stock list as a spreadsheet (CSV or Excel .xlsx): one query, safe to open in Excel.

Any text cell that a spreadsheet would run as a formula (starting =, +, -, @, tab or carriage return)
gets a leading single quote, so a donor called "=HYPERLINK(...)" stays text (OWASP's advice on CSV
injection). The headings are the import's columns, so an export can be edited and imported elsewhere.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from .models import Condition, Device, DeviceKind, DeviceSource, DeviceStatus, VoucherKind, VoucherStatus

COLUMNS = [
    ("asset_tag", "Asset tag"),
    ("serial_number", "Serial number"),
    ("kind", "Kind"),
    ("make", "Make"),
    ("model", "Model"),
    ("specification", "Specification"),
    ("accessories", "Accessories"),
    ("location", "Location"),
    ("source", "Source"),
    ("donor", "Donor"),
    ("condition", "Condition"),
    ("notes", "Notes"),
    ("status", "Status"),
    ("created_at", "Added on"),
]
HEADINGS = [heading for _, heading in COLUMNS]
_LABELS = {
    "kind": dict(DeviceKind.choices),
    "source": dict(DeviceSource.choices),
    "condition": dict(Condition.choices),
    "status": dict(DeviceStatus.choices),
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell_safe(value):
    """Text a spreadsheet would treat as a formula, quoted so it stays text; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def device_export_rows(devices: QuerySet[Device]) -> Iterator[list]:
    """One list of cell values per device (text, and the date added as a date), in COLUMNS order.
    Reads the devices in one query, in chunks, without building model instances."""
    fields = [name for name, _ in COLUMNS]
    for values in devices.values_list(*fields).iterator(chunk_size=2000):
        row = []
        for name, value in zip(fields, values, strict=True):
            if name in _LABELS:
                value = _LABELS[name].get(value, value)
            elif name == "accessories":
                value = "; ".join(accessory.replace("_", " ") for accessory in value)
            elif name == "created_at":
                value = timezone.localdate(value)
            row.append(cell_safe(value))
        yield row


class _Echo:
    """A file-like object whose write() hands the line back, for streaming csv.writer's output."""

    def write(self, value):
        return value


def csv_stream(rows: Iterable[list], headings: list[str] = HEADINGS) -> Iterator[str]:
    """The heading row and `rows` as CSV lines, starting with a byte order mark so Excel reads UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(headings)
    for row in rows:
        yield writer.writerow([value.isoformat() if isinstance(value, date) else value for value in row])


def xlsx_bytes(rows: Iterable[list], *, title: str = "Devices") -> bytes:
    """The heading row and `rows` as an .xlsx workbook (openpyxl's write-only mode: rows are not kept)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    widths = (14, 18, 14, 14, 18, 30, 24, 18, 12, 20, 16, 40, 22, 12)  # one per heading, in characters
    for letter, width in zip("ABCDEFGHIJKLMN", widths, strict=True):
        sheet.column_dimensions[letter].width = width
    bold = Font(bold=True)
    heading_cells = []
    for heading in HEADINGS:
        cell = WriteOnlyCell(sheet, value=heading)
        cell.font = bold
        heading_cells.append(cell)
    sheet.append(heading_cells)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str):
                # Control characters other than tab and newlines cannot be stored in .xlsx at all; once they
                # are gone the text may start like a formula, so it is checked again.
                cells.append(cell_safe(ILLEGAL_CHARACTERS_RE.sub("", value)))
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


def export_filename(organisation_slug: str, extension: str) -> str:
    return f"{organisation_slug}-devices-{timezone.localdate():%Y-%m-%d}.{extension}"


VOUCHER_HEADINGS = ["Voucher", "Provider", "Kind", "Batch reference", "Batch expires", "Status", "Issued on",
                    "Activated on"]  # fmt: skip


def voucher_export_rows(vouchers) -> Iterator[list]:
    """One row per voucher, its code MASKED (codes are bearer secrets and never leave in an export),
    and no resident details. One query, in chunks."""
    statuses = dict(VoucherStatus.choices)
    kinds = dict(VoucherKind.choices)
    for voucher in vouchers.select_related("batch", "provider").iterator(chunk_size=2000):
        yield [cell_safe(value) for value in (
            voucher.masked, voucher.provider.name, kinds[voucher.batch.kind], voucher.batch.reference,
            voucher.batch.expires_on, statuses[voucher.status],
            timezone.localdate(voucher.issued_at) if voucher.issued_at else "",
            timezone.localdate(voucher.activated_at) if voucher.activated_at else "",
        )]  # fmt: skip
