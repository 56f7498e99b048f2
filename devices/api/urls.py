"""Partner API routes of the devices app's devices and loans, registered on the core router
(inclusion/api/urls.py); the vouchers' are in devices/vouchers/api/urls.py."""

from .views import DeviceViewSet, LoanViewSet


def register(router) -> None:
    """Called by inclusion/api/urls.py with its router."""
    router.register("devices", DeviceViewSet, basename="device")
    router.register("loans", LoanViewSet, basename="loan")
