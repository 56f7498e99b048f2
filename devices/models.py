"""Device stock, data sanitisation, loan policies and loans.

Rules that change these rows live in devices/services.py; the allowed status moves are its
TRANSITIONS table.
"""

from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone

from inclusion.models import Organisation, OrganisationAPIKey, Resident, User


class DeviceKind(models.TextChoices):
    LAPTOP = "laptop", "Laptop"
    CHROMEBOOK = "chromebook", "Chromebook"
    TABLET = "tablet", "Tablet"
    SMARTPHONE = "smartphone", "Smartphone"
    MIFI = "mifi", "MiFi or hotspot"
    OTHER = "other", "Other"


class DeviceSource(models.TextChoices):
    PURCHASED = "purchased", "Purchased"
    DONATED = "donated", "Donated"
    REFURBISHED = "refurbished", "Refurbished"


class Condition(models.TextChoices):
    AS_NEW = "as_new", "As new"
    GOOD = "good", "Good"
    FAIR = "fair", "Fair: marks or wear"
    POOR = "poor", "Poor: needs repair"


class DeviceStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    WIPED = "wiped", "Wiped"
    READY = "ready", "Ready to lend"
    ON_LOAN = "on_loan", "On loan"
    AWAITING_CHECK = "awaiting_check", "Returned, awaiting check"
    IN_REPAIR = "in_repair", "In repair"
    RETIRED = "retired", "Retired"
    LOST = "lost", "Lost or stolen"
    WRITTEN_OFF = "written_off", "Written off"
    GIFTED = "gifted", "Gifted"


ACCESSORIES = ["charger", "case", "keyboard", "mouse", "headphones", "sim_tray_tool", "cable", "stylus"]


def accessory_label(name: str) -> str:
    """'sim_tray_tool' → 'SIM tray tool'."""
    return name.replace("_", " ").capitalize().replace("Sim ", "SIM ")


def accessories_in_sentence(names) -> str:
    """['charger', 'sim_tray_tool'] → 'charger, SIM tray tool': for summaries and messages."""
    labels = [accessory_label(name) for name in names]
    return ", ".join(label if label.split(" ")[0].isupper() else label[0].lower() + label[1:] for label in labels)


class WipeMethod(models.TextChoices):
    NIST_CLEAR = "nist_clear", "NIST 800-88 Clear (overwrite)"
    NIST_PURGE = "nist_purge", "NIST 800-88 Purge (secure erase)"
    FACTORY_RESET = "factory_reset", "Encrypted factory reset"
    CERTIFIED_SOFTWARE = "certified_software", "Certified wiping software (e.g. Blancco)"
    DRIVE_REPLACED = "drive_replaced", "Storage replaced, old drive destroyed"


class AgreementMethod(models.TextChoices):
    SIGNED_PAPER = "signed_paper", "Signed paper agreement"
    ON_SCREEN = "on_screen", "Accepted on screen"
    VERBAL_WITNESSED = "verbal_witnessed", "Verbal, with a witness"


class LoanOutcome(models.TextChoices):
    RETURNED = "returned", "Returned"
    LOST = "lost", "Lost or stolen"
    GIFTED = "gifted", "Gifted"


# Letters, digits, spaces, dots, hyphens and underscores: safe in URLs, on labels and in a scanner.
ASSET_TAG_PATTERN = r"[A-Z0-9][A-Z0-9 ._-]*"


