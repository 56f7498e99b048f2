"""The directory's partner API (/api/v1/services/): the whole scheme's services to read and filter (any key),
and the calling organisation's own services to add, change and retire.

Services hold no personal data, so any key reads any service. Changing one is for its own organisation: a
PUT, PATCH or retire of another organisation's service answers 404, exactly as for an id that does not
exist, so a write never tells one partner more about another's service than reading it would.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from inclusion.api.views import PartnerViewSetMixin

from .. import selectors, services
from ..models import Service
from .filters import ServiceFilter
from .serializers import ServiceInputSerializer, ServiceOutputSerializer, ServiceRetireInputSerializer

SERVICE_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="The service's id (a UUID).")
RULES = {
    "name": ["duplicate", "blank"], "description": ["blank"], "closes_at": ["out_of_range"],
    "active_until": ["out_of_range"], "maximum_age": ["out_of_range"], "cost_description": ["blank"],
    "contact_phone": ["invalid_phone_number"], "locations": ["location_required"], "postcode": ["invalid_postcode"],
}  # fmt: skip
WRITE_DESCRIPTION = (
    "Only your own organisation's services can be changed: another organisation's answers 404, as an id that "
    "does not exist does. The directory is public (it is also published as Open Referral UK at /openreferral/): "
    "never put a person's details in it."
)


@extend_schema_view(
    list=extend_schema(summary="Search the whole scheme's service directory",
                       responses=ServiceOutputSerializer(many=True)),
    retrieve=extend_schema(summary="A service of the directory", parameters=[SERVICE_ID],
                           responses=ServiceOutputSerializer),
    create=extend_schema(summary="Add a service of your organisation's", description=WRITE_DESCRIPTION,
                         request=ServiceInputSerializer, responses={201: ServiceOutputSerializer}),
    update=extend_schema(summary="Replace one of your services' details", description=WRITE_DESCRIPTION,
                         parameters=[SERVICE_ID], request=ServiceInputSerializer, responses=ServiceOutputSerializer),
    partial_update=extend_schema(summary="Change some of one of your services' details", description=WRITE_DESCRIPTION,
                                 parameters=[SERVICE_ID], request=ServiceInputSerializer,
                                 responses=ServiceOutputSerializer),
    retire=extend_schema(summary="Retire one of your services for good (status defunct, closed to referrals)",
                         description=WRITE_DESCRIPTION, parameters=[SERVICE_ID], request=ServiceRetireInputSerializer,
                         responses=ServiceOutputSerializer),
)  # fmt: skip
@extend_validation_errors(["invalid"], field_name="place", actions=["list"])
class ServiceViewSet(PartnerViewSetMixin, viewsets.GenericViewSet):
    serializer_class = ServiceOutputSerializer
    refusals = {
        "create": RULES,
        "update": {None: ["illegal_transition"], **RULES},
        "partial_update": {None: ["illegal_transition"], **RULES},
        "retire": {None: ["illegal_transition"]},
    }
    filterset_class = ServiceFilter
    # Any case, as in bodies and filters (a UUID's hex digits are case-insensitive).
    lookup_value_regex = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular, generating the schema
            return Service.objects.none()
        return selectors.service_search(listed_only=False)

    def get_object(self):
        service = selectors.service_get(pk=self.kwargs["pk"])
        if service is None:
            raise Http404("No such service")
        return service

    def _own(self) -> Service:
        service = selectors.service_get_own(organisation=self.organisation, pk=self.kwargs["pk"])
        if service is None:
            raise Http404("No such service")
        return service

    def _fresh(self, service: Service) -> Service:
        return selectors.service_get(pk=service.pk)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(ServiceOutputSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(ServiceOutputSerializer(self.get_object()).data)

    def create(self, request):
        serializer = ServiceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        details = dict(serializer.validated_data)
        locations = details.pop("locations", [])
        service = services.service_create(actor=self.actor, locations=locations, **details)
        return Response(ServiceOutputSerializer(self._fresh(service)).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        service = self._own()
        serializer = ServiceInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        # PUT replaces the details: what it leaves out goes back to its default, not kept.
        details = dict(serializer.validated_data if partial else serializer.replacement(serializer.validated_data))
        locations = details.pop("locations", None)
        service = services.service_update(actor=self.actor, service=service, locations=locations, **details)
        return Response(ServiceOutputSerializer(self._fresh(service)).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        service = self._own()
        ServiceRetireInputSerializer(data=request.data).is_valid(raise_exception=True)
        service = services.service_retire(actor=self.actor, service=service)
        return Response(ServiceOutputSerializer(self._fresh(service)).data)
