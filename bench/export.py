"""Export speed and memory: 100,000 clients to xlsx, beside the bare writers.

Every contender writes the same rows (the cells `client_row` makes of a client: 21 fixed
columns and 3 custom fields — numbers, text, dates, a boolean), generated on the fly by the
same function, each in a fresh interpreter whose peak resident memory (ru_maxrss) is read at
the end:

- `export`:  the app's path, `adapters/export_files.write_export` (spool to /tmp, custom
             columns found, widths measured, typed cells, frozen header, autofilter);
- `xlsxwriter`: XlsxWriter constant_memory writing the rows cell by cell, nothing else;
- `openpyxl`:   openpyxl write_only appending the rows.

Reading from DynamoDB is left out (moto's speed says nothing about DynamoDB's; see
bench/dynamo_requests.py for request counts). The runs alternate and the best of `--repeat`
is kept. Target: the export within 1.3x the fastest bare writer, peak memory under 150 MB.

    python bench/export.py [--rows 100000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.3
TARGET_MB = 150
STAGES = ["contact", "prospect", "visiting", "negotiation", "won", "lost"]
CITIES = ["Madrid", "Sevilla", "Valencia", "Bilbao", "Zaragoza", "Málaga"]


def rows(n: int) -> Iterator[tuple[list[Any], dict[str, Any]]]:
    """What `client_row` makes of n varied clients: fixed cells and custom fields."""
    base = datetime(2025, 1, 1, 9, 0)
    for i in range(1, n + 1):
        created = base + timedelta(minutes=7 * i)
        fixed: list[Any] = [
            i,
            f"Cliente número {i} García",
            f"Empresa {i} S.L." if i % 3 else None,
            f"cliente{i}@example.com",
            f"+34 600 {i:06d}",
            "cliente" if i % 4 else "lead",
            "cliente",
            STAGES[i % 6],
            "web" if i % 2 else "referral",
            "activo",
            f"Comercial {i % 7}",
            i % 4,
            f"Calle Mayor {i % 300}",
            CITIES[i % 6],
            None,
            f"{28000 + i % 999:05d}",
            "ES",
            "VIP, Newsletter" if i % 5 == 0 else None,
            created,
            created + timedelta(days=30) if i % 4 else None,
            "Prefiere que le llamen por la mañana" if i % 2 else None,
        ]
        custom = {"budget": float(i % 5000) + 0.5, "school": CITIES[i % 6], "paid": i % 2 == 0}
        yield fixed, custom


def flat(n: int) -> Iterator[list[Any]]:
    keys = ["budget", "paid", "school"]
    for fixed, custom in rows(n):
        yield fixed + [custom[k] for k in keys]


def run_export(n: int, path: str) -> int:
    from chalicelib.adapters.export_files import write_export
    from chalicelib.domain.exports import CLIENT_COLUMNS

    out, count = write_export("xlsx", "Clientes", CLIENT_COLUMNS, rows(n), "es", directory=path)
    os.remove(out)
    return count


def run_xlsxwriter(n: int, path: str) -> int:
    import xlsxwriter

    out = os.path.join(path, "bare.xlsx")
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "tmpdir": path})
    ws = book.add_worksheet()
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    # The quickest way found to feed it: one typed call per cell, picked by a dict lookup
    # (write_row / write() re-inspect each value and are slower).
    by_type = {
        str: ws.write_string,
        int: ws.write_number,
        float: ws.write_number,
        bool: ws.write_boolean,
        datetime: lambda r, c, v: ws.write_datetime(r, c, v, stamp),
    }
    count = 0
    for r, row in enumerate(flat(n)):
        for c, value in enumerate(row):
            if value is not None:
                by_type[type(value)](r, c, value)
        count += 1
    book.close()
    os.remove(out)
    return count


def run_openpyxl(n: int, path: str) -> int:
    from openpyxl import Workbook

    out = os.path.join(path, "bare-openpyxl.xlsx")
    book = Workbook(write_only=True)
    ws = book.create_sheet()
    count = 0
    for row in flat(n):
        ws.append(row)
        count += 1
    book.save(out)
    os.remove(out)
    return count


RUNNERS = {"export": run_export, "xlsxwriter": run_xlsxwriter, "openpyxl": run_openpyxl}


def child(name: str, n: int) -> None:
    with tempfile.TemporaryDirectory() as path:
        start = time.perf_counter()
        count = RUNNERS[name](n, path)
        seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"name": name, "rows": count, "seconds": seconds, "peak_mb": peak_mb}))


def measure(name: str, n: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, "--rows", str(n)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", choices=sorted(RUNNERS))
    parser.add_argument("--skip-openpyxl", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows)
        return
    names = ["export", "xlsxwriter"] + ([] if args.skip_openpyxl else ["openpyxl"])
    best: dict[str, dict[str, Any]] = {}
    for _ in range(args.repeat):
        for name in names:
            result = measure(name, args.rows)
            if name not in best or result["seconds"] < best[name]["seconds"]:
                best[name] = result
    fastest = min((best[n] for n in names if n != "export"), key=lambda r: r["seconds"])
    print(f"{args.rows:,} clients to xlsx (best of {args.repeat}):")
    for name in names:
        r = best[name]
        print(f"  {name:<11} {r['seconds']:7.2f} s   peak {r['peak_mb']:6.1f} MB")
    ratio = best["export"]["seconds"] / fastest["seconds"]
    peak = best["export"]["peak_mb"]
    verdict = "ok" if ratio <= TARGET_RATIO and peak < TARGET_MB else "MISSED"
    print(
        f"  export / fastest bare writer ({fastest['name']}) = {ratio:.2f}x "
        f"(target <= {TARGET_RATIO}x); peak {peak:.0f} MB (target < {TARGET_MB} MB): {verdict}"
    )


if __name__ == "__main__":
    main()
