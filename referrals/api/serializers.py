"""Input and output shapes of the referrals partner API (and of webhook events, which carry the same
representation as the API gives that organisation). Serializers validate and shape; services save."""

from django.http import Http404
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inclusion.access import resident_get_visible
from inclusion.api.serializers import InputCharField, InputSerializer, SkillLevelField, StrictBooleanField
from inclusion.choices import ContactMethod, SkillLevel
from inclusion.models import Organisation

from ..models import (
    OUTCOME_FLAGS,
    DeclineReason,
    NotCompletedReason,
    Referral,
    ReferralNeed,
    ReferralStatus,
    Service,
    Urgency,
    WebhookDelivery,
    WebhookEndpoint,
)
from ..services import MESSAGE_MAX, NOTE_MAX


@extend_schema_field(serializers.ChoiceField(DeclineReason.choices), component_name="DeclineReasonEnum")
class DeclineReasonField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(DeclineReason.choices, **kwargs)


@extend_schema_field(serializers.ChoiceField(NotCompletedReason.choices), component_name="NotCompletedReasonEnum")
class NotCompletedReasonField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(NotCompletedReason.choices, **kwargs)


@extend_schema_field(serializers.ChoiceField(ContactMethod.choices, allow_blank=True),
                     component_name="PreferredContactEnum")  # fmt: skip
class PreferredContactField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(ContactMethod.choices, **kwargs)


class ReferralResidentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="display_name")


class ReferralServiceSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class OutcomeSerializer(serializers.Serializer):
    stage = serializers.CharField()
    eds_foundation = serializers.CharField()
    eds_communicating = serializers.CharField()
    eds_handling_information = serializers.CharField()
    eds_transacting = serializers.CharField()
    eds_problem_solving = serializers.CharField()
    eds_being_safe = serializers.CharField()
    confidence = serializers.IntegerField(allow_null=True)
    got_online_independently = serializers.BooleanField()
    uses_online_public_services = serializers.BooleanField()
    applied_for_work_or_training = serializers.BooleanField()
    found_work = serializers.BooleanField()
    feels_less_isolated = serializers.BooleanField()
    saves_money_online = serializers.BooleanField()
    recorded_at = serializers.DateTimeField()


