"""What the devices pages' URLs name, fetched for staff_view (inclusion/web.py) within the membership's
organisation: another organisation's device or loan is 404 before any role is checked.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect

from .. import selectors


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


def loan_closed_redirect(request, loan):
    """Where a page for an open loan sends someone when the loan has closed meanwhile."""
    messages.info(request, f"This loan is already closed ({loan.outcome_label.lower()}).")
    return redirect("devices:loan-detail", loan_pk=loan.pk)
