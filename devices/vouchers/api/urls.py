"""Partner API routes for data vouchers, registered on the core router (inclusion/api/urls.py) by
devices/vouchers/registration.py."""

from .views import VoucherBatchViewSet, VoucherViewSet


def register(router) -> None:
    """Called by inclusion/api/urls.py with its router."""
    router.register("voucher-batches", VoucherBatchViewSet, basename="voucher-batch")
    router.register("vouchers", VoucherViewSet, basename="voucher")
