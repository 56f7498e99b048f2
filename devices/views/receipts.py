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
    # A kit's receipt, from any of its items, lists them all: one agreement, one receipt.
    loans = list(loan.kit_loan.items.select_related("device").order_by("pk")) if loan.kit_loan_id else [loan]
    accessories = [name for item in loans for name in item.accessories_lent]
    returned = [name for item in loans for name in item.accessories_returned]
    missing = [name for item in loans for name in item.accessories_missing]
    return {
        "loan": loan, "device": loan.device, "organisation": organisation, "agreement": agreement,
        "kit_loan": loan.kit_loan,
        "resident_name": loan.resident.display_name if loan.resident_visible else "The borrower",
        "lent_by": (loan.lent_by.get_full_name() or str(loan.lent_by)) if loan.lent_by else "the partner API",
        "accessories_lent": accessories_in_sentence(accessories),
        "accessories_returned": accessories_in_sentence(returned),
        "accessories_missing": accessories_in_sentence(missing),
        "wipe": selectors.loan_wipe_after_return(loan=loan),
        "items": [{
            "description": item.device.description, "asset_tag": item.device.asset_tag,
            "serial_number": item.device.serial_number, "condition": item.device.get_condition_display(),
            "returned_on": item.returned_on, "return_condition": item.get_return_condition_display(),
        } for item in loans],
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
