"""Celery entry points of the referrals app: take ids, call referrals/webhooks.py, own the retries; safe to run
twice (each event is sent under its row lock, in sequence order)."""

from celery import shared_task


@shared_task
def webhook_stream_send(endpoint_id: int, referral_id: str) -> dict:
    """Send one referral's waiting events to one endpoint; after a failure, run again when its backoff ends."""
    from .webhooks import stream_send

    result = stream_send(endpoint_id, referral_id)
    if result["retry_in"] is not None:
        webhook_stream_send.apply_async((endpoint_id, referral_id), countdown=max(result["retry_in"], 1))
    return result


@shared_task
def webhook_deliveries_due() -> int:
    """Every minute (beat): send whatever is due and was left behind (a worker stopped, a queued task lost)."""
    from .webhooks import streams_due

    pairs = streams_due()
    for endpoint_id, referral_id in pairs:
        webhook_stream_send.delay(endpoint_id, referral_id)
    return len(pairs)
