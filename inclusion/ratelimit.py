"""Hourly limits per person (a member of staff, or a partner system's key), counted in Redis (the Django cache).

For the attempts that could each teach someone a little about another organisation's records: checks for an
existing record of a person across the scheme, and voucher imports (each says whether its codes can be
imported). The limits are settings; services call rate_limit_take before doing the work.
"""

import time
from datetime import UTC, datetime

from django.core.cache import cache
from django.utils import timezone

from .actors import Actor
from .errors import DomainError

HOUR = 3600


class RateLimited(DomainError):
    """A person has made as many attempts as the hour allows: a form error on the web, a 429 (with
    Retry-After) through the API."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, code="throttled")
        self.retry_after = retry_after


def _person(actor: Actor) -> str:
    if actor.user is not None:
        return f"user:{actor.user.pk}"
    if actor.api_key is not None:
        return f"key:{actor.api_key.pk}"
    return f"organisation:{actor.organisation.pk}"


def rate_limit_take(*, action: str, actor: Actor, limit: int, things: tuple[str, str], period: int = HOUR) -> None:
    """Count one `action` by the actor's person in this clock hour; raise RateLimited once it is over `limit`.

    `things` names the attempt in the message, singular and plural ("voucher import", "voucher imports").
    Fixed windows (the count starts again on the hour): one INCR, and the message can say when.
    """
    window = int(time.time()) // period
    key = f"ratelimit:{action}:{_person(actor)}:{window}"
    cache.add(key, 0, timeout=period + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=period + 60)
        count = 1
    if count <= limit:
        return
    resets = (window + 1) * period
    at = timezone.localtime(datetime.fromtimestamp(resets, tz=UTC))
    name = things[0] if limit == 1 else things[1]
    raise RateLimited(
        f"You have made {limit} {name} this hour, the most allowed. Try again after {at:%H:%M}.",
        retry_after=max(1, resets - int(time.time())),
    )
