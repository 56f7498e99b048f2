"""Staff web URLs of the devices app (namespace "devices"), each pointing at the views module of its part of the
domain: the stock (devices/views/stock.py), lending (loans.py), what comes back (returns.py), import, export and
labels (files.py), and data vouchers (devices/vouchers/urls.py)."""

from django.urls import include, path

from .reservations import views as reservation_views
from .views import agreements, chases, files, kits, loans, receipts, returns, stock

app_name = "devices"

urlpatterns = [
    # Stock and device pages
    path("", stock.device_list, name="device-list"),
    path("add/", stock.device_add, name="device-add"),
    path("stock/<asset_tag>/", stock.device_detail, name="device-detail"),
    path("stock/<asset_tag>/edit/", stock.device_edit, name="device-edit"),
    path("stock/<asset_tag>/status/", stock.device_status, name="device-status"),
    # Lending, the loans, the policy
    path("stock/<asset_tag>/lend/", loans.device_lend, name="device-lend"),
    path("residents/<uuid:pk>/lend/", loans.loan_create, name="loan-create"),
    path("loans/", loans.loan_list, name="loan-list"),
    path("loans/<int:loan_pk>/", loans.loan_detail, name="loan-detail"),
    path("loans/<int:loan_pk>/extend/", loans.loan_extend, name="loan-extend"),
    path("loans/<int:loan_pk>/chase/", chases.loan_chase, name="loan-chase"),  # the overdue worklist
    path("loans/<int:loan_pk>/renew/", loans.loan_renew, name="loan-renew"),
    path("policy/", loans.loan_policy, name="loan-policy"),
    # Kits: templates, lending one, a kit loan's items
    path("kits/", kits.kit_list, name="kit-list"),
    path("residents/<uuid:pk>/lend-kit/", kits.kit_lend, name="kit-lend"),
    path("kit-loans/<int:kit_loan_pk>/", kits.kit_loan_detail, name="kit-loan-detail"),
    # The waiting list
    path("waiting-list/", reservation_views.waiting_list, name="waiting-list"),
    path("residents/<uuid:pk>/reserve/", reservation_views.reservation_create, name="reservation-create"),
    path("reservations/<int:reservation_pk>/cancel/", reservation_views.reservation_cancel, name="reservation-cancel"),
    # The loan agreement's versions and what is printed for the resident
    path("agreement/", agreements.agreement_list, name="agreement-list"),
    path("agreement/<int:version>/", agreements.agreement_version, name="agreement-version"),
    path("residents/<uuid:pk>/agreement/", agreements.agreement_print, name="agreement-print"),
    path("residents/<uuid:pk>/agreement.pdf", agreements.agreement_pdf, name="agreement-pdf"),
    path("loans/<int:loan_pk>/receipt/", receipts.loan_receipt, name="loan-receipt"),
    path("loans/<int:loan_pk>/receipt.pdf", receipts.loan_receipt_pdf, name="loan-receipt-pdf"),
    path("loans/<int:loan_pk>/return-receipt/", receipts.return_receipt, name="return-receipt"),
    path("loans/<int:loan_pk>/return-receipt.pdf", receipts.return_receipt_pdf, name="return-receipt-pdf"),
    # What comes back, or does not: returns, losses, gifts, wipes
    path("check-in/", returns.check_in, name="check-in"),
    path("loans/<int:loan_pk>/return/", returns.loan_return, name="loan-return"),
    path("loans/<int:loan_pk>/lost/", returns.loan_report_lost, name="loan-report-lost"),
    path("loans/<int:loan_pk>/gift/", returns.loan_gift, name="loan-gift"),
    path("stock/<asset_tag>/wipe/", returns.device_wipe, name="device-wipe"),
    # Import, export and labels
    path("import/", files.device_import, name="device-import"),
    path("import/confirm/", files.device_import_confirm, name="device-import-confirm"),
    path("export.csv", files.device_export_csv, name="device-export-csv"),
    path("export.xlsx", files.device_export_xlsx, name="device-export-xlsx"),
    path("labels/", files.device_labels, name="device-labels"),
    path("stock/<asset_tag>/label/", files.device_label, name="device-label"),
    # Data vouchers
    path("", include("devices.vouchers.urls")),
]
