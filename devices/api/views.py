"""The devices partner API: the organisation's device stock, and its loans with their actions.

Thin ViewSets: validate with an input serializer, call one service or selector, shape the output.
Devices and loans are read through devices.selectors, scoped to the calling organisation, so another
organisation's device or loan is a 404; residents through inclusion.access.
"""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from inclusion.api.views import PartnerViewSetMixin
from inclusion.pdf import pdf_response

from .. import selectors, services
from ..models import Device, Kit, KitLoan, Loan, Reservation
from ..receipts import LOAN_RECEIPT_PDF, RETURN_RECEIPT_PDF, receipt_context
from ..reservations import selectors as reservation_selectors
from ..reservations import services as reservation_services
from .filters import DeviceFilter, LoanFilter
from .serializers import (
    CheckInInputSerializer,
    CheckInOutputSerializer,
    DeviceCreateInputSerializer,
    DeviceOutputSerializer,
    DeviceStatusInputSerializer,
    DeviceUpdateInputSerializer,
    DeviceWipeInputSerializer,
    KitLoanCreateInputSerializer,
    KitLoanOutputSerializer,
    KitOutputSerializer,
    LoanCreateInputSerializer,
    LoanExtendInputSerializer,
    LoanGiftInputSerializer,
    LoanOutputSerializer,
    LoanRenewInputSerializer,
    LoanReportLostInputSerializer,
    LoanReturnInputSerializer,
    ReservationCancelInputSerializer,
    ReservationCreateInputSerializer,
    ReservationOutputSerializer,
)

ASSET_TAG = OpenApiParameter("asset_tag", str, OpenApiParameter.PATH, description="The device's asset tag (any case).")
LOAN_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The loan's id.")
DEVICE_WRITES = ["create", "update", "partial_update"]


