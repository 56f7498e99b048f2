"""Partner API routes of the devices app's devices and loans, registered on the core router
(inclusion/api/urls.py); the vouchers' are in devices/vouchers/api/urls.py."""

from .views import CheckInViewSet, DeviceViewSet, KitLoanViewSet, KitViewSet, LoanDocumentsViewSet, ReservationViewSet


def register(router) -> None:
    """Called by inclusion/api/urls.py with its router."""
    router.register("devices", DeviceViewSet, basename="device")
    router.register("loans", LoanDocumentsViewSet, basename="loan")
    router.register("kits", KitViewSet, basename="kit")
    router.register("kit-loans", KitLoanViewSet, basename="kit-loan")
    router.register("reservations", ReservationViewSet, basename="reservation")
    router.register("check-in", CheckInViewSet, basename="check-in")
