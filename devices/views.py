"""Staff web pages for devices and loans: stock, device pages, wipes and status changes, lending, returns,
extensions, loss and gifts, the loans list and the loan policy.

Each view fetches through a selector scoped to the membership's organisation (another organisation's device
or loan is 404), checks the form, calls one service and redirects with a confirmation. Frontline staff lend
and take returns; coordinators and administrators also manage stock and the policy (Capability.MANAGE_STOCK).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from inclusion import selectors as resident_selectors
from inclusion.access import Capability, membership_can
from inclusion.calendar import DAY_NAMES
from inclusion.errors import DomainError
from inclusion.forms.residents import SearchForm
from inclusion.web import actor_for, form_refuse, load_resident, paginate, posted, staff_view

from . import selectors, services
from .forms import (
    MOVE_LABELS,
    DeviceAddForm,
    DeviceFilterForm,
    DeviceForm,
    DeviceStatusForm,
    ExtendForm,
    GiftForm,
    LendForm,
    LoanPolicyForm,
    ReportLostForm,
    ReturnForm,
    WipeForm,
)
from .models import AgreementMethod, DeviceStatus, accessories_in_sentence
from .services import TRANSITIONS

S = DeviceStatus
PAGE_SIZE = 50


def load_device(request, asset_tag, **kwargs) -> dict:
    """staff_view loader: the organisation's device with this tag, else 404."""
    device = selectors.device_get(organisation=request.membership.organisation, asset_tag=asset_tag)
    if device is None:
        raise Http404("No such device")
    return {"device": device, **kwargs}


def load_loan(request, loan_pk, **kwargs) -> dict:
    """staff_view loader: the organisation's loan, marked with whether its resident may still be seen, else 404."""
    loan = selectors.loan_get(organisation=request.membership.organisation, pk=loan_pk)
    if loan is None:
        raise Http404("No such loan")
    loan = selectors.loans_mark_resident_visible(organisation=request.membership.organisation, loans=[loan])[0]
    return {"loan": loan, **kwargs}


def _device_typed(organisation, tag: str):
    """The device a typed or scanned tag means: as typed, else without the spaces someone typed inside it."""
    device = selectors.device_get(organisation=organisation, asset_tag=tag)
    if device is None and " " in tag:
        device = selectors.device_get(organisation=organisation, asset_tag=tag.replace(" ", ""))
    return device


def _date(value) -> str:
    return f"{value:%-d %B %Y}"


# Stock


@staff_view()
def device_list(request):
    organisation = request.membership.organisation
    form = DeviceFilterForm(request.GET or None, locations=selectors.device_locations(organisation=organisation))
    filters = {"q": "", "status": "", "kind": "", "location": ""}
    if form.is_valid():
        filters.update(form.cleaned_data)
        # A scanned or typed tag on its own goes straight to that device.
        only_tag = filters["q"].strip() and not (filters["status"] or filters["kind"] or filters["location"])
        device = only_tag and _device_typed(organisation, " ".join(filters["q"].split()))
        if device:
            return redirect("devices:device-detail", asset_tag=device.asset_tag)
    page = paginate(request, selectors.device_list(organisation=organisation, **filters))
    # The export and the labels sheet take the same filters (devices/io_views.py): they get what is shown.
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


HISTORY_TITLES = {
    "receive": "Received into stock", "update details": "Details changed", "record a wipe": "Wiped",
    "mark ready": "Marked ready to lend", "send for repair": "Sent for repair", "retire": "Retired", "lend": "Lent",
    "record a return": "Returned", "report lost": "Reported lost or stolen", "gift": "Given to keep",
    "write off": "Written off", "extend loan": "Loan extended",
}  # fmt: skip


def _history_titles(events) -> list:
    events = list(events)
    for event in events:
        event.title = HISTORY_TITLES.get(event.action, event.action.capitalize())
        if event.action == "report lost" and "stolen" in event.data:
            event.title = "Reported stolen" if event.data["stolen"] else "Reported lost"
    return events


