"""Lending needs a recorded processing consent and a way to reach the resident; a voucher needs the consent.

The issue found a resident registered with only an age band and a postcode lent a Chromebook, who could not
be chased when it was overdue. Consent is recorded for every purpose in one go, and "refused" is an answer
that is kept (and said, with its date) but is never a current consent.
"""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from devices import services as devices
from devices.models import DeviceStatus, Loan, Voucher
from devices.vouchers import services as vouchers
from inclusion.errors import DomainError
from inclusion.models import CaseEvent, Consent
from inclusion.services import consent_record, consent_withdraw, consents_record, resident_register

from .devices.factories import DeviceFactory
from .devices.vouchers.factories import VoucherFactory
from .factories import ResidentFactory

pytestmark = pytest.mark.django_db


def _lend(actor, resident, tag="CHR-1"):
    device = DeviceFactory(owning_organisation=actor.organisation, asset_tag=tag, kind="chromebook")
    return devices.loan_create(actor=actor, device=device, resident=resident, agreement_method="signed_paper")


def _refused(call, code):
    with pytest.raises(DomainError) as error:
        call()
    assert (error.value.code, error.value.field) == (code, "resident")
    return error.value.message


# The rule, in the services


def test_the_resident_the_issue_found_cannot_be_lent_a_device(actor_a):
    """Registered with only an age band and a postcode: no consent, no way to reach them."""
    resident = resident_register(actor=actor_a, first_name="Ada", last_name="Lovett", age_band="65_74",
                                 postcode="WV1 1AA")  # fmt: skip
    message = _refused(lambda: _lend(actor_a, resident), "consent_missing")
    assert message == "Record Ada Lovett's consent to keeping their details before lending them a device."
    consent_record(actor=actor_a, resident=resident, purpose="processing", channel="paper")
    message = _refused(lambda: _lend(actor_a, resident, "CHR-2"), "no_contact_route")
    assert message == ("Add a phone number, email address or postal address for Ada Lovett before lending them a "
                       "device, so that they can be reminded to bring it back.")  # fmt: skip
    assert not Loan.objects.exists()
    assert {device.status for device in devices.Device.objects.all()} == {DeviceStatus.READY}


@pytest.mark.parametrize(
    "route",
    [{"phone": "+447911123456"}, {"email": "ada@example.com"}, {"address_line_1": "1 High St", "postcode": "WV1 1AA"}],
    ids=["phone", "email", "postal address"],
)
def test_any_one_contact_route_is_enough_to_lend(actor_a, org_a, route):
    resident = ResidentFactory(owning_organisation=org_a, unreachable=True, **route)
    assert _lend(actor_a, resident).is_open


def test_an_address_without_a_postcode_is_not_a_postal_address(actor_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a, unreachable=True, address_line_1="1 High St")
    _refused(lambda: _lend(actor_a, resident), "no_contact_route")


def test_a_refusal_is_said_with_its_date_and_stops_lending_and_vouchers(actor_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a, unconsented=True)
    consent_record(actor=actor_a, resident=resident, purpose="processing", channel="verbal", refused=True)
    today = f"{timezone.localdate():%-d %B %Y}"
    assert _refused(lambda: _lend(actor_a, resident), "consent_refused") == (
        f"{resident.display_name} refused consent to keeping their details on {today}, so we cannot lend them a "
        "device. If they have changed their mind, record their consent again."
    )
    VoucherFactory(batch__organisation=org_a)
    _refused(lambda: vouchers.voucher_issue(actor=actor_a, resident=resident, kind="data_code"), "consent_refused")
    assert not Voucher.objects.filter(resident=resident).exists()


def test_a_withdrawn_consent_stops_lending(actor_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a)
    consent_withdraw(actor=actor_a, consent=resident.consents.get(purpose="processing"), channel="phone")
    message = _refused(lambda: _lend(actor_a, resident), "consent_missing")
    assert message.startswith(f"{resident.display_name} withdrew their consent to keeping their details on ")


