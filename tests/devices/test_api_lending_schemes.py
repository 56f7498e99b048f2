"""The partner API for kits, the waiting list, receipts (PDF), renewals and the returns desk: status, shape, the
one error format, and another organisation's records as 404."""

import io

import pytest
from pypdf import PdfReader

from devices import services
from devices.models import DeviceKind, KitLoan, Loan, Reservation
from devices.reservations import services as reservations

from ..factories import ResidentFactory
from .factories import DeviceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kit_a(actor_a):
    return services.kit_create(actor=actor_a, name="Chromebook starter kit", kinds=["chromebook", "mifi"])


def _kit_devices(org):
    return [DeviceFactory(owning_organisation=org, asset_tag="CB-1", kind=DeviceKind.CHROMEBOOK),
            DeviceFactory(owning_organisation=org, asset_tag="MF-1", kind=DeviceKind.MIFI)]  # fmt: skip


def test_lend_a_kit_and_read_it_back(api_a, kit_a, org_a, resident_a):
    _kit_devices(org_a)
    assert [kit["name"] for kit in api_a.get("/api/v1/kits/").json()["results"]] == ["Chromebook starter kit"]
    body = {"kit": kit_a.pk, "resident": str(resident_a.pk), "devices": ["cb-1", "MF-1"],
            "agreement_method": "signed_paper", "agreement_accepted": True}  # fmt: skip
    response = api_a.post("/api/v1/kit-loans/", body, format="json")
    assert response.status_code == 201, response.content
    kit_loan = KitLoan.objects.get()
    assert [item["device"] for item in response.json()["items"]] == ["CB-1", "MF-1"]
    assert api_a.get(f"/api/v1/kit-loans/{kit_loan.pk}/").json()["kit_name"] == "Chromebook starter kit"


def test_a_kit_that_does_not_match_is_a_422_in_the_one_format(api_a, kit_a, org_a, resident_a):
    DeviceFactory(owning_organisation=org_a, asset_tag="CB-1", kind=DeviceKind.CHROMEBOOK)
    body = {"kit": kit_a.pk, "resident": str(resident_a.pk), "devices": ["CB-1"],
            "agreement_method": "signed_paper", "agreement_accepted": True}  # fmt: skip
    response = api_a.post("/api/v1/kit-loans/", body, format="json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "kit_mismatch"
    response = api_a.post("/api/v1/kit-loans/", {**body, "devices": ["NOPE"]}, format="json")
    assert response.status_code == 422 and response.json()["errors"][0]["attr"] == "devices"
    assert not Loan.objects.exists()


def test_another_organisations_kit_and_kit_loan_are_not_found(api_b, kit_a, actor_a, org_a, resident_a):
    kit_loan = services.kit_loan_create(actor=actor_a, kit=kit_a, resident=resident_a, devices=_kit_devices(org_a),
                                        agreement_method="signed_paper")  # fmt: skip
    assert api_b.get(f"/api/v1/kit-loans/{kit_loan.pk}/").status_code == 404
    assert api_b.get("/api/v1/kits/").json()["results"] == []
    body = {"kit": kit_a.pk, "resident": str(resident_a.pk), "devices": ["CB-1"], "agreement_method": "signed_paper",
            "agreement_accepted": True}  # fmt: skip
    errors = api_b.post("/api/v1/kit-loans/", body, format="json").json()["errors"]
    assert {error["code"] for error in errors} == {"does_not_exist"}  # kit, resident and devices alike


def test_receipts_as_pdf(api_a, api_b, actor_a, org_a, resident_a):
    loan = services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a, asset_tag="LAP-9"),
                                resident=resident_a, agreement_method="signed_paper")  # fmt: skip
    response = api_a.get(f"/api/v1/loans/{loan.pk}/receipt/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "LAP-9" in text and "Margaret" in text
    assert api_a.get(f"/api/v1/loans/{loan.pk}/return-receipt/").status_code == 404  # not returned yet
    services.loan_return(actor=actor_a, loan=loan, condition="good")
    response = api_a.get(f"/api/v1/loans/{loan.pk}/return-receipt/")
    assert "Return receipt" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert api_b.get(f"/api/v1/loans/{loan.pk}/receipt/").status_code == 404


def test_renew_an_open_ended_loan(api_a, actor_a, org_a, resident_a):
    loan = services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a), resident=resident_a,
                                agreement_method="signed_paper", open_ended=True)  # fmt: skip
    response = api_a.post(f"/api/v1/loans/{loan.pk}/renew/", {"note": "Still on the course"}, format="json")
    assert response.status_code == 200 and response.json()["renewals"] == 1 and response.json()["open_ended"]
    fixed = services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a),
                                 resident=ResidentFactory(owning_organisation=org_a), agreement_method="signed_paper")  # fmt: skip
    response = api_a.post(f"/api/v1/loans/{fixed.pk}/renew/", {}, format="json")
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "not_open_ended"


