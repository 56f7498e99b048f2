"""The API's own exceptions (statuses DRF has no class for). Kept apart from errors.py, which imports
DRF's views, so that parsers and authentication can use them without an import cycle."""

from rest_framework import exceptions, status


class RuleRefused(exceptions.ValidationError):
    """A well-formed request that a rule of the scheme refused: 409 or 422, in the validation error format."""

    def __init__(self, detail, *, code: str, status_code: int):
        super().__init__(detail, code=code)
        self.status_code = status_code


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = "The request body is too large."


class IdempotencyKeyReused(RuleRefused):
    """The same Idempotency-Key with another request: a 422 naming the header."""

    def __init__(self):
        super().__init__(
            {"Idempotency-Key": ["This key was used with a different request in the last 24 hours. Use a new key "
                                 "for a new request."]},
            code="idempotency_key_reused", status_code=422,
        )  # fmt: skip
