"""Rate limits of the partner API, counted in Redis (Django's cache) with DRF's throttles; the limits are
settings (API_THROTTLE_RATES). Over a limit is a 429 in the error format, with Retry-After in seconds.

- Per API key: every request made with the key ("key").
- Per client address: requests whose key was refused ("failed_auth"). Once over, that address gets 429
  before any key it sends is looked at, so keys cannot be guessed (or their hashing used to load the
  server) at speed. The address is the connection's own (REMOTE_ADDR), or the one NUM_PROXIES trusted
  proxies put in X-Forwarded-For: a client cannot escape the limit by sending that header itself.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class APIKeyRateThrottle(SimpleRateThrottle):
    scope = "key"

    def get_rate(self):
        return settings.API_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        api_key = getattr(request.user, "api_key", None)
        return None if api_key is None else f"throttle:api-key:{api_key.pk}"


class FailedAuthenticationThrottle(SimpleRateThrottle):
    """Counts refused keys per client address; used by the authentication class, not as a view throttle."""

    scope = "failed_auth"

    def get_rate(self):
        return settings.API_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view=None):
        return f"throttle:failed-auth:{self.get_ident(request)}"

    def is_blocked(self, request) -> bool:
        """True when the address has used up its failures; then wait() says for how long."""
        self.key = self.get_cache_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests

    def record_failure(self, request) -> None:
        if not hasattr(self, "history"):
            self.is_blocked(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)
