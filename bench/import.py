"""Bulk import: parse-and-validate speed and memory against openpyxl read_only, and the
end-to-end import into moto against a bare batch write of the same items.

    python bench/import.py                 # 100,000 rows x 15 columns (a few minutes)
    python bench/import.py --rows 20000    # quicker
    python bench/import.py --e2e-rows 500  # the end-to-end part's size (default 1,000)
    python bench/import.py --workers 1     # validate in one process

Each reader runs in a fresh child process, so its peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.adapters.workers import available_cpus  # noqa: E402

HEADERS = [
    "Nombre", "Razón social", "Email", "Teléfono", "Tipo", "Clase", "Etapa", "Origen",
    "Estado", "Notas", "Estrellas", "Dirección", "Ciudad", "Código postal", "País",
]  # fmt: skip
TYPES = ("lead", "prospecto", "cliente", "vip")


def generate(path: str, rows: int) -> None:
    """A realistic workbook (xlsxwriter, constant memory): unique emails and phones."""
    import xlsxwriter

    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = book.add_worksheet("Clientes")
    sheet.write_row(0, 0, HEADERS)
    for i in range(1, rows + 1):
        sheet.write_row(
            i,
            0,
            [
                f"Cliente {i}",
                f"Cliente {i} S.L.",
                f"cliente{i}@example.com",
                f"+34 6{i:08d}",
                TYPES[i % 4],
                "cliente",
                "contact",
                "web",
                "activo",
                f"Alta {i} desde la feria",
                i % 4,
                f"Calle Mayor {i % 300}",
                "Madrid",
                f"{28000 + i % 999:05d}",
                "ES",
            ],
        )
    book.close()


CHILD_OPENPYXL = """
import json, resource, sys, time
from openpyxl import load_workbook
start = time.perf_counter()
book = load_workbook(sys.argv[1], read_only=True)
n = 0
for row in book.worksheets[0].iter_rows(min_row=2, values_only=True):
    n += 1
