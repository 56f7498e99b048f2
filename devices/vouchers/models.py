"""Data-connectivity vouchers: providers, batches, the vouchers themselves and the record of every import.

The models belong to the devices app (app label "devices", tables devices_*): devices/models.py imports
them, so nothing moved in the database when vouchers became their own subpackage. Rules that change these
rows live in devices/vouchers/services.py; the allowed status moves are its TRANSITIONS table.
"""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from devices.history import HistoryEvent
from inclusion.audit import field_history
from inclusion.models import Organisation, OrganisationAPIKey, Resident, User


class Provider(models.Model):
    """A network operator or Wi-Fi provider whose SIMs or codes the scheme hands out (editable in the admin)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class VoucherKind(models.TextChoices):
    SIM_CARD = "sim_card", "SIM card"
    DATA_CODE = "data_code", "Data voucher code"
    WIFI = "wifi", "Wi-Fi voucher"
    SOCIAL_TARIFF = "social_tariff", "Social tariff referral"


class VoucherStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    ISSUED = "issued", "Issued"
    ACTIVATED = "activated", "Activated"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"


class VoucherBatch(models.Model):
    """A delivery of vouchers from one provider to one organisation, with its own eligibility rule."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="batches")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="voucher_batches")
    kind = models.CharField(max_length=20, choices=VoucherKind.choices)
    reference = models.CharField(max_length=100, blank=True, help_text="The provider's batch or order reference")
    data_allowance_gb = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    validity_days = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Days of use after activation")
    expires_on = models.DateField(help_text="Unissued vouchers expire after this date")
    received_on = models.DateField(default=timezone.localdate)
    max_per_resident = models.PositiveSmallIntegerField(default=1)
    eligibility_window_days = models.PositiveSmallIntegerField(default=183, help_text="About six months")
    low_stock_threshold = models.PositiveIntegerField(default=10)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["expires_on", "id"]
        verbose_name_plural = "voucher batches"
        constraints = [
            models.CheckConstraint(condition=Q(max_per_resident__gte=1), name="batch_allows_at_least_one"),
        ]

    def __str__(self):
        allowance = f" {self.data_allowance_gb.normalize():f} GB" if self.data_allowance_gb else ""
        return f"{self.provider}{allowance} {self.get_kind_display()} (expires {self.expires_on:%-d %b %Y})"


def mask_code(code: str) -> str:
    """A voucher code is a bearer secret: lists, exports and logs show only its last four characters."""
    if not code:
        return ""
    return "••••" + code[-4:]  # a fixed mask: the length of the code is not given away either


# The code is a bearer secret, and everywhere else the identifiers are shown masked: the history keeps none of
# them (the row's id says which voucher), only its status, dates, resident and why it failed.
@field_history(
    model_name="VoucherHistory",
    exclude=["code", "sim_serial", "iccid"],
    personal=["failure_reason"],
    resident="resident",
)
class Voucher(models.Model):
    batch = models.ForeignKey(VoucherBatch, on_delete=models.PROTECT, related_name="vouchers")
    # Copied from the batch so the database can hold "a code is unique for its provider".
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=64, blank=True)
    sim_serial = models.CharField(max_length=40, blank=True)
    iccid = models.CharField(max_length=22, blank=True)
    status = models.CharField(max_length=20, choices=VoucherStatus.choices, default=VoucherStatus.AVAILABLE)
    resident = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.PROTECT, related_name="vouchers")
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    issued_via = models.ForeignKey(
        OrganisationAPIKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    replacement_for = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The issuing queue: available vouchers, taken soonest-expiring first.
            models.Index(fields=["batch", "id"], condition=Q(status="available"), name="voucher_available"),
            models.Index(
                fields=["resident", "issued_at"], condition=Q(resident__isnull=False), name="voucher_resident"
            ),
            # The voucher list's order (selectors.voucher_list): latest issued first, then the rest.
            models.Index(F("issued_at").desc(nulls_last=True), "id", name="voucher_list_order"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["provider", "code"], condition=~Q(code=""), name="voucher_code_unique"),
            models.UniqueConstraint(fields=["iccid"], condition=~Q(iccid=""), name="voucher_iccid_unique"),
            models.CheckConstraint(
                condition=~Q(code="") | ~Q(iccid="") | ~Q(sim_serial=""), name="voucher_has_identifier"
            ),
            models.CheckConstraint(
                condition=(Q(status__in=["available", "expired"]) & Q(resident__isnull=True))
                | (Q(status__in=["issued", "activated", "failed", "withdrawn"]) & Q(resident__isnull=False))
                | (Q(status="withdrawn") & Q(resident__isnull=True)),
                name="voucher_resident_matches_status",
            ),
        ]

    def __str__(self):
        return f"{self.batch.provider} {self.masked}"

    @property
    def identifier(self) -> str:
        return self.code or self.iccid or self.sim_serial

    @property
    def masked(self) -> str:
        return mask_code(self.identifier)


class VoucherImportRecord(models.Model):
    """Every voucher import and dry run: who, when, how many rows, and how many codes were held by another
    organisation. A dry run answers whether codes can be imported, so each one is recorded (and limited per
    person per hour): guessing at another organisation's codes leaves a trace. Never holds a code."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    api_key = models.ForeignKey(OrganisationAPIKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=VoucherKind.choices)
    dry_run = models.BooleanField()
    rows = models.PositiveIntegerField()
    problems = models.PositiveIntegerField(help_text="Rows refused, for any reason")
    held_elsewhere = models.PositiveIntegerField(help_text="Codes or ICCIDs another organisation holds")
    batch = models.ForeignKey(VoucherBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{'Dry run' if self.dry_run else 'Import'} of {self.rows} by {self.organisation}"


class VoucherEvent(HistoryEvent):
    """A voucher's history: every change of status (issued, activated, failed, withdrawn, expired), with who,
    when, from → to and why. Written in the same transaction as the change (devices/vouchers/services.py). Its
    import is the batch's VoucherImportRecord. Never holds a code."""

    voucher = models.ForeignKey(Voucher, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True, choices=VoucherStatus.choices)
    to_status = models.CharField(max_length=20, blank=True, choices=VoucherStatus.choices)

    class Meta(HistoryEvent.Meta):
        pass

    TITLES = {"import": "Imported with its batch", "issue": "Issued", "activate": "Marked activated",
              "fail": "Marked not working", "withdraw": "Withdrawn", "expire": "Expired unissued"}  # fmt: skip

    def __str__(self):
        return f"{self.voucher.masked}: {self.action}"

    @property
    def title(self) -> str:
        return self.TITLES.get(self.action, self.action)
