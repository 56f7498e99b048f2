"""A region-scale dataset for bench/: the sizes issue 12 measured (a million residents over 30 partners, the
largest with 150,000), built with set-based SQL (INSERT ... SELECT generate_series), never a save per row.

`manage.py build_region --size small|full` runs the core's builder below, then each app's (registered in
inclusion.registry: devices/region.py adds devices, loans and vouchers; referrals/region.py referrals with their
history, consents, messages and outcomes; inclusion/messaging/region.py the reminders already sent). Residents are numbered 1..N and
each organisation owns one contiguous range of numbers; a resident's id is derived from its number
(`Region.resident_id_sql`), so an app's builder picks residents of an organisation by number without a
join or a lookup table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models import AutoField, BigAutoField, GeneratedField
from django.utils import timezone

from . import choices

REGION_SLUG_PREFIX = "region-"
REGION_PASSWORD = "region-bench-2026"


@dataclass(frozen=True)
class RegionSize:
    name: str
    organisations: int
    residents: int
    largest_share: float  # of residents, held by the first organisation
    timeline_entries: int
    devices: int
    loans: int
    open_loans: int
    overdue_loans: int
    vouchers: int
    referrals: int = 0  # at most one per resident (each with the resident's consent to sharing)
    messages: int = 0  # reminders already sent to residents, one due item each
    shared_loan_every: int = 10  # one open loan in this many goes to another organisation's resident


SIZES = {
    "small": RegionSize("small", organisations=6, residents=3_000, largest_share=0.3, timeline_entries=6_000,
                        devices=300, loans=3_000, open_loans=180, overdue_loans=45, vouchers=900, referrals=2_000,
                       messages=1_500),
    "full": RegionSize("full", organisations=30, residents=1_000_000, largest_share=0.15,
                       timeline_entries=2_000_000, devices=100_000, loans=1_000_000, open_loans=60_000,
                       overdue_loans=15_000, vouchers=300_000, referrals=1_000_000, messages=500_000),
}  # fmt: skip

# Common UK surnames first: residents take them with a skew (Smith most often), as searches meet them.
SURNAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Khan", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Begum", "Singh", "Hussain",
    "Hughes", "Edwards", "Lewis", "Clarke", "Wood", "Harris", "Martin", "Jackson", "Kaur", "Ahmed", "Ali",
    "Okafor", "Mensah", "Nowak", "Kowalski", "Murphy", "Kelly", "Price", "Morris", "Turner", "Cooper", "Ward",
    "Baker", "Bennett", "Shaw", "Mills", "Kaur-Bains", "Smith-Jones",
]  # fmt: skip
FIRST_NAMES = [
    "Amelia", "Oliver", "Isla", "George", "Ava", "Harry", "Mia", "Noah", "Aisha", "Mohammed", "Priya", "Jack",
    "Grace", "Leo", "Fatima", "Arthur", "Sofia", "Oscar", "Zara", "Jacob", "Margaret", "David", "Susan",
    "Kwame", "Jose", "Irene", "Patrick", "Sean", "Agnieszka", "Tomasz", "Olivia", "Amir", "Hannah", "Ruth",
]  # fmt: skip
# Postcode districts across the combined authority, each with its local authority.
DISTRICTS = [
    ("B12", "birmingham"), ("B6", "birmingham"), ("B10", "birmingham"), ("B21", "birmingham"),
    ("B23", "birmingham"), ("B31", "birmingham"), ("B44", "birmingham"), ("B66", "sandwell"),
    ("B69", "sandwell"), ("B70", "sandwell"), ("CV1", "coventry"), ("CV2", "coventry"), ("CV6", "coventry"),
    ("DY1", "dudley"), ("DY2", "dudley"), ("B91", "solihull"), ("WS1", "walsall"), ("WS2", "walsall"),
    ("WV1", "wolverhampton"), ("WV10", "wolverhampton"), ("WV2", "wolverhampton"), ("WV14", "wolverhampton"),
]  # fmt: skip
ORGANISATION_KINDS = [
    choices.OrganisationKind.COUNCIL, choices.OrganisationKind.CHARITY, choices.OrganisationKind.LIBRARY,
    choices.OrganisationKind.COLLEGE, choices.OrganisationKind.HOUSING, choices.OrganisationKind.EMPLOYMENT_SUPPORT,
]  # fmt: skip


def text_array(values) -> str:
    """A SQL text[] literal of our own constants (never user input)."""
    return "ARRAY[" + ",".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]::text[]"


def int_array(values) -> str:
    return "ARRAY[" + ",".join(str(int(v)) for v in values) + "]::bigint[]"


def pick(array_sql: str, length: int, skew: float = 1.0) -> str:
    """A random element of a SQL array: uniform with skew 1, the first ones more often with a larger skew."""
    return f"({array_sql})[1 + floor(power(random(), {skew}) * {length})::int]"


def shares(total: int, count: int, largest_share: float) -> list[int]:
    """`total` split over `count`: the first gets `largest_share`, the rest a falling (Zipf-like) share each."""
    first = round(total * largest_share)
    exponent = 0.8
    while True:  # flatter until the first stays the largest
        weights = [1 / (i**exponent) for i in range(1, count)]
        rest = [max(1, math.floor((total - first) * w / sum(weights))) for w in weights]
        if rest[0] <= first or exponent < 0.05:
            break
        exponent -= 0.1
    rest[0] += total - first - sum(rest)
    return [first, *rest]


@dataclass
class Region:
    """What the builders share: the size, a cursor, the organisations and who owns which residents."""

    size: RegionSize
    cursor: object
    organisation_ids: list[int] = field(default_factory=list)
    resident_counts: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)  # one member of staff per organisation
    today: date = field(default_factory=timezone.localdate)

    @classmethod
    def of_database(cls, size: RegionSize, cursor) -> Region:
        """The region the core's builder made earlier in this database (its organisations, staff and resident
        numbering, all derived from the size), for adding an app's part to it afterwards (bench/region_extend.py)."""
        from .models import Membership, Organisation

        organisations = list(
            Organisation.objects.filter(slug__startswith=REGION_SLUG_PREFIX).order_by("pk").values_list("pk", flat=True)
        )
        if len(organisations) != size.organisations:
            raise ValueError(f"This database has {len(organisations)} region organisations, not {size.organisations}.")
        staff = dict(Membership.objects.filter(organisation__in=organisations).values_list("organisation", "user"))
        return cls(size=size, cursor=cursor, organisation_ids=organisations,
                   resident_counts=shares(size.residents, size.organisations, size.largest_share),
                   user_ids=[staff[pk] for pk in organisations])  # fmt: skip

    @property
    def resident_starts(self) -> list[int]:
        """The first resident number of each organisation's range (1-based)."""
        starts, n = [], 1
        for count in self.resident_counts:
            starts.append(n)
            n += count
        return starts

    @staticmethod
    def resident_id_sql(number_sql: str) -> str:
        """The id of resident number `number_sql` (a SQL expression), as the core's builder made it."""
        return f"md5('region-resident-' || ({number_sql}))::uuid"

    def organisation_index_sql(self, number_sql: str) -> str:
        """The 1-based index (into organisation_ids) of the organisation owning resident `number_sql`."""
        return f"width_bucket(({number_sql})::int, {int_array(self.resident_starts)}::int[])"

    def organisation_id_sql(self, index_sql: str) -> str:
        return f"({int_array(self.organisation_ids)})[{index_sql}]"

    def random_resident_of_sql(self, index_sql: str) -> str:
        """A random resident number of organisation `index_sql` (1-based)."""
        starts, counts = int_array(self.resident_starts), int_array(self.resident_counts)
        return f"(({starts})[{index_sql}] + floor(random() * ({counts})[{index_sql}]))::int"

    def insert_select(self, model, expressions: dict[str, str], from_sql: str, params=()) -> int:
        """INSERT INTO model's table SELECT expressions FROM from_sql; every column not given takes the model
        field's default (as a parameter). Returns the rows inserted."""
        fields = [f for f in model._meta.concrete_fields if not isinstance(f, GeneratedField)]
        unknown = set(expressions) - {f.column for f in fields}
        if unknown:
            raise ValueError(f"{model.__name__} has no column {sorted(unknown)}")
        columns, values, defaults = [], [], []
        for f in fields:
            if f.column in expressions:
                columns.append(f.column)
                values.append(expressions[f.column])
            elif isinstance(f, AutoField | BigAutoField):
                continue
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                columns.append(f.column)
                values.append("now()")
            else:
                columns.append(f.column)
                values.append("%s")
                default = f.get_default()  # "" for text that may be blank, None when nullable
                defaults.append(f.get_db_prep_save(default, connection) if default is not None else None)
        sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {from_sql}"
        self.cursor.execute(sql, [*defaults, *params])
        return self.cursor.rowcount


