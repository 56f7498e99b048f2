"""The devices partner API (/api/v1/devices/, /api/v1/loans/) end to end.

Every request goes through the real authentication, serializers, services, selectors, access rule and
error handler. Loans are made with the real service (devices.services.loan_create).
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from devices import services
from devices.models import Device, DeviceEvent, DeviceStatus, Loan, LoanExtension
from inclusion.models import CaseEvent
from inclusion.services import api_key_create

from ..factories import ResidentFactory
from .factories import DeviceFactory

pytestmark = pytest.mark.django_db

S = DeviceStatus
DEVICES = "/api/v1/devices/"
LOANS = "/api/v1/loans/"
LOAN_ACTIONS = ["return", "extend", "report-lost", "gift"]


def device_url(tag) -> str:
    return f"{DEVICES}{tag}/"


def loan_url(loan, action=None) -> str:
    pk = loan if isinstance(loan, int) else loan.pk
    return f"{LOANS}{pk}/" + (f"{action}/" if action else "")


def today():
    return timezone.localdate()


def lend(actor, device, resident, **kwargs) -> Loan:
    kwargs.setdefault("agreement_method", "signed_paper")
    return services.loan_create(actor=actor, device=device, resident=resident, **kwargs)


def errors(response, status=400) -> list[dict]:
    """The errors of a refusal: 400 for input that breaks the schema, 409 for a conflict with how things stand,
    422 for a rule the schema cannot express (see inclusion/api/errors.py)."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["type"] == "validation_error"
    for error in body["errors"]:
        assert error["code"] and error["detail"]
    return body["errors"]


def error_attrs(response, status=400) -> set:
    return {error["attr"] for error in errors(response, status)}


def assert_404(response):
    assert response.status_code == 404, response.content
    assert response.json()["errors"][0]["code"] == "not_found"


def device_snapshot(device) -> dict:
    """Everything a write could change on a device, to prove a refused request changed nothing."""
    device = Device.objects.get(pk=device.pk)
    fields = ("status", "location", "make", "notes", "condition", "accessories", "updated_at", "gifted_to_id")
    return {
        "fields": {field: getattr(device, field) for field in fields},
        "events": DeviceEvent.objects.filter(device=device).count(),
    }


def loan_snapshot(loan) -> dict:
    loan = Loan.objects.get(pk=loan.pk)
    fields = ("due_on", "extensions", "closed_at", "outcome", "returned_on", "police_reference", "closing_notes")
    return {
        "fields": {field: getattr(loan, field) for field in fields},
        "device": device_snapshot(loan.device),
        "extensions": LoanExtension.objects.filter(loan=loan).count(),
        "timeline": CaseEvent.objects.filter(resident=loan.resident).count(),
    }


@pytest.fixture
def key_a(org_a):
    """org_a's key row, and an API client that uses it."""
    row, key = api_key_create(organisation=org_a, name="Alpha CRM")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return row, api


@pytest.fixture
def device_a(org_a):
    return DeviceFactory(owning_organisation=org_a, asset_tag="LAP-001", accessories=["charger", "case"])


@pytest.fixture
def device_b(org_b):
    return DeviceFactory(owning_organisation=org_b, asset_tag="LIB-001", location="Central Library")


@pytest.fixture
def resident_b(org_b):
    return ResidentFactory(owning_organisation=org_b, first_name="Bernard", last_name="Okafor")


@pytest.fixture
def loan_a(actor_a, device_a, resident_a):
    return lend(actor_a, device_a, resident_a)


@pytest.fixture
def loan_b(actor_b, device_b, resident_b):
    return lend(actor_b, device_b, resident_b)


def valid_loan(device, resident, /, **overrides) -> dict:
    data = {
        "device": device.asset_tag,
        "resident": str(resident.pk),
        "agreement_method": "signed_paper",
        "agreement_accepted": True,
    }
    data.update(overrides)
    return data


# --- Authentication -------------------------------------------------------------------------------------


@pytest.fixture(params=["no key", "bad key"])
def unauthorised(request):
    api = APIClient()
    if request.param == "bad key":
        api.credentials(HTTP_AUTHORIZATION="Api-Key abcdefgh.not-a-real-key")
    return api


def test_every_endpoint_without_a_valid_key_is_401_and_changes_nothing(unauthorised, device_a, loan_a, resident_a):
    before_device, before_loan = device_snapshot(device_a), loan_snapshot(loan_a)
    devices, loans = Device.objects.count(), Loan.objects.count()
    requests = [
        ("get", DEVICES, None), ("post", DEVICES, {"kind": "laptop"}),
        ("get", device_url(device_a.asset_tag), None), ("patch", device_url(device_a.asset_tag), {"make": "x"}),
        ("put", device_url(device_a.asset_tag), {"kind": "tablet"}),
        ("get", LOANS, None), ("post", LOANS, valid_loan(device_a, resident_a)), ("get", loan_url(loan_a), None),
        ("post", loan_url(loan_a, "return"), {"condition": "good"}), ("post", loan_url(loan_a, "extend"), {}),
        ("post", loan_url(loan_a, "report-lost"), {}), ("post", loan_url(loan_a, "gift"), {}),
    ]  # fmt: skip
    for method, path, data in requests:
        response = getattr(unauthorised, method)(path, data, format="json")
        assert response.status_code == 401, f"{method} {path}: {response.status_code}"
        assert response["WWW-Authenticate"] == "Api-Key"
        assert response.json()["type"] == "client_error"
    assert device_snapshot(device_a) == before_device
    assert loan_snapshot(loan_a) == before_loan
    assert (Device.objects.count(), Loan.objects.count()) == (devices, loans)


