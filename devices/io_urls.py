"""URLs included by devices/urls.py (namespace "devices"): import, export and asset labels.

Include these before any "<asset_tag>/" pattern, or that would catch /devices/import/ and /devices/labels/.
"""

from django.urls import path

from . import io_views

urlpatterns = [
    path("import/", io_views.device_import, name="device-import"),
    path("import/confirm/", io_views.device_import_confirm, name="device-import-confirm"),
    path("export.csv", io_views.device_export_csv, name="device-export-csv"),
    path("export.xlsx", io_views.device_export_xlsx, name="device-export-xlsx"),
    path("labels/", io_views.device_labels, name="device-labels"),
    path("stock/<asset_tag>/label/", io_views.device_label, name="device-label"),
]
