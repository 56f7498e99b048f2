"""Every non-trivial read of referrals, scoped by the organisation asking.

An organisation sees the referrals it sent and those sent to it. The resident on a referral is shown only when
the organisation may see them (inclusion.access): the referrer keeps its own resident; the receiver sees them
while the referral is open and the resident's consent to sharing is current (the "open referrals" link below),
and keeps the referral itself, its history and the outcome it recorded, without the resident, after it ends.
"""

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils import timezone

from inclusion.access import residents_visible_q
from inclusion.choices import EDS_AREAS, ConsentPurpose, SkillLevel
from inclusion.models import Consent, Organisation, Resident

from .models import OPEN_STATUSES, Referral, ReferralStatus, Service, ServiceKind, ServiceStatus, WebhookDelivery

S = ReferralStatus


def resident_ids_with_open_referrals(organisation: Organisation) -> QuerySet:
    """The access rule's link (registered in referrals/registration.py): residents with an open referral (sent,
    accepted or started) to `organisation` and a current consent to sharing with partners. Withdrawing that
    consent ends the sharing at once; so does the referral ending. Stays on the partial index
    referral_open_to_resident and the consent's one_current_consent_per_purpose index."""
    sharing = Consent.objects.current().filter(resident=OuterRef("resident_id"), purpose=ConsentPurpose.SHARING)
    return (
        Referral.objects.filter(to_organisation=organisation, status__in=OPEN_STATUSES)
        .filter(Exists(sharing))
        .values("resident_id")
    )


def referrals_visible_to(organisation: Organisation, today: date | None = None) -> QuerySet[Referral]:
    """The referrals `organisation` sent or received, each with `resident_shared` (whether it may see the resident
    now) and `overdue` (sent, and no answer by its response date)."""
    today = today or timezone.localdate()
    # The access rule's condition on each row's own resident (joined anyway): not "resident in every resident the
    # organisation may see", which made PostgreSQL build that whole set first (bench/referrals.py: 320 ms → 15 ms).
    visible = residents_visible_q(organisation, through="resident")
    return (
        Referral.objects.filter(Q(from_organisation=organisation) | Q(to_organisation=organisation))
        .annotate(
            resident_shared=ExpressionWrapper(visible, output_field=BooleanField()),
            overdue=ExpressionWrapper(Q(status=S.SENT, response_due_on__lt=today), output_field=BooleanField()),
        )
        .select_related("resident", "from_organisation", "to_organisation", "service", "referred_by")
    )


def referral_get(*, organisation: Organisation, pk) -> Referral | None:
    """One referral the organisation sent or received, or None (also for a malformed id)."""
    try:
        return referrals_visible_to(organisation).filter(pk=pk).first()
    except (ValueError, TypeError, ValidationError):
        return None


DIRECTIONS = {"received": "to_organisation", "sent": "from_organisation"}
STATUS_GROUPS = {
    "open": list(OPEN_STATUSES),
    "awaiting": [S.SENT],
    "in_progress": [S.ACCEPTED, S.STARTED],
    "closed": [S.DECLINED, S.COMPLETED, S.NOT_COMPLETED, S.WITHDRAWN],
}


def referral_list(
    *, organisation: Organisation, direction: str | None = None, status: str | None = None
) -> QuerySet[Referral]:
    """The inbox: received or sent (or both), by status (one of ReferralStatus, or a group: open, awaiting,
    in_progress, closed, overdue), overdue responses first, then oldest first."""
    referrals = referrals_visible_to(organisation)
    if direction in DIRECTIONS:
        referrals = referrals.filter(**{DIRECTIONS[direction]: organisation})
    if status == "overdue":
        referrals = referrals.filter(overdue=True)
    elif status in STATUS_GROUPS:
        referrals = referrals.filter(status__in=STATUS_GROUPS[status])
    elif status in S.values:
        referrals = referrals.filter(status=status)
    return referrals.order_by("-overdue", "sent_at", "id")


def referral_counts(*, organisation: Organisation) -> dict:
    """Numbers for the home page and the inbox's tabs (numbers only). Every figure is of open referrals, so only
    those are read, from the two inbox indexes (a partner's closed referrals are most of its history: at region
    scale reading them all made the home page 450 ms of SQL)."""
    today = timezone.localdate()
    received = Q(to_organisation=organisation)
    sent = Q(from_organisation=organisation)
    return Referral.objects.filter(received | sent, status__in=OPEN_STATUSES).aggregate(
        received_awaiting=Count("pk", filter=received & Q(status=S.SENT)),
        received_overdue=Count("pk", filter=received & Q(status=S.SENT, response_due_on__lt=today)),
        received_in_progress=Count("pk", filter=received & Q(status__in=[S.ACCEPTED, S.STARTED])),
        sent_open=Count("pk", filter=sent & Q(status__in=OPEN_STATUSES)),
        sent_overdue=Count("pk", filter=sent & Q(status=S.SENT, response_due_on__lt=today)),
    )


