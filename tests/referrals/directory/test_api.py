"""/api/v1/services/: the whole directory for any key, writes only to your own services (another
organisation's is 404 on every write, nothing changed), the API's statuses and codes, and the schema."""

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from inclusion.models import AuditEvent
from referrals.directory.api.filters import PLACE_PATTERN
from referrals.directory.models import Service
from referrals.directory.selectors import place_district

from .factories import ServiceFactory

pytestmark = pytest.mark.django_db

NEW = {
    "name": "Get online: computer basics", "description": "Email, video calls and staying safe online.",
    "kind": "skills_course", "skill_areas": ["communicating", "being_safe"], "level": "beginner",
    "delivery": "in_person", "days": ["TU"], "opens_at": "10:00", "closes_at": "12:30", "capacity": 12,
    "languages": ["English", "Punjabi"], "contact_phone": "01902 552000",
    "locations": [{"name": "Central Library", "address_line_1": "Snow Hill", "town": "Wolverhampton",
                   "postcode": "wv1 3ax"}],
}  # fmt: skip


def _codes(response):
    return {(error["attr"], error["code"]) for error in response.json()["errors"]}


def test_any_key_lists_and_filters_the_whole_directory(api_b, org_a):
    course = ServiceFactory(organisation=org_a, name="Alpha email course", place="WV10 6QR", days=["TU"])
    ServiceFactory(organisation=org_a, name="Alpha data hub", kind="connectivity_hub", skill_areas=[], days=["MO"])
    ServiceFactory(organisation=org_a, name="Paused", status="inactive")
    body = api_b.get("/api/v1/services/").json()
    assert body["count"] == 2
    item = api_b.get("/api/v1/services/", {"place": "wv10 6qr", "day": "TU"}).json()["results"]
    assert [s["name"] for s in item] == [course.name]
    assert item[0]["organisation"] == "alpha" and item[0]["locations"][0]["postcode_district"] == "WV10"
    assert item[0]["opens_at"] is None and item[0]["days"] == ["TU"]
    assert [s["name"] for s in api_b.get("/api/v1/services/", {"kind": "connectivity_hub"}).json()["results"]] == [
        "Alpha data hub"
    ]
    assert [s["name"] for s in api_b.get("/api/v1/services/", {"status": "inactive"}).json()["results"]] == ["Paused"]
    assert api_b.get("/api/v1/services/", {"organisation": "alpha", "skill_area": "transacting"}).json()["count"] == 0
    assert api_b.get(f"/api/v1/services/{course.pk}/").json()["name"] == course.name


@pytest.mark.parametrize(
    ("params", "attr"),
    [({"place": "Wolverhampton"}, "place"), ({"day": "Monday"}, "day"), ({"referrals_open": "maybe"}, "referrals_open"),
     ({"colour": "blue"}, "colour"), ({"page_size": "0"}, "page_size")],
)  # fmt: skip
def test_bad_filters_are_a_400_naming_them(api_a, params, attr):
    response = api_a.get("/api/v1/services/", params)
    assert response.status_code == 400 and attr in {a for a, _ in _codes(response)}


