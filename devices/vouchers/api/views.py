"""The voucher partner API: batches (list, retrieve, import), vouchers (list, masked), issue, and the
activate / fail / withdraw actions. Thin: validate, call one service or selector, shape the output."""

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from inclusion.access import resident_get_visible
from inclusion.api.views import PartnerViewSetMixin

from .. import selectors as voucher_selectors
from .. import services as voucher_services
from ..models import Voucher, VoucherBatch
from .filters import VoucherFilter
from .serializers import (
    VoucherBatchImportSerializer,
    VoucherBatchOutputSerializer,
    VoucherFailedSerializer,
    VoucherFailSerializer,
    VoucherImportReportSerializer,
    VoucherIssuedSerializer,
    VoucherIssueSerializer,
    VoucherOutputSerializer,
    VoucherWithdrawSerializer,
)

# A whole code is a bearer secret: no cache (a proxy's or a client library's) may keep it.
NO_STORE = {"Cache-Control": "no-store"}


@extend_schema_view(
    list=extend_schema(summary="Your organisation's voucher batches, with counts by status"),
    retrieve=extend_schema(summary="A voucher batch"),
)
class VoucherBatchViewSet(
    PartnerViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = VoucherBatchOutputSerializer
    queryset = VoucherBatch.objects.none()
    rate_limited_actions = {"import_batch"}  # VOUCHER_IMPORTS_PER_HOUR per key, dry runs included: 429 beyond
    refusals = {"import_batch": {"vouchers.INDEX": ["invalid_row"], "vouchers": ["invalid_row"],
                                 "expires_on": ["expired"], None: ["duplicate"]}}  # fmt: skip
    input_rules = {"import_batch": {"received_on": ["in_the_future"]}}
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return VoucherBatch.objects.none()
        return voucher_selectors.voucher_batch_list(organisation=self.organisation)

    @extend_schema(
        summary="Import a batch of vouchers (all or nothing; dry_run checks only)",
        request=VoucherBatchImportSerializer,
        responses={201: VoucherImportReportSerializer, 200: VoucherImportReportSerializer},
        description="Every bad row is reported as an error whose attr is `vouchers.<index>`; nothing is imported "
        'unless every row is good. A code another organisation holds is refused as "cannot be imported: check it '
        "with the provider\". Each import or dry run is recorded and counts against the key's hourly limit "
        "(429 with Retry-After beyond it).",
    )
    @action(detail=False, methods=["post"], url_path="import", large_body=True)
    def import_batch(self, request):
        serializer = VoucherBatchImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        dry_run, vouchers = data.pop("dry_run"), data.pop("vouchers")
        data = {key: value for key, value in data.items() if value is not None or key in ("data_allowance_gb",)}
        # Row "lines" count from 1 (line 0 is the batch itself); errors name the row as vouchers.<index>.
        rows = [voucher_services.ImportRow(line=index + 1, **{k: v.strip() for k, v in row.items()})
                for index, row in enumerate(vouchers)]  # fmt: skip
        report = voucher_services.voucher_batch_import(actor=self.actor, rows=rows, dry_run=dry_run, **data)
        if report.errors:
            raise ValidationError(_errors_by_row(report.errors))  # codes invalid_row and expired: a 422
        batch = (
            voucher_selectors.voucher_batch_get(organisation=self.organisation, pk=report.batch.pk)
            if report.batch
            else None
        )
        body = VoucherImportReportSerializer(
            {"dry_run": dry_run, "rows": report.rows, "imported": report.imported, "batch": batch}
        ).data
        return Response(body, status=status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED)


def _errors_by_row(errors: list[tuple[int, str]]) -> dict[str, list[ErrorDetail]]:
    """[(line, reason)] → {"vouchers.<index>": [...], "expires_on": [...]}: every bad row named."""
    result: dict[str, list[ErrorDetail]] = {}
    for line, reason in errors:
        attr = f"vouchers.{line - 1}" if line else ("expires_on" if "expired" in reason else "vouchers")
        code = "expired" if attr == "expires_on" else "invalid_row"
        result.setdefault(attr, []).append(ErrorDetail(reason, code=code))
    return result


@extend_schema_view(
    list=extend_schema(summary="Your organisation's vouchers (codes masked)"),
    retrieve=extend_schema(summary="A voucher (code masked)"),
)
class VoucherViewSet(PartnerViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = VoucherOutputSerializer
    queryset = Voucher.objects.none()
    refusals = {
        "issue": {
            "resident": ["does_not_exist", "consent_missing", "consent_refused"],
            "kind": ["not_eligible", "out_of_stock"],
        },
        "activate": {None: ["illegal_transition", "voucher_changed"]},
        "fail": {None: ["illegal_transition", "voucher_changed"]},
        "withdraw": {None: ["illegal_transition", "voucher_changed"]},
        "reveal": {None: ["not_issued", "voucher_changed"]},
    }
    lookup_value_regex = "[0-9]+"  # anything else is an unrouted path: 404, not a 500 from int("abc")
    filterset_class = VoucherFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Voucher.objects.none()
        return voucher_selectors.voucher_list(organisation=self.organisation)

    def get_object(self):
        voucher = voucher_selectors.voucher_get(organisation=self.organisation, pk=self.kwargs["pk"])
        if voucher is None:
            raise Http404("No such voucher")
        return voucher

    @extend_schema(summary="Issue a voucher to a resident: returns its code in full, once",
                   request=VoucherIssueSerializer, responses={201: VoucherIssuedSerializer})  # fmt: skip
    @action(detail=False, methods=["post"], filterset_class=None)
    def issue(self, request):
        serializer = VoucherIssueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            resident = resident_get_visible(self.organisation, serializer.validated_data["resident"])
        except Http404:
            raise ValidationError({"resident": ["No such resident."]}, code="does_not_exist") from None
        voucher = voucher_services.voucher_issue(actor=self.actor, resident=resident,
                                                 kind=serializer.validated_data["kind"],
                                                 provider=serializer.validated_data.get("provider"))  # fmt: skip
        return Response(VoucherIssuedSerializer(voucher).data, status=status.HTTP_201_CREATED, headers=NO_STORE)

    @extend_schema(
        summary="Show an issued voucher's code again (recorded on the resident's timeline)",
        request=None, responses=VoucherIssuedSerializer,
        description="Like the staff web's \"Show code\": every reveal goes on the resident's case timeline. "
        "Send an Idempotency-Key to get the same response again if this one is lost.",
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        voucher = self.get_object()
        voucher_services.voucher_reveal(actor=self.actor, voucher=voucher)
        return Response(VoucherIssuedSerializer(voucher).data, headers=NO_STORE)

    def issue_replayed(self, body: dict) -> None:
        """A retried issue (Idempotency-Key) shows the whole code again: on the timeline, as a reveal is."""
        voucher = voucher_selectors.voucher_get(organisation=self.organisation, pk=body["id"])
        if voucher is None:
            raise Http404("No such voucher")
        voucher_services.voucher_reveal(actor=self.actor, voucher=voucher)

    reveal_replayed = issue_replayed

    @extend_schema(summary="Mark an issued voucher activated", request=None, responses=VoucherOutputSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        voucher = voucher_services.voucher_activate(actor=self.actor, voucher=self.get_object())
        return Response(VoucherOutputSerializer(voucher).data)

    @extend_schema(summary="Mark an issued voucher failed; a replacement is issued unless replace is false",
                   request=VoucherFailSerializer, responses=VoucherFailedSerializer)  # fmt: skip
    @action(detail=True, methods=["post"])
    def fail(self, request, pk=None):
        voucher = self.get_object()
        serializer = VoucherFailSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        replacement = voucher_services.voucher_fail(actor=self.actor, voucher=voucher, **serializer.validated_data)
        voucher.refresh_from_db()
        return Response(VoucherFailedSerializer({"failed": voucher, "replacement": replacement}).data)

    @extend_schema(summary="Withdraw an available or issued voucher", request=VoucherWithdrawSerializer,
                   responses=VoucherOutputSerializer)  # fmt: skip
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        voucher = self.get_object()
        serializer = VoucherWithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        voucher = voucher_services.voucher_withdraw(actor=self.actor, voucher=voucher, **serializer.validated_data)
        return Response(VoucherOutputSerializer(voucher).data)
