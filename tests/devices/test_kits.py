"""Kits: templates per organisation, one loan of several items with one agreement and one receipt, items returned
one by one (a missing one stays open), every item still under the one-open-loan-per-device rule."""

import io

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from devices import services
from devices.models import DeviceKind, KitLoan, Loan, LoanPolicy
from inclusion import choices
from inclusion.actors import Actor
from inclusion.errors import DomainError

from ..factories import MembershipFactory, ResidentFactory
from .factories import DeviceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def coord_actor(org_a):
    return Actor.for_membership(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR))


@pytest.fixture
def kit(coord_actor):
    return services.kit_create(actor=coord_actor, name="Chromebook starter kit",
                               kinds=[DeviceKind.MIFI, DeviceKind.CHROMEBOOK], accessories=["charger"])  # fmt: skip


@pytest.fixture
def devices(org_a):
    return [DeviceFactory(owning_organisation=org_a, asset_tag="CB-1", kind=DeviceKind.CHROMEBOOK,
                          accessories=["charger", "case"]),
            DeviceFactory(owning_organisation=org_a, asset_tag="MF-1", kind=DeviceKind.MIFI, accessories=[])]  # fmt: skip


def _lend(actor, kit, resident, devices):
    return services.kit_loan_create(actor=actor, kit=kit, resident=resident, devices=devices,
                                    agreement_method="signed_paper")  # fmt: skip


def test_kit_names_are_unique_per_organisation(coord_actor, actor_b, kit):
    assert kit.kinds == ["chromebook", "mifi"]
    with pytest.raises(DomainError) as refused:
        services.kit_create(actor=coord_actor, name="chromebook  starter kit", kinds=["laptop"])
    assert refused.value.code == "duplicate"
    assert services.kit_create(actor=actor_b, name="Chromebook starter kit", kinds=["laptop"]).pk


def test_a_kit_is_one_loan_of_several_items_counted_once_against_the_limit(actor_a, kit, devices, resident_a):
    kit_loan = _lend(actor_a, kit, resident_a, devices)  # the policy allows one open loan: the kit is one
    items = list(kit_loan.items.order_by("pk"))
    assert [item.device.asset_tag for item in items] == ["CB-1", "MF-1"]
    assert all(item.is_open and item.device.status == "on_loan" for item in items)
    assert len({(item.agreement_terms_version, item.agreement_method, item.due_on) for item in items}) == 1
    # A second kit or device is over the limit of one.
    with pytest.raises(DomainError) as refused:
        services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=actor_a.organisation),
                             resident=resident_a, agreement_method="signed_paper")  # fmt: skip
    assert refused.value.code == "too_many_loans"


def test_the_devices_must_match_the_kit(actor_a, kit, devices, resident_a, org_a):
    laptop = DeviceFactory(owning_organisation=org_a, kind=DeviceKind.LAPTOP)
    with pytest.raises(DomainError) as refused:
        _lend(actor_a, kit, resident_a, [devices[0], laptop])
    assert refused.value.code == "kit_mismatch"
    with pytest.raises(DomainError):
        _lend(actor_a, kit, resident_a, [devices[0]])
    assert not Loan.objects.exists() and not KitLoan.objects.exists()


def test_all_or_nothing_when_one_item_is_already_lent(actor_a, kit, devices, resident_a, org_a):
    LoanPolicy.objects.create(organisation=org_a, max_open_loans_per_resident=5)
    services.loan_create(actor=actor_a, device=devices[1], resident=ResidentFactory(owning_organisation=org_a),
                         agreement_method="signed_paper")  # fmt: skip
    with pytest.raises(DomainError) as refused:
        _lend(actor_a, kit, resident_a, devices)
    assert refused.value.code == "already_on_loan"
    assert not KitLoan.objects.exists() and Loan.objects.count() == 1
    devices[0].refresh_from_db()
    assert devices[0].status == "ready"


def test_one_open_loan_per_device_holds_for_kit_items(actor_a, kit, devices, resident_a):
    kit_loan = _lend(actor_a, kit, resident_a, devices)
    item = kit_loan.items.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Loan.objects.create(device=item.device, resident=resident_a, organisation=item.organisation,
                            agreement_method="signed_paper", agreement_terms_version="1",
                            agreement_accepted_at=timezone.now(), started_on=item.started_on, due_on=item.due_on)  # fmt: skip


def test_items_come_back_one_by_one_and_a_missing_one_stays_open(actor_a, kit, devices, resident_a, client_a):
    kit_loan = _lend(actor_a, kit, resident_a, devices)
    chromebook = kit_loan.items.get(device__asset_tag="CB-1")
    services.loan_return(actor=actor_a, loan=chromebook, condition="good", accessories_returned=["charger"])
    page = client_a.get(reverse("devices:kit-loan-detail", args=[kit_loan.pk])).content.decode()
    assert "1 of 2 still on loan" in page
    assert kit_loan.items.get(device__asset_tag="MF-1").is_open
    # The return receipt lists every item: what came back and what has not.
    reader = PdfReader(io.BytesIO(client_a.get(reverse("devices:return-receipt-pdf", args=[chromebook.pk])).content))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "CB-1" in text and "MF-1" in text and "Not yet returned" in text and "Not returned Case" in text


def test_one_receipt_lists_every_item_of_the_kit(actor_a, kit, devices, resident_a, client_a):
    kit_loan = _lend(actor_a, kit, resident_a, devices)
    response = client_a.get(reverse("devices:loan-receipt-pdf", args=[kit_loan.items.last().pk]))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Chromebook starter kit" in text and "CB-1" in text and "MF-1" in text


def test_lend_a_kit_from_the_page(client_a, kit, devices, resident_a):
    url = reverse("devices:kit-lend", args=[resident_a.pk])
    assert "Chromebook starter kit" in client_a.get(url).content.decode()
    data = {"kit": kit.pk, "tags": "cb-1\r\nNOPE", "agreement_method": "signed_paper", "agreement_accepted": "on"}
    assert "There is no device tagged NOPE" in client_a.post(url, data).content.decode()
    response = client_a.post(url, {**data, "tags": "cb-1\nmf-1\n"})
    kit_loan = KitLoan.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "devices:kit-loan-detail", args=[kit_loan.pk]
    )
    assert kit_loan.items.count() == 2


def test_kits_page_frontline_reads_coordinator_adds(client_a, client, org_a):
    url = reverse("devices:kit-list")
    assert client_a.post(url, {"name": "X", "kinds": ["laptop"]}).status_code == 403
    client.force_login(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR).user)
    response = client.post(url, {"name": "Laptop and MiFi", "kinds": ["laptop", "mifi"], "accessories": ["charger"]})
    assert response.status_code == 302
    assert "Laptop and MiFi" in client_a.get(url).content.decode()


def test_another_organisations_kit_loan_is_404(actor_a, kit, devices, resident_a, client_b):
    kit_loan = _lend(actor_a, kit, resident_a, devices)
    assert client_b.get(reverse("devices:kit-loan-detail", args=[kit_loan.pk])).status_code == 404
