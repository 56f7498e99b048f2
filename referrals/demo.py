"""The referrals part of the demo (manage.py load_demo): referrals between the demo partners in every status, made
through the real services so their histories, timelines and outcomes look real. Runs after the directory's demo
(referrals/apps.py registers it first) and uses its services; where a partner has none it adds one of its own."""

from datetime import timedelta

from django.utils import timezone

from inclusion.actors import Actor
from inclusion.choices import ConsentChannel, ConsentPurpose, Role
from inclusion.models import Consent, Membership, Resident
from inclusion.services import consent_record

from . import services
from .models import Referral, Service, ServiceKind, SkillArea

# (receiving partner, kind, name, skill areas) used when the directory demo gave that partner no such service.
FALLBACK_SERVICES = [
    ("central-library", ServiceKind.SKILLS_COURSE, "Get online: first steps",
     [SkillArea.FOUNDATION, SkillArea.COMMUNICATING, SkillArea.BEING_SAFE]),
    ("wolverhampton-college", ServiceKind.SKILLS_COURSE, "Essential Digital Skills (entry level)",
     [SkillArea.HANDLING_INFORMATION, SkillArea.TRANSACTING, SkillArea.PROBLEM_SOLVING]),
    ("black-country-works", ServiceKind.LENDING_POINT, "Laptop lending for job seekers", []),
]  # fmt: skip
# The story of each demo referral: the steps after sending, in order.
STORIES = [
    ("central-library", []),  # sent, awaiting an answer
    ("central-library", ["overdue"]),  # sent a while ago: answer overdue
    ("wolverhampton-college", ["accept"]),
    ("wolverhampton-college", ["decline"]),
    ("central-library", ["accept", "start"]),
    ("central-library", ["accept", "start", "complete"]),
    ("wolverhampton-college", ["accept", "start", "not_complete"]),
    ("black-country-works", ["withdraw"]),
    ("black-country-works", ["accept"]),
]


def _actor(organisation) -> Actor:
    membership = (Membership.objects.filter(organisation=organisation, active=True)
                  .order_by("role").select_related("user").first())  # fmt: skip
    return Actor(organisation=organisation, user=membership.user if membership else None)


def _service(organisation, kind, name, areas) -> Service:
    existing = Service.objects.filter(
        organisation=organisation, kind=kind, referrals_open=True, status="active"
    ).first()
    if existing is not None:
        return existing
    service, _ = Service.objects.get_or_create(
        organisation=organisation, name=name,
        defaults={"kind": kind, "skill_areas": areas, "description": f"{name}: a free course at {organisation.name}.",
                  "schedule_description": "Tuesdays and Thursdays, 10am to 12 noon", "capacity": 12},
    )  # fmt: skip
    return service


def demo_load(organisations: dict) -> None:
    """Nine referrals from the council's frontline worker to the other partners, one story each (sent, overdue,
    accepted, declined, started, completed with outcomes, not completed, withdrawn, and an accepted lending point
    referral). Skipped when the council has already sent referrals."""
    council = organisations.get("wolverhampton-council")
    if council is None or Referral.objects.filter(from_organisation=council).exists():
        return
    frontline = Membership.objects.filter(organisation=council, role=Role.FRONTLINE).select_related("user").first()
    referrer = Actor(organisation=council, user=frontline.user if frontline else None)
    by_slug = {slug: _service(organisations[slug], kind, name, areas)
               for slug, kind, name, areas in FALLBACK_SERVICES if slug in organisations}  # fmt: skip
    residents = list(
        Resident.objects.filter(owning_organisation=council).order_by("last_name", "first_name")[: len(STORIES)]
    )
    for resident, (slug, steps) in zip(residents, STORIES, strict=False):
        if slug not in by_slug:
            continue
        if not Consent.objects.current().filter(resident=resident, purpose=ConsentPurpose.SHARING).exists():
            consent_record(
                actor=referrer, resident=resident, purpose=ConsentPurpose.SHARING, channel=ConsentChannel.PAPER
            )
        service = by_slug[slug]
        need = "device" if service.kind == ServiceKind.LENDING_POINT else "skills"
        referral = services.referral_create(
            actor=referrer, resident=resident, service=service, need=need, urgency="routine", confidence_before=2,
            reason="Wants to get online to keep in touch with family and apply for jobs." if need == "skills"
            else "Needs a laptop to search and apply for jobs from home.",
        )  # fmt: skip
        receiver = _actor(service.organisation)
        for step in steps:
            if step == "overdue":
                sent = timezone.now() - timedelta(days=14)
                Referral.objects.filter(pk=referral.pk).update(sent_at=sent, response_due_on=services.response_due_on(
                    timezone.localdate(sent)))  # fmt: skip
            elif step == "accept":
                services.referral_accept(actor=receiver, referral=referral, note="We will call them this week.")
            elif step == "decline":
                services.referral_decline(actor=receiver, referral=referral, reason="no_capacity",
                                          note="This term is full; the next course starts in January.")  # fmt: skip
            elif step == "start":
                services.referral_start(actor=receiver, referral=referral)
            elif step == "complete":
                services.referral_complete(actor=receiver, referral=referral, note="Came to every session.", outcome={
                    "eds_foundation": "independent", "eds_communicating": "independent", "eds_being_safe": "with_help",
                    "confidence": 4, "got_online_independently": True, "feels_less_isolated": True,
                })  # fmt: skip
            elif step == "not_complete":
                services.referral_not_complete(actor=receiver, referral=referral, reason="health")
            elif step == "withdraw":
                services.referral_withdraw(actor=referrer, referral=referral, note="They have been given a laptop.")
