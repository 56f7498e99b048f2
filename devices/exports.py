"""The stock list as a spreadsheet (CSV or Excel .xlsx): one query, safe to open in Excel (the writing,
formula-safe cells included, is inclusion/spreadsheets.py's). The headings are a device's details
(models.DEVICE_COLUMNS), the import's columns too, so an export can be edited and imported elsewhere. The
vouchers' export is devices/vouchers/exports.py.
"""

from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.utils import timezone

from inclusion import spreadsheets

from .models import DEVICE_COLUMNS, Condition, Device, DeviceKind, DeviceSource, DeviceStatus

# A device's details (models.DEVICE_COLUMNS, the import's columns too), then what only an export shows.
COLUMNS = [
    *((column.name, column.heading) for column in DEVICE_COLUMNS),
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
CSV_TYPE = spreadsheets.CSV_TYPE
XLSX_TYPE = spreadsheets.XLSX_TYPE
# Column widths in the .xlsx, in characters (12 for any not named).
WIDTH = {"asset_tag": 14, "serial_number": 18, "kind": 14, "make": 14, "model": 18, "specification": 30,
         "accessories": 24, "location": 18, "source": 12, "donor": 20, "condition": 16, "notes": 40, "status": 22}  # fmt: skip
WIDTHS = tuple(WIDTH.get(name, 12) for name, _ in COLUMNS)
cell_safe = spreadsheets.cell_safe


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


def csv_stream(rows: Iterable[list], headings: list[str] = HEADINGS) -> Iterator[str]:
    """The heading row and `rows` as CSV lines (inclusion/spreadsheets.py writes them)."""
    return spreadsheets.csv_lines(headings, rows)


def xlsx_bytes(rows: Iterable[list], *, title: str = "Devices") -> bytes:
    """The device columns' headings and `rows` as a one-sheet .xlsx workbook."""
    return spreadsheets.xlsx_bytes([spreadsheets.OutputSheet(title, HEADINGS, rows, WIDTHS)])


def export_filename(organisation_slug: str, extension: str) -> str:
    return f"{organisation_slug}-devices-{timezone.localdate():%Y-%m-%d}.{extension}"
