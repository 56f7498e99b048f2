"""Factories for referrals. Services of the directory are made here as rows (the directory's own services are
its business); referrals are always made with the real services (referrals.services.referral_create)."""

import factory
from factory.django import DjangoModelFactory

from inclusion import choices
from referrals.models import Service, ServiceKind, ServiceLocation, SkillArea
from referrals.services import referral_create

from ..factories import ConsentFactory, OrganisationFactory


class ServiceFactory(DjangoModelFactory):
    """A digital skills course open for referrals."""

    class Meta:
        model = Service

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Get online course {n}")
    description = "Six weekly sessions: getting online, email, staying safe."
    kind = ServiceKind.SKILLS_COURSE
    skill_areas = factory.LazyFunction(lambda: [SkillArea.FOUNDATION, SkillArea.COMMUNICATING])


class ServiceLocationFactory(DjangoModelFactory):
    class Meta:
        model = ServiceLocation

    service = factory.SubFactory(ServiceFactory)
    name = "Central Library"
    address_line_1 = "Snow Hill"
    town = "Wolverhampton"
    postcode = "WV1 3AX"
    postcode_district = "WV1"


def sharing_consent(resident):
    """The resident's current consent to sharing with partners, recorded by their own organisation."""
    return ConsentFactory(resident=resident, purpose=choices.ConsentPurpose.SHARING)


def refer(actor, resident, service, **details):
    """A referral sent with the real service (the resident must have sharing consent)."""
    details = {"need": "skills", "reason": "Wants to use email to keep in touch with family", **details}
    return referral_create(actor=actor, resident=resident, service=service, **details)
