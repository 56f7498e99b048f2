"""Reading the access log: what a coordinator sees about their own residents, the administrators' search,
and a resident's own entries for subject access."""

from datetime import date, datetime, time

from django.db.models import QuerySet
from django.utils import timezone

from inclusion.models import Organisation, Resident

from .models import AccessLogEntry


def access_log_for_owner(*, organisation: Organisation, resident_id=None) -> QuerySet[AccessLogEntry]:
    """Every look at `organisation`'s residents (by anyone, its own staff included), newest first; only one
    resident's with `resident_id` (still only if they were the organisation's)."""
    entries = AccessLogEntry.objects.filter(owning_organisation=organisation)
    if resident_id is not None:
        entries = entries.filter(resident_id=resident_id)
    return entries.select_related("organisation", "resident")


def access_log_search(
    *,
    resident_id=None,
    email: str = "",
    organisation: Organisation | None = None,
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AccessLogEntry]:
    """The administrators' search of the whole log; every criterion optional."""
    entries = AccessLogEntry.objects.all()
    if resident_id is not None:
        entries = entries.filter(resident_id=resident_id)
    if email:
        entries = entries.filter(user__email__iexact=email.strip())
    if organisation is not None:
        entries = entries.filter(organisation=organisation)
    if action:
        entries = entries.filter(action=action)
    if since:
        entries = entries.filter(at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    if until:
        entries = entries.filter(at__lte=timezone.make_aware(datetime.combine(until, time.max)))
    return entries.select_related("organisation", "owning_organisation")


def access_log_export(resident: Resident) -> list[dict]:
    """For subject access: who has seen the resident's data, when and how (organisations and dates; the
    names of individual staff are the organisations' own staff data)."""
    return [
        {"at": entry.at.isoformat(), "organisation": entry.organisation.name if entry.organisation else "",
         "what": entry.get_action_display(), "how": entry.get_channel_display()}
        for entry in AccessLogEntry.objects.filter(resident=resident).select_related("organisation")
    ]  # fmt: skip
