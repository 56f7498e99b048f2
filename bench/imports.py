"""Benchmark: importing 100,000 data vouchers and 100,000 devices, in rows per second, against COPY of the same
rows (issue 12's target: 20,000 rows/s).

    .venv/bin/python bench/imports.py     (or `make bench-imports`)

On the region database bench/run.py uses (BENCH_REGION_DATABASE, default region_scale), so the checks for codes
and tags already held run against the region's stock (300,000 vouchers, 100,000 devices). The files are cut as a
coordinator must cut them: a voucher file holds at most 50,000 rows (devices.vouchers.imports.MAX_ROWS), a device
file 5,000 (devices.imports.MAX_ROWS). Each import is the whole path a file takes (read, check every row, write
with its history), through the real services; COPY writes the same rows into the same table with nothing checked,
the floor. Everything added is deleted afterwards. Writes artifacts/bench/imports.md for BENCHMARKS.md.
"""

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

ROWS = 100_000
TARGET_ROWS_PER_SECOND = 20_000


def main() -> int:
    from bench.run import database_urls

    os.environ["DATABASE_URL"] = database_urls()[0]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inclusion.settings.dev")
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from devices import imports as device_imports
    from devices.models import Device, DeviceEvent, Provider, Voucher, VoucherBatch
    from devices.services import device_import
    from devices.vouchers import imports as voucher_imports
    from devices.vouchers.services import voucher_batch_import
    from inclusion.actors import Actor
    from inclusion.models import Organisation

    organisation, _ = Organisation.objects.get_or_create(
        slug="bench-imports", defaults={"name": "Bench imports", "kind": "charity", "local_authority": "wolverhampton"}
    )
    provider, _ = Provider.objects.get_or_create(slug="bench-network", defaults={"name": "Bench network"})
    actor = Actor(organisation=organisation)
    stamp = int(time.time())

    def clean():
        batches = VoucherBatch.objects.filter(organisation=organisation)
        Voucher.objects.filter(batch__in=batches).delete()
        batches.delete()
        DeviceEvent.objects.filter(device__owning_organisation=organisation).delete()
        Device.objects.filter(owning_organisation=organisation).delete()

    clean()
    results = []

    # Vouchers: two files of 50,000 codes, each read, checked and imported as one batch (one COPY inside).
    per_file = voucher_imports.MAX_ROWS
    codes = [f"B{stamp}-{i:07d}" for i in range(ROWS)]
    files = ["code\n" + "\n".join(codes[i : i + per_file]) + "\n" for i in range(0, ROWS, per_file)]
    details = {"provider": provider, "kind": "data_code", "data_allowance_gb": 20, "validity_days": 30,
               "expires_on": timezone.localdate() + timedelta(days=90)}  # fmt: skip
    started = time.perf_counter()
    imported = 0
    for n, text in enumerate(files):
        read = voucher_imports.voucher_file_read(filename=f"vouchers-{n}.csv", content=text.encode())
        report = voucher_batch_import(actor=actor, rows=read.rows, dry_run=False, **details)
        assert report.ok and not read.problems, (read.problems[:3], report.errors[:3])
        imported += report.imported
    seconds = time.perf_counter() - started
    batch = VoucherBatch.objects.filter(organisation=organisation).first()
    Voucher.objects.filter(batch__organisation=organisation).delete()
    copy_seconds = _copy(connection, transaction, "COPY devices_voucher (batch_id, provider_id, code, sim_serial, "
                         "iccid, status, failure_reason) FROM STDIN",
                         ((batch.pk, provider.pk, code, "", "", "available", "") for code in codes))  # fmt: skip
    results.append((f"{ROWS:,} vouchers ({len(files)} files of {per_file:,})", imported, seconds, copy_seconds))
    clean()

    # Devices: twenty files of 5,000, each read, checked and imported (devices and their 'receive' history).
    per_file = device_imports.MAX_ROWS
    tags = [f"BI{stamp % 100000}-{i:06d}" for i in range(ROWS)]
    rows = [f"{tag},SN{i:08d},Laptop,Lenovo,ThinkPad T480" for i, tag in enumerate(tags)]
    files = ["asset_tag,serial_number,kind,make,model\n" + "\n".join(rows[i : i + per_file]) + "\n"
             for i in range(0, ROWS, per_file)]  # fmt: skip
    started = time.perf_counter()
    imported = 0
    for n, text in enumerate(files):
        imported += len(device_import(actor=actor, filename=f"devices-{n}.csv", content=text.encode()))
    seconds = time.perf_counter() - started
    clean()
    now = timezone.now()
    copy_seconds = _copy(connection, transaction, "COPY devices_device (asset_tag, serial_number, kind, make, model, "
                         "specification, accessories, owning_organisation_id, location, source, donor, condition, "
                         "status, needs_wipe, notes, created_at, updated_at) FROM STDIN",
                         ((tag, f"SN{i:08d}", "laptop", "Lenovo", "ThinkPad T480", "", [], organisation.pk, "",
                           "donated", "", "good", "received", True, "", now, now) for i, tag in enumerate(tags)))  # fmt: skip
    results.append((f"{ROWS:,} devices ({len(files)} files of {per_file:,})", imported, seconds, copy_seconds))
    clean()

    lines = [
        f"Measured by `make bench-imports` (bench/imports.py) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, into "
        f"{connection.settings_dict['NAME']}; load average before the run: "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}.",
        "",
        "| import | rows | s | rows/s | COPY of the same rows: s | rows/s | import as a share of COPY | target (20,000 rows/s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    failures = 0
    for label, imported, seconds, copy_seconds in results:
        rate, copy_rate = imported / seconds, imported / copy_seconds
        failures += rate < TARGET_ROWS_PER_SECOND or imported != ROWS
        verdict = "met" if rate >= TARGET_ROWS_PER_SECOND else f"missed ({TARGET_ROWS_PER_SECOND / rate:.1f}× short)"
        lines.append(f"| {label} | {imported:,} | {seconds:.1f} | {rate:,.0f} | {copy_seconds:.1f} | {copy_rate:,.0f} "
                     f"| {rate / copy_rate:.0%} | {verdict} |")  # fmt: skip
        print(lines[-1], flush=True)
    Path(BASE_DIR / "artifacts" / "bench").mkdir(parents=True, exist_ok=True)
    (BASE_DIR / "artifacts" / "bench" / "imports.md").write_text("\n".join(lines) + "\n")
    return 1 if failures else 0


def _copy(connection, transaction, statement: str, rows) -> float:
    """Seconds to COPY `rows` (the same rows the import wrote) in one transaction, rolled back afterwards."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred checks a commit would run, timed too
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


if __name__ == "__main__":
    sys.exit(main())