# --- Devices: create --------------------------------------------------------------------------------------


def test_create_device_is_201_received_owned_by_the_keys_organisation(key_a, org_a):
    row, api = key_a
    data = {
        "asset_tag": " lap-042 ", "kind": "laptop", "make": "Dell", "model": "Latitude 5400",
        "serial_number": "SN-1", "accessories": ["charger", "case", "charger"], "location": "Civic Centre",
        "source": "donated", "donor": "Acme Ltd", "condition": "fair", "notes": "Sticker on lid",
    }  # fmt: skip
    response = api.post(DEVICES, data, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "asset_tag": "LAP-042", "serial_number": "SN-1", "kind": "laptop", "make": "Dell", "model": "Latitude 5400",
        "specification": "", "accessories": ["charger", "case"], "location": "Civic Centre", "source": "donated",
        "donor": "Acme Ltd", "condition": "fair", "notes": "Sticker on lid", "status": "received",
        "created_at": body["created_at"], "updated_at": body["updated_at"],
    }  # fmt: skip
    device = Device.objects.get(asset_tag="LAP-042")
    assert device.owning_organisation == org_a
    assert device.status == S.RECEIVED
    event = DeviceEvent.objects.get(device=device)
    assert (event.action, event.to_status, event.api_key, event.actor) == ("receive", S.RECEIVED, row, None)


def test_create_device_without_a_tag_generates_one(key_a):
    _, api = key_a
    response = api.post(DEVICES, {"kind": "tablet"}, format="json")
    assert response.status_code == 201, response.content
    assert re.fullmatch(r"AC-\d{6}", response.json()["asset_tag"])  # Alpha Council's prefix
    assert response.json()["status"] == "received"
    assert response.json()["condition"] == "good"


def test_create_device_refuses_an_attempt_to_choose_its_status_or_owner(key_a, org_a):
    _, api = key_a
    response = api.post(DEVICES, {"kind": "tablet", "status": "ready", "owning_organisation": "beta"}, format="json")
    assert error_attrs(response) == {"status", "owning_organisation"}
    assert not Device.objects.exists()


def test_create_device_with_a_tag_in_your_own_stock_is_409_duplicate(key_a, device_a):
    _, api = key_a
    response = api.post(DEVICES, {"kind": "laptop", "asset_tag": "lap-001"}, format="json")
    assert errors(response, 409) == [
        {"code": "duplicate", "detail": "Asset tag LAP-001 is already in use.", "attr": "asset_tag"}
    ]
    assert Device.objects.count() == 1


def test_another_organisations_tag_is_yours_to_use_too_and_says_nothing_of_theirs(key_a, org_a, device_b):
    """Tags are unique per organisation: B's LIB-001 neither blocks nor is revealed by A's LIB-001."""
    _, api = key_a
    before = device_snapshot(device_b)
    response = api.post(DEVICES, {"kind": "laptop", "asset_tag": "lib-001"}, format="json")
    assert response.status_code == 201, response.content
    assert Device.objects.get(owning_organisation=org_a).asset_tag == "LIB-001"
    assert device_snapshot(device_b) == before
    assert api.get(device_url("LIB-001")).json()["location"] != "Central Library"


INVALID_DEVICES = {
    "missing kind": ({}, {"kind"}),
    "unknown kind": ({"kind": "abacus"}, {"kind"}),
    "unknown accessory": ({"kind": "laptop", "accessories": ["charger", "jetpack"]}, {"accessories.1"}),
    "accessories not a list": ({"kind": "laptop", "accessories": "charger"}, {"accessories"}),
    "unknown condition": ({"kind": "laptop", "condition": "mint"}, {"condition"}),
    "unknown source": ({"kind": "laptop", "source": "found"}, {"source"}),
    "oversized tag": ({"kind": "laptop", "asset_tag": "X" * 41}, {"asset_tag"}),
    "oversized notes": ({"kind": "laptop", "notes": "x" * 2001}, {"notes"}),
    "NUL in make": ({"kind": "laptop", "make": "a\x00b"}, {"make"}),
    "several": ({"kind": "abacus", "condition": "mint", "make": "x" * 101}, {"kind", "condition", "make"}),
}


@pytest.mark.parametrize("data, attrs", list(INVALID_DEVICES.values()), ids=list(INVALID_DEVICES))
def test_create_invalid_device_is_400_naming_the_fields_and_saves_nothing(key_a, data, attrs):
    _, api = key_a
    assert error_attrs(api.post(DEVICES, data, format="json")) == attrs
    assert not Device.objects.exists()
    assert not DeviceEvent.objects.exists()


# --- Devices: read ----------------------------------------------------------------------------------------


def test_device_list_shows_only_own_stock_in_tag_order(key_a, org_a, device_a, device_b):
    _, api = key_a
    DeviceFactory(owning_organisation=org_a, asset_tag="AAA-1")
    response = api.get(DEVICES)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["asset_tag"] for row in body["results"]] == ["AAA-1", "LAP-001"]


