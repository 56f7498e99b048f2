"""The referrals app's part of the monthly impact report: referrals between partners, skills (courses, the
Essential Digital Skills self-assessment before and after, confidence) and the outcomes recorded.

Registered with the core's report (inclusion/registry.py) when the reports app starts, which imports each
app's `reports.py`. Each figure is defined once here, in words the report shows beside it; each section is a
few aggregate queries (FILTER per figure), never a loop over rows.

For an organisation, a referral counts if it sent or received it ("sent" and "received" tell them apart).
"""

from django.db.models import Avg, Case, Count, F, IntegerField, Q, Value, When
from django.db.models.functions import Extract, TruncDate, TruncMonth
from django.utils import timezone

from inclusion import registry
from inclusion.choices import EDS_AREAS, SkillLevel
from inclusion.models import Resident
from inclusion.reports.definitions import Median, Metric, Reads, ReportContext, Table

from .directory.models import Service, ServiceKind
from .models import OUTCOME_FLAGS, DeclineReason, Outcome, OutcomeStage, Referral, ReferralNeed, ReferralStatus

REFERRAL_METRICS = (
    Metric("referrals_sent", "Referrals sent", "Referrals sent in the period (by the organisation, for an "
           "organisation).", headline=True),
    Metric("referrals_received", "Referrals received", "Referrals received in the period (by the organisation, "
           "for an organisation; for the scheme or a local authority the same as sent)."),
    Metric("referrals_accepted", "Referrals accepted", "Referrals accepted in the period."),
    Metric("referrals_declined", "Referrals declined", "Referrals declined in the period (the reasons are below)."),
    Metric("referrals_no_response", "Awaiting a response past their due date",
           "Referrals sent by the end of the period, not yet accepted or declined then, whose response was due "
           "before then."),
    Metric("referrals_completed", "Referrals completed", "Referrals recorded as completed in the period."),
    Metric("median_days_to_response", "Median days to first response",
           "The middle value of the days from sending to the first accept or decline, for referrals answered in "
           "the period.", unit="days", basis="referrals_responded"),
    Metric("referrals_responded", "Referrals answered", "Referrals accepted or declined for the first time in "
           "the period."),
)  # fmt: skip

REFERRAL_TABLES = (
    Table("declined_by_reason", "Referrals declined by reason", "Referrals declined in the period, by the reason "
          "given.", choices=DeclineReason),
    Table("referrals_by_need", "Referrals sent by need", "Referrals sent in the period, by what the resident "
          "needed.", choices=ReferralNeed),
)  # fmt: skip

SKILLS_METRICS = (
    Metric("skills_referred", "Referred to a skills course", "Referrals sent in the period for digital skills (to a "
           "skills course, or with skills as the need)."),
    Metric("skills_started", "Started a skills course", "Skills referrals recorded as started in the period."),
    Metric("skills_completed", "Completed a skills course", "Skills referrals recorded as completed in the period."),
    Metric("confidence_change", "Average change in confidence (points of 5)",
           "For outcomes recorded at completion in the period with both scores: confidence then minus confidence "
           "when referred, averaged.", unit="points", basis="confidence_assessed"),
    Metric("confidence_assessed", "Residents with confidence before and after",
           "Outcomes recorded at completion in the period with a confidence score before and after."),
)  # fmt: skip

AREA_CODES = {field.removeprefix("eds_"): label for field, label in EDS_AREAS.items()}
EDS_ROWS = {
    **{f"{code}__before": f"{label}: on their own before" for code, label in AREA_CODES.items()},
    **{f"{code}__after": f"{label}: on their own after" for code, label in AREA_CODES.items()},
    **{f"{code}__improved": f"{label}: improved" for code, label in AREA_CODES.items()},
}
SKILLS_TABLES = (
    Table("eds_before_after", "Essential Digital Skills before and after",
          "For outcomes recorded at completion in the period: per skill area, residents who could do it on their own "
          "before (their baseline at registration) and after (their self-assessment at completion), and those whose "
          "level went up.", choices=EDS_ROWS, chart="barh", partition=False),
)  # fmt: skip

OUTCOME_METRICS = (
    Metric("outcomes_at_completion", "Outcomes recorded at completion", "Outcomes recorded in the period at "
           "completion."),
    Metric("outcomes_at_follow_up", "Outcomes recorded at follow-up", "Outcomes recorded in the period at the "
           "follow-up 6 to 12 weeks later."),
)  # fmt: skip
OUTCOME_ROWS = {
    **{f"{flag}__completion": f"{label} (at completion)" for flag, label in OUTCOME_FLAGS.items()},
    **{f"{flag}__follow_up": f"{label} (at follow-up)" for flag, label in OUTCOME_FLAGS.items()},
}
OUTCOME_TABLES = (
    Table("outcome_flags", "Outcomes reported", "Outcomes recorded in the period, by what the resident reported, "
          "at completion and at follow-up.", choices=OUTCOME_ROWS, chart="barh", partition=False),
)  # fmt: skip