def _history(device) -> list:
    events = _history_titles(selectors.device_history(device=device))
    for event in events:
        event.changed = [name.replace("_", " ") for name in event.data.get("fields", [])]
        event.missing = accessories_in_sentence(event.data.get("missing_accessories", []))
    return events


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
            "history": _history(device),
            "final": not TRANSITIONS[device.status],
            "wipe_first": device.needs_wipe and S.WIPED in TRANSITIONS[device.status],
            "wipes": selectors.device_wipes(device=device),
            "actions": _device_actions(device, current, can_manage=can_manage),
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
def device_wipe(request, device):
    form = WipeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.device_wipe_record(actor=actor_for(request), device=device, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            form_refuse(form, error)
        else:
            messages.success(request, f"Wipe recorded. {device.asset_tag} is wiped: mark it ready once it is checked.")
            return redirect("devices:device-detail", asset_tag=device.asset_tag)
    return render(
        request,
        "devices/device_wipe.html",
        {"form": form, "device": device, "allowed": S.WIPED in TRANSITIONS[device.status]},
    )


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


@staff_view(load=load_device)
def device_lend(request, device):
    """Lend this device, from its page: find the resident, then the lend form with the tag filled in."""
    form = SearchForm(request.GET or None)
    results, searched = [], False
    if device.status == S.READY and form.is_valid() and form.cleaned_data["q"]:
        searched = True
        query = form.cleaned_data["q"]
        if len(query.strip()) < resident_selectors.SEARCH_MIN_LENGTH:
            form.add_error("q", f"Enter at least {resident_selectors.SEARCH_MIN_LENGTH} characters")
        else:
            results = list(
                resident_selectors.resident_search(organisation=request.membership.organisation, query=query)
            )
    return render(
        request,
        "devices/device_lend.html",
        {"device": device, "form": form, "results": results, "searched": searched, "ready": device.status == S.READY},
    )


# Loans


@staff_view(Capability.LEND, load=load_resident)
def loan_create(request, resident):
    """Lend a device to a resident: scan or type its tag, record the agreement, optionally a due date."""
    organisation = request.membership.organisation
    policy = services.loan_policy_for(organisation)
    form = LendForm(posted(request), policy=policy, initial={"asset_tag": request.GET.get("tag", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        device = _device_typed(organisation, data["asset_tag"])
        if device is None:
            form.add_error(
                "asset_tag", f"There is no device tagged {data['asset_tag']} in your stock. Check the tag and try again"
            )
        else:
            verbal = data["agreement_method"] == AgreementMethod.VERBAL_WITNESSED
            try:
                loan = services.loan_create(
                    actor=actor_for(request), device=device, resident=resident,
                    agreement_method=data["agreement_method"], agreement_accepted=data["agreement_accepted"],
                    witness_name=data["witness_name"] if verbal else "", due_on=data["due_on"], notes=data["notes"],
                )  # fmt: skip
            except (DomainError, ValidationError) as error:
                form_refuse(form, error, {"device": "asset_tag"})
            else:
                messages.success(
                    request,
                    f"{device.description} ({device.asset_tag}) is lent to {resident.display_name}, "
                    f"due back {_date(loan.due_on)}.",
                )
                return redirect(reverse("resident-detail", kwargs={"pk": resident.pk}) + "#devices")
    ready = selectors.devices_ready_by_kind(organisation=organisation)
    return render(request, "devices/loan_create.html", {
        "form": form, "resident": resident, "policy": policy,
        "ready": ready, "ready_count": sum(len(devices) for _, devices in ready),
    })  # fmt: skip


LOAN_VIEWS = {
    "": "Overdue and due this week",
    "open": "All open",
    "closed": "Closed",
}


SECTION_ROWS = 25  # loans shown in each section of the loans page before "See all"


@staff_view()
def loan_list(request):
    organisation = request.membership.organisation
    status = request.GET.get("status", "")
    if status not in LOAN_VIEWS and status not in ("overdue", "due_this_week"):
        status = ""
    counts = selectors.loan_counts(organisation=organisation)
    context = {"status": status, "views": LOAN_VIEWS, "counts": counts}
    if status == "":
        # The first of each (oldest first), with a link to the whole list: a large partner has thousands overdue.
        context["sections"] = [
            ("overdue", "Overdue", selectors.loan_list(organisation=organisation, status="overdue")[:SECTION_ROWS],
             counts["overdue"], "overdue", f"See all {counts['overdue']:,} overdue loans"),
            ("due-this-week", "Due back this week",
             selectors.loan_list(organisation=organisation, status="due_this_week")[:SECTION_ROWS],
             counts["due_this_week"], "due_this_week", f"See all {counts['due_this_week']:,} loans due back this week"),
        ]  # fmt: skip
    else:
        loans = selectors.loan_list(organisation=organisation, status=status)
        if status == "closed":
            loans = loans.order_by("-closed_at", "-id")  # the latest first
        page = paginate(request, loans)
        page.object_list = selectors.loans_mark_resident_visible(organisation=organisation, loans=page.object_list)
        heading = {"overdue": "Overdue", "due_this_week": "Due back this week"}.get(status, LOAN_VIEWS.get(status))
        count = page.paginator.count
        context.update(page=page, heading=heading, closed=status == "closed",
                       caption=f"{heading}: {count} loan{'s' if count != 1 else ''}")  # fmt: skip
    return render(request, "devices/loan_list.html", context)


@staff_view(load=load_loan)
def loan_detail(request, loan):
    policy = services.loan_policy_for(request.membership.organisation)
    return render(
        request,
        "devices/loan_detail.html",
        {
            "loan": loan,
            "device": loan.device,
            "policy": policy,
            "extensions": selectors.loan_extensions(loan=loan),
            "notes": _history_titles(selectors.loan_notes(loan=loan)),
            "accessories_lent": accessories_in_sentence(loan.accessories_lent),
            "accessories_returned": accessories_in_sentence(loan.accessories_returned),
            "accessories_missing": accessories_in_sentence(loan.accessories_missing),
        },
    )


def _closed(request, loan):
    messages.info(request, f"This loan is already closed ({loan.outcome_label.lower()}).")
    return redirect("devices:loan-detail", loan_pk=loan.pk)


@staff_view(load=load_loan)
def loan_return(request, loan):
    if not loan.is_open:
        return _closed(request, loan)
    device = loan.device
    form = ReturnForm(posted(request), device=device)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.loan_return(
                actor=actor_for(request), loan=loan, condition=data["condition"], returned_on=data["returned_on"],
                accessories_returned=data.get("accessories_returned", []), notes=data["notes"],
            )  # fmt: skip
        except (DomainError, ValidationError) as error:
            form_refuse(form, error)
        else:
            loan.refresh_from_db()
            message = f"{device.asset_tag} is back. It is waiting to be checked and wiped before it is lent again."
            if loan.accessories_missing:
                message += f" Missing: {accessories_in_sentence(loan.accessories_missing)}."
            messages.success(request, message)
            return redirect("devices:device-detail", asset_tag=device.asset_tag)
    return render(request, "devices/loan_return.html", {"form": form, "loan": loan, "device": device})


@staff_view(load=load_loan)
def loan_extend(request, loan):
    if not loan.is_open:
        return _closed(request, loan)
    policy = services.loan_policy_for(request.membership.organisation)
    form = ExtendForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            loan = services.loan_extend(actor=actor_for(request), loan=loan, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            form_refuse(form, error)
        else:
            messages.success(request, f"Loan extended: {loan.device.asset_tag} is now due back {_date(loan.due_on)}.")
            return redirect("devices:loan-detail", loan_pk=loan.pk)
    new_due_on = services.loan_due_date(policy, max(loan.due_on, timezone.localdate()), policy.extension_days)
    return render(
        request,
        "devices/loan_extend.html",
        {
            "form": form, "loan": loan, "device": loan.device, "policy": policy, "new_due_on": new_due_on,
            "allowed": loan.extensions < policy.max_extensions,
        },
    )  # fmt: skip


@staff_view(load=load_loan)
def loan_report_lost(request, loan):
    if not loan.is_open:
        return _closed(request, loan)
    form = ReportLostForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.loan_report_lost(actor=actor_for(request), loan=loan, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            form_refuse(form, error)
        else:
            what = "stolen" if form.cleaned_data["stolen"] else "lost"
            messages.success(request, f"{loan.device.asset_tag} is recorded as {what}. The loan is closed.")
            return redirect("devices:loan-detail", loan_pk=loan.pk)
    return render(request, "devices/loan_report_lost.html", {"form": form, "loan": loan, "device": loan.device})


@staff_view(Capability.MANAGE_STOCK, load=load_loan)
def loan_gift(request, loan):
    if not loan.is_open:
        return _closed(request, loan)
    name = loan.resident.display_name
    form = GiftForm(posted(request), device=loan.device, resident_name=name)
    if request.method == "POST" and form.is_valid():
        try:
            services.loan_gift(actor=actor_for(request), loan=loan, notes=form.cleaned_data["notes"])
        except (DomainError, ValidationError) as error:
            form_refuse(form, error)
        else:
            messages.success(request, f"{loan.device.asset_tag} is given to {name} to keep. The loan is closed.")
            return redirect("devices:loan-detail", loan_pk=loan.pk)
    return render(request, "devices/loan_gift.html", {"form": form, "loan": loan, "device": loan.device})


@staff_view()
def loan_policy(request):
    """Everyone who lends sees the policy; coordinators and administrators change it."""
    can_manage = membership_can(request.membership, Capability.MANAGE_STOCK)
    if request.method == "POST" and not can_manage:
        return render(request, "inclusion/no_access.html", {"capability": Capability.MANAGE_STOCK}, status=403)
    policy = services.loan_policy_for(request.membership.organisation)
    form = LoanPolicyForm(posted(request), instance=policy) if can_manage else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            services.loan_policy_update(actor=actor_for(request), **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            form_refuse(form, error)
        else:
            messages.success(request, "The loan policy is saved. It applies to new loans and extensions.")
            return redirect("devices:loan-policy")
    open_days = [DAY_NAMES[day] for day in sorted(policy.open_days)]
    return render(request, "devices/loan_policy.html", {"form": form, "policy": policy, "open_days": open_days})
