"""The API says no instead of guessing (issue 7, item 12): bad filters, page sizes, unknown fields and
parameters, impossible dates and names with control characters are 400s naming what is wrong; PUT
replaces; a loan cannot start further back than the lending organisation's policy allows."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from devices import services as device_services
from devices.models import Device, Loan
from inclusion.models import Resident
from inclusion.services import resident_register

from ..devices.factories import DeviceFactory
from ..devices.vouchers.factories import ProviderFactory
from ..factories import MembershipFactory, ResidentFactory

pytestmark = pytest.mark.django_db

RESIDENTS = "/api/v1/residents/"


def refused(response, status=400) -> dict:
    """{attr: code} of a refusal."""
    assert response.status_code == status, response.content
    return {error["attr"]: error["code"] for error in response.json()["errors"]}


def new_resident(**overrides) -> dict:
    return {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1958-04-02", **overrides}


# --- Filters, pages and query parameters ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["maybe", "yes please", "2"])
def test_a_boolean_filter_that_is_not_true_or_false_is_400(api_a, org_a, value):
    ResidentFactory(owning_organisation=org_a, needs_device=False)
    assert refused(api_a.get(RESIDENTS, {"needs_device": value})) == {"needs_device": "invalid"}


@pytest.mark.parametrize("value, expected", [("true", 1), ("1", 1), ("false", 1), ("0", 1), ("TRUE", 1)])
def test_a_boolean_filter_takes_true_false_1_and_0(api_a, org_a, value, expected):
    ResidentFactory(owning_organisation=org_a, needs_device=value.lower() in ("true", "1"))
    ResidentFactory(owning_organisation=org_a, needs_device=value.lower() not in ("true", "1"))
    assert api_a.get(RESIDENTS, {"needs_device": value}).json()["count"] == expected


@pytest.mark.parametrize("value", ["abc", "0", "-5", "201", "2.5", " 10"])
def test_a_bad_page_size_is_400_not_the_default(api_a, value):
    assert refused(api_a.get(RESIDENTS, {"page_size": value})) == {"page_size": "invalid"}
    assert refused(api_a.get("/api/v1/devices/", {"page_size": value})) == {"page_size": "invalid"}


@pytest.mark.parametrize("value", ["abc", "0", "-1"])
def test_a_bad_page_number_is_400(api_a, value):
    assert refused(api_a.get("/api/v1/loans/", {"page": value})) == {"page": "invalid"}


def test_an_unknown_query_parameter_is_400_naming_it(api_a, org_a):
    ResidentFactory(owning_organisation=org_a, needs_device=False)
    assert refused(api_a.get(RESIDENTS, {"need_device": "true"})) == {"need_device": "unknown_parameter"}
    assert refused(api_a.get("/api/v1/vouchers/", {"state": "issued"})) == {"state": "unknown_parameter"}


def test_a_repeated_query_parameter_is_400(api_a):
    assert refused(api_a.get(f"{RESIDENTS}?page_size=5&page_size=6")) == {"page_size": "repeated_parameter"}


def test_a_single_resident_takes_no_list_parameters(api_a, resident_a):
    assert refused(api_a.get(f"{RESIDENTS}{resident_a.pk}/", {"page": "2"})) == {"page": "unknown_parameter"}


# --- Bodies --------------------------------------------------------------------------------------------------


def test_a_misspelt_field_is_400_naming_it_and_nothing_is_saved(api_a):
    response = api_a.post(RESIDENTS, new_resident(frist_name="Augusta", postcode="WV1 1AA"), format="json")
    assert refused(response) == {"frist_name": "unknown_field"}
    assert not Resident.objects.exists()


def test_unknown_fields_are_named_alongside_other_errors(api_a):
    response = api_a.post(RESIDENTS, new_resident(gender="martian", needs_devise=True), format="json")
    assert refused(response) == {"gender": "invalid_choice", "needs_devise": "unknown_field"}


def test_a_patch_with_an_unknown_field_changes_nothing(api_a, resident_a):
    response = api_a.patch(f"{RESIDENTS}{resident_a.pk}/", {"first_name": "Maggie", "phone_no": "1"}, format="json")
    assert refused(response) == {"phone_no": "unknown_field"}
    resident_a.refresh_from_db()
    assert resident_a.first_name == "Margaret"


def test_an_action_with_an_unknown_field_is_400(api_a, org_a, resident_a):
    device = DeviceFactory(owning_organisation=org_a)
    body = {"device": device.asset_tag, "resident": str(resident_a.pk), "agreement_method": "on_screen",
            "agreement_accepted": True, "due_date": "2030-01-01"}  # fmt: skip
    assert refused(api_a.post("/api/v1/loans/", body, format="json")) == {"due_date": "unknown_field"}
    assert not Loan.objects.exists()


def test_an_unknown_field_in_an_import_row_is_named_with_its_index(api_a):
    provider = ProviderFactory(slug="vodafone")
    body = {"provider": provider.slug, "kind": "data_code", "expires_on": "2999-01-01",
            "vouchers": [{"code": "GOOD-0001"}, {"Code": "GOOD-0002"}]}  # fmt: skip
    assert refused(api_a.post("/api/v1/voucher-batches/import/", body, format="json")) == {
        "vouchers.1.Code": "unknown_field"
    }


def test_put_replaces_a_residents_details_clearing_what_it_leaves_out(api_a, resident_a):
    resident_a.preferred_name, resident_a.accessibility_needs, resident_a.needs_device = "Maggie", "Large print", True
    resident_a.save()
    response = api_a.put(f"{RESIDENTS}{resident_a.pk}/", new_resident(first_name="Margaret"), format="json")
    assert response.status_code == 200, response.content
    resident_a.refresh_from_db()
    assert (resident_a.preferred_name, resident_a.accessibility_needs, resident_a.phone, resident_a.postcode) == (
        "", "", "", "")  # fmt: skip
    assert resident_a.needs_device is False
    assert resident_a.preferred_language == "English"  # the model's default, not blank


def test_patch_keeps_what_it_leaves_out(api_a, resident_a):
    resident_a.preferred_name = "Maggie"
    resident_a.save()
    assert api_a.patch(f"{RESIDENTS}{resident_a.pk}/", {"last_name": "Oduya-Smith"}, format="json").status_code == 200
    resident_a.refresh_from_db()
    assert (resident_a.preferred_name, resident_a.postcode) == ("Maggie", "WV1 1AA")


def test_put_replaces_a_devices_details(api_a, org_a):
    device = DeviceFactory(owning_organisation=org_a, location="Van", accessories=["charger"], make="Acer")
    response = api_a.put(f"/api/v1/devices/{device.asset_tag}/", {"kind": "tablet"}, format="json")
    assert response.status_code == 200, response.content
    device.refresh_from_db()
    assert (device.kind, device.location, device.accessories, device.make) == ("tablet", "", [], "")


# --- Dates ---------------------------------------------------------------------------------------------------


def test_an_impossible_date_is_not_a_real_date_rather_than_the_wrong_format(api_a):
    response = api_a.post(RESIDENTS, new_resident(date_of_birth="2026-02-30"), format="json")
    [error] = response.json()["errors"]
    assert (error["attr"], error["code"], error["detail"]) == (
        "date_of_birth",
        "invalid",
        "2026-02-30 is not a real date.",
    )


def test_a_date_in_another_format_still_says_which_format(api_a):
    [error] = api_a.post(RESIDENTS, new_resident(date_of_birth="02/04/1958"), format="json").json()["errors"]
    assert "wrong format" in error["detail"] and "YYYY-MM-DD" in error["detail"]


def test_an_impossible_date_in_an_action_is_not_a_real_date(api_a, org_a, resident_a):
    device = DeviceFactory(owning_organisation=org_a)
    body = {"device": device.asset_tag, "resident": str(resident_a.pk), "agreement_method": "on_screen",
            "agreement_accepted": True, "due_on": "2027-02-29"}  # fmt: skip
    [error] = api_a.post("/api/v1/loans/", body, format="json").json()["errors"]
    assert error["detail"] == "2027-02-29 is not a real date."


# --- Names ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["Ada\u202eecalevoL", "Ada\u2066x\u2069", "Ada\tLovelace", "Ada\x07", "Ada\u200fLovelace", "Ada\x85Lovelace"],
    ids=["right-to-left override", "isolate", "tab", "bell", "right-to-left mark", "C1 control"],
)
@pytest.mark.parametrize("field", ["first_name", "last_name", "preferred_name"])
def test_names_refuse_control_characters_and_direction_overrides(api_a, field, name):
    assert refused(api_a.post(RESIDENTS, new_resident(**{field: name}), format="json")) == {field: "invalid_characters"}
    assert not Resident.objects.exists()


def test_names_in_any_script_are_accepted(api_a):
    response = api_a.post(RESIDENTS, new_resident(first_name="Zoë", last_name="محمد", preferred_name="O'Brien-Ní"),
                          format="json")  # fmt: skip
    assert response.status_code == 201, response.content


def test_the_service_refuses_a_direction_override_too(actor_a):
    with pytest.raises(ValidationError):
        resident_register(actor=actor_a, first_name="Ada\u202e", last_name="Lovelace", date_of_birth="1958-04-02")


def test_a_witness_or_wipe_operator_name_with_a_control_character_is_400(api_a, org_a, resident_a):
    device = DeviceFactory(owning_organisation=org_a)
    body = {"device": device.asset_tag, "resident": str(resident_a.pk), "agreement_method": "verbal_witnessed",
            "agreement_accepted": True, "witness_name": "Tom\u202e"}  # fmt: skip
    assert refused(api_a.post("/api/v1/loans/", body, format="json")) == {"witness_name": "invalid_characters"}
    wipe = {"method": "nist_clear", "wiped_on": "2026-01-01", "operator": "IT\x00"}
    assert "operator" in refused(api_a.post(f"/api/v1/devices/{device.asset_tag}/wipe/", wipe, format="json"))


# --- Loans back-dated beyond the policy ----------------------------------------------------------------------


def _loan_body(device, resident, days_ago):
    return {"device": device.asset_tag, "resident": str(resident.pk), "agreement_method": "signed_paper",
            "agreement_accepted": True, "started_on": str(timezone.localdate() - timedelta(days=days_ago))}  # fmt: skip


def test_a_loan_cannot_start_further_back_than_the_policy_allows(api_a, org_a, resident_a):
    device = DeviceFactory(owning_organisation=org_a)
    assert refused(api_a.post("/api/v1/loans/", _loan_body(device, resident_a, 32), format="json"), 422) == {
        "started_on": "too_far_back"
    }
    device.refresh_from_db()
    assert device.status == "ready" and not Loan.objects.exists()
    assert api_a.post("/api/v1/loans/", _loan_body(device, resident_a, 31), format="json").status_code == 201


def test_the_backdating_limit_is_the_lending_organisations_policy(actor_a, org_a, resident_a):
    device_services.loan_policy_update(actor=actor_a, max_backdate_days=0)
    device = DeviceFactory(owning_organisation=org_a)
    with pytest.raises(Exception, match="at most 0 days ago"):
        device_services.loan_create(actor=actor_a, device=device, resident=resident_a, agreement_method="on_screen",
                                    started_on=timezone.localdate() - timedelta(days=1))  # fmt: skip
    loan = device_services.loan_create(actor=actor_a, device=device, resident=resident_a, agreement_method="on_screen")
    assert loan.started_on == timezone.localdate()


def test_coordinators_set_the_backdating_limit_on_the_policy_page(client, org_a):
    coordinator = MembershipFactory(organisation=org_a, role="coordinator")
    client.force_login(coordinator.user)
    page = client.get(reverse("devices:loan-policy")).content.decode()
    assert "How many days back can a loan's start date be?" in page
    response = client.post(reverse("devices:loan-policy"), {
        "default_length_days": "28", "extension_days": "14", "max_extensions": "2",
        "max_open_loans_per_resident": "1", "max_backdate_days": "3", "terms_version": "2026-01",
        "open_days": ["0", "1", "2", "3", "4", "5"]})  # fmt: skip
    assert response.status_code == 302
    assert org_a.loan_policy.max_backdate_days == 3
    assert Device.objects.count() == 0


# --- Values taken only as the schema states them (found by schemathesis) --------------------------------------


@pytest.mark.parametrize(
    "changes, attr",
    [({"preferred_language": 0}, "preferred_language"), ({"needs_device": "true"}, "needs_device"),
     ({"needs_device": 1}, "needs_device"), ({"first_name": "Ada\x1f"}, "first_name"),
     ({"last_name": "x" * 100 + " "}, "last_name")],
    ids=["number for text", "string for boolean", "number for boolean", "control character at the end",
         "too long before trimming"],
)  # fmt: skip
def test_values_are_taken_only_in_the_schemas_type_and_as_sent(api_a, changes, attr):
    assert attr in refused(api_a.post(RESIDENTS, new_resident(**changes), format="json"))
    assert not Resident.objects.exists()


def test_whitespace_alone_longer_than_the_limit_is_refused(api_a):
    response = api_a.post("/api/v1/devices/", {"kind": "tablet", "asset_tag": " " * 41}, format="json")
    assert refused(response) == {"asset_tag": "max_length"}


@pytest.mark.parametrize("value", ["-58.", "٣", ".", 20])
def test_a_decimal_is_a_string_of_ascii_digits_within_its_minimum(api_a, value):
    provider = ProviderFactory(slug="vodafone")
    body = {"provider": provider.slug, "kind": "data_code", "expires_on": "2999-01-01", "dry_run": True,
            "data_allowance_gb": value, "vouchers": [{"code": "GOOD-0001"}]}  # fmt: skip
    assert refused(api_a.post("/api/v1/voucher-batches/import/", body, format="json")) == {
        "data_allowance_gb": "invalid"
    }


def test_an_import_needs_at_least_one_voucher(api_a):
    provider = ProviderFactory(slug="vodafone")
    body = {"provider": provider.slug, "kind": "data_code", "expires_on": "2999-01-01", "vouchers": []}
    assert "vouchers.non_field_errors" in refused(api_a.post("/api/v1/voucher-batches/import/", body, format="json"))


@pytest.mark.parametrize("params", [{"resident": ""}, {"status": ""}, {"batch": ""}])
def test_an_empty_filter_value_is_400_not_the_whole_list(api_a, params):
    [name] = params
    assert name in refused(api_a.get("/api/v1/vouchers/", params))


def test_filtering_vouchers_by_another_organisations_batch_looks_like_any_unknown_batch(api_a, org_b):
    from ..devices.vouchers.factories import VoucherFactory

    theirs = VoucherFactory(batch__organisation=org_b)
    for batch in (theirs.batch_id, 999_999):
        response = api_a.get("/api/v1/vouchers/", {"batch": batch})
        assert response.status_code == 200 and response.json()["count"] == 0


def test_a_string_with_an_unpaired_surrogate_is_a_parse_error_not_a_500(api_a):
    body = '{"first_name": "Ada\\ud800", "last_name": "L", "date_of_birth": "1958-04-02"}'
    response = api_a.generic("POST", RESIDENTS, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_an_undeclared_method_is_405_even_with_query_parameters(api_a):
    assert api_a.generic("TRACE", "/api/v1/vouchers/?batch=0").status_code == 405
