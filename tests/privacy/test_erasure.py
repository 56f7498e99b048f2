"""Erasure (inclusion/privacy/erasure.py): a resident anonymised across every app, through each app's registered
`erase`, keeping what the reports need; only by their owning organisation, once, on the real database."""

import datetime as dt

import pytest
from django.http import Http404

from devices import services as device_services
from devices.models import DeviceEvent, Loan
from devices.reservations import services as reservation_services
from devices.vouchers import services as voucher_services
from inclusion import registry
from inclusion.choices import AgeBand, ConsentPurpose
from inclusion.errors import DomainError
from inclusion.messaging.models import Message
from inclusion.models import CaseEvent, Consent, ContactProposal, Resident
from inclusion.privacy import proposals
from inclusion.privacy.erasure import age_band_on, resident_erase
from inclusion.privacy.models import Erasure
from inclusion.selectors import resident_subject_access
from inclusion.services import consent_withdraw, note_add, resident_restriction_set, resident_update

from ..devices.factories import DeviceFactory
from ..devices.vouchers.factories import VoucherBatchFactory, VoucherFactory
from ..factories import ResidentFactory

pytestmark = pytest.mark.django_db

SECRETS = (
    "Margaret",
    "Oduya",
    "WV1 1AA",
    "7911123456",
    "7812345678",
    "example.com",
    "Tobias",
    "sister",
    "CRIME-99",
    "Flat 4",
)


@pytest.fixture
def lived(actor_a, actor_b, resident_a, org_a, org_b, sharing):
    """Margaret, with something of hers in every app: notes, a withdrawn consent, a loan with a typed name and
    notes (lent by the other organisation, so it shares her), a waiting-list place, a failed voucher, a message
    and a pending contact proposal."""
    Resident.objects.filter(pk=resident_a.pk).update(
        date_of_birth=dt.date(1961, 5, 2), address_line_1="Flat 4, Tower Court", phone="+447911123456",
        email="margaret@example.com", accessibility_needs="Uses a screen reader", gender="woman",
        ethnicity="black_african", employment_status="retired", referral_source_detail="Her sister told her",
    )  # fmt: skip
    resident_a.refresh_from_db()
    note_add(actor=actor_a, resident=resident_a, body="Margaret's sister Tobias rings on Tuesdays")
    marketing = Consent.objects.create(resident=resident_a, purpose=ConsentPurpose.CONTACT_SMS, channel="paper",
                                       wording_version="2026-01", organisation=org_a)  # fmt: skip
    consent_withdraw(actor=actor_a, consent=marketing, channel="phone", note="Tobias asked on her behalf")
    device = DeviceFactory(owning_organisation=org_b, asset_tag="B-1")
    sharing.share(resident_a, org_b)  # as a referral would, for b to lend to her
    loan = device_services.loan_create(actor=actor_b, device=device, resident=resident_a,
                                       agreement_method="verbal_witnessed", witness_name="Tobias Oduya",
                                       notes="Margaret will collect on Friday")  # fmt: skip
    Loan.objects.filter(pk=loan.pk).update(accepted_name="Margaret Oduya")
    device_services.loan_extend(actor=actor_b, loan=loan, reason="Margaret is in hospital")
    device_services.loan_return(actor=actor_b, loan=loan, condition="good", notes="Left with her sister")
    sharing.end(resident_a, org_b)
    Loan.objects.filter(pk=loan.pk).update(police_reference="CRIME-99")
    reservation_services.reservation_create(actor=actor_a, resident=resident_a, kind="tablet",
                                            note="Margaret prefers a large screen")  # fmt: skip
    VoucherBatchFactory(organisation=org_a)
    VoucherFactory.create_batch(2, batch=VoucherBatchFactory(organisation=org_a))
    voucher = voucher_services.voucher_issue(actor=actor_a, resident=resident_a, kind="data_code")
    voucher_services.voucher_fail(actor=actor_a, voucher=voucher, reason="Margaret's phone is locked", replace=False)
    Message.objects.create(natural_key="t-1", kind="digest", audience="resident", organisation=org_a,
                           resident=resident_a, channel="sms", recipient="+447911123456",
                           body="Margaret, your laptop is due", status="sent")  # fmt: skip
    Message.objects.create(natural_key="t-2", kind="digest", audience="resident", organisation=org_a,
                           resident=resident_a, channel="sms", recipient="+447911123456",
                           body="Margaret, your laptop is overdue", status="pending")  # fmt: skip
    return {"loan": loan, "voucher": voucher}