def test_waiting_list_through_the_api(api_a, api_b, resident_a):
    response = api_a.post("/api/v1/reservations/", {"resident": str(resident_a.pk), "kind": "tablet"}, format="json")
    assert response.status_code == 201 and response.json()["status"] == "waiting"
    pk = response.json()["id"]
    again = api_a.post("/api/v1/reservations/", {"resident": str(resident_a.pk), "kind": "tablet"}, format="json")
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "duplicate"
    assert [r["id"] for r in api_a.get("/api/v1/reservations/").json()["results"]] == [pk]
    assert api_b.get(f"/api/v1/reservations/{pk}/").status_code == 404
    assert api_b.post(f"/api/v1/reservations/{pk}/cancel/", {"reason": "x"}, format="json").status_code == 404
    assert api_b.get("/api/v1/reservations/").json()["results"] == []
    response = api_a.post(f"/api/v1/reservations/{pk}/cancel/", {"reason": "Moved away"}, format="json")
    assert response.json()["closed_reason"] == "Cancelled: Moved away"
    assert Reservation.objects.get().status == "cancelled"


def test_lending_a_device_held_for_someone_else_is_a_409(api_a, actor_a, org_a, resident_a):
    other = ResidentFactory(owning_organisation=org_a)
    reservations.reservation_create(actor=actor_a, resident=other, kind="laptop")
    from inclusion import choices
    from inclusion.actors import Actor

    from ..factories import MembershipFactory

    coordinator = Actor.for_membership(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR))
    device = services.device_transition(actor=coordinator, device=DeviceFactory(owning_organisation=org_a,
                                        status="wiped", asset_tag="HOLD-1"), to_status="ready")  # fmt: skip
    body = {"device": device.asset_tag, "resident": str(resident_a.pk), "agreement_method": "signed_paper",
            "agreement_accepted": True}  # fmt: skip
    response = api_a.post("/api/v1/loans/", body, format="json")
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "held_for_reservation"


def test_bulk_check_in_through_the_api(api_a, api_b, actor_a, org_a, resident_a):
    services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a, asset_tag="RET-1"),
                         resident=resident_a, agreement_method="signed_paper")  # fmt: skip
    # B scanning A's tag finds nothing of A's, and says nothing of it.
    assert (
        api_b.post("/api/v1/check-in/", {"tags": ["RET-1"]}, format="json").json()["results"][0]["outcome"]
        == "no_match"
    )
    response = api_a.post("/api/v1/check-in/", {"tags": ["ret-1", "NOPE"]}, format="json")
    assert response.status_code == 200
    assert [(r["tag"], r["outcome"]) for r in response.json()["results"]] == [
        ("ret-1", "returned"),
        ("NOPE", "no_match"),
    ]
    assert api_a.post("/api/v1/check-in/", {"tags": []}, format="json").status_code == 400


def test_the_schema_documents_the_new_endpoints(api_a):
    schema = api_a.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "200" in paths["/api/v1/check-in/"]["post"]["responses"]  # it answers 200, not 201
    assert "application/pdf" in paths["/api/v1/loans/{id}/receipt/"]["get"]["responses"]["200"]["content"]
    assert {"409", "422"} <= set(paths["/api/v1/kit-loans/"]["post"]["responses"])
    assert "404" in paths["/api/v1/reservations/{id}/cancel/"]["post"]["responses"]
