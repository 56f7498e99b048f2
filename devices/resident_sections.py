"""The devices app's parts of a resident's record (registered in devices/apps.py): its section of the
resident page (their loans, the "Lend a device" button) and what it holds about them for a subject access
request (loans, waiting lists) and erasure. The vouchers' parts are in devices/vouchers/resident_sections.py."""

from django.urls import reverse

from inclusion.access import Capability, membership_can

from .reservations.selectors import reservations_for_resident
from .selectors import kits, loans_for_resident


def loans_section(request, resident) -> dict | None:
    if not membership_can(request.membership, Capability.LEND):
        return None
    organisation = request.membership.organisation
    return {"loans": loans_for_resident(organisation=organisation, resident=resident),
            "reservations": reservations_for_resident(organisation=organisation, resident=resident)}  # fmt: skip


def lend_action(request, resident) -> list[tuple[str, str]]:
    if not membership_can(request.membership, Capability.LEND):
        return []
    actions = [("Lend a device", reverse("devices:loan-create", kwargs={"pk": resident.pk}))]
    if kits(organisation=request.membership.organisation, active_only=True).exists():
        actions.append(("Lend a kit", reverse("devices:kit-lend", kwargs={"pk": resident.pk})))
    actions.append(("Join the waiting list", reverse("devices:reservation-create", kwargs={"pk": resident.pk})))
    return actions


def referral_waiting_list_panel(request, referral) -> dict | None:
    """On the page of a referral asking the organisation for a device (to a lending point, or for a device): its
    staff who lend may put the resident on the waiting list from here; places made from it are listed."""
    from .reservations.selectors import referral_for_reservation, reservations_for_referral

    organisation = request.membership.organisation
    if referral.to_organisation_id != organisation.pk or not membership_can(request.membership, Capability.LEND):
        return None
    reservations = reservations_for_referral(organisation=organisation, referral=referral)
    can_queue = referral_for_reservation(organisation=organisation, pk=referral.pk) is not None
    if not reservations and not can_queue:
        return None
    return {"reservations": reservations, "can_queue": can_queue}


def loans_export(resident) -> list[dict]:
    from .models import Loan

    return [
        {"device": loan.device.asset_tag, "description": loan.device.description, "lent_by": loan.organisation.name,
         "started_on": loan.started_on.isoformat(), "due_on": loan.due_on.isoformat(),
         "agreement": loan.agreement_method, "agreement_version": loan.agreement_terms_version,
         "accepted_name": loan.accepted_name, "open_ended": loan.open_ended, "outcome": loan.outcome or "open",
         "closed_at": loan.closed_at.isoformat() if loan.closed_at else None, "notes": loan.closing_notes,
         "police_reference": loan.police_reference}
        for loan in Loan.objects.filter(resident=resident).select_related("device", "organisation").order_by("id")
    ]  # fmt: skip


def reservations_export(resident) -> list[dict]:
    """The resident's places on waiting lists, for a subject access request."""
    from .reservations.models import Reservation

    return [
        {"kind": reservation.kind, "organisation": reservation.organisation.name, "status": reservation.status,
         "note": reservation.note, "referral": str(reservation.referral_id) if reservation.referral_id else None,
         "created_at": reservation.created_at.isoformat(),
         "hold_until": reservation.hold_until.isoformat() if reservation.hold_until else None,
         "closed_reason": reservation.closed_reason}
        for reservation in Reservation.objects.filter(resident=resident).select_related("organisation").order_by("id")
    ]  # fmt: skip


def loans_erase(resident, actor) -> None:
    """Remove what loans hold of the resident in their own words or as names: the name typed under the agreement
    (what the receipts print), the witness's name, notes on returns, losses, extensions and renewals, reasons
    for lending despite an overdue loan, the police reference; also the notes those loans wrote on the devices'
    histories. Kept for the reports: devices, dates, due dates, outcomes, accessories, agreement method and
    version. Inside the caller's transaction, with the resident locked (inclusion.privacy.erasure)."""
    from inclusion.privacy.erasure import ERASED

    from .models import DeviceEvent, Loan, LoanExtension

    loans = Loan.objects.filter(resident=resident)
    loan_ids = list(loans.values_list("pk", flat=True))
    # A verbal agreement keeps a (placeholder) witness: the database requires one (verbal_agreement_has_witness).
    loans.exclude(witness_name="").update(witness_name=ERASED)
    loans.update(accepted_name="", overdue_override_reason="", closing_notes="", police_reference="")
    LoanExtension.objects.filter(loan__resident=resident).update(reason="")
    DeviceEvent.objects.filter(data__loan__in=loan_ids).exclude(note="").update(note="")


def reservations_erase(resident, actor) -> None:
    """Remove the notes on the resident's waiting-list places; their kind, dates and statuses stay."""
    from .reservations.models import Reservation

    Reservation.objects.filter(resident=resident).update(note="", closed_reason="")
