"""The reports' part of the demo (manage.py load_demo): a year of residents behind the monthly impact report.

The core's demo registers its 200 residents today, all in Wolverhampton; a report is about months past. This
adds residents for each of the 12 months before this one (40 a year ago, growing to 62 last month), across the West Midlands'
local authorities, age bands, genders, ethnicities, disability, employment and income, with their real
registration dates and consent to sharing. The apps' demo modules give them their year of loans, vouchers
and referrals (`history_residents` finds them). It runs before the apps' loaders (inclusion.reports is
installed first), and again on every run: it tops up, never duplicates.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from .. import choices
from ..actors import Actor
from ..models import Consent, Membership, Organisation, Resident
from ..services import consent_record, resident_search_keys_fill
from .definitions import add_months, month_start

HISTORY_DOMAIN = "history.demo.example"  # the year's residents' (made-up) email addresses
MONTHS = 12
# Residents a month: a scheme that grows (40 a year ago, 62 last month), enough that most breakdowns of the
# whole scheme show numbers rather than "<5".
PER_MONTH = 40
# Where they live: mostly the scheme's own borough, some its neighbours', a few further; "" not recorded.
AUTHORITIES = ["wolverhampton"] * 8 + ["dudley"] * 3 + ["walsall"] * 3 + ["sandwell"] * 2 + [
    "birmingham", "solihull", "coventry", ""]  # fmt: skip
AGES = [17, 21, 21, 29, 29, 29, 38, 38, 47, 47, 58, 58, 68, 68, 79, 86]  # weighted towards working age
FIRST_NAMES = ["Amara", "Ben", "Chloe", "Dev", "Ella", "Farid", "Grace", "Harpreet", "Isaac", "Jas", "Kerry",
               "Liam", "Maya", "Nasir", "Olivia", "Piotr", "Rukhsana", "Simon", "Tanya", "Uzma"]  # fmt: skip
LAST_NAMES = ["Adeyemi", "Bennett", "Chauhan", "Dhillon", "Evans", "Fletcher", "Gill", "Hughes", "Iqbal",
              "Jones", "Khan", "Lewis", "Morris", "Nowak", "Okafor", "Patel", "Roberts", "Singh"]  # fmt: skip


def history_residents(organisation: Organisation | None = None):
    """The year's demo residents (all, or `organisation`'s), oldest first."""
    found = Resident.objects.filter(email__endswith="@" + HISTORY_DOMAIN)
    if organisation is not None:
        found = found.filter(owning_organisation=organisation)
    return found.order_by("created_at", "pk")


def history_month(offset: int, today: dt.date | None = None) -> dt.date:
    """The first day of the month `offset` months before this one (1: last month)."""
    return add_months(month_start(today or timezone.localdate()), -offset)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _choice(rng: random.Random, field: str) -> str:
    return rng.choice([value for value, _ in Resident._meta.get_field(field).choices])


def demo_load(organisations: dict) -> None:
    if not organisations or history_residents().exists():
        return
    rng = random.Random(11)
    today = timezone.localdate()
    partners = list(organisations.values())
    actors = {}
    for organisation in partners:
        membership = Membership.objects.filter(organisation=organisation).order_by("role").select_related("user")
        actors[organisation.pk] = Actor(organisation=organisation, user=membership.first().user)
    authorities = [value for value in AUTHORITIES if not value or value in choices.LocalAuthority.values]
    number = 0
    for offset in range(MONTHS, 0, -1):
        first = history_month(offset, today)
        for index in range(PER_MONTH + 2 * (MONTHS - offset)):
            organisation = partners[number % len(partners)]
            registered = first + dt.timedelta(days=(index * 3) % 27)
            gave_birth_date = number % 9 != 4
            resident = resident_search_keys_fill(Resident(
                owning_organisation=organisation,
                first_name=FIRST_NAMES[number % len(FIRST_NAMES)], last_name=LAST_NAMES[number % len(LAST_NAMES)],
                date_of_birth=registered.replace(day=1, year=registered.year - rng.choice(AGES))
                if gave_birth_date else None,
                age_band="" if gave_birth_date else _choice(rng, "age_band"),
                email=f"resident{number:03d}@{HISTORY_DOMAIN}", town="Wolverhampton",
                address_line_1=f"{number + 1} Demo Street", postcode=f"WV{number % 14 + 1} {number % 9 + 1}AB",
                local_authority=rng.choice(authorities),
                gender=rng.choice(["woman", "woman", "man", "man", "non_binary", ""]), ethnicity=_choice(rng, "ethnicity"),
                disability=_choice(rng, "disability"), employment_status=_choice(rng, "employment_status"),
                low_income=_choice(rng, "low_income"), needs_device=number % 2 == 0,
                needs_connectivity=number % 3 != 0, needs_skills=True,
                **{f"eds_{area}": _choice(rng, f"eds_{area}") for area in (
                    "foundation", "communicating", "handling_information", "transacting", "problem_solving",
                    "being_safe")},
            ))  # fmt: skip
            resident.save(force_insert=True)
            Resident.objects.filter(pk=resident.pk).update(created_at=at(registered))
            actor = actors[organisation.pk]
            for purpose in (choices.ConsentPurpose.PROCESSING, choices.ConsentPurpose.SHARING):
                consent_record(actor=actor, resident=resident, purpose=purpose, channel=choices.ConsentChannel.PAPER)
            Consent.objects.filter(resident=resident).update(given_at=at(registered, 9))
            number += 1
