"""DynamoDB and SES requests per reminder email, and how long a run takes on moto.

Writes N tasks (default 300) with one reminder each, spread over 3 tenants and due within
the same five minutes, then runs the 5-minute function once and counts what it sent to
DynamoDB (PynamoDB's `pre_dynamodb_send`) and to SES. A second run right after shows the
cost of a run with nothing due. Figures: docs/performance.md ("Reminder emails").

    .venv/bin/python bench/reminders.py [--tasks 300]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

for name in [v for v in os.environ if v.startswith("AWS_ENDPOINT_URL")]:
    os.environ.pop(name)
os.environ.update(
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 (moto accepts any)
    AWS_DEFAULT_REGION="eu-west-1",
    AWS_REGION="eu-west-1",
)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moto import mock_aws  # noqa: E402

from local.tokens import stage_env  # noqa: E402

os.environ.update(stage_env("test"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=300)
    options = parser.parse_args()
    from pynamodb.signals import pre_dynamodb_send

    from chalicelib.api import deps
    from chalicelib.config import get_settings
    from chalicelib.domain.principal import Principal, Role
    from chalicelib.domain.tasks import TaskCreate
    from chalicelib.domain.tenants import UserUpsert
    from local.infra import create_resources

    with mock_aws():
        create_resources(get_settings())
        now = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
        deps.relations_service().clock = lambda: now - timedelta(days=1)
        deps.reminder_service().clock = lambda: now
        clients = {}
        for tenant in ("t1", "t2", "t3"):
            admin = Principal(tenant_id=tenant, user_id="admin", role=Role.ADMIN, name="Admin")
            for n in range(5):
                deps.tenant_service().put_user(
                    admin,
                    f"u{n}",
                    UserUpsert(name=f"User {n}", email=f"u{n}@example.com", role=Role.SALES),
                )
            from chalicelib.domain.clients import ClientCreate

            clients[tenant] = [
                deps.client_service().create(admin, ClientCreate(name=f"Client {c}")).id
                for c in range(10)
            ]
        for i in range(options.tasks):
            tenant = ("t1", "t2", "t3")[i % 3]
            admin = Principal(tenant_id=tenant, user_id="admin", role=Role.ADMIN, name="Admin")
            due = now + timedelta(hours=1, seconds=i % 240)
            body = TaskCreate(
                description=f"Task {i}",
                due_at=due,
                assignee_id=f"u{i % 5}",
                reminders=["PT1H"],
            )
            deps.relations_service().create_task(admin, clients[tenant][i % 10], body)

        counts: Counter[str] = Counter()

        def record(sender: object, operation_name: str, **_: object) -> None:
            counts[operation_name] += 1

        pre_dynamodb_send.connect(record)
        service = deps.reminder_service()
        ses_calls = Counter[str]()
        client = service.outbox.client  # type: ignore[attr-defined]
        client.meta.events.register(
            "before-call.sesv2.*", lambda model, **_: ses_calls.update([model.name])
        )
        started = time.perf_counter()
        report = service.run(now + timedelta(minutes=5))
        seconds = time.perf_counter() - started
        total = sum(counts.values())
        print(f"tasks with a reminder due in the same 5 minutes: {options.tasks}")
        digests = f"{report.digests_sent} sent, {report.digests_empty} empty"
        print(f"sent: {report.sent}  (digests: {digests})")
        print(f"DynamoDB requests: {total}  ({total / max(report.sent, 1):.2f} per email)")
        for op, n in sorted(counts.items()):
            print(f"  {op:<16} {n}")
        print(f"SES requests: {dict(ses_calls)}")
        print(f"seconds on moto (not DynamoDB's speed): {seconds:.1f}")
        counts.clear()
        started = time.perf_counter()
        service.run(now + timedelta(minutes=10))
        print(
            f"a run with nothing due: {sum(counts.values())} DynamoDB requests "
            f"({dict(counts)}), {time.perf_counter() - started:.2f} s"
        )


if __name__ == "__main__":
    main()
