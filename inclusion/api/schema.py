"""How the partner API documents itself (drf-spectacular, with drf-standardized-errors' error responses)."""

from drf_standardized_errors.handler import exception_handler as standardized_handler
from drf_standardized_errors.openapi import AutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, Error500Serializer, ServerErrorEnum
from rest_framework import serializers

from .errors import exception_handler


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

    def _should_add_parse_error_response(self) -> bool:
        # Every body is JSON (inclusion.api.parsers.JSONParser), so a malformed one is a parse error.
        return self.method in ("POST", "PUT", "PATCH")

    def _should_add_http403_error_response(self) -> bool:
        # A request without a valid key is refused with 401 (see authentication.py); nothing answers 403.
        return False


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
