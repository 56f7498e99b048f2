"""Retention: residents with no activity for settings.RETENTION_INACTIVE_YEARS are listed for their owning
organisation's coordinators, who confirm each for anonymising or keep them, with a reason; the scheduled task
(inclusion/privacy/tasks.py, in inclusion/messaging/schedule.py's JOBS) anonymises only the confirmed ones, and
only if they are still inactive. The rules are here: who is due, the moves a decision may make (TRANSITIONS),
deciding, and carrying a decision out.
"""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from inclusion.access import resident_check_visible
from inclusion.actors import Actor
from inclusion.choices import EventKind
from inclusion.errors import DomainError
from inclusion.events import case_event_record
from inclusion.locks import lock_one
from inclusion.models import Organisation, Resident

from .erasure import activity_entries, resident_erase, resident_is_erased, resident_last_activity
from .models import Erasure, RetentionReview, RetentionStatus

S = RetentionStatus

# The moves a review may make. None: no decision yet (the resident is on the review list).
TRANSITIONS: dict[str | None, set[str]] = {
    None: {S.CONFIRMED, S.KEPT},
    S.CONFIRMED: {S.ANONYMISED, S.LAPSED, S.KEPT},  # done by the task; active again; the coordinator changed mind
    S.KEPT: set(),
    S.ANONYMISED: set(),
    S.LAPSED: set(),
}

CONFIRM, KEEP = "confirm", "keep"