def referrals_for_resident(*, organisation: Organisation, resident: Resident) -> QuerySet[Referral]:
    """The resident's referrals the organisation sent or received, newest first (the resident page's section)."""
    return referrals_visible_to(organisation).filter(resident=resident).order_by("-sent_at")


def referrals_overdue_for_response(*, today: date | None = None) -> QuerySet[Referral]:
    """Every referral with no answer by its response date, scheme-wide (for the reminders work to chase)."""
    today = today or timezone.localdate()
    return Referral.objects.filter(status=S.SENT, response_due_on__lt=today).order_by("response_due_on", "sent_at")


def referral_history(referral: Referral) -> list:
    """The referral's history rows and messages, in the order they happened."""
    events = list(referral.events.select_related("organisation", "actor", "api_key"))
    messages = list(referral.messages.select_related("organisation", "author", "api_key"))
    entries = [("event", e.occurred_at, e) for e in events] + [("message", m.sent_at, m) for m in messages]
    return sorted(entries, key=lambda entry: entry[1])


# Choosing a service to refer to


NEED_KINDS = {
    "needs_skills": (ServiceKind.SKILLS_COURSE, ServiceKind.DIGITAL_HELP),
    "needs_device": (ServiceKind.LENDING_POINT,),
    "needs_connectivity": (ServiceKind.CONNECTIVITY_HUB,),
}
NEED_WORDS = {"needs_skills": "wants skills help", "needs_device": "needs a device",
              "needs_connectivity": "needs data or a connection"}  # fmt: skip
AREA_FIELD = {area: f"eds_{area}" for area in ("foundation", "communicating", "handling_information", "transacting",
                                                "problem_solving", "being_safe")}  # fmt: skip


@dataclass
class ServiceFit:
    service: Service
    reasons: list[str] = field(default_factory=list)

    @property
    def score(self) -> int:
        return len(self.reasons)


def services_for_referral(
    *, organisation: Organisation, resident: Resident, kind: str = "", query: str = "", limit: int = 50
) -> list[ServiceFit]:
    """Other partners' services open for referrals now, best fit for the resident first, each with why it fits:
    a kind that meets a need they have, the skill areas their baseline says they cannot yet do on their own, a
    place in their postcode district, a language they speak."""
    today = timezone.localdate()
    services = (
        Service.objects.filter(referrals_open=True, status=ServiceStatus.ACTIVE, organisation__active=True)
        .exclude(organisation=organisation)
        .filter(Q(active_from__isnull=True) | Q(active_from__lte=today))
        .filter(Q(active_until__isnull=True) | Q(active_until__gte=today))
        .select_related("organisation")
        .prefetch_related("locations")
    )
    if kind in ServiceKind.values:
        services = services.filter(kind=kind)
    if query.strip():
        words = query.strip()[:100]
        services = services.filter(Q(name__icontains=words) | Q(description__icontains=words)
                                   | Q(organisation__name__icontains=words))  # fmt: skip
    wanted_kinds = {k: need for need, kinds in NEED_KINDS.items() if getattr(resident, need) for k in kinds}
    to_learn = [area for area, name in AREA_FIELD.items()
                if getattr(resident, name) in (SkillLevel.CANNOT, SkillLevel.WITH_HELP)]  # fmt: skip
    district = (resident.postcode or "").split(" ")[0].upper()
    language = (getattr(resident, "preferred_language", "") or "").strip().lower()
    fits = []
    for service in services[:500]:
        fit = ServiceFit(service)
        if service.kind in wanted_kinds:
            fit.reasons.append(f"{resident.first_name} {NEED_WORDS[wanted_kinds[service.kind]]}")
        areas = [EDS_AREAS[AREA_FIELD[area]].split(" (")[0] for area in service.skill_areas if area in to_learn]
        if areas:
            fit.reasons.append(
                "Covers what their skills baseline says they need help with: " + ", ".join(areas).lower()
            )
        if district and any(loc.postcode_district.upper() == district for loc in service.locations.all()):
            fit.reasons.append(f"Runs in {district}, where they live")
        if language and language != "english" and any(lang.lower() == language for lang in service.languages):
            fit.reasons.append(f"Offered in {language.capitalize()}")
        fits.append(fit)
    fits.sort(key=lambda fit: (-fit.score, fit.service.name))
    return fits[:limit]


# Webhooks


def webhook_deliveries_for(*, organisation: Organisation) -> QuerySet[WebhookDelivery]:
    """The delivery log of the organisation's endpoints, newest first."""
    return (
        WebhookDelivery.objects.filter(endpoint__organisation=organisation)
        .select_related("endpoint", "event")
        .order_by("-created_at", "-id")
    )