def test_create_makes_your_own_service_with_its_places(api_a, org_a):
    response = api_a.post("/api/v1/services/", NEW, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["organisation"] == "alpha" and body["status"] == "active" and body["closes_at"] == "12:30"
    assert body["locations"][0]["postcode"] == "WV1 3AX" and body["contact_phone"] == "01902 552000"
    service = Service.objects.get(pk=body["id"])
    assert service.organisation == org_a
    assert AuditEvent.objects.get(action="service.create").api_key is not None


@pytest.mark.parametrize(
    ("changes", "status", "codes"),
    [
        ({"unknown": 1}, 400, {("unknown", "unknown_field")}),
        ({"capacity": "12"}, 400, {("capacity", "invalid")}),
        ({"opens_at": "9am"}, 400, {("opens_at", "invalid")}),
        ({"status": "defunct"}, 400, {("status", "invalid_choice")}),
        ({"skill_areas": ["cooking"]}, 400, {("skill_areas.0", "invalid_choice")}),
        ({"free": "true"}, 400, {("free", "invalid")}),
        ({"locations": [{"address_line_1": "x", "town": "y", "postcode": "not a postcode"}]}, 400,
         {("locations.0.postcode", "invalid_postcode")}),
        ({"opens_at": "14:00", "closes_at": "09:00"}, 422, {("closes_at", "out_of_range")}),
        ({"locations": []}, 422, {("locations", "location_required")}),
        ({"contact_phone": "07700 12"}, 422, {("contact_phone", "invalid_phone_number")}),
        ({"free": False}, 422, {("cost_description", "blank")}),
        ({"name": "   "}, 422, {("name", "blank")}),
    ],
)  # fmt: skip
def test_create_refusals_have_the_documented_status_and_code(api_a, changes, status, codes):
    response = api_a.post("/api/v1/services/", {**NEW, **changes}, format="json")
    assert response.status_code == status, response.json()
    assert codes <= _codes(response)
    assert not Service.objects.exists()


def test_a_second_service_of_the_same_name_is_a_409(api_a):
    assert api_a.post("/api/v1/services/", NEW, format="json").status_code == 201
    response = api_a.post("/api/v1/services/", NEW, format="json")
    assert response.status_code == 409 and _codes(response) == {("name", "duplicate")}


def test_put_replaces_patch_changes_and_retire_retires(api_a, org_a):
    service = ServiceFactory(organisation=org_a, capacity=10, accessibility="Hearing loop")
    patched = api_a.patch(f"/api/v1/services/{service.pk}/", {"capacity": 20}, format="json")
    assert patched.status_code == 200 and patched.json()["capacity"] == 20
    assert patched.json()["accessibility"] == "Hearing loop"
    put = api_a.put(f"/api/v1/services/{service.pk}/", {**NEW, "delivery": "online", "locations": []}, format="json")
    assert put.status_code == 200, put.json()
    assert put.json()["accessibility"] == "" and put.json()["capacity"] == 12 and put.json()["locations"] == []
    retired = api_a.post(f"/api/v1/services/{service.pk}/retire/", {}, format="json")
    assert retired.status_code == 200 and retired.json()["status"] == "defunct"
    again = api_a.patch(f"/api/v1/services/{service.pk}/", {"capacity": 5}, format="json")
    assert again.status_code == 409 and _codes(again) == {(None, "illegal_transition")}
    assert api_a.get("/api/v1/services/").json()["count"] == 0


def test_another_organisations_service_is_readable_but_every_write_is_404(api_b, org_a):
    service = ServiceFactory(organisation=org_a, name="Alpha course")
    path = f"/api/v1/services/{service.pk}/"
    assert api_b.get(path).status_code == 200
    missing = f"/api/v1/services/{uuid.uuid4()}/"
    for method, suffix in (("put", ""), ("patch", ""), ("post", "retire/")):
        theirs = getattr(api_b, method)(path + suffix, {**NEW, "name": "Hijacked"}, format="json")
        nobodys = getattr(api_b, method)(missing + suffix, {**NEW, "name": "Hijacked"}, format="json")
        assert theirs.status_code == nobodys.status_code == 404
        assert theirs.json() == nobodys.json()  # the same answer: nothing confirmed
    service.refresh_from_db()
    assert service.name == "Alpha course" and service.status == "active"


@pytest.mark.parametrize("odd", ["not-a-uuid", "%00", "0" * 36, "ffffffff-ffff-ffff-ffff-fffffffffffz"])
def test_odd_ids_are_404_never_500(api_a, odd):
    assert api_a.get(f"/api/v1/services/{odd}/").status_code == 404


def test_a_key_is_needed(org_a):
    assert APIClient().get("/api/v1/services/").status_code == 401


def test_the_list_takes_a_fixed_number_of_queries(api_a, django_assert_max_num_queries):
    for number in range(15):
        ServiceFactory(name=f"Course {number}")
    with django_assert_max_num_queries(8):  # key, throttle bookkeeping, count, page, places
        assert api_a.get("/api/v1/services/").json()["count"] == 15


def test_the_schema_documents_the_endpoints_and_their_errors(api_a):
    schema = api_a.get("/api/schema/", {"format": "json"}).json()
    create = schema["paths"]["/api/v1/services/"]["post"]
    assert {"201", "400", "409", "422"} <= set(create["responses"])
    retire = schema["paths"]["/api/v1/services/{id}/retire/"]["post"]
    assert {"200", "404", "409"} <= set(retire["responses"])
    assert schema["components"]["schemas"]["ServiceInputRequest"]["additionalProperties"] is False


@settings(max_examples=500, deadline=None)
@given(place=st.from_regex(PLACE_PATTERN, fullmatch=True))
def test_every_place_the_schema_allows_is_understood(place):
    # A request the schema allows is never refused: blank is no filter, anything else a district.
    assert not place.strip() or place_district(place) is not None


def test_output_blanks_are_plain_text_not_formats(api_a, org_a):
    service = ServiceFactory(organisation=org_a, contact_email="", url="")
    body = api_a.get(f"/api/v1/services/{service.pk}/").json()
    assert body["contact_email"] == "" and body["url"] == ""
    schema = api_a.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]["ServiceOutput"]
    assert "format" not in schema["properties"]["contact_email"] and "format" not in schema["properties"]["url"]


def test_place_longer_than_the_schema_allows_is_refused_even_as_spaces(api_a):
    response = api_a.get("/api/v1/services/", {"place": " " * 17})
    assert response.status_code == 400 and _codes(response) == {("place", "max_length")}
    assert api_a.get("/api/v1/services/", {"place": "  wv10  "}).status_code == 200
