"""Partner API routes of the devices app, registered on the core router (inclusion/api/urls.py)."""

from .views import DeviceViewSet, LoanViewSet
from .voucher_views import VoucherBatchViewSet, VoucherViewSet


def register(router) -> None:
    """Called by inclusion/api/urls.py with its router."""
    router.register("devices", DeviceViewSet, basename="device")
    router.register("loans", LoanViewSet, basename="loan")
    router.register("voucher-batches", VoucherBatchViewSet, basename="voucher-batch")
    router.register("vouchers", VoucherViewSet, basename="voucher")
