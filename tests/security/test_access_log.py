"""The access log (SECURITY.md, "Access log"): every look at a resident's record through the core's page and
API and every cross-organisation duplicate match is recorded; the table refuses UPDATE and DELETE; coordinators
see who looked at their residents; administrators search it all; it is part of subject access."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from inclusion import choices
from inclusion.actors import Actor
from inclusion.privacy.models import AccessAction, AccessLogEntry
from inclusion.privacy.services import access_log_record
from inclusion.selectors import resident_subject_access
from inclusion.services import resident_duplicate_check

from ..factories import MembershipFactory, OrganisationFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def test_opening_a_residents_page_is_recorded_with_who_when_and_from_where(client_a, staff_a, resident_a):
    response = client_a.get(reverse("resident-detail", kwargs={"pk": resident_a.pk}), REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 200
    entry = AccessLogEntry.objects.get()
    assert entry.action == AccessAction.RESIDENT_VIEWED
    assert (entry.user_id, entry.api_key_id, entry.organisation_id) == (staff_a.user_id, None, staff_a.organisation_id)
    assert entry.actor_label == staff_a.user.full_name
    assert (entry.resident_id, entry.owning_organisation_id) == (resident_a.pk, resident_a.owning_organisation_id)
    assert entry.channel == "web" and entry.ip_address == "198.51.100.7"


def test_a_refused_look_records_nothing(client_b, resident_a):
    assert client_b.get(reverse("resident-detail", kwargs={"pk": resident_a.pk})).status_code == 404
    assert not AccessLogEntry.objects.exists()


def test_the_api_retrieve_is_recorded_against_the_key(api_a, org_a, resident_a):
    assert api_a.get(f"/api/v1/residents/{resident_a.pk}/", REMOTE_ADDR="203.0.113.9").status_code == 200
    entry = AccessLogEntry.objects.get()
    assert entry.api_key.organisation == org_a and entry.user_id is None
    assert entry.actor_label == "API key test system" and entry.channel == "api" and entry.ip_address == "203.0.113.9"
    api_a.get("/api/v1/residents/")  # a list shows what a search finds, not a record: not logged one by one
    assert AccessLogEntry.objects.count() == 1


def test_a_duplicate_check_matching_another_organisations_resident_is_recorded(actor_b, resident_a, org_a):
    own = ResidentFactory(owning_organisation=actor_b.organisation, first_name="Margaret", last_name="Oduya",
                          phone=resident_a.phone)  # fmt: skip
    resident_duplicate_check(actor=actor_b, first_name="Margaret", last_name="Oduya", phone=str(resident_a.phone))
    assert {e.resident_id for e in AccessLogEntry.objects.all()} == {resident_a.pk}
    entries = list(AccessLogEntry.objects.all())
    assert [(e.action, e.resident_id, e.owning_organisation_id) for e in entries] == [
        (AccessAction.DUPLICATE_MATCHED, resident_a.pk, org_a.pk)
    ]
    assert own.pk not in [e.resident_id for e in entries]  # finding one's own resident is no look at another's


def test_the_log_refuses_update_and_delete_even_in_raw_sql(actor_a, resident_a):
    entry = access_log_record(actor=actor_a, action=AccessAction.RESIDENT_VIEWED, resident=resident_a)
    attempts = [
        lambda: AccessLogEntry.objects.filter(pk=entry.pk).update(actor_label="someone else"),
        lambda: AccessLogEntry.objects.filter(pk=entry.pk).delete(),
        lambda: entry.delete(),
        lambda: connection.cursor().execute("DELETE FROM privacy_accesslogentry"),
        lambda: connection.cursor().execute("UPDATE privacy_accesslogentry SET ip_address = NULL"),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    entry.refresh_from_db()
    assert entry.actor_label == actor_a.user.full_name
    assert AccessLogEntry.objects.count() == 1


def test_coordinators_see_who_looked_at_their_residents_and_nothing_else(client, org_a, org_b, resident_a, sharing):
    coordinator = MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR)
    partner = MembershipFactory(organisation=org_b, role=choices.Role.FRONTLINE, user__full_name="Petra Partner")
    sharing.share(resident_a, org_b)
    resident_b = ResidentFactory(owning_organisation=org_b, first_name="Bartholomew", last_name="Bee")
    access_log_record(actor=Actor.for_membership(partner), action=AccessAction.RESIDENT_VIEWED, resident=resident_a)
    access_log_record(actor=Actor.for_membership(partner), action=AccessAction.RESIDENT_VIEWED, resident=resident_b)
    client.force_login(coordinator.user)
    page = client.get(reverse("access-log"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Petra Partner" in body and "Beta Library" in body and "Margaret Oduya" in body
    assert "Bartholomew" not in body and str(resident_b.pk) not in body
    assert "1 entry</caption>" in body

    client.force_login(MembershipFactory(organisation=org_a, role=choices.Role.FRONTLINE).user)
    assert client.get(reverse("access-log")).status_code == 403


def test_administrators_search_the_whole_log(client, org_a, org_b, resident_a):
    administrator = MembershipFactory(organisation=OrganisationFactory(), role=choices.Role.ADMINISTRATOR)
    viewer_a = MembershipFactory(organisation=org_a, role=choices.Role.FRONTLINE, user__email="ann@alpha.example")
    viewer_b = MembershipFactory(organisation=org_b, role=choices.Role.FRONTLINE, user__email="bob@beta.example")
    other = ResidentFactory(owning_organisation=org_b)
    access_log_record(actor=Actor.for_membership(viewer_a), action=AccessAction.RESIDENT_VIEWED, resident=resident_a)
    access_log_record(actor=Actor.for_membership(viewer_b), action=AccessAction.DUPLICATE_MATCHED, resident=resident_a)
    access_log_record(actor=Actor.for_membership(viewer_b), action=AccessAction.RESIDENT_VIEWED, resident=other)
    client.force_login(administrator.user)
    url = reverse("access-log-all")

    def found(**criteria):
        response = client.get(url, criteria)
        assert response.status_code == 200
        return response.context["page"].paginator.count if response.context["page"] else None

    assert found() == 3
    assert found(resident=str(resident_a.pk)) == 2
    assert found(email="BOB@beta.example") == 2
    assert found(organisation=org_a.pk) == 1
    assert found(action=AccessAction.DUPLICATE_MATCHED) == 1
    assert found(resident=str(resident_a.pk), organisation=org_b.pk) == 1
    response = client.get(url, {"resident": "not-a-reference", "organisation": "999999"})
    assert response.status_code == 200 and response.context["page"] is None
    assert "Enter the resident" in response.content.decode() and "Choose an organisation" in response.content.decode()

    client.force_login(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR).user)
    assert client.get(url).status_code == 403


def test_the_access_log_is_part_of_subject_access(actor_b, resident_a, org_b):
    access_log_record(actor=actor_b, action=AccessAction.DUPLICATE_MATCHED, resident=resident_a)
    export = resident_subject_access(resident=resident_a)["access_log"]
    assert export == [{"at": AccessLogEntry.objects.get().at.isoformat(), "organisation": org_b.name,
                       "what": "Found them in a duplicate check", "how": "Staff web"}]  # fmt: skip


def test_access_log_record_is_the_only_writer():
    """No module but inclusion/privacy/services.py creates log rows (bulk or one by one)."""
    import re
    from pathlib import Path

    from django.conf import settings

    writers = []
    for path in Path(settings.BASE_DIR).glob("*/**/*.py"):
        if {"migrations", "tests", ".venv", "node_modules"} & set(path.parts):
            continue
        if re.search(r"AccessLogEntry(\.objects)?\.(create|bulk_create|get_or_create|update_or_create)|"
                     r"AccessLogEntry\([^)]*\)\.save", path.read_text(errors="replace")):  # fmt: skip
            writers.append(str(path.relative_to(settings.BASE_DIR)))
    assert writers == ["inclusion/privacy/services.py"]


def test_issuing_and_revealing_a_voucher_code_are_recorded_against_the_voucher(actor_a, org_a, resident_a):
    from devices.models import VoucherKind
    from devices.vouchers.services import voucher_issue, voucher_reveal

    from ..devices.vouchers.factories import VoucherFactory

    VoucherFactory(batch__organisation=org_a, code="SECRET-123456")
    voucher = voucher_issue(actor=actor_a, resident=resident_a, kind=VoucherKind.DATA_CODE)
    voucher_reveal(actor=actor_a, voucher=voucher)
    entries = list(AccessLogEntry.objects.order_by("pk"))
    assert [(e.action, e.resident_id, e.object_type, e.object_id) for e in entries] == [
        (AccessAction.VOUCHER_CODE_REVEALED, resident_a.pk, "devices.voucher", str(voucher.pk))
    ] * 2
    assert all("SECRET" not in str(value) for e in entries for value in vars(e).values())


def test_a_refused_reveal_records_nothing(actor_b, org_a, resident_a, actor_a):
    from django.http import Http404

    from devices.models import VoucherKind
    from devices.vouchers.services import voucher_issue, voucher_reveal

    from ..devices.vouchers.factories import VoucherFactory

    VoucherFactory(batch__organisation=org_a)
    voucher = voucher_issue(actor=actor_a, resident=resident_a, kind=VoucherKind.DATA_CODE)
    with pytest.raises(Http404):  # organisation B cannot see the resident at all
        voucher_reveal(actor=actor_b, voucher=voucher)
    assert AccessLogEntry.objects.count() == 1  # the issue's entry; the refused reveal added none


@pytest.mark.parametrize(
    "url", ["devices:device-export-csv", "devices:device-export-xlsx", "devices:voucher-export-csv"]
)
def test_every_export_download_is_recorded(client, org_a, url):
    coordinator = MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR)
    client.force_login(coordinator.user)
    response = client.get(reverse(url), REMOTE_ADDR="198.51.100.8")
    assert response.status_code == 200
    entry = AccessLogEntry.objects.get()
    assert (entry.action, entry.user_id, entry.organisation_id) == (
        AccessAction.EXPORT_DOWNLOADED,
        coordinator.user_id,
        org_a.pk,
    )
    assert entry.ip_address == "198.51.100.8"
