"""The devices app's parts of the resident page (registered in devices/apps.py): their loans, their data
vouchers with the issue form, and the "Lend a device" button."""

from django.urls import reverse

from inclusion.access import Capability, membership_can

from .selectors import loans_for_resident
from .voucher_forms import VoucherIssueForm
from .voucher_selectors import voucher_stock, vouchers_for_resident


def loans_section(request, resident) -> dict | None:
    if not membership_can(request.membership, Capability.LEND):
        return None
    return {"loans": loans_for_resident(organisation=request.membership.organisation, resident=resident)}


def vouchers_section(request, resident) -> dict | None:
    if not membership_can(request.membership, Capability.LEND):
        return None
    organisation = request.membership.organisation
    return {
        "vouchers": vouchers_for_resident(organisation=organisation, resident=resident),
        "voucher_issue_form": VoucherIssueForm(
            stock=voucher_stock(organisation=organisation),
            action=reverse("devices:voucher-issue", kwargs={"pk": resident.pk}),
        ),
    }


def lend_action(request, resident) -> list[tuple[str, str]]:
    if not membership_can(request.membership, Capability.LEND):
        return []
    return [("Lend a device", reverse("devices:loan-create", kwargs={"pk": resident.pk}))]
