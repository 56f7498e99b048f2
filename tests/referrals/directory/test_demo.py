"""The directory's demo data: services of every kind across the demo partners, loaded once, and each one
publishable as Open Referral UK (valid against the standard's schema)."""

import pytest
from django.test import Client

from inclusion import registry
from referrals.directory.demo import demo_load
from referrals.directory.models import Service, ServiceKind

from ...factories import MembershipFactory, OrganisationFactory
from .test_openreferral import LIST_SCHEMA, SERVICE_SCHEMA, _valid

pytestmark = pytest.mark.django_db
SLUGS = ("wolverhampton-council", "black-country-works", "wolverhampton-college", "central-library")


@pytest.fixture
def partners():
    organisations = {slug: OrganisationFactory(slug=slug, name=slug.replace("-", " ").title()) for slug in SLUGS}
    for organisation in organisations.values():
        MembershipFactory(organisation=organisation, role="coordinator")
    return organisations


def test_demo_has_every_kind_at_every_partner_and_loads_once(partners):
    assert demo_load in registry.demo_loaders()
    demo_load(partners)
    services = Service.objects.all()
    assert {s.kind for s in services} == set(ServiceKind.values)
    assert {s.organisation.slug for s in services} == set(SLUGS)
    assert {s.delivery for s in services} == {"in_person", "online", "blended"}
    assert services.filter(referrals_open=False).exists() and services.filter(status="temporarily closed").exists()
    count = services.count()
    demo_load(partners)
    assert Service.objects.count() == count


def test_every_demo_service_is_valid_open_referral(partners):
    demo_load(partners)
    client = Client()
    _valid(client.get("/openreferral/services").json(), LIST_SCHEMA)
    for service in Service.objects.all():
        _valid(client.get(f"/openreferral/services/{service.pk}").json(), SERVICE_SCHEMA)