@pytest.fixture
def stock(org_a, org_b):
    make = DeviceFactory
    return {
        "laptop": make(owning_organisation=org_a, asset_tag="LAP-1", kind="laptop", location="Civic Centre"),
        "laptop2": make(owning_organisation=org_a, asset_tag="LAP-12", kind="laptop", status=S.RECEIVED,
                        location="Library"),
        "tablet": make(owning_organisation=org_a, asset_tag="TAB-1", kind="tablet", location="civic centre"),
        "other": make(owning_organisation=org_b, asset_tag="LAP-9", kind="laptop", location="Civic Centre"),
    }  # fmt: skip


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"status": "ready"}, {"laptop", "tablet"}),
        ({"status": "received"}, {"laptop2"}),
        ({"status": "on_loan"}, set()),
        ({"kind": "laptop"}, {"laptop", "laptop2"}),
        ({"kind": "tablet", "status": "ready"}, {"tablet"}),
        ({"location": "CIVIC CENTRE"}, {"laptop", "tablet"}),
        ({"location": "Civic"}, set()),
        ({"asset_tag": "lap-1"}, {"laptop", "laptop2"}),
        ({"asset_tag": "LAP-12"}, {"laptop2"}),
        ({"asset_tag": "LAP-9"}, set()),
    ],
    ids=str,
)
def test_device_list_filters_match_only_own_stock(key_a, stock, params, expected):
    _, api = key_a
    response = api.get(DEVICES, params)
    assert response.status_code == 200, response.content
    assert {row["asset_tag"] for row in response.json()["results"]} == {stock[name].asset_tag for name in expected}


@pytest.mark.parametrize("params, attr", [({"status": "lost-in-space"}, "status"), ({"kind": "abacus"}, "kind")])
def test_device_list_with_an_unknown_choice_is_400(key_a, params, attr):
    _, api = key_a
    assert error_attrs(api.get(DEVICES, params)) == {attr}


@pytest.mark.parametrize("tag", ["LAP-001", "lap-001", "Lap-001"])
def test_device_retrieve_by_asset_tag_in_any_case(key_a, device_a, tag):
    _, api = key_a
    response = api.get(device_url(tag))
    assert response.status_code == 200, response.content
    assert response.json()["asset_tag"] == "LAP-001"
    assert response.json()["status"] == "ready"
    assert response.json()["accessories"] == ["charger", "case"]


def test_unknown_device_is_404(key_a):
    _, api = key_a
    assert_404(api.get(device_url("NO-SUCH-TAG")))


def test_device_list_query_count_does_not_grow_with_page_size(key_a, org_a):
    _, api = key_a
    DeviceFactory.create_batch(3, owning_organisation=org_a)
    assert api.get(DEVICES).status_code == 200  # the first request records last_used_at
    with CaptureQueriesContext(connection) as few:
        assert len(api.get(DEVICES).json()["results"]) == 3
    DeviceFactory.create_batch(30, owning_organisation=org_a)
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(DEVICES).json()["results"]) == 33
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]
    assert len(few) <= 3  # the key with its organisation, the count, the page


# --- Devices: update --------------------------------------------------------------------------------------


def test_patch_device_changes_the_given_details_and_records_them(key_a, device_a):
    row, api = key_a
    response = api.patch(device_url("lap-001"), {"location": "Store room", "accessories": ["charger"]}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["location"], body["accessories"], body["make"]) == ("Store room", ["charger"], "Lenovo")
    device_a.refresh_from_db()
    assert device_a.location == "Store room"
    assert device_a.accessories == ["charger"]
    event = DeviceEvent.objects.get(device=device_a, action="update details")
    assert sorted(event.data["fields"]) == ["accessories", "location"]
    assert event.api_key == row


def test_patch_device_with_the_same_values_records_nothing(key_a, device_a):
    _, api = key_a
    before = device_snapshot(device_a)
    response = api.patch(device_url(device_a.asset_tag), {"make": "Lenovo", "location": "Main office"}, format="json")
    assert response.status_code == 200, response.content
    assert device_snapshot(device_a) == before


def test_patch_device_cannot_change_its_status_tag_or_owner(key_a, device_a, org_a):
    _, api = key_a
    response = api.patch(
        device_url(device_a.asset_tag), {"status": "retired", "asset_tag": "NEW-1", "owning_organisation": "beta"},
        format="json",
    )  # fmt: skip
    assert error_attrs(response) == {"status", "asset_tag", "owning_organisation"}
    device_a.refresh_from_db()
    assert (device_a.status, device_a.asset_tag, device_a.owning_organisation) == (S.READY, "LAP-001", org_a)


def test_put_device_replaces_its_details(key_a, device_a):
    _, api = key_a
    data = {"kind": "chromebook", "make": "Acer", "model": "C733", "location": "Van", "accessories": []}
    response = api.put(device_url(device_a.asset_tag), data, format="json")
    assert response.status_code == 200, response.content
    device_a.refresh_from_db()
    assert (device_a.kind, device_a.make, device_a.model, device_a.location) == ("chromebook", "Acer", "C733", "Van")
    assert device_a.accessories == []


def test_put_device_without_kind_is_400_and_changes_nothing(key_a, device_a):
    _, api = key_a
    before = device_snapshot(device_a)
    assert error_attrs(api.put(device_url(device_a.asset_tag), {"make": "Acer"}, format="json")) == {"kind"}
    assert device_snapshot(device_a) == before


def test_patch_device_with_bad_values_is_400_and_changes_nothing(key_a, device_a):
    _, api = key_a
    before = device_snapshot(device_a)
    response = api.patch(device_url(device_a.asset_tag), {"condition": "mint", "notes": "x" * 2001}, format="json")
    assert error_attrs(response) == {"condition", "notes"}
    assert device_snapshot(device_a) == before


# --- Devices: another organisation's ----------------------------------------------------------------------


