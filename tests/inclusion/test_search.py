"""Search forgives what people type (apostrophes, accents, either part of a double-barrelled name), and a
postcode search keeps districts apart (B12 is not B1 2..). The same condition serves the staff web and the
partner API's q and postcode filters."""

import pytest

from inclusion.models import Resident
from inclusion.selectors import resident_search
from inclusion.services import resident_register, resident_update
from inclusion.validators import name_part_key, name_search_key, postcode_search_prefix

from ..factories import ResidentFactory

pytestmark = pytest.mark.django_db

RESIDENTS = "/api/v1/residents/"


@pytest.mark.parametrize(
    ("name", "key", "part"),
    [
        ("O'Brien", "obrien", ""),
        ("O’Brien", "obrien", ""),
        ("José", "jose", ""),
        ("ZOË", "zoe", ""),
        ("Łukasz", "lukasz", ""),
        ("Strauß", "strauss", ""),
        ("Smith-Jones", "smithjones", "jones"),
        ("Bonham Carter", "bonhamcarter", "carter"),
        ("van der Berg", "vanderberg", "berg"),
        ("St. John", "stjohn", "john"),
        ("  ", "", ""),
    ],
)
def test_names_are_folded_for_search(name, key, part):
    assert (name_search_key(name), name_part_key(name)) == (key, part)


@pytest.fixture
def named(org_a, org_b):
    people = {
        "obrien": ("Siobhán", "O'Brien"),
        "jose": ("José", "Martínez García"),
        "smithjones": ("Amelia", "Smith-Jones"),
        "carter": ("Helena", "Bonham Carter"),
        "smith": ("Grace", "Smith"),
    }
    found = {key: ResidentFactory(owning_organisation=org_a, first_name=first, last_name=last)
             for key, (first, last) in people.items()}  # fmt: skip
    ResidentFactory(owning_organisation=org_b, first_name="José", last_name="O'Brien")  # never visible to A
    return found


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("OBrien", ["obrien"]),
        ("o'brien", ["obrien"]),
        ("O Brien", ["obrien"]),
        ("siobhan", ["obrien"]),
        ("Jose", ["jose"]),
        ("josé", ["jose"]),
        ("garcia", ["jose"]),
        ("martinez", ["jose"]),
        ("jones", ["smithjones"]),
        ("smith-jones", ["smithjones"]),
        ("smith jones", ["smithjones"]),
        ("amelia jones", ["smithjones"]),
        ("carter", ["carter"]),
        ("bonham", ["carter"]),
        ("smith", ["smith", "smithjones"]),
        ("grace smith", ["smith"]),
    ],
)
def test_name_search_forgives_punctuation_accents_and_either_part(named, org_a, query, expected):
    found = list(resident_search(organisation=org_a, query=query))
    assert found == sorted((named[key] for key in expected), key=lambda r: (r.last_name, r.first_name, r.pk))


def test_api_q_filter_uses_the_same_rule(named, api_a):
    ids = {row["id"] for row in api_a.get(RESIDENTS, {"q": "OBrien"}).json()["results"]}
    assert ids == {str(named["obrien"].pk)}


def test_keys_are_kept_when_a_resident_is_registered_or_renamed(actor_a):
    resident = resident_register(actor=actor_a, first_name="Zoë", last_name="Ní Bhriain-Smyth", age_band="65_74")
    resident.refresh_from_db()
    assert (resident.first_name_key, resident.last_name_key, resident.last_name_part_key) == (
        "zoe", "nibhriainsmyth", "smyth"
    )  # fmt: skip
    resident_update(actor=actor_a, resident=resident, last_name="D'Arcy", preferred_name="Zo")
    resident.refresh_from_db()
    assert (resident.last_name_key, resident.last_name_part_key, resident.preferred_name_key) == ("darcy", "", "zo")


