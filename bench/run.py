"""The region-scale benchmark (issue 12): `make bench`, or `.venv/bin/python bench/run.py`.

1. A region database beside DATABASE_URL's (BENCH_REGION_DATABASE, default region_scale): created, migrated and
   filled by `manage.py build_region --size full --analyze` when it has no region yet (minutes, CPU-heavy:
   it is kept and reused; drop it to rebuild).
2. The app under gunicorn (2 workers, production settings) on a loopback port; an API key and a signed-in
   session for the largest partner (150,000 residents); the queries each path runs, counted in-process.
3. Load from a separate process (bench/load.py: N clients, each one request at a time, for BENCH_SECONDS per
   path), with one and with four clients.
4. The ceiling (bench/ceiling.py: hand-written SQL for the resident list and search, a minimal WSGI app under
   the same gunicorn) for the same rows, and the app's throughput as a share of it.
5. BENCHMARKS.md: the machine, the dataset, every figure and the targets.
"""

import argparse
import json
import os
import platform
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
VENV_BIN = Path(sys.executable).parent
TARGET_P95_ONE, TARGET_P95_FOUR, TARGET_CEILING_SHARE = 100, 250, 0.5

# (label, path, who): `who` is "api" (the partner's key), "web" (a signed-in member of frontline staff), "viewer"
# (a signed-in viewer: reports only, and no two-step sign-in to pass) or "public" (nobody signed in).
PATHS = [
    ("API residents list", "/api/v1/residents/?page_size=50", "api"),
    ("API residents ?q=smi", "/api/v1/residents/?q=smi", "api"),
    ("API residents ?postcode=B12", "/api/v1/residents/?postcode=B12", "api"),
    ("API resident detail", "/api/v1/residents/{resident}/", "api"),
    ("API vouchers list", "/api/v1/vouchers/", "api"),
    ("API loans ?status=open", "/api/v1/loans/?status=open", "api"),
    ("API devices list", "/api/v1/devices/", "api"),
    ("Staff resident search ?q=smi", "/residents/?q=smi", "web"),
    ("Staff resident page", "/residents/{resident}/", "web"),
    ("Staff devices list", "/devices/", "web"),
    ("Staff loans list", "/devices/loans/", "web"),
    ("Staff home page", "/", "web"),
    ("Staff referral inbox", "/referrals/", "web"),
    ("Staff service directory ?q=digital", "/directory/?q=digital", "web"),
    ("Open Referral UK feed", "/openreferral/services", "public"),
    ("Staff report page, whole scheme", "/reports/?scope=scheme&month={month}", "viewer"),
]
CEILING_PATHS = [
    ("API residents list", "/residents?org={org}"),
    ("API residents ?q=smi", "/residents?org={org}&q=smi"),
    ("API residents ?postcode=B12", "/residents?org={org}&postcode=B12"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_urls() -> tuple[str, dict, str]:
    """(the region database's URL, psycopg parameters for the server's maintenance database, its name)."""
    import environ

    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inclusion")
    name = os.environ.get("BENCH_REGION_DATABASE", "region_scale")
    config = environ.Env.db_url_config(base_url)
    params = {"dbname": "postgres", "user": config.get("USER") or "postgres", "host": config.get("HOST") or None,
              "port": config.get("PORT") or None, "password": config.get("PASSWORD") or None}  # fmt: skip
    head, _, tail = base_url.partition("?")
    return head.rsplit("/", 1)[0] + f"/{name}" + (f"?{tail}" if tail else ""), params, name


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True,
                            text=True)  # fmt: skip
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def ensure_region(env: dict, params: dict, name: str) -> str:
    import psycopg

    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    manage(env, "migrate", "--no-input")
    manage(env, "collectstatic", "--no-input")  # production settings serve the hashed files (WhiteNoise)
    record = BASE_DIR / "artifacts" / "bench" / f"{name}-build.txt"  # what the build printed, for the report
    try:
        output = manage(env, "build_region", "--size", "full", "--analyze")
    except SystemExit as error:
        if "already has a region" not in str(error):
            raise
        return f"built before this run and reused ({record.read_text().strip()})" if record.exists() else ""
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(output)
    return output


def serve(env: dict, app: str, port: int, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), app, "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "120",
             "--error-logfile", "-"],
            env=env, cwd=BASE_DIR, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn {app} exited: see {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.3)
    stop(server)
    raise SystemExit(f"gunicorn {app} did not start")


