"""The referrals part of the demo (manage.py load_demo): referrals between the demo partners in every status, made
through the real services so their histories, timelines and outcomes look real. Runs after the directory's demo
(referrals/apps.py registers it first) and uses its services; where a partner has none it adds one of its own."""

from datetime import timedelta
from functools import partial

from django.utils import timezone

from inclusion.actors import Actor
from inclusion.choices import ConsentChannel, ConsentPurpose, Role
from inclusion.models import Consent, Membership, Resident
from inclusion.reports.demo import HISTORY_DOMAIN
from inclusion.services import consent_record

from . import services
from .models import Outcome, Referral, Service, ServiceKind, SkillArea

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
        Resident.objects.filter(owning_organisation=council)
        .exclude(email__endswith="@" + HISTORY_DOMAIN)  # the impact report's year of residents: history_load's
        .order_by("last_name", "first_name")[: len(STORIES)]
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


# A year of referrals for the impact report: one story per resident, in turn; recent ones stay open.
HISTORY_STORIES = ["completed", "declined", "completed", "not_completed", "withdrawn", "completed", "declined",
                   "accepted", "no_response", "completed", "started"]  # fmt: skip
SKILL_UP = {"": "with_help", "cannot": "with_help", "with_help": "independent", "independent": "independent"}
EDS = ("eds_foundation", "eds_communicating", "eds_handling_information", "eds_transacting", "eds_problem_solving",
       "eds_being_safe")  # fmt: skip


def _history_day(sent, today, n: int):
    """`n` days after `sent`, at 10am, but never today or later (the demo shows what has happened)."""
    from inclusion.reports.demo import at

    return at(min(sent + timedelta(days=n), today - timedelta(days=1)))


def history_load(organisations: dict) -> None:
    """A year of referrals for the monthly impact report's demo (inclusion/reports/demo.py's residents): each
    sent by the resident's organisation to another partner's course a few days after they registered, and
    moved along TRANSITIONS to every status (declined for each reason, not completed, withdrawn, no response),
    with completion outcomes (skills after, confidence, outcome flags) and follow-ups for the older ones.
    Rows are written as they stand after the fact. Added once: a referral of one of those residents marks it."""
    from inclusion.reports.demo import at, history_residents

    residents = list(history_residents().select_related("owning_organisation"))
    if not residents or Referral.objects.filter(resident__in=residents[:1]).exists():
        return
    courses = [_service(organisations[slug], kind, name, areas)
               for slug, kind, name, areas in FALLBACK_SERVICES if slug in organisations]  # fmt: skip
    if not courses:
        return
    today = timezone.localdate()
    declines = [value for value, _ in Referral._meta.get_field("decline_reason").choices]
    not_done = [value for value, _ in Referral._meta.get_field("not_completed_reason").choices]
    for number, resident in enumerate(residents):
        sender = resident.owning_organisation
        service = next((s for s in courses[number % len(courses) :] + courses if s.organisation_id != sender.pk), None)
        if service is None:
            continue
        sent = timezone.localdate(resident.created_at) + timedelta(days=3)
        if sent >= today:
            continue
        story = HISTORY_STORIES[number % len(HISTORY_STORIES)]
        if sent + timedelta(days=30) > today and story in ("completed", "not_completed"):
            story = "started"
        days = partial(_history_day, sent, today)
        referral = Referral.objects.create(
            resident=resident, from_organisation=sender, to_organisation=service.organisation, service=service,
            need="device" if service.kind == ServiceKind.LENDING_POINT else "skills",
            reason="Wants to get online to keep in touch with family and manage bills.",
            sharing_consent=Consent.objects.current().get(resident=resident, purpose=ConsentPurpose.SHARING),
            sent_at=at(sent), response_due_on=sent + timedelta(days=7), confidence_before=1 + number % 3,
        )  # fmt: skip
        steps = {
            "no_response": [], "declined": ["declined"], "withdrawn": ["withdrawn"], "accepted": ["accepted"],
            "started": ["accepted", "started"], "completed": ["accepted", "started", "completed"],
            "not_completed": ["accepted", "started", "not_completed"],
        }[story]  # fmt: skip
        fields = {
            "accepted": {"responded_at": days(1 + number % 4), "accepted_at": days(1 + number % 4)},
            "declined": {"responded_at": days(2), "declined_at": days(2), "decline_reason": declines[number % len(declines)]},
            "withdrawn": {"withdrawn_at": days(5), "finished_at": days(5)},
            "started": {"started_at": days(8)},
            "completed": {"finished_at": days(29), "follow_up_due_on": sent + timedelta(days=29 + 56)},
            "not_completed": {"finished_at": days(20), "not_completed_reason": not_done[number % len(not_done)]},
        }  # fmt: skip
        for step in steps:
            Referral.objects.filter(pk=referral.pk).update(status=step, **fields[step])
        if story != "completed":
            continue
        after = {field: SKILL_UP[getattr(resident, field)] for field in EDS}
        flags = {"got_online_independently": number % 2 == 0, "uses_online_public_services": number % 3 == 0,
                 "applied_for_work_or_training": number % 4 == 0, "found_work": number % 8 == 0,
                 "feels_less_isolated": number % 2 == 1, "saves_money_online": number % 5 == 0}  # fmt: skip
        Outcome.objects.create(referral=referral, stage="completion", organisation=service.organisation,
                               recorded_at=days(29), confidence=min(5, 2 + number % 4), **after, **flags)  # fmt: skip
        if sent + timedelta(days=29 + 56) < today:
            Outcome.objects.create(referral=referral, stage="follow_up", organisation=service.organisation,
                                   recorded_at=at(sent + timedelta(days=29 + 56)), confidence=min(5, 3 + number % 3),
                                   **after, **{**flags, "found_work": number % 4 == 0})  # fmt: skip