def build_core(region: Region) -> dict[str, int]:
    """Organisations (the first the largest), one frontline member of staff each, residents with common
    surnames and West Midlands postcodes, and the case timeline (a 'registered' entry each, then notes)."""
    from .models import CaseEvent, DataSharingAgreement, Membership, Organisation, Resident, User

    size = region.size
    orgs = Organisation.objects.bulk_create(
        Organisation(
            name=f"Region partner {i:02d}", slug=f"{REGION_SLUG_PREFIX}{i:02d}",
            kind=ORGANISATION_KINDS[(i - 1) % len(ORGANISATION_KINDS)],
            local_authority=DISTRICTS[(i * 5) % len(DISTRICTS)][1],
        )
        for i in range(1, size.organisations + 1)
    )  # fmt: skip
    region.organisation_ids = [org.pk for org in orgs]
    today = timezone.localdate()  # each partner's current data-sharing agreement (inclusion.access)
    DataSharingAgreement.objects.bulk_create(
        DataSharingAgreement(organisation=org, reference=f"DSA-{org.slug}", starts_on=today - timedelta(days=365),
                             ends_on=today + timedelta(days=3 * 365))
        for org in orgs
    )  # fmt: skip
    region.resident_counts = shares(size.residents, size.organisations, size.largest_share)
    password = make_password(REGION_PASSWORD)
    users = User.objects.bulk_create(
        User(email=f"staff@{org.slug}.example", full_name=f"Staff of {org.name}", password=password) for org in orgs
    )
    region.user_ids = [user.pk for user in users]
    Membership.objects.bulk_create(
        Membership(user=user, organisation=org, role=choices.Role.FRONTLINE)
        for user, org in zip(users, orgs, strict=True)
    )

    n = "g"
    first = pick(text_array(FIRST_NAMES), len(FIRST_NAMES))
    district = f"(1 + floor(random() * {len(DISTRICTS)})::int)"
    letters = "'ABDEFGHJLNPQRSTUWXYZ'"
    key = "regexp_replace(lower({}), '[^a-z]', '', 'g')"
    residents = region.insert_select(
        Resident,
        {
            "id": region.resident_id_sql(n),
            "owning_organisation_id": region.organisation_id_sql(region.organisation_index_sql(n)),
            "registered_by_id": f"({int_array(region.user_ids)})[{region.organisation_index_sql(n)}]",
            "first_name": "first_name",
            "last_name": "last_name",
            "date_of_birth": "date '1935-01-01' + floor(random() * 26000)::int",
            # Ranges libphonenumber holds allocated in full (not every 07xxx block is).
            "phone": f"'+447' || (ARRAY['400','500','800','900','940','950'])[1 + mod({n}, 6)] || "
            f"lpad(mod({n}::bigint * 7919, 1000000)::text, 6, '0')",
            "email": f"CASE WHEN mod({n}, 3) = 0 THEN lower(first_name) || '.' || {n} || '@example.com' ELSE '' END",
            "address_line_1": f"(mod({n}, 200) + 1) || ' High Street'",
            "postcode": f"({text_array(d for d, _ in DISTRICTS)})[district] || ' ' || mod({n}, 10) || "
            f"substr({letters}, 1 + mod({n}, 20), 1) || substr({letters}, 1 + mod({n} / 20, 20), 1)",
            "local_authority": f"({text_array(a for _, a in DISTRICTS)})[district]",
            "needs_device": "random() < 0.5",
            "needs_connectivity": "random() < 0.4",
            "needs_skills": "random() < 0.6",
            "created_at": "registered",
            "updated_at": "registered",
            "first_name_key": key.format("first_name"),
            "last_name_key": key.format("last_name"),
            "last_name_part_key": "CASE WHEN position('-' in last_name) > 0 THEN lower(split_part(last_name, '-', 2)) "
            "ELSE '' END",
        },
        f"(SELECT g, {first} AS first_name, {pick(text_array(SURNAMES), len(SURNAMES), 1.6)} AS last_name, "
        f"{district} AS district, now() - random() * interval '1100 days' AS registered "
        f"FROM generate_series(1, {size.residents}) g) s "
        # Stored in the order they registered, as in life: partners' residents interleaved on disk, not in runs.
        "ORDER BY registered",
    )
    resident = f"CASE WHEN g <= {size.residents} THEN g ELSE 1 + floor(random() * {size.residents})::int END"
    events = region.insert_select(
        CaseEvent,
        {
            "id": "gen_random_uuid()",
            "resident_id": region.resident_id_sql("r"),
            "organisation_id": region.organisation_id_sql(region.organisation_index_sql("r")),
            "author_id": f"({int_array(region.user_ids)})[{region.organisation_index_sql('r')}]",
            "kind": f"CASE WHEN g <= {size.residents} THEN 'registered' ELSE 'note' END",
            "summary": f"CASE WHEN g <= {size.residents} THEN 'Registered' ELSE 'Case note' END",
            "body": f"CASE WHEN g <= {size.residents} THEN '' ELSE 'Called to check how the course is going.' END",
            "occurred_at": "now() - random() * interval '1000 days'",
        },
        f"(SELECT g, {resident} AS r FROM generate_series(1, {size.timeline_entries}) g) s",
    )
    return {"organisations": len(orgs), "staff": len(users), "residents": residents, "timeline entries": events}
