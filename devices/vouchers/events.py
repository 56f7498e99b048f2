"""What the vouchers domain writes about what happened: the kinds of entry it puts on a resident's case
timeline (registered with the core in devices/vouchers/registration.py)."""

from django.db import models


class VoucherEventKind(models.TextChoices):
    VOUCHER_ISSUED = "voucher_issued", "Data voucher issued"
    VOUCHER_REVEALED = "voucher_revealed", "Voucher code shown"
    VOUCHER_ACTIVATED = "voucher_activated", "Voucher activated"
    VOUCHER_FAILED = "voucher_failed", "Voucher failed"
    VOUCHER_WITHDRAWN = "voucher_withdrawn", "Voucher withdrawn"
