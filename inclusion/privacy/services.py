"""Writing the access log. `access_log_record` is the one way to write it: every page, endpoint and task
that shows a resident's record, reveals a voucher code, hands out an export or matches another
organisation's resident in a duplicate check calls it. And producing a subject access export, which is logged."""

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from inclusion.actors import Actor

from .models import AccessAction, AccessLogEntry, Channel


def access_log_record(
    *,
    actor: Actor,
    action: AccessAction | str,
    resident=None,
    owning_organisation_id: int | None = None,
    obj=None,
    request: HttpRequest | None = None,
) -> AccessLogEntry:
    """Record that `actor` (a member of staff or an API key) did `action` (AccessAction) to `resident` (a
    Resident, or its id with `owning_organisation_id`) and/or `obj` (any model instance: a voucher, an
    export's model), from `request`'s address when there is a request.

    Write it in the same transaction as whatever reveals the data where there is one, so an access that
    fails leaves no entry and one that succeeds always has one. Nothing here is personal data: ids, the
    actor's own name, the address. The row can never be changed or removed (a trigger refuses it)."""
    resident_id = getattr(resident, "pk", resident)
    if owning_organisation_id is None and resident is not None:
        owning_organisation_id = getattr(resident, "owning_organisation_id", None)
    return AccessLogEntry.objects.create(
        action=AccessAction(action),
        organisation=actor.organisation,
        user=actor.user,
        api_key=actor.api_key,
        actor_label=str(actor)[:200],
        resident_id=resident_id,
        owning_organisation_id=owning_organisation_id,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        channel=Channel.API if actor.api_key else Channel.WEB if request is not None or actor.user else Channel.SYSTEM,
        ip_address=client_address(request) if request is not None else None,
    )


def client_address(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or with NUM_PROXIES trusted proxies in front, the address the
    outermost of them saw (X-Forwarded-For), as the API's throttling reads it."""
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR") or None


SUBJECT_ACCESS_FORMATS = ("html", "pdf", "json")


@transaction.atomic
def subject_access_produce(*, actor: Actor, resident, request: HttpRequest | None = None) -> dict:
    """Everything held on the resident across every app (UK GDPR Art. 15; inclusion.selectors.
    resident_subject_access), for their owning organisation only (DomainError "not_owner"; Http404 if it may
    not see them), recorded on the access log in the same transaction. Locks the resident while reading, so the
    export is one consistent moment."""
    from inclusion.access import resident_check_visible
    from inclusion.errors import DomainError
    from inclusion.selectors import resident_subject_access

    resident = resident_check_visible(actor.organisation, resident)
    if resident.owning_organisation_id != actor.organisation.pk:
        raise DomainError(f"Only {resident.owning_organisation}, who registered them, answers their requests.",
                          code="not_owner")  # fmt: skip
    access_log_record(actor=actor, action=AccessAction.SUBJECT_ACCESS_EXPORTED, resident=resident, request=request)
    return resident_subject_access(resident=resident)
