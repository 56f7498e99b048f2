"""The core's partner API: residents, their case notes, and the scheme's organisations.

Thin ViewSets: validate with an input serializer, call one service or selector, shape the output.
Every resident read goes through access.py, so another organisation's resident is a 404.
"""

from django.contrib.auth.models import AnonymousUser
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import selectors, services
from ..access import resident_get_visible
from ..models import Resident
from .filters import ResidentFilter
from .schema import PartnerAutoSchema
from .serializers import (
    POSSIBLE_DUPLICATE,
    ConsentInputSerializer,
    ConsentOutputSerializer,
    NoteInputSerializer,
    NoteOutputSerializer,
    OrganisationSerializer,
    PossibleDuplicateResponseSerializer,
    ResidentInputSerializer,
    ResidentOutputSerializer,
    ResidentRegisterInputSerializer,
)


class PartnerViewSetMixin:
    """What every partner endpoint knows: the calling organisation and who is acting for it."""

    schema = PartnerAutoSchema()

    def perform_authentication(self, request):
        super().perform_authentication(request)
        # DRF copies the authenticated PartnerSystem onto the Django request too, where code that
        # expects a User reads it: django-simple-history would assign it to history_user and fail.
        # The key is recorded on the case timeline; to Django, the caller is anonymous.
        request._request.user = AnonymousUser()

    @property
    def organisation(self):
        return self.request.user.organisation

    @property
    def actor(self):
        return self.request.user.actor


@extend_schema_view(
    list=extend_schema(summary="List residents you may see", responses=ResidentOutputSerializer(many=True)),
    retrieve=extend_schema(summary="A resident", responses=ResidentOutputSerializer),
    create=extend_schema(
        summary="Register a resident",
        description="Checks first for possible existing records of the person across the scheme. If there are any, "
        "nothing is registered and the answer is 409 with the matches you may be shown: your own records (and "
        "those shared with you) by id with the reasons; another organisation's by its slug only when the person "
        "agreed to sharing with partners, otherwise only a message. Send confirm_new_person: true to register "
        "anyway. The checks count against the key's hourly limit (429 beyond it).",
        request=ResidentRegisterInputSerializer,
        responses={201: ResidentOutputSerializer, 409: PossibleDuplicateResponseSerializer},
    ),
    update=extend_schema(summary="Replace a resident's details", request=ResidentInputSerializer,
                         responses=ResidentOutputSerializer),
    partial_update=extend_schema(summary="Change some of a resident's details", request=ResidentInputSerializer,
                                 responses=ResidentOutputSerializer),
)  # fmt: skip
@extend_validation_errors(["invalid_postcode"], field_name="postcode", actions=["create", "update", "partial_update"])
@extend_validation_errors(["required"], field_name="date_of_birth", actions=["create", "update", "partial_update"])
@extend_validation_errors(["already_current"], field_name="purpose", actions=["consents"], methods=["post"])
class ResidentViewSet(PartnerViewSetMixin, viewsets.GenericViewSet):
    serializer_class = ResidentOutputSerializer
    filterset_class = ResidentFilter
    lookup_value_regex = "[0-9a-f-]{36}"
    rate_limited_actions = {"create"}  # DUPLICATE_CHECKS_PER_HOUR per key: 429 beyond it

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular, generating the schema
            return Resident.objects.none()
        return selectors.resident_list(organisation=self.organisation)

    def get_object(self):
        return resident_get_visible(self.organisation, self.kwargs["pk"])

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(ResidentOutputSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(ResidentOutputSerializer(self.get_object()).data)

    def create(self, request):
        serializer = ResidentRegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        details = dict(serializer.validated_data)
        if not details.pop("confirm_new_person"):
            matches = services.resident_duplicate_check(
                actor=self.actor, first_name=details["first_name"], last_name=details["last_name"],
                date_of_birth=details.get("date_of_birth"), phone=details.get("phone", ""),
                email=details.get("email", ""), postcode=details.get("postcode", ""),
            )  # fmt: skip
            if matches:
                body = {"type": "client_error", "matches": matches,
                        "errors": [{"code": "possible_duplicate", "detail": POSSIBLE_DUPLICATE, "attr": None}]}  # fmt: skip
                return Response(PossibleDuplicateResponseSerializer(body).data, status=status.HTTP_409_CONFLICT)
        resident = services.resident_register(actor=self.actor, **details)
        return Response(ResidentOutputSerializer(resident).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        resident = self.get_object()
        serializer = ResidentInputSerializer(resident, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        resident = services.resident_update(actor=self.actor, resident=resident, **serializer.validated_data)
        return Response(ResidentOutputSerializer(resident).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    @extend_schema(
        methods=["GET"], summary="A resident's case notes", responses=NoteOutputSerializer(many=True), filters=False
    )
    @extend_schema(
        methods=["POST"], summary="Add a case note", request=NoteInputSerializer, responses={201: NoteOutputSerializer}
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None)
    def notes(self, request, pk=None):
        resident = self.get_object()
        if request.method == "POST":
            serializer = NoteInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            note = services.note_add(actor=self.actor, resident=resident, body=serializer.validated_data["body"])
            return Response(NoteOutputSerializer(note).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(selectors.resident_notes(resident=resident))
        return self.get_paginated_response(NoteOutputSerializer(page, many=True).data)

    @extend_schema(
        methods=["GET"],
        summary="A resident's consent answers, current and past",
        filters=False,
        responses=ConsentOutputSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"], summary="Record a consent answer (given or refused) for one purpose",
        description="A loan needs a current consent to processing (and a phone, email or postal address); a voucher "
        "needs the consent. An answer for a purpose whose consent is current is refused (already_current).",
        request=ConsentInputSerializer, responses={201: ConsentOutputSerializer},
    )  # fmt: skip
    @action(detail=True, methods=["get", "post"], filterset_class=None)
    def consents(self, request, pk=None):
        resident = self.get_object()
        if request.method == "POST":
            serializer = ConsentInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            consent = services.consent_record(
                actor=self.actor, resident=resident, purpose=data["purpose"], channel=data["channel"],
                wording_version=data.get("wording_version"), refused=data["answer"] == "refused",
            )  # fmt: skip
            return Response(ConsentOutputSerializer(consent).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(selectors.resident_consents(resident=resident))
        return self.get_paginated_response(ConsentOutputSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="The scheme's partner organisations"),
    retrieve=extend_schema(summary="A partner organisation"),
)
class OrganisationViewSet(
    PartnerViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = OrganisationSerializer
    lookup_field = "slug"
    filterset_fields = ["kind", "local_authority"]

    def get_queryset(self):
        return selectors.organisation_list()

    def get_object(self):
        return get_object_or_404(self.get_queryset(), slug=self.kwargs["slug"])