RANK = {SkillLevel.CANNOT: 1, SkillLevel.WITH_HELP: 2, SkillLevel.INDEPENDENT: 3}


def _rank(path: str):
    return Case(*[When(**{path: level}, then=Value(rank)) for level, rank in RANK.items()],
                default=Value(None), output_field=IntegerField())  # fmt: skip


def _skills() -> Q:
    return Q(need=ReferralNeed.SKILLS) | Q(service__kind=ServiceKind.SKILLS_COURSE)


def referrals_compute(ctx: ReportContext) -> dict:
    both = ("from_organisation", "to_organisation")
    # Only referrals that touch the period: sent in it, moved on since it began, or unanswered.
    touching = (
        ctx.during("sent_at") | Q(responded_at__isnull=True) | Q(responded_at__gte=ctx.start_at)
        | Q(started_at__gte=ctx.start_at) | Q(finished_at__gte=ctx.start_at)
    )  # fmt: skip
    referrals = Referral.objects.filter(
        touching, ctx.scoped(organisations=both, resident="resident", resident_always=True)
    )
    sent = ctx.during("sent_at")
    # For an organisation "sent" is by it and "received" is to it; for the scheme or a place they are the same.
    sent_by = (
        ctx.scoped(organisations=("from_organisation",), resident="resident", resident_always=True)
        if ctx.organisation_id
        else Q()
    )
    received_by = (
        ctx.scoped(organisations=("to_organisation",), resident="resident", resident_always=True)
        if ctx.organisation_id
        else Q()
    )
    days_to_response = Extract(F("responded_at") - F("sent_at"), "epoch") / 86400.0
    awaiting = (
        Q(sent_at__lt=ctx.as_of, response_due_on__lt=ctx.as_of_date)
        & (Q(responded_at__isnull=True) | Q(responded_at__gte=ctx.as_of))
        & ~Q(status=ReferralStatus.WITHDRAWN, finished_at__lt=ctx.as_of)
    )
    completed = ctx.during("finished_at") & Q(status=ReferralStatus.COMPLETED)
    figures = referrals.aggregate(
        referrals_sent=Count("pk", filter=sent & sent_by),
        referrals_received=Count("pk", filter=sent & received_by),
        referrals_accepted=Count("pk", filter=ctx.during("accepted_at")),
        referrals_declined=Count("pk", filter=ctx.during("declined_at")),
        referrals_no_response=Count("pk", filter=awaiting),
        referrals_completed=Count("pk", filter=completed),
        referrals_responded=Count("pk", filter=ctx.during("responded_at")),
        median_days_to_response=Median(days_to_response, filter=ctx.during("responded_at")),
    )
    if figures["median_days_to_response"] is not None:
        figures["median_days_to_response"] = round(figures["median_days_to_response"], 1)
    declined = dict(
        referrals.filter(ctx.during("declined_at")).values_list("decline_reason").annotate(n=Count("pk"))
        .values_list("decline_reason", "n")
    )  # fmt: skip
    by_need = dict(referrals.filter(sent).values_list("need").annotate(n=Count("pk")).values_list("need", "n"))
    return {"metrics": figures, "tables": {"declined_by_reason": declined, "referrals_by_need": by_need}}


def _outcomes(ctx: ReportContext):
    return Outcome.objects.filter(
        ctx.during("recorded_at"),
        ctx.scoped(organisations=("referral__from_organisation", "referral__to_organisation"),
                   resident="referral__resident", resident_always=True),
    )  # fmt: skip


def skills_compute(ctx: ReportContext) -> dict:
    referrals = Referral.objects.filter(
        _skills(),
        ctx.scoped(organisations=("from_organisation", "to_organisation"), resident="resident", resident_always=True),
    )
    referral_figures = referrals.aggregate(
        skills_referred=Count("pk", filter=ctx.during("sent_at")),
        skills_started=Count("pk", filter=ctx.during("started_at")),
        skills_completed=Count("pk", filter=ctx.during("finished_at") & Q(status=ReferralStatus.COMPLETED)),
    )
    at_completion = _outcomes(ctx).filter(stage=OutcomeStage.COMPLETION)
    aggregates = {}
    for code in AREA_CODES:
        before, after = f"referral__resident__eds_{code}", f"eds_{code}"
        aggregates[f"{code}__before"] = Count("pk", filter=Q(**{before: SkillLevel.INDEPENDENT}))
        aggregates[f"{code}__after"] = Count("pk", filter=Q(**{after: SkillLevel.INDEPENDENT}))
        aggregates[f"{code}__improved"] = Count("pk", filter=Q(**{f"rank_after_{code}__gt": F(f"rank_before_{code}")}))
    ranks = {}
    for code in AREA_CODES:
        ranks[f"rank_before_{code}"] = _rank(f"referral__resident__eds_{code}")
        ranks[f"rank_after_{code}"] = _rank(f"eds_{code}")
    both_scores = Q(confidence__isnull=False, referral__confidence_before__isnull=False)
    figures = at_completion.annotate(**ranks).aggregate(
        **aggregates,
        confidence_change=Avg(F("confidence") - F("referral__confidence_before"), filter=both_scores),
        confidence_assessed=Count("pk", filter=both_scores),
    )
    change = figures.pop("confidence_change")
    assessed = figures.pop("confidence_assessed")
    metrics = {**referral_figures, "confidence_change": round(float(change), 2) if change is not None else None,
               "confidence_assessed": assessed}  # fmt: skip
    return {"metrics": metrics, "tables": {"eds_before_after": figures}}


