"""How the partner API documents itself (drf-spectacular, with drf-standardized-errors' error responses).

Besides what those libraries generate, every operation documents what it can really answer (see
inclusion/api/errors.py): 409 and 422 with the codes its rules return (from the ViewSet's `refusals`, and
the codes of its fields that are 422s on their own), 413 for bodies, 414 for over-long addresses, 429 with Retry-After, 500 with a
correlation id, and the Idempotency-Key header on every POST. postprocess() then makes request bodies
refuse unknown properties and lets error lists name array items (vouchers.3.code) and unknown fields.
"""

import re

from drf_spectacular.plumbing import is_list_serializer
from drf_spectacular.utils import OpenApiParameter
from drf_standardized_errors.handler import exception_handler as standardized_handler
from drf_standardized_errors.openapi import AutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, Error500Serializer, ServerErrorEnum
from drf_standardized_errors.openapi_utils import get_validation_error_serializer
from rest_framework import serializers

from .errors import CONFLICT_CODES, UNPROCESSABLE_CODES, exception_handler
from .idempotency import HEADER as IDEMPOTENCY_HEADER

BODY_METHODS = ("POST", "PUT", "PATCH")
IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, required=False,
    description="Makes a retry safe: the same key with the same request within 24 hours gets the first "
    "(successful) response again, with `Idempotent-Replayed: true`, instead of doing the work twice; the same "
    "key with a different request is a 422. 1 to 255 visible ASCII characters, such as a UUID; keys are "
    "your API key's own.",
    pattern=r"^[\x21-\x7e]{1,255}$",
)  # fmt: skip


class PartnerAutoSchema(AutoSchema):
    """drf-standardized-errors' AutoSchema, told that our exception handler is its own.

    It documents the 400/401/404... responses only for views whose handler *is* its handler, and
    ours wraps it (converting domain errors to 400s first), so without this no error was documented.
    """

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        if self.view.get_exception_handler() is not exception_handler:
            return super()._should_add_error_response(responses, status_code)
        self.view.get_exception_handler = lambda: standardized_handler  # on this (schema-only) view instance
        try:
            return super()._should_add_error_response(responses, status_code)
        finally:
            del self.view.get_exception_handler

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        return [*parameters, IDEMPOTENCY_KEY] if self.method == "POST" else parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return responses
        if self.method not in BODY_METHODS:
            responses.pop("413", None)
        for status_code, codes_by_field in self.refusal_codes().items():
            serializer = get_validation_error_serializer(f"{self.get_operation_id()}_{status_code}", codes_by_field)
            responses[str(status_code)] = self._get_response_for_code(serializer, str(status_code))
        return responses

    def refusal_codes(self) -> dict[int, dict[str | None, set[str]]]:
        """{409 or 422: {attr: codes}}: the rules' codes (the view's `refusals` for this action), the codes of
        the request's fields that are a 422 on their own, and a reused Idempotency-Key for a POST."""
        declared = {}
        for name in ("refusals", "input_rules"):
            for attr, codes in self.view_rules(name).items():
                declared.setdefault(attr, []).extend(codes)
        by_status: dict[int, dict[str | None, set[str]]] = {}
        for attr, codes in declared.items():
            for code in codes:
                by_status.setdefault(409 if code in CONFLICT_CODES else 422, {}).setdefault(attr, set()).add(code)
        if self.method in BODY_METHODS or self._should_add_validation_error_response():
            for field in self._determine_fields_with_error_codes():
                semantic = set(field.error_codes) & UNPROCESSABLE_CODES
                if semantic:
                    by_status.setdefault(422, {}).setdefault(field.name, set()).update(semantic)
        if self.method == "POST":
            by_status.setdefault(422, {}).setdefault(IDEMPOTENCY_HEADER, set()).add("idempotency_key_reused")
        return by_status

    def _should_add_parse_error_response(self) -> bool:
        # Every body is JSON (inclusion.api.parsers.JSONParser), so a malformed one is a parse error.
        return self.method in ("POST", "PUT", "PATCH")

    def _should_add_http403_error_response(self) -> bool:
        # A request without a valid key is refused with 401 (see authentication.py); nothing answers 403.
        return False

    def _should_add_http429_error_response(self) -> bool:
        # Actions that count against a person's hourly limit (inclusion.ratelimit) answer 429 beyond it.
        limited = getattr(self.view, "rate_limited_actions", ())
        return super()._should_add_http429_error_response() or getattr(self.view, "action", None) in limited

    def _get_validation_error_codes_by_field(self, data_fields):
        codes = super()._get_validation_error_codes_by_field(data_fields)
        for data_field in data_fields:
            # A list of objects (many=True) reports its own "required" and "null" under its name ("vouchers"),
            # not under "vouchers.non_field_errors" where drf-standardized-errors lists them.
            if is_list_serializer(data_field.field) and data_field.name.endswith(".non_field_errors"):
                own = {"required"} if data_field.field.required else set()
                own |= set() if data_field.field.allow_null else {"null"}
                codes[data_field.name.removesuffix(".non_field_errors")].update(own)
        if self.method == "POST":  # a malformed Idempotency-Key
            codes[IDEMPOTENCY_HEADER].add("invalid")
        if self.method == "GET" and self._is_list_view() and self._get_paginator() is not None:
            codes["page"].add("invalid")
            codes["page_size"].add("invalid")
        # Rules the input serializer itself checks: on their own a 422, beside a schema error part of the 400.
        for attr, rule_codes in self.view_rules("input_rules").items():
            codes[attr].update(rule_codes)
        return codes

    def view_rules(self, name: str) -> dict[str | None, list[str]]:
        """The view's `refusals` or `input_rules` for this operation's action."""
        return getattr(self.view, name, {}).get(getattr(self.view, "action", None), {})

    def _should_add_validation_error_response(self) -> bool:
        paginated = self.method == "GET" and self._is_list_view() and self._get_paginator() is not None
        return self.method == "POST" or paginated or super()._should_add_validation_error_response()

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if hasattr(field, "input_pattern") and schema and direction == "request":  # InputDecimalField
            schema["pattern"] = field.input_pattern
        if is_list_serializer(field) and schema and schema.get("type") == "array":  # many=True, min/max_length
            minimum = field.min_length or (0 if field.allow_empty else 1)
            if minimum:
                schema["minItems"] = minimum
            if field.max_length:
                schema["maxItems"] = field.max_length
        return schema


