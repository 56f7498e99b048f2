"""Celery entry points of messaging: the sweep (find what is due, compose, queue), the send task, the reconciler.
Tasks take ids and call a service; each is safe to run twice. Scheduled in the database (schedule.py)."""

from celery import shared_task
from django.conf import settings

from . import services, sweeps


@shared_task(name="messaging.reminders_sweep")
def reminders_sweep() -> dict:
    """Every few minutes: everything due now becomes items, then messages; what may be sent is queued."""
    return sweeps.sweep_run()


@shared_task(name="messaging.messages_reconcile")
def messages_reconcile() -> int:
    """Return messages stuck in `sending` to the queue, then queue what is due."""
    returned = sweeps.messages_reconcile()
    sweeps.messages_dispatch()
    return returned


def backoff(retries: int) -> int:
    """Seconds before try number `retries + 1`: 10 s, 20 s, 40 s... (MESSAGE_RETRY_BASE_SECONDS) up to 30 minutes."""
    return min(settings.MESSAGE_RETRY_BASE_SECONDS * 2**retries, 30 * 60)


@shared_task(
    bind=True, name="messaging.message_send", acks_late=True, reject_on_worker_lost=True,
    max_retries=settings.MESSAGE_SEND_MAX_RETRIES, soft_time_limit=60, time_limit=90,
)  # fmt: skip
def message_send(self, message_id: int) -> str:
    """Send one message (services.message_send: claimed, sent once, recorded). Transient failures are retried
    with backoff; after the last try the message is marked failed."""
    try:
        return services.message_send(message_id, final_attempt=self.request.retries >= self.max_retries)
    except services.TransientFailure as failure:
        raise self.retry(countdown=backoff(self.request.retries), exc=failure) from failure


@shared_task(name="messaging.delivery_statuses_poll")
def delivery_statuses_poll() -> dict:
    """Every few minutes: Notify's delivery receipts for messages sent (delivered, or failed with the reason)."""
    return services.delivery_statuses_poll()
