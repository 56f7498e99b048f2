"""Factories for the service directory: a service of some organisation's, with one place it runs."""

import factory
from factory.django import DjangoModelFactory

from referrals.directory.models import Service, ServiceLocation

from ...factories import OrganisationFactory


class ServiceFactory(DjangoModelFactory):
    class Meta:
        model = Service
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Get online course {n}")
    description = "Six friendly sessions on using email, video calls and staying safe online."
    kind = "skills_course"
    skill_areas = factory.LazyFunction(lambda: ["communicating", "being_safe"])
    level = "beginner"
    delivery = "in_person"
    days = factory.LazyFunction(lambda: ["TU"])
    languages = factory.LazyFunction(lambda: ["English"])

    @factory.post_generation
    def place(obj, create, extracted, **kwargs):
        """ServiceFactory(place="WV10 6QR") runs at that postcode; place=None at none (online ones too)."""
        if not create or obj.delivery == "online" or extracted is False:
            return
        postcode = extracted or "WV1 1RH"
        ServiceLocation.objects.create(service=obj, name="Central Library", address_line_1="Snow Hill",
                                       town="Wolverhampton", postcode=postcode,
                                       postcode_district=postcode.split(" ")[0])  # fmt: skip
