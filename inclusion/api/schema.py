"""How the partner API documents itself (drf-spectacular, with drf-standardized-errors' error responses)."""

from drf_standardized_errors.handler import exception_handler as standardized_handler
from drf_standardized_errors.openapi import AutoSchema

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

    def _should_add_http403_error_response(self) -> bool:
        # A request without a valid key is refused with 401 (see authentication.py); nothing answers 403.
        return False

    def _should_add_http429_error_response(self) -> bool:
        # Actions that count against a person's hourly limit (inclusion.ratelimit) answer 429 beyond it.
        limited = getattr(self.view, "rate_limited_actions", ())
        return super()._should_add_http429_error_response() or getattr(self.view, "action", None) in limited
