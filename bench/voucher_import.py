"""Benchmark: importing a batch of 100,000 voucher codes (validation of every row + COPY).

    python -m inclusion.embedded -- .venv/bin/python bench/voucher_import.py

Target: under 10 seconds for the dry run and under 10 seconds for the real import. The batch is
deleted afterwards so the benchmark can run again.
"""

import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import use_bench_database  # noqa: E402

use_bench_database()

from django.utils import timezone  # noqa: E402

from devices.models import Provider, Voucher, VoucherBatch  # noqa: E402
from devices.vouchers.services import ImportRow, voucher_batch_import  # noqa: E402
from inclusion.actors import Actor  # noqa: E402
from inclusion.models import Organisation  # noqa: E402

COUNT = 100_000
TARGET_SECONDS = 10


def main() -> int:
    organisation, _ = Organisation.objects.get_or_create(
        slug="bench-vouchers",
        defaults={"name": "Bench vouchers", "kind": "charity", "local_authority": "wolverhampton"},
    )
    provider, _ = Provider.objects.get_or_create(slug="bench-network", defaults={"name": "Bench network"})
    stamp = int(time.time())
    rows = [ImportRow(line=i + 2, code=f"B{stamp}-{i:07d}") for i in range(COUNT)]
    details = {"provider": provider, "kind": "data_code", "data_allowance_gb": 20, "validity_days": 30,
               "expires_on": timezone.localdate() + timedelta(days=90)}  # fmt: skip
    actor = Actor(organisation=organisation)
    failures = 0
    for dry_run in (True, False):
        started = time.perf_counter()
        report = voucher_batch_import(actor=actor, rows=rows, dry_run=dry_run, **details)
        seconds = time.perf_counter() - started
        verdict = "ok" if seconds < TARGET_SECONDS and report.ok else "SLOW or FAILED"
        failures += verdict != "ok"
        print(f"{'dry run' if dry_run else 'import '} of {COUNT:,} codes: {seconds:5.2f} s, "
              f"{report.imported:,} imported, {len(report.errors)} errors  {verdict}")  # fmt: skip
    if report.batch:
        Voucher.objects.filter(batch=report.batch).delete()
        VoucherBatch.objects.filter(pk=report.batch.pk).delete()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