class ReferralOutputSerializer(serializers.Serializer):
    """A referral as its sender or receiver sees it. `resident` is null once the calling organisation may no longer
    see them (the receiver, after the referral ended or the resident withdrew consent to sharing), and so are
    `reason` and `preferred_contact`, which describe them."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(ReferralStatus.choices)
    direction = serializers.SerializerMethodField()
    resident = serializers.SerializerMethodField()
    from_organisation = serializers.CharField(source="from_organisation.slug", help_text="The sender's slug")
    to_organisation = serializers.CharField(source="to_organisation.slug", help_text="The receiver's slug")
    service = ReferralServiceSerializer(allow_null=True)
    need = serializers.ChoiceField(ReferralNeed.choices)
    reason = serializers.SerializerMethodField()
    urgency = serializers.ChoiceField(Urgency.choices)
    preferred_contact = serializers.SerializerMethodField()
    confidence_before = serializers.IntegerField(allow_null=True)
    sent_at = serializers.DateTimeField()
    response_due_on = serializers.DateField()
    overdue = serializers.BooleanField(help_text="Sent, and no answer by response_due_on")
    responded_at = serializers.DateTimeField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)
    declined_at = serializers.DateTimeField(allow_null=True)
    decline_reason = serializers.SerializerMethodField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    not_completed_reason = serializers.SerializerMethodField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    sequence = serializers.IntegerField(source="last_sequence", help_text="The number of its latest change")
    outcomes = serializers.SerializerMethodField()

    def _organisation_id(self):
        return self.context["organisation"].pk

    def get_direction(self, referral) -> str:
        return "sent" if referral.from_organisation_id == self._organisation_id() else "received"

    @extend_schema_field(ReferralResidentSerializer(allow_null=True))
    def get_resident(self, referral):
        return ReferralResidentSerializer(referral.resident).data if referral.resident_shared else None

    def get_reason(self, referral) -> str | None:
        return referral.reason if referral.resident_shared else None

    @extend_schema_field(PreferredContactField(allow_null=True, allow_blank=True))
    def get_preferred_contact(self, referral):
        return referral.preferred_contact if referral.resident_shared else None

    @extend_schema_field(DeclineReasonField(allow_null=True))
    def get_decline_reason(self, referral):
        return referral.decline_reason or None

    @extend_schema_field(NotCompletedReasonField(allow_null=True))
    def get_not_completed_reason(self, referral):
        return referral.not_completed_reason or None

    @extend_schema_field(OutcomeSerializer(many=True))
    def get_outcomes(self, referral):
        return OutcomeSerializer(referral.outcomes.all(), many=True).data


def referral_representation(referral: Referral, organisation) -> dict:
    """The referral as the API shows it to `organisation` (referral as given by referrals.selectors, annotated)."""
    return dict(ReferralOutputSerializer(referral, context={"organisation": organisation}).data)


# Inputs


class ReferralCreateInputSerializer(InputSerializer):
    resident = serializers.UUIDField(help_text="The resident's id (one your organisation may see)")
    service = serializers.UUIDField(required=False, allow_null=True, help_text="A service from the directory")
    to_organisation = serializers.SlugField(required=False, allow_null=True,
                                            help_text="The organisation, when referring to no particular service")  # fmt: skip
    need = serializers.ChoiceField(ReferralNeed.choices)
    reason = InputCharField(max_length=NOTE_MAX, help_text="Why this referral: what the resident wants to do")
    urgency = serializers.ChoiceField(Urgency.choices, required=False, default=Urgency.ROUTINE)
    preferred_contact = PreferredContactField(required=False, allow_blank=True, default="")
    confidence_before = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=5)

    def validate_resident(self, value):
        try:
            return resident_get_visible(self.context["organisation"], value)
        except Http404:
            raise serializers.ValidationError("No such resident.", code="does_not_exist") from None

    def validate_service(self, value):
        # The directory is public (Open Referral UK), so saying a service does not exist confirms nothing private.
        if value is None:
            return None
        service = Service.objects.filter(pk=value).select_related("organisation").first()
        if service is None:
            raise serializers.ValidationError("No such service in the directory.", code="does_not_exist")
        return service

    def validate_to_organisation(self, value):
        if value is None:
            return None
        organisation = Organisation.objects.filter(slug=value, active=True).first()
        if organisation is None:
            raise serializers.ValidationError("No such organisation in the scheme.", code="does_not_exist")
        return organisation


class ReferralNoteInputSerializer(InputSerializer):
    note = InputCharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


class DeclineInputSerializer(ReferralNoteInputSerializer):
    reason = DeclineReasonField()


class NotCompletedInputSerializer(ReferralNoteInputSerializer):
    reason = NotCompletedReasonField()


class CompleteInputSerializer(ReferralNoteInputSerializer):
    eds_foundation = SkillLevelField(SkillLevel.choices, required=False, allow_blank=True)
    eds_communicating = SkillLevelField(SkillLevel.choices, required=False, allow_blank=True)
    eds_handling_information = SkillLevelField(SkillLevel.choices, required=False, allow_blank=True)
    eds_transacting = SkillLevelField(SkillLevel.choices, required=False, allow_blank=True)
    eds_problem_solving = SkillLevelField(SkillLevel.choices, required=False, allow_blank=True)
    eds_being_safe = SkillLevelField(SkillLevel.choices, required=False, allow_blank=True)
    confidence = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=5)
    got_online_independently = StrictBooleanField(required=False, default=False)
    uses_online_public_services = StrictBooleanField(required=False, default=False)
    applied_for_work_or_training = StrictBooleanField(required=False, default=False)
    found_work = StrictBooleanField(required=False, default=False)
    feels_less_isolated = StrictBooleanField(required=False, default=False)
    saves_money_online = StrictBooleanField(required=False, default=False)

    def outcome(self) -> dict:
        data = dict(self.validated_data)
        data.pop("note", None)
        return data


assert set(OUTCOME_FLAGS) <= set(CompleteInputSerializer().fields)


class MessageInputSerializer(InputSerializer):
    body = InputCharField(max_length=MESSAGE_MAX)


class MessageOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = serializers.CharField(source="organisation.slug")
    author = serializers.SerializerMethodField()
    body = serializers.CharField()
    sent_at = serializers.DateTimeField()

    def get_author(self, message) -> str:
        if message.author_id:
            return message.author.full_name or message.author.email
        return f"API key {message.api_key.name}" if message.api_key_id else ""


class WebhookEndpointInputSerializer(InputSerializer):
    url = serializers.URLField(max_length=500, help_text="An https:// address of your system")
    description = InputCharField(max_length=200, required=False, allow_blank=True, default="")


class WebhookEndpointOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "active", "created_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointOutputSerializer):
    secret = serializers.CharField(help_text="Shown once: keep it to verify each event's signature")

    class Meta(WebhookEndpointOutputSerializer.Meta):
        fields = [*WebhookEndpointOutputSerializer.Meta.fields, "secret"]


class WebhookDeliveryOutputSerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(source="payload.type", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "endpoint", "referral", "sequence", "event_type", "status", "attempts", "next_attempt_at",
                  "last_status_code", "last_error", "delivered_at", "created_at"]  # fmt: skip
