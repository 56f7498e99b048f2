"""Input and output shapes of the voucher API. Lists show codes masked; only issuing returns one whole."""

from django.core.validators import RegexValidator
from django.utils import timezone
from rest_framework import serializers

from inclusion.api.serializers import (
    InputCharField,
    InputDecimalField,
    InputSerializer,
    RealDateField,
    StrictBooleanField,
)

from ..models import Provider, Voucher, VoucherBatch, VoucherKind, VoucherStatus


class VoucherBatchOutputSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    counts = serializers.SerializerMethodField()

    class Meta:
        model = VoucherBatch
        fields = ["id", "provider", "organisation", "kind", "reference", "data_allowance_gb", "validity_days",
                  "expires_on", "received_on", "max_per_resident", "eligibility_window_days", "low_stock_threshold",
                  "counts", "created_at"]  # fmt: skip

    def get_counts(self, batch) -> dict[str, int]:
        return {status: getattr(batch, f"n_{status}", 0) for status in VoucherStatus.values}


class VoucherRowSerializer(InputSerializer):
    """One voucher: its code, or its SIM's ICCID and/or serial. Checks the schema can state are here (400);
    the rest (Luhn check digits, repeats, codes already held) name the row as vouchers.<index> (422)."""

    code = InputCharField(max_length=64, required=False, allow_blank=True, default="",
                          validators=[RegexValidator(r"^(?:[A-Za-z0-9][A-Za-z0-9-]{3,63})?$",
                                                     "4 to 64 letters, digits or hyphens, starting with a letter or digit.")],
                          help_text="4 to 64 letters, digits or hyphens.")  # fmt: skip
    iccid = InputCharField(max_length=22, required=False, allow_blank=True, default="",
                           validators=[RegexValidator(r"^(?:89[0-9]{16,18})?$",
                                                      "An ICCID is 18 to 20 digits starting 89.")],
                           help_text="18 to 20 digits starting 89, with a valid (Luhn) check digit.")  # fmt: skip
    sim_serial = InputCharField(max_length=40, required=False, allow_blank=True, default="")


class VoucherBatchImportSerializer(InputSerializer):
    provider = serializers.SlugRelatedField(slug_field="slug", queryset=Provider.objects.filter(active=True))
    kind = serializers.ChoiceField(choices=VoucherKind.choices)
    reference = InputCharField(max_length=100, required=False, allow_blank=True, default="")
    data_allowance_gb = InputDecimalField(max_digits=6, decimal_places=1, required=False, allow_null=True,
                                          min_value=0, help_text="Gigabytes, as a string: \"20\" or \"2.5\".")  # fmt: skip
    validity_days = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=3650)
    expires_on = RealDateField()
    received_on = RealDateField(required=False)
    max_per_resident = serializers.IntegerField(required=False, min_value=1, max_value=100, default=1)
    eligibility_window_days = serializers.IntegerField(required=False, min_value=1, max_value=3650, default=183)
    low_stock_threshold = serializers.IntegerField(required=False, min_value=0, default=10)
    dry_run = StrictBooleanField(default=False)
    vouchers = VoucherRowSerializer(many=True, allow_empty=False, min_length=1, max_length=200_000)

    def validate_received_on(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError("The received date cannot be in the future.", code="in_the_future")
        return value


class VoucherImportReportSerializer(serializers.Serializer):
    dry_run = StrictBooleanField()
    rows = serializers.IntegerField()
    imported = serializers.IntegerField()
    batch = VoucherBatchOutputSerializer(allow_null=True)


class VoucherOutputSerializer(serializers.ModelSerializer):
    """A voucher as lists show it: the code masked (last four characters only)."""

    batch = serializers.PrimaryKeyRelatedField(read_only=True)
    provider = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    kind = InputCharField(source="batch.kind", read_only=True)
    code = InputCharField(source="masked", read_only=True)
    resident = serializers.UUIDField(source="resident_id", read_only=True, allow_null=True)
    replacement_for = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The failed voucher this one replaced, if any."
    )

    class Meta:
        model = Voucher
        fields = ["id", "batch", "provider", "kind", "code", "status", "resident", "issued_at", "activated_at",
                  "failed_at", "failure_reason", "replacement_for", "withdrawn_at", "expired_at"]  # fmt: skip


class VoucherIssuedSerializer(VoucherOutputSerializer):
    """Returned once, by issue: the code (or ICCID / SIM serial) in full, to hand to the resident."""

    code = InputCharField(source="identifier", read_only=True)
    iccid = InputCharField(read_only=True)
    sim_serial = InputCharField(read_only=True)
    data_allowance_gb = serializers.DecimalField(source="batch.data_allowance_gb", max_digits=6, decimal_places=1,
                                                 read_only=True)  # fmt: skip
    validity_days = serializers.IntegerField(source="batch.validity_days", read_only=True)

    class Meta(VoucherOutputSerializer.Meta):
        fields = [*VoucherOutputSerializer.Meta.fields, "iccid", "sim_serial", "data_allowance_gb", "validity_days"]


class VoucherIssueSerializer(InputSerializer):
    resident = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=VoucherKind.choices)
    provider = serializers.SlugRelatedField(slug_field="slug", queryset=Provider.objects.filter(active=True),
                                            required=False, allow_null=True)  # fmt: skip


class VoucherFailSerializer(InputSerializer):
    reason = InputCharField(max_length=300)
    replace = StrictBooleanField(default=True)


class VoucherFailedSerializer(serializers.Serializer):
    failed = VoucherOutputSerializer()
    replacement = VoucherIssuedSerializer(allow_null=True)


class VoucherWithdrawSerializer(InputSerializer):
    reason = InputCharField(max_length=300, required=False, allow_blank=True, default="")
