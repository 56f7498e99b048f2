"""The outside systems messages go through: GOV.UK Notify (its official client) for residents' texts and emails,
Django's email backend for staff. Settings: NOTIFY_API_KEY, NOTIFY_BASE_URL, NOTIFY_TIMEOUT and
NOTIFY_TEMPLATES ({kind: {channel: {language: template id}}}, English the fallback)."""

from django.conf import settings
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

__all__ = ["APIError", "notify_client", "notify_template_id", "is_transient"]


def notify_client() -> NotificationsAPIClient:
    return NotificationsAPIClient(settings.NOTIFY_API_KEY, base_url=settings.NOTIFY_BASE_URL,
                                  timeout=settings.NOTIFY_TIMEOUT)  # fmt: skip


def notify_template_id(kind: str, channel: str, language: str) -> str | None:
    by_language = settings.NOTIFY_TEMPLATES.get(kind, {}).get(channel, {})
    return by_language.get(language) or by_language.get("English")


def is_transient(error: APIError) -> bool:
    """Worth trying again: Notify's 5xx, its rate limit (429), or no answer at all (a timeout or refused
    connection, which the client reports as 503). Any other 4xx is our request's fault: trying again fails."""
    return error.status_code >= 500 or error.status_code == 429
