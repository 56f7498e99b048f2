"""Schemathesis against a live server: every operation of the partner API's schema, every check, the
stateful phase, two organisations' keys (so object-level authorisation is checked too).

    .venv/bin/python .ci/schemathesis.py            # by hand, or from .ci/run
    .venv/bin/python .ci/schemathesis.py --max-examples 200 --seed 1   # a longer run

It makes a fresh database beside DATABASE_URL's (<name>_schemathesis), migrates it, loads the demo,
creates a key for two partner organisations, starts gunicorn with the production settings on a free
loopback port, runs schemathesis, then stops the server and drops the database however the run ends.
It fails on any server error or schema mismatch schemathesis reports, and on any server error in
the server's own log. Reports (JUnit XML, the server log) go to artifacts/schemathesis/.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote

BASE_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
REPORT_DIR = BASE_DIR / "artifacts" / "schemathesis"
# The two partner organisations whose keys the run uses (from manage.py load_demo).
PEERS = ("black-country-works", "central-library")
# The same marker inclusion/api/errors.py writes with every server error's correlation id.
SERVER_ERROR_MARKER = "API server error"


# The one departure from schemathesis's defaults, and why. positive_data_acceptance expects a request the
# schema allows to be accepted; the API answers 422 when such a request breaks a rule no JSON Schema can
# state: an id that does not exist, a date relative to today, a cross-field rule, a policy limit, an
# unallocated phone number (inclusion/api/errors.py, UNPROCESSABLE_CODES). Schemathesis's own advice for
# such rules is to allow the status that carries them (`st explain ST202`). And negative_data_rejection
# counts a 414 (an address over settings.MAX_URL_LENGTH, documented on every operation) as the rejection it
# is: schemathesis repeats an array parameter until the query string runs past 8 KB. object_level_authorization
# is off for reading one service of the directory: a partner's service is what every partner reads by design (it
# is published without a key in the Open Referral UK feed); the check flags a peer reading it whenever the
# service is not on the first page of the peer's list. Writes to a service stay the owner's, and are checked.
# Nothing else is relaxed.
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "414", "415", "422", "428", "429", "5xx"]

[[operations]]
include-name = "GET /api/v1/services/{id}/"
checks.object_level_authorization.enabled = false
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_urls(base_url: str) -> tuple[str, dict, str]:
    """(URL of the run's own database, connection parameters for its server, the run's database name)."""
    import environ

    config = environ.Env.db_url_config(base_url)
    name = f"{config['NAME']}_schemathesis"
    # Connected to the server's maintenance database: the base one need not exist.
    params = {"dbname": "postgres", "user": config.get("USER") or "postgres",
              "host": unquote(config.get("HOST") or "") or None, "port": config.get("PORT") or None,
              "password": config.get("PASSWORD") or None}  # fmt: skip
    head, _, tail = base_url.partition("?")
    return head.rsplit("/", 1)[0] + f"/{name}" + (f"?{tail}" if tail else ""), params, name


def recreate_database(params: dict, name: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], env=env, cwd=BASE_DIR, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"manage.py {' '.join(args)} failed")
    return result.stdout


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer {url} within {timeout:.0f} s")


def stop(server: subprocess.Popen | None) -> None:
    """Stop gunicorn (its master and workers: it runs in its own process group)."""
    if server is None or server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=25, help="test cases per operation and phase")
    parser.add_argument("--seed", type=int, default=None, help="for a reproducible run")
    # One worker: with two, hypothesis's ast.parse() calls race in threads and Python 3.11.7 fails them
    # ("AST constructor recursion depth mismatch", CPython gh-106905), a runtime error in about 1 run in 4.
    parser.add_argument("--workers", default="1")
    args = parser.parse_args(argv)

    # SIGTERM (CI's time limit, say) unwinds through the finally blocks like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inclusion")
    run_url, params, name = database_urls(base_url)
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    log_path = REPORT_DIR / "server.log"
    port = free_port()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="inclusion.settings.production",
        DATABASE_URL=run_url,
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback
        LOG_LEVEL="INFO",
        # The run tests what the API answers, not its rate limits (the suite tests those): schemathesis
        # sends thousands of requests a minute, and many deliberately bad keys.
        API_THROTTLE_RATE_KEY="1000000/minute",
        API_THROTTLE_RATE_FAILED_AUTH="1000000/minute",
    )
    server = None
    started = time.monotonic()
    try:
        recreate_database(params, name)
        manage(env, "migrate", "--no-input")
        manage(env, "load_demo")
        keys = {org: manage(env, "create_api_key", org, "--name", "schemathesis").strip().splitlines()[-1]
                for org in PEERS}  # fmt: skip
        with log_path.open("w") as log:
            server = subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "inclusion.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                 "--timeout", "60", "--access-logfile", "-", "--error-logfile", "-"],
                env=env, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        origin = f"http://127.0.0.1:{port}"
        wait_until_up(f"{origin}/api/schema/?format=json", server)
        print(f"server up on {origin} after {time.monotonic() - started:.0f} s", flush=True)

        with tempfile.TemporaryDirectory() as tmp:
            auth = {"auth": [{"name": org, "fixedHeaders": [{"name": "Authorization", "value": f"Api-Key {key}"}]}
                             for org, key in keys.items()]}  # fmt: skip
            (Path(tmp) / "auth.json").write_text(json.dumps(auth))
            (Path(tmp) / "schemathesis.toml").write_text(
                CONFIG + f'\n[auth.wfc]\npath = "{Path(tmp) / "auth.json"}"\npeers = {json.dumps(list(PEERS))}\n'
            )
            command = [
                str(VENV_BIN / "schemathesis"), "--config-file", str(Path(tmp) / "schemathesis.toml"), "run",
                f"{origin}/api/schema/?format=json", "--url", f"{origin}",
                # Every check runs (schemathesis's default); naming them with --checks would override the
                # per-operation setting in CONFIG.
                "--phases", "examples,coverage,fuzzing,stateful",
                "--max-examples", str(args.max_examples), "--workers", args.workers,
                "--generation-database", "none", "--request-timeout", "30",
                "--report", "junit", "--report-dir", str(REPORT_DIR), "--no-color",
            ]  # fmt: skip
            if args.seed is not None:
                command += ["--seed", str(args.seed)]
            result = subprocess.run(command, cwd=BASE_DIR, env=dict(os.environ))
        server_errors = [line for line in log_path.read_text(errors="replace").splitlines()
                         if SERVER_ERROR_MARKER in line]  # fmt: skip
        print(f"\nschemathesis exited with {result.returncode}; server errors in the server log: "
              f"{len(server_errors)}; {time.monotonic() - started:.0f} s in all", flush=True)  # fmt: skip
        for line in server_errors[:20]:
            print("  " + line)
        return result.returncode or (1 if server_errors else 0)
    finally:
        stop(server)
        try:
            recreate_database(params, name, drop_only=True)
        except Exception as error:  # a failed clean-up must not hide the run's own result
            print(f"could not drop {name}: {error}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
