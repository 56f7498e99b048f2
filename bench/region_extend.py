"""Add apps' parts to a region built before they existed, instead of rebuilding it all (an hour of CPU on a shared
machine): `python bench/region_extend.py referrals messages` (BENCH_REGION_DATABASE, default region_scale; size
full, `--size small` to try it). Runs the named builders (inclusion.registry.region_builders) on the region the
core built, then ANALYZEs, and appends what they printed to artifacts/bench/<database>-build.txt for the report.
"""

import argparse
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("builders", nargs="+")
    parser.add_argument("--size", default="full")
    args = parser.parse_args()
    from bench.run import database_urls

    url, _, name = database_urls()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inclusion.settings.dev")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from inclusion import registry
    from inclusion.region import SIZES, Region

    call_command("migrate", verbosity=0)
    builders = {builder.name: builder for builder in registry.region_builders()}
    lines = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        region = Region.of_database(SIZES[args.size], cursor)
        for builder_name in args.builders:
            started = time.monotonic()
            with transaction.atomic():
                counts = builders[builder_name].build(region)
            figures = ", ".join(f"{value:,} {label}" for label, value in counts.items())
            lines.append(f"{builder_name} (added later): {figures} in {time.monotonic() - started:.0f} s")
            print(lines[-1], flush=True)
        started = time.monotonic()
        cursor.execute("ANALYZE")
        lines.append(f"ANALYZE in {time.monotonic() - started:.0f} s")
    record = BASE_DIR / "artifacts" / "bench" / f"{name}-build.txt"
    record.parent.mkdir(parents=True, exist_ok=True)
    with record.open("a") as out:
        out.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
