"""Shared fixtures: two partner organisations with staff, logged-in clients and API clients."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from inclusion import choices, registry
from inclusion.actors import Actor
from inclusion.models import Resident
from inclusion.services import api_key_create

from .factories import MembershipFactory, OrganisationFactory, ResidentFactory


def pytest_report_header(config):
    return f"services under test: {settings.SERVICES.describe()}"


@pytest.fixture(autouse=True)
def _lock_order_base(request):
    """The test's own transaction is not a service's: inclusion.locks checks the order of row locks within
    each transaction a service opens inside it."""
    if request.node.get_closest_marker("django_db") is None and "db" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("_django_db_helper")
    from django.db import connection

    connection.inclusion_lock_base = len(connection.atomic_blocks)
    yield
    connection.inclusion_lock_base = 0


@pytest.fixture(autouse=True)
def _fresh_axes_and_cache(settings):
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def org_a(db):
    return OrganisationFactory(name="Alpha Council", slug="alpha", kind=choices.OrganisationKind.COUNCIL)


@pytest.fixture
def org_b(db):
    return OrganisationFactory(name="Beta Library", slug="beta", kind=choices.OrganisationKind.LIBRARY)


@pytest.fixture
def staff_a(org_a):
    return MembershipFactory(organisation=org_a, role=choices.Role.FRONTLINE)


@pytest.fixture
def staff_b(org_b):
    return MembershipFactory(organisation=org_b, role=choices.Role.FRONTLINE)


@pytest.fixture
def actor_a(staff_a):
    return Actor.for_membership(staff_a)


@pytest.fixture
def actor_b(staff_b):
    return Actor.for_membership(staff_b)


@pytest.fixture
def resident_a(org_a):
    return ResidentFactory(owning_organisation=org_a, first_name="Margaret", last_name="Oduya", postcode="WV1 1AA")


@pytest.fixture
def client_a(client, staff_a):
    client.force_login(staff_a.user)
    return client


@pytest.fixture
def client_b(client, staff_b):
    client.force_login(staff_b.user)
    return client


def _api_client(organisation):
    _, key = api_key_create(organisation=organisation, name="test system")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return api


@pytest.fixture
def api_a(org_a):
    return _api_client(org_a)


@pytest.fixture
def api_b(org_b):
    return _api_client(org_b)


class Sharing:
    """Share residents with another organisation as a referral will: a resident link registered with the
    access rule for one test. share(resident, organisation) starts it, end(resident, organisation) ends it."""

    NAME = "test referrals"

    def __init__(self):
        self.links: set[tuple[int, object]] = set()
        registry.register_resident_link(self.NAME, self.residents_linked_to)

    def residents_linked_to(self, organisation):
        ids = [pk for organisation_pk, pk in self.links if organisation_pk == organisation.pk]
        return Resident.objects.filter(pk__in=ids).values("pk")

    def share(self, resident, organisation):
        self.links.add((organisation.pk, resident.pk))

    def end(self, resident, organisation):
        self.links.discard((organisation.pk, resident.pk))

    def close(self):
        registry.unregister_resident_link(self.NAME)


@pytest.fixture
def sharing():
    links = Sharing()
    yield links
    links.close()
