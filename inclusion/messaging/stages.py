"""Reminder stages: the scheme's defaults and each organisation's own (which replace a default with the same
subject and offset). Read with `stages_for`; changed by coordinators with `stage_save` and `stage_reset`."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.events import audit_record, changed_values
from inclusion.models import Organisation

from .models import Stage, StageChannel, StageTemplate, Subject

# The scheme's default stages for loans: offset from the due date, wording, escalates to staff, blocks new loans.
DEFAULT_STAGES = [
    (-7, StageTemplate.DUE_SOON, False, False),
    (-1, StageTemplate.DUE_TOMORROW, False, False),
    (0, StageTemplate.DUE_TODAY, False, False),
    (1, StageTemplate.OVERDUE, False, False),
    (7, StageTemplate.OVERDUE, True, False),
    (14, StageTemplate.FINAL, True, True),
]

STAGE_FIELDS = ("channel", "template", "escalates_to_staff", "blocks_new_loans", "active")


@dataclass(frozen=True)
class EffectiveStage:
    stage: Stage
    own: bool  # the organisation's own row (else the scheme's default)
    default: Stage | None  # the scheme's row it replaces, if any


def default_stages_install(**kwargs) -> int:
    """Add the scheme's default stages that are missing (after every migrate; changed ones are left alone)."""
    added = 0
    for offset, template, escalates, blocks in DEFAULT_STAGES:
        _, created = Stage.objects.get_or_create(
            organisation=None, subject=Subject.LOAN_DUE, offset_days=offset,
            defaults={"template": template, "escalates_to_staff": escalates, "blocks_new_loans": blocks},
        )  # fmt: skip
        added += created
    return added


def stages_for(organisation: Organisation, subject: str = Subject.LOAN_DUE) -> list[EffectiveStage]:
    """The stages in force for `organisation`, in offset order (inactive ones included, marked so)."""
    rows = list(Stage.objects.filter(Q(organisation=organisation) | Q(organisation__isnull=True), subject=subject))
    defaults = {row.offset_days: row for row in rows if row.organisation_id is None}
    own = {row.offset_days: row for row in rows if row.organisation_id is not None}
    offsets = sorted(set(defaults) | set(own))
    return [
        EffectiveStage(stage=own.get(offset) or defaults[offset], own=offset in own, default=defaults.get(offset))
        for offset in offsets
    ]


def stage_for(organisation: Organisation, offset_days: int, subject: str = Subject.LOAN_DUE) -> EffectiveStage | None:
    return next((item for item in stages_for(organisation, subject) if item.stage.offset_days == offset_days), None)


def _values(stage: Stage) -> dict:
    return {field: getattr(stage, field) for field in STAGE_FIELDS}


@transaction.atomic
def stage_save(
    *, actor: Actor, offset_days: int, channel: str, template: str, escalates_to_staff: bool = False,
    blocks_new_loans: bool = False, active: bool = True, subject: str = Subject.LOAN_DUE,
) -> Stage:  # fmt: skip
    """Set the actor's organisation's stage at `offset_days` (its own row, replacing any scheme default there).
    Audit event with the values before and after. Sweeps use it from their next run."""
    if not -90 <= offset_days <= 365:
        raise DomainError("Days must be between 90 before and 365 after the due date", field="offset_days")
    if channel not in StageChannel.values:
        raise DomainError("Choose how the resident is told", field="channel")
    if template not in StageTemplate.values:
        raise DomainError("Choose the wording", field="template")
    if channel == StageChannel.NONE and not escalates_to_staff:
        raise DomainError(
            "A stage that tells the resident nothing must tell staff: choose a way to tell the resident, or "
            "tick that it tells staff", field="channel",
        )  # fmt: skip
    current = stage_for(actor.organisation, offset_days, subject)
    before = _values(current.stage) if current else {}
    stage, _ = Stage.objects.update_or_create(
        organisation=actor.organisation, subject=subject, offset_days=offset_days,
        defaults={"channel": channel, "template": template, "escalates_to_staff": escalates_to_staff,
                  "blocks_new_loans": blocks_new_loans, "active": active},
    )  # fmt: skip
    changed_before, changed_after = changed_values(before, _values(stage))
    if changed_after:
        audit_record(actor=actor, action="reminder_stage.update", obj=stage, before=changed_before, after=changed_after)
    return stage


@transaction.atomic
def stage_reset(*, actor: Actor, offset_days: int, subject: str = Subject.LOAN_DUE) -> None:
    """Remove the organisation's own stage at `offset_days`: the scheme's default (if any) applies again."""
    own = Stage.objects.filter(organisation=actor.organisation, subject=subject, offset_days=offset_days).first()
    if own is None:
        raise DomainError("Your organisation has no stage of its own there", field="offset_days")
    audit_record(actor=actor, action="reminder_stage.reset", obj=own, before=_values(own))
    own.delete()
