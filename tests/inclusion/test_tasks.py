"""A real Celery worker on the real Redis broker runs the core's tasks."""

import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache

from inclusion.celery import app
from inclusion.tasks import heartbeat


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_picks_up_a_task_from_redis():
    token = uuid.uuid4().hex
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        heartbeat.delay(token)
        deadline = time.monotonic() + 20
        while cache.get(f"heartbeat:{token}") is None and time.monotonic() < deadline:
            time.sleep(0.1)
    assert cache.get(f"heartbeat:{token}") == "ok"