class Device(models.Model):
    asset_tag = models.CharField(
        max_length=40,
        validators=[
            RegexValidator(f"^{ASSET_TAG_PATTERN}$", "Use letters, digits, spaces, dots, hyphens or underscores.")
        ],
    )
    serial_number = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=20, choices=DeviceKind.choices)
    make = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100, blank=True)
    specification = models.CharField(max_length=300, blank=True)
    accessories = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    owning_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="devices")
    location = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=20, choices=DeviceSource.choices, default=DeviceSource.DONATED)
    donor = models.CharField(max_length=200, blank=True)
    condition = models.CharField(max_length=10, choices=Condition.choices, default=Condition.GOOD)
    status = models.CharField(max_length=20, choices=DeviceStatus.choices, default=DeviceStatus.RECEIVED)
    needs_wipe = models.BooleanField(
        default=False,
        help_text="It has been out on loan since it was last wiped: a wipe must be recorded before it is ready.",
    )
    gifted_to = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["asset_tag"]
        indexes = [models.Index(fields=["owning_organisation", "status"], name="device_org_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(gifted_to__isnull=True) | Q(status="gifted"), name="device_gifted_to_only_when_gifted"
            ),
            # Tags are typed and scanned in any case; stored upper case, so one lookup finds them.
            models.CheckConstraint(condition=Q(asset_tag=Upper("asset_tag")), name="asset_tag_upper_case"),
            # Each organisation labels its own stock: two partners may both have a LAP-0001, and neither's
            # tags say anything of the other's. Every lookup by tag is within one organisation's stock.
            models.UniqueConstraint(
                fields=["owning_organisation", "asset_tag"], name="asset_tag_unique_per_organisation"
            ),
            # The last borrower's data must never reach the next resident.
            models.CheckConstraint(
                condition=Q(needs_wipe=False) | ~Q(status__in=["wiped", "ready"]), name="device_wiped_before_ready"
            ),
        ]

    def __str__(self):
        return f"{self.asset_tag} ({self.get_kind_display()}{', ' + self.make if self.make else ''})"

    @property
    def description(self):
        return " ".join(part for part in (self.make, self.model) if part) or self.get_kind_display()


class DeviceEvent(models.Model):
    """The device's history: every status change and notable action, with who, when and from → to."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True, choices=DeviceStatus.choices)
    to_status = models.CharField(max_length=20, blank=True, choices=DeviceStatus.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    api_key = models.ForeignKey(OrganisationAPIKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self):
        return f"{self.device.asset_tag}: {self.action}"

    @property
    def actor_label(self):
        if self.actor_id:
            return str(self.actor)
        if self.api_key_id:
            return f"API: {self.api_key.name}"
        return "System"


class Wipe(models.Model):
    """Data sanitisation of a device, recorded before it may be lent (again)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="wipes")
    method = models.CharField(max_length=30, choices=WipeMethod.choices)
    wiped_on = models.DateField()
    operator = models.CharField(max_length=150, help_text="Who carried out the wipe")
    certificate_reference = models.CharField(max_length=100, blank=True)
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-wiped_on", "-recorded_at"]

    def __str__(self):
        return f"{self.get_method_display()} on {self.wiped_on}"


def open_days_default() -> list[int]:
    return [0, 1, 2, 3, 4, 5]  # Monday to Saturday


