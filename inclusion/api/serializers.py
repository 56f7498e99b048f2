"""Input and output shapes of the core API. Serializers validate and shape; services save."""

from datetime import date

from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from ..models import CaseEvent, Organisation, Resident
from ..services import NOTE_MAX_LENGTH, RESIDENT_FIELDS
from ..validators import postcode_normalise


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["slug", "name", "kind", "local_authority", "is_scheme_lead"]


class ResidentOutputSerializer(serializers.ModelSerializer):
    owning_organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    phone = serializers.CharField(read_only=True)

    class Meta:
        model = Resident
        fields = ["id", "owning_organisation", *RESIDENT_FIELDS, "created_at", "updated_at"]


class ResidentInputSerializer(serializers.ModelSerializer):
    phone = PhoneNumberField(required=False, allow_blank=True, region="GB")

    class Meta:
        model = Resident
        fields = list(RESIDENT_FIELDS)

    def validate_postcode(self, value):
        if not value:
            return ""
        try:
            return postcode_normalise(value)
        except Exception as error:  # Django's ValidationError → DRF's
            raise serializers.ValidationError(error.messages[0]) from None

    def validate_date_of_birth(self, value):
        if value and value > date.today():
            raise serializers.ValidationError("Date of birth must be in the past.")
        if value and value.year < 1900:
            raise serializers.ValidationError("Date of birth must be after 1900.")
        return value

    def validate(self, attrs):
        instance = self.instance
        date_of_birth = attrs.get("date_of_birth", instance.date_of_birth if instance else None)
        age_band = attrs.get("age_band", instance.age_band if instance else "")
        if not date_of_birth and not age_band:
            raise serializers.ValidationError(
                {"date_of_birth": "Give a date of birth, or an age band (age_band) if they would rather not say."}
            )
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
