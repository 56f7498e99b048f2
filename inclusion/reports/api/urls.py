"""Partner API routes of the monthly impact reports, registered on the core router (inclusion/api/urls.py)
from inclusion/reports/apps.py."""

from .views import MonthlyReportViewSet, ReportSnapshotViewSet


def register(router) -> None:
    router.register("reports/monthly", MonthlyReportViewSet, basename="report-monthly")
    router.register("reports/snapshots", ReportSnapshotViewSet, basename="report-snapshot")
