"""Build the region-scale dataset bench/ measures against: `manage.py build_region --size small|full`.

The core adds organisations, staff, residents and their timelines (inclusion/region.py), then each app its
part (registered in inclusion.registry.register_region_builder). Set-based SQL only: the full size (a million
residents, a million loans, two million timeline entries) takes minutes, not hours. Run it on a database of
its own (bench/run.py makes one): it refuses to add a second region to a database that has one.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from inclusion import registry
from inclusion.models import Organisation
from inclusion.region import REGION_SLUG_PREFIX, SIZES, Region, build_core


class Command(BaseCommand):
    help = "Build a region-scale dataset (for bench/) with set-based SQL."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument("--seed", type=float, default=0.42, help="PostgreSQL's random() seed, from -1 to 1")
        parser.add_argument("--analyze", action="store_true", help="VACUUM ANALYZE the tables afterwards")

    def handle(self, *args, size, seed, analyze, **options):
        if Organisation.objects.filter(slug__startswith=REGION_SLUG_PREFIX).exists():
            raise CommandError("This database already has a region: build it in an empty database.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [seed])
            region = Region(size=SIZES[size], cursor=cursor)
            steps = [registry.RegionBuilder(name="core", build=build_core, order=0), *registry.region_builders()]
            for builder in steps:
                started = time.monotonic()
                with transaction.atomic():
                    counts = builder.build(region)
                figures = ", ".join(f"{value:,} {name}" for name, value in counts.items())
                self.stdout.write(f"{builder.name}: {figures} in {time.monotonic() - started:.0f} s")
            if analyze and connection.in_atomic_block:
                self.stdout.write("Not analysed: VACUUM cannot run inside a transaction.")
            elif analyze:
                started = time.monotonic()
                cursor.execute("VACUUM ANALYZE")
                self.stdout.write(f"VACUUM ANALYZE in {time.monotonic() - started:.0f} s")