def test_another_organisations_device_is_404_on_every_endpoint_and_unchanged(key_a, device_b):
    _, api = key_a
    before = device_snapshot(device_b)
    for tag in ("LIB-001", "lib-001"):
        assert_404(api.get(device_url(tag)))
        assert_404(api.patch(device_url(tag), {"location": "Stolen"}, format="json"))
        assert_404(api.put(device_url(tag), {"kind": "tablet", "location": "Stolen"}, format="json"))
    assert device_snapshot(device_b) == before
    response = api.get(DEVICES, {"asset_tag": "LIB"})
    assert response.json()["count"] == 0


def test_devices_cannot_be_deleted_through_the_api(key_a, device_a):
    _, api = key_a
    assert api.delete(device_url(device_a.asset_tag)).status_code == 405
    assert Device.objects.filter(pk=device_a.pk).exists()


# --- Loans: create ----------------------------------------------------------------------------------------


def test_create_loan_is_201_and_the_device_goes_on_loan(key_a, org_a, device_a, resident_a):
    row, api = key_a
    response = api.post(LOANS, valid_loan(device_a, resident_a, notes="Needs it for job search"), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    loan = Loan.objects.get()
    assert body == {
        "id": loan.pk, "device": "LAP-001", "resident": str(resident_a.pk), "agreement_method": "signed_paper",
        "agreement_terms_version": "2026-01", "agreement_accepted_at": body["agreement_accepted_at"],
        "agreement_sha256": "", "accepted_name": "", "witness_name": "", "open_ended": False, "renewals": 0, "started_on": str(today()), "due_on": str(services.loan_due_date(services.loan_policy_for(org_a), today(), 28)),
        "extensions": 0, "overdue": False, "days_overdue": 0, "closed_at": None, "outcome": None,
        "returned_on": None, "return_condition": None, "accessories_returned": [], "closing_notes": "",
        "police_reference": "", "created_at": body["created_at"],
    }  # fmt: skip
    assert body["agreement_accepted_at"]
    assert (loan.organisation, loan.api_key, loan.lent_by) == (org_a, row, None)
    device_a.refresh_from_db()
    assert device_a.status == S.ON_LOAN
    assert DeviceEvent.objects.get(device=device_a, action="lend").api_key == row
    event = CaseEvent.objects.get(resident=resident_a, kind="loan_started")
    assert (event.api_key, event.body) == (row, "Needs it for job search")


def test_create_loan_with_a_lower_case_tag_witness_and_dates(key_a, device_a, resident_a):
    _, api = key_a
    started, due = today() - timedelta(days=2), today() + timedelta(days=10)
    data = valid_loan(device_a, resident_a, device="lap-001", agreement_method="verbal_witnessed",
                      witness_name="A. Khan", started_on=str(started), due_on=str(due))  # fmt: skip
    response = api.post(LOANS, data, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["device"], body["witness_name"]) == ("LAP-001", "A. Khan")
    assert (body["started_on"], body["due_on"]) == (str(started), str(due))


def test_lending_to_another_organisations_unlinked_resident_is_422_and_makes_no_loan(key_a, device_a, resident_b):
    _, api = key_a
    timeline = CaseEvent.objects.filter(resident=resident_b).count()
    response = api.post(LOANS, valid_loan(device_a, resident_b), format="json")
    assert errors(response, 422) == [{"code": "does_not_exist", "detail": "No such resident.", "attr": "resident"}]
    assert not Loan.objects.exists()
    device_a.refresh_from_db()
    assert device_a.status == S.READY
    assert CaseEvent.objects.filter(resident=resident_b).count() == timeline


def test_lending_to_a_resident_an_open_loan_shares_with_you_is_allowed(
    key_a, actor_a, org_a, device_a, resident_b, sharing
):
    """A resident of B that A already lends to is visible to A (the access rule), so A may lend again."""
    _, api = key_a
    sharing.share(resident_b, org_a)  # as a referral would, so that A could lend the first time
    lend(actor_a, DeviceFactory(owning_organisation=org_a), resident_b)
    sharing.end(resident_b, org_a)  # now only the open loan shares them
    services.loan_policy_update(actor=actor_a, max_open_loans_per_resident=2)
    response = api.post(LOANS, valid_loan(device_a, resident_b), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["resident"] == str(resident_b.pk)


def test_lending_another_organisations_device_is_422_no_such_device(key_a, device_b, resident_a):
    _, api = key_a
    before = device_snapshot(device_b)
    response = api.post(LOANS, valid_loan(device_b, resident_a), format="json")
    assert errors(response, 422) == [
        {"code": "does_not_exist", "detail": "No such device in your stock.", "attr": "device"}
    ]
    assert device_snapshot(device_b) == before
    assert not Loan.objects.exists()


def test_unknown_device_and_resident_are_both_named(key_a):
    _, api = key_a
    data = {"device": "NOPE", "resident": "00000000-0000-0000-0000-000000000000", "agreement_method": "on_screen",
            "agreement_accepted": True}  # fmt: skip
    assert error_attrs(api.post(LOANS, data, format="json"), 422) == {"device", "resident"}


def test_lending_a_device_that_is_not_ready_is_409_with_the_services_reason(key_a, org_a, resident_a):
    _, api = key_a
    device = DeviceFactory(owning_organisation=org_a, asset_tag="NEW-1", status=S.RECEIVED)
    response = api.post(LOANS, valid_loan(device, resident_a), format="json")
    [error] = errors(response, 409)
    assert (error["code"], error["attr"]) == ("illegal_transition", None)
    assert error["detail"] == "NEW-1 is received, so you cannot lend. From here you can: record a wipe, retire."
    assert not Loan.objects.exists()
    device.refresh_from_db()
    assert device.status == S.RECEIVED


def test_lending_a_device_already_on_loan_is_409(key_a, org_a, loan_a, device_a):
    _, api = key_a
    other = ResidentFactory(owning_organisation=org_a)
    response = api.post(LOANS, valid_loan(device_a, other), format="json")
    assert errors(response, 409) == [
        {"code": "already_on_loan", "detail": "LAP-001 is already on loan.", "attr": "device"}
    ]
    assert Loan.objects.count() == 1


def test_lending_beyond_the_policys_open_loan_limit_is_409(key_a, org_a, loan_a, resident_a):
    _, api = key_a
    device = DeviceFactory(owning_organisation=org_a)
    response = api.post(LOANS, valid_loan(device, resident_a), format="json")
    [error] = errors(response, 409)
    assert (error["code"], error["attr"]) == ("too_many_loans", "resident")
    assert error["detail"].endswith("already has 1 open loan; your policy allows 1.")
    assert Loan.objects.count() == 1


INVALID_LOANS = {
    "agreement not accepted": ({"agreement_accepted": False}, {"agreement_accepted"}, 422),
    "agreement_accepted missing": ({"agreement_accepted": None}, {"agreement_accepted"}, 400),
    "verbal without witness": ({"agreement_method": "verbal_witnessed"}, {"witness_name"}, 422),
    "unknown agreement method": ({"agreement_method": "handshake"}, {"agreement_method"}, 400),
    "malformed resident id": ({"resident": "not-a-uuid"}, {"resident"}, 400),
    "resident missing": ({"resident": None}, {"resident"}, 400),
    "device missing": ({"device": None}, {"device"}, 400),
    "due before start": (
        {"started_on": str(today() - timedelta(days=1)), "due_on": str(today() - timedelta(days=2))},
        {"due_on"},
        422,
    ),  # fmt: skip
    "due beyond the policy": ({"due_on": "2999-01-01"}, {"due_on"}, 422),
    "malformed due date": ({"due_on": "next week"}, {"due_on"}, 400),
}


@pytest.mark.parametrize("changes, attrs, status", list(INVALID_LOANS.values()), ids=list(INVALID_LOANS))
def test_create_invalid_loan_is_refused_naming_the_field_and_makes_no_loan(
    key_a, device_a, resident_a, changes, attrs, status
):
    _, api = key_a
    data = {key: value for key, value in valid_loan(device_a, resident_a, **changes).items() if value is not None}
    assert error_attrs(api.post(LOANS, data, format="json"), status) == attrs
    assert not Loan.objects.exists()
    device_a.refresh_from_db()
    assert device_a.status == S.READY


def test_refused_agreement_gets_the_services_message(key_a, device_a, resident_a):
    _, api = key_a
    [error] = errors(api.post(LOANS, valid_loan(device_a, resident_a, agreement_accepted=False), format="json"), 422)
    assert error["detail"] == "The loan agreement must be accepted before the device leaves."


# --- Loans: read ------------------------------------------------------------------------------------------


def test_loan_retrieve(key_a, loan_a):
    _, api = key_a
    response = api.get(loan_url(loan_a))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["device"], body["overdue"], body["days_overdue"]) == (loan_a.pk, "LAP-001", False, 0)


def test_overdue_loan_says_so_and_by_how_many_days(key_a, actor_a, device_a, resident_a):
    _, api = key_a
    loan = lend(actor_a, device_a, resident_a, started_on=today() - timedelta(days=30),
                due_on=today() - timedelta(days=3))  # fmt: skip
    body = api.get(loan_url(loan)).json()
    assert (body["overdue"], body["days_overdue"]) == (True, 3)


@pytest.mark.parametrize("pk", [999_999, 2**63, 10**30])
def test_unknown_loan_is_404(key_a, pk):
    _, api = key_a
    assert_404(api.get(loan_url(pk)))
    assert_404(api.post(loan_url(pk, "extend"), {}, format="json"))


@pytest.fixture
def loans(actor_a, actor_b, org_a, org_b):
    """One of A's loans in each state, and one of B's."""

    def new(started=0, due=28, **kwargs):
        resident = ResidentFactory(owning_organisation=kwargs.pop("org", org_a))
        device = DeviceFactory(owning_organisation=resident.owning_organisation)
        actor = actor_b if resident.owning_organisation == org_b else actor_a
        return lend(actor, device, resident, started_on=today() - timedelta(days=started),
                    due_on=today() + timedelta(days=due))  # fmt: skip

    made = {
        "open": new(),
        "due_this_week": new(due=3),
        "overdue": new(started=20, due=-2),
        "closed": new(),
        "other": new(org=org_b, due=2),
    }
    services.loan_return(actor=actor_a, loan=made["closed"], condition="good")
    return made


@pytest.mark.parametrize(
    "status, expected",
    [
        ("", {"open", "due_this_week", "overdue", "closed"}),
        ("open", {"open", "due_this_week", "overdue"}),
        ("overdue", {"overdue"}),
        ("due_this_week", {"due_this_week"}),
        ("closed", {"closed"}),
    ],
)
def test_loan_list_filters_by_status_and_shows_only_own_loans(key_a, loans, status, expected):
    _, api = key_a
    response = api.get(LOANS, {"status": status} if status else {})
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert {row["id"] for row in rows} == {loans[name].pk for name in expected}
    assert {row["id"]: row["overdue"] for row in rows} == {loans[name].pk: name == "overdue" for name in expected}


def test_loan_list_filters_by_resident_and_device(key_a, loans):
    _, api = key_a
    overdue = loans["overdue"]
    by_resident = api.get(LOANS, {"resident": str(overdue.resident_id)}).json()["results"]
    assert [row["id"] for row in by_resident] == [overdue.pk]
    by_device = api.get(LOANS, {"device": overdue.device.asset_tag.lower()}).json()["results"]
    assert [row["id"] for row in by_device] == [overdue.pk]
    other = loans["other"]
    assert api.get(LOANS, {"resident": str(other.resident_id)}).json()["count"] == 0
    assert api.get(LOANS, {"device": other.device.asset_tag}).json()["count"] == 0


@pytest.mark.parametrize(
    "params, attr", [({"status": "late"}, "status"), ({"resident": "not-a-uuid"}, "resident")], ids=str
)
def test_loan_list_with_a_bad_filter_is_400(key_a, params, attr):
    _, api = key_a
    assert error_attrs(api.get(LOANS, params)) == {attr}


def test_loan_list_query_count_does_not_grow_with_page_size(key_a, actor_a, org_a):
    _, api = key_a
    services.loan_policy_update(actor=actor_a, max_open_loans_per_resident=50)
    resident = ResidentFactory(owning_organisation=org_a)
    for _ in range(3):
        lend(actor_a, DeviceFactory(owning_organisation=org_a), resident)
    assert api.get(LOANS).status_code == 200  # the first request records last_used_at
    with CaptureQueriesContext(connection) as few:
        assert len(api.get(LOANS, {"status": "open"}).json()["results"]) == 3
    for _ in range(20):
        lend(actor_a, DeviceFactory(owning_organisation=org_a), ResidentFactory(owning_organisation=org_a))
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(LOANS, {"status": "open"}).json()["results"]) == 23
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]
    assert len(few) <= 3  # the key with its organisation, the count, the page


