"""Input and output shapes of the devices partner API. Serializers validate and shape; services save."""

from django.core.validators import RegexValidator
from django.http import Http404
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inclusion.access import resident_get_visible
from inclusion.api.serializers import (
    InputCharField,
    InputSerializer,
    RealDateField,
    StrictBooleanField,
    StrictInputMixin,
)
from inclusion.validators import validate_name

from .. import selectors
from ..models import (
    ACCESSORIES,
    DEVICE_FIELDS,
    KIT_VOUCHER_KINDS,
    AgreementMethod,
    Condition,
    Device,
    DeviceKind,
    DeviceStatus,
    Kit,
    Loan,
    LoanOutcome,
    WipeMethod,
)
from ..services import SIMPLE_MOVES

NOTES_MAX_LENGTH = 2000  # Device.notes and Loan.closing_notes
# The tag as it may be sent: the service trims it and makes it upper case, then it must match ASSET_TAG_PATTERN.
ASSET_TAG_INPUT = RegexValidator(
    r"^ *(?:[A-Za-z0-9][A-Za-z0-9 ._-]*)?$", "Use letters, digits, spaces, dots, hyphens or underscores."
)


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A choice that is blank until something happens (a loan's outcome): null in the output, like the dates."""

    def to_representation(self, value):
        return None if value == "" else super().to_representation(value)


# Choice sets used by several fields are named once in the schema (and "kind" is not confused with
# an organisation's kind).
@extend_schema_field(serializers.ChoiceField(DeviceKind.choices), component_name="DeviceKindEnum")
class DeviceKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(DeviceKind.choices, **kwargs)


@extend_schema_field(serializers.ChoiceField(DeviceStatus.choices), component_name="DeviceStatusEnum")
class DeviceStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(DeviceStatus.choices, **kwargs)


@extend_schema_field(serializers.ChoiceField(Condition.choices), component_name="ConditionEnum")
class ConditionField(BlankAsNullChoiceField):
    def __init__(self, **kwargs):
        super().__init__(Condition.choices, **kwargs)


@extend_schema_field(serializers.ChoiceField(ACCESSORIES), component_name="AccessoryEnum")
class AccessoryField(serializers.ChoiceField):
    """One accessory from the scheme's list, documented once as AccessoryEnum."""

    def __init__(self, **kwargs):
        super().__init__(ACCESSORIES, **kwargs)


class AccessoriesField(serializers.ListField):
    """A set of accessories from the scheme's list; repeats are dropped, order kept."""

    child = AccessoryField()

    def to_internal_value(self, data):
        return list(dict.fromkeys(super().to_internal_value(data)))


# --- Devices ----------------------------------------------------------------------------------------------


class DeviceOutputSerializer(serializers.ModelSerializer):
    kind = DeviceKindField(read_only=True)
    condition = ConditionField(read_only=True)
    status = DeviceStatusField(read_only=True)
    accessories = serializers.ListField(child=AccessoryField(), read_only=True)

    class Meta:
        model = Device
        fields = [*DEVICE_FIELDS, "status", "created_at", "updated_at"]
        read_only_fields = fields


class DeviceUpdateInputSerializer(StrictInputMixin, serializers.ModelSerializer):
    """A device's details; never its status (that moves through the lifecycle) or its tag."""

    kind = DeviceKindField()
    condition = ConditionField(required=False)
    accessories = AccessoriesField(required=False)

    class Meta:
        model = Device
        fields = [field for field in DEVICE_FIELDS if field != "asset_tag"]


class DeviceCreateInputSerializer(DeviceUpdateInputSerializer):
    # Not the model field's UniqueValidator: the service normalises the tag (' lap-1 ' is LAP-1) before
    # checking it is free, and says so in its own words.
    asset_tag = InputCharField(
        required=False, allow_blank=True, max_length=40, validators=[ASSET_TAG_INPUT],
        help_text="Your label on the device: letters, digits, spaces, dots, hyphens and underscores, stored upper "
        "case. Leave out to have one generated (DI-000123).",
    )  # fmt: skip

    class Meta(DeviceUpdateInputSerializer.Meta):
        fields = list(DEVICE_FIELDS)


# --- Loans ------------------------------------------------------------------------------------------------


class LoanOutputSerializer(serializers.ModelSerializer):
    device = serializers.SlugRelatedField(slug_field="asset_tag", read_only=True, help_text="The device's asset tag.")
    resident = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The resident's id.")
    overdue = StrictBooleanField(read_only=True, help_text="Open and past its due date (derived, not stored).")
    days_overdue = serializers.IntegerField(read_only=True, help_text="0 unless overdue.")
    outcome = BlankAsNullChoiceField(
        LoanOutcome.choices, read_only=True, allow_null=True, help_text="Null while the loan is open."
    )
    return_condition = ConditionField(read_only=True, allow_null=True, help_text="Null until it is returned.")
    accessories_returned = serializers.ListField(child=AccessoryField(), read_only=True)

    class Meta:
        model = Loan
        fields = [
            "id", "device", "resident", "agreement_method", "agreement_terms_version", "agreement_accepted_at",
            "agreement_sha256", "accepted_name", "witness_name", "started_on", "due_on", "extensions", "open_ended",
            "renewals", "overdue", "days_overdue", "closed_at", "outcome", "returned_on", "return_condition", "accessories_returned", "closing_notes", "police_reference",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class LoanCreateInputSerializer(InputSerializer):
    """Resolves the device and resident as the calling organisation may see them (context["organisation"])."""

    device = InputCharField(max_length=40, help_text="The asset tag of one of your devices, ready to lend.")
    resident = serializers.UUIDField(help_text="The id of a resident you may see.")
    agreement_method = serializers.ChoiceField(AgreementMethod.choices)
    agreement_accepted = StrictBooleanField(help_text="Must be true: the resident accepted the loan agreement.")
    witness_name = InputCharField(
        required=False, allow_blank=True, max_length=150, validators=[validate_name],
        help_text="Required for a verbal agreement.",
    )  # fmt: skip
    accepted_name = InputCharField(
        required=False, allow_blank=True, max_length=150, validators=[validate_name],
        help_text="Accepted on screen against a published agreement: the full name the resident typed under it.",
    )  # fmt: skip
    started_on = RealDateField(required=False, help_text="Defaults to today.")
    due_on = RealDateField(required=False, help_text="Defaults to the longest your loan policy allows.")
    open_ended = StrictBooleanField(required=False, default=False,
                                    help_text="No due date: renewed every loan length (POST /loans/{id}/renew/); "
                                              "due_on is then the renewal date, and must not be sent.")  # fmt: skip
    notes = InputCharField(required=False, allow_blank=True, max_length=NOTES_MAX_LENGTH)

    def validate_device(self, value):
        device = selectors.device_get(organisation=self.context["organisation"], asset_tag=value)
        if device is None:
            raise serializers.ValidationError("No such device in your stock.", code="does_not_exist")
        return device

    def validate_resident(self, value):
        try:
            return resident_get_visible(self.context["organisation"], value)
        except Http404:
            raise serializers.ValidationError("No such resident.", code="does_not_exist") from None


class LoanReturnInputSerializer(InputSerializer):
    condition = ConditionField(help_text="The condition it came back in.")
    returned_on = RealDateField(required=False, help_text="Defaults to today.")
    accessories_returned = AccessoriesField(required=False, default=list)
    notes = InputCharField(required=False, allow_blank=True, max_length=NOTES_MAX_LENGTH)


class LoanExtendInputSerializer(InputSerializer):
    reason = InputCharField(required=False, allow_blank=True, max_length=300)


class LoanReportLostInputSerializer(InputSerializer):
    stolen = StrictBooleanField(required=False, default=False)
    police_reference = InputCharField(required=False, allow_blank=True, max_length=50)
    notes = InputCharField(required=False, allow_blank=True, max_length=NOTES_MAX_LENGTH)


class LoanGiftInputSerializer(InputSerializer):
    notes = InputCharField(required=False, allow_blank=True, max_length=NOTES_MAX_LENGTH)


class DeviceWipeInputSerializer(InputSerializer):
    method = serializers.ChoiceField(WipeMethod.choices)
    wiped_on = RealDateField()
    operator = InputCharField(max_length=150, validators=[validate_name])
    certificate_reference = InputCharField(max_length=100, required=False, allow_blank=True, default="")


class DeviceStatusInputSerializer(InputSerializer):
    """The simple moves of the lifecycle; lending, returns, loss and gifts go through /loans/."""

    to_status = serializers.ChoiceField([(s, DeviceStatus(s).label) for s in sorted(SIMPLE_MOVES)])
    note = InputCharField(max_length=2000, required=False, allow_blank=True, default="")


class LoanRenewInputSerializer(InputSerializer):
    note = InputCharField(required=False, allow_blank=True, max_length=300)


# --- Kits, the waiting list, the returns desk ---------------------------------------------------------------


class KitOutputSerializer(serializers.ModelSerializer):
    kinds = serializers.ListField(child=DeviceKindField(), read_only=True)
    accessories = serializers.ListField(child=serializers.CharField(), read_only=True)
    voucher_kind = serializers.SerializerMethodField(
        help_text="A SIM card, data code or Wi-Fi voucher issued with each loan of the kit, or null for none."
    )

    class Meta:
        model = Kit
        fields = ["id", "name", "kinds", "accessories", "voucher_kind", "active"]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(choices=[(k.value, k.label) for k in KIT_VOUCHER_KINDS], allow_null=True)
    )
    def get_voucher_kind(self, kit) -> str | None:
        return kit.voucher_kind or None  # blank in the table: none


class KitVoucherSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    provider = serializers.CharField(source="batch.provider.name", read_only=True)
    kind = serializers.CharField(source="batch.kind", read_only=True, help_text="sim_card, data_code or wifi.")
    code = serializers.CharField(source="masked", read_only=True,
                                 help_text="Masked: the code is returned whole only by the voucher's reveal.")  # fmt: skip
    status = serializers.CharField(read_only=True,
                                   help_text="issued, activated, failed or withdrawn (its own lifecycle).")  # fmt: skip


class KitLoanOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kit = serializers.IntegerField(source="kit_id", read_only=True, allow_null=True, help_text="The kit template.")
    kit_name = serializers.CharField(read_only=True)
    resident = serializers.UUIDField(source="resident_id", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    items = LoanOutputSerializer(source="item_list", many=True, read_only=True,
                                 help_text="One loan per device: each comes back on its own (POST /loans/{id}/return/).")  # fmt: skip
    voucher = KitVoucherSerializer(read_only=True, allow_null=True,
                                   help_text="The kit's SIM or data voucher, issued with it (null: none).")  # fmt: skip


class KitLoanCreateInputSerializer(InputSerializer):
    kit = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="The id of one of your kits.")
    resident = serializers.UUIDField(help_text="The id of a resident you may see.")
    devices = serializers.ListField(
        child=InputCharField(max_length=40, validators=[ASSET_TAG_INPUT]), min_length=1, max_length=10,
        help_text="The asset tags of the devices lent: one of each of the kit's kinds.",
    )  # fmt: skip
    agreement_method = serializers.ChoiceField(AgreementMethod.choices)
    agreement_accepted = StrictBooleanField(help_text="Must be true: the resident accepted the loan agreement.")
    witness_name = InputCharField(required=False, allow_blank=True, max_length=150, validators=[validate_name])
    accepted_name = InputCharField(required=False, allow_blank=True, max_length=150, validators=[validate_name])
    issue_voucher = StrictBooleanField(required=False, default=True,
                                       help_text="For a kit with a voucher line: false lends it without the voucher.")  # fmt: skip

    def validate_kit(self, value):
        kit = selectors.kit_get(organisation=self.context["organisation"], pk=value)
        if kit is None:
            raise serializers.ValidationError("No such kit.", code="does_not_exist")
        return kit

    def validate_resident(self, value):
        try:
            return resident_get_visible(self.context["organisation"], value)
        except Http404:
            raise serializers.ValidationError("No such resident.", code="does_not_exist") from None

    def validate_devices(self, value):
        found = []
        for tag in value:
            device = selectors.device_get(organisation=self.context["organisation"], asset_tag=tag)
            if device is None:
                raise serializers.ValidationError(f"No device {tag} in your stock.", code="does_not_exist")
            found.append(device)
        return found


class ReservationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    resident = serializers.UUIDField(source="resident_id", read_only=True)
    kind = DeviceKindField(read_only=True)
    status = serializers.CharField(read_only=True, help_text="waiting, offered, fulfilled, lapsed or cancelled.")
    note = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    device = serializers.CharField(source="device.asset_tag", read_only=True, allow_null=True, default=None,
                                   help_text="While offered: the asset tag of the device held for them.")  # fmt: skip
    hold_until = serializers.DateField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_reason = serializers.CharField(read_only=True, help_text="Why it lapsed or was cancelled.")
    referral = serializers.UUIDField(source="referral_id", read_only=True, allow_null=True,
                                     help_text="The referral it was made from, if any.")  # fmt: skip


class ReservationCreateInputSerializer(InputSerializer):
    resident = serializers.UUIDField(help_text="The id of a resident you may see.")
    kind = DeviceKindField()
    note = InputCharField(required=False, allow_blank=True, max_length=300)
    referral = serializers.UUIDField(required=False, allow_null=True, default=None,
                                     help_text="A referral you received for this resident, asking for a device (to "
                                               "your lending point, or for a device): the reservation keeps the link.")  # fmt: skip

    def validate_resident(self, value):
        try:
            return resident_get_visible(self.context["organisation"], value)
        except Http404:
            raise serializers.ValidationError("No such resident.", code="does_not_exist") from None

    def validate_referral(self, value):
        from ..reservations.selectors import referral_received_get

        if value is None:
            return None
        referral = referral_received_get(organisation=self.context["organisation"], pk=value)
        if referral is None:
            raise serializers.ValidationError("No such referral.", code="does_not_exist")
        return referral


class ReservationCancelInputSerializer(InputSerializer):
    reason = InputCharField(max_length=250)


class CheckInInputSerializer(InputSerializer):
    tags = serializers.ListField(child=InputCharField(max_length=40), min_length=1, max_length=500,
                                 help_text="Asset tags as scanned or typed.")  # fmt: skip


class CheckInResultSerializer(serializers.Serializer):
    tag = serializers.CharField(source="typed", help_text="As sent.")
    outcome = serializers.ChoiceField(["returned", "no_match", "not_on_loan", "refused"])
    loan = serializers.IntegerField(source="loan.pk", allow_null=True, default=None,
                                    help_text="The loan returned (when returned, or refused).")  # fmt: skip
    message = serializers.CharField(help_text="Why it was not returned.")


class CheckInOutputSerializer(serializers.Serializer):
    results = CheckInResultSerializer(many=True)
