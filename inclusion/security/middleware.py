"""Session security on every staff-web request: the idle and absolute timeouts, ending a session whose
membership was deactivated, and the two-factor gate.

Runs after django-otp's OTPMiddleware (request.user.is_verified) and inclusion's MembershipMiddleware
(request.memberships: the active ones). A password change ends every other session by itself: Django checks
the session's password hash on each request. The partner API has no sessions and is not affected.
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse

from .mfa import mfa_enrolled, mfa_required

STARTED = "security.signed_in_at"
LAST_SEEN = "security.last_seen"
MEMBERSHIPS = "security.memberships"
# How often (seconds) the last-seen time is written back: not on every request, which would save the
# session every time.
LAST_SEEN_RESOLUTION = 30

TIMED_OUT = "You were signed out because you had not used the service for {minutes} minutes. Sign in again."
TOO_LONG = "You were signed out because you had been signed in for {hours} hours. Sign in again."
ACCESS_CHANGED = "You were signed out because your access to an organisation changed. Sign in again."


@receiver(user_logged_in)
def _session_start(sender, request, user, **kwargs):
    """Note when the session began and which memberships it began with."""
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[STARTED] = now
    request.session[LAST_SEEN] = now
    request.session[MEMBERSHIPS] = sorted(
        user.memberships.filter(active=True, organisation__active=True).values_list("pk", flat=True)
    )


def _exempt(path: str) -> bool:
    """Pages an unverified session may reach: signing out, the two-factor steps, static files."""
    return path.startswith((reverse("logout"), "/account/", settings.STATIC_URL))


class SessionSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.mfa_pending = False  # the second step is still to come (base.html then shows no menu)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith("/api/"):
            return self.get_response(request)
        session = request.session
        now = time.time()
        started = session.get(STARTED)
        last_seen = session.get(LAST_SEEN)
        if started is None or last_seen is None:  # a session from before these checks: start counting now
            started = last_seen = now
            session[STARTED] = session[LAST_SEEN] = now
        if now - last_seen > settings.SESSION_IDLE_SECONDS:
            return self._end(request, TIMED_OUT.format(minutes=settings.SESSION_IDLE_SECONDS // 60))
        if now - started > settings.SESSION_ABSOLUTE_SECONDS:
            return self._end(request, TOO_LONG.format(hours=round(settings.SESSION_ABSOLUTE_SECONDS / 3600)))
        active = {membership.pk for membership in request.memberships}
        began_with = session.get(MEMBERSHIPS)
        if began_with is None:
            session[MEMBERSHIPS] = sorted(active)
        elif not set(began_with) <= active:
            return self._end(request, ACCESS_CHANGED)
        if now - last_seen >= LAST_SEEN_RESOLUTION:
            session[LAST_SEEN] = now
        request.mfa_pending = mfa_required(user, request.memberships) and not user.is_verified()
        if request.mfa_pending and not _exempt(request.path):
            step = "mfa-verify" if mfa_enrolled(user) else "mfa-enrol"
            query = urlencode({"next": request.path}) if request.method == "GET" else ""
            return redirect(reverse(step) + (f"?{query}" if query else ""))
        return self.get_response(request)

    @staticmethod
    def _end(request, message: str):
        logout(request)
        messages.info(request, message)
        return redirect(settings.LOGIN_URL)