def test_a_voucher_needs_the_consent_but_not_a_contact_route(actor_a, org_a):
    VoucherFactory.create_batch(2, batch__organisation=org_a)
    reachable_by_nothing = ResidentFactory(owning_organisation=org_a, unreachable=True)
    assert vouchers.voucher_issue(actor=actor_a, resident=reachable_by_nothing, kind="data_code").status == "issued"
    unconsented = ResidentFactory(owning_organisation=org_a, unconsented=True)
    message = _refused(lambda: vouchers.voucher_issue(actor=actor_a, resident=unconsented, kind="data_code"),
                       "consent_missing")  # fmt: skip
    assert (
        message
        == f"Record {unconsented.display_name}'s consent to keeping their details before issuing them a voucher."
    )


# Recording consent: every purpose at once, "refused" an answer


def test_refused_is_recorded_but_is_never_a_current_consent(actor_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a, unconsented=True)
    refusal = consent_record(actor=actor_a, resident=resident, purpose="processing", channel="paper", refused=True)
    assert refusal.refused and not refusal.is_current
    assert not Consent.objects.current().filter(resident=resident).exists()
    event = CaseEvent.objects.get(resident=resident)
    assert (event.kind, event.summary) == ("consent_refused", "Consent refused: Keeping their details to support them")
    # They may change their mind; the refusal stays on the record.
    given = consent_record(actor=actor_a, resident=resident, purpose="processing", channel="paper")
    assert given.is_current and Consent.objects.filter(resident=resident).count() == 2
    with pytest.raises(DomainError, match="already recorded"):
        consent_record(actor=actor_a, resident=resident, purpose="processing", channel="paper", refused=True)
    with pytest.raises(DomainError, match="was refused, so there is nothing to withdraw"):
        consent_withdraw(actor=actor_a, consent=refusal, channel="paper")


def test_every_purpose_is_answered_in_one_go(actor_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a, unconsented=True)
    recorded = consents_record(actor=actor_a, resident=resident, channel="on_screen",
                               answers={"processing": "given", "sharing": "refused", "contact_email": "given"})  # fmt: skip
    assert sorted((c.purpose, c.refused) for c in recorded) == [
        ("contact_email", False), ("processing", False), ("sharing", True)]  # fmt: skip
    assert set(Consent.objects.current().filter(resident=resident).values_list("purpose", flat=True)) == {
        "processing", "contact_email"}  # fmt: skip


def test_answers_are_all_or_nothing(actor_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a)  # processing already given
    with pytest.raises(DomainError, match="already recorded"):
        consents_record(actor=actor_a, resident=resident, channel="paper",
                        answers={"sharing": "given", "processing": "given"})  # fmt: skip
    assert list(resident.consents.values_list("purpose", flat=True)) == ["processing"]
    with pytest.raises(DomainError, match="Answer for at least one purpose"):
        consents_record(actor=actor_a, resident=resident, channel="paper", answers={})


# The staff web: the resident page prompts; the consent form takes every purpose


def test_the_resident_page_prompts_for_consent_and_a_contact_route_with_links(client_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a, unconsented=True, unreachable=True)
    content = client_a.get(reverse("resident-detail", args=[resident.pk])).content.decode()
    assert "Before you lend a device or issue a voucher" in content
    assert (
        f'href="{reverse("consent-record", args=[resident.pk])}">Record their consent to keeping their details'
        in content
    )
    assert (
        f'href="{reverse("resident-edit", args=[resident.pk])}">Add a phone number, email address or postal address'
        in content
    )


def test_the_resident_page_says_when_consent_was_refused_rather_than_asking_again(client_a, actor_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a, unconsented=True)
    consent_record(actor=actor_a, resident=resident, purpose="processing", channel="paper", refused=True)
    content = client_a.get(reverse("resident-detail", args=[resident.pk])).content.decode()
    assert f"They refused consent to keeping their details on {timezone.localdate():%-d %B %Y}" in content
    assert "Record their consent to keeping their details" not in content
    assert "Refused" in content  # in the consent table too


def test_a_ready_resident_page_has_no_prompt(client_a, resident_a):
    content = client_a.get(reverse("resident-detail", args=[resident_a.pk])).content.decode()
    assert "Before you lend a device" not in content


