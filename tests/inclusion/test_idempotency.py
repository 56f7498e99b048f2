"""Retries are safe (issue 7, item 11): an Idempotency-Key on any POST makes the write happen once, and a
lost voucher code can be shown again through POST /api/v1/vouchers/{id}/reveal/."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from devices.models import Voucher, VoucherStatus
from inclusion.models import CaseEvent, IdempotencyRecord, Resident
from inclusion.services import api_key_create, idempotency_records_purge

from ..devices.vouchers.factories import VoucherFactory
from ..factories import ResidentFactory

pytestmark = pytest.mark.django_db

RESIDENTS = "/api/v1/residents/"
# Registered "anyway": these tests post the same person again on purpose, past the possible-duplicate check.
ADA = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1958-04-02", "confirm_new_person": True}


def post(api, path, body, key):
    return api.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_same_post_twice_with_one_key_registers_one_resident(api_a):
    first = post(api_a, RESIDENTS, ADA, "retry-1")
    second = post(api_a, RESIDENTS, ADA, "retry-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Resident.objects.count() == 1
    assert CaseEvent.objects.filter(kind="registered").count() == 1


def test_key_order_in_the_body_does_not_make_another_request(api_a):
    post(api_a, RESIDENTS, ADA, "retry-1")
    again = post(api_a, RESIDENTS, dict(reversed(list(ADA.items()))), "retry-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Resident.objects.count() == 1


def test_without_a_key_each_post_is_a_new_request(api_a):
    api_a.post(RESIDENTS, ADA, format="json")
    api_a.post(RESIDENTS, ADA, format="json")
    assert Resident.objects.count() == 2


def test_the_same_key_with_a_different_body_is_422_and_does_nothing(api_a):
    post(api_a, RESIDENTS, ADA, "retry-1")
    response = post(api_a, RESIDENTS, {**ADA, "first_name": "Augusta"}, "retry-1")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["code"], error["attr"]) == ("idempotency_key_reused", "Idempotency-Key")
    assert list(Resident.objects.values_list("first_name", flat=True)) == ["Ada"]


def test_the_same_key_on_another_endpoint_is_422(api_a, resident_a):
    post(api_a, RESIDENTS, ADA, "retry-1")
    response = post(api_a, f"{RESIDENTS}{resident_a.pk}/notes/", {"body": "Hello"}, "retry-1")
    assert response.status_code == 422
    assert not CaseEvent.objects.filter(kind="note").exists()


def test_another_organisations_key_can_neither_replay_nor_probe_a_key(api_a, api_b):
    mine = post(api_a, RESIDENTS, ADA, "shared-key")
    theirs = post(api_b, RESIDENTS, {**ADA, "first_name": "Bea"}, "shared-key")  # a different body: not a 422
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert theirs.json()["id"] != mine.json()["id"] and theirs.json()["owning_organisation"] == "beta"
    same = post(api_b, RESIDENTS, ADA, "mine-only")
    assert same.status_code == 201 and "Idempotent-Replayed" not in same


def test_a_second_key_of_the_same_organisation_has_its_own_keys(api_a, org_a):
    _, key = api_key_create(organisation=org_a, name="second system")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    post(api_a, RESIDENTS, ADA, "k")
    assert "Idempotent-Replayed" not in post(other, RESIDENTS, ADA, "k")
    assert Resident.objects.count() == 2


def test_a_refused_request_does_not_use_up_its_key(api_a):
    bad = post(api_a, RESIDENTS, {**ADA, "postcode": "nowhere"}, "retry-1")
    assert bad.status_code == 400
    good = post(api_a, RESIDENTS, ADA, "retry-1")
    assert good.status_code == 201 and "Idempotent-Replayed" not in good
    assert Resident.objects.count() == 1


def test_a_key_is_kept_for_24_hours_only(api_a, settings):
    assert settings.IDEMPOTENCY_KEY_TTL == 24 * 60 * 60
    post(api_a, RESIDENTS, ADA, "retry-1")
    record = IdempotencyRecord.objects.get()
    assert timedelta(hours=23, minutes=59) < record.expires_at - record.created_at <= timedelta(hours=24)
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    again = post(api_a, RESIDENTS, ADA, "retry-1")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Resident.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "two words"])
def test_a_malformed_key_is_400_naming_the_header(api_a, key):
    response = post(api_a, RESIDENTS, ADA, key)
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "Idempotency-Key"
    assert not Resident.objects.exists()


def test_expired_records_are_purged_and_current_ones_kept(api_a):
    post(api_a, RESIDENTS, ADA, "old")
    post(api_a, RESIDENTS, {**ADA, "first_name": "Bea"}, "new")
    IdempotencyRecord.objects.filter(key="old").update(expires_at=timezone.now() - timedelta(minutes=1))
    assert idempotency_records_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_the_api_purges_expired_records_at_most_hourly(api_a):
    post(api_a, RESIDENTS, ADA, "old")  # the first idempotent request of the hour purges (nothing yet)
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    post(api_a, RESIDENTS, {**ADA, "first_name": "Bea"}, "new")
    assert IdempotencyRecord.objects.filter(key="old").exists()  # swept already this hour
    from django.core.cache import cache

    cache.delete("idempotency:purged-recently")  # an hour later
    post(api_a, RESIDENTS, {**ADA, "first_name": "Cy"}, "newer")
    assert not IdempotencyRecord.objects.filter(key="old").exists()


@pytest.mark.django_db(transaction=True)
def test_identical_requests_racing_with_one_key_make_one_resident(org_a):
    _, key = api_key_create(organisation=org_a, name="racing system")
    barrier = threading.Barrier(8)
    responses = []

    def attempt():
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        try:
            barrier.wait()
            responses.append(post(api, RESIDENTS, ADA, "race-1"))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [response.status_code for response in responses] == [201] * 8
    assert len({response.json()["id"] for response in responses}) == 1
    assert sum(response.has_header("Idempotent-Replayed") for response in responses) == 7
    assert Resident.objects.count() == 1
    assert CaseEvent.objects.filter(kind="registered").count() == 1


@pytest.mark.django_db(transaction=True)
def test_voucher_issues_racing_with_one_key_give_one_code(org_a):
    _, key = api_key_create(organisation=org_a, name="racing system")
    resident = ResidentFactory(owning_organisation=org_a)
    batch = VoucherFactory(batch__organisation=org_a, batch__max_per_resident=5).batch
    VoucherFactory.create_batch(4, batch=batch)
    barrier = threading.Barrier(5)
    codes = []

    def attempt():
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        try:
            barrier.wait()
            response = post(api, "/api/v1/vouchers/issue/", {"resident": str(resident.pk), "kind": "data_code"}, "i-1")
            codes.append((response.status_code, response.json()["code"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(codes) == 5 and {status for status, _ in codes} == {201}
    assert len({code for _, code in codes}) == 1
    assert Voucher.objects.filter(status=VoucherStatus.ISSUED).count() == 1


# --- A lost voucher code --------------------------------------------------------------------------------------


def test_a_lost_issue_response_is_replayed_with_the_same_code(api_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a)
    VoucherFactory.create_batch(2, batch__organisation=org_a, batch__max_per_resident=3)
    body = {"resident": str(resident.pk), "kind": "data_code"}
    first = post(api_a, "/api/v1/vouchers/issue/", body, "issue-1")
    again = post(api_a, "/api/v1/vouchers/issue/", body, "issue-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["code"] == first.json()["code"]
    assert Voucher.objects.filter(status=VoucherStatus.ISSUED).count() == 1
    assert first["Cache-Control"] == "no-store"
    # The code was shown twice: the second time is on the timeline, as a reveal.
    [revealed] = CaseEvent.objects.filter(resident=resident, kind="voucher_revealed")
    assert revealed.api_key is not None and first.json()["code"] not in revealed.summary


def test_a_replayed_reveal_is_on_the_timeline_each_time(api_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a)
    VoucherFactory(batch__organisation=org_a)
    issued = api_a.post("/api/v1/vouchers/issue/", {"resident": str(resident.pk), "kind": "data_code"}, format="json")
    for _ in range(3):
        assert post(api_a, f"/api/v1/vouchers/{issued.json()['id']}/reveal/", None, "reveal-1").status_code == 200
    assert CaseEvent.objects.filter(resident=resident, kind="voucher_revealed").count() == 3


def test_reveal_shows_the_code_again_and_puts_it_on_the_timeline(api_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a)
    VoucherFactory(batch__organisation=org_a, code="WHOLECODE-4321")
    issued = api_a.post("/api/v1/vouchers/issue/", {"resident": str(resident.pk), "kind": "data_code"}, format="json")
    response = api_a.post(f"/api/v1/vouchers/{issued.json()['id']}/reveal/", format="json")
    assert response.status_code == 200, response.content
    assert response.json()["code"] == "WHOLECODE-4321"
    assert response["Cache-Control"] == "no-store"
    event = CaseEvent.objects.get(resident=resident, kind="voucher_revealed")
    assert event.api_key is not None and "WHOLECODE" not in event.summary and "4321" in event.summary


def test_reveal_of_a_voucher_not_issued_is_409(api_a, org_a):
    voucher = VoucherFactory(batch__organisation=org_a)
    response = api_a.post(f"/api/v1/vouchers/{voucher.pk}/reveal/", format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "not_issued"
    assert voucher.code not in response.content.decode()


def test_reveal_of_another_organisations_voucher_is_404(api_a, api_b, org_a):
    resident = ResidentFactory(owning_organisation=org_a)
    VoucherFactory(batch__organisation=org_a, code="SECRET-9999")
    issued = api_a.post("/api/v1/vouchers/issue/", {"resident": str(resident.pk), "kind": "data_code"}, format="json")
    response = api_b.post(f"/api/v1/vouchers/{issued.json()['id']}/reveal/", format="json")
    assert response.status_code == 404 and "SECRET" not in response.content.decode()
    assert not CaseEvent.objects.filter(kind="voucher_revealed").exists()
