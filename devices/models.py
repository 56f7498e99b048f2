"""Device stock, data sanitisation, loan policies and loans.

Rules that change these rows live in devices/services.py; the allowed status moves are its
TRANSITIONS table.
"""

import hashlib
from dataclasses import dataclass

from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from inclusion.audit import field_history
from inclusion.imports import choice_names
from inclusion.models import Organisation, OrganisationAPIKey, Resident, User

from .history import HistoryEvent

# Data-connectivity vouchers live in devices/vouchers/models.py: the same app label, the same tables.
from .vouchers.models import (  # noqa: F401
    Provider,
    Voucher,
    VoucherBatch,
    VoucherEvent,
    VoucherImportRecord,
    VoucherKind,
    VoucherStatus,
    mask_code,
)


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


def asset_tag_normalise(tag: str | None) -> str:
    """A tag as it is stored: upper case, no spaces around it, one space where several were typed. Every tag
    that comes in (a form, the API, an import, a URL) goes through this; finding the device a person typed
    or scanned, forgiving more than this, is devices.selectors.device_find_typed."""
    return " ".join((tag or "").split()).upper()


@field_history(model_name="DeviceHistory", exclude=["updated_at"])
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


ACCESSORY_SEPARATOR = ";"  # between accessories in one spreadsheet cell


@dataclass(frozen=True)
class DeviceColumn:
    name: str  # the Device field, the API's field and the spreadsheet's heading key
    heading: str  # the heading an export writes (an import reads it too: "Asset tag" is asset_tag)
    guide: str  # what to put in it, for the import page's column guide


# A device's details, written once: the forms, the API, the import (its columns, their order and the column guide)
# and the export (its headings) all take them from here. Status and dates are not details: services set them.
DEVICE_COLUMNS = (
    DeviceColumn("asset_tag", "Asset tag", "Your tag, such as LAP-0042. Leave blank and one is made for you (your "
                                           "initials and a number, like BCW-000123)."),
    DeviceColumn("serial_number", "Serial number", "The maker's serial number."),
    DeviceColumn("kind", "Kind", f"Required: {choice_names(DeviceKind)}."),
    DeviceColumn("make", "Make", "For example Lenovo."),
    DeviceColumn("model", "Model", "For example ThinkPad T480."),
    DeviceColumn("specification", "Specification", "Processor, memory, storage."),
    DeviceColumn("accessories", "Accessories", f"Separated by semicolons ({ACCESSORY_SEPARATOR}): "
                                               f"{', '.join(name.replace('_', ' ') for name in ACCESSORIES)}."),
    DeviceColumn("location", "Location", "Where it is kept."),
    DeviceColumn("source", "Source", f"{choice_names(DeviceSource)} (Donated if blank)."),
    DeviceColumn("donor", "Donor", "Who gave it."),
    DeviceColumn("condition", "Condition", f"{choice_names(Condition)} (Good if blank)."),
    DeviceColumn("notes", "Notes", "Anything else."),
)  # fmt: skip
DEVICE_FIELDS = tuple(column.name for column in DEVICE_COLUMNS)


class DeviceEvent(HistoryEvent):
    """The device's history: every status change and notable action, with who, when and from → to."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True, choices=DeviceStatus.choices)
    to_status = models.CharField(max_length=20, blank=True, choices=DeviceStatus.choices)

    TITLES = {
        "receive": "Received into stock", "update details": "Details changed", "record a wipe": "Wiped",
        "mark ready": "Marked ready to lend", "send for repair": "Sent for repair", "retire": "Retired", "lend": "Lent",
        "record a return": "Returned", "report lost": "Reported lost or stolen", "gift": "Given to keep",
        "write off": "Written off", "extend loan": "Loan extended",
    }  # fmt: skip

    class Meta(HistoryEvent.Meta):
        pass

    def __str__(self):
        return f"{self.device.asset_tag}: {self.action}"

    @property
    def title(self) -> str:
        if self.action == "report lost" and "stolen" in self.data:
            return "Reported stolen" if self.data["stolen"] else "Reported lost"
        return self.TITLES.get(self.action, self.action.capitalize())

    @property
    def changed(self) -> list[str]:
        """The details a "details changed" entry names (never their values)."""
        return [name.replace("_", " ") for name in self.data.get("fields", [])]

    @property
    def missing(self) -> str:
        """What a return came back without, in a sentence."""
        return accessories_in_sentence(self.data.get("missing_accessories", []))


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


class LoanAgreement(models.Model):
    """One version of an organisation's loan agreement, kept exactly as published: never edited, never deleted
    while a loan points at it. Publishing a new text makes a new version (devices.services.loan_agreement_publish);
    a loan keeps the version, and the SHA-256 of the text, that the resident accepted."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="loan_agreements")
    version = models.PositiveIntegerField()
    text = models.TextField(max_length=20000)
    return_instructions = models.TextField(max_length=2000, help_text="How to bring a device back: where, when")
    contact = models.CharField(max_length=300, help_text="Whom to call with a question or a problem")
    sha256 = models.CharField(max_length=64)
    published_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "version"], name="loan_agreement_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="loan_agreement_version_from_1"),
        ]

    def __str__(self):
        return f"Loan agreement version {self.version} of {self.organisation}"


