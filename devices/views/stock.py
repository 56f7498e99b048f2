"""Staff web pages for the stock: the stock list, a device's page with its history and the moves open to it,
adding and editing a device, and its simple status changes (coordinators and administrators:
Capability.MANAGE_STOCK).

Each view fetches through a selector scoped to the membership's organisation (another organisation's device is
404), checks the form, calls one service and redirects with a confirmation.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from inclusion.access import Capability, membership_can
from inclusion.errors import DomainError
from inclusion.web import actor_for, form_refuse, paginate, posted, staff_view

from .. import selectors, services
from ..forms.stock import MOVE_LABELS, DeviceAddForm, DeviceFilterForm, DeviceForm, DeviceStatusForm
from ..models import DeviceStatus, accessories_in_sentence
from ..reservations.selectors import reservation_held
from ..services import TRANSITIONS
from .loaders import load_device

S = DeviceStatus


@staff_view()
def device_list(request):
    organisation = request.membership.organisation
    form = DeviceFilterForm(request.GET or None, locations=selectors.device_locations(organisation=organisation))
    filters = {"q": "", "status": "", "kind": "", "location": ""}
    if form.is_valid():
        filters.update(form.cleaned_data)
        # A scanned or typed tag on its own goes straight to that device.
        only_tag = filters["q"].strip() and not (filters["status"] or filters["kind"] or filters["location"])
        device = only_tag and selectors.device_find_typed(organisation=organisation, typed=filters["q"])
        if device:
            return redirect("devices:device-detail", asset_tag=device.asset_tag)
    page = paginate(request, selectors.device_list(organisation=organisation, **filters))
    # The export and the labels sheet take the same filters (devices/views/files.py): they get what is shown.
    filter_query = urlencode({name: value for name, value in filters.items() if value})
    return render(
        request,
        "devices/device_list.html",
        {
            "form": form,
            "page": page,
            "filtered": any(filters.values()),
            "counts": selectors.device_counts_by_status(organisation=organisation),
            "status_filter": filters["status"],
            "filter_query": f"?{filter_query}" if filter_query else "",
        },
    )


ACTION_LABELS = {
    **MOVE_LABELS,
    S.ON_LOAN: "Lend this device",
    S.AWAITING_CHECK: "Record a return",
    S.LOST: "Report lost or stolen",
    S.GIFTED: "Give it to them to keep",
    S.WIPED: "Record a wipe",
}


def _device_actions(device, loan, *, can_manage: bool) -> list[dict]:
    """A button for each move open to the device (services.device_moves) that this member may make."""
    actions = []
    for to_status in services.device_moves(device):
        url, style, label = None, "govuk-button--secondary", ACTION_LABELS[to_status]
        if to_status == S.ON_LOAN:
            url, style = reverse("devices:device-lend", args=[device.asset_tag]), ""
        elif loan is not None and to_status == S.AWAITING_CHECK:
            url, style = reverse("devices:loan-return", args=[loan.pk]), ""
        elif loan is not None and to_status == S.LOST:
            url = reverse("devices:loan-report-lost", args=[loan.pk])
        elif loan is not None and to_status == S.GIFTED and can_manage:
            url = reverse("devices:loan-gift", args=[loan.pk])
        elif can_manage and to_status == S.WIPED:
            url = reverse("devices:device-wipe", args=[device.asset_tag])
        elif can_manage and to_status in services.device_transition_moves(device):
            # Retire and write off are final, but confirmed on the next page: no warning button here.
            url = reverse("devices:device-status", args=[device.asset_tag]) + f"?to={to_status}"
            label = MOVE_LABELS[to_status]
        if url:
            actions.append({"label": label, "url": url, "style": style})
    return actions


@staff_view(load=load_device)
def device_detail(request, device):
    organisation = request.membership.organisation
    loans = selectors.loans_mark_resident_visible(
        organisation=organisation, loans=selectors.device_loans(device=device)
    )
    current = next((loan for loan in loans if loan.is_open), None)
    last_closed = next((loan for loan in loans if not loan.is_open), None)
    can_manage = membership_can(request.membership, Capability.MANAGE_STOCK)
    return render(
        request,
        "devices/device_detail.html",
        {
            "device": device,
            "accessories": accessories_in_sentence(device.accessories),
            "missing_since_last_loan": accessories_in_sentence(last_closed.accessories_missing) if last_closed else "",
            "current_loan": current,
            "past_loans": [loan for loan in loans if not loan.is_open],
            "history": selectors.device_history(device=device),
            "final": not TRANSITIONS[device.status],
            "wipe_first": device.needs_wipe and S.WIPED in TRANSITIONS[device.status],
            "wipes": selectors.device_wipes(device=device),
            "actions": _device_actions(device, current, can_manage=can_manage),
            "held": reservation_held(device=device),
        },
    )


@staff_view(Capability.MANAGE_STOCK)
def device_add(request):
    locations = selectors.device_locations(organisation=request.membership.organisation)
    form = DeviceAddForm(posted(request), locations=locations)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.device_create(actor=actor_for(request), **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            form_refuse(form, error)
        else:
            messages.success(request, f"{device.asset_tag} is added to your stock. Record a wipe before it is lent.")
            return redirect("devices:device-detail", asset_tag=device.asset_tag)
    return render(request, "devices/device_form.html", {"form": form, "adding": True})


@staff_view(Capability.MANAGE_STOCK, load=load_device)
def device_edit(request, device):
    locations = selectors.device_locations(organisation=request.membership.organisation)
    form = DeviceForm(posted(request), instance=device, locations=locations)
    if request.method == "POST" and form.is_valid():
        try:
            services.device_update(actor=actor_for(request), device=device, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            form_refuse(form, error)
        else:
            messages.success(request, f"The details of {device.asset_tag} are saved.")
            return redirect("devices:device-detail", asset_tag=device.asset_tag)
    return render(request, "devices/device_form.html", {"form": form, "device": device})


@staff_view(Capability.MANAGE_STOCK, load=load_device)
def device_status(request, device):
    """Mark ready, send for repair, retire or write off: one small form posting to_status and a note."""
    allowed = services.device_transition_moves(device)
    chosen = request.GET.get("to")
    form = DeviceStatusForm(
        posted(request), allowed=allowed, initial={"to_status": chosen if chosen in allowed else None}
    )
    if request.method == "POST" and form.is_valid():
        try:
            device = services.device_transition(actor=actor_for(request), device=device, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            form_refuse(form, error)
        else:
            if device.status == S.AWAITING_CHECK:
                messages.success(request, f"{device.asset_tag} is back in stock, waiting to be checked.")
            else:
                messages.success(request, f"{device.asset_tag} is now {device.get_status_display().lower()}.")
            return redirect("devices:device-detail", asset_tag=device.asset_tag)
    form.show_allowed_only()
    return render(request, "devices/device_status.html", {"form": form, "device": device})
