"""A write on a resident the acting organisation may no longer see is refused, and nothing is written.

The scene: Alpha owns a resident; Beta lent them a device, which shared them with Beta, and while it
could Beta recorded a consent and issued a voucher. Then Beta's loan closed: Beta gets 404 on the
resident. A page or a partner system of Beta's may still hold the resident, the voucher or the consent
(fetched a moment before): every service that acts on a resident checks again, inside its transaction,
with inclusion.access.resident_check_visible, and answers as for any unknown resident (404).
"""

import threading
import time
from datetime import date

import pytest
from django.db import connection, transaction
from django.http import Http404

from devices import services as devices
from devices.models import Device, DeviceStatus, Loan, Voucher, VoucherStatus
from devices.vouchers import services as vouchers
from inclusion import access, registry
from inclusion import services as core
from inclusion.models import CaseEvent, Consent

from .devices.factories import DeviceFactory
from .devices.vouchers.factories import VoucherFactory
from .factories import ResidentFactory

pytestmark = pytest.mark.django_db


def _lend(actor, device, resident):
    return devices.loan_create(actor=actor, device=device, resident=resident, agreement_method="signed_paper")


@pytest.fixture
def ended(org_a, org_b, actor_b, sharing):
    """Beta's access to Alpha's resident has ended; what Beta's pages still hold is returned. (A referral
    shared the resident with Beta first, so that Beta could lend; it ended while the loan was open.)"""
    resident = ResidentFactory(owning_organisation=org_a, first_name="Zebedee", last_name="Quartermaine")
    sharing.share(resident, org_b)
    loan = _lend(actor_b, DeviceFactory(owning_organisation=org_b, asset_tag="B-1"), resident)
    sharing.end(resident, org_b)
    consent = core.consent_record(actor=actor_b, resident=resident, purpose="contact_sms", channel="paper")
    VoucherFactory.create_batch(3, batch__organisation=org_b, batch__provider__slug="beta-net")
    voucher = vouchers.voucher_issue(actor=actor_b, resident=resident, kind="data_code")
    devices.loan_return(actor=actor_b, loan=loan, condition="good")
    with pytest.raises(Http404):
        access.resident_get_visible(org_b, resident.pk)
    return {"resident": resident, "consent": consent, "voucher": voucher, "loan": loan}


def _written(resident) -> dict:
    """Everything a write on the resident could add or change."""
    resident.refresh_from_db()
    return {
        "events": CaseEvent.objects.filter(resident=resident).count(),
        "consents": list(Consent.objects.filter(resident=resident).values_list("pk", "withdrawn_at")),
        "loans": list(Loan.objects.filter(resident=resident).values_list("pk", "closed_at", "due_on")),
        "vouchers": list(Voucher.objects.filter(resident=resident).values_list("pk", "status")),
        "name": resident.first_name,
        "devices": list(Device.objects.values_list("pk", "status")),
    }


def _refused(ended, write):
    before = _written(ended["resident"])
    with pytest.raises(Http404, match="^No such resident$"):
        write()
    assert _written(ended["resident"]) == before


def test_resident_update_after_access_ended_is_refused(ended, actor_b):
    _refused(ended, lambda: core.resident_update(actor=actor_b, resident=ended["resident"], first_name="Hacked"))


def test_note_add_after_access_ended_is_refused(ended, actor_b):
    _refused(ended, lambda: core.note_add(actor=actor_b, resident=ended["resident"], body="Still here?"))


def test_consent_record_after_access_ended_is_refused(ended, actor_b):
    _refused(ended, lambda: core.consent_record(actor=actor_b, resident=ended["resident"], purpose="sharing",
                                                channel="paper"))  # fmt: skip


def test_consent_withdraw_after_access_ended_is_refused(ended, actor_b):
    _refused(ended, lambda: core.consent_withdraw(actor=actor_b, consent=ended["consent"], channel="phone"))


def test_loan_create_after_access_ended_is_refused(ended, actor_b, org_b):
    device = DeviceFactory(owning_organisation=org_b, asset_tag="B-2")
    _refused(ended, lambda: _lend(actor_b, device, ended["resident"]))
    device.refresh_from_db()
    assert device.status == DeviceStatus.READY


def test_voucher_issue_after_access_ended_is_refused(ended, actor_b):
    _refused(ended, lambda: vouchers.voucher_issue(actor=actor_b, resident=ended["resident"], kind="data_code"))


def test_voucher_reveal_after_access_ended_is_refused(ended, actor_b):
    _refused(ended, lambda: vouchers.voucher_reveal(actor=actor_b, voucher=ended["voucher"]))


