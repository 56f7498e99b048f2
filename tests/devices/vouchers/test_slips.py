"""The printable voucher slip: the code and how to activate it, in the resident's language where a template
exists; putting the code on paper is a reveal (the same check as "Show code", on the timeline)."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from devices.vouchers.events import VoucherEventKind
from devices.vouchers.services import voucher_issue
from devices.vouchers.views import slip_template
from inclusion import choices
from inclusion.models import CaseEvent

from ...factories import MembershipFactory, ResidentFactory
from .factories import ProviderFactory, VoucherBatchFactory, VoucherFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def voucher(org_a, actor_a):
    batch = VoucherBatchFactory(organisation=org_a, provider=ProviderFactory(name="Vodafone"), kind="data_code",
                                data_allowance_gb=20, validity_days=30)  # fmt: skip
    VoucherFactory(batch=batch, code="VDF-1234-5678-9999")
    resident = ResidentFactory(owning_organisation=org_a, first_name="Zofia", last_name="Nowak",
                               preferred_language="Polish")  # fmt: skip
    return voucher_issue(actor=actor_a, resident=resident, kind="data_code")


def _text(response) -> str:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_slip_has_the_code_in_the_residents_language_and_goes_on_the_timeline(client_a, voucher):
    url = reverse("devices:voucher-slip", args=[voucher.pk])
    assert client_a.get(url).status_code == 405  # a reveal is a POST
    response = client_a.post(url)
    assert "no-store" in response["Cache-Control"]
    text = _text(response)
    assert "VDF-1234-5678-9999" in text and "Twój kod" in text and "Zofia Nowak" in text and "20 GB" in text
    event = CaseEvent.objects.get(resident=voucher.resident, kind=VoucherEventKind.VOUCHER_REVEALED)
    assert voucher.code not in event.summary


def test_slip_falls_back_to_english_without_a_template_for_the_language(client_a, voucher):
    voucher.resident.preferred_language = "Tigrinya"
    voucher.resident.save()
    text = _text(client_a.post(reverse("devices:voucher-slip", args=[voucher.pk])))
    assert "Your code" in text and "VDF-1234-5678-9999" in text
    assert slip_template("../../base") == "devices/vouchers/slips/english.html"  # nothing but letters chosen


def test_slip_is_refused_like_show_code_to_viewers_and_other_organisations(client, org_a, client_b, voucher):
    url = reverse("devices:voucher-slip", args=[voucher.pk])
    assert client_b.post(url).status_code == 404
    client.force_login(MembershipFactory(organisation=org_a, role=choices.Role.VIEWER).user)
    assert client.post(url).status_code == 403
    assert not CaseEvent.objects.filter(kind=VoucherEventKind.VOUCHER_REVEALED).exists()
