"""Partner systems authenticate with their organisation's API key: `Authorization: Api-Key <key>`.

Missing, unknown or revoked keys get 401. The key's organisation is the request's organisation. Too many
refused keys from one address get 429 (inclusion/api/throttling.py).
"""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from ..actors import Actor
from ..audit import history_context_api_key
from ..models import OrganisationAPIKey
from .throttling import FailedAuthenticationThrottle

LAST_USED_PRECISION = timedelta(minutes=1)


class PartnerSystem:
    """Stands in for request.user: a partner's system acting for its organisation."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, api_key: OrganisationAPIKey):
        self.api_key = api_key
        self.organisation = api_key.organisation
        self.actor = Actor.for_api_key(api_key)

    def __str__(self):
        return f"{self.organisation} (API key {self.api_key.name})"


class OrganisationAPIKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        failures = FailedAuthenticationThrottle()
        if failures.is_blocked(request):
            raise exceptions.Throttled(failures.wait(), detail="Too many requests with a refused API key from "
                                       "this address.")  # fmt: skip
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme != self.keyword or not key:
            failures.record_failure(request)
            raise exceptions.AuthenticationFailed("Send your key as: Authorization: Api-Key <key>")
        api_key = self._key_row(key)
        if api_key is None:
            failures.record_failure(request)
            raise exceptions.AuthenticationFailed("This API key is not valid.")
        if api_key.revoked or api_key.has_expired or not api_key.organisation.active:
            failures.record_failure(request)
            raise exceptions.AuthenticationFailed("This API key has been revoked or has expired.")
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_PRECISION:
            OrganisationAPIKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        history_context_api_key(api_key)  # the request's changes are recorded as the key's
        return PartnerSystem(api_key), api_key

    @staticmethod
    def _key_row(key: str) -> OrganisationAPIKey | None:
        """The key's row with its organisation, in one query; None unless the key matches its hash.

        Not the manager's get_from_key(): that is a manager method, so it cannot follow select_related(),
        and it hides revoked keys (we want to say "revoked" rather than "not valid").
        """
        if "\x00" in key:  # PostgreSQL text cannot hold NUL: a lookup would be a 500
            return None
        prefix, _, _ = key.partition(".")
        api_key = OrganisationAPIKey.objects.select_related("organisation").filter(prefix=prefix).first()
        if api_key is None or not api_key.is_valid(key):
            return None
        return api_key

    def authenticate_header(self, request):
        return self.keyword


class HasOrganisationAPIKey(permissions.BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.user, PartnerSystem)


class OrganisationAPIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "inclusion.api.authentication.OrganisationAPIKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Your organisation's key, sent as `Api-Key <key>`.",
        }
