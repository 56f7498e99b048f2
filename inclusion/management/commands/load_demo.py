"""Load a demo modelled on a borough scheme. Safe to run again: it tops up, never duplicates.

Four partners (a council that leads the scheme, an employment-support charity, a college and a
library), a login per role and 200 residents with realistic UK names and West Midlands postcodes; then
each app's own demo data, registered in inclusion.registry (devices: a dozen devices per partner, some on
loan and one overdue, and a batch of data vouchers).
"""

import random
from datetime import timedelta

import phonenumbers
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from faker import Faker

from inclusion import choices, registry
from inclusion.actors import Actor
from inclusion.locks import ordering_exempt
from inclusion.models import DataSharingAgreement, Membership, Organisation, Resident, User
from inclusion.services import consent_record, note_add, resident_register

DEMO_PASSWORD = "demo-inclusion-2026"
ORGANISATIONS = [
    ("wolverhampton-council", "Wolverhampton City Council", choices.OrganisationKind.COUNCIL, True),
    ("black-country-works", "Black Country Works", choices.OrganisationKind.EMPLOYMENT_SUPPORT, False),
    ("wolverhampton-college", "City of Wolverhampton College", choices.OrganisationKind.COLLEGE, False),
    ("central-library", "Wolverhampton Central Library", choices.OrganisationKind.LIBRARY, False),
]
STAFF = [
    ("frontline@demo.example", "Priya Sharma", choices.Role.FRONTLINE, "wolverhampton-council"),
    ("coordinator@demo.example", "Daniel Okafor", choices.Role.COORDINATOR, "wolverhampton-council"),
    ("viewer@demo.example", "Helen Price", choices.Role.VIEWER, "wolverhampton-council"),
    ("admin@demo.example", "Sam Hughes", choices.Role.ADMINISTRATOR, "wolverhampton-council"),
    ("library@demo.example", "Tom Walker", choices.Role.FRONTLINE, "central-library"),
    ("works@demo.example", "Aisha Begum", choices.Role.FRONTLINE, "black-country-works"),
    ("college@demo.example", "Mark Evans", choices.Role.FRONTLINE, "wolverhampton-college"),
]
# Wolverhampton postcode districts, so addresses look local.
DISTRICTS = ["WV1", "WV2", "WV3", "WV4", "WV6", "WV10", "WV11", "WV13", "WV14"]
RESIDENTS = 200


def _mobile_number(rng: random.Random) -> str:
    """A UK mobile number that libphonenumber accepts (not every 07xxx range is allocated)."""
    while True:
        number = f"+4479{rng.randint(0, 99_999_999):08d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


class Command(BaseCommand):
    help = "Load (or top up) the demo scheme: partners, a login per role, 200 residents."

    def handle(self, *args, **options):
        # All or nothing, in one transaction that locks many residents and devices: no other process writes
        # while the demo loads, so the lock order (inclusion/locks.py) is not needed here.
        with transaction.atomic(), ordering_exempt("the demo loads in one transaction, alone"):
            organisations = self._organisations()
            self._staff(organisations)
            created = self._residents(organisations)
            for load in registry.demo_loaders():  # each app's own demo data (devices, referrals...)
                load(organisations)
        self.stdout.write(
            self.style.SUCCESS(f"Demo loaded: {len(organisations)} organisations, {created} new residents.")
        )
        self.stdout.write(f"Staff logins (password for all: {DEMO_PASSWORD}):")
        for email, _name, role, slug in STAFF:
            self.stdout.write(f"  {email:<28} {role.label:<24} {organisations[slug].name}")

    def _organisations(self):
        result = {}
        for slug, name, kind, lead in ORGANISATIONS:
            result[slug], _ = Organisation.objects.get_or_create(
                slug=slug,
                defaults={"name": name, "kind": kind, "local_authority": choices.LocalAuthority.WOLVERHAMPTON,
                          "is_scheme_lead": lead},
            )  # fmt: skip
            # Every demo partner has signed the scheme's data-sharing agreement (inclusion.access: without a
            # current one, no loan or referral shares another partner's resident with it).
            today = timezone.localdate()
            DataSharingAgreement.objects.get_or_create(
                organisation=result[slug], reference=f"DSA-DEMO-{slug.upper()}",
                defaults={"starts_on": today - timedelta(days=90), "ends_on": today + timedelta(days=3 * 365)},
            )  # fmt: skip
        return result

    def _staff(self, organisations):
        for email, name, role, slug in STAFF:
            user = User.objects.filter(email=email).first()
            if user is None:
                is_admin = role == choices.Role.ADMINISTRATOR
                user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name, is_staff=is_admin,
                                                is_superuser=is_admin)  # fmt: skip
            Membership.objects.get_or_create(user=user, organisation=organisations[slug], defaults={"role": role})

    def _residents(self, organisations):
        existing = Resident.objects.filter(owning_organisation__in=organisations.values()).count()
        if existing >= RESIDENTS:
            return 0
        fake = Faker("en_GB")
        fake.seed_instance(2026 + existing)
        rng = random.Random(2026 + existing)
        staff = {
            m.organisation.slug: m
            for m in Membership.objects.filter(role=choices.Role.FRONTLINE).select_related("organisation", "user")
        }
        created = 0
        for index in range(existing, RESIDENTS):
            slug = ORGANISATIONS[index % len(ORGANISATIONS)][0]
            actor = Actor.for_membership(staff[slug])
            gave_birth_date = rng.random() > 0.1
            resident = resident_register(
                actor=actor,
                first_name=fake.first_name(),
                last_name=fake.last_name(),
                date_of_birth=fake.date_of_birth(minimum_age=16, maximum_age=90) if gave_birth_date else None,
                age_band="" if gave_birth_date else rng.choice(choices.AgeBand.values),
                phone=_mobile_number(rng) if rng.random() > 0.2 else "",
                email=fake.free_email() if rng.random() > 0.5 else "",
                address_line_1=fake.street_address().split("\n")[0][:200],
                town="Wolverhampton",
                postcode=f"{rng.choice(DISTRICTS)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                local_authority=choices.LocalAuthority.WOLVERHAMPTON,
                preferred_contact_method=rng.choice(choices.ContactMethod.values),
                needs_device=rng.random() < 0.5,
                needs_connectivity=rng.random() < 0.4,
                needs_skills=rng.random() < 0.7,
                eds_foundation=rng.choice(choices.SkillLevel.values),
                gender=rng.choice(choices.Gender.values),
                ethnicity=rng.choice(choices.Ethnicity.values),
                employment_status=rng.choice(choices.EmploymentStatus.values),
                referral_source=rng.choice(choices.ReferralSource.values),
            )
            consent_record(actor=actor, resident=resident, purpose=choices.ConsentPurpose.PROCESSING,
                           channel=choices.ConsentChannel.PAPER)  # fmt: skip
            if rng.random() < 0.3:
                note_add(actor=actor, resident=resident, body="Came to the drop-in; talked through what they need.")
            created += 1
        return created