def test_every_app_that_holds_resident_data_registers_an_erase():
    without = {data.name for data in registry.resident_data_providers() if data.erase is None}
    # Their details and their field history are erased by resident_erase itself (the history last, after every
    # provider's own changes are written to it); the access log holds ids only and is never changed.
    assert without == {"details", "field_history", "access_log"}


def test_erasure_removes_personal_data_and_free_text_from_every_app(actor_a, resident_a, lived):
    before = str(resident_subject_access(resident=resident_a))
    assert [secret for secret in ("Margaret", "Tobias", "CRIME-99", "Flat 4") if secret not in before] == []

    erasure = resident_erase(actor=actor_a, resident=resident_a, reason="Asked to be forgotten")
    resident_a.refresh_from_db()

    after = str(resident_subject_access(resident=resident_a))
    for secret in SECRETS:
        assert secret not in after, secret
    assert (resident_a.first_name, resident_a.last_name, resident_a.phone, resident_a.email) == (
        "Anonymised", "resident", "", "")  # fmt: skip
    history = resident_a.field_history.all()  # inclusion/audit.py: every earlier value of their details, blanked
    assert history.exists() and not history.filter(first_name="Margaret").exists()
    assert not CaseEvent.objects.filter(resident=resident_a).exclude(body="").exists()
    assert not DeviceEvent.objects.filter(data__loan=lived["loan"].pk).exclude(note="").exists()
    assert Erasure.objects.get(resident=resident_a) == erasure and resident_a.restricted_at is not None
    assert Message.objects.get(natural_key="t-2").status == "skipped"


def test_erasure_forgets_the_apis_kept_responses_that_name_them(actor_a, resident_a, org_a):
    from django.utils import timezone

    from inclusion.models import IdempotencyRecord
    from inclusion.services import api_key_create

    row, _ = api_key_create(organisation=org_a, name="partner system")
    later = timezone.now() + dt.timedelta(hours=24)
    for n, resident in enumerate((resident_a, ResidentFactory(owning_organisation=org_a))):
        IdempotencyRecord.objects.create(api_key=row, key=f"k{n}", fingerprint="f", status_code=201,
                                         content_type="application/json", expires_at=later,
                                         body=f'{{"id": "{resident.pk}", "first_name": "Margaret"}}'.encode())  # fmt: skip
    resident_erase(actor=actor_a, resident=resident_a, reason="Asked to be forgotten")
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["k1"]


def test_erasure_keeps_what_the_reports_count(actor_a, resident_a, lived):
    loan, voucher = lived["loan"], lived["voucher"]
    resident_erase(actor=actor_a, resident=resident_a, reason="Asked to be forgotten")
    resident_a.refresh_from_db()
    loan.refresh_from_db()
    voucher.refresh_from_db()
    assert resident_a.age_band == AgeBand.AGE_65_74 and resident_a.date_of_birth is None
    assert (resident_a.local_authority, resident_a.gender, resident_a.ethnicity, resident_a.employment_status) == (
        "wolverhampton", "woman", "black_african", "retired")  # fmt: skip
    assert (loan.outcome, loan.started_on, loan.returned_on, loan.extensions) == ("returned", loan.started_on,
                                                                                   loan.returned_on, 1)  # fmt: skip
    assert loan.witness_name == "[erased]" and loan.accepted_name == "" and loan.closing_notes == ""
    assert (voucher.status, voucher.resident_id, voucher.issued_at is not None) == ("failed", resident_a.pk, True)
    assert Message.objects.filter(resident=resident_a).count() == 2
    assert CaseEvent.objects.filter(resident=resident_a, kind="anonymised").count() == 1


def test_only_the_owning_organisation_erases_and_only_once(actor_a, actor_b, resident_a, lived, sharing, org_b):
    # (lived's loan by b is closed and its sharing ended)
    with pytest.raises(Http404):  # b's loan is closed: b no longer sees her, and is told nothing more
        resident_erase(actor=actor_b, resident=resident_a, reason="Asked")
    sharing.share(resident_a, org_b)
    with pytest.raises(DomainError) as linked:
        resident_erase(actor=actor_b, resident=resident_a, reason="Asked")
    assert linked.value.code == "not_owner"
    with pytest.raises(DomainError) as blank:
        resident_erase(actor=actor_a, resident=resident_a, reason="  ")
    assert (blank.value.field, blank.value.code) == ("reason", "required")
    resident_a.refresh_from_db()
    assert resident_a.first_name == "Margaret" and not Erasure.objects.exists()  # nothing half-written
    resident_erase(actor=actor_a, resident=resident_a, reason="Asked")
    with pytest.raises(DomainError) as again:
        resident_erase(actor=actor_a, resident=resident_a, reason="Asked")
    assert again.value.code == "already_erased"


