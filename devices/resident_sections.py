"""The devices app's parts of a resident's record (registered in devices/apps.py): its section of the
resident page (their loans, the "Lend a device" button) and what it holds about them for a subject access
request (loans). The vouchers' parts are in devices/vouchers/resident_sections.py."""

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
         "closed_at": loan.closed_at.isoformat() if loan.closed_at else None, "notes": loan.closing_notes}
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
