"""Receipts printed for the resident: at every loan (what they took, in what condition, with what, until when,
who lent it, how to return it and whom to call) and at a return (what came back and, once the device is wiped,
that their data was erased, how and when). Each is a print page and the same content as a PDF.

A receipt names the resident only while the organisation may see them (inclusion.access): after a loan of
another organisation's resident closes, its receipts say "the borrower"."""

from django.http import Http404
from django.shortcuts import render

from inclusion.access import Capability
from inclusion.pdf import pdf_response
from inclusion.web import staff_view

from .. import selectors, services
from ..models import accessories_in_sentence
from .loaders import load_loan


def _receipt(request, loan) -> dict:
    organisation = request.membership.organisation
    # The instructions of the agreement the resident accepted, else of the current one.
    agreement = loan.agreement or services.loan_agreement_current(organisation)
    return {
        "loan": loan, "device": loan.device, "organisation": organisation, "agreement": agreement,
        "resident_name": loan.resident.display_name if loan.resident_visible else "The borrower",
        "lent_by": (loan.lent_by.get_full_name() or str(loan.lent_by)) if loan.lent_by else "the partner API",
        "accessories_lent": accessories_in_sentence(loan.accessories_lent),
        "accessories_returned": accessories_in_sentence(loan.accessories_returned),
        "accessories_missing": accessories_in_sentence(loan.accessories_missing),
        "wipe": selectors.loan_wipe_after_return(loan=loan),
        "items": [{
            "description": loan.device.description, "asset_tag": loan.device.asset_tag,
            "serial_number": loan.device.serial_number, "condition": loan.device.get_condition_display(),
            "returned_on": loan.returned_on, "return_condition": loan.get_return_condition_display(),
        }],
    }  # fmt: skip


@staff_view(Capability.LEND, load=load_loan)
def loan_receipt(request, loan):
    return render(request, "devices/receipts/print.html", {**_receipt(request, loan), "kind": "loan"})


@staff_view(Capability.LEND, load=load_loan)
def loan_receipt_pdf(request, loan):
    return pdf_response(request, "devices/receipts/loan_receipt_pdf.html", _receipt(request, loan),
                        filename=f"loan-receipt-{loan.pk}.pdf")  # fmt: skip


@staff_view(Capability.LEND, load=load_loan)
def return_receipt(request, loan):
    if loan.outcome != "returned":
        raise Http404("Not returned")
    return render(request, "devices/receipts/print.html", {**_receipt(request, loan), "kind": "return"})


@staff_view(Capability.LEND, load=load_loan)
def return_receipt_pdf(request, loan):
    if loan.outcome != "returned":
        raise Http404("Not returned")
    return pdf_response(request, "devices/receipts/return_receipt_pdf.html", _receipt(request, loan),
                        filename=f"return-receipt-{loan.pk}.pdf")  # fmt: skip
