"""What happened, written by the services in the same transaction as the change: case timeline entries
(about a resident) and audit events (changes that belong to no resident)."""

from django.db import models

from .actors import Actor
from .models import AuditEvent, CaseEvent, Resident


def case_event_record(
    *, resident: Resident, actor: Actor, kind: str, summary: str, body: str = "", data: dict | None = None
) -> CaseEvent:
    """One entry on the resident's timeline. `kind` is registered in inclusion.registry by the app that
    writes it; `summary` states the facts, `body` is what staff typed (shown beneath the facts)."""
    return CaseEvent.objects.create(
        resident=resident,
        organisation=actor.organisation,
        author=actor.user,
        api_key=actor.api_key,
        kind=kind,
        summary=summary[:300],
        body=body,
        data=data or {},
    )


def audit_record(
    *, actor: Actor, action: str, obj: models.Model, before: dict | None = None, after: dict | None = None
) -> AuditEvent:
    """One audit event for a change with no resident: `action` like "loan_policy.update", the object
    changed, and the fields' values before and after (only those that changed, for an update)."""
    return AuditEvent.objects.create(
        organisation=actor.organisation,
        actor=actor.user,
        api_key=actor.api_key,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before or {},
        after=after or {},
    )


def changed_values(before: dict, after: dict) -> tuple[dict, dict]:
    """The fields whose value differs, as (before, after) dicts of JSON-ready values."""
    changed = [name for name in after if before.get(name) != after[name]]
    return {name: before.get(name) for name in changed}, {name: after[name] for name in changed}
