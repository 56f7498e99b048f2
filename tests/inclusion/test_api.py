"""The partner REST API (/api/v1/) end to end: keys, residents, notes, organisations and the schema.

Every request goes through the real authentication, serializers, services, access rule and error handler.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

from inclusion import choices
from inclusion.models import CaseEvent, OrganisationAPIKey, Resident
from inclusion.services import api_key_create, api_key_revoke, note_add

from ..factories import OrganisationFactory, ResidentFactory

pytestmark = pytest.mark.django_db

RESIDENTS = "/api/v1/residents/"
ORGANISATIONS = "/api/v1/organisations/"


def detail(resident) -> str:
    return f"{RESIDENTS}{resident.pk}/"


def notes(resident) -> str:
    return f"{RESIDENTS}{resident.pk}/notes/"


def valid_resident(**overrides) -> dict:
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_of_birth": "1958-04-02",
        "phone": "07911 123456",
        "email": "Ada@Example.com",
        "postcode": "wv1 1aa",
        "local_authority": choices.LocalAuthority.WOLVERHAMPTON,
        "gender": choices.Gender.WOMAN,
        "needs_device": True,
    }
    data.update(overrides)
    return data


def error_attrs(response) -> set:
    return {error["attr"] for error in response.json()["errors"]}


def assert_validation_error(response, *attrs, status=400):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["type"] == "validation_error"
    assert error_attrs(response) == set(attrs)
    for error in body["errors"]:
        assert error["code"] and error["detail"]


def assert_401(response, code="authentication_failed"):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == "Api-Key"
    body = response.json()
    assert body["type"] == "client_error"
    [error] = body["errors"]
    assert error["code"] == code
    assert error["detail"]
    assert error["attr"] is None


def snapshot(resident) -> dict:
    """Everything a write could change, to prove a refused request changed nothing."""
    resident = Resident.objects.get(pk=resident.pk)
    return {
        "fields": {field: getattr(resident, field) for field in ("first_name", "last_name", "postcode", "phone")},
        "updated_at": resident.updated_at,
        "events": CaseEvent.objects.filter(resident=resident).count(),
        "history": resident.field_history.count(),
    }


@pytest.fixture
def key_a(org_a):
    """org_a's key row, and an API client that uses it."""
    row, key = api_key_create(organisation=org_a, name="Alpha CRM")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return row, api


@pytest.fixture
def resident_b(org_b):
    return ResidentFactory(owning_organisation=org_b, first_name="Bernard", last_name="Okafor", postcode="B1 1AA")


# --- Authentication -------------------------------------------------------------------------------------


def _revoked_key_header(org_a):
    row, key = api_key_create(organisation=org_a, name="old system")
    api_key_revoke(api_key=row)
    return f"Api-Key {key}"


def _expired_key_header(org_a):
    row, key = api_key_create(organisation=org_a, name="old system")
    OrganisationAPIKey.objects.filter(pk=row.pk).update(expiry_date=timezone.now() - timedelta(days=1))
    return f"Api-Key {key}"


def _wrong_secret_header(org_a):
    _, key = api_key_create(organisation=org_a, name="real system")
    prefix, _, secret = key.partition(".")
    return f"Api-Key {prefix}.{'x' * len(secret)}"


def _inactive_organisation_header(org_a):
    closed = OrganisationFactory(name="Closed Charity", slug="closed", active=False)
    _, key = api_key_create(organisation=closed, name="closed system")
    return f"Api-Key {key}"


AUTH_CASES = {
    "no key": lambda org: None,
    "malformed: Bearer scheme": lambda org: "Bearer abc.def",
    "malformed: scheme without key": lambda org: "Api-Key",
    "malformed: blank key": lambda org: "Api-Key    ",
    "malformed: lower-case scheme": lambda org: "api-key abc.def",
    "bad key": lambda org: "Api-Key abcdefgh.not-a-real-key",
    "bad key: right prefix, wrong secret": _wrong_secret_header,
    "bad key: NUL in key": lambda org: "Api-Key ab\x00cd.ef",
    "revoked key": _revoked_key_header,
    "expired key": _expired_key_header,
    "key of an inactive organisation": _inactive_organisation_header,
}


@pytest.fixture(params=list(AUTH_CASES), ids=list(AUTH_CASES))
def unauthorised(request, org_a):
    """An API client whose Authorization header (or lack of one) must be refused."""
    header = AUTH_CASES[request.param](org_a)
    api = APIClient()
    api.expected_code = "authentication_failed"
    if header is None:
        api.expected_code = "not_authenticated"
    else:
        api.credentials(HTTP_AUTHORIZATION=header)
    return api


def test_create_without_a_valid_key_is_401_and_saves_nothing(unauthorised, org_a):
    residents, events = Resident.objects.count(), CaseEvent.objects.count()
    response = unauthorised.post(RESIDENTS, valid_resident(), format="json")
    assert_401(response, unauthorised.expected_code)
    assert Resident.objects.count() == residents
    assert CaseEvent.objects.count() == events


