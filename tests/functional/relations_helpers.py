"""Helpers for the tests of what surrounds a client: activities, notes, tasks, tags.

Plain functions rather than fixtures, so test modules can import them without shadowing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.api import deps
from tests.helpers import Api, Reply


class FixedClock:
    """What the relations service calls for "now": an instant the test sets."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now.astimezone(UTC)


def freeze(now: datetime) -> FixedClock:
    """Make the relations service (rebuilt for every test) read `now` as the current time."""
    clock = FixedClock(now)
    deps.relations_service().clock = clock
    return clock


def local(zone: str, *args: int) -> datetime:
    """A wall-clock time in `zone`, e.g. local("Europe/Madrid", 2026, 3, 29, 23, 30)."""
    return datetime(*args, tzinfo=ZoneInfo(zone))


def ok(reply: Reply, status: int = 200) -> Any:
    assert reply.status == status, reply
    return reply.body


def add_activity(api: Api, client_id: str, **fields: Any) -> dict[str, Any]:
    body = {"type": "call", "at": "2026-03-10T10:00:00+00:00", **fields}
    return dict(ok(api.post(f"/clients/{client_id}/activities", body), 201))


def add_task(api: Api, client_id: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"description": "Call back", **fields}
    if "due_at" not in body and "due_date" not in body:
        body["due_date"] = "2026-03-10"
    return dict(ok(api.post(f"/clients/{client_id}/tasks", body), 201))


def add_note(api: Api, client_id: str, text: str = "Prefers mornings") -> dict[str, Any]:
    return dict(ok(api.post(f"/clients/{client_id}/notes", {"text": text}), 201))


def add_tag(api: Api, name: str, color: str = "#ff0000") -> dict[str, Any]:
    return dict(ok(api.post("/tags", {"name": name, "color": color}), 201))


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def panel(api: Api, bucket: str, assignee: str = "me") -> list[str]:
    """The ids of the pending tasks the follow-ups panel shows in `bucket`."""
    return ids(ok(api.get(f"/tasks?bucket={bucket}&assignee={assignee}"))["items"])


def bell(api: Api, responsible: str = "me") -> dict[str, Any]:
    return dict(ok(api.get(f"/activities?status=scheduled&responsible={responsible}")))


def timeline(api: Api, client_id: str) -> list[dict[str, Any]]:
    return list(ok(api.get(f"/clients/{client_id}/timeline?limit=200"))["items"])


def problem_fields(reply: Reply) -> list[str]:
    """The fields a 400 names."""
    assert reply.status == 400, reply
    assert reply.headers["Content-Type"] == "application/problem+json", reply
    return [e["field"] for e in reply.body.get("errors", [])]


def assert_404(reply: Reply) -> None:
    assert reply.status == 404, reply
    assert reply.headers["Content-Type"] == "application/problem+json", reply
