"""factory_boy factories for the core. Use the real services to change state in tests."""

import random

import factory
import phonenumbers
from factory.django import DjangoModelFactory

from inclusion import choices
from inclusion.models import Consent, DataSharingAgreement, Membership, Organisation, Resident, User

factory.Faker._DEFAULT_LOCALE = "en_GB"


def _mobile(n: int) -> str:
    rng = random.Random(n)
    while True:
        number = f"+4479{rng.randint(0, 99_999_999):08d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["slug"]
        skip_postgeneration_save = True  # the agreement is its own row

    name = factory.Sequence(lambda n: f"Partner Organisation {n}")
    slug = factory.Sequence(lambda n: f"partner-{n}")
    kind = choices.OrganisationKind.CHARITY
    local_authority = choices.LocalAuthority.WOLVERHAMPTON

    @factory.post_generation
    def sharing_agreement(obj, create, extracted, **kwargs):
        """A current data-sharing agreement (a year either side of today), as every partner has, so links share
        residents as they do in the scheme; OrganisationFactory(sharing_agreement=False) has none (the access
        rule then shares no other organisation's resident with it: tests/security/test_sharing_agreements.py)."""
        if create and extracted is not False:
            from datetime import timedelta

            from django.utils import timezone

            today = timezone.localdate()
            DataSharingAgreement.objects.get_or_create(
                organisation=obj, reference=f"DSA-{obj.slug}",
                defaults={"starts_on": today - timedelta(days=365), "ends_on": today + timedelta(days=365)},
            )  # fmt: skip


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = choices.Role.FRONTLINE


class ResidentFactory(DjangoModelFactory):
    """A resident who can be lent a device: a current processing consent (recorded by their organisation) and
    a phone, email and postal address. ResidentFactory(unconsented=True) has no consent;
    ResidentFactory(unreachable=True) has no phone, email or address (give one back by name)."""

    class Meta:
        model = Resident
        skip_postgeneration_save = True  # the consent is its own row: nothing on the resident changes

    class Params:
        unconsented = factory.Trait(processing_consent=None)
        unreachable = factory.Trait(phone="", email="", address_line_1="", address_line_2="", town="", postcode="")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Saved directly, not through the services: keep its search keys as they would.
        from inclusion.services import resident_search_keys_fill

        resident = resident_search_keys_fill(model_class(*args, **kwargs))
        resident.save(force_insert=True)
        return resident

    owning_organisation = factory.SubFactory(OrganisationFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=90)
    phone = factory.Sequence(_mobile)
    email = factory.Sequence(lambda n: f"resident{n}@example.com")
    address_line_1 = factory.Faker("building_number")
    town = "Wolverhampton"
    postcode = factory.Sequence(lambda n: f"WV{n % 9 + 1} {n % 10}AB")
    local_authority = choices.LocalAuthority.WOLVERHAMPTON
    processing_consent = factory.RelatedFactory(
        "tests.factories.ConsentFactory", factory_related_name="resident", purpose=choices.ConsentPurpose.PROCESSING
    )


class ConsentFactory(DjangoModelFactory):
    """A current consent, recorded by the resident's own organisation on paper. (Use the services to withdraw.)"""

    class Meta:
        model = Consent

    resident = factory.SubFactory(ResidentFactory)
    purpose = choices.ConsentPurpose.PROCESSING
    channel = choices.ConsentChannel.PAPER
    wording_version = "2026-01"
    organisation = factory.SelfAttribute("resident.owning_organisation")
