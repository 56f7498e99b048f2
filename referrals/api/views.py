"""The referrals partner API: referrals the calling organisation sent or received, their transitions as POST
sub-resources and their messages; its webhook endpoints and their delivery log.

Thin ViewSets: validate with an input serializer, call one service or selector, shape the output. Referrals are
read through referrals.selectors, scoped to the calling organisation, so another organisation's referral is a 404
whatever it is; a referral whose resident the organisation may no longer see shows no resident.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from inclusion.api.views import PartnerViewSetMixin

from .. import selectors, services, webhooks
from ..models import Referral, WebhookDelivery, WebhookEndpoint
from .filters import ReferralFilter, WebhookDeliveryFilter
from .serializers import (
    CompleteInputSerializer,
    DeclineInputSerializer,
    MessageInputSerializer,
    MessageOutputSerializer,
    NotCompletedInputSerializer,
    ReferralCreateInputSerializer,
    ReferralNoteInputSerializer,
    ReferralOutputSerializer,
    WebhookDeliveryOutputSerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointOutputSerializer,
)

REFERRAL_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="The referral's id (a UUID).")
UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
MOVE = {None: ["illegal_transition"]}


def _move_schema(summary: str, request, description: str = ""):
    return extend_schema(summary=summary, description=description, parameters=[REFERRAL_ID], request=request,
                         responses=ReferralOutputSerializer)  # fmt: skip


@extend_schema_view(
    list=extend_schema(summary="Referrals you sent or received",
                       description="Overdue answers first, then oldest first. `direction` is sent or received; "
                       "`status` a referral status or one of open, awaiting, in_progress, closed, overdue.",
                       responses=ReferralOutputSerializer(many=True)),
    retrieve=extend_schema(summary="A referral you sent or received", parameters=[REFERRAL_ID],
                           responses=ReferralOutputSerializer),
    create=extend_schema(
        summary="Refer a resident to another partner's service (or organisation)",
        description="Needs the resident's current consent to sharing with partners (409 consent_missing or "
        "consent_refused). The receiving organisation may see the resident while the referral is open.",
        request=ReferralCreateInputSerializer, responses={201: ReferralOutputSerializer},
    ),
    accept=_move_schema("Accept a referral sent to you", ReferralNoteInputSerializer),
    decline=_move_schema("Decline a referral sent to you, with a reason", DeclineInputSerializer,
                         "A note is needed when the reason is `other`."),
    start=_move_schema("Record that the resident has started", ReferralNoteInputSerializer),
    complete=_move_schema("Record completion, with the outcome", CompleteInputSerializer,
                          "The Essential Digital Skills self-assessment again, confidence 1 to 5 and the outcome flags."),
    not_completed=_move_schema("Record that the resident did not complete, with a reason", NotCompletedInputSerializer),
    withdraw=_move_schema("Withdraw a referral you sent (at any open stage)", ReferralNoteInputSerializer),
    follow_up=_move_schema("Record the outcome at follow-up, after completion", CompleteInputSerializer,
                           "The same questions as at completion, asked again 6 to 12 weeks later. Either organisation "
                           "may record it, once: a second is 409 already_recorded; before completion 409 "
                           "illegal_transition. The resident need not be shared with you now."),
)  # fmt: skip
class ReferralViewSet(PartnerViewSetMixin, viewsets.GenericViewSet):
    serializer_class = ReferralOutputSerializer
    refusals = {
        "create": {
            "resident": ["consent_missing", "consent_refused"],
            "service": ["referrals_closed", "duplicate", "own_organisation", "required"],
            "to_organisation": ["referrals_closed", "duplicate", "own_organisation", "invalid"],
            "reason": ["required"],
        },
        "accept": {None: ["illegal_transition"], "resident": ["consent_missing", "consent_refused"]},
        "decline": {None: ["illegal_transition"], "note": ["required"]},
        "start": MOVE, "complete": MOVE, "withdraw": MOVE,
        "not_completed": {None: ["illegal_transition"], "note": ["required"]},
        "messages": {"body": ["required"]},
        "follow_up": {None: ["illegal_transition", "already_recorded"]},
    }  # fmt: skip
    input_rules = {
        "create": {"resident": ["does_not_exist"], "service": ["does_not_exist"],
                   "to_organisation": ["does_not_exist"]},
    }  # fmt: skip
    filterset_class = ReferralFilter
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular, generating the schema
            return Referral.objects.none()
        return selectors.referral_list(organisation=self.organisation).prefetch_related("outcomes")

    def get_object(self) -> Referral:
        return self._referral(self.kwargs["pk"])

    def _referral(self, pk) -> Referral:
        referral = selectors.referral_get(organisation=self.organisation, pk=pk)
        if referral is None:
            raise Http404("No such referral")
        return referral

    def _out(self, referral, **kwargs) -> Response:
        fresh = self._referral(referral.pk)
        return Response(ReferralOutputSerializer(fresh, context={"organisation": self.organisation}).data, **kwargs)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = ReferralOutputSerializer(page, many=True, context={"organisation": self.organisation}).data
        return self.get_paginated_response(data)

    def retrieve(self, request, pk=None):
        return self._out(self.get_object())

    def create(self, request):
        serializer = ReferralCreateInputSerializer(data=request.data, context={"organisation": self.organisation})
        serializer.is_valid(raise_exception=True)
        referral = services.referral_create(actor=self.actor, **serializer.validated_data)
        return self._out(referral, status=status.HTTP_201_CREATED)

    def _answer(self, input_serializer, call):
        referral = self.get_object()
        serializer = input_serializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return self._out(call(referral, serializer))

    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._answer(ReferralNoteInputSerializer, lambda r, s: services.referral_accept(
            actor=self.actor, referral=r, note=s.validated_data["note"]))  # fmt: skip

    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._answer(DeclineInputSerializer, lambda r, s: services.referral_decline(
            actor=self.actor, referral=r, reason=s.validated_data["reason"], note=s.validated_data["note"]))  # fmt: skip

    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._answer(ReferralNoteInputSerializer, lambda r, s: services.referral_start(
            actor=self.actor, referral=r, note=s.validated_data["note"]))  # fmt: skip

    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._answer(CompleteInputSerializer, lambda r, s: services.referral_complete(
            actor=self.actor, referral=r, outcome=s.outcome(), note=s.validated_data["note"]))  # fmt: skip

    @action(detail=True, methods=["post"], url_path="not-completed", url_name="not-completed")
    def not_completed(self, request, pk=None):
        return self._answer(NotCompletedInputSerializer, lambda r, s: services.referral_not_complete(
            actor=self.actor, referral=r, reason=s.validated_data["reason"], note=s.validated_data["note"]))  # fmt: skip

    @action(detail=True, methods=["post"], url_path="follow-up", url_name="follow-up")
    def follow_up(self, request, pk=None):
        return self._answer(CompleteInputSerializer, lambda r, s: services.referral_follow_up_record(
            actor=self.actor, referral=r, outcome=s.outcome(), note=s.validated_data["note"]))  # fmt: skip

    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._answer(ReferralNoteInputSerializer, lambda r, s: services.referral_withdraw(
            actor=self.actor, referral=r, note=s.validated_data["note"]))  # fmt: skip

    @extend_schema(methods=["GET"], summary="Messages between the two organisations about a referral",
                   parameters=[REFERRAL_ID], filters=False, responses=MessageOutputSerializer(many=True))  # fmt: skip
    @extend_schema(methods=["POST"], summary="Send a message to the other organisation", parameters=[REFERRAL_ID],
                   request=MessageInputSerializer, responses={201: MessageOutputSerializer})  # fmt: skip
    @action(detail=True, methods=["get", "post"], filterset_class=None)
    def messages(self, request, pk=None):
        referral = self.get_object()
        if request.method == "POST":
            serializer = MessageInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            message = services.referral_message_add(actor=self.actor, referral=referral,
                                                    body=serializer.validated_data["body"])  # fmt: skip
            return Response(MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED)
        if not referral.resident_shared:
            # Messages are about the resident: once they are no longer shared, only your own are shown.
            shown = referral.messages.filter(organisation=self.organisation)
        else:
            shown = referral.messages.all()
        page = self.paginate_queryset(
            shown.select_related("organisation", "author", "api_key").order_by("sent_at", "id")
        )
        return self.get_paginated_response(MessageOutputSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="Your webhook endpoints", responses=WebhookEndpointOutputSerializer(many=True)),
    create=extend_schema(
        summary="Register an https endpoint for referral events",
        description="The answer carries the signing secret, once. Each event is POSTed as JSON with the headers "
        "X-Inclusion-Timestamp and X-Inclusion-Signature: sha256=<hex HMAC-SHA256 of \"<timestamp>.<body>\">.",
        request=WebhookEndpointInputSerializer, responses={201: WebhookEndpointCreatedSerializer},
    ),
    destroy=extend_schema(summary="Switch an endpoint off (its log stays)", responses={204: None}),
)  # fmt: skip
class WebhookEndpointViewSet(PartnerViewSetMixin, viewsets.GenericViewSet):
    serializer_class = WebhookEndpointOutputSerializer
    refusals = {"create": {"url": ["invalid", "private_address", "duplicate"]}}
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return WebhookEndpoint.objects.filter(organisation=self.organisation).order_by("-active", "id")

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(WebhookEndpointOutputSerializer(page, many=True).data)

    def create(self, request):
        serializer = WebhookEndpointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = webhooks.webhook_endpoint_create(actor=self.actor, **serializer.validated_data)
        data = WebhookEndpointOutputSerializer(endpoint).data
        return Response({**data, "secret": secret}, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        endpoint = self.get_queryset().filter(pk=pk).first()
        if endpoint is None:
            raise Http404("No such endpoint")
        webhooks.webhook_endpoint_deactivate(actor=self.actor, endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="The delivery log of your webhook endpoints, newest first",
                       responses=WebhookDeliveryOutputSerializer(many=True)),
    send_again=extend_schema(summary="Send an event again (after a failure)", request=None,
                             responses=WebhookDeliveryOutputSerializer,
                             parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)]),
)  # fmt: skip
class WebhookDeliveryViewSet(PartnerViewSetMixin, viewsets.GenericViewSet):
    serializer_class = WebhookDeliveryOutputSerializer
    refusals = {"send_again": {None: ["already_pending", "endpoint_inactive"]}}
    filterset_class = WebhookDeliveryFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        return selectors.webhook_deliveries_for(organisation=self.organisation)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(WebhookDeliveryOutputSerializer(page, many=True).data)

    @action(detail=True, methods=["post"], url_path="send-again", url_name="send-again")
    def send_again(self, request, pk=None):
        delivery = self.get_queryset().filter(pk=pk).first()
        if delivery is None:
            raise Http404("No such delivery")
        delivery = webhooks.webhook_delivery_resend(actor=self.actor, delivery=delivery)
        return Response(WebhookDeliveryOutputSerializer(delivery).data)
