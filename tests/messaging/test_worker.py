"""End to end with a real Redis broker, real Celery workers (subprocesses) and the real Notify client against a
local Notify: a loan falls due → the sweep → the worker → sent; exactly once when swept twice with two workers,
when Notify fails first, and when a worker is killed with SIGKILL in the middle of a send."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from inclusion.celery import app
from inclusion.messaging import sweeps
from inclusion.messaging.models import Message
from inclusion.messaging.tasks import message_send

from .conftest import texting_resident, uk
from .notify_server import API_KEY, TEMPLATES, FakeNotify

pytestmark = [pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    return f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    """Celery workers as separate processes (each in its own process group, so SIGKILL takes all of it)."""

    def __init__(self, notify: FakeNotify, tmp_path: Path):
        self.notify, self.tmp_path, self.processes = notify, tmp_path, []

    def start(self, name: str) -> subprocess.Popen:
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="inclusion.settings.test", DATABASE_URL=_database_url(),
                   REDIS_URL=settings.REDIS_URL, NOTIFY_API_KEY=API_KEY, NOTIFY_BASE_URL=self.notify.url,
                   NOTIFY_TEMPLATES=json.dumps(TEMPLATES), NOTIFY_TIMEOUT="20", MESSAGE_RETRY_BASE_SECONDS="1", MESSAGE_QUIET_HOURS="false")  # fmt: skip
        env.pop("TEST_DATABASE_NAME", None)
        log = open(self.tmp_path / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "inclusion", "worker", "--pool=prefork", "--concurrency=1",
             "--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel=INFO", "-n", f"{name}@%h"],
            env=env, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def logs(self) -> str:
        return "\n".join(path.read_text() for path in self.tmp_path.glob("*.log"))


@pytest.fixture(autouse=True)
def daytime(settings):
    """These tests send at the machine's time of day, whatever it is: quiet hours have their own tests."""
    settings.MESSAGE_QUIET_HOURS = False


@pytest.fixture
def notify(settings):
    with FakeNotify() as server:
        settings.NOTIFY_API_KEY = API_KEY
        settings.NOTIFY_BASE_URL = server.url
        settings.NOTIFY_TEMPLATES = TEMPLATES
        yield server


@pytest.fixture
def workers(notify, tmp_path):
    app.control.purge()  # nothing left over from another test
    pool = Workers(notify, tmp_path)
    yield pool
    pool.stop_all()


def wait_until(condition, workers, timeout: float = 90, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    found = list(Message.objects.values_list("pk", "status", "status_reason", "attempts"))
    raise AssertionError(f"timed out waiting for {what}: {found}\n{workers.logs()}")


def statuses() -> list[str]:
    return sorted(Message.objects.values_list("status", flat=True))


def sweep_due_loans(org_a, lend, residents: int = 1) -> list:
    """Loans due today, swept at noon yesterday (daytime): one reminder each, due to go now."""
    loans = [lend(texting_resident(org_a), timezone.localdate()) for _ in range(residents)]
    sweeps.sweep_run(now=uk(timezone.localdate() - timedelta(days=1), 12))
    return loans


def test_a_loan_falls_due_the_sweep_queues_it_and_a_worker_sends_it(org_a, lend, workers, notify):
    workers.start("one")
    (loan,) = sweep_due_loans(org_a, lend)
    wait_until(lambda: statuses() == ["sent"], workers, what="the message to be sent")
    message = Message.objects.get()
    assert notify.references() == [str(message.pk)]
    assert notify.sent[0]["body"]["phone_number"] == loan.resident.phone
    assert str(message.notify_id) == notify.sent[0]["answer"]["id"]


def test_swept_twice_with_two_workers_each_message_is_sent_once(org_a, lend, workers, notify):
    workers.start("one")
    workers.start("two")
    sweep_due_loans(org_a, lend, residents=6)
    sweeps.sweep_run(now=uk(timezone.localdate() - timedelta(days=1), 12, 5))  # the same again: nothing new
    ids = list(Message.objects.values_list("pk", flat=True))
    for pk in ids * 2:  # and every message queued twice more, for both workers to race over
        message_send.delay(pk)
    wait_until(lambda: statuses() == ["sent"] * 6, workers, what="six messages sent")
    time.sleep(2)  # let any duplicate task finish
    assert sorted(notify.references()) == sorted(str(pk) for pk in ids)


def test_notify_failing_with_5xx_is_retried_by_the_worker_then_sent(org_a, lend, workers, notify):
    notify.fail_next = [500, 503]
    workers.start("one")
    sweep_due_loans(org_a, lend)
    wait_until(lambda: statuses() == ["sent"], workers, what="the message to be sent after retries")
    message = Message.objects.get()
    assert [status for status, _ in notify.refused] == [500, 503]
    assert notify.references() == [str(message.pk)] and message.attempts == 3


def test_a_worker_killed_mid_send_leaves_the_message_sent_exactly_once(org_a, lend, workers, notify):
    notify.delay_next = [30]  # Notify takes the request, then is slow to answer: the worker is killed waiting
    first = workers.start("doomed")
    sweep_due_loans(org_a, lend)
    assert notify.wait_for(1, timeout=60), workers.logs()
    assert statuses() == ["sending"]
    workers.kill(first)
    # Recovery: the reconciler returns the stuck message to the queue and a new worker takes it.
    assert sweeps.messages_reconcile(stuck_after=0) == 1
    assert sweeps.messages_dispatch() != []
    workers.start("rescuer")
    wait_until(lambda: statuses() == ["sent"], workers, what="the message to be sent after recovery")
    message = Message.objects.get()
    assert len(notify.sent) == 1 and str(message.notify_id) == notify.sent[0]["answer"]["id"]
    assert notify.lookups == [str(message.pk)]  # asked Notify before sending again, and did not
