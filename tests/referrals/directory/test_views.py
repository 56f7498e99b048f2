"""The directory's staff pages: searching as frontline staff, managing services as a coordinator, every form
with valid and invalid input (nothing saved on invalid), and another organisation's services read-only."""

import pytest
from django.test import Client

from inclusion import choices
from referrals.directory.models import Service, ServiceLocation

from ...factories import MembershipFactory
from .factories import ServiceFactory

pytestmark = pytest.mark.django_db


def _client(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def coord(org_a):
    return _client(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR))


@pytest.fixture
def coord_b(org_b):
    return _client(MembershipFactory(organisation=org_b, role=choices.Role.COORDINATOR))


VALID = {
    "name": "Get online: computer basics", "description": "Email, video calls and staying safe online.",
    "kind": "skills_course", "skill_areas": ["communicating", "being_safe"], "level": "beginner",
    "delivery": "in_person", "days": ["TU", "TH"], "opens_at": "10am", "closes_at": "12:30", "capacity": "12",
    "free": "yes", "referrals_open": "yes", "status": "active", "languages": "English, Punjabi",
    "location_name": "Central Library", "location_address_line_1": "Snow Hill", "location_town": "Wolverhampton",
    "location_postcode": "wv1 3ax", "contact_phone": "01902 552000",
}  # fmt: skip


def test_coordinator_adds_a_service_with_its_place(coord, org_a):
    response = coord.post("/directory/add/", VALID)
    service = Service.objects.get()
    assert response.status_code == 302 and response.url == f"/directory/services/{service.pk}/"
    assert service.organisation == org_a and service.opens_at.hour == 10 and service.closes_at.minute == 30
    assert service.capacity == 12 and service.free and service.languages == ["English", "Punjabi"]
    assert service.locations.get().postcode == "WV1 3AX"
    page = coord.get(response.url).content.decode()
    assert "Get online: computer basics" in page and "WV1 3AX" in page and "Tuesday, Thursday, 10am to 12:30pm" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter the service&#x27;s name"),
        ({"kind": ""}, "Choose what kind of service it is"),
        ({"opens_at": "25pm"}, "Start time must be a time, like 10am or 14:30"),
        ({"capacity": "lots"}, "Places must be a whole number between 1 and 10000"),
        ({"location_postcode": ""}, "Enter the postcode where it runs"),
        ({"location_postcode": "WV99 ZZZ"}, "Enter a real UK postcode, like WV1 1AA"),
        ({"closes_at": "9am"}, "The closing time must be after the opening time"),
        ({"free": "no"}, "Say what it costs"),
        ({"skill_areas": ["cooking"]}, "Choose from the list"),
    ],
)
def test_add_form_refuses_bad_input_and_saves_nothing(coord, changes, message):
    response = coord.post("/directory/add/", {**VALID, **changes})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert not Service.objects.exists()


def test_frontline_staff_search_but_cannot_manage(staff_a, org_b):
    client = _client(staff_a)
    ServiceFactory(organisation=org_b, name="Tablet lending at Beta", kind="lending_point", place="WV10 6QR")
    ServiceFactory(organisation=org_b, name="Email course", place="WV1 1RH")
    page = client.get("/directory/", {"kind": "lending_point", "place": "wv10"}).content.decode()
    assert "Tablet lending at Beta" in page and "Email course" not in page and "1 service found" in page
    assert "Add a service" not in page
    assert client.get("/directory/add/").status_code == 403
    assert client.get("/directory/ours/").status_code == 403


def test_search_with_a_place_that_is_not_a_postcode_says_so(staff_a):
    response = _client(staff_a).get("/directory/", {"place": "Wolverhampton"})
    assert "Enter a postcode or the first part of one, like WV10" in response.content.decode()


def test_another_organisations_service_is_readable_but_every_change_is_404(coord_b, org_a):
    service = ServiceFactory(organisation=org_a, name="Alpha course")
    place = service.locations.get()
    assert coord_b.get(f"/directory/services/{service.pk}/").status_code == 200
    assert "Edit the details" not in coord_b.get(f"/directory/services/{service.pk}/").content.decode()
    for path in (f"/directory/services/{service.pk}/edit/", f"/directory/services/{service.pk}/retire/",
                 f"/directory/services/{service.pk}/places/add/", f"/directory/services/{service.pk}/places/{place.pk}/",
                 f"/directory/services/{service.pk}/places/{place.pk}/remove/"):  # fmt: skip
        assert coord_b.get(path).status_code == 404, path
        assert coord_b.post(path, {**VALID, "name": "Hijacked"}).status_code == 404, path
    service.refresh_from_db()
    assert service.name == "Alpha course" and service.status == "active" and service.locations.count() == 1


def test_coordinator_edits_retires_and_manages_places(coord, org_a):
    service = ServiceFactory(organisation=org_a, name="Old name")
    form = coord.get(f"/directory/services/{service.pk}/edit/").content.decode()
    assert 'value="Old name"' in form
    data = {**VALID, "name": "New name", "status": "temporarily closed"}
    data = {k: v for k, v in data.items() if not k.startswith("location_")}
    assert coord.post(f"/directory/services/{service.pk}/edit/", data).status_code == 302
    service.refresh_from_db()
    assert service.name == "New name" and service.status == "temporarily closed"

    place = {"address_line_1": "1 Stafford Road", "town": "Wolverhampton", "postcode": "WV10 6QR"}
    assert coord.post(f"/directory/services/{service.pk}/places/add/", {**place, "postcode": "nope"}).status_code == 200
    assert coord.post(f"/directory/services/{service.pk}/places/add/", place).status_code == 302
    assert set(service.locations.values_list("postcode_district", flat=True)) == {"WV1", "WV10"}
    first = service.locations.get(postcode_district="WV1")
    assert coord.post(f"/directory/services/{service.pk}/places/{first.pk}/remove/").status_code == 302
    last = service.locations.get()
    refused = coord.post(f"/directory/services/{service.pk}/places/{last.pk}/remove/")
    assert refused.status_code == 200 and "only place the service runs" in refused.content.decode()

    assert coord.post(f"/directory/services/{service.pk}/retire/").status_code == 302
    service.refresh_from_db()
    assert service.status == "defunct"
    assert coord.get(f"/directory/services/{service.pk}/edit/").status_code == 404
    assert "New name" not in coord.get("/directory/").content.decode()
    assert "New name" in coord.get("/directory/ours/").content.decode()
    assert ServiceLocation.objects.filter(service=service).count() == 1


def test_times_read_the_gov_uk_way():
    from datetime import time

    from referrals.directory.views import clock

    assert [clock(time(10)), clock(time(17, 30)), clock(time(12)), clock(time(0, 15))] == [
        "10am", "5:30pm", "midday", "12:15am"
    ]  # fmt: skip
