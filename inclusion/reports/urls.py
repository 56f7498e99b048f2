"""Report pages, under /reports/."""

from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.report_page, name="report"),
    path("download.csv", views.report_download, {"format": "csv"}, name="download-csv"),
    path("download.xlsx", views.report_download, {"format": "xlsx"}, name="download-xlsx"),
    path("download.pdf", views.report_download, {"format": "pdf"}, name="download-pdf"),
    path("issued/", views.snapshot_list, name="snapshot-list"),
    path("issued/issue/", views.snapshot_issue, name="snapshot-issue"),
    path("issued/<int:pk>/", views.snapshot_detail, name="snapshot-detail"),
    path("issued/<int:pk>/report.csv", views.snapshot_download, {"format": "csv"}, name="snapshot-csv"),
    path("issued/<int:pk>/report.xlsx", views.snapshot_download, {"format": "xlsx"}, name="snapshot-xlsx"),
    path("issued/<int:pk>/report.pdf", views.snapshot_download, {"format": "pdf"}, name="snapshot-pdf"),
]
