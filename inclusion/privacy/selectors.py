"""Reading the access log: what a coordinator sees about their own residents, the administrators' search,
and a resident's own entries for subject access; and the subject access export in readable form."""

import re
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


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?)?$")


def _readable(value) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "None"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict):
        return "; ".join(f"{_label(key)}: {_readable(item)}" for key, item in value.items())
    if isinstance(value, list):
        return " | ".join(_readable(item) for item in value)
    if isinstance(value, str) and ISO_DATE.match(value):  # the export's dates and times, as people write them
        try:
            if len(value) == 10:
                return f"{date.fromisoformat(value):%-d %B %Y}"
            return f"{timezone.localtime(datetime.fromisoformat(value)):%-d %B %Y, %H:%M}"
        except ValueError:
            pass
    return str(value)


def _label(key: str) -> str:
    return str(key).replace("_", " ").capitalize()


def subject_access_readable(export: dict) -> list[dict]:
    """The subject access export (inclusion.selectors.resident_subject_access) as people read it, for the HTML
    page and the PDF: one section per registered part, in the registry's order, each a list of records, each a
    list of (label, value) rows. Nothing is left out: every key of every record is a row."""
    from inclusion.registry import resident_data_providers

    sections = []
    for data in resident_data_providers():
        part = export.get(data.name)
        records = part if isinstance(part, list) else [part] if part else []
        sections.append({
            "title": data.title, "name": data.name,
            "records": [[(_label(key), _readable(value)) for key, value in record.items()]
                        if isinstance(record, dict) else [("", _readable(record))] for record in records],
        })  # fmt: skip
    return sections