def outcomes_compute(ctx: ReportContext) -> dict:
    aggregates = {
        f"{flag}__{stage}": Count("pk", filter=Q(**{flag: True}, stage=stage))
        for stage in OutcomeStage.values
        for flag in OUTCOME_FLAGS
    }
    figures = _outcomes(ctx).aggregate(
        outcomes_at_completion=Count("pk", filter=Q(stage=OutcomeStage.COMPLETION)),
        outcomes_at_follow_up=Count("pk", filter=Q(stage=OutcomeStage.FOLLOW_UP)),
        **aggregates,
    )
    metrics = {key: figures.pop(key) for key in ("outcomes_at_completion", "outcomes_at_follow_up")}
    return {"metrics": metrics, "tables": {"outcome_flags": figures}}


def supported(ctx: ReportContext) -> list:
    """Residents referred in ctx's period: once for the sending organisation, once for the receiving one."""
    tz = timezone.get_current_timezone()
    rows = Referral.objects.filter(ctx.during("sent_at")).annotate(
        r=F("resident_id"), at=TruncDate("sent_at", tzinfo=tz)
    )
    return [
        rows.annotate(o=F("from_organisation_id")).values_list("r", "at", "o").order_by(),
        rows.annotate(o=F("to_organisation_id")).values_list("r", "at", "o").order_by(),
    ]


# What the sections below read (inclusion/reports/rollups.py keeps closed months' figures by these). A status is
# read only with the time it was reached (completed or withdrawn: finished_at).
REFERRAL_READS = Reads(
    Referral,
    dates=("sent_at", "response_due_on", "responded_at", "accepted_at", "declined_at", "started_at", "finished_at"),
    attributes=("from_organisation", "to_organisation", "resident", "need", "decline_reason", "service",
                "confidence_before"),
    with_dates=("status",),
)  # fmt: skip
OUTCOME_READS = Reads(
    Outcome, dates=("recorded_at",),
    attributes=("referral", "stage", "confidence", *EDS_AREAS, *OUTCOME_FLAGS),
)  # fmt: skip


def referrals_trend(ctx: ReportContext) -> dict:
    tz = timezone.get_current_timezone()
    sent_by = ("from_organisation",) if ctx.organisation_id else ("from_organisation", "to_organisation")
    rows = (
        Referral.objects.filter(
            ctx.during("sent_at"), ctx.scoped(organisations=sent_by, resident="resident", resident_always=True)
        )
        .annotate(month=TruncMonth("sent_at", tzinfo=tz))
        .values_list("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
        .order_by()
    )
    return {"referrals_sent": {month.date(): n for month, n in rows}}


registry.register_report_section(registry.ReportSection(
    key="referrals", title="Referrals", order=40, compute=referrals_compute, metrics=REFERRAL_METRICS,
    tables=REFERRAL_TABLES, supported=supported, trend=referrals_trend,
    code_lists={"Referral statuses": ReferralStatus, "Decline reasons": DeclineReason, "Referral needs": ReferralNeed},
    reads=(REFERRAL_READS,),
))  # fmt: skip
registry.register_report_section(registry.ReportSection(
    key="skills", title="Skills", order=50, compute=skills_compute, metrics=SKILLS_METRICS, tables=SKILLS_TABLES,
    code_lists={"Essential Digital Skills levels": SkillLevel, "Essential Digital Skills areas": EDS_AREAS},
    reads=(REFERRAL_READS, OUTCOME_READS, Reads(Service, attributes=("kind",)),
           Reads(Resident, attributes=tuple(EDS_AREAS))),
))  # fmt: skip
registry.register_report_section(registry.ReportSection(
    key="outcomes", title="Outcomes", order=60, compute=outcomes_compute, metrics=OUTCOME_METRICS,
    tables=OUTCOME_TABLES, code_lists={"Outcome flags": OUTCOME_FLAGS, "Outcome stages": OutcomeStage},
    reads=(OUTCOME_READS,),
))  # fmt: skip
