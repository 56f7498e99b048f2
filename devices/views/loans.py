"""Staff web pages for lending: lending a device (from the resident's page or the device's), the loans list, a
loan's page, extensions and the loan policy. Frontline staff lend and extend (Capability.LEND); coordinators
and administrators also change the policy (Capability.MANAGE_STOCK).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from inclusion import selectors as resident_selectors
from inclusion.access import Capability, membership_can
from inclusion.calendar import DAY_NAMES
from inclusion.errors import DomainError
from inclusion.forms.residents import SearchForm
from inclusion.web import actor_for, form_refuse, load_resident, paginate, posted, staff_view

from .. import chases, selectors, services
from ..forms.loans import ExtendForm, LendForm, LoanPolicyForm, RenewForm
from ..models import DeviceStatus, accessories_in_sentence
from .loaders import load_device, load_loan, loan_closed_redirect

S = DeviceStatus


def _date(value) -> str:
    return f"{value:%-d %B %Y}"


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


@staff_view(Capability.LEND, load=load_resident)
def loan_create(request, resident):
    """Lend a device to a resident: scan or type its tag, record the agreement, optionally a due date."""
    organisation = request.membership.organisation
    policy = services.loan_policy_for(organisation)
    agreement = services.loan_agreement_current(organisation)
    can_override = membership_can(request.membership, Capability.MANAGE_STOCK)
    form = LendForm(posted(request), policy=policy, agreement=agreement, can_override=can_override,
                    initial={"asset_tag": request.GET.get("tag", "")})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        device = selectors.device_find_typed(organisation=organisation, typed=data["asset_tag"])
        if device is None:
            form.add_error(
                "asset_tag", f"There is no device tagged {data['asset_tag']} in your stock. Check the tag and try again"
            )
        else:
            try:
                loan = services.loan_create(
                    actor=actor_for(request), device=device, resident=resident,
                    agreement_method=data["agreement_method"], agreement_accepted=data["agreement_accepted"],
                    witness_name=data["witness_name"], accepted_name=data["accepted_name"], due_on=data["due_on"],
                    notes=data["notes"], open_ended=data["open_ended"],
                    overdue_override_reason=data.get("overdue_override_reason", ""),
                )  # fmt: skip
            except (DomainError, ValidationError) as error:
                form_refuse(form, error, {"device": "asset_tag", "resident": None})
            else:
                when = f"to renew by {_date(loan.due_on)}" if loan.open_ended else f"due back {_date(loan.due_on)}"
                messages.success(
                    request, f"{device.description} ({device.asset_tag}) is lent to {resident.display_name}, {when}."
                )
                return redirect(reverse("resident-detail", kwargs={"pk": resident.pk}) + "#devices")
    ready = selectors.devices_ready_by_kind(organisation=organisation)
    return render(request, "devices/loan_create.html", {
        "form": form, "resident": resident, "policy": policy, "agreement": agreement,
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
        overdue = selectors.loan_list(organisation=organisation, status="overdue")[:SECTION_ROWS]
        context["sections"] = [
            ("overdue", "Overdue", chases.worklist(organisation, overdue),
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
        page.object_list = chases.worklist(organisation, page.object_list) if status == "overdue" else page.object_list
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
            "notes": selectors.loan_notes(loan=loan),
            # An open-ended loan too late to renew: the page says so rather than offer a renewal it would refuse.
            "renewal_days_late": services.loan_renewal_days_late(loan) if loan.open_ended and loan.is_open else None,
            "renewal_limit": services.loan_renewal_long_overdue_days(),
            "accessories_lent": accessories_in_sentence(loan.accessories_lent),
            "accessories_returned": accessories_in_sentence(loan.accessories_returned),
            "accessories_missing": accessories_in_sentence(loan.accessories_missing),
        },
    )


@staff_view(load=load_loan)
def loan_extend(request, loan):
    if not loan.is_open:
        return loan_closed_redirect(request, loan)
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
    preview = services.loan_extension_preview(loan=loan, policy=policy)
    return render(
        request,
        "devices/loan_extend.html",
        {
            "form": form, "loan": loan, "device": loan.device, "policy": policy, "new_due_on": preview.new_due_on,
            "allowed": preview.allowed, "refusal": preview.refusal,
        },
    )  # fmt: skip


@staff_view(Capability.LEND, load=load_loan)
def loan_renew(request, loan):
    """An open-ended loan: they are still using it, so its renewal date moves on."""
    if not loan.is_open:
        return loan_closed_redirect(request, loan)
    form = RenewForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            loan = services.loan_renew(actor=actor_for(request), loan=loan, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            form_refuse(form, error)
        else:
            messages.success(
                request, f"Loan renewed: {loan.device.asset_tag} is next due for renewal {_date(loan.due_on)}."
            )
            return redirect("devices:loan-detail", loan_pk=loan.pk)
    return render(request, "devices/loan_renew.html", {"form": form, "loan": loan, "device": loan.device})


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
