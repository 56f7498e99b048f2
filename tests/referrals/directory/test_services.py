"""The directory's services: every rule, the audit trail, and another organisation's service refused."""

import threading
from datetime import date, time

import pytest
from django.db import connection

from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.models import AuditEvent
from referrals.directory import selectors, services
from referrals.directory.models import Service, ServiceStatus

from ...factories import MembershipFactory
from .factories import ServiceFactory

pytestmark = pytest.mark.django_db

PLACE = {"name": "Central Library", "address_line_1": "Snow Hill", "town": "Wolverhampton", "postcode": "wv1 3ax"}
DETAILS = {"name": "  Get online: computer basics ", "description": "Email, video calls, staying safe.",
           "kind": "skills_course", "skill_areas": ["being_safe", "communicating", "being_safe"], "level": "beginner",
           "delivery": "in_person", "days": ["TH", "TU"], "opens_at": time(10), "closes_at": time(12),
           "languages": ["english", "Punjabi", "English "], "contact_phone": "01902552000"}  # fmt: skip


def test_create_tidies_and_records_an_audit_event(actor_a):
    service = services.service_create(actor=actor_a, locations=[PLACE], **DETAILS)
    service.refresh_from_db()
    assert service.name == "Get online: computer basics"
    assert service.skill_areas == ["communicating", "being_safe"]  # the framework's order, no repeats
    assert service.days == ["TU", "TH"]
    assert service.languages == ["English", "Punjabi"]
    assert service.contact_phone == "01902 552000"
    [place] = service.locations.all()
    assert (place.postcode, place.postcode_district) == ("WV1 3AX", "WV1")
    event = AuditEvent.objects.get(action="service.create")
    assert event.object_id == str(service.pk) and event.after["name"] == service.name


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"name": "  "}, "name", "blank"),
        ({"opens_at": time(14), "closes_at": time(9)}, "closes_at", "out_of_range"),
        ({"active_from": date(2027, 5, 1), "active_until": date(2027, 4, 1)}, "active_until", "out_of_range"),
        ({"minimum_age": 30, "maximum_age": 19}, "maximum_age", "out_of_range"),
        ({"free": False, "cost_description": ""}, "cost_description", "blank"),
        ({"contact_phone": "07700 12"}, "contact_phone", "invalid_phone_number"),
        ({"status": "defunct"}, "status", "invalid_choice"),
        ({"contact_email": "not an email"}, "contact_email", "invalid"),
    ],
)
def test_create_refuses_each_broken_rule_naming_the_field(actor_a, changes, field, code):
    with pytest.raises(DomainError) as refused:
        services.service_create(actor=actor_a, locations=[PLACE], **{**DETAILS, **changes})
    assert (refused.value.field, refused.value.code) == (field, code)
    assert not Service.objects.exists()


def test_in_person_service_needs_a_place_but_online_does_not(actor_a):
    with pytest.raises(DomainError) as refused:
        services.service_create(actor=actor_a, **DETAILS)
    assert refused.value.code == "location_required"
    online = services.service_create(actor=actor_a, **{**DETAILS, "delivery": "online"})
    assert online.locations.count() == 0


def test_bad_postcode_is_refused_on_the_postcode(actor_a):
    with pytest.raises(DomainError) as refused:
        services.service_create(actor=actor_a, locations=[{**PLACE, "postcode": "WV99 ZZZ"}], **DETAILS)
    assert (refused.value.field, refused.value.code) == ("postcode", "invalid_postcode")


def test_same_name_twice_in_one_organisation_is_refused_but_another_organisation_may_use_it(actor_a, actor_b):
    services.service_create(actor=actor_a, locations=[PLACE], **DETAILS)
    with pytest.raises(DomainError) as refused:
        services.service_create(actor=actor_a, locations=[PLACE], **{**DETAILS, "name": "GET ONLINE: computer basics"})
    assert refused.value.code == "duplicate"
    services.service_create(actor=actor_b, locations=[PLACE], **DETAILS)
    assert Service.objects.count() == 2


def test_update_records_only_what_changed(actor_a):
    service = services.service_create(actor=actor_a, locations=[PLACE], **DETAILS)
    services.service_update(actor=actor_a, service=service, capacity=12, name=service.name)
    event = AuditEvent.objects.get(action="service.update")
    assert event.before == {"capacity": None} and event.after == {"capacity": 12}


