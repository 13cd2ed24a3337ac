"""DynamoDB requests per API call: what each route costs, counted, not timed.

moto's clock says nothing about DynamoDB's (it scans internally), but the number and kind
of requests a route sends are exactly what DynamoDB would receive. This drives the real app
through `chalice.test.Client` on an in-process moto and counts the operations PynamoDB sends
for each call (its `pre_dynamodb_send` signal), and the items each read touched.

    python bench/dynamo_requests.py            (or: make bench)
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
for name in [v for v in os.environ if v.startswith("AWS_ENDPOINT_URL")]:
    os.environ.pop(name)
os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_DEFAULT_REGION="eu-west-1")
os.environ["AWS_SECRET_ACCESS_KEY"] = "bench"  # noqa: S105 (moto's fake AWS)

from moto import mock_aws  # noqa: E402
from pynamodb.signals import pre_dynamodb_send  # noqa: E402

from local.tokens import generate_key, mint, stage_env  # noqa: E402

ENV = stage_env("test")
os.environ.update(ENV)
KEY = generate_key()
os.environ["AUTH_JWKS"] = KEY.jwks_json


@contextmanager
def counting() -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()

    def record(sender: object, operation_name: str, **_: object) -> None:
        counts[operation_name] += 1

    pre_dynamodb_send.connect(record)
    try:
        yield counts
    finally:
        pre_dynamodb_send.disconnect(record)


class Bench:
    def __init__(self) -> None:
        from chalice.test import Client

        from app import app

        self.client = Client(app, stage_name="test")
        self.tokens = {
            user: mint(
                KEY,
                issuer=ENV["AUTH_ISSUER"],
                audience=ENV["AUTH_AUDIENCE"],
                tenant="bench",
                user=user,
                role=role,
                name=user,
            )
            for user, role in [("admin", "admin"), ("luis", "sales")]
        }
        self.rows: list[tuple[str, str, Counter[str]]] = []

    def call(
        self, label: str, method: str, path: str, body: Any = None, user: str = "admin"
    ) -> Any:
        headers = {
            "Authorization": f"Bearer {self.tokens[user]}",
            "Content-Type": "application/json",
        }
        payload = json.dumps(body).encode() if body is not None else b""
        with counting() as counts:
            response = self.client.http.request(method, path, headers=headers, body=payload)
        assert response.status_code < 300, (label, response.status_code, response.body)
        route = re.sub(r"[0-9a-f]{32}(\.[0-9a-f]{22})?", "{id}", path.split("?")[0])
        self.rows.append((label, f"{method} {route}", counts))
        return json.loads(response.body) if response.body else None


def scenario(b: Bench) -> None:
    b.call("register a user", "PUT", "/users/luis", {"name": "Luis", "role": "sales"})
    for i in range(60):  # enough history for paging to matter
        b.call(
            f"create client {i}",
            "POST",
            "/clients",
            {"name": f"Client {i}", "email": f"c{i}@example.com", "owner_id": "luis"},
        )
    c = b.call(
        "create a client",
        "POST",
        "/clients",
        {"name": "Ana", "email": "ana@example.com", "phone": "600112233"},
    )
    cid = c["id"]
    b.call("profile", "GET", f"/clients/{cid}")
    b.call("change a client", "PATCH", f"/clients/{cid}", {"stars": 2})
    b.call("list clients (admin, page of 50)", "GET", "/clients?limit=50")
    b.call("list clients (sales, page of 50)", "GET", "/clients?limit=50", user="luis")
    b.call("stage change", "POST", f"/clients/{cid}/stage", {"stage": "won", "reason": "ok"})
    a = b.call(
        "log an activity with a follow-up",
        "POST",
        f"/clients/{cid}/activities",
        {
            "type": "call",
            "at": "2026-11-20T10:00:00+01:00",
            "follow_up_at": "2026-12-01T10:00:00+01:00",
        },
    )
    b.call("change an activity", "PATCH", f"/activities/{a['id']}", {"result": "ok"})
    b.call("the bell", "GET", "/activities?status=scheduled")
    t = b.call(
        "add a task",
        "POST",
        f"/clients/{cid}/tasks",
        {"description": "Quote", "due_date": "2026-11-30"},
    )
    b.call("complete a task", "POST", f"/tasks/{t['id']}/complete")
    b.call("follow-ups panel (this week)", "GET", "/tasks?bucket=this_week")
    b.call("add a note", "POST", f"/clients/{cid}/notes", {"text": "hello"})
    tag = b.call("create a tag", "POST", "/tags", {"name": "Hot", "color": "#ff0000"})
    b.call("set a client's tags", "PUT", f"/clients/{cid}/tags", {"tag_ids": [tag["id"]]})
    b.call("timeline (page of 50)", "GET", f"/clients/{cid}/timeline?limit=50")
    b.call("delete a client", "DELETE", f"/clients/{cid}")


def main() -> None:
    with mock_aws():
        from chalicelib.config import get_settings
        from local.infra import create_resources

        get_settings.cache_clear()
        create_resources(get_settings())
        bench = Bench()
        scenario(bench)
    print(f"{'call':42} {'route':40} requests  operations")
    for label, route, counts in bench.rows:
        if label[-1].isdigit():  # the clients made to have something to page through
            continue
        ops = ", ".join(f"{n} x {op}" if n > 1 else op for op, n in sorted(counts.items()))
        print(f"{label:42} {route:40} {sum(counts.values()):>8}  {ops}")


if __name__ == "__main__":
    main()
