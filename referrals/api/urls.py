"""Partner API routes of referrals, registered on the core router (inclusion/api/urls.py)."""

from .views import ReferralViewSet, WebhookDeliveryViewSet, WebhookEndpointViewSet


def register(router) -> None:
    """Called by inclusion/api/urls.py with its router."""
    router.register("referrals", ReferralViewSet, basename="referral")
    router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")
    router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
