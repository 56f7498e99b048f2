"""The sign-in lockout (django-axes): five failures for one email from one address lock that pair out, and
settings.LOGIN_FAILURES_PER_ADDRESS failures from one address, whatever the emails, lock the address out
(someone trying many emails with one password). Both for AXES_COOLOFF_TIME."""

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """The failures that count towards the lockout, on the scale of AXES_FAILURE_LIMIT: the pair's own,
        or the address's across every email scaled to that limit, whichever is further on."""
        pair = super().get_failures(request, credentials)  # also clears attempts past their cool-off
        address = getattr(request, "axes_ip_address", None)
        if not address:
            return pair
        total = AccessAttempt.objects.filter(ip_address=address).aggregate(n=Sum("failures_since_start"))["n"] or 0
        return max(pair, total * settings.AXES_FAILURE_LIMIT // settings.LOGIN_FAILURES_PER_ADDRESS)
