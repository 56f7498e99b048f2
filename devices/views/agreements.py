"""Staff web pages for the loan agreement: its versions (coordinators publish a new one; every version stays
readable as it was published) and the agreement printed for a resident to read and sign before lending."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from inclusion.access import Capability, membership_can
from inclusion.errors import DomainError
from inclusion.pdf import pdf_response
from inclusion.web import actor_for, form_refuse, load_resident, posted, staff_view

from .. import selectors, services
from ..forms.agreements import AgreementPublishForm


@staff_view(Capability.LEND)
def agreement_list(request):
    """The versions, the latest first; coordinators publish a new one from here."""
    organisation = request.membership.organisation
    can_publish = membership_can(request.membership, Capability.MANAGE_STOCK)
    if request.method == "POST" and not can_publish:
        return render(request, "inclusion/no_access.html", {"capability": Capability.MANAGE_STOCK}, status=403)
    current = services.loan_agreement_current(organisation)
    initial = {"text": current.text, "return_instructions": current.return_instructions,
               "contact": current.contact} if current else {}  # fmt: skip
    form = AgreementPublishForm(posted(request), initial=initial) if can_publish else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            agreement = services.loan_agreement_publish(actor=actor_for(request), **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            form_refuse(form, error)
        else:
            messages.success(request, f"Version {agreement.version} is published. New loans are accepted against it.")
            return redirect("devices:agreement-list")
    return render(request, "devices/agreement_list.html", {
        "form": form, "current": current, "versions": selectors.loan_agreements(organisation=organisation),
    })  # fmt: skip


def _agreement(request, version: int):
    agreement = selectors.loan_agreement_get(organisation=request.membership.organisation, version=version)
    if agreement is None:
        raise Http404("No such version")
    return agreement


@staff_view(Capability.LEND)
def agreement_version(request, version):
    """One version, read only, exactly as it was published (with its SHA-256)."""
    return render(request, "devices/agreement_version.html", {"agreement": _agreement(request, version)})


def _printable(request, resident):
    agreement = services.loan_agreement_current(request.membership.organisation)
    return {
        "agreement": agreement, "resident": resident, "organisation": request.membership.organisation,
        "printed_on": timezone.localdate(), "policy": services.loan_policy_for(request.membership.organisation),
    }  # fmt: skip


@staff_view(Capability.LEND, load=load_resident)
def agreement_print(request, resident):
    """The current agreement with the resident's name, to read and sign before a device leaves."""
    return render(request, "devices/receipts/agreement_print.html", _printable(request, resident))


@staff_view(Capability.LEND, load=load_resident)
def agreement_pdf(request, resident):
    context = _printable(request, resident)
    if context["agreement"] is None:
        raise Http404("No agreement published")
    return pdf_response(request, "devices/receipts/agreement_pdf.html", context,
                        filename=f"loan-agreement-v{context['agreement'].version}.pdf")  # fmt: skip