# --- Loans: actions ---------------------------------------------------------------------------------------


def test_return_closes_the_loan_and_the_device_awaits_its_check(key_a, loan_a, device_a, resident_a):
    row, api = key_a
    data = {"condition": "fair", "returned_on": str(today()), "accessories_returned": ["case"], "notes": "Scuffed"}
    response = api.post(loan_url(loan_a, "return"), data, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["outcome"], body["return_condition"], body["returned_on"]) == ("returned", "fair", str(today()))
    assert (body["accessories_returned"], body["closing_notes"], body["overdue"]) == (["case"], "Scuffed", False)
    assert body["closed_at"]
    device_a.refresh_from_db()
    assert (device_a.status, device_a.condition) == (S.AWAITING_CHECK, "fair")
    event = CaseEvent.objects.get(resident=resident_a, kind="loan_returned")
    assert "missing: charger" in event.summary
    assert event.api_key == row


def test_return_of_an_overdue_loan_is_no_longer_overdue(key_a, actor_a, device_a, resident_a):
    _, api = key_a
    loan = lend(actor_a, device_a, resident_a, started_on=today() - timedelta(days=30),
                due_on=today() - timedelta(days=3))  # fmt: skip
    body = api.post(loan_url(loan, "return"), {"condition": "good"}, format="json").json()
    assert (body["overdue"], body["days_overdue"], body["returned_on"]) == (False, 0, str(today()))


