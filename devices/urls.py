"""Staff web URLs of the devices app (namespace "devices")."""

from django.urls import include, path

app_name = "devices"

urlpatterns = [
    # Stock, device pages, loans: devices/views.py
    # Import, export and labels:
    path("", include("devices.io_urls")),
    # Data vouchers:
    path("", include("devices.voucher_urls")),
]
