"""The referrals app's parts of a resident's record (registered in referrals/registration.py): the resident page's
"Referrals" section and its "Refer" button, and what referrals hold about them for a subject access request and
an erasure."""

from django.urls import reverse

from inclusion.access import Capability, membership_can

from .selectors import referrals_for_resident


def referrals_section(request, resident) -> dict | None:
    if not membership_can(request.membership, Capability.SEE_RESIDENTS):
        return None
    return {"referrals": referrals_for_resident(organisation=request.membership.organisation, resident=resident)}


def refer_action(request, resident) -> list[tuple[str, str]]:
    if not membership_can(request.membership, Capability.SEE_RESIDENTS):
        return []
    return [("Refer", reverse("referrals:referral-create", kwargs={"pk": resident.pk}))]


def referrals_export(resident) -> list[dict]:
    from .models import Referral

    return [
        {"to": referral.service.name if referral.service_id else referral.to_organisation.name,
         "to_organisation": referral.to_organisation.name, "from_organisation": referral.from_organisation.name,
         "need": referral.need, "reason": referral.reason, "urgency": referral.urgency, "status": referral.status,
         "sent_at": referral.sent_at.isoformat(),
         "finished_at": referral.finished_at.isoformat() if referral.finished_at else None,
         "decline_reason": referral.decline_reason, "not_completed_reason": referral.not_completed_reason,
         "history": [{"action": e.action, "organisation": e.organisation.name, "at": e.occurred_at.isoformat(),
                      "note": e.note} for e in referral.events.select_related("organisation")],
         "messages": [{"organisation": m.organisation.name, "at": m.sent_at.isoformat(), "body": m.body}
                      for m in referral.messages.select_related("organisation")]}
        for referral in Referral.objects.filter(resident=resident)
        .select_related("service", "to_organisation", "from_organisation").order_by("sent_at")
    ]  # fmt: skip


ERASED = "[erased]"


def referrals_erase(resident, actor) -> None:
    """Remove the free text referrals hold about the resident (why they were referred, notes on each change, the
    messages between organisations, what the webhooks sent about them), keeping what reports need: who referred
    whom to what, statuses, dates, reasons from the code lists and outcomes. Inside the caller's transaction, with
    the resident locked."""
    from .models import Referral, ReferralEvent, ReferralMessage, WebhookDelivery

    Referral.objects.filter(resident=resident).update(reason=ERASED, preferred_contact="")
    ReferralEvent.objects.filter(referral__resident=resident).exclude(note="").update(note=ERASED)
    ReferralMessage.objects.filter(referral__resident=resident).update(body=ERASED)
    # What the webhooks sent (and will send) describes them as the API did: as to an organisation that may no
    # longer see them, the resident, the reason and the preferred contact are null (referrals.api.serializers).
    for delivery in WebhookDelivery.objects.filter(referral__resident=resident).only("pk", "payload"):
        if isinstance(delivery.payload.get("referral"), dict):
            delivery.payload["referral"].update(resident=None, reason=None, preferred_contact=None)
            WebhookDelivery.objects.filter(pk=delivery.pk).update(payload=delivery.payload)
