"""Case timeline entries: one function writes them all, called by services in the same transaction."""

from .actors import Actor
from .models import CaseEvent, Resident


def case_event_record(
    *, resident: Resident, actor: Actor, kind: str, summary: str, body: str = "", data: dict | None = None
) -> CaseEvent:
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