@extend_schema_view(
    list=extend_schema(summary="List your device stock", responses=DeviceOutputSerializer(many=True)),
    retrieve=extend_schema(summary="One of your devices", parameters=[ASSET_TAG], responses=DeviceOutputSerializer),
    create=extend_schema(summary="Add a device to your stock (status 'received')",
                         request=DeviceCreateInputSerializer, responses={201: DeviceOutputSerializer}),
    update=extend_schema(summary="Replace a device's details", parameters=[ASSET_TAG],
                         request=DeviceUpdateInputSerializer, responses=DeviceOutputSerializer),
    partial_update=extend_schema(summary="Change some of a device's details", parameters=[ASSET_TAG],
                                 request=DeviceUpdateInputSerializer, responses=DeviceOutputSerializer),
)  # fmt: skip
class DeviceViewSet(PartnerViewSetMixin, viewsets.GenericViewSet):
    serializer_class = DeviceOutputSerializer
    refusals = {
        "create": {"asset_tag": ["duplicate"]},
        "wipe": {None: ["illegal_transition"], "wiped_on": ["in_the_future"]},
        "change_status": {None: ["illegal_transition", "wipe_required"]},
    }
    filterset_class = DeviceFilter
    lookup_field = "asset_tag"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular, generating the schema
            return Device.objects.none()
        return selectors.device_list(organisation=self.organisation)

    def get_object(self):
        device = selectors.device_get(organisation=self.organisation, asset_tag=self.kwargs["asset_tag"])
        if device is None:
            raise Http404("No such device")
        return device

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(DeviceOutputSerializer(page, many=True).data)

    def retrieve(self, request, asset_tag=None):
        return Response(DeviceOutputSerializer(self.get_object()).data)

    def create(self, request):
        serializer = DeviceCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device = services.device_create(actor=self.actor, **serializer.validated_data)
        return Response(DeviceOutputSerializer(device).data, status=status.HTTP_201_CREATED)

    def update(self, request, asset_tag=None, partial=False):
        device = self.get_object()
        serializer = DeviceUpdateInputSerializer(device, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        # PUT replaces the details: what it leaves out goes back to its default, not kept.
        details = serializer.validated_data if partial else serializer.replacement(serializer.validated_data)
        device = services.device_update(actor=self.actor, device=device, **details)
        return Response(DeviceOutputSerializer(device).data)

    def partial_update(self, request, asset_tag=None):
        return self.update(request, asset_tag=asset_tag, partial=True)

    @extend_schema(summary="Record a data wipe (the device becomes 'wiped')", parameters=[ASSET_TAG],
                   request=DeviceWipeInputSerializer, responses=DeviceOutputSerializer)  # fmt: skip
    @action(detail=True, methods=["post"])
    def wipe(self, request, asset_tag=None):
        device = self.get_object()
        serializer = DeviceWipeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.device_wipe_record(actor=self.actor, device=device, **serializer.validated_data)
        device.refresh_from_db()
        return Response(DeviceOutputSerializer(device).data)

    @extend_schema(summary="Mark ready, send for repair, retire or write off", parameters=[ASSET_TAG],
                   request=DeviceStatusInputSerializer, responses=DeviceOutputSerializer)  # fmt: skip
    @action(detail=True, methods=["post"], url_path="status", url_name="status")
    def change_status(self, request, asset_tag=None):
        device = self.get_object()
        serializer = DeviceStatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device = services.device_transition(actor=self.actor, device=device, **serializer.validated_data)
        return Response(DeviceOutputSerializer(device).data)


@extend_schema_view(
    list=extend_schema(summary="List your organisation's loans", responses=LoanOutputSerializer(many=True)),
    retrieve=extend_schema(summary="A loan", parameters=[LOAN_ID], responses=LoanOutputSerializer),
    create=extend_schema(summary="Lend a device to a resident", request=LoanCreateInputSerializer,
                         responses={201: LoanOutputSerializer}),
    return_loan=extend_schema(summary="Record the device's return (closes the loan)", parameters=[LOAN_ID],
                              request=LoanReturnInputSerializer, responses=LoanOutputSerializer),
    extend=extend_schema(summary="Extend the loan by your policy's extension length", parameters=[LOAN_ID],
                         request=LoanExtendInputSerializer, responses=LoanOutputSerializer),
    report_lost=extend_schema(summary="Report the device lost or stolen (closes the loan)", parameters=[LOAN_ID],
                              request=LoanReportLostInputSerializer, responses=LoanOutputSerializer),
    gift=extend_schema(summary="Give the device to the resident to keep (closes the loan)", parameters=[LOAN_ID],
                       request=LoanGiftInputSerializer, responses=LoanOutputSerializer),
)  # fmt: skip
class LoanViewSet(PartnerViewSetMixin, viewsets.GenericViewSet):
    serializer_class = LoanOutputSerializer
    refusals = {
        "create": {
            None: ["illegal_transition"], "device": ["already_on_loan", "held_for_reservation"],
            "resident": ["too_many_loans", "overdue_loan", "consent_missing", "consent_refused", "no_contact_route"],
            "due_on": ["before_start", "beyond_policy", "open_ended"],
            "agreement_accepted": ["not_accepted"],
            "witness_name": ["required"], "accepted_name": ["required"], "started_on": ["in_the_future", "too_far_back"],
        },
        "return_loan": {None: ["loan_closed"], "returned_on": ["out_of_range"], "accessories_returned": ["not_lent_with"]},
        "extend": {None: ["loan_closed", "extension_limit"]},
        "report_lost": {None: ["loan_closed"]},
        "gift": {None: ["loan_closed"]},
    }  # fmt: skip
    input_rules = {"create": {"device": ["does_not_exist"], "resident": ["does_not_exist"]}}
    filterset_class = LoanFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular, generating the schema
            return Loan.objects.none()
        return selectors.loan_list(organisation=self.organisation)

    def get_object(self):
        return self._loan(self.kwargs["pk"])

    def _loan(self, pk) -> Loan:
        """The loan as the selector gives it (with `overdue`), or 404 if it is not this organisation's."""
        loan = selectors.loan_get(organisation=self.organisation, pk=pk)
        if loan is None:
            raise Http404("No such loan")
        return loan

    def _updated(self, loan: Loan) -> Response:
        return Response(LoanOutputSerializer(self._loan(loan.pk)).data)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(LoanOutputSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(LoanOutputSerializer(self.get_object()).data)

    def create(self, request):
        serializer = LoanCreateInputSerializer(data=request.data, context={"organisation": self.organisation})
        serializer.is_valid(raise_exception=True)
        loan = services.loan_create(actor=self.actor, **serializer.validated_data)
        return Response(LoanOutputSerializer(self._loan(loan.pk)).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_loan(self, request, pk=None):
        loan = self.get_object()
        serializer = LoanReturnInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._updated(services.loan_return(actor=self.actor, loan=loan, **serializer.validated_data))

    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        loan = self.get_object()
        serializer = LoanExtendInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._updated(services.loan_extend(actor=self.actor, loan=loan, **serializer.validated_data))

    @action(detail=True, methods=["post"], url_path="report-lost", url_name="report-lost")
    def report_lost(self, request, pk=None):
        loan = self.get_object()
        serializer = LoanReportLostInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._updated(services.loan_report_lost(actor=self.actor, loan=loan, **serializer.validated_data))

    @action(detail=True, methods=["post"])
    def gift(self, request, pk=None):
        loan = self.get_object()
        serializer = LoanGiftInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._updated(services.loan_gift(actor=self.actor, loan=loan, **serializer.validated_data))


PDF = {(200, "application/pdf"): OpenApiTypes.BINARY}


def _loan_pdf(view, pk, template: str, name: str, *, returned_only: bool = False):
    loan = selectors.loans_mark_resident_visible(organisation=view.organisation, loans=[view._loan(pk)])[0]
    if returned_only and loan.outcome != "returned":
        raise Http404("Not returned")
    return pdf_response(view.request, template, receipt_context(organisation=view.organisation, loan=loan),
                        filename=f"{name}-{loan.pk}.pdf")  # fmt: skip


@extend_schema_view(
    receipt=extend_schema(summary="The loan receipt, as a PDF (a kit's lists every item)", parameters=[LOAN_ID],
                          responses=PDF),
    return_receipt=extend_schema(summary="The return receipt of a returned loan, as a PDF (404 until returned)",
                                 parameters=[LOAN_ID], responses=PDF),
    renew=extend_schema(summary="Renew an open-ended loan: its renewal date moves on by your loan length",
                        parameters=[LOAN_ID], request=LoanRenewInputSerializer, responses=LoanOutputSerializer),
)  # fmt: skip
class LoanDocumentsViewSet(LoanViewSet):
    """The loan's receipts and its renewal, beside the loan endpoints (same URLs, /loans/{id}/...)."""

    refusals = {**LoanViewSet.refusals, "renew": {None: ["loan_closed", "not_open_ended", "long_overdue"]}}

    @action(detail=True, methods=["get"])
    def receipt(self, request, pk=None):
        return _loan_pdf(self, pk, LOAN_RECEIPT_PDF, "loan-receipt")

    @action(detail=True, methods=["get"], url_path="return-receipt", url_name="return-receipt")
    def return_receipt(self, request, pk=None):
        return _loan_pdf(self, pk, RETURN_RECEIPT_PDF, "return-receipt", returned_only=True)

    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        loan = self.get_object()
        serializer = LoanRenewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._updated(services.loan_renew(actor=self.actor, loan=loan, **serializer.validated_data))


@extend_schema_view(list=extend_schema(summary="Your kit templates", responses=KitOutputSerializer(many=True)))
class KitViewSet(PartnerViewSetMixin, viewsets.GenericViewSet):
    serializer_class = KitOutputSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Kit.objects.none()
        return selectors.kits(organisation=self.organisation)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(KitOutputSerializer(page, many=True).data)


KIT_LOAN_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The kit loan's id.")


@extend_schema_view(
    create=extend_schema(summary="Lend a kit: one device of each of its kinds, one agreement",
                         request=KitLoanCreateInputSerializer, responses={201: KitLoanOutputSerializer}),
    retrieve=extend_schema(summary="A kit loan and its items", parameters=[KIT_LOAN_ID],
                           responses=KitLoanOutputSerializer),
)  # fmt: skip
class KitLoanViewSet(PartnerViewSetMixin, viewsets.GenericViewSet):
    serializer_class = KitLoanOutputSerializer
    lookup_value_regex = "[0-9]+"
    refusals = {
        "create": {
            None: ["illegal_transition"], "device": ["already_on_loan", "held_for_reservation"],
            "devices": ["kit_mismatch", "duplicate"],
            "resident": ["too_many_loans", "overdue_loan", "consent_missing", "consent_refused", "no_contact_route"],
            "agreement_accepted": ["not_accepted"], "witness_name": ["required"], "accepted_name": ["required"],
            # the kit's voucher line (voucher_issue's refusals): nothing is lent
            "issue_voucher": ["not_eligible", "out_of_stock", "consent_missing", "consent_refused", "no_contact_route"],
        },
    }  # fmt: skip
    input_rules = {"create": {"kit": ["does_not_exist"], "resident": ["does_not_exist"], "devices": ["does_not_exist"]}}

    def get_queryset(self):
        return KitLoan.objects.none()  # read one at a time, through the selector

    def _kit_loan(self, pk):
        kit_loan = selectors.kit_loan_get(organisation=self.organisation, pk=pk)
        if kit_loan is None:
            raise Http404("No such kit loan")
        return kit_loan

    def retrieve(self, request, pk=None):
        return Response(KitLoanOutputSerializer(self._kit_loan(pk)).data)

    def create(self, request):
        serializer = KitLoanCreateInputSerializer(data=request.data, context={"organisation": self.organisation})
        serializer.is_valid(raise_exception=True)
        kit_loan = services.kit_loan_create(actor=self.actor, **serializer.validated_data)
        return Response(KitLoanOutputSerializer(self._kit_loan(kit_loan.pk)).data, status=status.HTTP_201_CREATED)


RESERVATION_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The reservation's id.")


@extend_schema_view(
    list=extend_schema(summary="Your waiting list: active reservations, oldest first",
                       responses=ReservationOutputSerializer(many=True)),
    create=extend_schema(summary="Put a resident on your waiting list for a kind of device",
                         request=ReservationCreateInputSerializer, responses={201: ReservationOutputSerializer}),
    retrieve=extend_schema(summary="One reservation", parameters=[RESERVATION_ID],
                           responses=ReservationOutputSerializer),
    cancel=extend_schema(summary="Take a reservation off the waiting list (a device held for it goes to the next)",
                         parameters=[RESERVATION_ID], request=ReservationCancelInputSerializer,
                         responses=ReservationOutputSerializer),
)  # fmt: skip
class ReservationViewSet(PartnerViewSetMixin, viewsets.GenericViewSet):
    serializer_class = ReservationOutputSerializer
    lookup_value_regex = "[0-9]+"
    refusals = {"create": {"kind": ["duplicate"], "referral": ["not_for_lending", "referral_closed"]},
                "cancel": {None: ["illegal_transition", "changed"], "reason": ["required"]}}  # fmt: skip
    input_rules = {"create": {"resident": ["does_not_exist"], "referral": ["does_not_exist"]}}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Reservation.objects.none()
        return (Reservation.objects.filter(organisation=self.organisation, status__in=["waiting", "offered"])
                .select_related("device").order_by("kind", "created_at", "pk"))  # fmt: skip

    def _reservation(self, pk):
        found = reservation_selectors.reservation_get(organisation=self.organisation, pk=pk)
        if found is None:
            raise Http404("No such reservation")
        return found

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ReservationOutputSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(ReservationOutputSerializer(self._reservation(pk)).data)

    def create(self, request):
        serializer = ReservationCreateInputSerializer(data=request.data, context={"organisation": self.organisation})
        serializer.is_valid(raise_exception=True)
        reservation = reservation_services.reservation_create(actor=self.actor, **serializer.validated_data)
        return Response(ReservationOutputSerializer(self._reservation(reservation.pk)).data,
                        status=status.HTTP_201_CREATED)  # fmt: skip

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        reservation = self._reservation(pk)
        serializer = ReservationCancelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reservation_services.reservation_cancel(actor=self.actor, reservation=reservation, **serializer.validated_data)
        return Response(ReservationOutputSerializer(self._reservation(pk)).data)


@extend_schema_view(
    create=extend_schema(summary="The returns desk: return every device whose tag is sent, as it went out",
                         request=CheckInInputSerializer, responses={200: CheckInOutputSerializer}),
)  # fmt: skip
class CheckInViewSet(PartnerViewSetMixin, viewsets.GenericViewSet):
    """One result per distinct tag: returned, or why not (no device of yours, not on loan, refused). Each tag is
    returned in its own transaction: a refused tag leaves the others returned."""

    serializer_class = CheckInOutputSerializer

    def get_queryset(self):
        return Loan.objects.none()

    def create(self, request):
        serializer = CheckInInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        results = services.loans_check_in(actor=self.actor, tags=serializer.validated_data["tags"])
        return Response(CheckInOutputSerializer({"results": results}).data)
