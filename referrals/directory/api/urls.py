"""Partner API routes of the service directory, registered on the core router through inclusion.registry."""

from .views import ServiceViewSet


def register(router) -> None:
    """Called by inclusion/api/urls.py with its router."""
    router.register("services", ServiceViewSet, basename="service")
