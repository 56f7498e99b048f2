"""One error format for the whole API (drf-standardized-errors), with domain errors as 400s (and a person's
hourly limit, inclusion.ratelimit, as a 429 with Retry-After).

{"type": "validation_error", "errors": [{"code": "invalid", "detail": "...", "attr": "postcode"}]}
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_standardized_errors.handler import exception_handler as standardized_handler
from rest_framework import exceptions
from rest_framework.serializers import as_serializer_error

from ..errors import DomainError
from ..ratelimit import RateLimited


def exception_handler(exc, context):
    if isinstance(exc, RateLimited):
        throttled = exceptions.Throttled(wait=exc.retry_after)
        throttled.detail = exceptions.ErrorDetail(exc.message, code=throttled.default_code)  # says when already
        exc = throttled
    elif isinstance(exc, DomainError):
        detail = {exc.field: [exc.message]} if exc.field else [exc.message]
        exc = exceptions.ValidationError(detail, code=exc.code)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    return standardized_handler(exc, context)
