"""Celery entry points of the privacy app: they call a service and are safe to run twice."""

from celery import shared_task


@shared_task(name="privacy.retention_anonymise_confirmed")
def retention_anonymise_confirmed() -> dict:
    """Anonymise the residents coordinators confirmed at retention review (inclusion/privacy/retention.py), for
    beat to schedule nightly (inclusion/messaging/schedule.py)."""
    from .retention import retention_anonymise_confirmed as carry_out

    return carry_out()
