"""access.VisibleResidents (the access rule in parts, for lists and searches) gives exactly the rows of the plain
rule (residents_visible_q) on varied data: own residents, residents linked by an open loan and by another link
(overlapping), closed loans, other organisations' residents; in every page, with filters, and counted."""

import importlib

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from devices import services
from devices.models import Loan
from devices.selectors import resident_open_loan_ids
from inclusion import access
from inclusion.access import RESIDENT_ORDER, VisibleResidents, residents_visible_q
from inclusion.api.pagination import CappedPagination
from inclusion.models import Resident

from ..devices.factories import DeviceFactory
from ..factories import OrganisationFactory, ResidentFactory

pytestmark = pytest.mark.django_db
SURNAMES = ["Smith", "Smithson", "Jones", "Adams", "Zhou", "Smith", "Okafor", "Begum"]


def lend(actor, resident, organisation):
    device = DeviceFactory(owning_organisation=organisation)
    return services.loan_create(actor=actor, device=device, resident=resident, agreement_method="signed_paper")


@pytest.fixture
def varied(org_a, org_b, actor_a, actor_b, sharing):
    """A's own residents (same names in places, to test the order's tie-break), B's and C's; A lends to B's
    residents (open: shared) and to a C resident (returned: no longer shared) and to one of its own; another
    link shares one of B's residents that a loan shares too, and one more."""
    org_c = OrganisationFactory(name="Gamma College", slug="gamma")
    own = [ResidentFactory(owning_organisation=org_a, last_name=SURNAMES[i % 8], first_name="Ann" if i % 3 else "Bo")
           for i in range(14)]  # fmt: skip
    theirs = [ResidentFactory(owning_organisation=org_b, last_name=SURNAMES[i % 8]) for i in range(8)]
    elsewhere = [ResidentFactory(owning_organisation=org_c, last_name="Smith") for _ in range(3)]
    for resident in (*theirs[:4], elsewhere[0]):
        sharing.share(resident, org_a)  # so that A may lend to them
        lend(actor_a, resident, org_a)
        sharing.end(resident, org_a)
    returned = Resident.objects.get(pk=elsewhere[0].pk).loans.get()
    services.loan_return(actor=actor_a, loan=returned, condition="good")
    lend(actor_a, own[0], org_a)  # an own resident with an open loan: listed once
    lend(actor_b, theirs[5], org_b)  # B's own loan: nothing for A
    sharing.share(theirs[0], org_a)  # linked twice: by a loan and by a referral
    sharing.share(theirs[6], org_a)
    return {"own": own, "theirs": theirs, "elsewhere": elsewhere, "org_c": org_c}


def plain(organisation, **filters):
    return list(
        Resident.objects.filter(residents_visible_q(organisation), **filters)
        .order_by(*RESIDENT_ORDER)
        .values_list("pk", flat=True)
    )


def test_every_page_is_the_plain_rules_rows_in_name_order(varied, org_a, org_b):
    for organisation in (org_a, org_b, varied["org_c"]):
        expected = plain(organisation)
        visible = VisibleResidents(organisation)
        assert [r.pk for r in visible.page(limit=1000)] == expected
        paged = []
        for offset in range(0, len(expected) + 3, 3):
            paged += [r.pk for r in visible.page(offset=offset, limit=3)]
        assert paged == expected
        assert visible.count(cap=1000) == (len(expected), True)
    # What A sees: its 14, the 4 of B's its open loans share (one also by the other link) and 1 more by that link.
    assert len(plain(org_a)) == 14 + 4 + 1


def test_filters_are_applied_inside_each_part_with_the_same_result(varied, org_a):
    visible = VisibleResidents(org_a)
    smith = lambda part: part.filter(last_name__startswith="Smith")  # noqa: E731
    expected = plain(org_a, last_name__startswith="Smith")
    # As a filter, and as a search (alternatives merged from their own indexes, overlapping here): the same rows.
    as_search = [Q(last_name__startswith="Smith"), Q(last_name__startswith="Smiths"), Q(first_name="never")]
    for refine, search in ((smith, None), (None, as_search), (lambda part: part.exclude(pk=None), as_search)):
        assert [r.pk for r in visible.page(refine, limit=50, search=search)] == expected
        assert [r.pk for r in visible.page(refine, offset=2, limit=3, search=search)] == expected[2:5]
        assert visible.count(refine, cap=50, search=search) == (len(expected), True)
        assert visible.count(refine, cap=3, search=search) == (3, False)
    assert visible.page(search=[]) == [] and visible.count(cap=50, search=[]) == (0, True)
    assert visible.page(lambda part: part.none()) == []
    assert visible.count(lambda part: part.none(), cap=50) == (0, True)


def test_the_count_stops_at_the_cap(varied, org_a):
    assert VisibleResidents(org_a).count(cap=5) == (5, False)
    assert VisibleResidents(org_a).count(cap=19) == (19, True)
    assert VisibleResidents(org_a).count(cap=18) == (18, False)


