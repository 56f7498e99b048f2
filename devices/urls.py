"""Staff web URLs of the devices app (namespace "devices")."""

from django.urls import include, path

from . import chase_views, views

app_name = "devices"

urlpatterns = [
    # Stock, device pages, loans: devices/views.py
    path("", views.device_list, name="device-list"),
    path("add/", views.device_add, name="device-add"),
    path("stock/<asset_tag>/", views.device_detail, name="device-detail"),
    path("stock/<asset_tag>/edit/", views.device_edit, name="device-edit"),
    path("stock/<asset_tag>/wipe/", views.device_wipe, name="device-wipe"),
    path("stock/<asset_tag>/status/", views.device_status, name="device-status"),
    path("stock/<asset_tag>/lend/", views.device_lend, name="device-lend"),
    path("residents/<uuid:pk>/lend/", views.loan_create, name="loan-create"),
    path("loans/", views.loan_list, name="loan-list"),
    path("loans/<int:loan_pk>/", views.loan_detail, name="loan-detail"),
    path("loans/<int:loan_pk>/return/", views.loan_return, name="loan-return"),
    path("loans/<int:loan_pk>/extend/", views.loan_extend, name="loan-extend"),
    path("loans/<int:loan_pk>/lost/", views.loan_report_lost, name="loan-report-lost"),
    path("loans/<int:loan_pk>/gift/", views.loan_gift, name="loan-gift"),
    path("loans/<int:loan_pk>/chase/", chase_views.loan_chase, name="loan-chase"),  # the overdue worklist
    path("policy/", views.loan_policy, name="loan-policy"),
    # Import, export and labels:
    path("", include("devices.io_urls")),
    # Data vouchers:
    path("", include("devices.voucher_urls")),
]