def test_read_without_a_valid_key_is_401(unauthorised, resident_a):
    assert_401(unauthorised.get(RESIDENTS), unauthorised.expected_code)
    assert_401(unauthorised.get(detail(resident_a)), unauthorised.expected_code)
    assert_401(unauthorised.get(notes(resident_a)), unauthorised.expected_code)
    assert_401(unauthorised.get(ORGANISATIONS), unauthorised.expected_code)


def test_update_without_a_valid_key_is_401_and_changes_nothing(unauthorised, resident_a):
    before = snapshot(resident_a)
    assert_401(
        unauthorised.patch(detail(resident_a), {"first_name": "Changed"}, format="json"), unauthorised.expected_code
    )
    assert_401(
        unauthorised.put(detail(resident_a), valid_resident(first_name="Changed"), format="json"),
        unauthorised.expected_code,
    )
    assert_401(unauthorised.post(notes(resident_a), {"body": "Sneaky note"}, format="json"), unauthorised.expected_code)
    assert snapshot(resident_a) == before


def test_revoked_key_is_401_and_saves_nothing(key_a, resident_a):
    row, api = key_a
    assert api.get(RESIDENTS).status_code == 200
    api_key_revoke(api_key=row)
    residents, before = Resident.objects.count(), snapshot(resident_a)

    assert_401(api.post(RESIDENTS, valid_resident(), format="json"))
    assert_401(api.patch(detail(resident_a), {"first_name": "Changed"}, format="json"))
    assert_401(api.get(detail(resident_a)))
    assert Resident.objects.count() == residents
    assert snapshot(resident_a) == before


def test_key_in_the_x_api_key_header_alone_is_not_accepted(org_a):
    _, key = api_key_create(organisation=org_a, name="wrong header")
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=key)
    assert_401(api.get(RESIDENTS), "not_authenticated")


def test_a_request_records_when_the_key_was_last_used(key_a):
    row, api = key_a
    assert row.last_used_at is None
    assert api.get(RESIDENTS).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at is not None
    assert timezone.now() - row.last_used_at < timedelta(seconds=30)


def test_last_used_is_written_at_most_once_a_minute(key_a):
    row, api = key_a
    recently = timezone.now() - timedelta(seconds=10)
    OrganisationAPIKey.objects.filter(pk=row.pk).update(last_used_at=recently)
    assert api.get(RESIDENTS).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at == recently

    long_ago = timezone.now() - timedelta(hours=2)
    OrganisationAPIKey.objects.filter(pk=row.pk).update(last_used_at=long_ago)
    assert api.get(RESIDENTS).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at > long_ago


# --- Create -----------------------------------------------------------------------------------------------