def test_the_consent_form_takes_every_purpose_and_refusals(client_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a, unconsented=True)
    response = client_a.post(reverse("consent-record", args=[resident.pk]),
                             {"processing": "given", "sharing": "refused", "contact_sms": "", "channel": "verbal"},
                             follow=True)  # fmt: skip
    assert response.redirect_chain[-1][0].endswith(f"/residents/{resident.pk}/#consent")
    assert ("Consent recorded: Keeping their details to support them. Refused: Sharing their details with partner "
            "organisations.") in response.content.decode()  # fmt: skip
    assert sorted(resident.consents.values_list("purpose", "refused")) == [("processing", False), ("sharing", True)]


def test_the_consent_form_offers_only_what_is_not_current(client_a, resident_a):
    form = client_a.get(reverse("consent-record", args=[resident_a.pk])).context["form"]
    assert "processing" not in form.fields and {"sharing", "contact_sms", "contact_email"} <= set(form.fields)


def test_lending_on_the_web_to_a_resident_without_consent_says_what_to_do(client_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a, unconsented=True)
    DeviceFactory(owning_organisation=org_a, asset_tag="LAP-9")
    response = client_a.post(reverse("devices:loan-create", args=[resident.pk]),
                             {"asset_tag": "LAP-9", "agreement_method": "signed_paper", "agreement_accepted": "on"})  # fmt: skip
    assert response.status_code == 200
    assert (
        escape(f"Record {resident.display_name}'s consent to keeping their details before lending them a device.")
        in response.content.decode()
    )
    assert not Loan.objects.exists()


# The partner API


def test_the_api_refuses_a_loan_without_consent_with_its_code(api_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a, unconsented=True)
    DeviceFactory(owning_organisation=org_a, asset_tag="LAP-9")
    response = api_a.post("/api/v1/loans/", {"device": "LAP-9", "resident": str(resident.pk),
                                             "agreement_method": "signed_paper", "agreement_accepted": True},
                          format="json")  # fmt: skip
    assert response.status_code == 409
    [error] = response.json()["errors"]
    assert (error["code"], error["attr"]) == ("consent_missing", "resident")


def test_a_partner_system_records_consent_and_then_can_lend(api_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a, unconsented=True)
    url = f"/api/v1/residents/{resident.pk}/consents/"
    refused = api_a.post(url, {"purpose": "sharing", "answer": "refused", "channel": "phone"}, format="json")
    assert refused.status_code == 201 and refused.json()["answer"] == "refused"
    given = api_a.post(url, {"purpose": "processing", "answer": "given", "channel": "on_screen"}, format="json")
    assert given.status_code == 201, given.content
    assert given.json()["purpose"] == "processing" and given.json()["withdrawn_at"] is None
    listed = api_a.get(url).json()["results"]
    assert sorted((c["purpose"], c["answer"]) for c in listed) == [("processing", "given"), ("sharing", "refused")]
    again = api_a.post(url, {"purpose": "processing", "answer": "given", "channel": "paper"}, format="json")
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "already_current"
    DeviceFactory(owning_organisation=org_a, asset_tag="LAP-9")
    lent = api_a.post("/api/v1/loans/", {"device": "LAP-9", "resident": str(resident.pk),
                                         "agreement_method": "signed_paper", "agreement_accepted": True},
                      format="json")  # fmt: skip
    assert lent.status_code == 201, lent.content


def test_a_wording_version_that_is_not_text_is_a_400_and_records_nothing(api_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a, unconsented=True)
    url = f"/api/v1/residents/{resident.pk}/consents/"
    body = {"purpose": "sharing", "answer": "given", "channel": "phone", "wording_version": 2}
    response = api_a.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["attr"] == "wording_version"
    assert not resident.consents.exists()


def test_another_organisations_resident_consents_are_404(api_b, resident_a):
    url = f"/api/v1/residents/{resident_a.pk}/consents/"
    assert api_b.get(url).status_code == 404
    assert (
        api_b.post(url, {"purpose": "sharing", "answer": "given", "channel": "paper"}, format="json").status_code == 404
    )
    assert resident_a.consents.count() == 1


def test_the_schema_documents_the_consent_codes(api_a):
    components = api_a.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    loan_codes = set(components["V1LoansCreate409ResidentErrorComponent"]["properties"]["code"]["enum"])
    assert {"consent_missing", "consent_refused", "no_contact_route"} <= loan_codes
    issue_codes = set(components["V1VouchersIssueCreate409ResidentErrorComponent"]["properties"]["code"]["enum"])
    assert {"consent_missing", "consent_refused"} <= issue_codes
