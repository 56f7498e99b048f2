"""Celery entry points of the core. Tasks take ids or plain values and call a service; safe to run twice."""

from celery import shared_task
from django.core.cache import cache


@shared_task
def heartbeat(token: str) -> str:
    """Record that a worker is alive and reading the queue (used by health checks and the tests)."""
    cache.set(f"heartbeat:{token}", "ok", timeout=300)
    return token


@shared_task
def idempotency_records_purge() -> int:
    """Sweep expired Idempotency-Key records (for beat to schedule; the API also sweeps at most hourly)."""
    from .services import idempotency_records_purge as purge

    return purge()
