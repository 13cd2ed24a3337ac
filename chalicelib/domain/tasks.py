"""Tasks (follow-ups): deadlines, the instant a task falls due, and the panel's buckets.

A deadline is either an instant (`due_at`) or a whole day (`due_date`). A date-only task is
due until that day ends in its assignee's time zone: its `due_sort` is the last microsecond
of that local day, so "today" contains it all day and "overdue" only once the day is over —
on a DST day too, since the local day is converted with zoneinfo.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AwareDatetime,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from chalicelib.domain.clients import UserId
from chalicelib.domain.model import Model
from chalicelib.domain.reminders import ReminderStatus

Color = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]

_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def parse_offset(value: str) -> timedelta:
    """An ISO 8601 duration of weeks, days, hours, minutes, seconds ("P1D", "PT1H30M")."""
    match = _DURATION.match(value)
    if not match or value in ("P", "PT") or value.endswith("T"):
        raise ValueError(f"{value!r} is not an ISO 8601 duration such as 'P1D' or 'PT1H'")
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    delta = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    if not delta or delta > timedelta(days=366):
        raise ValueError(f"{value!r} must be more than nothing and at most a year")
    return delta


def _checked_reminders(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    if len(value) > 10:
        raise ValueError("at most 10 reminders")
    for offset in value:
        parse_offset(offset)
    return list(dict.fromkeys(value))


class TaskStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"


class TaskCreate(Model):
    model_config = ConfigDict(extra="forbid")

    description: Description
    due_at: AwareDatetime | None = None
    due_date: date | None = Field(default=None, description="a whole day, YYYY-MM-DD")
    color: Color | None = None
    assignee_id: UserId | None = Field(default=None, description="defaults to the creator")
    reminders: list[str] = Field(
        default_factory=list, description="ISO 8601 durations before the deadline, e.g. P1D"
    )

    _reminders = field_validator("reminders")(_checked_reminders)

    @model_validator(mode="after")
    def _one_deadline(self) -> TaskCreate:
        if (self.due_at is None) == (self.due_date is None):
            raise ValueError("give exactly one of due_at (date-time) and due_date (date)")
        return self


class TaskUpdate(Model):
    model_config = ConfigDict(extra="forbid")

    description: Description | None = None
    due_at: AwareDatetime | None = None
    due_date: date | None = None
    color: Color | None = None
    assignee_id: UserId | None = None
    reminders: list[str] | None = None

    _reminders = field_validator("reminders")(_checked_reminders)

    @field_validator("description", "assignee_id", "reminders")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be cleared")
        return value

    @model_validator(mode="after")
    def _one_deadline(self) -> TaskUpdate:
        if self.due_at is not None and self.due_date is not None:
            raise ValueError("give only one of due_at and due_date")
        return self


class Task(Model):
    id: str
    client_id: str
    description: str
    due_at: datetime | None = None
    due_date: date | None = None
    color: str | None = None
    assignee_id: str
    assignee_name: str | None = None
    status: TaskStatus
    completed_at: datetime | None = None
    reminders: list[str] = Field(default_factory=list)
    reminders_state: list[ReminderStatus] = Field(
        default_factory=list,
        description="each reminder's email: scheduled, sending, sent (when, SES message id), "
        "failed (why), skipped (too late), cancelled (the task was completed first)",
    )
    created_at: datetime
    updated_at: datetime
    created_by: str
    due_sort: datetime = Field(exclude=True, description="when it falls due (see module doc)")


class TaskPage(Model):
    items: list[Task]
    next_cursor: str | None = None


def due_instant(due_at: datetime | None, due_date: date | None, timezone: str) -> datetime:
    """The instant after which the task is overdue, in UTC."""
    if due_at is not None:
        return due_at.astimezone(UTC)
    assert due_date is not None
    zone = ZoneInfo(timezone)
    next_day = datetime.combine(due_date + timedelta(days=1), time(), tzinfo=zone)
    return next_day.astimezone(UTC) - timedelta(microseconds=1)


class Bucket(StrEnum):
    TODAY = "today"
    OVERDUE = "overdue"
    THIS_WEEK = "this_week"
    NEXT_WEEK = "next_week"


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def bucket_range(bucket: Bucket, now: datetime, timezone: str) -> tuple[datetime | None, datetime]:
    """[start, end) of `bucket` in UTC for someone in `timezone` (weeks start on Monday).

    Overdue has no start: everything that fell due before now.
    """
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    if bucket is Bucket.OVERDUE:
        return None, now.astimezone(UTC)
    if bucket is Bucket.TODAY:
        return _local_midnight(today, zone), _local_midnight(today + timedelta(days=1), zone)
    if bucket is Bucket.THIS_WEEK:
        return _local_midnight(monday, zone), _local_midnight(monday + timedelta(days=7), zone)
    return (
        _local_midnight(monday + timedelta(days=7), zone),
        _local_midnight(monday + timedelta(days=14), zone),
    )
