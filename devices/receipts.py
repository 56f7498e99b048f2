"""What the resident's receipts say, for the staff web's print pages and PDFs (devices/views/receipts.py) and the
partner API's PDFs: the loan (or the whole kit it belongs to), who lent it, how to return it and whom to call, and
after a return what came back and the wipe that erased their data. A resident the organisation may no longer see
is "The borrower"."""

from inclusion.models import Organisation

from . import selectors, services
from .models import Loan, accessories_in_sentence

LOAN_RECEIPT_PDF = "devices/receipts/loan_receipt_pdf.html"
RETURN_RECEIPT_PDF = "devices/receipts/return_receipt_pdf.html"


def receipt_context(*, organisation: Organisation, loan: Loan) -> dict:
    """What a receipt shows. `loan` as devices.selectors gives it, marked `resident_visible`
    (selectors.loans_mark_resident_visible)."""
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
        # The kit's SIM or data voucher: named, masked (the code is on its slip, printed as a reveal).
        "voucher": loan.kit_loan.voucher if loan.kit_loan_id else None,
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