@pytest.mark.parametrize(
    "data, attr, status",
    [
        ({}, "condition", 400),
        ({"condition": "mint"}, "condition", 400),
        ({"condition": "good", "returned_on": "2999-01-01"}, "returned_on", 422),
        ({"condition": "good", "returned_on": "2000-01-01"}, "returned_on", 422),
        ({"condition": "good", "accessories_returned": ["jetpack"]}, "accessories_returned.0", 400),
        ({"condition": "good", "notes": "x" * 2001}, "notes", 400),
    ],
    ids=["no condition", "unknown condition", "future date", "before the loan", "unknown accessory", "long notes"],
)
def test_bad_return_is_refused_and_changes_nothing(key_a, loan_a, data, attr, status):
    _, api = key_a
    before = loan_snapshot(loan_a)
    assert error_attrs(api.post(loan_url(loan_a, "return"), data, format="json"), status) == {attr}
    assert loan_snapshot(loan_a) == before


def test_extend_moves_the_due_date_until_the_policy_limit(key_a, loan_a):
    _, api = key_a
    first_due = loan_a.due_on
    response = api.post(loan_url(loan_a, "extend"), {"reason": "Course runs longer"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["due_on"] == str(
        services.loan_due_date(services.loan_policy_for(loan_a.organisation), first_due, 14)
    )
    assert response.json()["extensions"] == 1
    assert LoanExtension.objects.get(loan=loan_a).reason == "Course runs longer"
    assert api.post(loan_url(loan_a, "extend"), {}, format="json").json()["extensions"] == 2

    before = loan_snapshot(loan_a)
    [error] = errors(api.post(loan_url(loan_a, "extend"), {}, format="json"), 409)
    assert (error["code"], error["attr"]) == ("extension_limit", None)
    assert error["detail"] == "This loan has been extended 2 times, the most your policy allows."
    assert loan_snapshot(loan_a) == before


def test_extending_an_overdue_loan_makes_it_current(key_a, actor_a, device_a, resident_a):
    _, api = key_a
    loan = lend(actor_a, device_a, resident_a, started_on=today() - timedelta(days=30),
                due_on=today() - timedelta(days=3))  # fmt: skip
    body = api.post(loan_url(loan, "extend"), {}, format="json").json()
    due = services.loan_due_date(services.loan_policy_for(loan.organisation), today(), 14)
    assert (body["due_on"], body["overdue"]) == (str(due), False)


def test_report_lost_closes_the_loan_with_the_police_reference(key_a, loan_a, device_a, resident_a):
    _, api = key_a
    data = {"stolen": True, "police_reference": "WM-123", "notes": "Taken from car"}
    response = api.post(loan_url(loan_a, "report-lost"), data, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["outcome"], body["police_reference"], body["closing_notes"]) == ("lost", "WM-123", "Taken from car")
    device_a.refresh_from_db()
    assert device_a.status == S.LOST
    assert "reported stolen (police ref WM-123)" in CaseEvent.objects.get(resident=resident_a, kind="loan_lost").summary


def test_report_lost_with_an_oversized_police_reference_is_400(key_a, loan_a):
    _, api = key_a
    before = loan_snapshot(loan_a)
    assert error_attrs(api.post(loan_url(loan_a, "report-lost"), {"police_reference": "x" * 51}, format="json")) == {
        "police_reference"
    }
    assert loan_snapshot(loan_a) == before


def test_gift_closes_the_loan_and_the_resident_keeps_the_device(key_a, loan_a, device_a, resident_a):
    _, api = key_a
    response = api.post(loan_url(loan_a, "gift"), {"notes": "Keeps it for college"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["outcome"], response.json()["closing_notes"]) == ("gifted", "Keeps it for college")
    device_a.refresh_from_db()
    assert (device_a.status, device_a.gifted_to) == (S.GIFTED, resident_a)


CLOSE = {
    "return": ({"condition": "good"}, "returned"),
    "report-lost": ({}, "lost"),
    "gift": ({}, "gifted"),
}


@pytest.mark.parametrize("closed_by", list(CLOSE))
@pytest.mark.parametrize("action", LOAN_ACTIONS)
def test_every_action_on_a_closed_loan_is_409_loan_closed_and_changes_nothing(key_a, loan_a, closed_by, action):
    _, api = key_a
    data, outcome = CLOSE[closed_by]
    assert api.post(loan_url(loan_a, closed_by), data, format="json").status_code == 200
    before = loan_snapshot(loan_a)
    body = {"condition": "good"} if action == "return" else {}
    [error] = errors(api.post(loan_url(loan_a, action), body, format="json"), 409)
    assert (error["code"], error["attr"]) == ("loan_closed", None)
    assert error["detail"] == f"This loan was already closed ({'lost or stolen' if outcome == 'lost' else outcome})."
    assert loan_snapshot(loan_a) == before


def test_actions_cannot_be_read_with_get(key_a, loan_a):
    _, api = key_a
    for action in LOAN_ACTIONS:
        assert api.get(loan_url(loan_a, action)).status_code == 405


# --- Loans: another organisation's ------------------------------------------------------------------------


def test_another_organisations_loan_is_404_on_every_endpoint_and_action_and_unchanged(key_a, loan_b):
    _, api = key_a
    before = loan_snapshot(loan_b)
    assert_404(api.get(loan_url(loan_b)))
    for action in LOAN_ACTIONS:
        data = {"condition": "good", "reason": "x", "stolen": True, "notes": "x"}
        assert_404(api.post(loan_url(loan_b, action), data, format="json"))
    assert loan_snapshot(loan_b) == before
    assert api.get(LOANS).json()["count"] == 0


def test_another_organisations_loan_is_404_even_with_a_bad_body(key_a, loan_b):
    """Scoping comes first: B's loan is not revealed by validation errors."""
    _, api = key_a
    assert_404(api.post(loan_url(loan_b, "return"), {"condition": "mint"}, format="json"))


def test_loans_cannot_be_edited_or_deleted_directly(key_a, loan_a):
    _, api = key_a
    before = loan_snapshot(loan_a)
    for method in ("put", "patch", "delete"):
        assert getattr(api, method)(loan_url(loan_a), {"due_on": "2999-01-01"}, format="json").status_code == 405
    assert loan_snapshot(loan_a) == before


# --- Schema -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema():
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200, response.content
    return response.json()


DEVICE_API_OPERATIONS = [
    ("/api/v1/devices/", "get", {"200", "400", "401"}),
    ("/api/v1/devices/", "post", {"201", "400", "401"}),
    ("/api/v1/devices/{asset_tag}/", "get", {"200", "401", "404"}),
    ("/api/v1/devices/{asset_tag}/", "put", {"200", "400", "401", "404"}),
    ("/api/v1/devices/{asset_tag}/", "patch", {"200", "400", "401", "404"}),
    ("/api/v1/loans/", "get", {"200", "400", "401"}),
    ("/api/v1/loans/", "post", {"201", "400", "401"}),
    ("/api/v1/loans/{id}/", "get", {"200", "401", "404"}),
    ("/api/v1/loans/{id}/return/", "post", {"200", "400", "401", "404"}),
    ("/api/v1/loans/{id}/extend/", "post", {"200", "400", "401", "404"}),
    ("/api/v1/loans/{id}/report-lost/", "post", {"200", "400", "401", "404"}),
    ("/api/v1/loans/{id}/gift/", "post", {"200", "400", "401", "404"}),
]


@pytest.mark.parametrize("path, method, codes", DEVICE_API_OPERATIONS, ids=lambda v: str(v))
def test_schema_documents_each_endpoint_with_its_error_responses(schema, path, method, codes):
    operation = schema["paths"][path][method]
    assert codes <= set(operation["responses"])
    assert "403" not in operation["responses"]
    assert operation["security"] == [{"ApiKeyAuth": []}]
    if method in ("post", "put", "patch"):
        assert list(operation["requestBody"]["content"]) == ["application/json"]


def test_schema_names_the_request_and_response_shapes_of_the_loan_actions(schema):
    for action, request in [("return", "LoanReturnInputRequest"), ("extend", "LoanExtendInputRequest"),
                            ("report-lost", "LoanReportLostInputRequest"), ("gift", "LoanGiftInputRequest")]:  # fmt: skip
        operation = schema["paths"][f"/api/v1/loans/{{id}}/{action}/"]["post"]
        assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(f"/{request}")
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert ok.endswith("/LoanOutput")
    loan = schema["components"]["schemas"]["LoanOutput"]["properties"]
    assert {"overdue", "days_overdue", "due_on", "outcome"} <= set(loan)


def test_schema_documents_the_filters(schema):
    devices = {p["name"] for p in schema["paths"]["/api/v1/devices/"]["get"]["parameters"]}
    loans = {p["name"] for p in schema["paths"]["/api/v1/loans/"]["get"]["parameters"]}
    assert {"status", "kind", "location", "asset_tag", "page", "page_size"} <= devices
    assert {"status", "resident", "device", "page", "page_size"} <= loans
    [status] = [p for p in schema["paths"]["/api/v1/loans/"]["get"]["parameters"] if p["name"] == "status"]
    assert set(status["schema"]["enum"]) == {"open", "overdue", "due_this_week", "closed"}


def _codes(components, name) -> set:
    return set(components[name]["properties"]["code"]["enum"])


def test_schema_documents_the_domain_error_codes_under_409_and_422(schema):
    """Conflicts with how things stand are 409s, rules the schema cannot state 422s (inclusion/api/errors.py)."""
    components = schema["components"]["schemas"]
    assert {"409", "422"} <= set(schema["paths"]["/api/v1/loans/"]["post"]["responses"])
    assert _codes(components, "V1LoansCreate409ResidentErrorComponent") == {
        "too_many_loans", "overdue_loan", "consent_missing", "consent_refused", "no_contact_route"}  # fmt: skip
    assert _codes(components, "V1LoansCreate422ResidentErrorComponent") == {"does_not_exist"}
    assert _codes(components, "V1LoansCreate409DeviceErrorComponent") == {"already_on_loan", "held_for_reservation"}
    assert _codes(components, "V1LoansCreate422StartedOnErrorComponent") == {"in_the_future", "too_far_back"}
    assert _codes(components, "V1DevicesCreate409AssetTagErrorComponent") == {"duplicate"}
    # Refusals that name no field (attr null):
    assert "illegal_transition" in _codes(components, "V1LoansCreate409ErrorComponent")
    assert _codes(components, "V1LoansExtendCreate409ErrorComponent") == {"loan_closed", "extension_limit"}
    for action in ("Return", "ReportLost", "Gift"):
        assert "loan_closed" in _codes(components, f"V1Loans{action}Create409ErrorComponent")


def test_a_device_added_through_the_api_can_be_wiped_made_ready_and_lent(api_a, org_a):
    from datetime import date

    created = api_a.post("/api/v1/devices/", {"kind": "tablet"}, format="json").json()
    tag = created["asset_tag"]
    too_soon = api_a.post(f"/api/v1/devices/{tag}/status/", {"to_status": "ready"}, format="json")
    assert too_soon.status_code == 409 and too_soon.json()["errors"][0]["code"] == "illegal_transition"
    wiped = api_a.post(f"/api/v1/devices/{tag}/wipe/", {"method": "nist_purge", "wiped_on": str(date.today()),
                                                       "operator": "IT volunteer"}, format="json")  # fmt: skip
    assert wiped.status_code == 200 and wiped.json()["status"] == "wiped"
    ready = api_a.post(f"/api/v1/devices/{tag}/status/", {"to_status": "ready"}, format="json")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    bad = api_a.post(f"/api/v1/devices/{tag}/status/", {"to_status": "on_loan"}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["attr"] == "to_status"


def test_another_organisations_device_cannot_be_wiped_or_moved(api_b, org_a):
    from .factories import DeviceFactory

    device = DeviceFactory(owning_organisation=org_a, status="received")
    assert (
        api_b.post(f"/api/v1/devices/{device.asset_tag}/status/", {"to_status": "retired"}, format="json").status_code
        == 404
    )
    assert api_b.post(f"/api/v1/devices/{device.asset_tag}/wipe/", {}, format="json").status_code == 404
    device.refresh_from_db()
    assert device.status == "received"


def test_a_returned_device_cannot_be_made_ready_through_the_api_without_a_wipe(key_a, loan_a, device_a):
    _, api = key_a
    assert api.post(loan_url(loan_a, "return"), {"condition": "good"}, format="json").status_code == 200
    before = device_snapshot(device_a)
    response = api.post(f"{device_url('LAP-001')}status/", {"to_status": "ready"}, format="json")
    [error] = errors(response, 409)
    assert error["code"] == "wipe_required" and error["attr"] is None
    assert "has been out on loan since it was last wiped" in error["detail"]
    assert device_snapshot(device_a) == before


def test_schema_documents_the_wipe_rule(schema):
    components = schema["components"]["schemas"]
    codes = components["V1DevicesStatusCreate409ErrorComponent"]["properties"]["code"]["enum"]
    assert {"illegal_transition", "wipe_required"} <= set(codes)


def test_the_database_keeps_tags_unique_per_organisation(org_a, org_b, device_a):
    from django.db import IntegrityError, transaction

    assert DeviceFactory(owning_organisation=org_b, asset_tag="LAP-001").owning_organisation == org_b
    with pytest.raises(IntegrityError), transaction.atomic():
        DeviceFactory(owning_organisation=org_a, asset_tag="LAP-001")
