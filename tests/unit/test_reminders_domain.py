"""Pure rules of reminder emails: offsets across DST, the digest's 08:00, back-off, and what a
task write does to its reminders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.reminders import (
    ReminderState,
    before,
    next_digest,
    plan_task,
    retry_delay,
    task_fire_at,
    work_order_fire_at,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("zone", "due", "offset", "fires"),
    [
        # Madrid springs forward on 29 March 2026: P1D keeps 09:00, PT24H keeps 24 hours
        ("Europe/Madrid", local("Europe/Madrid", 2026, 3, 29, 9), "P1D", utc(2026, 3, 28, 8)),
        ("Europe/Madrid", local("Europe/Madrid", 2026, 3, 29, 9), "PT24H", utc(2026, 3, 28, 7)),
        # New York falls back on 1 November 2026
        (
            "America/New_York",
            local("America/New_York", 2026, 11, 2, 9),
            "P1D",
            utc(2026, 11, 1, 14),
        ),
        # Santiago falls back on 5 April 2026 (UTC-3 → UTC-4)
        ("America/Santiago", local("America/Santiago", 2026, 4, 5, 9), "P1D", utc(2026, 4, 4, 12)),
        # Lord Howe moves by 30 minutes on 5 April 2026 (+11:00 → +10:30)
        (
            "Australia/Lord_Howe",
            local("Australia/Lord_Howe", 2026, 4, 5, 9),
            "P1D",
            utc(2026, 4, 3, 22),
        ),
        (
            "Australia/Lord_Howe",
            local("Australia/Lord_Howe", 2026, 4, 5, 9),
            "PT1H30M",
            utc(2026, 4, 4, 21),
        ),
    ],
)
def test_days_follow_the_wall_clock_and_hours_the_real_clock(zone, due, offset, fires):
    assert before(due, offset, zone) == fires


def test_a_date_only_deadline_is_0900_in_the_zone():
    assert task_fire_at(None, date(2026, 3, 10), "Pacific/Auckland", "PT1H") == utc(2026, 3, 9, 19)
    assert task_fire_at(None, date(2026, 3, 10), "Europe/Madrid", "P1W") == utc(2026, 3, 3, 8)


def test_the_work_order_reminder_is_1800_the_day_before_locally():
    assert work_order_fire_at(utc(2026, 3, 30, 7), "Europe/Madrid") == utc(2026, 3, 29, 16)
    assert work_order_fire_at(utc(2026, 3, 29, 23, 30), "Europe/Madrid") == utc(2026, 3, 29, 16)


def test_the_digest_is_the_next_0800_on_a_day_not_yet_digested():
    madrid = "Europe/Madrid"
    assert next_digest(utc(2026, 3, 28, 12), madrid, None) == utc(2026, 3, 29, 6)  # CEST
    assert next_digest(utc(2026, 3, 29, 5), madrid, None) == utc(2026, 3, 29, 6)
    assert next_digest(utc(2026, 3, 29, 5), madrid, date(2026, 3, 29)) == utc(2026, 3, 30, 6)
    assert next_digest(utc(2026, 3, 29, 6), madrid, None) == utc(2026, 3, 29, 6)


def test_the_back_off_doubles():
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=5),
        timedelta(minutes=10),
        timedelta(minutes=20),
        timedelta(minutes=40),
    ]


NOON_10_MARCH = datetime(2026, 3, 10, 12, tzinfo=UTC)


@dataclass
class T:
    id: str = "c1.000000000001aa"
    client_id: str = "c1"
    due_at: datetime | None = NOON_10_MARCH
    due_date: date | None = None
    assignee_id: str = "u1"
    reminders: list[str] = field(default_factory=lambda: ["PT1H", "P1D"])


def test_a_task_write_schedules_keeps_moves_cancels_and_drops_reminders():
    now = utc(2026, 3, 9, 13)
    puts, deletes, after = plan_task("acme", T(), True, "UTC", [], now)
    assert [(e.offset, e.state) for e in after] == [
        ("PT1H", ReminderState.SCHEDULED),
        ("P1D", ReminderState.SKIPPED),  # 9 March 12:00 had passed when it was saved
    ]
    assert puts == after and deletes == []
    sent = after[0].model_copy(update={"state": ReminderState.SENT})
    puts, _, kept = plan_task("acme", T(), True, "UTC", [sent, after[1]], now)
    assert puts == [] and kept[0].state is ReminderState.SENT
    puts, _, moved = plan_task("acme", T(due_at=utc(2026, 3, 11, 12)), True, "UTC", [sent], now)
    assert [e.state for e in moved] == [ReminderState.SCHEDULED, ReminderState.SCHEDULED]
    waiting = moved[0]
    puts, _, done = plan_task("acme", T(due_at=utc(2026, 3, 11, 12)), False, "UTC", [waiting], now)
    assert done[0].state is ReminderState.CANCELLED and done[0].next_at is None
    _, _, reopened = plan_task("acme", T(due_at=utc(2026, 3, 11, 12)), True, "UTC", done, now)
    assert reopened[0].state is ReminderState.SCHEDULED
    _, deletes, _ = plan_task("acme", T(reminders=["P1D"]), True, "UTC", [sent], now)
    assert deletes == [sent]
