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

from ..receipts import LOAN_RECEIPT_PDF, RETURN_RECEIPT_PDF, receipt_context
from .loaders import load_loan


def _receipt(request, loan) -> dict:
    return receipt_context(organisation=request.membership.organisation, loan=loan)


@staff_view(Capability.LEND, load=load_loan)
def loan_receipt(request, loan):
    return render(request, "devices/receipts/print.html", {**_receipt(request, loan), "kind": "loan"})


@staff_view(Capability.LEND, load=load_loan)
def loan_receipt_pdf(request, loan):
    return pdf_response(request, LOAN_RECEIPT_PDF, _receipt(request, loan),
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
    return pdf_response(request, RETURN_RECEIPT_PDF, _receipt(request, loan),
                        filename=f"return-receipt-{loan.pk}.pdf")  # fmt: skip
