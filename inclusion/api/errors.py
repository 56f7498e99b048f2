"""One error format for everything under /api/ (drf-standardized-errors), whatever goes wrong and wherever
(a person's hourly limit, inclusion.ratelimit, is a 429 with Retry-After).

{"type": "validation_error", "errors": [{"code": "invalid", "detail": "...", "attr": "postcode"}]}

The statuses, and what each means to a partner's system:
- 400: the request breaks the schema (a type, a format, a length, an unknown field or parameter);
- 401: no valid key; 404: nothing here that this key may see (never 403: we do not confirm existence);
- 409: a rule refused it because of how things stand now (CONFLICT_CODES: the device is not ready, the
  loan is closed, none left in stock...); the same request may succeed later;
- 413: the body is larger than the endpoint accepts; 414: the address (path and query) is longer than
  settings.MAX_URL_LENGTH characters; 422: well formed, but a rule the schema cannot
  express refused it (a referenced id that does not exist, a date relative to today, a policy limit) or an
  Idempotency-Key was reused with another request; 429: too many requests (Retry-After says when to retry);
- 500: our fault. The body carries a correlation id, also written to the log with the traceback.

Domain errors from services (inclusion.errors.DomainError) become 409 or 422 here, in one place.
"""

import logging
import uuid

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from drf_standardized_errors.handler import ExceptionHandler
from drf_standardized_errors.handler import exception_handler as standardized_handler
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error

from ..errors import DomainError
from ..ratelimit import RateLimited
from .exceptions import RequestTooLarge, RuleRefused

logger = logging.getLogger("inclusion.api")

API_PREFIX = "/api/"
# Written with every server error's correlation id: .ci/schemathesis.py looks for it in the server's log.
SERVER_ERROR_MARKER = "API server error"

# Domain error codes that mean "not now": the request conflicts with the current state of things.
CONFLICT_CODES = frozenset({
    "illegal_transition", "already_on_loan", "too_many_loans", "loan_closed", "extension_limit",
    "not_eligible", "out_of_stock", "not_issued", "duplicate", "wipe_required", "consent_missing",
    "consent_refused", "no_contact_route", "voucher_changed", "already_current", "restricted",
    "held_for_reservation", "overdue_loan", "referral_closed",
    # referrals (referrals/services.py, referrals/webhooks.py)
    "referrals_closed", "already_pending", "endpoint_inactive", "already_recorded",
    # the owning organisation owns the record (inclusion/privacy/sharing.py, inclusion/privacy/proposals.py)
    "not_owner", "is_owner", "already_decided",
})  # fmt: skip
# Validation codes of rules no schema can express: a request failing only these is well formed (422).
UNPROCESSABLE_CODES = frozenset({
    "does_not_exist", "in_the_future", "too_far_back", "before_start", "beyond_policy", "not_accepted",
    "expired", "out_of_range", "invalid_row", "invalid_phone_number", "date_of_birth_or_age_band",
    # Whitespace alone where text is required: the schema's minLength cannot tell "   " from text.
    "blank",
    # A page past the first 10,000 results (pagination.CappedPagination): page times page_size, which no
    # schema of the two parameters can state.
    "too_deep",
    # Two query parameters that each name a scope, where one is taken (reports/api: organisation, local_authority).
    "one_scope_only",
})  # fmt: skip


def _codes(detail) -> set[str]:
    """Every error code in a (nested) DRF error detail."""
    if isinstance(detail, dict):
        return set().union(*(_codes(value) for value in detail.values())) if detail else set()
    if isinstance(detail, list):
        return set().union(*(_codes(value) for value in detail)) if detail else set()
    return {getattr(detail, "code", None)}


def exception_handler(exc, context):
    if isinstance(exc, RateLimited):
        throttled = exceptions.Throttled(wait=exc.retry_after)
        throttled.detail = exceptions.ErrorDetail(exc.message, code=throttled.default_code)  # says when already
        exc = throttled
    elif isinstance(exc, DomainError):
        detail = {exc.field: [exc.message]} if exc.field else [exc.message]
        exc = RuleRefused(detail, code=exc.code, status_code=409 if exc.code in CONFLICT_CODES else 422)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    if type(exc) is exceptions.ValidationError and (codes := _codes(exc.detail)) and codes <= UNPROCESSABLE_CODES:
        exc.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    return standardized_handler(exc, context)


def correlation_id() -> str:
    return uuid.uuid4().hex


def server_error_detail(reference: str) -> str:
    return f"Something went wrong on our side. If it happens again, tell us this reference: {reference}."


def log_server_error(reference: str, request, exc_info) -> None:
    logger.error("%s %s: %s %s", SERVER_ERROR_MARKER, reference, request.method, request.path, exc_info=exc_info)


class PartnerExceptionHandler(ExceptionHandler):
    """drf-standardized-errors' handler, with a correlation id on every 500 (in the body and the log)."""

    def run(self):
        response = super().run()
        if response is not None and response.status_code >= 500:
            reference = correlation_id()
            request = self.context["request"]
            log_server_error(reference, request, self.exc if isinstance(self.exc, BaseException) else None)
            response.data["errors"][0]["detail"] = server_error_detail(reference)
            response.data["correlation_id"] = reference
        return response

    def report_exception(self, exc, response):
        # Logged once, with its correlation id, by run(); the signal still goes to error monitoring.
        if response.status_code >= 500:
            from django.core import signals

            signals.got_request_exception.send(sender=None, request=getattr(self.context["request"], "_request", None))


# Django's own error views, for what never reaches DRF (an unrouted path, a body too large for Django,
# an exception in middleware): JSON in the same format under /api/, the usual pages elsewhere.


def _api_error(status_code: int, code: str, detail: str, *, error_type: str = "client_error", **extra) -> JsonResponse:
    body = {"type": error_type, "errors": [{"code": code, "detail": detail, "attr": None}], **extra}
    return JsonResponse(body, status=status_code)


def is_api_request(request) -> bool:
    return request.path.startswith(API_PREFIX)


def api_not_found() -> JsonResponse:
    return _api_error(404, "not_found", "Not found.")


URI_TOO_LONG_CODE = "uri_too_long"


def api_uri_too_long() -> JsonResponse:
    from django.conf import settings

    detail = f"The address is longer than {settings.MAX_URL_LENGTH} characters: send fewer or shorter parameters."
    return _api_error(414, URI_TOO_LONG_CODE, detail)


def not_found(request, exception=None):
    if is_api_request(request):
        return api_not_found()
    return defaults.page_not_found(request, exception)


def bad_request(request, exception=None):
    if is_api_request(request):
        if isinstance(exception, RequestDataTooBig):
            return _api_error(413, RequestTooLarge.default_code, RequestTooLarge.default_detail)
        return _api_error(400, "bad_request", "The request could not be understood.")
    return defaults.bad_request(request, exception)


def server_error(request):
    if is_api_request(request):
        import sys

        reference = correlation_id()
        log_server_error(reference, request, sys.exc_info())
        return _api_error(500, "error", server_error_detail(reference), error_type="server_error",
                          correlation_id=reference)  # fmt: skip
    return defaults.server_error(request)