@pytest.mark.parametrize(
    ("query", "prefix"),
    [
        ("B12", "B12 "),  # an outward code: that district only
        ("b1", "B1 "),
        ("WV11", "WV11 "),
        ("B1 2", "B1 2"),
        ("b12 3", "B12 3"),
        ("B123", "B12 3"),  # without the space, still one reading
        ("WV111", "WV11 1"),
        ("WV11A", "WV1 1A"),
        ("wv11aa", "WV1 1AA"),
        ("WV1  1AA", "WV1 1AA"),
        ("SW1A1", "SW1A 1"),
        ("WV", "WV"),  # a postcode area
        ("grace", None),
        ("12345", None),
    ],
)
def test_a_postcode_search_means_one_thing(query, prefix):
    assert postcode_search_prefix(query) == prefix


@pytest.fixture
def districts(org_a):
    postcodes = ["B12 3AB", "B1 2CD", "B1 1AA", "WV1 1AA", "WV11 1AA", "WV10 6QH"]
    return {code: ResidentFactory(owning_organisation=org_a, postcode=code) for code in postcodes}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("B12", ["B12 3AB"]),
        ("B1", ["B1 2CD", "B1 1AA"]),
        ("b1 2", ["B1 2CD"]),
        ("B123", ["B12 3AB"]),
        ("WV1", ["WV1 1AA"]),
        ("WV11", ["WV11 1AA"]),
        ("wv1 1", ["WV1 1AA"]),
        ("wv11aa", ["WV1 1AA"]),
        ("WV10 6QH", ["WV10 6QH"]),
    ],
)
def test_postcode_search_keeps_districts_apart(districts, org_a, api_a, query, expected):
    found = {resident.postcode for resident in resident_search(organisation=org_a, query=query)}
    assert found == set(expected)
    for params in ({"q": query}, {"postcode": query}):
        results = api_a.get(RESIDENTS, params).json()["results"]
        assert {row["postcode"] for row in results} == set(expected), params


def test_postcode_filter_by_area(districts, api_a):
    results = api_a.get(RESIDENTS, {"postcode": "wv"}).json()["results"]
    assert {row["postcode"] for row in results} == {"WV1 1AA", "WV11 1AA", "WV10 6QH"}
    assert Resident.objects.filter(postcode_key="B12 3AB").count() == 1  # the key keeps the space


def test_a_search_is_the_same_as_its_alternatives_or_ed_and_combines_with_the_other_filters(named, org_a, api_a):
    """The API gives q and postcode to the access rule as alternatives (each read from its own index) and its other
    filters inside each; together they answer as the one condition applied to the plain rule would."""
    from inclusion.selectors import resident_search_alternatives, resident_search_condition

    Resident.objects.update(postcode="DY1 1AA", needs_device=False)
    Resident.objects.filter(pk=named["smith"].pk).update(postcode="WV1 1AA", needs_device=True)
    Resident.objects.filter(pk=named["smithjones"].pk).update(postcode="B12 3AB")
    for query in ("smith", "grace smith", "o brien", "WV1", "07700 900"):
        alternatives = resident_search_alternatives(query)
        either = Resident.objects.none()
        for alternative in alternatives:
            either |= Resident.objects.filter(alternative)
        assert set(either) == set(Resident.objects.filter(resident_search_condition(query))), query
    cases = [
        ({"q": "smith"}, {"smith", "smithjones"}),
        ({"q": "smith", "needs_device": "true"}, {"smith"}),
        ({"q": "smith", "postcode": "B12"}, {"smithjones"}),
        ({"q": "smith", "postcode": "WV10"}, set()),
        ({"q": "s"}, set()),  # too short to search: nothing, as before
        ({"postcode": "WV1", "needs_device": "false"}, set()),
        ({"postcode": "DY1", "needs_device": "false"}, {"obrien", "jose", "carter"}),
    ]
    for params, expected in cases:
        body = api_a.get(RESIDENTS, params).json()
        assert {row["id"] for row in body["results"]} == {str(named[key].pk) for key in expected}, params
        assert body["count"] == len(expected) and body["count_is_exact"] is True, params