def test_another_organisations_service_cannot_be_changed_retired_or_given_places(actor_a, actor_b):
    service = ServiceFactory(organisation=actor_a.organisation)
    for attempt in (
        lambda: services.service_update(actor=actor_b, service=service, name="Hijacked"),
        lambda: services.service_retire(actor=actor_b, service=service),
        lambda: services.service_location_add(actor=actor_b, service=service, **PLACE),
        lambda: services.service_location_remove(actor=actor_b, location=service.locations.get()),
    ):
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.code == "not_found"
    service.refresh_from_db()
    assert service.name != "Hijacked" and service.status == ServiceStatus.ACTIVE


def test_retired_service_leaves_the_directory_and_cannot_be_changed(actor_a):
    service = ServiceFactory(organisation=actor_a.organisation)
    services.service_retire(actor=actor_a, service=service)
    service.refresh_from_db()
    assert service.status == "defunct" and not service.referrals_open
    assert not selectors.service_search().filter(pk=service.pk).exists()
    with pytest.raises(DomainError) as refused:
        services.service_update(actor=actor_a, service=service, name="Back again")
    assert refused.value.code == "illegal_transition"


def test_last_place_of_an_in_person_service_cannot_be_removed(actor_a):
    service = ServiceFactory(organisation=actor_a.organisation)
    only = service.locations.get()
    with pytest.raises(DomainError) as refused:
        services.service_location_remove(actor=actor_a, location=only)
    assert refused.value.code == "location_required"
    services.service_location_add(actor=actor_a, service=service, **{**PLACE, "postcode": "WV10 6QR"})
    services.service_location_remove(actor=actor_a, location=only)
    assert list(service.locations.values_list("postcode_district", flat=True)) == ["WV10"]


def test_update_can_replace_every_place_and_change_delivery_at_once(actor_a):
    service = services.service_create(actor=actor_a, **{**DETAILS, "delivery": "online"})
    services.service_update(actor=actor_a, service=service, delivery="blended", locations=[PLACE])
    assert service.locations.get().postcode == "WV1 3AX"
    with pytest.raises(DomainError) as refused:
        services.service_update(actor=actor_a, service=service, locations=[])
    assert refused.value.code == "location_required"


def test_search_by_skill_area_kind_place_delivery_and_day():
    course = ServiceFactory(name="Email basics", skill_areas=["communicating"], days=["TU"], place="WV10 6QR")
    hub = ServiceFactory(name="Data hub", kind="connectivity_hub", skill_areas=[], days=["MO", "TU"], place="WV1 1RH")
    online = ServiceFactory(name="Online banking", delivery="online", skill_areas=["transacting"], days=["WE"])
    blended = ServiceFactory(
        name="Staying safe", delivery="blended", skill_areas=["being_safe"], days=[], place="WV1 2AB"
    )
    ServiceFactory(name="Closed course", status=ServiceStatus.INACTIVE)
    ServiceFactory(name="Finished course", active_until=date(2020, 1, 1))

    def names(**filters):
        return set(selectors.service_search(**filters).values_list("name", flat=True))

    assert names() == {"Email basics", "Data hub", "Online banking", "Staying safe"}
    assert names(skill_area="communicating") == {course.name}
    assert names(kind="connectivity_hub") == {hub.name}
    assert names(place="WV10") == {course.name}
    assert names(place="wv1 1aa") == {hub.name, blended.name}  # the district WV1, never WV10
    assert names(delivery="online") == {online.name, blended.name}  # blended is online too
    assert names(day="TU") == {course.name, hub.name}
    assert names(q="banking") == {online.name}


def test_place_district_understands_postcodes_and_districts_only():
    assert selectors.place_district("wv10 6qr") == "WV10"
    assert selectors.place_district("B12") == "B12"
    assert selectors.place_district("Wolverhampton") is None
    assert selectors.place_district("") is None


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_adding_the_same_service_at_once_make_one(org_a):
    actors = [Actor.for_membership(MembershipFactory(organisation=org_a, role="coordinator")) for _ in range(6)]
    barrier = threading.Barrier(len(actors))
    results = []

    def add(actor):
        try:
            barrier.wait()
            services.service_create(actor=actor, locations=[PLACE], **DETAILS)
            results.append("made")
        except DomainError as error:
            results.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(actor,)) for actor in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["duplicate"] * 5 + ["made"]
    assert Service.objects.filter(organisation=org_a).count() == 1
