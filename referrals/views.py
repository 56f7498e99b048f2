"""Staff web pages for referrals (/referrals/): refer from the resident page, the inbox (received and sent), the
referral page with its history and messages, the answers (accept, decline, start, complete with the outcome,
not completed, withdraw), bulk answers and webhooks for coordinators.

Each view: load what the URL names through the selectors (another organisation's is 404), form.is_valid() → one
service → redirect; a service's refusal goes on the form (form_refuse)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from inclusion import registry
from inclusion.access import Capability, membership_can
from inclusion.errors import DomainError
from inclusion.web import actor_for, form_refuse, load_resident, paginate, posted, staff_view

from . import selectors, services, webhooks
from .forms import (
    BulkForm,
    DeclineForm,
    MessageForm,
    NotCompletedForm,
    NoteForm,
    OutcomeForm,
    ReferralForm,
    WebhookEndpointForm,
)
from .models import OutcomeStage, ReferralStatus, Service, ServiceKind, WebhookDelivery, WebhookEndpoint

S = ReferralStatus


def load_referral(request, pk, **kwargs) -> dict:
    """A staff_view loader: a referral the organisation sent or received, else 404."""
    referral = selectors.referral_get(organisation=request.membership.organisation, pk=pk)
    if referral is None:
        raise Http404("No such referral")
    return {"referral": referral, **kwargs}


# The inbox

TABS = {"received": "Received", "sent": "Sent"}
STATUS_FILTERS = [("open", "Open"), ("overdue", "Response overdue"), ("awaiting", "Awaiting a response"),
                  ("in_progress", "Accepted or started"), ("closed", "Closed"), ("all", "All")]  # fmt: skip


@staff_view()
def inbox(request):
    organisation = request.membership.organisation
    direction = request.GET.get("direction") if request.GET.get("direction") in TABS else "received"
    status = request.GET.get("status") if request.GET.get("status") in dict(STATUS_FILTERS) else "open"
    referrals = selectors.referral_list(organisation=organisation, direction=direction,
                                        status=None if status == "all" else status)  # fmt: skip
    page = paginate(request, referrals)
    can_bulk = direction == "received" and membership_can(request.membership, Capability.MANAGE_REFERRALS)
    return render(request, "referrals/inbox.html", {
        "page": page, "direction": direction, "status": status, "tabs": TABS, "status_filters": STATUS_FILTERS,
        "counts": selectors.referral_counts(organisation=organisation), "can_bulk": can_bulk,
        "bulk_form": BulkForm(referral_choices=[]),
    })  # fmt: skip


def awaiting_url() -> str:
    return reverse("referrals:inbox") + "?direction=received&status=awaiting"


@staff_view(Capability.MANAGE_REFERRALS)
@require_POST
def bulk(request):
    organisation = request.membership.organisation
    awaiting = selectors.referral_list(organisation=organisation, direction="received", status="awaiting")
    form = BulkForm(request.POST, referral_choices=[str(pk) for pk in awaiting.values_list("pk", flat=True)])
    if not form.is_valid():
        for error in form.errors.get("referrals", []) + form.errors.get("reason", []) + form.errors.get("action", []):
            messages.error(request, error)
        return redirect(awaiting_url())
    chosen = list(awaiting.filter(pk__in=form.cleaned_data["referrals"]))
    done, refused = services.referrals_respond_in_bulk(actor=actor_for(request), referrals=chosen,
                                                       action=form.cleaned_data["action"],
                                                       reason=form.cleaned_data.get("reason") or "")  # fmt: skip
    verb = "accepted" if form.cleaned_data["action"] == "accept" else "declined"
    if done:
        messages.success(request, f"{len(done)} referral{'s' if len(done) != 1 else ''} {verb}.")
    for referral, error in refused:
        messages.error(request, f"Referral sent {referral.sent_at:%-d %b %Y} by {referral.from_organisation}: "
                                f"{error.message}")  # fmt: skip
    return redirect(awaiting_url())


# Referring


@staff_view(load=load_resident)
def referral_create(request, resident):
    organisation = request.membership.organisation
    kind = request.GET.get("kind", "") if request.GET.get("kind", "") in ServiceKind.values else ""
    query = request.GET.get("q", "")[:100]
    fits = selectors.services_for_referral(organisation=organisation, resident=resident, kind=kind, query=query)
    choices = [(str(fit.service.pk), fit.service.name) for fit in fits]
    chosen = request.POST.get("service") if request.method == "POST" else request.GET.get("service")
    if chosen and chosen not in dict(choices):  # a service chosen before filtering the list: keep it on offer
        extra = Service.objects.filter(pk=chosen).exclude(organisation=organisation).first() if _uuid(chosen) else None
        if extra is not None:
            fits.insert(0, selectors.ServiceFit(extra))
            choices.insert(0, (str(extra.pk), extra.name))
    need = "device" if resident.needs_device and not resident.needs_skills else "skills"
    form = ReferralForm(posted(request), service_choices=choices,
                        initial={"service": chosen, "need": need, "preferred_contact": resident.preferred_contact_method})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        service = Service.objects.get(pk=data.pop("service"))
        try:
            referral = services.referral_create(actor=actor_for(request), resident=resident, service=service, **data)
        except DomainError as error:
            form_refuse(form, error)
        else:
            messages.success(request, f"Referral sent to {service.name} at {service.organisation}.")
            return redirect("referrals:referral-detail", pk=referral.pk)
    sharing = services.sharing_consent_current(resident)
    return render(request, "referrals/referral_create.html", {
        "resident": resident, "form": form, "fits": fits, "kind": kind, "query": query, "kinds": ServiceKind.choices,
        "sharing_consent": sharing,
    })  # fmt: skip


def _uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# One referral


@staff_view(load=load_referral)
def referral_detail(request, referral):
    organisation = request.membership.organisation
    panels = []  # other apps' next steps (inclusion/registry.py: the waiting list for a device...)
    for panel in registry.referral_panels():
        context = panel.context(request, referral)
        if context is not None:
            panels.append(render_to_string(panel.template, {**context, "referral": referral}, request=request))
    return render(request, "referrals/referral_detail.html", {
        "referral": referral, "history": selectors.referral_history(referral), "panels": panels,
        "moves": services.referral_moves(referral, organisation), "outcomes": referral.outcomes.all(),
        "received": referral.to_organisation_id == organisation.pk, "follow_up_open": services.follow_up_open(referral),
        "message_form": _message_form(referral) if referral.resident_shared else None,
    })  # fmt: skip


def _message_form(referral, data=None) -> MessageForm:
    return MessageForm(data, action=reverse("referrals:referral-message", kwargs={"pk": referral.pk}))


@staff_view(load=load_referral)
@require_POST
def referral_message(request, referral):
    form = _message_form(referral, request.POST)
    if form.is_valid():
        try:
            services.referral_message_add(actor=actor_for(request), referral=referral, body=form.cleaned_data["body"])
        except DomainError as error:
            form_refuse(form, error)
        else:
            messages.success(request, "Message sent.")
            return redirect("referrals:referral-detail", pk=referral.pk)
    return render(request, "referrals/referral_detail.html", {
        "referral": referral, "history": selectors.referral_history(referral),
        "moves": services.referral_moves(referral, request.membership.organisation),
        "outcomes": referral.outcomes.all(), "message_form": form, "form": form,
        "received": referral.to_organisation_id == request.membership.organisation.pk,
    })  # fmt: skip


# The answers: one page each, {url action: (to status, form, title, the service call)}

ACTIONS = {
    "accept": (S.ACCEPTED, "Accept the referral", "Accepted: the referring organisation has been told."),
    "decline": (S.DECLINED, "Decline the referral", "Declined: the referring organisation has been told."),
    "start": (S.STARTED, "Record that they have started", "Recorded as started."),
    "complete": (S.COMPLETED, "Record completion and outcomes", "Completed: outcomes recorded."),
    "not-completed": (S.NOT_COMPLETED, "Record as not completed", "Recorded as not completed."),
    "withdraw": (S.WITHDRAWN, "Withdraw the referral", "Referral withdrawn: the other organisation has been told."),
    # Not a move: the outcome check after completion (services.referral_follow_up_record), open while none is kept.
    "follow-up": (None, "Record the outcome at follow-up", "Follow-up outcome recorded."),
}


def _form(action: str, referral, data):
    if action == "decline":
        return DeclineForm(data)
    if action == "not-completed":
        return NotCompletedForm(data)
    if action == "complete":
        resident = referral.resident if referral.resident_shared else None
        return OutcomeForm(data, resident=resident, confidence_before=referral.confidence_before)
    if action == "follow-up":
        at_completion = next((o for o in referral.outcomes.all() if o.stage == OutcomeStage.COMPLETION), None)
        return OutcomeForm(data, at_completion=at_completion, confidence_before=referral.confidence_before,
                           submit="Record the follow-up")  # fmt: skip
    return NoteForm(data, submit=ACTIONS[action][1].replace(" the referral", ""), warning=action == "withdraw")


def _call(action: str, actor, referral, form):
    data = form.cleaned_data
    if action == "accept":
        return services.referral_accept(actor=actor, referral=referral, note=data["note"])
    if action == "decline":
        return services.referral_decline(actor=actor, referral=referral, reason=data["reason"], note=data["note"])
    if action == "start":
        return services.referral_start(actor=actor, referral=referral, note=data["note"])
    if action == "complete":
        return services.referral_complete(actor=actor, referral=referral, outcome=form.outcome(), note=data["note"])
    if action == "not-completed":
        return services.referral_not_complete(actor=actor, referral=referral, reason=data["reason"], note=data["note"])
    if action == "follow-up":
        return services.referral_follow_up_record(actor=actor, referral=referral, outcome=form.outcome(),
                                                  note=data["note"])  # fmt: skip
    return services.referral_withdraw(actor=actor, referral=referral, note=data["note"])


@staff_view(load=load_referral)
def referral_answer(request, referral, action):
    if action not in ACTIONS:
        raise Http404("No such action")
    to_status, title, done = ACTIONS[action]
    form = _form(action, referral, posted(request))
    if action == "follow-up":
        allowed = services.follow_up_open(referral)
    else:
        allowed = to_status in services.referral_moves(referral, request.membership.organisation)
    if allowed and request.method == "POST" and form.is_valid():
        try:
            _call(action, actor_for(request), referral, form)
        except DomainError as error:
            form_refuse(form, error)
        else:
            messages.success(request, done)
            return redirect("referrals:referral-detail", pk=referral.pk)
    return render(request, "referrals/referral_answer.html", {
        "referral": referral, "form": form, "title": title, "action": action, "allowed": allowed,
    }, status=200 if allowed else 409)  # fmt: skip


# Webhooks (coordinators)


@staff_view(Capability.MANAGE_REFERRALS)
def webhook_list(request):
    organisation = request.membership.organisation
    form = WebhookEndpointForm(posted(request))
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = webhooks.webhook_endpoint_create(actor=actor_for(request), **form.cleaned_data)
        except DomainError as error:
            form_refuse(form, error)
        else:
            messages.success(request, f"Endpoint added: {endpoint.url}")
            form = WebhookEndpointForm()
    return render(request, "referrals/webhooks.html", {
        "form": form, "secret": secret,
        "endpoints": WebhookEndpoint.objects.filter(organisation=organisation).order_by("-active", "url"),
        "page": paginate(request, selectors.webhook_deliveries_for(organisation=organisation)),
    })  # fmt: skip


def _delivery(request, pk) -> WebhookDelivery:
    delivery = selectors.webhook_deliveries_for(organisation=request.membership.organisation).filter(pk=pk).first()
    if delivery is None:
        raise Http404("No such delivery")
    return delivery


@staff_view(Capability.MANAGE_REFERRALS)
@require_POST
def webhook_resend(request, delivery_pk):
    delivery = _delivery(request, delivery_pk)
    try:
        webhooks.webhook_delivery_resend(actor=actor_for(request), delivery=delivery)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Event {delivery.sequence} of the referral will be sent again now.")
    return redirect("referrals:webhook-list")


@staff_view(Capability.MANAGE_REFERRALS)
@require_POST
def webhook_deactivate(request, endpoint_pk):
    endpoint = WebhookEndpoint.objects.filter(organisation=request.membership.organisation, pk=endpoint_pk).first()
    if endpoint is None:
        raise Http404("No such endpoint")
    webhooks.webhook_endpoint_deactivate(actor=actor_for(request), endpoint=endpoint)
    messages.success(request, f"Nothing more will be sent to {endpoint.url}.")
    return redirect("referrals:webhook-list")