def test_voucher_activate_after_access_ended_is_refused(ended, actor_b):
    _refused(ended, lambda: vouchers.voucher_activate(actor=actor_b, voucher=ended["voucher"]))


def test_voucher_fail_after_access_ended_is_refused_and_no_replacement_is_issued(ended, actor_b):
    _refused(ended, lambda: vouchers.voucher_fail(actor=actor_b, voucher=ended["voucher"], reason="x", replace=True))
    assert Voucher.objects.filter(status=VoucherStatus.ISSUED).count() == 1


def test_voucher_withdraw_after_access_ended_is_refused(ended, actor_b):
    _refused(ended, lambda: vouchers.voucher_withdraw(actor=actor_b, voucher=ended["voucher"], reason="x"))


def test_an_available_voucher_is_still_withdrawn_without_a_resident_to_check(ended, actor_b, org_b):
    available = Voucher.objects.filter(batch__organisation=org_b, status=VoucherStatus.AVAILABLE).first()
    assert vouchers.voucher_withdraw(actor=actor_b, voucher=available).status == VoucherStatus.WITHDRAWN


def test_the_partner_api_cannot_fail_a_voucher_of_a_resident_it_no_longer_sees(ended, api_b):
    """The case the issue found: B's voucher, B's key, after B's loan closed."""
    before = _written(ended["resident"])
    response = api_b.post(f"/api/v1/vouchers/{ended['voucher'].pk}/fail/", {"reason": "x", "replace": True},
                          format="json")  # fmt: skip
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
    assert "Zebedee" not in response.content.decode()
    assert _written(ended["resident"]) == before


# The loan services: an open loan shares the resident, so access ends with it, unless the rule changes under
# a loan (a link withdrawn, a resident erased). Withdrawing the "open loans" link stands for that here.


@pytest.fixture
def unshared(org_a, org_b, actor_b, sharing):
    resident = ResidentFactory(owning_organisation=org_a)
    sharing.share(resident, org_b)
    loan = _lend(actor_b, DeviceFactory(owning_organisation=org_b, asset_tag="B-3"), resident)
    sharing.end(resident, org_b)
    provider = registry.resident_links()["open loans"]
    registry.unregister_resident_link("open loans")
    yield {"resident": resident, "loan": loan}
    registry.register_resident_link("open loans", provider)


@pytest.mark.parametrize(
    "write",
    [
        lambda actor, loan: devices.loan_extend(actor=actor, loan=loan),
        lambda actor, loan: devices.loan_return(actor=actor, loan=loan, condition="good", returned_on=date.today()),
        lambda actor, loan: devices.loan_report_lost(actor=actor, loan=loan),
        lambda actor, loan: devices.loan_gift(actor=actor, loan=loan),
    ],
    ids=["loan_extend", "loan_return", "loan_report_lost", "loan_gift"],
)
def test_loan_services_check_the_resident_is_still_visible(unshared, actor_b, write):
    _refused(unshared, lambda: write(actor_b, unshared["loan"]))
    assert Loan.objects.get(pk=unshared["loan"].pk).is_open


@pytest.mark.django_db(transaction=True)
def test_a_write_waiting_on_a_closing_loan_sees_that_access_has_ended(org_a, org_b, actor_b, sharing):
    """The check locks the resident and then reads: a voucher marked activated while Beta's loan is being
    returned waits for the return and is then refused, rather than deciding on what it read before the return
    committed."""
    resident = ResidentFactory(owning_organisation=org_a)
    sharing.share(resident, org_b)
    loan = _lend(actor_b, DeviceFactory(owning_organisation=org_b, asset_tag="B-4"), resident)
    sharing.end(resident, org_b)
    VoucherFactory.create_batch(2, batch__organisation=org_b)
    voucher = vouchers.voucher_issue(actor=actor_b, resident=resident, kind="data_code")
    returning, outcome = threading.Event(), []

    def return_slowly():
        try:
            with transaction.atomic():
                devices.loan_return(actor=actor_b, loan=loan, condition="good")
                returning.set()
                time.sleep(0.5)
        finally:
            connection.close()

    def activate_meanwhile():
        try:
            returning.wait(5)
            vouchers.voucher_activate(actor=actor_b, voucher=voucher)
            outcome.append("activated")
        except Http404:
            outcome.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=return_slowly), threading.Thread(target=activate_meanwhile)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcome == ["refused"]
    assert Voucher.objects.get(pk=voucher.pk).status == VoucherStatus.ISSUED