def agreement_text_sha256(text: str) -> str:
    """The fingerprint a loan keeps of the text accepted: SHA-256 of its UTF-8 bytes, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# What a kit's voucher line may be: a SIM card, a data code or a Wi-Fi voucher (a social tariff referral is not
# something handed over with a device).
KIT_VOUCHER_KINDS = (VoucherKind.SIM_CARD, VoucherKind.DATA_CODE, VoucherKind.WIFI)


class Kit(models.Model):
    """A kit template of an organisation's ("Chromebook starter kit"): the kinds of device lent together, one of
    each, and the accessories that go with them. Lending one makes a KitLoan."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="kits")
    name = models.CharField(max_length=100)
    kinds = ArrayField(models.CharField(max_length=20, choices=DeviceKind.choices))
    accessories = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    # A SIM card or data voucher issued with each loan of the kit (devices.vouchers.services.voucher_issue): blank
    # for none. One of KIT_VOUCHER_KINDS.
    voucher_kind = models.CharField(max_length=20, blank=True, choices=VoucherKind.choices)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="kit_name_unique_per_organisation"),
            models.CheckConstraint(condition=Q(kinds__len__gte=1), name="kit_has_a_device"),
            models.CheckConstraint(condition=Q(voucher_kind__in=["", *KIT_VOUCHER_KINDS]), name="kit_voucher_kind"),
        ]

    def __str__(self):
        return self.name

    @property
    def kind_labels(self) -> list[str]:
        return [DeviceKind(kind).label for kind in self.kinds]

    @property
    def item_labels(self) -> list[str]:
        """Everything a kit lends: its devices, then its voucher line."""
        return self.kind_labels + ([self.get_voucher_kind_display()] if self.voucher_kind else [])


class KitLoan(models.Model):
    """Several items lent together under one agreement, with one receipt: each device is its own Loan (so the
    one-open-loan-per-device index and the status trigger hold for every item), pointing here. Items come back
    one by one; the kit loan is open while any of its loans is."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="kit_loans")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="kit_loans")
    kit = models.ForeignKey(Kit, null=True, blank=True, on_delete=models.SET_NULL, related_name="loans")
    kit_name = models.CharField(max_length=100)  # as it was called when lent
    accessories = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    # The kit's SIM or data voucher, issued with it through the voucher service (its eligibility, stock, history
    # and code rules apply); it is the resident's to use, so it never keeps the kit loan open. Its own statuses
    # close it: activated, not working (replaced) or withdrawn (handed back unused).
    voucher = models.OneToOneField(Voucher, null=True, blank=True, on_delete=models.PROTECT, related_name="kit_loan")
    lent_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kit_name} lent to {self.resident}"


@field_history(
    model_name="LoanHistory",
    exclude=["shares_resident"],  # derived by a trigger from the resident's owner (access rule's link), never edited
    personal=["witness_name", "accepted_name", "overdue_override_reason", "closing_notes", "police_reference"],
    resident="resident",
)
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
    # The published text accepted (none when the organisation had published none: terms_version only).
    agreement = models.ForeignKey(LoanAgreement, null=True, blank=True, on_delete=models.PROTECT, related_name="loans")
    agreement_sha256 = models.CharField(max_length=64, blank=True)
    # Accepted on screen: the name the resident typed under the text.
    accepted_name = models.CharField(max_length=150, blank=True)

    started_on = models.DateField()
    # For an open-ended loan, the date it must be renewed by ("still using it?"): unrenewed, it becomes overdue.
    due_on = models.DateField()
    extensions = models.PositiveSmallIntegerField(default=0)
    open_ended = models.BooleanField(default=False, help_text="Renewed periodically instead of returned by a date")
    renewals = models.PositiveSmallIntegerField(default=0)
    # Lent while another loan to the resident was overdue: the coordinator's reason (devices.services.loan_create).
    overdue_override_reason = models.CharField(max_length=300, blank=True)
    kit_loan = models.ForeignKey(KitLoan, null=True, blank=True, on_delete=models.PROTECT, related_name="items")

    # Lent to another organisation's resident: the loan shares them with the lender while it is open (the access
    # rule's link, selectors.resident_open_loan_ids). Set by the database on insert from the resident's owner
    # (trigger loan_shares_resident_set, migration 0016), so no way of adding a loan can get it wrong; a resident's
    # owner never changes (were it to, the trigger resident_owner_reflags_loans sets it again).
    shares_resident = models.BooleanField(default=False, editable=False)

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
            # The access rule's link (selectors.resident_open_loan_ids): the residents of other organisations an
            # organisation's open loans share with it, read from the index alone (765 entries for the largest
            # partner of the region, where all its open loans were 9,000).
            models.Index(
                fields=["organisation", "resident"],
                condition=Q(closed_at__isnull=True, shares_resident=True),
                name="open_shared_loan_org_resident",
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
    renewal = models.BooleanField(default=False, help_text="An open-ended loan renewed, not extended")
    extended_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    extended_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["extended_at"]

    def __str__(self):
        return f"{self.previous_due_on} → {self.new_due_on}"


# Reservations and the waiting list live in devices/reservations/models.py: the same app label.
from .reservations.models import Reservation, ReservationStatus  # noqa: E402, F401
