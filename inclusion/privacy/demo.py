"""The privacy app's demo data (manage.py load_demo, through inclusion.registry): three of the scheme lead's
residents nobody has helped for eight years, so its coordinator finds them on the retention review."""

import datetime as dt

from django.utils import timezone

from inclusion.choices import EventKind
from inclusion.models import CaseEvent, Resident
from inclusion.services import resident_search_keys_fill

RETENTION_DOMAIN = "retention.demo.example"  # their (made-up) email addresses: how the demo finds them again
LONG_INACTIVE = [("Winifred", "Ashdown", dt.date(1948, 2, 11)), ("Albert", "Brook", dt.date(1956, 9, 30)),
                 ("Doreen", "Castle", dt.date(1961, 4, 2))]  # fmt: skip


def demo_load(organisations: dict) -> None:
    """Top up the scheme lead's long-inactive residents (registered, and last helped, eight years ago)."""
    lead = organisations["wolverhampton-council"]
    then = timezone.now() - dt.timedelta(days=8 * 365)
    for first_name, last_name, born in LONG_INACTIVE:
        email = f"{first_name.lower()}.{last_name.lower()}@{RETENTION_DOMAIN}"
        if Resident.objects.filter(email=email).exists():
            continue
        resident = resident_search_keys_fill(Resident(
            owning_organisation=lead, first_name=first_name, last_name=last_name, date_of_birth=born, email=email,
            town="Wolverhampton", local_authority="wolverhampton", needs_skills=True, created_at=then,
        ))  # fmt: skip
        resident.save()
        CaseEvent.objects.create(resident=resident, organisation=lead, kind=EventKind.NOTE, occurred_at=then,
                                 summary="Came to a drop-in session", body="Came to a drop-in session")  # fmt: skip