class Error413Serializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=[("request_too_large", "request_too_large")])
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorResponse413Serializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = Error413Serializer(many=True)


class ErrorResponse500Serializer(serializers.Serializer):
    """A server error: quote correlation_id to us; the same id is in our log beside the traceback."""

    type = serializers.ChoiceField(choices=ServerErrorEnum.choices)
    errors = Error500Serializer(many=True)
    correlation_id = serializers.CharField(help_text="Quote this when you report the error.")


# --- Post-processing of the whole schema ---------------------------------------------------------------------

# Errors any request can get in its 400 besides its fields' own: a body field or query parameter it does not
# take (named as sent), or a parameter given twice.
UNEXPECTED_INPUT = {
    "type": "object",
    "description": "A body field or query parameter the request does not take, named as sent, or one given twice.",
    "properties": {
        "attr": {"type": "string"},
        "code": {"type": "string", "enum": ["unknown_field", "unknown_parameter", "repeated_parameter"]},
        "detail": {"type": "string"},
    },
    "required": ["attr", "code", "detail"],
}
UNEXPECTED_INPUT_REF = {"$ref": "#/components/schemas/UnexpectedInputError"}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer", "minimum": 0},
                               "description": "Seconds to wait before trying again."}}  # fmt: skip
INDEX = re.compile(r"\bINDEX\b")


def _attr_pattern(attr: str) -> str:
    """ "vouchers.INDEX.code" → the regular expression of the attrs the API really emits (vouchers.3.code)."""
    return "^" + r"\.".join("[0-9]+" if part == "INDEX" else re.escape(part) for part in attr.split(".")) + "$"