def test_an_anonymised_record_cannot_be_changed_or_unrestricted(actor_a, resident_a):
    resident_erase(actor=actor_a, resident=resident_a, reason="Asked")
    with pytest.raises(DomainError) as changed:
        resident_update(actor=actor_a, resident=resident_a, first_name="Margaret")
    assert (changed.value.code, changed.value.message) == (
        "restricted",
        "This record is anonymised: nothing can be added or changed.",
    )
    with pytest.raises(DomainError) as lifted:
        resident_restriction_set(actor=actor_a, resident=resident_a, restricted=False, reason="Mistake")
    assert lifted.value.code == "anonymised"


def test_a_pending_contact_proposal_is_closed_and_emptied(actor_a, actor_b, resident_a, sharing, org_b):
    sharing.share(resident_a, org_b)
    proposal = proposals.contact_update_propose(actor=actor_b, resident=resident_a, phone="07812 345678")
    resident_erase(actor=actor_a, resident=resident_a, reason="Asked")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.changes) == (ContactProposal.Status.REJECTED, {})


@pytest.mark.parametrize(("born", "on", "band"), [
    (dt.date(2000, 6, 2), dt.date(2018, 6, 1), AgeBand.UNDER_18),
    (dt.date(2000, 6, 2), dt.date(2018, 6, 2), AgeBand.AGE_18_24),
    (dt.date(1950, 1, 1), dt.date(2026, 3, 31), AgeBand.AGE_75_PLUS),
])  # fmt: skip
def test_the_age_band_kept_is_the_one_the_reports_count(born, on, band):
    assert age_band_on(born, on) == band


# The staff page (on request)


def test_a_coordinator_anonymises_on_request_with_errors_on_each_field(client, resident_a, org_a, staff_a):
    from django.urls import reverse

    from inclusion import choices

    from ..factories import MembershipFactory

    url = reverse("resident-anonymise", args=[resident_a.pk])
    client.force_login(staff_a.user)  # frontline
    assert client.get(url).status_code == 403
    client.force_login(MembershipFactory(organisation=org_a, role=choices.Role.COORDINATOR).user)
    detail = client.get(reverse("resident-detail", args=[resident_a.pk])).content.decode()
    assert url in detail
    refused = client.post(url, {"reason": ""}).content.decode()
    assert "Enter why their record is being anonymised" in refused and 'href="#id_reason"' in refused
    assert "Confirm that you understand it cannot be undone" in refused
    assert not Erasure.objects.exists()
    done = client.post(url, {"reason": "Asked on the phone", "understood": "on"})
    assert done.status_code == 302
    resident_a.refresh_from_db()
    assert resident_a.first_name == "Anonymised"
    page = client.get(reverse("resident-detail", args=[resident_a.pk])).content.decode()
    assert "Their record is anonymised" in page and url not in page


def test_what_the_webhooks_sent_about_them_is_scrubbed_too(actor_a, resident_a, org_b):
    from inclusion.services import consent_record
    from referrals.models import WebhookDelivery
    from referrals.services import referral_create
    from referrals.webhooks import webhook_endpoint_create

    from ..referrals.factories import ServiceFactory

    webhook_endpoint_create(actor=actor_a, url="https://crm.example.org/hooks")
    consent_record(actor=actor_a, resident=resident_a, purpose="sharing", channel="paper")
    referral_create(actor=actor_a, resident=resident_a, service=ServiceFactory(organisation=org_b), need="skills",
                    reason="Margaret wants to email her grandson")  # fmt: skip
    assert "Margaret" in str(WebhookDelivery.objects.get().payload)
    resident_erase(actor=actor_a, resident=resident_a, reason="Asked")
    payload = WebhookDelivery.objects.get().payload
    assert "Margaret" not in str(payload) and "Oduya" not in str(payload)
    assert (payload["type"], payload["referral"]["resident"], payload["referral"]["need"]) == (
        "referral.created", None, "skills")  # fmt: skip
