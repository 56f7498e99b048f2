"""The schema says what the API does (issue 7, item 13): every status an operation can answer, the codes
its rules return, request bodies that refuse unknown fields, array error paths as emitted, the rules of
names, postcodes, phones and the date of birth or age band."""

import re

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def components(schema):
    return schema["components"]["schemas"]


def test_every_operation_documents_401_404_414_429_and_500_and_bodies_413(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        assert {"401", "414", "429", "500"} <= set(responses), (method, path)
        assert responses["414"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorResponse414"
        }
        assert ("413" in responses) == (method in ("post", "put", "patch")), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        assert responses["429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"


def test_the_500_body_carries_its_correlation_id(schema):
    body = components(schema)["ErrorResponse500"]
    assert "correlation_id" in body["properties"] and "correlation_id" in body["required"]


def test_every_post_takes_an_idempotency_key_and_documents_its_422(schema):
    for path, method, operation in operations(schema):
        if method != "post":
            continue
        [header] = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
        assert header["in"] == "header" and not header.get("required", False)
        assert "422" in operation["responses"], path
        ref = operation["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        errors = components(schema)[ref]["properties"]["errors"]["items"]["$ref"].split("/")[-1]
        names = [item["$ref"].split("/")[-1] for item in components(schema)[errors]["anyOf"] if "$ref" in item]
        assert any("Idempotency-Key" in name for name in names), path


def test_request_bodies_refuse_unknown_properties(schema):
    requests = {name: body for name, body in components(schema).items() if name.endswith("Request")}
    assert len(requests) >= 15
    assert all(body["additionalProperties"] is False for body in requests.values())


def test_replacement_for_is_nullable(schema):
    assert components(schema)["VoucherOutput"]["properties"]["replacement_for"]["nullable"] is True


def test_array_error_paths_are_patterns_of_what_the_api_emits(schema):
    attr = components(schema)["V1VoucherBatchesImportCreateVouchersINDEXCodeErrorComponent"]["properties"]["attr"]
    assert re.match(attr["pattern"], "vouchers.3.code") and not re.match(attr["pattern"], "vouchers.INDEX.code")
    rows = components(schema)["V1VoucherBatchesImportCreate422VouchersINDEXErrorComponent"]["properties"]
    assert re.match(rows["attr"]["pattern"], "vouchers.12") and rows["code"]["enum"] == ["invalid_row"]


def test_error_lists_allow_unknown_fields_named_as_sent(schema):
    errors = components(schema)["V1ResidentsCreateError"]
    assert "discriminator" not in errors
    assert {"$ref": "#/components/schemas/UnexpectedInputError"} in errors["anyOf"]


@pytest.mark.parametrize(
    "action, codes",
    [
        ("V1VouchersActivateCreate409ErrorComponent", {"illegal_transition", "voucher_changed"}),
        ("V1VouchersFailCreate409ErrorComponent", {"illegal_transition", "voucher_changed"}),
        ("V1VouchersWithdrawCreate409ErrorComponent", {"illegal_transition", "voucher_changed"}),
        ("V1VouchersRevealCreate409ErrorComponent", {"not_issued", "voucher_changed"}),
        ("V1VouchersIssueCreate409ResidentErrorComponent", {"consent_missing", "consent_refused"}),
        ("V1VouchersIssueCreate409KindErrorComponent", {"not_eligible", "out_of_stock"}),
        ("V1VouchersIssueCreate422ResidentErrorComponent", {"does_not_exist"}),
        ("V1DevicesWipeCreate409ErrorComponent", {"illegal_transition"}),
        ("V1DevicesStatusCreate409ErrorComponent", {"illegal_transition", "wipe_required"}),
        ("V1ResidentsPartialUpdate422DateOfBirthErrorComponent",
         {"in_the_future", "out_of_range", "date_of_birth_or_age_band"}),
    ],
)  # fmt: skip
def test_every_action_lists_the_codes_it_really_returns(schema, action, codes):
    assert set(components(schema)[action]["properties"]["code"]["enum"]) == codes


def test_the_date_of_birth_or_age_band_rule_is_in_the_schema(schema):
    body = components(schema)["ResidentInputRequest"]
    assert "one of the two is required" in body["description"]
    assert [branch["required"] for branch in body["anyOf"]] == [["date_of_birth"], ["age_band"]]


def test_postcode_format_is_described_and_its_pattern_matches_the_validator(schema):
    postcode = components(schema)["ResidentInputRequest"]["properties"]["postcode"]
    text = str(postcode)
    assert "BS 7666" in text and "WV1 1AA" in text
    pattern = re.compile(re.search(r"'pattern': '([^']*)'", text).group(1).encode().decode("unicode_escape"))
    for good in ("wv11aa", "WV1 1AA", " wv10  6qr ", "GIR 0AA", "B15 2TT"):
        assert pattern.match(good), good
    for bad in ("NOT A POSTCODE", "WV1 1IA", "12345"):
        assert not pattern.match(bad), bad


def test_phone_validation_is_described_with_the_drama_numbers(schema):
    description = components(schema)["ResidentInputRequest"]["properties"]["phone"]["description"]
    assert "07700 900123" in description and "Ofcom" in description and "invalid_phone_number" in description


def test_names_carry_the_pattern_that_refuses_control_characters(schema):
    pattern = re.compile(components(schema)["ResidentInputRequest"]["properties"]["first_name"]["pattern"])
    assert pattern.match("Zoë O'Brien-محمد")
    assert not any(pattern.match(f"Ada{c}x") for c in ("\u202e", "\u2066", "\x07", "\t", "\x85", "\u200f"))


def test_the_api_refuses_a_drama_number_libphonenumber_accepts(api_a):
    body = {"first_name": "Ada", "last_name": "L", "date_of_birth": "1958-04-02", "phone": "0121 496 0123"}
    response = api_a.post("/api/v1/residents/", body, format="json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "invalid_phone_number"


def test_registering_states_the_date_of_birth_or_age_band_rule_too(schema):
    """POST /residents/ takes its own body (with confirm_new_person): the rule must be on it as well."""
    body = components(schema)["ResidentRegisterInputRequest"]
    assert [branch["required"] for branch in body["anyOf"]] == [["date_of_birth"], ["age_band"]]


def test_a_missing_list_of_rows_is_documented_under_its_own_name(api_a, schema):
    """A missing `vouchers` is reported as attr "vouchers" (not vouchers.non_field_errors): the schema says so."""
    response = api_a.post("/api/v1/voucher-batches/import/", {"": None}, format="json")
    attrs = {error["attr"] for error in response.json()["errors"]}
    assert response.status_code == 400 and "vouchers" in attrs
    assert "required" in set(components(schema)["V1VoucherBatchesImportCreateVouchersErrorComponent"]["properties"]
                             ["code"]["enum"])  # fmt: skip
