"""The reports' partner API: a month's impact report as JSON, and the issued snapshots with their files.

Who sees what is the page's rule (inclusion/reports/selectors.py): a key sees its own organisation's report
in full; the whole scheme's and each local authority's with small numbers suppressed, as a partner sees them
on the page; the scheme lead's keys also any other organisation's, suppressed. Any other organisation, and
one that does not exist, is the same 404. Snapshots: the key's organisation's own and the whole scheme's;
another organisation's is a 404.
"""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from inclusion.api.schema import PartnerAutoSchema
from inclusion.api.views import PartnerViewSetMixin

from .. import downloads, selectors
from ..build import report_build
from ..definitions import add_months
from ..models import ReportSnapshot
from .serializers import (
    MonthlyReportQuerySerializer,
    ReportSerializer,
    ReportSnapshotDetailSerializer,
    ReportSnapshotSerializer,
)

SNAPSHOT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The snapshot's id.")
MONTHLY_DESCRIPTION = (
    "The month's impact report: every figure with its definition, the breakdowns, the month before and the "
    "12-month trend, exactly as on the report page. Your own organisation's (`organisation` = your slug) in "
    "full; the whole scheme's (neither parameter) and a local authority's with counts from 1 to 4 shown as "
    '"<5" and secondary suppression ("[c]"), their values null. No report lists a person.'
)
FILE_DESCRIPTION = "The file exactly as issued. Another organisation's snapshot answers 404."


class OneReportSchema(PartnerAutoSchema):
    """The monthly report's `list` answers one report, not a list of them (schemathesis caught the array)."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


@extend_schema_view(
    list=extend_schema(summary="A month's impact report", description=MONTHLY_DESCRIPTION,
                       parameters=[MonthlyReportQuerySerializer], responses=ReportSerializer),
)  # fmt: skip
@extend_validation_errors(["required", "invalid", "blank", "max_length"], field_name="month", actions=["list"])
@extend_validation_errors(["invalid", "blank", "max_length"], field_name="organisation", actions=["list"])
@extend_validation_errors(["invalid_choice", "one_scope_only"], field_name="local_authority", actions=["list"])
class MonthlyReportViewSet(PartnerViewSetMixin, viewsets.GenericViewSet):
    serializer_class = ReportSerializer
    schema = OneReportSchema()
    pagination_class = None
    filter_backends = []
    input_rules = {
        "list": {"month": ["in_the_future", "too_far_back", "blank"], "organisation": ["blank"],
                 "local_authority": ["one_scope_only"]},
    }  # fmt: skip

    def filters(self) -> dict:
        return {}

    def query_parameters(self) -> set[str]:
        return {*super().query_parameters(), *MonthlyReportQuerySerializer().fields}

    def list(self, request):
        query = MonthlyReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        try:
            organisation, local_authority = selectors.api_scope(
                self.organisation, data.get("organisation"), data.get("local_authority")
            )
        except Http404:
            raise exceptions.NotFound() from None  # the same body for an organisation that does not exist
        start = data["month"]
        report = report_build(start=start, end=add_months(start, 1), organisation=organisation,
                              local_authority=local_authority, viewer=self.organisation)  # fmt: skip
        return Response(report)


@extend_schema_view(
    list=extend_schema(summary="Issued monthly reports: your organisation's own and the whole scheme's",
                       responses=ReportSnapshotSerializer(many=True)),
    retrieve=extend_schema(summary="An issued report, with its figures as issued", parameters=[SNAPSHOT_ID],
                           responses=ReportSnapshotDetailSerializer),
    pdf=extend_schema(summary="An issued report's PDF", description=FILE_DESCRIPTION, parameters=[SNAPSHOT_ID],
                      responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)}),
    xlsx=extend_schema(summary="An issued report's Excel workbook", description=FILE_DESCRIPTION,
                       parameters=[SNAPSHOT_ID],
                       responses={(200, downloads.XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY)}),
)  # fmt: skip
class ReportSnapshotViewSet(PartnerViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ReportSnapshotSerializer
    lookup_value_regex = "[0-9]{1,18}"  # a bigint; anything else is not a snapshot's id (404)
    FILES = ("pdf", "xlsx")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular, generating the schema
            return ReportSnapshot.objects.none()
        return selectors.snapshots_visible_to(self.organisation)

    def get_object(self):
        try:
            return selectors.snapshot_get_visible(self.organisation, int(self.kwargs["pk"]))
        except Http404:
            raise exceptions.NotFound() from None

    def perform_content_negotiation(self, request, force=False):
        # The files answer as files whatever the Accept header; errors are still the JSON error format.
        return super().perform_content_negotiation(request, force=force or self.action in self.FILES)

    def retrieve(self, request, pk=None):
        return Response(ReportSnapshotDetailSerializer(self.get_object(), context={"request": request}).data)

    def _file(self, format: str) -> HttpResponse:
        snapshot = self.get_object()
        content_type = "application/pdf" if format == "pdf" else downloads.XLSX_TYPE
        response = HttpResponse(bytes(getattr(snapshot, format)), content_type=content_type)
        name = downloads.filename(snapshot.figures, format).replace(
            "impact-report-", f"impact-report-v{snapshot.version}-"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        return self._file("pdf")

    @action(detail=True, methods=["get"])
    def xlsx(self, request, pk=None):
        return self._file("xlsx")