elapsed = time.perf_counter() - start
print(json.dumps({"rows": n, "seconds": elapsed,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CHILD_OURS = """
import json, os, resource, sys, threading, time
sys.path.insert(0, sys.argv[2])
from chalicelib.adapters.sheets import open_sheet
from chalicelib.domain.import_jobs import read_row, validate_row, ImportJob
from chalicelib.domain.tenants import TenantSettings
from chalicelib.services.imports import ImportService
from datetime import datetime, UTC

def pss_mb():
    # Proportional set size of this process and its worker processes: shared pages counted
    # once, as the function's memory limit counts them.
    me = os.getpid()
    try:
        with open(f"/proc/{me}/task/{me}/children") as handle:
            pids = [me, *map(int, handle.read().split())]
    except OSError:
        pids = [me]
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                total += sum(int(l.split()[1]) for l in handle if l.startswith("Pss:"))
        except OSError:
            pass
    return total / 1024

peak = [0.0]
def sample():  # reading smaps costs CPU: a few times a second is enough for a steady climb
    while True:
        peak[0] = max(peak[0], pss_mb())
        time.sleep(0.25)
threading.Thread(target=sample, daemon=True).start()
baseline = pss_mb()
now = datetime.now(UTC)
job = ImportJob(id="bench", tenant_id="bench", mode="create", match_on=["email"], dry_run=True,
                state="validating", created_by="u", created_by_role="admin", created_at=now,
                updated_at=now, upload_key="k", max_bytes=1)
service = ImportService(None, None, None, None)
service.workers = int(sys.argv[3])
start = time.perf_counter()
sheet = open_sheet(sys.argv[1])  # zip checks, DTD and formula scan, calamine
plan = service._plan(job, sheet, TenantSettings(tenant_id="bench"))
elapsed = time.perf_counter() - start
peak_pss = max(peak[0], pss_mb())
workers_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
valid = 0  # the import pass validates each row again as it writes it (not timed)
for number, cells in service._numbered(sheet, 0):
    model, problems, _ = validate_row(read_row(plan.columns.fields, cells), "create", "ES")
    valid += model is not None
del sheet
start = time.perf_counter()
read_only = sum(1 for _ in open_sheet(sys.argv[1]).rows())
read_seconds = time.perf_counter() - start
print(json.dumps({"rows": plan.total, "valid": valid, "read_seconds": read_seconds,
                  "duplicates": len(plan.duplicates), "seconds": elapsed, "baseline_mb": baseline,
                  "peak_mb": peak_pss, "workers": service.workers,
                  "rss_worker_mb": workers_rss}))
"""


def child(code: str, *args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def end_to_end(rows: int, moto_parsing: bool = True) -> None:
    """Import `rows` clients into moto through the queue handler; then write the very items
    the import left in the table into a fresh table with bare BatchWriteItem.
    `moto_parsing=False`: without the local stack's fixes 4 and 5 (moto parsing every
    condition twice, a Query sorting the whole table)."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 (moto's fake credentials)
        AWS_DEFAULT_REGION="eu-west-1",
    )
    for var in [v for v in os.environ if v.startswith("AWS_ENDPOINT_URL")]:
        os.environ.pop(var)
    from moto import mock_aws

    from local import moto_fixes
    from local.tokens import stage_env

    # moto copies the WHOLE table for every transaction; the local stack's fix copies only
    # the items a transaction touches (DynamoDB's cost does not grow with the table either).
    moto_fixes.apply(parsing=moto_parsing)

    os.environ.update(stage_env("test"))
    with mock_aws():
        import boto3

        from chalicelib.api import deps
        from chalicelib.config import get_settings
        from chalicelib.domain.imports import ImportCreate
        from chalicelib.domain.principal import Principal, Role
        from local.infra import create_resources, table_definition

        get_settings.cache_clear()
        settings = get_settings()
        create_resources(settings)
        deps.reset()
        service = deps.import_service()
        who = Principal("bench", "u-admin", Role.ADMIN, "Bench")
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "e2e.xlsx")
            generate(path, rows)
            job, _, _ = service.start(who, ImportCreate())
            s3 = boto3.client("s3")
            s3.upload_file(path, settings.import_bucket, job.upload_key)
            start = time.perf_counter()
            service.run("bench", job.id, lambda: 900_000)
            imported = time.perf_counter() - start
        done = service.get(who, job.id)
        dynamodb = boto3.client("dynamodb")
        items = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=settings.table_name):
            items.extend(page["Items"])
        dynamodb.create_table(TableName="bare", **table_definition())
        start = time.perf_counter()
        for i in range(0, len(items), 25):
            batch = [{"PutRequest": {"Item": item}} for item in items[i : i + 25]]
            dynamodb.batch_write_item(RequestItems={"bare": batch})
        bare = time.perf_counter() - start
    fixes = "1-5" if moto_parsing else "1-3: moto parses each condition twice"
    print(f"\nend to end into moto ({rows:,} rows, {len(items):,} items written; "
          f"local/moto_fixes.py {fixes})")  # fmt: skip
    print(f"  import (queue handler, ClientService)  {imported:8.1f} s  "
          f"{rows / imported:8.0f} rows/s")  # fmt: skip
    print(f"  bare BatchWriteItem of the same items  {bare:8.1f} s  {rows / bare:8.0f} rows/s")
    print(f"  import / bare speed                    {bare / imported:8.2f}x  (target >= 0.8x)")
    print(f"  job: {done.state.value}, counts {done.counts.model_dump()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--e2e-rows", type=int, default=1_000)
    parser.add_argument("--workers", type=int, help="validating processes (default: the CPUs)")
    parser.add_argument("--e2e-only", action="store_true", help="only the end-to-end part")
    parser.add_argument("--moto-as-is", action="store_true", help="without moto fixes 4 and 5")
    args = parser.parse_args()
    if args.e2e_only:
        end_to_end(args.e2e_rows, moto_parsing=not args.moto_as_is)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.xlsx")
        start = time.perf_counter()
        generate(path, args.rows)
        size = os.path.getsize(path) / 1e6
        print(f"workbook: {args.rows:,} rows x {len(HEADERS)} columns, {size:.1f} MB "
              f"(generated in {time.perf_counter() - start:.1f} s)")  # fmt: skip
        theirs = child(CHILD_OPENPYXL, path)
        workers = args.workers if args.workers is not None else available_cpus()
        ours = child(CHILD_OURS, path, str(ROOT), str(workers))
        alone = child(CHILD_OURS, path, str(ROOT), "1") if workers > 1 else None
    print(f"\n{'':44}{'rows/s':>10}{'seconds':>10}{'peak MB':>10}")
    print(f"{'openpyxl read_only (values only)':44}{theirs['rows'] / theirs['seconds']:10.0f}"
          f"{theirs['seconds']:10.1f}{theirs['peak_mb']:10.0f}")  # fmt: skip
    for label, run in ((f"{workers} worker processes", ours), ("1 process", alone)):
        if run is not None:
            print(f"{'ours: parse + validate + plan, ' + label:44}"
                  f"{run['rows'] / run['seconds']:10.0f}{run['seconds']:10.1f}"
                  f"{run['peak_mb']:10.0f}")  # fmt: skip
    print(f"{'ours: read only (zip checks + calamine)':44}"
          f"{ours['rows'] / ours['read_seconds']:10.0f}{ours['read_seconds']:10.1f}")  # fmt: skip
    ratio = (ours["rows"] / ours["seconds"]) / (theirs["rows"] / theirs["seconds"])
    print(f"ours / openpyxl: {ratio:.1f}x (target >= 5x); peak {ours['peak_mb']:.0f} MB "
          f"(target < 300 MB; proportional set size of the process and its workers, shared "
          f"pages once; a worker's own RSS peak {ours['rss_worker_mb']:.0f} MB); "
          f"{int(ours['valid']):,} valid rows, {int(ours['duplicates'])} duplicates")  # fmt: skip
    if alone is not None:
        single = (alone["rows"] / alone["seconds"]) / (theirs["rows"] / theirs["seconds"])
        print(f"in one process: {single:.1f}x, peak {alone['peak_mb']:.0f} MB")
    if args.e2e_rows:
        end_to_end(args.e2e_rows)
        # the same with moto's own condition parsing and Query, in a fresh process
        again = [sys.executable, __file__, "--e2e-only", "--moto-as-is", "--e2e-rows"]
        subprocess.run([*again, str(args.e2e_rows)], check=True)


if __name__ == "__main__":
    main()
