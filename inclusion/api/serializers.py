"""Input and output shapes of the core API. Serializers validate and shape; services save."""

import re
from collections.abc import Mapping
from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.db import models
from drf_spectacular.utils import extend_schema_field
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from .. import choices
from ..models import CaseEvent, Consent, ContactProposal, Organisation, Resident
from ..privacy.sharing import NOT_SHARED, resident_fields_hidden
from ..services import NOTE_MAX_LENGTH, RESIDENT_FIELDS
from ..validators import date_of_birth_validate, postcode_normalise, validate_not_drama_number

DATE_OF_BIRTH_OR_AGE_BAND = "Give a date of birth, or an age band (age_band) if they would rather not say."
PHONE_HELP = (
    "A UK phone number (or +44...), stored and returned in E.164 (+447911123456): digits, spaces, brackets and "
    "hyphens, with an optional leading +. It must be a number a real line can have: unallocated numbers and "
    "the numbers Ofcom reserves for TV and radio drama (07700 900123, 0121 496 0123, 020 7946 0123...) are "
    "refused with the code invalid_phone_number (a 422 on its own)."
)
PHONE_SHAPE = RegexValidator(
    r"^(?:\+?[0-9][0-9 ()-]{5,24})?$", "Use digits, spaces, brackets and hyphens, like 07911 123456.", code="invalid"
)
# The postcode's shape as a pattern the schema can carry: postcode_normalise() takes any case and any
# spacing (Python's whitespace, listed), then checks the BS 7666 format.
_WS = "[ \\t\\n\\x0b\\x0c\\r\\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*"
_POSTCODE_PARTS = ["[A-Za-z]", "[A-Za-z]?", "[0-9]", "[A-Za-z0-9]?", "[0-9]", "[ABD-HJLNP-UW-Zabd-hjlnp-uw-z]",
                   "[ABD-HJLNP-UW-Zabd-hjlnp-uw-z]"]  # fmt: skip
POSTCODE_PATTERN = (
    f"^{_WS}(?:(?:[Gg]{_WS}[Ii]{_WS}[Rr]{_WS}0{_WS}[Aa]{_WS}[Aa])|(?:"
    + "".join(f"{part}{_WS}" for part in _POSTCODE_PARTS)
    + f"))?{_WS}$"
)
POSTCODE_SHAPE = RegexValidator(
    POSTCODE_PATTERN, message="Enter a real UK postcode, like WV1 1AA", code="invalid_postcode"
)

# --- What every input serializer of the API shares ------------------------------------------------------------

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class RealDateField(serializers.DateField):
    """A YYYY-MM-DD date; 2026-02-30 is "not a real date" rather than DRF's "wrong format"."""

    def to_internal_value(self, value):
        if isinstance(value, str) and ISO_DATE.match(value.strip()):
            try:
                date.fromisoformat(value.strip())
            except ValueError:
                raise serializers.ValidationError(f"{value.strip()} is not a real date.", code="invalid") from None
        return super().to_internal_value(value)


class InputCharField(serializers.CharField):
    """DRF's CharField, taking only JSON strings (not 0 for "0"), with its length and patterns checked on the
    text as sent, as the schema states them, and only then trimmed: "Ada\\x1f" was trimmed to "Ada" and
    accepted although the schema refuses it."""

    def run_validation(self, data=serializers.empty):
        # Before DRF's own, which takes whitespace alone for "" without looking at it further.
        if data is not serializers.empty and data is not None:
            if not isinstance(data, str):
                self.fail("invalid")
            if self.max_length is not None and len(data) > self.max_length:
                self.fail("max_length", max_length=self.max_length)
            for validator in self.validators:
                if isinstance(validator, RegexValidator) and not validator.inverse_match:
                    try:
                        validator(data)
                    except DjangoValidationError as error:
                        raise serializers.ValidationError(error.messages, code=error.code) from None
        return super().run_validation(data)


