"""The core's partner API: residents, their case notes, and the scheme's organisations.

Thin ViewSets: validate with an input serializer, call one service or selector, shape the output.
Every resident read goes through access.py, so another organisation's resident is a 404.
"""

import django_filters
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from .. import selectors, services
from ..access import resident_get_visible
from ..models import ContactProposal, Resident
from ..privacy import proposals
from ..privacy.models import AccessAction
from ..privacy.services import access_log_record
from ..privacy.sharing import resident_notes_shown
from . import idempotency
from .filters import ContactProposalFilter, ResidentFilter
from .pagination import CappedPagination
from .schema import PartnerAutoSchema
from .serializers import (
    POSSIBLE_DUPLICATE,
    ConsentInputSerializer,
    ConsentOutputSerializer,
    ContactProposalInputSerializer,
    ContactProposalOutputSerializer,
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

    # {action: {attr: [codes]}}: the rules each action may refuse with, documented in the schema under 409 or
    # 422 as inclusion/api/errors.py decides (PartnerAutoSchema): `refusals` for the services' DomainErrors,
    # `input_rules` for those its input serializer checks (which, beside a schema error, are part of a 400).
    refusals: dict[str, dict[str | None, list[str]]] = {}
    input_rules: dict[str, dict[str | None, list[str]]] = {}

    schema = PartnerAutoSchema()
    # An action whose response discloses something each time it is sent (a voucher's code) defines
    # `<action>_replayed(self, body)`, called when an Idempotency-Key replays that response.
    # True on an action (@action(..., large_body=True)) that takes bodies up to API_IMPORT_MAX_BODY_BYTES.
    large_body = False

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttling
        if getattr(self, request.method.lower(), None) is None:
            return  # a method this endpoint does not have: the 405 comes next
        self.check_query_parameters(request)
        if request.method == "POST" and (key := idempotency.key_from(request)) is not None:
            self.post = self._run_once(self.post, key)

    def _run_once(self, handler, key: str):
        """`handler`, done at most once per Idempotency-Key (see inclusion/api/idempotency.py)."""

        def run(request, *args, **kwargs):
            request_fingerprint = idempotency.fingerprint(request)

            def respond():
                try:
                    response = handler(request, *args, **kwargs)
                except Exception as exc:
                    response = self.handle_exception(exc)
                response = self.finalize_response(request, response, *args, **kwargs)
                return response.render() if hasattr(response, "render") else response

            return idempotency.run_once(api_key=request.user.api_key, key=key, request_fingerprint=request_fingerprint,
                                        handler=respond, on_replay=getattr(self, f"{self.action}_replayed", None))  # fmt: skip

        return run

    def filters(self) -> dict:
        """{name: filter} of this request's FilterSet (none but for lists)."""
        if self.request.method != "GET" or self.action == "retrieve":
            return {}
        filterset = DjangoFilterBackend().get_filterset_class(self, self.get_queryset())
        return dict(filterset.base_filters) if filterset else {}

    def query_parameters(self) -> set[str]:
        """The query parameters this request may carry: its filters and, for lists, page and page_size."""
        names = {api_settings.URL_FORMAT_OVERRIDE, *self.filters()}
        if self.request.method == "GET" and self.action != "retrieve" and self.paginator is not None:
            names |= {self.paginator.page_query_param, self.paginator.page_size_query_param}
        return names

    def check_query_parameters(self, request) -> None:
        """An unknown or repeated query parameter is a 400 naming it: a misspelt filter (?need_device=true)
        would otherwise be ignored, and the whole list returned as if it had matched."""
        allowed = self.query_parameters()
        filters = self.filters()
        errors = {}
        for name, values in request.query_params.lists():
            if name not in allowed:
                errors[name] = [
                    ErrorDetail("Not a parameter of this request (check its spelling).", "unknown_parameter")
                ]
            elif len(values) > 1:
                errors[name] = [ErrorDetail("Give this parameter once.", "repeated_parameter")]
            elif values == [""] and name in filters and not isinstance(filters[name], django_filters.CharFilter):
                # An empty id, date, choice or boolean is not one: say so rather than return the whole list.
                code = "invalid_choice" if isinstance(filters[name], django_filters.ChoiceFilter) else "invalid"
                errors[name] = [ErrorDetail("Give a value, or leave the parameter out.", code)]
        if errors:
            raise ValidationError(errors)

    def perform_authentication(self, request):
        super().perform_authentication(request)
        # DRF copies the authenticated PartnerSystem onto the Django request too, where code that
        # expects a User reads it. The key is recorded on the case timeline and as who made the field
        # history's changes (inclusion.audit.history_context_api_key); to Django, the caller is anonymous.
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
class ResidentViewSet(PartnerViewSetMixin, viewsets.GenericViewSet):
    serializer_class = ResidentOutputSerializer
    refusals = {
        "consents": {"purpose": ["already_current"]},
        # A linked organisation changes only the skills baseline (inclusion.privacy.sharing): it proposes the rest.
        "update": {None: ["not_owner", "restricted"]},
        "partial_update": {None: ["not_owner", "restricted"]},
        "contact_proposals": {None: ["is_owner", "restricted", "nothing_changed", "already_pending"]},
    }
    # Rules the input serializer checks (a 422 on their own, else part of the 400), documented in the schema.
    input_rules = {
        "list": {"page": ["too_deep"]},  # past the first CappedPagination.MAX_RESULTS
        "create": {"date_of_birth": ["in_the_future", "out_of_range"], "phone": ["invalid_phone_number"]},
        "update": {"date_of_birth": ["in_the_future", "out_of_range"], "phone": ["invalid_phone_number"]},
        "partial_update": {"date_of_birth": ["in_the_future", "out_of_range", "date_of_birth_or_age_band"],
                           "phone": ["invalid_phone_number"]},
        "contact_proposals": {"phone": ["invalid_phone_number"]},  # a proposed number is checked like any other
    }  # fmt: skip
    filterset_class = ResidentFilter
    # Any case, as in bodies and filters (a UUID's hex digits are case-insensitive).
    lookup_value_regex = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    rate_limited_actions = {"create"}  # DUPLICATE_CHECKS_PER_HOUR per key: 429 beyond it

    def get_queryset(self):
        # What the filters and the schema are declared on; lists read through selectors.resident_list.
        return Resident.objects.none()

    @property
    def pagination_class(self):
        """The list counts up to a cap and pages only that deep (CappedPagination); notes and consents page as
        every list does. A property, so that the schema documents each action's own."""
        return CappedPagination if getattr(self, "action", None) == "list" else api_settings.DEFAULT_PAGINATION_CLASS

    def get_object(self):
        return resident_get_visible(self.organisation, self.kwargs["pk"])

    def list(self, request):
        # The filters are checked once and applied inside each part of the access rule (VisibleResidents), where
        # the per-organisation indexes serve them; the count stops at CappedPagination.MAX_RESULTS.
        filterset = ResidentFilter(request.query_params, queryset=Resident.objects.none(), request=request)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        visible = selectors.resident_list(organisation=self.organisation)
        shown_to = {"organisation": self.organisation}  # equality answers: the owner's only
        page = self.paginator.paginate_visible(
            visible, filterset.filter_queryset_besides_search, request, search=filterset.search()
        )
        return self.paginator.get_paginated_response(ResidentOutputSerializer(page, many=True, context=shown_to).data)

    def retrieve(self, request, pk=None):
        resident = self.get_object()
        access_log_record(actor=self.actor, action=AccessAction.RESIDENT_VIEWED, resident=resident, request=request)
        return Response(ResidentOutputSerializer(resident, context={"organisation": self.organisation}).data)

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
        # PUT replaces the details: what it leaves out is cleared, not kept.
        details = serializer.validated_data if partial else serializer.replacement(serializer.validated_data)
        resident = services.resident_update(actor=self.actor, resident=resident, **details)
        return Response(ResidentOutputSerializer(resident, context={"organisation": self.organisation}).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    @extend_schema(
        summary="Propose new contact details to the resident's owner",
        description="For a resident another organisation registered (shared with yours by a loan or a referral): "
        "their details are the owner's, so a change of phone, email, address or preferred contact is proposed "
        "here and the owner's staff accept or reject it. Give the fields that changed. Refused to the owner "
        "(is_owner: change the resident instead), while your earlier proposal waits (already_pending) and when "
        "nothing differs (nothing_changed).",
        request=ContactProposalInputSerializer, responses={201: ContactProposalOutputSerializer},
    )  # fmt: skip
    @action(detail=True, methods=["post"], url_path="contact-proposals", filterset_class=None)
    def contact_proposals(self, request, pk=None):
        resident = self.get_object()
        serializer = ContactProposalInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        proposal = proposals.contact_update_propose(actor=self.actor, resident=resident, **serializer.validated_data)
        return Response(ContactProposalOutputSerializer(proposal).data, status=status.HTTP_201_CREATED)

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
        notes = resident_notes_shown(organisation=self.organisation, resident=resident,
                                     notes=selectors.resident_notes(resident=resident))  # fmt: skip
        page = self.paginate_queryset(notes)
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


PROPOSAL_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The proposal's id.")


def _decide_schema(summary: str, description: str):
    return extend_schema(summary=summary, description=description, request=None, parameters=[PROPOSAL_ID],
                         responses=ContactProposalOutputSerializer)  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        summary="Contact updates proposed by you, or about your residents",
        description="Newest first. `direction` is sent (proposed by you: each with its outcome) or received (about "
        "residents you registered: answer the pending ones with accept or reject); `status` pending, accepted or "
        "rejected.",
        responses=ContactProposalOutputSerializer(many=True),
    ),
    retrieve=extend_schema(summary="A contact update proposed by you, or about one of your residents",
                           parameters=[PROPOSAL_ID], responses=ContactProposalOutputSerializer),
    accept=_decide_schema(
        "Accept a proposed contact update about your resident",
        "Their details change to the proposed values (as a change of the resident would: it is on their timeline). "
        "Only the organisation that registered the resident answers (not_owner); once (already_decided); not while "
        "their record is restricted (restricted).",
    ),
    reject=_decide_schema(
        "Reject a proposed contact update about your resident",
        "Nothing changes but the proposal; the proposing organisation sees it rejected. Only the organisation that "
        "registered the resident answers (not_owner); once (already_decided).",
    ),
)  # fmt: skip
class ContactProposalViewSet(PartnerViewSetMixin, viewsets.GenericViewSet):
    """Contact updates a linked organisation proposed to a resident's owner (inclusion/privacy/proposals.py): the
    owner answers them here, and the proposer reads the outcome. Proposing is POST /residents/{id}/contact-proposals/."""

    serializer_class = ContactProposalOutputSerializer
    filterset_class = ContactProposalFilter
    lookup_value_regex = "[0-9]+"
    refusals = {
        "accept": {None: ["not_owner", "already_decided", "restricted"]},
        "reject": {None: ["not_owner", "already_decided"]},
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular, generating the schema
            return ContactProposal.objects.none()
        return proposals.contact_proposals_for(organisation=self.organisation)

    def get_object(self) -> ContactProposal:
        proposal = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if proposal is None:
            raise Http404("No such contact proposal")
        return proposal

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(ContactProposalOutputSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(ContactProposalOutputSerializer(self.get_object()).data)

    @action(detail=True, methods=["post"], filterset_class=None)
    def accept(self, request, pk=None):
        proposal = proposals.contact_proposal_accept(actor=self.actor, proposal=self.get_object())
        return Response(ContactProposalOutputSerializer(proposal).data)

    @action(detail=True, methods=["post"], filterset_class=None)
    def reject(self, request, pk=None):
        proposal = proposals.contact_proposal_reject(actor=self.actor, proposal=self.get_object())
        return Response(ContactProposalOutputSerializer(proposal).data)