def years_before(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def inactive_since(now: dt.datetime | None = None) -> dt.datetime:
    """Activity before this moment is old enough for the review."""
    return years_before(now or timezone.now(), settings.RETENTION_INACTIVE_YEARS)


def _last_activity_subquery():
    latest = activity_entries().filter(resident=OuterRef("pk")).order_by("-occurred_at").values("occurred_at")[:1]
    return Coalesce(Subquery(latest), F("created_at"))


def residents_due_for_review(*, organisation: Organisation, now: dt.datetime | None = None) -> QuerySet[Resident]:
    """The organisation's own residents with no activity since inactive_since(now), not anonymised, with no
    decision waiting for the task and no "keep" in the last RETENTION_KEEP_DAYS; longest inactive first, each
    annotated with `last_active_at`. Only the owning organisation's: a linked partner never reviews them."""
    now = now or timezone.now()
    cutoff = inactive_since(now)
    decided = RetentionReview.objects.filter(resident=OuterRef("pk")).filter(
        Q(status=S.CONFIRMED) | Q(status=S.KEPT, decided_at__gt=now - dt.timedelta(days=settings.RETENTION_KEEP_DAYS))
    )
    return (
        Resident.objects.filter(owning_organisation=organisation, created_at__lt=cutoff)
        .exclude(Exists(activity_entries().filter(resident=OuterRef("pk"), occurred_at__gte=cutoff)))
        .exclude(Exists(Erasure.objects.filter(resident=OuterRef("pk"))))
        .exclude(Exists(decided))
        .annotate(last_active_at=_last_activity_subquery())
        .order_by("last_active_at", "pk")
    )


def retention_reviews_confirmed(*, organisation: Organisation) -> QuerySet[RetentionReview]:
    """The organisation's confirmations waiting for the scheduled task, oldest first."""
    return (RetentionReview.objects.filter(organisation=organisation, status=S.CONFIRMED)
            .select_related("resident", "decided_by").order_by("decided_at", "pk"))  # fmt: skip


def retention_review_current(*, resident: Resident) -> RetentionReview | None:
    """The decision in force for the resident: a confirmation waiting for the task, else the latest keep."""
    return (RetentionReview.objects.filter(resident=resident, status__in=[S.CONFIRMED, S.KEPT])
            .order_by("-decided_at", "-pk").first())  # fmt: skip


def _move(review: RetentionReview, to_status: str) -> None:
    if to_status not in TRANSITIONS[review.status]:
        raise DomainError(f"This decision is already {review.get_status_display().lower()}.", code="already_decided")
    review.status = to_status


@transaction.atomic
def retention_decide(*, actor: Actor, resident: Resident, decision: str, reason: str = "") -> RetentionReview:
    """A coordinator's decision on a resident the review lists: CONFIRM (the task will anonymise them) or KEEP
    (with a reason; they come back to the list after RETENTION_KEEP_DAYS). A confirmation waiting for the task
    may still be turned into a keep. Refused: as unknown (Http404) if the organisation may not see them; to a
    linked organisation ("not_owner"); once anonymised ("already_erased"); a confirmation for someone active
    since the cut-off ("not_due") or already confirmed ("already_confirmed"); a keep without a reason (on
    "reason"). Locks the resident, then their waiting confirmation; writes a timeline entry."""
    resident = resident_check_visible(actor.organisation, resident)
    if resident.owning_organisation_id != actor.organisation.pk:
        raise DomainError(f"Only {resident.owning_organisation}, who registered them, can decide this.",
                          code="not_owner")  # fmt: skip
    if decision not in (CONFIRM, KEEP):
        raise DomainError("Choose whether to anonymise their record or keep it", field="decision", code="required")
    reason = (reason or "").strip()
    if decision == KEEP and not reason:
        raise DomainError("Enter why you are keeping their record", field="reason", code="required")
    if resident_is_erased(resident):
        raise DomainError("Their record is already anonymised.", code="already_erased")
    waiting = RetentionReview.objects.filter(resident=resident, status=S.CONFIRMED).values_list("pk", flat=True).first()
    last_active = resident_last_activity(resident)
    now = timezone.now()
    if waiting is not None:
        review = lock_one(RetentionReview, waiting)
        if decision == CONFIRM:
            raise DomainError("They are already confirmed for anonymising.", code="already_confirmed")
        _move(review, S.KEPT)
        review.reason, review.decided_by, review.decided_at = reason[:500], actor.user, now
        review.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    else:
        if decision == CONFIRM and last_active >= inactive_since(now):
            raise DomainError(f"They have been active since {timezone.localtime(last_active):%-d %B %Y}, so they "
                              "are not due for anonymising.", code="not_due")  # fmt: skip
        review = RetentionReview(resident=resident, organisation=actor.organisation, last_active_at=last_active,
                                 status=S.CONFIRMED if decision == CONFIRM else S.KEPT, reason=reason[:500],
                                 decided_by=actor.user, decided_at=now)  # fmt: skip
        try:
            with transaction.atomic():
                review.save()
        except IntegrityError:  # one_confirmed_retention_review: confirmed a moment ago
            raise DomainError("They are already confirmed for anonymising.", code="already_confirmed") from None
    confirmed = decision == CONFIRM
    case_event_record(
        resident=resident, actor=actor, kind=EventKind.RETENTION_CONFIRMED if confirmed else EventKind.RETENTION_KEPT,
        summary="Confirmed for anonymising at retention review" if confirmed else "Kept at retention review",
        body=reason,
    )  # fmt: skip
    return review


def retention_anonymise_confirmed() -> dict[str, int]:
    """Carry out every confirmation waiting (the scheduled task): anonymise the resident (erasure.resident_erase,
    as the coordinator who confirmed) if nothing has happened to them since the decision, else let it lapse
    (they are active again: the review will list them again when they are not). One transaction per
    resident, so one failure stops nothing else; safe to run twice (each is re-read under its lock).
    Returns {"anonymised": n, "lapsed": n}."""
    counts = {"anonymised": 0, "lapsed": 0}
    for pk in RetentionReview.objects.filter(status=S.CONFIRMED).order_by("pk").values_list("pk", flat=True):
        outcome = _carry_out(pk)
        if outcome:
            counts[outcome] += 1
    return counts


@transaction.atomic
def _carry_out(pk: int) -> str | None:
    """One confirmation. Locks the resident, then the review (inclusion/locks.py)."""
    review = RetentionReview.objects.select_related("organisation", "decided_by").get(pk=pk)
    actor = Actor(organisation=review.organisation, user=review.decided_by)
    resident = resident_check_visible(review.organisation, review.resident_id)
    review = lock_one(RetentionReview, pk)
    if review.status != S.CONFIRMED:
        return None  # carried out or changed while we waited
    active_again = activity_entries().filter(resident=resident, occurred_at__gt=review.last_active_at).exists()
    if active_again:
        _move(review, S.LAPSED)
    else:
        _move(review, S.ANONYMISED)
        if not resident_is_erased(resident):
            when = timezone.localtime(review.last_active_at)
            resident_erase(actor=actor, resident=resident,
                           reason=f"Retention review: no activity since {when:%-d %B %Y}, confirmed on "
                           f"{timezone.localtime(review.decided_at):%-d %B %Y}")  # fmt: skip
    review.closed_at = timezone.now()
    review.save(update_fields=["status", "closed_at"])
    return "lapsed" if active_again else "anonymised"
