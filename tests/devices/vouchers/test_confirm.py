"""Issuing a data voucher from the staff web asks to confirm first: it uses the resident's allowance."""

import pytest
from django.urls import reverse
from django.utils import timezone

from devices.models import Voucher, VoucherKind

from .factories import ProviderFactory, VoucherBatchFactory, VoucherFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch_a(org_a):
    batch = VoucherBatchFactory(organisation=org_a, provider=ProviderFactory(name="National Databank"),
                                eligibility_window_days=183)  # fmt: skip
    for n in range(2):
        VoucherFactory(batch=batch, code=f"NDB-SECRET-{n:04d}")
    return batch


def test_choosing_a_voucher_asks_to_confirm_before_issuing_it(client_a, resident_a, batch_a):
    url = reverse("devices:voucher-issue", args=[resident_a.pk])
    response = client_a.post(url, {"kind": VoucherKind.DATA_CODE})
    body = response.content.decode()
    assert response.status_code == 200 and not Voucher.objects.filter(resident=resident_a).exists()
    until = timezone.localdate() + timezone.timedelta(days=183)
    assert "Issue a data voucher code to Margaret Oduya?" in body
    assert "This uses their allowance" in body and f"{until:%-d %B %Y}" in body
    assert 'name="confirmed" value="on"' in body and "Yes, issue the voucher" in body

    response = client_a.post(url, {"kind": VoucherKind.DATA_CODE, "confirmed": "on"})
    voucher = Voucher.objects.get(resident=resident_a)
    assert response.status_code == 302 and response.url == reverse("devices:voucher-issued", args=[voucher.pk])


def test_the_confirmation_page_with_a_bad_choice_goes_back_to_the_form(client_a, resident_a, batch_a):
    response = client_a.post(
        reverse("devices:voucher-issue", args=[resident_a.pk]), {"kind": "pigeon", "confirmed": "on"}
    )
    body = response.content.decode()
    assert "There is a problem" in body and "Choose what they need" in body
    assert not Voucher.objects.filter(resident=resident_a).exists()
