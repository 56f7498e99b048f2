"""Request middleware of the core: the signed-in user's membership on each request, and the security headers
and body limit every response and request goes through.

Checked on every request, so a deactivated membership loses access at once.
"""

from django.conf import settings
from django.http import HttpResponse

from .selectors import memberships_for_user

SESSION_KEY = "membership_id"


class MembershipMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.memberships = []
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            memberships = list(memberships_for_user(user=user))
            request.memberships = memberships
            chosen = request.session.get(SESSION_KEY)
            request.membership = next(
                (m for m in memberships if m.pk == chosen), memberships[0] if memberships else None
            )
        return self.get_response(request)


TOO_LARGE = "The request is too large. Files you upload must be smaller than 5 MB."
URI_TOO_LONG = "The address is too long. Shorten the search or filter and try again."


class SecurityHeadersMiddleware:
    """Every response Django makes (static files are answered earlier, by WhiteNoise) carries
    `Cache-Control: no-store`, so no browser, proxy or shared computer keeps a copy of a page or API answer
    with personal data, and the Permissions-Policy (settings.PERMISSIONS_POLICY). A staff-web request body
    over settings.WEB_MAX_BODY_BYTES is refused with a 413 before anything reads it (the API has its own
    limits: inclusion.api.parsers). An address (path and query) longer than settings.MAX_URL_LENGTH is a 414,
    in the API's error format under /api/: gunicorn lets long request lines through (gunicorn.conf.py) so
    that this answer, not its HTML page, is what a partner's system gets."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if len(request.get_full_path()) > settings.MAX_URL_LENGTH:
            response = _uri_too_long(request)
        elif not request.path.startswith("/api/") and _content_length(request) > settings.WEB_MAX_BODY_BYTES:
            response = HttpResponse(TOO_LARGE, status=413, content_type="text/plain; charset=utf-8")
        else:
            response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _uri_too_long(request) -> HttpResponse:
    from .api.errors import api_uri_too_long, is_api_request

    if is_api_request(request):
        return api_uri_too_long()
    return HttpResponse(URI_TOO_LONG, status=414, content_type="text/plain; charset=utf-8")