def stop(server: subprocess.Popen | None) -> None:
    if server is None or server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def load(url: str, headers: dict, clients: int, seconds: float) -> dict:
    command = [sys.executable, str(BASE_DIR / "bench" / "load.py"), "--url", url, "--clients", str(clients),
               "--seconds", str(seconds)] + [arg for k, v in headers.items() for arg in ("--header", f"{k}: {v}")]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def prepare() -> dict:
    """In this process (Django on the region database): the largest partner, a key, a session, sample ids and
    the queries each path runs (counted through Django's test client, the server's own code)."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from inclusion.models import Membership, Organisation, Resident
    from inclusion.reports.forms import last_full_month
    from inclusion.services import api_key_create

    User = get_user_model()  # noqa: N806

    organisation = Organisation.objects.get(slug="region-01")
    _, key = api_key_create(organisation=organisation, name=f"bench {datetime.now(UTC):%Y-%m-%d %H:%M}")
    # Frontline staff: the pages measured are theirs, and coordinators must pass two-step sign-in first.
    membership = Membership.objects.filter(organisation=organisation, active=True).order_by("id").first()
    if membership.role != "frontline":  # a region built before its staff were frontline
        Membership.objects.filter(pk=membership.pk).update(role="frontline")
    user = membership.user
    web = Client()
    web.force_login(user)
    # The report page's reader: a viewer (coordinators see reports too, but must pass two-step sign-in first).
    viewer_user, _ = User.objects.get_or_create(email="bench-viewer@region.invalid",
                                                defaults={"full_name": "Bench viewer"})  # fmt: skip
    Membership.objects.get_or_create(user=viewer_user, organisation=organisation, defaults={"role": "viewer"})
    viewer = Client()
    viewer.force_login(viewer_user)
    resident = Resident.objects.filter(owning_organisation=organisation).order_by("id").values_list("pk", flat=True)[0]
    samples = {"resident": resident, "org": organisation.pk, "month": last_full_month()}
    api = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    clients = {"api": api, "web": web, "viewer": viewer, "public": Client()}
    queries, slowest = {}, {}
    for label, path, who in PATHS:
        client = clients[who]
        client.get(path.format(**samples))  # the first request records the key's use, the session's...
        runs = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                status = client.get(path.format(**samples)).status_code
                elapsed = (time.perf_counter() - started) * 1000
            runs.append((elapsed, sum(float(q["time"]) for q in captured.captured_queries) * 1000, len(captured)))
            slowest[label] = max(captured.captured_queries, key=lambda q: float(q["time"]))["sql"]
        elapsed, sql, count = sorted(runs)[2]  # the median run
        queries[label] = (count, status, elapsed, sql)
    # Where the time goes: the plan of the slowest statement of the path slowest in-process.
    worst = max(queries, key=lambda label: queries[label][2])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest[worst])
        plan = [row[0] for row in cursor.fetchall()]
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
        counts = {}
        for table in ("inclusion_organisation", "inclusion_resident", "inclusion_caseevent", "devices_device",
                      "devices_loan", "devices_voucher", "referrals_referral", "referrals_outcome",
                      "messaging_message"):  # fmt: skip
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our own table names)
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FILTER (WHERE closed_at IS NULL), count(*) FILTER (WHERE closed_at IS NULL "
                       "AND due_on < current_date) FROM devices_loan")  # fmt: skip
        counts["open loans"], counts["overdue loans"] = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM inclusion_resident WHERE owning_organisation_id = %s", [organisation.pk])
        counts["largest partner's residents"] = cursor.fetchone()[0]
        cursor.execute("SELECT count(DISTINCT l.resident_id) FROM devices_loan l JOIN inclusion_resident r ON "
                       "r.id = l.resident_id WHERE l.organisation_id = %s AND l.closed_at IS NULL AND "
                       "r.owning_organisation_id <> %s", [organisation.pk, organisation.pk])  # fmt: skip
        counts["shared with it by open loans"] = cursor.fetchone()[0]
        cursor.execute("SELECT count(DISTINCT resident_id) FROM referrals_referral WHERE to_organisation_id = %s "
                       "AND status IN ('sent', 'accepted', 'started')", [organisation.pk])  # fmt: skip
        counts["referred to it (open)"] = cursor.fetchone()[0]
        settings = {}
        for name in ("random_page_cost", "jit", "work_mem", "shared_buffers", "effective_cache_size"):
            cursor.execute(f"SHOW {name}")
            settings[name] = cursor.fetchone()[0]
    from django.conf import settings as django_settings

    # The production settings name it "__Host-session" (HTTPS only in a browser; the benchmark sends it itself).
    cookie = django_settings.SESSION_COOKIE_NAME
    session = {"name": cookie, "value": web.cookies[cookie].value, "viewer": viewer.cookies[cookie].value}
    return {"key": key, "session": session, "samples": samples, "queries": queries,
            "postgres": version, "counts": counts, "settings": settings, "worst": worst, "plan": plan}  # fmt: skip


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    except OSError:
        memory = 0
    load_average = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} cores ({model}), {memory} GB RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}; load average before the run: {load_average} (the machine is shared)")  # fmt: skip


TABLE_LABELS = {"inclusion_organisation": "organisations", "inclusion_resident": "residents",
                "inclusion_caseevent": "timeline entries", "devices_device": "devices", "devices_loan": "loans",
                "devices_voucher": "vouchers", "referrals_referral": "referrals", "referrals_outcome": "outcomes",
                "messaging_message": "reminders sent"}  # fmt: skip


# Benchmarks with their own script, each writing artifacts/bench/<name>.md, which the report includes.
EXTRA_BENCHMARKS = [
    ("The monthly report against hand-written SQL (bench/report.py)", "report"),
    ("Imports against COPY (bench/imports.py)", "imports"),
    ("The reminder sweep (bench/reminders.py)", "reminders"),
]


def fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def write_report(
    output: Path, info: dict, results: dict, ceiling: dict, seconds: float, build: str, measured: str, host: str
) -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` (bench/run.py) on {measured}.",
        "",
        f"- Machine: {host}.",
        f"- {info['postgres']}, settings as installed: "
        + ", ".join(f"`{k}` {v}" for k, v in info["settings"].items())
        + " (none changed for the run).",
        "- The app: gunicorn, 2 sync workers, production settings, loopback; the load from a separate process "
        f"(bench/load.py), each client sending one request at a time for {seconds:.0f} s per path, after 2 warm-up "
        "requests. Both on the same 2 cores.",
        "- Dataset (`manage.py build_region --size full`): "
        + ", ".join(f"{v:,} {TABLE_LABELS.get(k, k)}" for k, v in info["counts"].items())
        + f". Build: {' '.join(build.split()) or 'built before this run and reused'}",
        "- Requests are made as the largest partner (region-01): its API key, a signed-in member of frontline staff, "
        "a signed-in viewer for the report page (the whole scheme's last full month); the Open Referral UK feed is "
        "public.",
        "",
        f"Targets (issue 12): p95 ≤ {TARGET_P95_ONE} ms with one client, ≤ {TARGET_P95_FOUR} ms with four; the "
        f"resident list and search ≥ {TARGET_CEILING_SHARE:.0%} of the ceiling's throughput.",
        "",
        "Queries and in-process ms: one request through Django's test client in the benchmark's own process (the "
        "median of 5), and the time its SQL took: what the request costs without HTTP, gunicorn or the other "
        "clients.",
        "",
        "| path | queries | in-process ms (SQL) | 1 client p50 / p95 / p99 ms | req/s | 4 clients p50 / p95 / p99 ms | req/s | target met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, path, _ in PATHS:
        one, four = results[label][1], results[label][4]
        queries, status, in_process, sql = info["queries"][label]
        met = one["p95"] <= TARGET_P95_ONE and four["p95"] <= TARGET_P95_FOUR
        bad = {k: v for k, v in {**one["statuses"], **four["statuses"]}.items() if not str(k).startswith("2")}
        lines.append(
            f"| {label} `{path}` | {queries} | {fmt(in_process)} ({fmt(sql)}) | {fmt(one['p50'])} / {fmt(one['p95'])} / {fmt(one['p99'])} | "
            f"{one['rps']:.1f} | {fmt(four['p50'])} / {fmt(four['p95'])} / {fmt(four['p99'])} | {four['rps']:.1f} | "
            f"{'yes' if met else 'no'}{f' (statuses {bad})' if bad else ''} |"
        )
    lines += [
        "",
        "## The ceiling: hand-written SQL in a minimal WSGI app (bench/ceiling.py)",
        "",
        "| path | ceiling 1 client p50 / p95 ms | req/s | 4 clients p50 / p95 ms | req/s | app's req/s as a share (1 / 4 clients) |",
        "|---|---|---|---|---|---|",
    ]
    for label, _path in CEILING_PATHS:
        one, four = ceiling[label][1], ceiling[label][4]
        app_one, app_four = results[label][1]["rps"], results[label][4]["rps"]
        lines.append(
            f"| {label} | {fmt(one['p50'])} / {fmt(one['p95'])} | {one['rps']:.1f} | {fmt(four['p50'])} / "
            f"{fmt(four['p95'])} | {four['rps']:.1f} | {app_one / one['rps']:.0%} / {app_four / four['rps']:.0%} |"
        )
    count, _, in_process, sql = info["queries"][info["worst"]]
    lines += [
        "",
        f"## Where the time goes: {info['worst']} (the slowest in-process)",
        "",
        f"{count} queries; {fmt(in_process)} ms in-process, of which {fmt(sql)} ms in SQL. The plan of its slowest "
        "statement (EXPLAIN ANALYZE, BUFFERS):",
        "",
        "```",
        *info["plan"],
        "```",
        "",
    ]
    for title, name in EXTRA_BENCHMARKS:  # measured by their own scripts (make bench-all runs them first)
        fragment = BASE_DIR / "artifacts" / "bench" / f"{name}.md"
        if fragment.exists():
            lines += [f"## {title}", "", fragment.read_text().rstrip(), ""]
        else:
            lines += [f"## {title}", "", f"Not measured in this run (bench/{name}.py writes it).", ""]
    missed = []
    for label, _path, _who in PATHS:
        one, four = results[label][1]["p95"], results[label][4]["p95"]
        if one > TARGET_P95_ONE or four > TARGET_P95_FOUR:
            missed.append(f"- {label}: p95 {fmt(one)} ms with one client ({one / TARGET_P95_ONE:.1f}× the target), "
                          f"{fmt(four)} ms with four ({four / TARGET_P95_FOUR:.1f}×).")  # fmt: skip
    for label, _path in CEILING_PATHS:
        shares = [results[label][n]["rps"] / ceiling[label][n]["rps"] for n in (1, 4)]
        if min(shares) < TARGET_CEILING_SHARE:
            missed.append(f"- {label}: {shares[0]:.0%} / {shares[1]:.0%} of the ceiling's throughput with one / four "
                          f"clients (target {TARGET_CEILING_SHARE:.0%}).")  # fmt: skip
    if missed:
        lines += ["## Targets missed, by how much", "", *missed, "",
                  "The report, import and sweep targets: in their own sections above.", ""]  # fmt: skip
    notes = BASE_DIR / "bench" / "notes.md"  # why, written by hand: kept across runs
    if notes.exists():
        lines += [notes.read_text().rstrip(), ""]
    output.write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "8")))
    parser.add_argument("--output", default=str(BASE_DIR / "BENCHMARKS.md"))
    parser.add_argument("--results", default=str(BASE_DIR / "artifacts" / "bench" / "results.json"))
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from --results, no run")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.report_only:
        saved = json.loads(Path(args.results).read_text())
        as_ints = {label: {int(n): figures for n, figures in by_clients.items()} for label, by_clients in
                   saved["app"].items()}  # fmt: skip
        ceiling = {label: {int(n): figures for n, figures in by_clients.items()} for label, by_clients in
                   saved["ceiling"].items()}  # fmt: skip
        previous = Path(args.output).read_text() if Path(args.output).exists() else ""
        measured = saved.get("measured") or re.search(r"\) on (.+ UTC)\.", previous).group(1)
        host = saved.get("machine") or re.search(r"- Machine: (.+)\.\n", previous).group(1)
        write_report(Path(args.output), saved["info"], as_ints, ceiling, args.seconds, saved.get("build", ""),
                     measured, host)  # fmt: skip
        return 0

    region_url, params, name = database_urls()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="inclusion.settings.production",
        DATABASE_URL=region_url,
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"),
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,testserver",
        SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback
        LOG_LEVEL="WARNING",
        API_THROTTLE_RATE_KEY="1000000/minute",  # the benchmark measures the app, not its rate limit
        LOCK_ORDER_CHECKS="false",
    )
    print(f"region database {name}: building if needed (minutes the first time)", flush=True)
    build = ensure_region(env, params, name)
    os.environ.update(env)
    host, measured = machine(), f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    info = prepare()
    artifacts = Path(args.results).parent
    artifacts.mkdir(parents=True, exist_ok=True)
    results, ceiling = {}, {}
    server = None
    try:
        port = free_port()
        server = serve(env, "inclusion.wsgi", port, artifacts / "app.log")
        headers = {"api": {"Authorization": f"Api-Key {info['key']}"},
                   "web": {"Cookie": f"{info['session']['name']}={info['session']['value']}"},
                   "viewer": {"Cookie": f"{info['session']['name']}={info['session']['viewer']}"}, "public": {}}  # fmt: skip
        for label, path, who in PATHS:
            url = f"http://127.0.0.1:{port}{path.format(**info['samples'])}"
            results[label] = {clients: load(url, headers[who], clients, args.seconds) for clients in (1, 4)}
            print(f"{label}: p95 {results[label][1]['p95']:.0f} / {results[label][4]['p95']:.0f} ms", flush=True)
        stop(server)
        ceiling_env = dict(env, CEILING_DSN=region_url.replace("postgres://", "postgresql://", 1))
        server = serve(ceiling_env, "bench.ceiling:application", port, artifacts / "ceiling.log")
        for label, path in CEILING_PATHS:
            url = f"http://127.0.0.1:{port}{path.format(**info['samples'])}"
            ceiling[label] = {clients: load(url, {}, clients, args.seconds) for clients in (1, 4)}
            print(f"ceiling {label}: p95 {ceiling[label][1]['p95']:.0f} ms", flush=True)
    finally:
        stop(server)
    Path(args.results).write_text(json.dumps({"info": {**info, "key": "(hidden)", "session": "(hidden)"},
                                              "app": results, "ceiling": ceiling, "build": build,
                                              "machine": host, "measured": measured}, default=str, indent=1))  # fmt: skip
    write_report(Path(args.output), info, results, ceiling, args.seconds, build, measured, host)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
