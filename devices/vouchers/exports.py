"""The voucher list as CSV (the writing, formula-safe cells included, is inclusion/spreadsheets.py's): codes masked,
no resident details."""

from collections.abc import Iterator

from django.utils import timezone

from inclusion.spreadsheets import cell_safe

from .models import VoucherKind, VoucherStatus

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
