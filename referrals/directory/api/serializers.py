"""Input and output shapes of the directory's partner API (/api/v1/services/). Serializers check the shape;
the rules across fields are the services' (referrals/directory/services.py)."""

import re
from datetime import time

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inclusion.api.serializers import (
    PHONE_SHAPE,
    POSTCODE_SHAPE,
    InputCharField,
    InputSerializer,
    RealDateField,
    StrictBooleanField,
)

from ..models import Delivery, Service, ServiceKind, ServiceLevel, ServiceLocation, ServiceStatus, SkillArea, Weekday
from ..services import MAX_LANGUAGES, SETTABLE_STATUSES

TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
MAX_LOCATIONS = 20


# Choice sets named once in the schema ("kind" and "status" are not confused with a device's or a loan's).
@extend_schema_field(serializers.ChoiceField(ServiceKind.choices), component_name="ServiceKindEnum")
class ServiceKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(ServiceKind.choices, **kwargs)


@extend_schema_field(serializers.ChoiceField(SkillArea.choices), component_name="SkillAreaEnum")
class SkillAreaField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(SkillArea.choices, **kwargs)


@extend_schema_field(serializers.ChoiceField(ServiceLevel.choices), component_name="ServiceLevelEnum")
class ServiceLevelField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(ServiceLevel.choices, **kwargs)


@extend_schema_field(serializers.ChoiceField(Delivery.choices), component_name="DeliveryEnum")
class DeliveryField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(Delivery.choices, **kwargs)


@extend_schema_field(serializers.ChoiceField(Weekday.choices), component_name="WeekdayEnum")
class WeekdayField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(Weekday.choices, **kwargs)


@extend_schema_field(serializers.ChoiceField(ServiceStatus.choices), component_name="ServiceStatusEnum")
class ServiceStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(ServiceStatus.choices, **kwargs)


@extend_schema_field(
    serializers.ChoiceField([(s, ServiceStatus(s).label) for s in SETTABLE_STATUSES]),
    component_name="SettableServiceStatusEnum",
)
class SettableStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__([(s, ServiceStatus(s).label) for s in SETTABLE_STATUSES], **kwargs)


@extend_schema_field({"type": "string", "pattern": TIME_PATTERN, "example": "10:30", "nullable": True})
class TimeOfDayField(serializers.Field):
    """A time of day as HH:MM (24-hour), or null."""

    default_error_messages = {"invalid": "Give a time as HH:MM, like 10:30."}

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.fullmatch(TIME_PATTERN, data):
            self.fail("invalid")
        return time(int(data[:2]), int(data[3:]))

    def to_representation(self, value):
        return value.strftime("%H:%M") if value else None


@extend_schema_field(OpenApiTypes.INT)
class WholeNumberField(serializers.IntegerField):
    """A JSON integer, as the schema says: not "12" or 12.0 or true."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


def _text(max_length: int, **kwargs) -> InputCharField:
    return InputCharField(max_length=max_length, required=False, allow_blank=True, **kwargs)


class LocationSerializer(InputSerializer):
    """One place a service runs (in person)."""

    id = serializers.UUIDField(read_only=True)
    name = _text(200)
    address_line_1 = InputCharField(max_length=200)
    address_line_2 = _text(200)
    town = InputCharField(max_length=100)
    postcode = InputCharField(max_length=16, validators=[POSTCODE_SHAPE],
                              help_text="A UK postcode, any case and spacing; stored as WV1 1AA.")  # fmt: skip
    postcode_district = serializers.CharField(read_only=True, help_text="The postcode's first part: WV1.")
    accessibility = _text(500)


class ServiceInputSerializer(InputSerializer):
    """A service's details. PUT replaces them all (what it leaves out goes back to its default); PATCH
    changes what it names. `locations`, when given, replaces every place the service runs."""

    name = InputCharField(max_length=200)
    description = InputCharField(max_length=4000)
    kind = ServiceKindField()
    skill_areas = serializers.ListField(child=SkillAreaField(), required=False, max_length=len(SkillArea.values))
    level = ServiceLevelField(required=False)
    delivery = DeliveryField(required=False, help_text="in_person and blended need at least one location.")
    days = serializers.ListField(child=WeekdayField(), required=False, max_length=7)
    opens_at = TimeOfDayField(required=False)
    closes_at = TimeOfDayField(required=False, help_text="After opens_at.")
    schedule_description = _text(300)
    capacity = WholeNumberField(required=False, allow_null=True, min_value=1, max_value=10000)
    free = StrictBooleanField(required=False)
    cost_description = _text(200, help_text="Required when free is false.")
    eligibility = _text(500)
    minimum_age = WholeNumberField(required=False, allow_null=True, min_value=0, max_value=120)
    maximum_age = WholeNumberField(required=False, allow_null=True, min_value=0, max_value=120)
    languages = serializers.ListField(child=InputCharField(max_length=60), required=False, max_length=MAX_LANGUAGES)
    accessibility = _text(500)
    contact_name = _text(150, help_text="A team or role, not a person's name: the directory is public.")
    contact_email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    contact_phone = _text(
        30, validators=[PHONE_SHAPE], help_text="A UK phone number (invalid_phone_number if no line can have it)."
    )
    url = serializers.URLField(required=False, allow_blank=True, max_length=200)
    referrals_open = StrictBooleanField(required=False)
    status = SettableStatusField(required=False, help_text="To retire a service for good, POST to its retire/.")
    active_from = RealDateField(required=False, allow_null=True)
    active_until = RealDateField(required=False, allow_null=True, help_text="On or after active_from.")
    locations = LocationSerializer(many=True, required=False, max_length=MAX_LOCATIONS)

    def replacement(self, validated_data: dict) -> dict:
        """For PUT: every field, those left out set to the model's default (locations: none)."""
        values = {}
        for name in self.fields:
            if name in validated_data:
                values[name] = validated_data[name]
            elif name == "locations":
                values[name] = []
            else:
                values[name] = Service._meta.get_field(name).get_default()
        return values


class ServiceOutputSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True,
                                                help_text="The slug of the organisation that runs it.")  # fmt: skip
    kind = ServiceKindField(read_only=True)
    skill_areas = serializers.ListField(child=SkillAreaField(), read_only=True)
    level = ServiceLevelField(read_only=True)
    delivery = DeliveryField(read_only=True)
    days = serializers.ListField(child=WeekdayField(), read_only=True)
    opens_at = TimeOfDayField(read_only=True)
    closes_at = TimeOfDayField(read_only=True)
    status = ServiceStatusField(read_only=True)
    languages = serializers.ListField(child=serializers.CharField(), read_only=True)
    # Blank when not given, so plain text rather than the formats (an empty string is no email or URI).
    contact_email = serializers.CharField(read_only=True, help_text="A shared mailbox, or blank.")
    url = serializers.CharField(read_only=True, help_text="The service's web page, or blank.")
    locations = serializers.SerializerMethodField()

    class Meta:
        model = Service
        fields = [
            "id", "organisation", "name", "description", "kind", "skill_areas", "level", "delivery", "days",
            "opens_at", "closes_at", "schedule_description", "capacity", "free", "cost_description", "eligibility",
            "minimum_age", "maximum_age", "languages", "accessibility", "contact_name", "contact_email",
            "contact_phone", "url", "referrals_open", "status", "active_from", "active_until", "locations",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(LocationSerializer(many=True))
    def get_locations(self, service) -> list:
        places: list[ServiceLocation] = list(service.locations.all())
        return LocationSerializer(places, many=True).data


class ServiceRetireInputSerializer(InputSerializer):
    pass  # an empty body: retiring takes no details
