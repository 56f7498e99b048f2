"""The Open Referral UK 3.0 feed: open without a key, every response valid against the standard's compiled
JSON Schemas (openreferral_uk_3_0/, formats checked too), the standard's search and filter parameters, a
clear 400 for a bad one, 404 for an unknown id, and no personal data."""

import json
import uuid
from datetime import date, datetime, time
from pathlib import Path
from urllib.parse import urlparse

import jsonschema
import pytest
from django.test import Client
from django.utils import timezone

from referrals.directory import openreferral
from referrals.directory.models import Service

from ...factories import ResidentFactory
from .factories import ServiceFactory

pytestmark = pytest.mark.django_db
SCHEMAS = Path(__file__).parent / "openreferral_uk_3_0"


def _load(name):
    return json.loads((SCHEMAS / name).read_text())


FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value):
    return isinstance(value, str) and datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


@FORMATS.checks("uri")
def _uri(value):
    parts = urlparse(value)
    return bool(parts.scheme and parts.netloc)


OPENAPI = _load("openapi.json")
PAGE = OPENAPI["components"]["schemas"]["Page"]
LIST_SCHEMA = {
    "allOf": [PAGE],
    "required": [*PAGE["properties"], "contents"],
    "properties": {"contents": {"type": "array", "items": _load("service_list.json")}},
}
SERVICE_SCHEMA = _load("service.json")
VERSION_SCHEMA = {
    **OPENAPI["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
    "required": ["version", "profile", "openapi_url"],
}


def _valid(document, schema):
    validator = jsonschema.Draft202012Validator(schema, format_checker=FORMATS)
    errors = sorted(validator.iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    return document


@pytest.fixture
def anyone():
    return Client()  # signed out, no key


@pytest.fixture
def rich_service(org_a):
    service = ServiceFactory(
        organisation=org_a, name="Get online at the library", skill_areas=["communicating", "transacting"],
        delivery="blended", days=["TU", "TH"], opens_at=time(10), closes_at=time(12, 30), capacity=12, free=False,
        cost_description="£2 a session, free on Universal Credit", eligibility="Adults in Wolverhampton",
        minimum_age=19, maximum_age=99, languages=["English", "Punjabi"], accessibility="Hearing loop",
        contact_name="Digital skills team", contact_email="skills@alpha.example", contact_phone="01902 552000",
        url="https://alpha.example/courses", active_from=date(2026, 1, 5), active_until=date(2027, 7, 31),
        schedule_description="Term time only", place="WV10 6QR",
    )  # fmt: skip
    location = service.locations.get()
    location.accessibility, location.latitude, location.longitude = "Ramp at the side", "52.5870", "-2.1290"
    location.address_line_2 = "Snow Hill"
    location.save()
    return service


def test_version_information_is_open_and_valid(anyone):
    response = anyone.get("/openreferral/")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    assert _valid(response.json(), VERSION_SCHEMA)["version"].startswith("3.0")


def test_list_is_paged_in_the_standards_wrapper_and_valid(anyone, rich_service):
    for number in range(5):
        ServiceFactory(name=f"Course {number}", delivery="online", url="", contact_email="")
    first = _valid(anyone.get("/openreferral/services", {"per_page": 4}).json(), LIST_SCHEMA)
    assert (first["total_items"], first["total_pages"], first["page_number"], first["size"]) == (6, 2, 1, 4)
    assert first["first_page"] and not first["last_page"] and not first["empty"]
    second = _valid(anyone.get("/openreferral/services", {"per_page": 4, "page": 2}).json(), LIST_SCHEMA)
    assert second["size"] == 2 and second["last_page"] and not second["first_page"]
    beyond = _valid(anyone.get("/openreferral/services", {"page": 9}).json(), LIST_SCHEMA)
    assert beyond["empty"] and beyond["contents"] == []
    names = [item["name"] for item in first["contents"] + second["contents"]]
    assert names == sorted(names) and len(set(names)) == 6
    # The trailing slash is forgiven.
    assert anyone.get("/openreferral/services/").json()["total_items"] == 6


def test_a_fully_nested_service_is_valid_and_says_everything_the_directory_holds(anyone, rich_service):
    response = anyone.get(f"/openreferral/services/{rich_service.pk}")
    assert response.status_code == 200
    body = _valid(response.json(), SERVICE_SCHEMA)
    assert body["id"] == str(rich_service.pk) and body["status"] == "active"
    assert body["organization"]["name"] == "Alpha Council"
    assert (
        body["organization_id"] == body["organization"]["id"] == openreferral.organisation_id(rich_service.organisation)
    )
    [schedule] = body["schedules"]
    assert (schedule["byday"], schedule["opens_at"], schedule["closes_at"]) == ("TU,TH", "10:00", "12:30")
    assert (schedule["valid_from"], schedule["valid_to"]) == ("2026-01-05", "2027-07-31")
    [place] = body["service_at_locations"]
    [address] = place["location"]["addresses"]
    assert (address["postal_code"], address["country"]) == ("WV10 6QR", "GB")
    assert [a["description"] for a in place["location"]["accessibility"]] == ["Ramp at the side", "Hearing loop"]
    assert [language["name"] for language in body["languages"]] == ["English", "Punjabi"]
    assert body["cost_options"][0]["amount_description"] == "£2 a session, free on Universal Credit"
    terms = {(a["taxonomy_term"]["taxonomy"], a["taxonomy_term"]["term"]) for a in body["attributes"]}
    assert ("essential-digital-skills", "transacting") in terms and ("service-delivery", "blended") in terms
    assert body["phones"][0]["number"] == "01902 552000"


def test_ids_are_stable_between_requests(anyone, rich_service):
    path = f"/openreferral/services/{rich_service.pk}"
    assert anyone.get(path).json() == anyone.get(path).json()


def test_a_minimal_online_service_is_valid_too(anyone):
    service = ServiceFactory(delivery="online", days=[], skill_areas=[], languages=[], referrals_open=False)
    body = _valid(anyone.get(f"/openreferral/services/{service.pk}").json(), SERVICE_SCHEMA)
    assert "service_at_locations" not in body and body["alert"] == "Not taking referrals at the moment."


def test_retired_and_closed_services_are_published_with_their_status(anyone, actor_a):
    from referrals.directory.services import service_retire

    service = ServiceFactory(organisation=actor_a.organisation)
    service_retire(actor=actor_a, service=service)
    body = _valid(anyone.get(f"/openreferral/services/{service.pk}").json(), SERVICE_SCHEMA)
    assert body["status"] == "defunct"


@pytest.mark.parametrize("unknown", [str(uuid.uuid4()), "not-a-uuid", "1", "%00"])
def test_unknown_ids_are_404_in_json(anyone, unknown):
    response = anyone.get(f"/openreferral/services/{unknown}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_search_and_filters(anyone, rich_service):
    other = ServiceFactory(name="Tablet lending point", kind="lending_point", skill_areas=[], days=["MO"],
                           place="WV1 1RH", minimum_age=16, maximum_age=25)  # fmt: skip

    def names(**params):
        body = _valid(anyone.get("/openreferral/services", params).json(), LIST_SCHEMA)
        return {item["name"] for item in body["contents"]}

    everything = {rich_service.name, other.name}
    assert names() == everything
    assert names(search="tablet") == {other.name}
    assert names(search="LIBRARY online") == {rich_service.name}
    assert names(day="MO") == {other.name} == names(day="monday")
    assert names(postcode="wv10 6qr") == {rich_service.name} == names(postcode="WV10")
    assert names(postcode="WV1") == {other.name}
    assert names(minimum_age="19") == {rich_service.name}
    assert names(maximum_age="30") == {other.name}
    assert names(start_time="09:30", end_time="13:00") == {rich_service.name}
    lending = openreferral.term_id("digital-inclusion-service-kind", "lending_point")
    assert names(taxonomy_term_id=lending) == {other.name}
    transacting = openreferral.term_id("essential-digital-skills", "transacting")
    assert names(taxonomy_term_id=transacting) == {rich_service.name}
    assert names(taxonomy_id=openreferral.taxonomy_id("essential-digital-skills")) == {rich_service.name}
    assert names(taxonomy_term_id=str(uuid.uuid4())) == set()
    assert names(organization_id=openreferral.organisation_id(rich_service.organisation)) == {rich_service.name}
    assert names(modified_after="2000-01-01T00:00:00Z") == everything
    later = (timezone.now() + timezone.timedelta(days=1)).isoformat()
    assert names(modified_after=later) == set()


@pytest.mark.parametrize(
    ("params", "attr", "code"),
    [
        ({"page": "0"}, "page", "invalid"),
        ({"page": "two"}, "page", "invalid"),
        ({"per_page": "201"}, "per_page", "invalid"),
        ({"per_page": "-1"}, "per_page", "invalid"),
        ({"day": "someday"}, "day", "invalid"),
        ({"postcode": "Wolverhampton"}, "postcode", "invalid"),
        ({"start_time": "25:00"}, "start_time", "invalid"),
        ({"minimum_age": "old"}, "minimum_age", "invalid"),
        ({"taxonomy_term_id": "skills"}, "taxonomy_term_id", "invalid"),
        ({"modified_after": "yesterday"}, "modified_after", "invalid"),
        ({"proximity": "1000"}, "proximity", "unsupported_parameter"),
        ({"colour": "blue"}, "colour", "unknown_parameter"),
        ({"search": "a\x00b"}, "search", "invalid"),
    ],
)
def test_bad_parameters_are_a_clear_400_in_json(anyone, params, attr, code):
    response = anyone.get("/openreferral/services", params)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    [error] = response.json()["errors"]
    assert (error["attr"], error["code"]) == (attr, code) and error["detail"]


def test_repeated_parameter_is_a_400(anyone):
    response = anyone.get("/openreferral/services?day=MO&day=TU")
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "repeated_parameter"


def test_only_reading_is_allowed(anyone, rich_service):
    assert anyone.post("/openreferral/services", {}).status_code == 405
    assert anyone.delete(f"/openreferral/services/{rich_service.pk}").status_code == 405
    assert Service.objects.filter(pk=rich_service.pk).exists()


def test_no_personal_data_in_the_feed(anyone, org_a, rich_service, django_assert_max_num_queries):
    resident = ResidentFactory(owning_organisation=org_a, first_name="Zebedee", last_name="Quartermaine")
    with django_assert_max_num_queries(3):  # one page is a count and one query, whatever its size
        listed = anyone.get("/openreferral/services").content.decode()
    detail = anyone.get(f"/openreferral/services/{rich_service.pk}").content.decode()
    for text in (listed, detail):
        assert "Zebedee" not in text and "Quartermaine" not in text and str(resident.pk) not in text
        assert str(resident.phone) not in text and resident.email not in text


@pytest.mark.parametrize(
    "broken",
    [
        {"id": "not-a-uuid"},
        {"status": "open"},
        {"email": ""},
        {"url": "alpha.example"},
        {"last_modified": "yesterday"},
        {"schedules": [{"byday": "MO"}]},  # an item without its id
    ],
)
def test_the_checks_really_refuse_what_the_standard_refuses(anyone, rich_service, broken):
    body = {**anyone.get(f"/openreferral/services/{rich_service.pk}").json(), **broken}
    with pytest.raises(AssertionError):
        _valid(body, SERVICE_SCHEMA)
