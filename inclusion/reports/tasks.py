"""Celery entry points for the reports. Beat runs monthly_reports on the 1st of each month (settings:
CELERY_BEAT_SCHEDULE); running it twice issues nothing twice."""

from celery import shared_task


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def monthly_reports() -> list[int]:
    """Issue last month's reports (each organisation's and the whole scheme's) and email their readers."""
    from .services import monthly_reports_issue

    return monthly_reports_issue()


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def report_rollups_refresh() -> int:
    """Compute the last 13 closed months' figures that are missing or stale, for every scope (nightly)."""
    from .rollups import report_rollups_refresh as refresh

    return refresh()
