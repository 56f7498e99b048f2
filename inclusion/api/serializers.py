"""Input and output shapes of the core API. Serializers validate and shape; services save."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from .. import choices
from ..models import CaseEvent, Consent, Organisation, Resident
from ..services import NOTE_MAX_LENGTH, RESIDENT_FIELDS
from ..validators import postcode_normalise

DATE_OF_BIRTH_OR_AGE_BAND = "Give a date of birth, or an age band (age_band) if they would rather not say."


@extend_schema_field(serializers.ChoiceField(choices.YesNo.choices, allow_blank=True), component_name="YesNoEnum")
class YesNoField(serializers.ChoiceField):
    """A yes/no/prefer-not-to-say answer, documented once as YesNoEnum rather than once per question."""


@extend_schema_field(
    serializers.ChoiceField(choices.SkillLevel.choices, allow_blank=True), component_name="SkillLevelEnum"
)
class SkillLevelField(serializers.ChoiceField):
    """An Essential Digital Skills level, documented once as SkillLevelEnum rather than once per skill area."""


SHARED_CHOICE_FIELDS = {
    tuple(choices.YesNo.choices): YesNoField,
    tuple(choices.SkillLevel.choices): SkillLevelField,
}


class SharedChoicesMixin:
    """Model fields with a shared choice set become its named field (so its enum is named once)."""

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        shared = SHARED_CHOICE_FIELDS.get(tuple(model_field.choices or ()))
        return shared or field_class, field_kwargs


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["slug", "name", "kind", "local_authority", "is_scheme_lead"]


class ResidentOutputSerializer(SharedChoicesMixin, serializers.ModelSerializer):
    owning_organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    phone = serializers.CharField(read_only=True)

    class Meta:
        model = Resident
        fields = ["id", "owning_organisation", *RESIDENT_FIELDS, "created_at", "updated_at"]


class ResidentInputSerializer(SharedChoicesMixin, serializers.ModelSerializer):
    phone = PhoneNumberField(required=False, allow_blank=True, region="GB")
    # Not the model field's max_length (8) and validator: 'wv10  6qr' is a postcode once normalised,
    # and a bad postcode gets one error, not two.
    postcode = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="A UK postcode; stored and returned as WV1 1AA."
    )

    class Meta:
        model = Resident
        fields = list(RESIDENT_FIELDS)

    def validate_postcode(self, value):
        if not value:
            return ""
        try:
            return postcode_normalise(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages, code=error.code) from None

    def validate_date_of_birth(self, value):
        if value and value > timezone.localdate():
            raise serializers.ValidationError("Date of birth must be in the past.")
        if value and value.year < 1900:
            raise serializers.ValidationError("Date of birth must be after 1900.")
        return value

    def _lacks_date_of_birth_and_age_band(self, values: Mapping) -> bool:
        """True when neither is given in `values` nor (for fields not given) already on the resident."""
        instance = self.instance
        date_of_birth = (
            values["date_of_birth"] if "date_of_birth" in values else getattr(instance, "date_of_birth", None)
        )
        age_band = values["age_band"] if "age_band" in values else getattr(instance, "age_band", "")
        return not date_of_birth and not age_band

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            # DRF skips validate() when a field is invalid: name a missing date of birth too, so that
            # one response lists every problem.
            detail = error.detail
            if (
                isinstance(data, Mapping) and isinstance(detail, dict)
                and not {"date_of_birth", "age_band"} & set(detail)
                and self._lacks_date_of_birth_and_age_band(data)
            ):  # fmt: skip
                detail["date_of_birth"] = [serializers.ErrorDetail(DATE_OF_BIRTH_OR_AGE_BAND, code="required")]
            raise

    def validate(self, attrs):
        if self._lacks_date_of_birth_and_age_band(attrs):
            raise serializers.ValidationError({"date_of_birth": DATE_OF_BIRTH_OR_AGE_BAND}, code="required")
        if "phone" in attrs:
            attrs["phone"] = str(attrs["phone"]) if attrs["phone"] else ""
        return attrs


class NoteInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=NOTE_MAX_LENGTH)


class NoteOutputSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    author = serializers.CharField(source="author_label", read_only=True)

    class Meta:
        model = CaseEvent
        fields = ["id", "summary", "body", "author", "organisation", "occurred_at"]


class ConsentInputSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices.ConsentPurpose.choices)
    answer = serializers.ChoiceField(
        choices.ConsentAnswer.choices, help_text="refused is kept as their answer, but is never a current consent."
    )
    channel = serializers.ChoiceField(choices.ConsentChannel.choices)
    wording_version = serializers.CharField(
        max_length=20, required=False, help_text="The consent wording read to them; defaults to the current one."
    )


class ConsentOutputSerializer(serializers.ModelSerializer):
    answer = serializers.SerializerMethodField()
    answered_at = serializers.DateTimeField(source="given_at", read_only=True)
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    current = serializers.BooleanField(source="is_current", read_only=True, help_text="Given and not withdrawn.")

    class Meta:
        model = Consent
        fields = ["id", "purpose", "answer", "current", "channel", "wording_version", "organisation", "answered_at",
                  "withdrawn_at"]  # fmt: skip

    def get_answer(self, consent) -> str:
        return choices.ConsentAnswer.REFUSED if consent.refused else choices.ConsentAnswer.GIVEN


class ResidentRegisterInputSerializer(ResidentInputSerializer):
    confirm_new_person = serializers.BooleanField(
        default=False, write_only=True,
        help_text="Register even though the check found possible existing records (after a 409): you have "
        "checked that this is a different person.",
    )  # fmt: skip

    class Meta(ResidentInputSerializer.Meta):
        fields = [*RESIDENT_FIELDS, "confirm_new_person"]


POSSIBLE_DUPLICATE = (
    "This person may already have a record. Check the matches; to register them anyway, send confirm_new_person: true."
)


class PossibleDuplicateSerializer(serializers.Serializer):
    """One possible existing record, as much of it as the caller may be shown."""

    resident = serializers.UUIDField(
        allow_null=True, help_text="The record's id, when it is one you may see; otherwise null."
    )
    organisation = serializers.CharField(
        allow_null=True, help_text="Whose record it is: named for your own and those the person agreed to share."
    )
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Why it matched (your records only).")
    message = serializers.CharField(help_text="What to tell staff about a record you may not see.")

    def to_representation(self, match):
        if match.resident is not None:
            message = ""
        elif match.organisation_name:
            message = f"A possible existing record at {match.organisation_name}."
        else:
            message = "This person may already be known to another partner: ask them."
        return {"resident": str(match.resident.pk) if match.resident else None,
                "organisation": match.organisation_slug, "reasons": match.reasons, "message": message}  # fmt: skip


class PossibleDuplicateErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(["possible_duplicate"])
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class PossibleDuplicateResponseSerializer(serializers.Serializer):
    """409: the registration was not made, because the person may already have a record."""

    type = serializers.ChoiceField(["client_error"])
    errors = PossibleDuplicateErrorSerializer(many=True)
    matches = PossibleDuplicateSerializer(many=True)
