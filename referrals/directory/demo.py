"""The service directory's part of the demo (manage.py load_demo): services of every kind across the demo
partners, made through the real services (so each has its audit event). Registered in registration.py."""

from datetime import time, timedelta

from django.utils import timezone

from inclusion.actors import Actor
from inclusion.models import Membership

from . import services
from .models import Service

LIBRARY = {"name": "Central Library, IT suite", "address_line_1": "Snow Hill", "town": "Wolverhampton",
           "postcode": "WV1 3AX", "accessibility": "Step-free entrance on Snow Hill; lift to the IT suite"}  # fmt: skip
WARSTONES = {"name": "Warstones Library", "address_line_1": "Pinfold Grove", "town": "Wolverhampton",
             "postcode": "WV4 4PT"}  # fmt: skip
WEDNESFIELD = {"name": "Wednesfield Library", "address_line_1": "Hickman Avenue", "town": "Wolverhampton",
               "postcode": "WV11 1AF"}  # fmt: skip
COLLEGE = {"name": "Wellington Road campus", "address_line_1": "Wellington Road", "address_line_2": "Bilston",
           "town": "Wolverhampton", "postcode": "WV14 6BT", "accessibility": "Ramp and automatic doors"}  # fmt: skip
WORKS = {"name": "Black Country Works hub", "address_line_1": "Stafford Road", "town": "Wolverhampton",
         "postcode": "WV10 6QR"}  # fmt: skip
CIVIC = {"name": "Civic Centre customer services", "address_line_1": "St Peter's Square", "town": "Wolverhampton",
         "postcode": "WV1 1SH", "accessibility": "Hearing loop at every desk"}  # fmt: skip


def _services(today) -> dict[str, list[dict]]:
    term = today + timedelta(days=120)
    return {
        "central-library": [
            dict(
                name="Get online: computer basics",
                kind="skills_course",
                level="beginner",
                delivery="in_person",
                skill_areas=["foundation", "communicating", "being_safe"],
                days=["TU", "TH"],
                opens_at=time(10),
                closes_at=time(12),
                capacity=8,
                languages=["English", "Punjabi"],
                locations=[LIBRARY, WARSTONES],
                description="Six friendly sessions for people new to computers: using a mouse and keyboard, "
                "email, video calls with family and staying safe online. Laptops provided.",
                schedule_description="Six weekly sessions; start any week",
                eligibility="Adults in Wolverhampton",
                contact_name="Library digital team",
                contact_email="digital@library.demo.example",
            ),
            dict(
                name="Tablet and laptop lending",
                kind="lending_point",
                level="any",
                delivery="in_person",
                days=["MO", "TU", "WE", "TH", "FR", "SA"],
                opens_at=time(9, 30),
                closes_at=time(17),
                locations=[LIBRARY, WEDNESFIELD],
                languages=["English"],
                description="Borrow a tablet or laptop for up to four weeks with your library card, with a "
                "charger and a quick start guide.",
                eligibility="Library members aged 16 and over",
                minimum_age=16,
            ),
            dict(
                name="Free Wi-Fi and data SIMs",
                kind="connectivity_hub",
                level="any",
                delivery="in_person",
                days=["MO", "TU", "WE", "TH", "FR", "SA"],
                locations=[LIBRARY],
                languages=["English", "Polish"],
                description="Free Wi-Fi in every library, and National Databank data SIMs for people who "
                "cannot afford mobile data.",
                referrals_open=False,
            ),
        ],
        "wolverhampton-college": [
            dict(
                name="Essential Digital Skills qualification (entry level)",
                kind="skills_course",
                level="improver",
                delivery="blended",
                skill_areas=["foundation", "handling_information", "transacting", "problem_solving", "being_safe"],
                days=["WE"],
                opens_at=time(13),
                closes_at=time(15, 30),
                capacity=16,
                locations=[COLLEGE],
                active_from=today - timedelta(days=30),
                active_until=term,
                languages=["English"],
                description="A free, nationally recognised qualification in the skills everyone needs online: "
                "finding information, buying and paying safely, solving problems and protecting your data.",
                eligibility="Aged 19 or over, without a digital qualification",
                minimum_age=19,
                contact_name="Adult learning admissions",
                contact_phone="01902 836000",
                url="https://college.demo.example/digital",
            ),
            dict(
                name="Online job searching and applications",
                kind="skills_course",
                level="confident",
                delivery="online",
                skill_areas=["handling_information", "transacting", "communicating"],
                days=["MO"],
                opens_at=time(18),
                closes_at=time(20),
                capacity=20,
                languages=["English"],
                description="Evening course on video: searching job sites, a CV that gets read, "
                "applications, online tests and interviews by video.",
                free=False,
                cost_description="£20, free on Universal Credit or Jobseeker's Allowance",
            ),
        ],
        "black-country-works": [
            dict(
                name="One-to-one digital help for job seekers",
                kind="digital_help",
                level="any",
                delivery="in_person",
                skill_areas=["transacting", "problem_solving"],
                days=["TU", "FR"],
                opens_at=time(9),
                closes_at=time(16),
                locations=[WORKS],
                languages=["English", "Urdu", "Bengali"],
                description="Book an hour with a digital champion: Universal Credit journals, job searches, "
                "email and the apps you need for work.",
                contact_name="Digital champions",
                contact_email="help@works.demo.example",
            ),
            dict(
                name="Laptops for job seekers",
                kind="lending_point",
                level="any",
                delivery="in_person",
                days=["MO", "WE"],
                locations=[WORKS],
                languages=["English"],
                description="A laptop on loan for three months while you look for work, set up with the "
                "job sites you need.",
                eligibility="Unemployed residents on our employment programme",
                status="temporarily closed",
                referrals_open=False,
                schedule_description="Closed while we wait for new stock",
            ),
        ],
        "wolverhampton-council": [
            dict(
                name="Council services online: help at the Civic Centre",
                kind="digital_help",
                level="beginner",
                delivery="in_person",
                skill_areas=["transacting", "being_safe"],
                days=["MO", "WE", "FR"],
                opens_at=time(9),
                closes_at=time(13),
                locations=[CIVIC],
                languages=["English", "Punjabi", "Polish"],
                description="Help to pay council tax, report a problem, apply for housing and set up a GOV.UK "
                "One Login, on our computers or your own phone.",
            ),
            dict(
                name="Staying safe online for older people",
                kind="skills_course",
                level="beginner",
                delivery="blended",
                skill_areas=["being_safe", "communicating"],
                days=["TH"],
                opens_at=time(14),
                closes_at=time(15, 30),
                capacity=10,
                locations=[WEDNESFIELD],
                description="Spotting scams, strong passwords and safe online shopping, in small groups with "
                "tea, and one session on video to practise at home.",
                minimum_age=60,
                languages=["English"],
            ),
        ],
    }


def demo_load(organisations: dict) -> None:
    """Services for each demo partner (`organisations` by slug); adds only those not there yet."""
    today = timezone.localdate()
    for slug, offered in _services(today).items():
        organisation = organisations.get(slug)
        if organisation is None:
            continue
        member = Membership.objects.filter(organisation=organisation).order_by("role").first()
        actor = Actor(organisation=organisation, user=member.user if member else None)
        existing = set(Service.objects.filter(organisation=organisation).values_list("name", flat=True))
        for details in offered:
            if details["name"] not in existing:
                services.service_create(actor=actor, **details)
