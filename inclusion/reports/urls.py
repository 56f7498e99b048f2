"""Report pages, under /reports/."""

from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.report_page, name="report"),
    path("download.csv", views.report_download, {"format": "csv"}, name="download-csv"),
    path("download.xlsx", views.report_download, {"format": "xlsx"}, name="download-xlsx"),
    path("download.pdf", views.report_download, {"format": "pdf"}, name="download-pdf"),
]