class LoanPolicy(models.Model):
    """An organisation's lending rules, edited by its coordinators."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="loan_policy")
    default_length_days = models.PositiveSmallIntegerField(default=28)
    extension_days = models.PositiveSmallIntegerField(default=14)
    max_extensions = models.PositiveSmallIntegerField(default=2)
    max_open_loans_per_resident = models.PositiveSmallIntegerField(default=1)
    # A loan recorded late may start this many days before the day it is recorded, no more: a start date
    # years back would make it overdue at once and skew the figures.
    max_backdate_days = models.PositiveSmallIntegerField(default=31)
    terms_version = models.CharField(max_length=20, default="2026-01")
    # When devices can come back: default due dates move on to the next of these days (0 = Monday).
    open_days = ArrayField(models.PositiveSmallIntegerField(), default=open_days_default)
    closed_on_bank_holidays = models.BooleanField(default=True, help_text="England and Wales bank holidays")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "loan policies"
        constraints = [
            models.CheckConstraint(condition=Q(default_length_days__gte=1) & Q(default_length_days__lte=365),
                                   name="loan_length_1_to_365_days"),
            models.CheckConstraint(condition=Q(extension_days__gte=1) & Q(extension_days__lte=180),
                                   name="extension_1_to_180_days"),
            models.CheckConstraint(condition=Q(max_open_loans_per_resident__gte=1), name="at_least_one_open_loan"),
            models.CheckConstraint(condition=Q(open_days__len__gte=1) & Q(open_days__contained_by=list(range(7))),
                                   name="loan_policy_open_days"),
            models.CheckConstraint(condition=Q(max_backdate_days__lte=365), name="backdate_at_most_365_days"),
        ]  # fmt: skip

    def __str__(self):
        return f"Loan policy of {self.organisation}"


class Loan(models.Model):
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="loans")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="loans")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="loans")
    lent_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    api_key = models.ForeignKey(OrganisationAPIKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    agreement_method = models.CharField(max_length=20, choices=AgreementMethod.choices)
    agreement_terms_version = models.CharField(max_length=20)
    agreement_accepted_at = models.DateTimeField()
    witness_name = models.CharField(max_length=150, blank=True)

    started_on = models.DateField()
    due_on = models.DateField()
    extensions = models.PositiveSmallIntegerField(default=0)

    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, blank=True, choices=LoanOutcome.choices)
    returned_on = models.DateField(null=True, blank=True)
    return_condition = models.CharField(max_length=10, blank=True, choices=Condition.choices)
    accessories_returned = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    # What it went out with and did not come back: the device no longer lists these (loan_return).
    accessories_missing = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    closing_notes = models.TextField(blank=True, max_length=2000)
    closed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    police_reference = models.CharField(max_length=50, blank=True)
    stolen = models.BooleanField(default=False, help_text="Reported stolen, not lost (outcome 'lost')")

    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["organisation", "due_on"], condition=Q(closed_at__isnull=True), name="open_loan_due"),
            models.Index(fields=["resident"], condition=Q(closed_at__isnull=True), name="open_loan_resident"),
            # The access rule's link (selectors.resident_open_loan_ids): an organisation's open loans' residents,
            # read from the index alone.
            models.Index(
                fields=["organisation", "resident"], condition=Q(closed_at__isnull=True), name="open_loan_org_resident"
            ),
        ]
        constraints = [
            # The invariant that matters most: a device is on at most one open loan.
            models.UniqueConstraint(
                fields=["device"], condition=Q(closed_at__isnull=True), name="one_open_loan_per_device"
            ),
            models.CheckConstraint(condition=Q(due_on__gte=models.F("started_on")), name="loan_due_after_start"),
            models.CheckConstraint(
                condition=(Q(closed_at__isnull=True) & Q(outcome="")) | (Q(closed_at__isnull=False) & ~Q(outcome="")),
                name="loan_closed_with_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(agreement_method="verbal_witnessed") | ~Q(witness_name=""),
                name="verbal_agreement_has_witness",
            ),
        ]

    def __str__(self):
        return f"Loan of {self.device.asset_tag} to {self.resident}"

    @property
    def is_open(self):
        return self.closed_at is None

    @property
    def is_overdue(self):
        """Derived from the due date, never stored."""
        return self.is_open and self.due_on < timezone.localdate()

    @property
    def days_overdue(self):
        return (timezone.localdate() - self.due_on).days if self.is_overdue else 0

    @property
    def outcome_label(self) -> str:
        """How the loan closed, as staff say it: 'Stolen' or 'Lost' rather than the outcome's 'Lost or stolen'."""
        if self.outcome == LoanOutcome.LOST:
            return "Stolen" if self.stolen else "Lost"
        return self.get_outcome_display()

    @property
    def accessories_lent(self) -> list[str]:
        """What went out with the device: what its record lists while the loan is open; afterwards what came
        back and what did not."""
        if self.is_open:
            return list(self.device.accessories)
        names = {*self.accessories_returned, *self.accessories_missing}
        return sorted(names, key=lambda name: ACCESSORIES.index(name) if name in ACCESSORIES else len(ACCESSORIES))


class LoanExtension(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="extension_history")
    previous_due_on = models.DateField()
    new_due_on = models.DateField()
    reason = models.CharField(max_length=300, blank=True)
    extended_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    extended_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["extended_at"]

    def __str__(self):
        return f"{self.previous_due_on} → {self.new_due_on}"


# Data-connectivity vouchers


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
            # The voucher list's order (voucher_selectors.voucher_list): latest issued first, then the rest.
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
