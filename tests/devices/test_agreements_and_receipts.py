"""The loan agreement kept exactly as accepted (versions, SHA-256, how it was accepted) and what is printed for
the resident: the agreement, the loan receipt and the return receipt, as pages and as PDFs read back with pypdf."""

import hashlib
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from devices import services
from devices.models import LoanAgreement, WipeMethod
from inclusion import choices
from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.models import AuditEvent

from ..factories import MembershipFactory, ResidentFactory
from .factories import DeviceFactory

pytestmark = pytest.mark.django_db

TEXT = "You may use the laptop for learning and looking for work.\nBring it back by the due date."


@pytest.fixture
def coordinator_a(org_a):
    return MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR)


@pytest.fixture
def coord_actor(coordinator_a):
    return Actor.for_membership(coordinator_a)


@pytest.fixture
def coord(coordinator_a):
    client = Client()
    client.force_login(coordinator_a.user)
    return client


def _publish(actor, text=TEXT, **extra):
    return services.loan_agreement_publish(
        actor=actor, text=text, return_instructions=extra.get("return_instructions", "Library desk, Mon-Sat 9-5"),
        contact=extra.get("contact", "Digital help desk, 01902 555 0100"),
    )  # fmt: skip


def _pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_publishing_numbers_versions_and_keeps_the_old_ones_unchanged(coord_actor, org_a):
    first = _publish(coord_actor)
    second = _publish(coord_actor, text=TEXT + "\nNo streaming films.")
    assert (first.version, second.version) == (1, 2)
    first.refresh_from_db()
    assert first.text == TEXT and first.sha256 == hashlib.sha256(TEXT.encode()).hexdigest()
    assert services.loan_agreement_current(org_a) == second
    assert AuditEvent.objects.filter(action="loan_agreement.publish", organisation=org_a).count() == 2


def test_publishing_the_same_text_again_is_refused(coord_actor):
    _publish(coord_actor)
    with pytest.raises(DomainError) as refused:
        _publish(coord_actor)
    assert refused.value.code == "unchanged"
    assert LoanAgreement.objects.count() == 1


def test_versions_are_per_organisation(coord_actor, actor_b):
    _publish(coord_actor)
    assert _publish(actor_b).version == 1


def test_a_loan_keeps_the_version_and_fingerprint_it_was_accepted_against(coord_actor, actor_a, org_a, resident_a):
    agreement = _publish(coord_actor)
    loan = services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a), resident=resident_a,
                                agreement_method="on_screen", accepted_name="  Margaret   Oduya ")  # fmt: skip
    _publish(coord_actor, text="A different text")
    loan.refresh_from_db()
    assert loan.agreement == agreement and loan.agreement_terms_version == "1"
    assert loan.agreement_sha256 == hashlib.sha256(TEXT.encode()).hexdigest()
    assert loan.accepted_name == "Margaret Oduya"


def test_on_screen_acceptance_needs_the_typed_name_once_a_text_is_published(coord_actor, actor_a, org_a, resident_a):
    device = DeviceFactory(owning_organisation=org_a)
    _publish(coord_actor)
    with pytest.raises(DomainError) as refused:
        services.loan_create(actor=actor_a, device=device, resident=resident_a, agreement_method="on_screen")
    assert (refused.value.field, refused.value.code) == ("accepted_name", "required")
    # Signed on paper, no typed name is kept even if one was sent.
    loan = services.loan_create(actor=actor_a, device=device, resident=resident_a, agreement_method="signed_paper",
                                accepted_name="Someone")  # fmt: skip
    assert loan.accepted_name == ""


def test_coordinator_publishes_from_the_page_and_frontline_cannot(coord, client_a):
    url = reverse("devices:agreement-list")
    data = {"text": TEXT, "return_instructions": "Library desk", "contact": "01902 555 0100"}
    assert client_a.post(url, data).status_code == 403
    response = coord.post(url, data, follow=True)
    assert "Version 1 is published" in response.content.decode()
    assert coord.get(reverse("devices:agreement-version", args=[1])).status_code == 200
    # Empty text: a field error, nothing published.
    response = coord.post(url, {**data, "text": ""})
    assert "Enter the text of the agreement" in response.content.decode()
    assert LoanAgreement.objects.count() == 1


def test_another_organisations_agreement_version_is_404(coord_actor, client_b):
    _publish(coord_actor)
    assert client_b.get(reverse("devices:agreement-version", args=[1])).status_code == 404


