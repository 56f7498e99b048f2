"""Staff web pages for what comes back, or does not: returns, losses and thefts, gifts, and the wipe that
makes a device fit to lend again.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from inclusion.access import Capability
from inclusion.errors import DomainError
from inclusion.web import actor_for, form_refuse, posted, staff_view

from .. import services
from ..forms.returns import CheckInForm, GiftForm, ReportLostForm, ReturnForm, WipeForm
from ..models import DeviceStatus, accessories_in_sentence
from ..services import TRANSITIONS
from .loaders import load_device, load_loan, loan_closed_redirect

S = DeviceStatus


@staff_view(Capability.LEND)
def check_in(request):
    """The returns desk: scan or paste a list of tags; each is returned as it went out, and the page says what
    was returned and what did not match (devices.services.loans_check_in)."""
    form = CheckInForm(posted(request))
    results = None
    if request.method == "POST" and form.is_valid():
        results = services.loans_check_in(actor=actor_for(request), tags=form.cleaned_data["tags"])
        form = CheckInForm()  # ready for the next batch
    returned = [result for result in results or [] if result.returned]
    return render(request, "devices/check_in.html", {
        "form": form, "results": results, "returned": returned,
        "unmatched": [result for result in results or [] if not result.returned],
    })  # fmt: skip


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


@staff_view(load=load_loan)
def loan_return(request, loan):
    if not loan.is_open:
        return loan_closed_redirect(request, loan)
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
def loan_report_lost(request, loan):
    if not loan.is_open:
        return loan_closed_redirect(request, loan)
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
        return loan_closed_redirect(request, loan)
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
