"""The vouchers' parts of a resident's record (registered in devices/vouchers/registration.py): their section
of the resident page (their data vouchers with the issue form) and what it holds about them for a subject
access request (vouchers with their codes masked) and erasure."""

from django.urls import reverse

from inclusion.access import Capability, membership_can

from .forms import VoucherIssueForm
from .models import Voucher
from .selectors import voucher_issue_choices, vouchers_for_resident


def vouchers_section(request, resident) -> dict | None:
    if not membership_can(request.membership, Capability.LEND):
        return None
    organisation = request.membership.organisation
    return {
        "vouchers": vouchers_for_resident(organisation=organisation, resident=resident),
        "voucher_issue_form": VoucherIssueForm(
            stock=voucher_issue_choices(organisation=organisation),
            action=reverse("devices:voucher-issue", kwargs={"pk": resident.pk}),
        ),
    }


def vouchers_export(resident) -> list[dict]:
    return [
        {"voucher": voucher.masked, "provider": voucher.provider.name, "kind": voucher.batch.kind,
         "issued_by": voucher.batch.organisation.name, "status": voucher.status,
         "issued_at": voucher.issued_at.isoformat() if voucher.issued_at else None}
        for voucher in Voucher.objects.filter(resident=resident)
        .select_related("provider", "batch", "batch__organisation").order_by("id")
    ]  # fmt: skip


def vouchers_erase(resident, actor) -> None:
    """Remove the personal bits of the resident's vouchers' issue records: the notes staff typed on their history
    (issuing, failing, withdrawing) and why one failed. Kept for the reports: which voucher, its batch and
    provider, its status and dates. The codes are the provider's, not the resident's. Inside the caller's
    transaction, with the resident locked (inclusion.privacy.erasure)."""
    from .models import VoucherEvent

    Voucher.objects.filter(resident=resident).exclude(failure_reason="").update(failure_reason="")
    VoucherEvent.objects.filter(voucher__resident=resident).exclude(note="").update(note="")
