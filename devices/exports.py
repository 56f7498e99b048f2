"""The stock list as a spreadsheet (CSV or Excel .xlsx): one query, safe to open in Excel (the writing,
formula-safe cells included, is inclusion/spreadsheets.py's). The headings are the import's columns, so
an export can be edited and imported elsewhere.
"""

from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.utils import timezone

from inclusion import spreadsheets

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
CSV_TYPE = spreadsheets.CSV_TYPE
XLSX_TYPE = spreadsheets.XLSX_TYPE
WIDTHS = (14, 18, 14, 14, 18, 30, 24, 18, 12, 20, 16, 40, 22, 12)  # one per heading, in characters
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
