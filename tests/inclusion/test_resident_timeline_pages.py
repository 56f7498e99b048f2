"""The case timeline on the resident's page comes a page at a time (issue 12: a resident of years has hundreds
of entries), newest first, and a linked organisation's pages leave out the owner's notes before paginating."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inclusion.models import CaseEvent
from inclusion.services import note_add
from inclusion.views import TIMELINE_PAGE_SIZE

pytestmark = pytest.mark.django_db


def _notes(resident, actor, count, prefix, days_ago=30):
    """`count` notes, the first the oldest, a minute apart (written by the real service, then dated)."""
    start = timezone.now() - timedelta(days=days_ago)
    for n in range(count):
        event = note_add(actor=actor, resident=resident, body=f"{prefix} number {n:03d}")
        CaseEvent.objects.filter(pk=event.pk).update(occurred_at=start + timedelta(minutes=n))


def _page(client, resident, page=None):
    url = reverse("resident-detail", kwargs={"pk": resident.pk}) + (f"?page={page}" if page else "")
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_timeline_shows_the_latest_entries_then_the_rest_page_by_page(client_a, actor_a, resident_a):
    _notes(resident_a, actor_a, 2 * TIMELINE_PAGE_SIZE + 5, "Note")
    total = CaseEvent.objects.filter(resident=resident_a).count()
    first = _page(client_a, resident_a)
    newest = 2 * TIMELINE_PAGE_SIZE + 4
    assert f"Note number {newest:03d}" in first and f"Note number {newest - TIMELINE_PAGE_SIZE + 1:03d}" in first
    assert f"Note number {newest - TIMELINE_PAGE_SIZE:03d}" not in first
    assert f"Entries 1 to {TIMELINE_PAGE_SIZE} of {total}, newest first" in first
    assert 'class="govuk-pagination"' in first and f'start="{total}"' in first
    second = _page(client_a, resident_a, 2)
    assert f"Note number {newest - TIMELINE_PAGE_SIZE:03d}" in second
    assert f"Note number {newest:03d}" not in second
    assert f'start="{total - TIMELINE_PAGE_SIZE}"' in second
    last = _page(client_a, resident_a, 99)  # past the end: the last page, not an error
    assert "Note number 000" in last and f"of {total}, newest first" in last


def test_the_timeline_is_read_a_page_at_a_time(client_a, actor_a, resident_a):
    _notes(resident_a, actor_a, 3 * TIMELINE_PAGE_SIZE, "Note")
    with CaptureQueriesContext(connection) as queries:
        _page(client_a, resident_a)
    reads = [q["sql"] for q in queries if 'FROM "inclusion_caseevent"' in q["sql"] and "SELECT" in q["sql"][:10]]
    rows = [sql for sql in reads if "COUNT(" not in sql]
    assert rows and all(f"LIMIT {TIMELINE_PAGE_SIZE}" in sql for sql in rows), rows


def test_a_few_entries_need_no_pages(client_a, actor_a, resident_a):
    _notes(resident_a, actor_a, 3, "Note")
    body = _page(client_a, resident_a)
    assert "Note number 002" in body and 'class="govuk-pagination"' not in body and "newest first" not in body


def test_a_linked_organisations_pages_are_full_without_the_owners_notes(
    client_b, actor_a, actor_b, org_b, resident_a, sharing
):
    sharing.share(resident_a, org_b)
    _notes(resident_a, actor_b, TIMELINE_PAGE_SIZE + 5, "Beta note")
    _notes(resident_a, actor_a, TIMELINE_PAGE_SIZE, "Owner note", days_ago=20)  # newer than all of B's
    shown = CaseEvent.objects.filter(resident=resident_a).exclude(
        kind="note", organisation=resident_a.owning_organisation
    )
    first = _page(client_b, resident_a)
    assert "Owner note" not in first
    # A full first page (the owner's newer notes are left out before paginating, not after), counted over
    # what B may read.
    assert first.count('class="app-timeline__item"') == TIMELINE_PAGE_SIZE
    assert f"of {shown.count()}, newest first" in first
    second = _page(client_b, resident_a, 2)
    assert "Owner note" not in second and "Beta note number 000" in second
