"""A kit's SIM or data voucher line: issued with the kit through the voucher service (its eligibility, the
soonest-expiring batch, its history), listed masked on the kit's receipt, closed on its own (activated, not
working, handed back) while the devices come back one by one; all or nothing when it cannot be issued."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from devices import services
from devices.models import Device, DeviceKind, KitLoan, Loan, LoanPolicy, Voucher, VoucherEvent
from devices.vouchers.services import voucher_activate, voucher_issue
from inclusion import choices
from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.models import CaseEvent

from ..factories import MembershipFactory
from .factories import DeviceFactory
from .vouchers.factories import ProviderFactory, VoucherBatchFactory, VoucherFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def coord_actor(org_a):
    return Actor.for_membership(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR))


@pytest.fixture
def kit(coord_actor):
    return services.kit_create(actor=coord_actor, name="Laptop and SIM", kinds=[DeviceKind.LAPTOP],
                               accessories=["charger"], voucher_kind="sim_card")  # fmt: skip


@pytest.fixture
def sims(org_a):
    """Two SIM batches: the one expiring sooner serves first."""
    provider = ProviderFactory(name="Vodafone", slug="vodafone")
    later = VoucherBatchFactory(organisation=org_a, provider=provider, kind="sim_card",
                                expires_on=timezone.localdate() + timedelta(days=200))  # fmt: skip
    sooner = VoucherBatchFactory(organisation=org_a, provider=provider, kind="sim_card",
                                 expires_on=timezone.localdate() + timedelta(days=20))  # fmt: skip
    VoucherFactory(batch=later, code="", iccid="8944200000000000001", sim_serial="LATER-1")
    return VoucherFactory(batch=sooner, code="SIMCODE-98765432")


def _lend(actor, kit, resident, **kwargs):
    laptop = DeviceFactory(owning_organisation=actor.organisation, asset_tag="LAP-1", kind=DeviceKind.LAPTOP)
    return services.kit_loan_create(actor=actor, kit=kit, resident=resident, devices=[laptop],
                                    agreement_method="signed_paper", **kwargs)  # fmt: skip


def test_a_kit_may_have_a_sim_or_data_voucher_line_but_not_a_social_tariff(coord_actor, kit):
    assert kit.voucher_kind == "sim_card" and kit.item_labels == ["Laptop", "SIM card"]
    with pytest.raises(DomainError) as refused:
        services.kit_create(actor=coord_actor, name="Tariff kit", kinds=["tablet"], voucher_kind="social_tariff")
    assert refused.value.field == "voucher_kind" and refused.value.code == "invalid"


def test_lending_the_kit_issues_its_voucher_through_the_voucher_service(actor_a, kit, sims, resident_a):
    kit_loan = _lend(actor_a, kit, resident_a)
    voucher = kit_loan.voucher
    assert voucher.pk == sims.pk  # the soonest-expiring batch's
    assert (voucher.status, voucher.resident, voucher.issued_by) == ("issued", resident_a, actor_a.user)
    assert VoucherEvent.objects.get(voucher=voucher).action == "issue"
    assert CaseEvent.objects.filter(resident=resident_a, kind="voucher_issued").count() == 1
    assert KitLoan.objects.get().voucher_id == voucher.pk and Loan.objects.get().kit_loan_id == kit_loan.pk


def test_a_voucher_that_cannot_be_issued_lends_nothing_unless_staff_lend_without_it(actor_a, kit, sims, resident_a):
    voucher_issue(actor=actor_a, resident=resident_a, kind="sim_card")  # had one this month
    with pytest.raises(DomainError) as refused:
        _lend(actor_a, kit, resident_a)
    assert refused.value.field == "issue_voucher" and refused.value.code == "not_eligible"
    assert refused.value.message.startswith("The kit's SIM card cannot be issued: ")
    assert not KitLoan.objects.exists() and not Loan.objects.exists()
    assert Device.objects.get(asset_tag="LAP-1").status == "ready"
    Device.objects.filter(asset_tag="LAP-1").delete()
    kit_loan = _lend(actor_a, kit, resident_a, issue_voucher=False)
    assert kit_loan.voucher is None and kit_loan.items.count() == 1


def test_no_voucher_left_lends_nothing(actor_a, kit, resident_a):
    with pytest.raises(DomainError) as refused:
        _lend(actor_a, kit, resident_a)
    assert refused.value.field == "issue_voucher" and refused.value.code == "not_eligible"  # no batch at all
    VoucherBatchFactory(organisation=actor_a.organisation, kind="sim_card")  # a batch, but empty
    Device.objects.all().delete()
    with pytest.raises(DomainError) as refused:
        _lend(actor_a, kit, resident_a)
    assert refused.value.code == "out_of_stock" and not Loan.objects.exists()


def test_the_receipt_lists_the_voucher_masked_and_the_kit_page_closes_it_on_its_own(
    actor_a, kit, sims, resident_a, client_a
):
    kit_loan = _lend(actor_a, kit, resident_a)
    loan = kit_loan.items.get()
    response = client_a.get(reverse("devices:loan-receipt-pdf", args=[loan.pk]))
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages).split())
    assert "LAP-1" in text and "Vodafone SIM card" in text and "5432" in text
    assert "SIMCODE" not in text  # a bearer secret: its slip is the reveal
    assert "does not come back" in text and "30 days once activated" in text
    page = client_a.get(reverse("devices:loan-receipt", args=[loan.pk])).content.decode()
    assert "Vodafone SIM card, 20 GB" in page
    # The laptop comes back; the SIM is theirs, and closes by its own lifecycle.
    services.loan_return(actor=actor_a, loan=loan, condition="good")
    page = client_a.get(reverse("devices:kit-loan-detail", args=[kit_loan.pk])).content.decode()
    assert "All returned" in page and "Issued" in page
    assert reverse("devices:voucher-detail", args=[sims.pk]) in page
    voucher_activate(actor=actor_a, voucher=Voucher.objects.get(pk=sims.pk))
    page = client_a.get(reverse("devices:kit-loan-detail", args=[kit_loan.pk])).content.decode()
    assert "Activated" in page and "Theirs to use" not in page


def test_kit_pages_add_a_voucher_line_and_lend_with_or_without_it(client, org_a, staff_a, kit, sims, resident_a):
    client.force_login(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR).user)
    url = reverse("devices:kit-list")
    response = client.post(url, {"name": "Tablet and data", "kinds": ["tablet"], "voucher_kind": "data_code"})
    assert response.status_code == 302
    assert "Data voucher code" in client.get(url).content.decode()
    page = client.post(url, {"name": "Bad", "kinds": ["tablet"], "voucher_kind": "social_tariff"}).content.decode()
    assert "Choose a SIM card, a data voucher code or a Wi-Fi voucher, or none" in page
    client.force_login(staff_a.user)
    LoanPolicy.objects.create(organisation=org_a, max_open_loans_per_resident=3)
    lend = reverse("devices:kit-lend", args=[resident_a.pk])
    assert "SIM or data voucher with it" in client.get(lend).content.decode()
    DeviceFactory(owning_organisation=org_a, asset_tag="LAP-1", kind=DeviceKind.LAPTOP)
    DeviceFactory(owning_organisation=org_a, asset_tag="LAP-2", kind=DeviceKind.LAPTOP)
    data = {"kit": kit.pk, "tags": "lap-1", "agreement_method": "signed_paper", "agreement_accepted": "on",
            "issue_voucher": "on"}  # fmt: skip
    assert client.post(lend, data).status_code == 302
    assert KitLoan.objects.get().voucher_id == sims.pk
    page = client.post(lend, {**data, "tags": "lap-2"}).content.decode()  # the second SIM in six months
    assert "The kit&#x27;s SIM card cannot be issued" in page and KitLoan.objects.count() == 1
    del data["issue_voucher"]  # unticked
    assert client.post(lend, {**data, "tags": "lap-2"}).status_code == 302
    assert KitLoan.objects.filter(voucher__isnull=True).count() == 1


def test_a_kit_with_a_voucher_through_the_api(api_a, kit, sims, org_a, resident_a, actor_a):
    assert api_a.get("/api/v1/kits/").json()["results"][0]["voucher_kind"] == "sim_card"
    DeviceFactory(owning_organisation=org_a, asset_tag="LAP-1", kind=DeviceKind.LAPTOP)
    body = {"kit": kit.pk, "resident": str(resident_a.pk), "devices": ["LAP-1"], "agreement_method": "signed_paper",
            "agreement_accepted": True}  # fmt: skip
    response = api_a.post("/api/v1/kit-loans/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["voucher"] == {"id": sims.pk, "provider": "Vodafone", "kind": "sim_card",
                                          "code": "••••5432", "status": "issued"}  # fmt: skip
    LoanPolicy.objects.create(organisation=org_a, max_open_loans_per_resident=3)
    DeviceFactory(owning_organisation=org_a, asset_tag="LAP-2", kind=DeviceKind.LAPTOP)
    response = api_a.post("/api/v1/kit-loans/", {**body, "devices": ["LAP-2"]}, format="json")
    assert response.status_code == 409
    assert [(e["code"], e["attr"]) for e in response.json()["errors"]] == [("not_eligible", "issue_voucher")]
    response = api_a.post("/api/v1/kit-loans/", {**body, "devices": ["LAP-2"], "issue_voucher": False}, format="json")
    assert response.status_code == 201 and response.json()["voucher"] is None


def test_a_kit_without_a_voucher_says_null_in_the_api_as_its_schema_does(api_a, org_a):
    from devices.models import Kit

    Kit.objects.create(organisation=org_a, name="Laptop kit", kinds=["laptop"], accessories=["charger"])
    [kit] = api_a.get("/api/v1/kits/").json()["results"]
    assert kit["voucher_kind"] is None
    schema = api_a.get("/api/schema/?format=json").json()["components"]["schemas"]["KitOutput"]
    assert schema["properties"]["voucher_kind"]["nullable"] is True
