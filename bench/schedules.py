"""The hourly materializer at scale: 10,000 recurrence rules, 30 days ahead, into moto.

Seeds the rules straight into the table (BatchWriteItem, as if created earlier and due now),
then runs `WorkOrderService.materialize(now)` once — exactly what the hourly function does —
and prints the DynamoDB requests it sent (PynamoDB's `pre_dynamodb_send` signal), the
orders it created, requests per created order, and seconds. Runs an hour and a week later
show the steady state: only the rules whose next occurrence entered the horizon meanwhile are
read (through the sparse due index) and written.

moto's clock says little about DynamoDB's (it scans internally; see docs/performance.md):
the request counts are the figure that carries over. moto's TransactWriteItems copies the
whole table for every operation, which makes 10,000 transactions quadratic; this script
installs the local stack's fix for that (`local/moto_fixes.py`: the transaction keeps a copy
of the items it touches only), as `make run` does.

    python bench/schedules.py                 (10,000 rules over 10 tenants)
    python bench/schedules.py --rules 1000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
for name in [v for v in os.environ if v.startswith("AWS_ENDPOINT_URL")]:
    os.environ.pop(name)
os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_DEFAULT_REGION="eu-west-1")
os.environ["AWS_SECRET_ACCESS_KEY"] = "bench"  # noqa: S105 (moto's fake AWS)

from moto import mock_aws  # noqa: E402
from pynamodb.signals import pre_dynamodb_send  # noqa: E402

from local.tokens import stage_env  # noqa: E402

os.environ.update(stage_env("test"))

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
# (RRULE, share of the rules): what field-service firms schedule
MIX = [
    ("FREQ=WEEKLY;BYDAY=FR", 0.45),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", 0.25),
    ("FREQ=MONTHLY;BYMONTHDAY=15", 0.15),
    ("FREQ=WEEKLY;BYDAY=MO,TH", 0.10),
    ("FREQ=DAILY", 0.05),
]
ZONES = ["Europe/Madrid", "America/Santiago", "America/New_York", "Australia/Lord_Howe"]


def seed(n_rules: int, tenants: int) -> None:
    from chalicelib.adapters.dynamo import Item, bind
    from chalicelib.adapters.work_orders_repo import rule_to_item
    from chalicelib.domain.ids import child_id
    from chalicelib.domain.work_orders import Recurrence

    bind()
    kinds = [rrule for rrule, share in MIX for _ in range(round(share * 100))]
    with Item.batch_write() as batch:
        for i in range(n_rules):
            client_id = f"client{i // 2:06d}"  # two rules per client
            rule = Recurrence(
                id=child_id(client_id),
                client_id=client_id,
                client_name=f"Client {i // 2}",
                rrule=kinds[i % len(kinds)],
                start_date=date(2026, 11, 1),
                time=f"{8 + i % 9:02d}:{(i % 4) * 15:02d}",
                timezone=ZONES[i % len(ZONES)],
                title="Maintenance visit",
                duration_minutes=60,
                technician_id=f"tech-{i % 25}",
                technician_name=f"Technician {i % 25}",
                materialized_through=NOW,
                next_due=NOW,
                created_at=NOW,
                updated_at=NOW,
                created_by="bench",
            )
            batch.save(rule_to_item(f"tenant{i % tenants}", rule))


def run(label: str, now: datetime) -> None:
    from chalicelib.api.deps import work_order_service

    counts: Counter[str] = Counter()

    def record(sender: object, operation_name: str, **_: object) -> None:
        counts[operation_name] += 1

    pre_dynamodb_send.connect(record)
    started = time.perf_counter()
    try:
        report = work_order_service().materialize(now)
    finally:
        pre_dynamodb_send.disconnect(record)
    seconds = time.perf_counter() - started
    total = sum(counts.values())
    per_order = f"{total / report.created:.3f}" if report.created else "—"
    print(f"\n{label}")
    print(f"  rules materialized   {report.rules}")
    print(f"  orders created       {report.created}")
    print(f"  DynamoDB requests    {total}  ({', '.join(f'{k} {v}' for k, v in counts.items())})")
    print(f"  requests per order   {per_order}")
    print(f"  seconds (moto)       {seconds:.1f}")
    if report.errors:
        print(f"  errors               {len(report.errors)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--tenants", type=int, default=10)
    args = parser.parse_args()

    from chalicelib.config import get_settings
    from local import moto_fixes
    from local.infra import create_resources

    moto_fixes.apply()
    with mock_aws():
        import boto3

        create_resources(get_settings(), boto3.session.Session(region_name="eu-west-1"))
        started = time.perf_counter()
        seed(args.rules, args.tenants)
        print(
            f"seeded {args.rules} rules over {args.tenants} tenants in "
            f"{time.perf_counter() - started:.1f} s (BatchWriteItem)"
        )
        run("first run: every rule due, 30 days ahead", NOW)
        run(
            "an hour later: the occurrences that entered the horizon meanwhile",
            NOW + timedelta(hours=1),
        )
        run("a week later: the occurrences that entered the horizon", NOW + timedelta(days=7))


if __name__ == "__main__":
    main()