def test_printed_agreement_pdf_has_the_text_and_the_residents_name(coord_actor, client_a, resident_a):
    _publish(coord_actor)
    assert "Margaret" in client_a.get(reverse("devices:agreement-print", args=[resident_a.pk])).content.decode()
    text = _pdf_text(client_a.get(reverse("devices:agreement-pdf", args=[resident_a.pk])))
    assert "Loan agreement" in text and "learning and looking for work" in text
    assert "Margaret Oduya" in text or "Margaret" in text
    assert hashlib.sha256(TEXT.encode()).hexdigest()[:16] in text.replace(" ", "")


def test_loan_receipt_pdf_lists_what_was_lent_until_when_by_whom_and_whom_to_call(
    coord_actor, actor_a, org_a, resident_a, client_a
):
    _publish(coord_actor)
    device = DeviceFactory(owning_organisation=org_a, asset_tag="LAP-042", accessories=["charger", "case"])
    loan = services.loan_create(actor=actor_a, device=device, resident=resident_a, agreement_method="signed_paper")
    page = client_a.get(reverse("devices:loan-receipt", args=[loan.pk]))
    assert page.status_code == 200 and "LAP-042" in page.content.decode()
    text = _pdf_text(client_a.get(reverse("devices:loan-receipt-pdf", args=[loan.pk])))
    for expected in (
        "Loan receipt",
        "Margaret",
        "LAP-042",
        "Good",
        "Charger, case",
        f"{loan.due_on:%-d %B %Y}",
        "Library desk",
        "01902 555 0100",
        actor_a.user.full_name,
    ):
        assert expected in text, expected  # fmt: skip


def test_return_receipt_says_the_data_was_erased_once_wiped(coord_actor, actor_a, org_a, resident_a, client_a):
    device = DeviceFactory(owning_organisation=org_a, asset_tag="LAP-043", accessories=["charger", "case"])
    loan = services.loan_create(actor=actor_a, device=device, resident=resident_a, agreement_method="signed_paper")
    assert client_a.get(reverse("devices:return-receipt", args=[loan.pk])).status_code == 404  # still open
    services.loan_return(actor=actor_a, loan=loan, condition="fair", accessories_returned=["charger"])
    text = _pdf_text(client_a.get(reverse("devices:return-receipt-pdf", args=[loan.pk])))
    assert "Return receipt" in text and "LAP-043" in text and "Not returned Case" in text
    assert "will be wiped before anyone else" in text
    services.device_wipe_record(actor=coord_actor, device=device, method=WipeMethod.NIST_PURGE,
                                wiped_on=timezone.localdate(), operator="Sam", certificate_reference="CERT-9")  # fmt: skip
    text = _pdf_text(client_a.get(reverse("devices:return-receipt-pdf", args=[loan.pk])))
    assert f"erased on {timezone.localdate():%-d %B %Y}" in text
    assert "NIST 800-88 Purge" in text and "CERT-9" in text


def test_receipts_of_another_organisations_loan_are_404(actor_a, org_a, resident_a, client_b):
    loan = services.loan_create(actor=actor_a, device=DeviceFactory(owning_organisation=org_a), resident=resident_a,
                                agreement_method="signed_paper")  # fmt: skip
    for name in ("loan-receipt", "loan-receipt-pdf", "return-receipt", "return-receipt-pdf"):
        assert client_b.get(reverse(f"devices:{name}", args=[loan.pk])).status_code == 404


def test_receipt_after_a_shared_resident_is_no_longer_shared_does_not_name_them(
    actor_a, actor_b, org_b, client_b, sharing
):
    theirs = ResidentFactory(owning_organisation=actor_a.organisation, first_name="Zainab", last_name="Okafor")
    sharing.share(theirs, org_b)
    loan = services.loan_create(actor=actor_b, device=DeviceFactory(owning_organisation=org_b), resident=theirs,
                                agreement_method="signed_paper")  # fmt: skip
    sharing.end(theirs, org_b)
    assert "Zainab" in _pdf_text(client_b.get(reverse("devices:loan-receipt-pdf", args=[loan.pk])))
    services.loan_return(actor=actor_b, loan=loan, condition="good")
    text = _pdf_text(client_b.get(reverse("devices:return-receipt-pdf", args=[loan.pk])))
    assert "Zainab" not in text and "The borrower" in text
