"""What the vouchers domain writes about what happened: each voucher's history (VoucherEvent, written in the
same transaction as the change; an import is recorded once for its batch, as a VoucherImportRecord) and the kinds
of entry it puts on a resident's case timeline (registered with the core in devices/vouchers/registration.py)."""

from django.db import models

from inclusion.actors import Actor

from .models import Voucher, VoucherEvent


class VoucherEventKind(models.TextChoices):
    VOUCHER_ISSUED = "voucher_issued", "Data voucher issued"
    VOUCHER_REVEALED = "voucher_revealed", "Voucher code shown"
    VOUCHER_ACTIVATED = "voucher_activated", "Voucher activated"
    VOUCHER_FAILED = "voucher_failed", "Voucher failed"
    VOUCHER_WITHDRAWN = "voucher_withdrawn", "Voucher withdrawn"


def voucher_event_record(
    *, voucher: Voucher, actor: Actor, action: str, from_status: str, to_status: str, note: str = "",
    data: dict | None = None,
) -> VoucherEvent:  # fmt: skip
    return VoucherEvent.record(actor=actor, voucher=voucher, action=action, from_status=from_status,
                               to_status=to_status, note=note, data=data or {})  # fmt: skip
