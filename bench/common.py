"""Shared set-up for benchmarks: a separate database '<name>_bench' beside DATABASE_URL's, migrated."""

import os

import environ


def use_bench_database() -> None:
    """Point Django at '<DATABASE_URL's name>_bench' (created if missing), then django.setup() and migrate."""
    import psycopg

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inclusion.settings.dev")
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inclusion")
    url = environ.Env.db_url_config(base_url)
    bench_db = f"{url['NAME']}_bench"
    from urllib.parse import unquote

    params = {"dbname": url["NAME"], "user": url.get("USER") or "postgres", "host": unquote(url.get("HOST") or "") or None,
              "port": url.get("PORT") or None, "password": url.get("PASSWORD") or None}  # fmt: skip
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [bench_db]).fetchone():
            conn.execute(f'CREATE DATABASE "{bench_db}"')
    head, _, tail = base_url.partition("?")
    os.environ["DATABASE_URL"] = head.rsplit("/", 1)[0] + f"/{bench_db}" + (f"?{tail}" if tail else "")

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
