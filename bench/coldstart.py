"""Cold start: how long `import app` takes, against the libraries it cannot do without.

Each measurement runs in a fresh interpreter (no warm module cache in memory), timing only
the import statement with `time.perf_counter()` inside the child, so interpreter start-up
is left out of both figures. The baseline imports `chalice, boto3, pynamodb.models,
pydantic`: what any app on this stack pays anyway. The runs alternate (app, baseline,
app, …) so a busy machine slows both alike; the figure kept is the median.

It also checks that `import app` leaves the heavy, path-specific libraries unimported
(they belong in the code paths that need them) and, with `--breakdown`, lists the modules
of ours that cost the most on `python -X importtime -c "import app"`.

    python bench/coldstart.py [--runs 15] [--breakdown]     (or: make bench)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.25
BASELINE = "chalice, boto3, pynamodb.models, pydantic"
MUST_STAY_OUT = ("openpyxl", "jinja2", "jwt", "phonenumbers", "email_validator", "cryptography")
# What the first signed-in client request loads on top (token check, DynamoDB repository).
FIRST_REQUEST = "app, jwt, chalicelib.adapters.tokens, chalicelib.adapters.clients_repo"
OURS = ("app", "chalicelib")

CHILD = """
import json, sys, time
start = time.perf_counter()
import {modules}
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed, "loaded": sorted(sys.modules)}}))
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled bytecode, as in a Lambda package
    env["PYTHONPATH"] = str(ROOT)
    return env


def measure(modules: str) -> tuple[float, set[str]]:
    """Seconds to import `modules` in a fresh interpreter, and what it loaded."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(modules=modules)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return float(data["seconds"]), set(data["loaded"])


def breakdown(top: int = 12) -> list[tuple[int, int, str]]:
    """Our modules by their own import time (µs), from `-X importtime`.

    Own time, not cumulative: the first of our modules to import pydantic or chalice is
    charged for the whole library in the cumulative column.
    """
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import app"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, cumulative, name = (part.strip() for part in line[12:].split("|"))
        if own.isdigit() and name.split(".")[0] in OURS:
            rows.append((int(own), int(cumulative), name))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per figure")
    parser.add_argument("--breakdown", action="store_true", help="list our costliest modules")
    args = parser.parse_args()

    measure("app")  # warm the bytecode and the OS file cache once, uncounted
    measure(BASELINE)
    app_times, base_times, first_times = [], [], []
    loaded: set[str] = set()
    for _ in range(args.runs):
        seconds, loaded = measure("app")
        app_times.append(seconds)
        base_times.append(measure(BASELINE)[0])
        first_times.append(measure(FIRST_REQUEST)[0])

    app_ms = statistics.median(app_times) * 1000
    base_ms = statistics.median(base_times) * 1000
    ratio = app_ms / base_ms
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.runs} runs each")
    print(f"import app        median {app_ms:7.1f} ms  (min {min(app_times) * 1000:.1f})")
    print(f"import {BASELINE}  median {base_ms:7.1f} ms  (min {min(base_times) * 1000:.1f})")
    verdict = "ok" if ratio <= TARGET_RATIO else "ABOVE TARGET"
    print(f"ratio             {ratio:.2f}  (target <= {TARGET_RATIO}: {verdict})")
    first_ms = statistics.median(first_times) * 1000
    print(f"for information: import app + what the first request loads  median {first_ms:.1f} ms")

    leaked = [m for m in MUST_STAY_OUT if m in loaded]
    for module in MUST_STAY_OUT:
        print(f"  {module:16} {'IMPORTED by import app' if module in leaked else 'not imported'}")

    if args.breakdown or ratio > TARGET_RATIO or leaked:
        print("\nour modules by own import time (-X importtime, one run):")
        for own, cumulative, name in breakdown():
            print(f"  {own / 1000:6.1f} ms  (cumulative {cumulative / 1000:6.1f} ms)  {name}")
    if leaked:
        sys.exit(1)


if __name__ == "__main__":
    main()
