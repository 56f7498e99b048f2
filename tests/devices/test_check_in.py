"""The returns desk: a list of scanned or pasted tags, each returned with its open loan (all or nothing per tag),
with a summary of what was returned and what did not match; two desks scanning one device return it once."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from devices import services
from devices.models import Device, DeviceStatus, Loan
from inclusion.actors import Actor

from ..factories import MembershipFactory, ResidentFactory
from .factories import DeviceFactory

pytestmark = pytest.mark.django_db


def _lend(actor, tag, **device):
    device = DeviceFactory(owning_organisation=actor.organisation, asset_tag=tag, **device)
    return services.loan_create(actor=actor, device=device, resident=ResidentFactory(owning_organisation=actor.organisation),
                                agreement_method="signed_paper")  # fmt: skip


def test_each_tag_is_returned_as_it_went_out_and_the_rest_are_explained(actor_a, actor_b, org_a):
    first = _lend(actor_a, "DI-000006", condition="fair", accessories=["charger", "case"])
    second = _lend(actor_a, "LAP-2")
    DeviceFactory(owning_organisation=org_a, asset_tag="SHELF-1")  # ready, not on loan
    _lend(actor_b, "B-ONLY")  # another organisation's: no match, and nothing said of it
    results = services.loans_check_in(actor=actor_a, tags=["di 6", "lap-2", "LAP-2", "SHELF-1", "B-ONLY", "NOPE", " "])
    assert [(r.typed, r.outcome) for r in results] == [
        ("di 6", "returned"), ("lap-2", "returned"), ("SHELF-1", "not_on_loan"), ("B-ONLY", "no_match"),
        ("NOPE", "no_match"),
    ]  # fmt: skip
    first.refresh_from_db()
    assert (first.outcome, first.return_condition, first.accessories_returned) == (
        "returned",
        "fair",
        ["charger", "case"],
    )
    assert Loan.objects.get(pk=second.pk).outcome == "returned"
    assert Device.objects.get(asset_tag="DI-000006").status == DeviceStatus.AWAITING_CHECK
    assert Loan.objects.get(device__asset_tag="B-ONLY").is_open
    # Scanned again: already back, nothing changes.
    again = services.loans_check_in(actor=actor_a, tags=["DI-000006"])
    assert (again[0].outcome, again[0].message) == ("not_on_loan", "Not on loan: Returned, awaiting check")


def test_check_in_page_shows_the_summary(client_a, actor_a):
    _lend(actor_a, "LAP-7")
    url = reverse("devices:check-in")
    assert client_a.get(url).status_code == 200
    response = client_a.post(url, {"tags": "LAP-7\r\nWHO-KNOWS, "})
    body = response.content.decode()
    assert response.status_code == 200 and "1 returned, 1 not" in body and "WHO-KNOWS" in body
    assert reverse("devices:return-receipt", args=[Loan.objects.get().pk]) in body
    assert "Scan or type at least one tag" in client_a.post(url, {"tags": " ,\n "}).content.decode()


def test_viewers_cannot_check_in(client, org_a):
    from inclusion import choices

    client.force_login(MembershipFactory(organisation=org_a, role=choices.Role.VIEWER).user)
    assert client.get(reverse("devices:check-in")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_two_desks_checking_in_the_same_tag_return_it_once(org_a):
    desks = [Actor.for_membership(MembershipFactory(organisation=org_a)) for _ in range(2)]
    loan = _lend(desks[0], "RACE-1")
    barrier = threading.Barrier(2)
    outcomes = []

    def desk(actor):
        try:
            barrier.wait()
            outcomes.extend(result.outcome for result in services.loans_check_in(actor=actor, tags=["RACE-1"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=desk, args=(actor,)) for actor in desks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["not_on_loan", "returned"]
    loan.refresh_from_db()
    assert loan.outcome == "returned"
    assert loan.device.events.filter(action="record a return").count() == 1