class InputDecimalField(serializers.DecimalField):
    """A decimal as the schema states it: a JSON string of ASCII digits with at most decimal_places after the
    point, no sign unless min_value allows negatives (DRF also took numbers, "٣" and, against min_value, a
    pattern that allowed "-58.")."""

    @property
    def input_pattern(self) -> str:
        whole, places = self.max_digits - self.decimal_places, self.decimal_places
        sign = "" if self.min_value is not None and self.min_value >= 0 else "-?"
        return rf"^(?:{sign}(?:[0-9]{{1,{whole}}}(?:\.[0-9]{{0,{places}}})?|\.[0-9]{{1,{places}}}))?$"

    def run_validation(self, data=serializers.empty):
        if data is not serializers.empty and data is not None:
            if not isinstance(data, str) or not re.match(self.input_pattern, data):
                self.fail("invalid")
        return super().run_validation(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false, as JSON says them: not "true", "yes", 1 or "on", which the schema's boolean refuses."""

    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid", input=data)


UNKNOWN_FIELD = "Not a field this request takes (check its spelling); nothing was saved."


class StrictInputMixin:
    # Input serializers refuse fields they do not know, naming each one (a misspelt field would otherwise
    # be dropped and its data lost), and take dates as RealDateField and text as InputCharField. The schema
    # says the same: request bodies have additionalProperties false (inclusion/api/schema.py).
    # (Comments, not a docstring: drf-spectacular would show a docstring as every body's description.)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if hasattr(cls, "serializer_field_mapping"):  # ModelSerializers: dates and text as the API takes them
            cls.serializer_field_mapping = {**cls.serializer_field_mapping, models.DateField: RealDateField,
                                            models.CharField: InputCharField, models.TextField: InputCharField,
                                            models.BooleanField: StrictBooleanField,
                                            models.DecimalField: InputDecimalField}  # fmt: skip

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = {
                key: [serializers.ErrorDetail(UNKNOWN_FIELD, code="unknown_field")]
                for key in data
                if key not in writable
            }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if unknown and isinstance(error.detail, dict):
                error.detail.update(unknown)
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value

    def replacement(self, validated_data: dict) -> dict:
        """For PUT: every writable field, those left out set to the model's default (blank, empty, false...),
        so that PUT replaces the details rather than keeping what it omits."""
        model = self.Meta.model
        values = {}
        for name, field in self.fields.items():
            if field.read_only:
                continue
            values[name] = validated_data[name] if name in validated_data else model._meta.get_field(name).get_default()
        return values


class InputSerializer(StrictInputMixin, serializers.Serializer):
    pass  # the base of the API's non-model input serializers


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


class UKPhoneNumberField(InputCharField, PhoneNumberField):
    """A phone number: its shape is the schema's pattern (a 400 otherwise); whether it is a real, allocated
    number is libphonenumber's and Ofcom's, which no schema can say (invalid_phone_number, a 422 on its own)."""

    def __init__(self, **kwargs):
        super().__init__(validators=[PHONE_SHAPE], **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                PHONE_SHAPE(data)
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.messages, code="invalid") from None
        message = "Enter a real UK phone number, like 07911 123456 (numbers reserved for TV and radio are refused)."
        try:
            number = super().to_internal_value(data)
            if number:
                validate_not_drama_number(number)
        except DjangoValidationError:
            raise serializers.ValidationError(message, code="invalid_phone_number") from None
        except serializers.ValidationError as error:
            if _codes_of(error.detail) <= {"invalid"}:
                raise serializers.ValidationError(message, code="invalid_phone_number") from None
            raise
        return number


def _codes_of(detail) -> set:
    items = detail if isinstance(detail, list) else [detail]
    return {getattr(item, "code", None) for item in items}


class ResidentOutputSerializer(SharedChoicesMixin, serializers.ModelSerializer):
    """A resident as `context["organisation"]` may read them: equality monitoring answers read as blank to an
    organisation that does not own the record (inclusion.privacy.sharing)."""

    owning_organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    phone = serializers.CharField(read_only=True)

    class Meta:
        model = Resident
        fields = ["id", "owning_organisation", *RESIDENT_FIELDS, "created_at", "updated_at"]

    def to_representation(self, resident):
        data = super().to_representation(resident)
        organisation = self.context.get("organisation")
        if organisation is not None:
            for field in resident_fields_hidden(organisation=organisation, resident=resident):
                data[field] = NOT_SHARED
        return data


class ResidentInputSerializer(StrictInputMixin, SharedChoicesMixin, serializers.ModelSerializer):
    phone = UKPhoneNumberField(required=False, allow_blank=True, max_length=30, help_text=PHONE_HELP)
    # Not the model field's max_length (8) and validator: 'wv10  6qr' is a postcode once normalised,
    # and a bad postcode gets one error, not two.
    postcode = InputCharField(
        required=False, allow_blank=True, max_length=20, validators=[POSTCODE_SHAPE],
        help_text="A UK postcode (BS 7666), in any case and spacing: 'wv11aa' is stored and returned as WV1 1AA.",
    )  # fmt: skip

    class Meta:
        model = Resident
        fields = list(RESIDENT_FIELDS)
        extra_kwargs = {
            "date_of_birth": {"help_text": "YYYY-MM-DD, in the past and from 1900. Give it, or age_band when "
                                           "they would rather not say; a date of birth clears the age band."},
            "age_band": {"help_text": "Instead of date_of_birth, when they would rather not say it."},
        }  # fmt: skip

    def validate_postcode(self, value):
        if not value:
            return ""
        try:
            return postcode_normalise(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages, code=error.code) from None

    def validate_date_of_birth(self, value):
        try:
            date_of_birth_validate(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(f"{error.messages[0]}.", code=error.code) from None
        return value

    def _lacks_date_of_birth_and_age_band(self, values: Mapping) -> bool:
        """True when neither is given in `values` nor (for fields not given to a PATCH) already on the resident."""
        instance = self.instance if self.partial else None
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
            # POST and PUT: the schema states the rule (required unless age_band), so breaking it is a 400.
            # PATCH: whether one is left depends on what the resident already has: a 422.
            code = "date_of_birth_or_age_band" if self.partial else "required"
            raise serializers.ValidationError({"date_of_birth": DATE_OF_BIRTH_OR_AGE_BAND}, code=code)
        if "phone" in attrs:
            attrs["phone"] = str(attrs["phone"]) if attrs["phone"] else ""
        return attrs


class ContactProposalInputSerializer(ResidentInputSerializer):
    """New contact details proposed to the resident's owner (inclusion.privacy.proposals): give those that
    changed; blank or absent ones are not proposed."""

    class Meta(ResidentInputSerializer.Meta):
        fields = list(ContactProposal.FIELDS)
        extra_kwargs = {}

    def _lacks_date_of_birth_and_age_band(self, values: Mapping) -> bool:
        return False  # not part of a proposal


class ContactProposalOutputSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True,
                                                help_text="The organisation that proposed it")  # fmt: skip
    resident = serializers.UUIDField(source="resident_id", read_only=True)
    changes = serializers.DictField(child=serializers.CharField(), read_only=True,
                                    help_text="The proposed values, by field (none once the resident is anonymised)")  # fmt: skip
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                           help_text="When the owner accepted or rejected it")  # fmt: skip

    class Meta:
        model = ContactProposal
        fields = ["id", "resident", "organisation", "changes", "status", "created_at", "decided_at"]


class NoteInputSerializer(InputSerializer):
    body = InputCharField(max_length=NOTE_MAX_LENGTH)


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
    wording_version = InputCharField(
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
