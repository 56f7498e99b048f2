"""Staff web URLs for data vouchers, included by devices/urls.py (namespace "devices"): devices/vouchers/views.py."""

from django.urls import path

from . import views

urlpatterns = [
    # Stock, batches and imports (coordinators and administrators)
    path("vouchers/", views.voucher_stock, name="voucher-stock"),
    path("vouchers/export.csv", views.voucher_export_csv, name="voucher-export-csv"),
    path("vouchers/import/", views.voucher_import, name="voucher-import"),
    path("vouchers/import/confirm/", views.voucher_import_confirm, name="voucher-import-confirm"),
    path("vouchers/batches/<int:batch_pk>/", views.voucher_batch_detail, name="voucher-batch-detail"),
    # Issuing from the resident's page, and what happens to a voucher afterwards (all staff)
    path("vouchers/residents/<uuid:pk>/issue/", views.voucher_issue_for_resident, name="voucher-issue"),
    path("vouchers/<int:voucher_pk>/", views.voucher_detail, name="voucher-detail"),
    path("vouchers/<int:voucher_pk>/issued/", views.voucher_issued, name="voucher-issued"),
    path("vouchers/<int:voucher_pk>/show-code/", views.voucher_show_code, name="voucher-show-code"),
    path("vouchers/<int:voucher_pk>/slip.pdf", views.voucher_slip_pdf, name="voucher-slip"),
    path("vouchers/<int:voucher_pk>/activated/", views.voucher_mark_activated, name="voucher-activate"),
    path("vouchers/<int:voucher_pk>/not-working/", views.voucher_mark_failed, name="voucher-fail"),
    path("vouchers/<int:voucher_pk>/withdraw/", views.voucher_mark_withdrawn, name="voucher-withdraw"),
]
