"""Helpers for the work-order and recurrence tests: a clock the tests set, and shortcuts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.api import deps
from tests.functional.relations_helpers import FixedClock, ok
from tests.helpers import Api


def freeze_work_orders(now: datetime) -> FixedClock:
    """Make the work-order service (rebuilt for every test) read `now` as the current time,
    and the clients it serves created an hour before (their timelines stay in order)."""
    clock = FixedClock(now)
    deps.work_order_service().clock = clock
    deps.client_service().clock = FixedClock(now - timedelta(hours=1))
    return clock


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def add_order(api: Api, client_id: str, **fields: Any) -> dict[str, Any]:
    body = {"title": "Boiler check", "scheduled_at": "2026-12-01T10:00:00+01:00", **fields}
    return dict(ok(api.post(f"/clients/{client_id}/work-orders", body), 201))


def add_rule(api: Api, client_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "rrule": "FREQ=WEEKLY;BYDAY=FR",
        "start_date": "2026-11-27",
        "time": "11:00",
        "title": "Fortnightly service",
        **fields,
    }
    return dict(ok(api.post(f"/clients/{client_id}/recurrences", body), 201))


def orders_of(api: Api, client_id: str) -> list[dict[str, Any]]:
    return list(ok(api.get(f"/clients/{client_id}/work-orders?limit=200"))["items"])


def materialize(now: datetime, include_past: bool = False) -> Any:
    return deps.work_order_service().materialize(now, include_past=include_past)