def postprocess(result, generator, request, public):
    schemas = result.get("components", {}).get("schemas", {})
    schemas["UnexpectedInputError"] = UNEXPECTED_INPUT
    for name, schema in schemas.items():
        if name.endswith("Request") and schema.get("type") == "object":
            schema["additionalProperties"] = False  # the API refuses unknown fields (unknown_field)
        attr = schema.get("properties", {}).get("attr")
        if attr and any(INDEX.search(str(value)) for value in attr.get("enum", [])):
            [value] = attr["enum"]
            schema["properties"]["attr"] = {"type": "string", "pattern": _attr_pattern(value),
                                            "description": f"{value}, INDEX being the item's position from 0"}  # fmt: skip
        if schema.get("discriminator", {}).get("propertyName") == "attr":
            # Array items and unknown fields are named as sent, which a discriminator's fixed mapping cannot
            # list: the errors are "any of" these shapes instead.
            del schema["discriminator"]
            schema["anyOf"] = [*schema.pop("oneOf"), UNEXPECTED_INPUT_REF]
    # Registering (POST) and replacing (PUT): one of the two is required (a PATCH may rely on what the
    # resident has).
    for resident in filter(None, (schemas.get("ResidentRegisterInputRequest"), schemas.get("ResidentInputRequest"))):
        resident["description"] = ("A resident's details. Give date_of_birth, or age_band when they would rather "
                                   "not say: one of the two is required.")  # fmt: skip
        resident["anyOf"] = [
            {"required": ["date_of_birth"], "properties": {"date_of_birth": {"type": "string", "format": "date"}}},
            {"required": ["age_band"], "properties": {"age_band": {"$ref": "#/components/schemas/AgeBandEnum"}}},
        ]
    schemas["UnexpectedInputErrorResponse"] = UNEXPECTED_INPUT_RESPONSE
    schemas["ErrorResponse414"] = URI_TOO_LONG_RESPONSE
    for name, schema in schemas.items():
        if name.endswith("Request"):
            _refuse_nul_in_text(schema)
        for prop in schema.get("properties", {}).values():
            _blank_or_value(prop)
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses", {})
            if "429" in responses:
                responses["429"]["headers"] = RETRY_AFTER
            responses["414"] = {"content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/ErrorResponse414"}}},
                "description": "The address (path and query string) is too long."}  # fmt: skip
            if "400" not in responses:  # any request may carry a parameter it does not take
                responses["400"] = {"content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/UnexpectedInputErrorResponse"}}}, "description": ""}  # fmt: skip
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _refuse_nul_in_text(parameter.get("schema", {}))
    return result


UNEXPECTED_INPUT_RESPONSE = {
    "type": "object",
    "properties": {"type": {"type": "string", "enum": ["validation_error"]},
                   "errors": {"type": "array", "items": UNEXPECTED_INPUT_REF}},
    "required": ["type", "errors"],
}  # fmt: skip
URI_TOO_LONG_RESPONSE = {
    "type": "object",
    "properties": {"type": {"type": "string", "enum": ["client_error"]},
                   "errors": {"type": "array", "items": {"type": "object", "properties": {
                       "code": {"type": "string", "enum": ["uri_too_long"]}, "detail": {"type": "string"},
                       "attr": {"type": "string", "nullable": True}}, "required": ["code", "detail", "attr"]}}},
    "required": ["type", "errors"],
}  # fmt: skip
NO_NUL = "^[^\\u0000]*$"  # PostgreSQL text cannot hold NUL: such text is refused (null_characters_not_allowed)


def _refuse_nul_in_text(schema: dict) -> None:
    """Free text (a string with no pattern, format or enum of its own) refuses NUL, as the API does."""
    if schema.get("type") == "string" and not {"pattern", "format", "enum"} & set(schema):
        if schema.get("maxLength") != 0:
            schema["pattern"] = NO_NUL
    for key in ("properties",):
        for child in schema.get(key, {}).values():
            _refuse_nul_in_text(child)
    for key in ("oneOf", "anyOf", "allOf"):
        for child in schema.get(key, []):
            _refuse_nul_in_text(child)
    if isinstance(schema.get("items"), dict):
        _refuse_nul_in_text(schema["items"])


def _blank_or_value(prop: dict) -> None:
    """drf-spectacular writes "text or blank" as oneOf [a string, a string of length 0]; when the first
    allows "" too, "" matches both and breaks oneOf. anyOf says what is meant."""
    if "oneOf" in prop and any(branch.get("maxLength") == 0 for branch in prop["oneOf"]):
        prop["anyOf"] = prop.pop("oneOf")