def test_create_valid_resident_is_201_owned_by_the_keys_organisation(key_a, org_a):
    row, api = key_a
    response = api.post(RESIDENTS, valid_resident(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    resident = Resident.objects.get(pk=body["id"])
    assert resident.owning_organisation == org_a
    assert resident.registered_by is None
    assert body["owning_organisation"] == "alpha"
    assert body["first_name"] == "Ada"
    assert body["last_name"] == "Lovelace"
    assert body["date_of_birth"] == "1958-04-02"
    assert body["age_band"] == ""
    assert body["postcode"] == "WV1 1AA"
    assert body["phone"] == "+447911123456"
    assert body["email"] == "ada@example.com"
    assert body["local_authority"] == "wolverhampton"
    assert body["gender"] == "woman"
    assert body["needs_device"] is True
    assert body["needs_connectivity"] is False
    assert body["preferred_language"] == "English"
    assert body["created_at"] and body["updated_at"]
    # The output shape: id, owner, every settable field, timestamps; nothing internal.
    assert set(body) >= {"id", "owning_organisation", "created_at", "updated_at", "eds_being_safe", "referral_source"}
    assert not {"registered_by", "postcode_key", "first_name_key", "email_key"} & set(body)

    event = CaseEvent.objects.get(resident=resident)
    assert event.kind == choices.EventKind.REGISTERED
    assert event.api_key == row
    assert event.organisation == org_a
    assert event.author is None

    row.refresh_from_db()
    assert row.last_used_at is not None


@pytest.mark.parametrize("postcode", ["wv10  6qr", " WV106QR ", "wv10 6qr"])
def test_create_normalises_a_sloppily_spaced_postcode(key_a, postcode):
    _, api = key_a
    response = api.post(RESIDENTS, valid_resident(postcode=postcode), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["postcode"] == "WV10 6QR"


def test_a_bad_postcode_gets_one_error_with_its_own_code(key_a):
    _, api = key_a
    response = api.post(RESIDENTS, valid_resident(postcode="NOT A POSTCODE"), format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "invalid_postcode", "detail": "Enter a real UK postcode, like WV1 1AA", "attr": "postcode"}
    ]


def test_missing_date_of_birth_and_age_band_has_code_required(key_a):
    _, api = key_a
    data = valid_resident()
    del data["date_of_birth"]
    [error] = api.post(RESIDENTS, data, format="json").json()["errors"]
    assert error["attr"] == "date_of_birth"
    assert error["code"] == "required"
    assert "age_band" in error["detail"]


def test_create_with_age_band_instead_of_date_of_birth(key_a):
    _, api = key_a
    response = api.post(
        RESIDENTS, valid_resident(date_of_birth=None, age_band=choices.AgeBand.AGE_65_74), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["date_of_birth"] is None
    assert response.json()["age_band"] == "65_74"


def test_create_refuses_an_attempt_to_choose_the_owner_or_id(key_a, org_b, org_a):
    """Fields the caller may not set are refused by name, not quietly dropped (issue 7, item 12)."""
    _, api = key_a
    sneaky_id = "00000000-0000-0000-0000-000000000001"
    response = api.post(RESIDENTS, valid_resident(owning_organisation="beta", id=sneaky_id), format="json")
    assert_validation_error(response, "owning_organisation", "id")
    assert {error["code"] for error in response.json()["errors"]} == {"unknown_field"}
    assert not Resident.objects.exists()


# --- Invalid input ----------------------------------------------------------------------------------------

INVALID_INPUTS = {
    "bad postcode": ({"postcode": "NOT A POSTCODE"}, "postcode"),
    "malformed phone": ({"phone": "12345"}, "phone"),
    "phone with letters": ({"phone": "call me maybe"}, "phone"),
    "unknown gender": ({"gender": "martian"}, "gender"),
    "unknown local authority": ({"local_authority": "atlantis"}, "local_authority"),
    "unknown age band": ({"date_of_birth": None, "age_band": "ancient"}, "age_band"),
    "oversized first name": ({"first_name": "a" * 101}, "first_name"),
    "oversized accessibility needs": ({"accessibility_needs": "a" * 2001}, "accessibility_needs"),
    "NUL in first name": ({"first_name": "a\x00b"}, "first_name"),
    "NUL in accessibility needs": ({"accessibility_needs": "a\x00b"}, "accessibility_needs"),
    "missing first name": ({"first_name": None}, "first_name"),
    "neither date of birth nor age band": ({"date_of_birth": None}, "date_of_birth"),
    "malformed date of birth": ({"date_of_birth": "02/04/1958"}, "date_of_birth"),
    "bad email": ({"email": "not-an-email"}, "email"),
    "needs_device not a boolean": ({"needs_device": "perhaps"}, "needs_device"),
}


@pytest.mark.parametrize("changes, attr", list(INVALID_INPUTS.values()), ids=list(INVALID_INPUTS))
def test_create_invalid_input_is_400_naming_the_field_and_saves_nothing(key_a, changes, attr):
    _, api = key_a
    data = {key: value for key, value in valid_resident(**changes).items() if value is not None}
    response = api.post(RESIDENTS, data, format="json")
    assert_validation_error(response, attr)
    assert not Resident.objects.exists()
    assert not CaseEvent.objects.exists()


SEMANTIC_INPUTS = {
    "future date of birth": ({"date_of_birth": "2999-01-01"}, "date_of_birth", "in_the_future"),
    "date of birth before 1900": ({"date_of_birth": "1850-01-01"}, "date_of_birth", "out_of_range"),
    "blank last name": ({"last_name": "   "}, "last_name", "blank"),
    "unallocated phone": ({"phone": "01632 960000"}, "phone", "invalid_phone_number"),
    "drama phone number": ({"phone": "07700 900123"}, "phone", "invalid_phone_number"),
}


@pytest.mark.parametrize("changes, attr, code", list(SEMANTIC_INPUTS.values()), ids=list(SEMANTIC_INPUTS))
def test_create_refused_by_a_rule_the_schema_cannot_state_is_422(key_a, changes, attr, code):
    _, api = key_a
    response = api.post(RESIDENTS, valid_resident(**changes), format="json")
    assert response.status_code == 422, response.content
    assert [(error["attr"], error["code"]) for error in response.json()["errors"]] == [(attr, code)]
    assert not Resident.objects.exists()


def test_create_with_several_bad_fields_names_each_of_them(key_a):
    _, api = key_a
    data = valid_resident(
        postcode="XX", phone="12345", gender="martian", first_name="a" * 101, last_name="a\x00b",
        date_of_birth="2999-01-01",
    )  # fmt: skip
    response = api.post(RESIDENTS, data, format="json")
    assert_validation_error(response, "postcode", "phone", "gender", "first_name", "last_name", "date_of_birth")
    assert not Resident.objects.exists()


def test_missing_date_of_birth_is_named_alongside_other_bad_fields(key_a):
    _, api = key_a
    data = valid_resident(postcode="XX", gender="martian")
    del data["date_of_birth"]
    response = api.post(RESIDENTS, data, format="json")
    assert_validation_error(response, "postcode", "gender", "date_of_birth")
    assert not Resident.objects.exists()


def test_create_with_an_empty_body_names_the_required_fields(key_a):
    _, api = key_a
    response = api.post(RESIDENTS, {}, format="json")
    assert_validation_error(response, "first_name", "last_name", "date_of_birth")


def test_create_with_malformed_json_is_400_parse_error(key_a):
    _, api = key_a
    response = api.post(RESIDENTS, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["type"] == "client_error"
    assert response.json()["errors"][0]["code"] == "parse_error"
    assert not Resident.objects.exists()


def test_create_with_a_json_list_is_400_not_500(key_a):
    _, api = key_a
    response = api.post(RESIDENTS, [valid_resident()], format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert not Resident.objects.exists()


def test_create_with_a_form_encoded_body_is_415(key_a):
    _, api = key_a
    response = api.post(RESIDENTS, valid_resident(), format="multipart")
    assert response.status_code == 415
    assert not Resident.objects.exists()


# --- Update -----------------------------------------------------------------------------------------------


def test_patch_changes_one_field_and_writes_a_details_updated_event(key_a, resident_a):
    row, api = key_a
    before = Resident.objects.get(pk=resident_a.pk)
    response = api.patch(detail(resident_a), {"postcode": "wv2 2bb"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["postcode"] == "WV2 2BB"
    assert response.json()["first_name"] == "Margaret"
    resident_a.refresh_from_db()
    assert resident_a.postcode == "WV2 2BB"
    assert resident_a.first_name == before.first_name
    assert resident_a.phone == before.phone
    assert resident_a.date_of_birth == before.date_of_birth
    event = CaseEvent.objects.get(resident=resident_a, kind=choices.EventKind.DETAILS_UPDATED)
    assert event.data == {"fields": ["postcode"]}
    assert event.api_key == row
    assert event.organisation == resident_a.owning_organisation


def test_patch_with_the_same_value_writes_no_event(key_a, resident_a):
    _, api = key_a
    response = api.patch(detail(resident_a), {"first_name": "Margaret", "postcode": "WV1 1AA"}, format="json")
    assert response.status_code == 200, response.content
    assert not CaseEvent.objects.filter(resident=resident_a, kind=choices.EventKind.DETAILS_UPDATED).exists()


def test_patch_resending_the_phone_number_writes_no_event(key_a, resident_a):
    _, api = key_a
    response = api.patch(detail(resident_a), {"phone": str(resident_a.phone)}, format="json")
    assert response.status_code == 200, response.content
    assert not CaseEvent.objects.filter(resident=resident_a, kind=choices.EventKind.DETAILS_UPDATED).exists()


def test_put_replaces_the_details_and_writes_a_details_updated_event(key_a, resident_a):
    row, api = key_a
    data = valid_resident(first_name="Maggie", last_name="Oduya", postcode="WV3 3BD")
    response = api.put(detail(resident_a), data, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == str(resident_a.pk)
    assert body["first_name"] == "Maggie"
    assert body["postcode"] == "WV3 3BD"
    assert body["owning_organisation"] == "alpha"
    resident_a.refresh_from_db()
    assert resident_a.first_name == "Maggie"
    event = CaseEvent.objects.get(resident=resident_a, kind=choices.EventKind.DETAILS_UPDATED)
    assert "first_name" in event.data["fields"]
    assert "postcode" in event.data["fields"]
    assert "last_name" not in event.data["fields"]
    assert event.api_key == row


def test_put_without_required_fields_is_400_and_changes_nothing(key_a, resident_a):
    _, api = key_a
    before = snapshot(resident_a)
    response = api.put(detail(resident_a), {"postcode": "WV3 3BD"}, format="json")
    # PUT replaces: the date of birth it leaves out is not taken from the resident either.
    assert_validation_error(response, "first_name", "last_name", "date_of_birth")
    assert snapshot(resident_a) == before


@pytest.mark.parametrize("changes, attr", list(INVALID_INPUTS.values())[:11], ids=list(INVALID_INPUTS)[:11])
def test_patch_invalid_input_is_400_naming_the_field_and_changes_nothing(key_a, resident_a, changes, attr):
    _, api = key_a
    before = snapshot(resident_a)
    data = {"date_of_birth": None, **changes} if "age_band" in changes else changes
    response = api.patch(detail(resident_a), data, format="json")
    assert_validation_error(response, attr)
    assert snapshot(resident_a) == before


def test_patch_removing_the_date_of_birth_without_an_age_band_is_422(key_a, resident_a):
    """Whether a PATCH leaves either depends on what the resident has: a rule the schema cannot state."""
    _, api = key_a
    before = snapshot(resident_a)
    response = api.patch(detail(resident_a), {"date_of_birth": None}, format="json")
    assert_validation_error(response, "date_of_birth", status=422)
    assert response.json()["errors"][0]["code"] == "date_of_birth_or_age_band"
    assert snapshot(resident_a) == before


def test_patch_swapping_date_of_birth_for_an_age_band_is_allowed(key_a, resident_a):
    _, api = key_a
    response = api.patch(detail(resident_a), {"date_of_birth": None, "age_band": "75_plus"}, format="json")
    assert response.status_code == 200, response.content
    resident_a.refresh_from_db()
    assert resident_a.date_of_birth is None
    assert resident_a.age_band == "75_plus"


def test_patch_with_several_bad_fields_names_each_of_them(key_a, resident_a):
    _, api = key_a
    before = snapshot(resident_a)
    response = api.patch(
        detail(resident_a), {"postcode": "XX", "gender": "martian", "first_name": "a" * 101}, format="json"
    )
    assert_validation_error(response, "postcode", "gender", "first_name")
    assert snapshot(resident_a) == before


# --- Another organisation's resident ----------------------------------------------------------------------


def test_another_organisations_resident_is_404_to_retrieve(key_a, resident_b):
    _, api = key_a
    response = api.get(detail(resident_b))
    assert response.status_code == 404
    assert response.json()["type"] == "client_error"
    assert response.json()["errors"][0]["code"] == "not_found"
    assert "Bernard" not in response.content.decode()


def test_another_organisations_resident_is_404_to_patch_and_put_and_unchanged(key_a, resident_b):
    _, api = key_a
    before = snapshot(resident_b)
    assert api.patch(detail(resident_b), {"first_name": "Changed"}, format="json").status_code == 404
    assert api.put(detail(resident_b), valid_resident(first_name="Changed"), format="json").status_code == 404
    # Even invalid input gets 404, not a 400 that would confirm the resident exists.
    assert api.patch(detail(resident_b), {"gender": "martian"}, format="json").status_code == 404
    assert snapshot(resident_b) == before


def test_another_organisations_resident_is_404_for_notes_and_no_note_is_added(key_a, resident_b):
    _, api = key_a
    before = snapshot(resident_b)
    assert api.get(notes(resident_b)).status_code == 404
    assert api.post(notes(resident_b), {"body": "Not my resident"}, format="json").status_code == 404
    assert api.post(notes(resident_b), {"body": ""}, format="json").status_code == 404
    assert snapshot(resident_b) == before


def test_an_unknown_or_malformed_resident_id_is_404(key_a):
    _, api = key_a
    assert api.get(f"{RESIDENTS}00000000-0000-0000-0000-000000000000/").status_code == 404
    assert api.get(f"{RESIDENTS}not-a-uuid/").status_code == 404
    assert api.get(f"{RESIDENTS}0000000-0000-0000-0000-0000000000000/").status_code == 404


def test_retrieve_own_resident(key_a, resident_a):
    _, api = key_a
    response = api.get(detail(resident_a))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(resident_a.pk)
    assert body["first_name"] == "Margaret"
    assert body["postcode"] == "WV1 1AA"
    assert body["owning_organisation"] == "alpha"
    assert body["phone"] == str(resident_a.phone)


# --- Notes ------------------------------------------------------------------------------------------------


def test_post_note_is_201_and_recorded_against_the_key(key_a, resident_a, org_a):
    row, api = key_a
    response = api.post(notes(resident_a), {"body": "Lent a tablet.\nShowed her how to video call."}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["summary"] == "Lent a tablet."
    assert body["body"] == "Lent a tablet.\nShowed her how to video call."
    assert body["author"] == "API: Alpha CRM"
    assert body["organisation"] == "alpha"
    assert body["id"] and body["occurred_at"]
    note = CaseEvent.objects.get(pk=body["id"])
    assert note.kind == choices.EventKind.NOTE
    assert note.resident == resident_a
    assert note.api_key == row
    assert note.organisation == org_a


@pytest.mark.parametrize(
    "data, status",
    [({}, 400), ({"body": ""}, 422), ({"body": "   \n  "}, 422), ({"body": None}, 400), ({"body": "x" * 5001}, 400),
     ({"body": "a\x00b"}, 400), ({"body": -59311}, 400), ({"body": ["x"]}, 400)],
    ids=["missing", "empty", "whitespace", "null", "too long", "NUL", "a number", "a list"],
)  # fmt: skip
def test_bad_note_is_refused_naming_body_and_saves_nothing(key_a, resident_a, data, status):
    _, api = key_a
    response = api.post(notes(resident_a), data, format="json")
    assert_validation_error(response, "body", status=status)
    assert not CaseEvent.objects.filter(resident=resident_a, kind=choices.EventKind.NOTE).exists()


def test_note_of_exactly_5000_characters_is_accepted(key_a, resident_a):
    _, api = key_a
    response = api.post(notes(resident_a), {"body": "x" * 5000}, format="json")
    assert response.status_code == 201


def test_notes_are_listed_newest_first_and_paginated(key_a, resident_a, actor_a):
    _, api = key_a
    for n in range(3):
        assert api.post(notes(resident_a), {"body": f"Note {n}"}, format="json").status_code == 201
    note_add(actor=actor_a, resident=resident_a, body="Note 3, from staff")

    response = api.get(notes(resident_a))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4  # notes only: not the registration or other timeline entries
    assert [note["summary"] for note in body["results"]] == ["Note 3, from staff", "Note 2", "Note 1", "Note 0"]
    assert body["results"][0]["author"] == actor_a.user.full_name

    first = api.get(notes(resident_a), {"page_size": 3}).json()
    assert first["count"] == 4
    assert [note["summary"] for note in first["results"]] == ["Note 3, from staff", "Note 2", "Note 1"]
    assert first["next"]
    second = api.get(first["next"]).json()
    assert [note["summary"] for note in second["results"]] == ["Note 0"]
    assert second["next"] is None


def test_notes_of_a_resident_without_notes_is_an_empty_page(key_a, resident_a):
    _, api = key_a
    response = api.get(notes(resident_a))
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


# --- List -------------------------------------------------------------------------------------------------


def _ids(response) -> set:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_list_shows_only_own_residents(key_a, resident_a, resident_b):
    _, api = key_a
    response = api.get(RESIDENTS)
    assert response.json()["count"] == 1
    assert _ids(response) == {str(resident_a.pk)}


def test_list_is_ordered_by_last_name_then_first_name(key_a, org_a):
    _, api = key_a
    for first, last in [("Zoe", "Adams"), ("Amir", "Brown"), ("Anna", "Adams")]:
        ResidentFactory(owning_organisation=org_a, first_name=first, last_name=last)
    names = [(row["last_name"], row["first_name"]) for row in api.get(RESIDENTS).json()["results"]]
    assert names == [("Adams", "Anna"), ("Adams", "Zoe"), ("Brown", "Amir")]


def test_list_is_paginated_with_page_size(key_a, org_a):
    _, api = key_a
    ResidentFactory.create_batch(5, owning_organisation=org_a)
    response = api.get(RESIDENTS, {"page_size": 2})
    body = response.json()
    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert body["previous"] is None
    assert "page=2" in body["next"] and "page_size=2" in body["next"]

    seen = [row["id"] for row in body["results"]]
    page = body
    while page["next"]:
        page = api.get(page["next"]).json()
        seen += [row["id"] for row in page["results"]]
    assert len(seen) == len(set(seen)) == 5


def test_list_default_page_is_50_and_page_size_goes_up_to_200(key_a, org_a):
    _, api = key_a
    Resident.objects.bulk_create(ResidentFactory.build_batch(205, owning_organisation=org_a))
    default = api.get(RESIDENTS).json()
    assert default["count"] == 205
    assert len(default["results"]) == 50
    largest = api.get(RESIDENTS, {"page_size": 200}).json()
    assert len(largest["results"]) == 200
    assert largest["next"]
    assert_validation_error(api.get(RESIDENTS, {"page_size": 1000}), "page_size")


def test_list_page_beyond_the_end_is_404(key_a, resident_a):
    _, api = key_a
    response = api.get(RESIDENTS, {"page": 99})
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


@pytest.fixture
def searchable(org_a, org_b):
    make = ResidentFactory
    return {
        "margaret": make(owning_organisation=org_a, first_name="Margaret", last_name="Oduya", postcode="WV1 1AA"),
        "mark": make(owning_organisation=org_a, first_name="Mark", last_name="Smith", postcode="WV10 6QR",
                     needs_device=True, local_authority=choices.LocalAuthority.WOLVERHAMPTON),
        "priya": make(owning_organisation=org_a, first_name="Priya", last_name="Markham", postcode="B15 2TT",
                      needs_device=True, local_authority=choices.LocalAuthority.BIRMINGHAM),
        "other": make(owning_organisation=org_b, first_name="Marcus", last_name="Other", postcode="WV1 2BB",
                      needs_device=True),
    }  # fmt: skip


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"q": "mar"}, {"margaret", "mark", "priya"}),
        ({"q": "MARK"}, {"mark", "priya"}),
        ({"q": "mark smith"}, {"mark"}),
        ({"q": "wv1 1"}, {"margaret"}),
        ({"q": "zzz"}, set()),
        ({"postcode": "WV1"}, {"margaret"}),  # that district, not WV10
        ({"postcode": "wv10"}, {"mark"}),
        ({"postcode": "wv11"}, set()),  # the outward code WV11; WV1 1.. is "wv1 1"
        ({"postcode": "wv1 1"}, {"margaret"}),
        ({"postcode": "wv1 1aa"}, {"margaret"}),
        ({"postcode": "b15"}, {"priya"}),
        ({"local_authority": "birmingham"}, {"priya"}),
        ({"needs_device": "true"}, {"mark", "priya"}),
        ({"needs_device": "false"}, {"margaret"}),
        ({"needs_device": "true", "local_authority": "wolverhampton"}, {"mark"}),
        ({"owning_organisation": "beta"}, set()),
    ],
    ids=lambda value: str(value),
)
def test_list_filters_match_only_own_residents(key_a, searchable, params, expected):
    _, api = key_a
    response = api.get(RESIDENTS, params)
    assert _ids(response) == {str(searchable[name].pk) for name in expected}
    assert response.json()["count"] == len(expected)


def test_list_with_an_unknown_local_authority_is_400(key_a, searchable):
    _, api = key_a
    assert_validation_error(api.get(RESIDENTS, {"local_authority": "atlantis"}), "local_authority")


def test_list_query_count_does_not_grow_with_page_size(key_a, org_a):
    _, api = key_a
    ResidentFactory.create_batch(5, owning_organisation=org_a)
    assert api.get(RESIDENTS).status_code == 200  # the first request records last_used_at

    with CaptureQueriesContext(connection) as five:
        response = api.get(RESIDENTS)
    assert len(response.json()["results"]) == 5

    ResidentFactory.create_batch(45, owning_organisation=org_a)
    with CaptureQueriesContext(connection) as fifty:
        response = api.get(RESIDENTS)
    assert len(response.json()["results"]) == 50

    assert len(fifty) == len(five), [query["sql"] for query in fifty.captured_queries]
    assert len(five) <= 3  # the key with its organisation, the count, the page


def test_notes_query_count_does_not_grow_with_page_size(key_a, resident_a, actor_a):
    _, api = key_a
    for n in range(2):
        note_add(actor=actor_a, resident=resident_a, body=f"Staff note {n}")
        api.post(notes(resident_a), {"body": f"API note {n}"}, format="json")
    with CaptureQueriesContext(connection) as few:
        assert len(api.get(notes(resident_a)).json()["results"]) == 4
    for n in range(10):
        note_add(actor=actor_a, resident=resident_a, body=f"More {n}")
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(notes(resident_a)).json()["results"]) == 14
    assert len(many) == len(few)


# --- Organisations ----------------------------------------------------------------------------------------


def test_organisations_list_shows_active_organisations(key_a, org_a, org_b):
    _, api = key_a
    OrganisationFactory(name="Closed Charity", slug="closed", active=False)
    response = api.get(ORGANISATIONS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [org["slug"] for org in body["results"]] == ["alpha", "beta"]
    assert body["results"][1] == {
        "slug": "beta",
        "name": "Beta Library",
        "kind": "library",
        "local_authority": "wolverhampton",
        "is_scheme_lead": False,
    }


def test_organisations_list_filters_by_kind(key_a, org_a, org_b):
    _, api = key_a
    response = api.get(ORGANISATIONS, {"kind": "library"})
    assert [org["slug"] for org in response.json()["results"]] == ["beta"]


def test_organisation_retrieve_by_slug(key_a, org_b):
    _, api = key_a
    response = api.get(f"{ORGANISATIONS}beta/")
    assert response.status_code == 200
    assert response.json()["name"] == "Beta Library"


def test_unknown_or_inactive_organisation_slug_is_404(key_a):
    _, api = key_a
    OrganisationFactory(name="Closed Charity", slug="closed", active=False)
    for slug in ("no-such-organisation", "closed"):
        response = api.get(f"{ORGANISATIONS}{slug}/")
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "not_found"


def test_organisations_cannot_be_created_through_the_api(key_a):
    _, api = key_a
    response = api.post(ORGANISATIONS, {"slug": "new", "name": "New"}, format="json")
    assert response.status_code == 405


# --- Schema and documentation -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema():
    """Generated once for the module (it takes a while); serving it touches no database."""
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200, response.content
    return response.json()


def test_schema_is_openapi_3_and_needs_no_key():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert response.json()["openapi"].startswith("3.")


def test_schema_lists_the_resident_paths(schema):
    assert {"/api/v1/residents/", "/api/v1/residents/{id}/", "/api/v1/residents/{id}/notes/"} <= set(schema["paths"])
    assert {"/api/v1/organisations/", "/api/v1/organisations/{slug}/"} <= set(schema["paths"])
    assert set(schema["paths"]["/api/v1/residents/"]) >= {"get", "post"}
    assert set(schema["paths"]["/api/v1/residents/{id}/"]) >= {"get", "put", "patch"}


@pytest.mark.parametrize(
    "path, method, codes",
    [
        ("/api/v1/residents/", "post", {"201", "400", "401"}),
        ("/api/v1/residents/{id}/", "get", {"200", "401", "404"}),
        ("/api/v1/residents/{id}/", "patch", {"200", "400", "401", "404"}),
        ("/api/v1/residents/{id}/", "put", {"200", "400", "401", "404"}),
        ("/api/v1/residents/{id}/notes/", "post", {"201", "400", "401", "404"}),
        ("/api/v1/residents/{id}/notes/", "get", {"200", "401", "404"}),
        ("/api/v1/residents/", "get", {"200", "400", "401"}),
    ],
)
def test_schema_documents_error_responses(schema, path, method, codes):
    assert codes <= set(schema["paths"][path][method]["responses"])


def test_schema_documents_the_validation_errors_of_resident_create(schema):
    operation = schema["paths"]["/api/v1/residents/"]["post"]
    error_ref = operation["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    assert error_ref.startswith("#/components/schemas/")
    assert "401" in operation["responses"]
    content = operation["requestBody"]["content"]
    assert list(content) == ["application/json"]


def test_schema_declares_the_api_key_security_scheme(schema):
    scheme = schema["components"]["securitySchemes"]["ApiKeyAuth"]
    assert scheme["type"] == "apiKey"
    assert scheme["in"] == "header"
    assert scheme["name"] == "Authorization"
    assert schema["paths"]["/api/v1/residents/"]["post"]["security"] == [{"ApiKeyAuth": []}]


def test_schema_does_not_document_403_which_the_api_never_returns(schema):
    for path in ("/api/v1/residents/", "/api/v1/residents/{id}/"):
        for operation in schema["paths"][path].values():
            assert "403" not in operation["responses"]


def test_schema_documents_the_postcode_and_date_of_birth_error_codes(schema):
    components = schema["components"]["schemas"]
    postcode_codes = components["V1ResidentsCreatePostcodeErrorComponent"]["properties"]["code"]
    date_of_birth_codes = components["V1ResidentsCreateDateOfBirthErrorComponent"]["properties"]["code"]
    assert "invalid_postcode" in postcode_codes["enum"]
    assert "required" in date_of_birth_codes["enum"]


def test_schema_names_shared_choice_sets_once(schema):
    components = schema["components"]["schemas"]
    assert set(components["YesNoEnum"]["enum"]) == {"yes", "no", "prefer_not_to_say", ""}
    assert set(components["SkillLevelEnum"]["enum"]) == {"cannot", "with_help", "independent", ""}
    assert "LowIncomeEnum" not in components
    assert "EdsBeingSafeEnum" not in components


def test_api_docs_page_is_served_without_a_key():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "/api/schema/" in html
    assert "cdn.jsdelivr.net" not in html  # served from our own static files


def test_spectacular_validates_without_warnings(tmp_path):
    GENERATOR_STATS.reset()  # warnings from schemas generated earlier in this process would count
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3")


# The possible-duplicate check on registration: 409 with what may be shown, unless confirmed.


def test_registering_someone_you_already_hold_is_409_naming_your_record(key_a, org_a):
    _, api = key_a
    ours = ResidentFactory(owning_organisation=org_a, phone="+447911123456")
    response = api.post(RESIDENTS, valid_resident(), format="json")
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["type"] == "client_error"
    assert body["errors"] == [{
        "code": "possible_duplicate", "attr": None,
        "detail": "This person may already have a record. Check the matches; to register them anyway, send "
                  "confirm_new_person: true.",
    }]  # fmt: skip
    assert body["matches"] == [
        {"resident": str(ours.pk), "organisation": "alpha", "reasons": ["same phone number"], "message": ""}
    ]
    assert Resident.objects.count() == 1


def test_a_match_at_another_organisation_is_409_without_naming_it_or_the_person(key_a, org_b):
    """The privacy rules of the staff web: no name, no id, and the organisation only with consent to sharing."""
    _, api = key_a
    theirs = ResidentFactory(owning_organisation=org_b, phone="+447911123456", first_name="Zebedee")
    response = api.post(RESIDENTS, valid_resident(), format="json")
    assert response.status_code == 409
    assert response.json()["matches"] == [{
        "resident": None, "organisation": None, "reasons": [],
        "message": "This person may already be known to another partner: ask them.",
    }]  # fmt: skip
    assert str(theirs.pk) not in response.content.decode() and "Zebedee" not in response.content.decode()
    from ..factories import ConsentFactory

    ConsentFactory(resident=theirs, purpose="sharing")
    named = api.post(RESIDENTS, valid_resident(), format="json").json()["matches"]
    assert named == [{"resident": None, "organisation": "beta", "reasons": [],
                      "message": "A possible existing record at Beta Library."}]  # fmt: skip


def test_every_cross_organisation_match_from_the_api_is_recorded_with_its_key(key_a, org_b):
    from inclusion.models import CrossOrganisationMatch

    row, api = key_a
    theirs = ResidentFactory(owning_organisation=org_b, phone="+447911123456")
    api.post(RESIDENTS, valid_resident(), format="json")
    match = CrossOrganisationMatch.objects.get()
    assert (match.api_key, match.user, match.resident) == (row, None, theirs)


def test_confirm_new_person_registers_anyway(key_a, org_a):
    _, api = key_a
    ResidentFactory(owning_organisation=org_a, phone="+447911123456")
    response = api.post(RESIDENTS, valid_resident(confirm_new_person=True), format="json")
    assert response.status_code == 201, response.content
    assert "confirm_new_person" not in response.json()
    assert Resident.objects.count() == 2


def test_confirm_new_person_must_be_a_boolean(key_a):
    _, api = key_a
    assert_validation_error(api.post(RESIDENTS, valid_resident(confirm_new_person="perhaps"), format="json"),
                            "confirm_new_person")  # fmt: skip
    assert not Resident.objects.exists()


def test_registrations_over_the_hourly_limit_of_checks_are_429(key_a, settings):
    _, api = key_a
    settings.DUPLICATE_CHECKS_PER_HOUR = 1
    assert api.post(RESIDENTS, valid_resident(), format="json").status_code == 201
    refused = api.post(RESIDENTS, valid_resident(first_name="Grace", phone="", email=""), format="json")
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["code"] == "throttled" and int(refused["Retry-After"]) > 0
    assert Resident.objects.count() == 1


def test_schema_documents_the_duplicate_check(key_a):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    responses = schema["paths"]["/api/v1/residents/"]["post"]["responses"]
    assert {"201", "409", "429"} <= set(responses)
    conflict = responses["409"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "matches" in schema["components"]["schemas"][conflict]["properties"]
    request = schema["paths"]["/api/v1/residents/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    request_name = request["$ref"].rsplit("/", 1)[-1]
    assert "confirm_new_person" in schema["components"]["schemas"][request_name]["properties"]
