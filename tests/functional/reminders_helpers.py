"""Helpers for the reminder-email tests: one frozen clock for every service, the scheduled
function invoked as EventBridge would, and the emails moto's SES recorded."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from chalicelib.api import deps
from tests.functional.relations_helpers import FixedClock, ok
from tests.helpers import Api


def freeze_all(now: datetime) -> FixedClock:
    """Every service reads `now` (move it with `clock.now = ...`)."""
    clock = FixedClock(now)
    deps.relations_service().clock = clock
    deps.reminder_service().clock = clock
    deps.job_runs().clock = clock
    return clock


def run_schedule(chalice_client: Any) -> dict[str, int]:
    """The 5-minute function, invoked as EventBridge does."""
    event = chalice_client.events.generate_cw_event(
        source="aws.events",
        detail_type="Scheduled Event",
        detail={},
        resources=["arn:aws:events:eu-west-1:123456789012:rule/send_reminders"],
    )
    reply = chalice_client.lambda_.invoke("send_reminders", event)
    return dict(reply.payload)


def sent() -> list[EmailMessage]:
    """Every email moto's SES accepted, parsed, oldest first."""
    from moto.ses.models import ses_backends

    backend = ses_backends["123456789012"]["eu-west-1"]
    found = []
    for message in backend.sent_messages:
        raw = getattr(message, "raw_data", None)
        assert raw is not None, "reminders are sent as raw MIME messages"
        parsed = email.message_from_string(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        found.append(parsed)
    return found


def bodies(message: EmailMessage) -> tuple[str, str]:
    """(text, html) of a reminder email."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def add_user(api: Api, user_id: str, **fields: Any) -> None:
    body = {"name": user_id.title(), "role": "sales", "email": f"{user_id}@example.com", **fields}
    ok(api.put(f"/users/{user_id}", body))


def task_states(api: Api, client_id: str, task_id: str) -> list[dict[str, Any]]:
    tasks = ok(api.get(f"/clients/{client_id}/tasks?limit=200"))["items"]
    return list(next(t for t in tasks if t["id"] == task_id)["reminders_state"])


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class FakeOrder:
    """Anything with a work order's attributes will do for the reminder service."""

    id: str
    client_id: str
    client_name: str
    title: str
    scheduled_at: datetime
    technician_id: str | None
    description: str | None = None
    duration_minutes: int = 60
    status: str = "scheduled"
    recurrence_id: str | None = None
    occurrence: str | None = None


class FakeFeed:
    """The work-orders service's `for_technician`, over a list."""

    def __init__(self, orders: list[FakeOrder], tenant: str = "acme") -> None:
        self.orders, self.tenant = orders, tenant
        self.calls: list[tuple[str, str, datetime, datetime]] = []

    def for_technician(
        self, tenant_id: str, technician_id: str, start: datetime, end: datetime
    ) -> list[Any]:
        self.calls.append((tenant_id, technician_id, start, end))
        return [
            o
            for o in self.orders
            if tenant_id == self.tenant
            and o.technician_id == technician_id
            and start <= o.scheduled_at < end
        ]


def serialize_dynamodb(monkeypatch: Any) -> None:
    """Make moto apply one DynamoDB request at a time, as DynamoDB applies each conditional
    write atomically. moto has no lock: two threads can both pass a condition before either
    writes, which real DynamoDB never allows (the local stack's moto does the same:
    local/moto_fixes.py)."""
    import threading

    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()
    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with lock:
            return original(self)

    monkeypatch.setattr(DynamoHandler, "call_action", call_action)