def test_a_returned_loan_shares_nothing_and_search_agrees(varied, org_a):
    from inclusion.selectors import resident_search

    found = {r.pk for r in resident_search(organisation=org_a, query="smith")}
    assert varied["elsewhere"][0].pk not in found
    assert found == set(plain(org_a, last_name_key__startswith="smith"))
    assert not access.VisibleResidents(org_a).contains(varied["elsewhere"][0].pk)
    assert access.VisibleResidents(org_a).contains(varied["theirs"][0].pk)


def test_a_loan_says_whether_it_shares_another_organisations_resident(varied, org_a, org_b):
    """Set by the database from the resident's owner: by the lend service and by any other insert alike."""
    shared = set(Loan.objects.filter(shares_resident=True).values_list("resident_id", flat=True))
    assert shared == {r.pk for r in (*varied["theirs"][:4], varied["elsewhere"][0])}  # A's loans to B's and C's
    assert not Loan.objects.get(resident=varied["own"][0]).shares_resident  # A's loan to its own resident
    assert not Loan.objects.get(resident=varied["theirs"][5]).shares_resident  # B's loan to its own
    loan = Loan.objects.create(
        device=DeviceFactory(owning_organisation=org_b), resident=varied["own"][1], organisation=org_b,
        agreement_method="signed_paper", agreement_terms_version="1", agreement_accepted_at=timezone.now(),
        started_on=timezone.localdate(), due_on=timezone.localdate(), closed_at=timezone.now(), outcome="returned",
    )  # fmt: skip
    assert Loan.objects.get(pk=loan.pk).shares_resident  # inserted without the service: flagged all the same
    Loan.objects.filter(pk=loan.pk).update(shares_resident=False)
    assert Loan.objects.get(pk=loan.pk).shares_resident  # and cannot be unset while it is true


def test_the_loans_link_reads_only_open_loans_that_share_a_resident(varied, org_a):
    ids = set(resident_open_loan_ids(org_a).values_list("resident_id", flat=True))
    # Not its own resident's loan (its own residents it sees anyway), not the returned one: the rows of the partial
    # index open_shared_loan_org_resident, which the region's benchmark shows the plan reading.
    assert ids == {r.pk for r in varied["theirs"][:4]}


def test_the_migration_flags_existing_loans_in_one_update(varied):
    backfill = importlib.import_module("devices.migrations.0018_loan_shares_resident").BACKFILL
    with connection.cursor() as cursor:  # loans as they were before the flag (rolled back with the test)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred checks of the loans made, before ALTER TABLE
        cursor.execute("ALTER TABLE devices_loan DISABLE TRIGGER loan_shares_resident_set")
        cursor.execute("UPDATE devices_loan SET shares_resident = false")
        cursor.execute(backfill)
        cursor.execute("ALTER TABLE devices_loan ENABLE TRIGGER loan_shares_resident_set")
    shared = set(Loan.objects.filter(shares_resident=True).values_list("resident_id", flat=True))
    assert shared == {r.pk for r in (*varied["theirs"][:4], varied["elsewhere"][0])}


RESIDENTS = "/api/v1/residents/"


def test_api_list_counts_up_to_the_cap_and_refuses_deeper_pages(varied, api_a, monkeypatch):
    api = api_a
    monkeypatch.setattr(CappedPagination, "MAX_RESULTS", 6)
    first = api.get(RESIDENTS, {"page_size": 4}).json()
    assert first["count"] == 6 and first["count_is_exact"] is False
    assert len(first["results"]) == 4 and "page=2" in first["next"]
    second = api.get(RESIDENTS, {"page_size": 4, "page": 2}).json()
    assert len(second["results"]) == 2 and second["next"] is None  # the page stops at the cap
    deep = api.get(RESIDENTS, {"page_size": 4, "page": 3})
    assert deep.status_code == 422
    assert deep.json()["errors"][0]["code"] == "too_deep" and deep.json()["errors"][0]["attr"] == "page"


def test_api_list_pages_are_the_plain_rules_rows(varied, api_a, org_a):
    api = api_a
    ids = []
    for page in (1, 2, 3, 4, 5):
        body = api.get(RESIDENTS, {"page_size": 4, "page": page}).json()
        ids += [row["id"] for row in body["results"]]
        assert body["count"] == 19 and body["count_is_exact"] is True
        if body["next"] is None:
            break
    assert ids == [str(pk) for pk in plain(org_a)]
    assert api.get(RESIDENTS, {"page_size": 4, "page": 6}).status_code == 404  # past the end
    body = api.get(RESIDENTS, {"q": "smi"}).json()
    assert [row["id"] for row in body["results"]] == [str(pk) for pk in plain(org_a, last_name_key__startswith="smi")]
