"""Reminder emails: when each one fires, its delivery states, and the back-off between tries.

Time policy (also in the README):
- An offset is an RFC 5545 duration. Its weeks and days are calendar days in the recipient's
  time zone ("P1D" before 09:00 is 09:00 the day before, on a DST weekend too); its hours,
  minutes and seconds are exact time ("PT24H" is 24 hours).
- A date-only deadline is due at 09:00 in the assignee's time zone on that day.
- A wall-clock time that does not exist (spring forward) moves forward by the gap; an
  ambiguous one (fall back) is the first of the two.
- A work order is reminded to its technician at 18:00 the day before, in the technician's
  time zone; if that moment has passed when the order is written, at once.
- The morning digest goes at 08:00 in the user's time zone, once per local day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from chalicelib.domain.model import Model

# RFC 5545 / ISO 8601 durations as tasks accept them (chalicelib.domain.tasks validates them)
_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")

TASK_DUE_TIME = time(9, 0)
WORK_ORDER_REMINDER_TIME = time(18, 0)
DIGEST_TIME = time(8, 0)
STALE_AFTER = timedelta(days=1)
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=5)
CLAIM_FOR = timedelta(minutes=10)


class HeaderInjectionError(ValueError):
    """A value bound for an email header holds CR or LF: refused, never sent."""


class MailTransientError(Exception):
    """The mail service did not take the message now (throttled, unavailable): retry."""


class MailPermanentError(Exception):
    """The mail service refused the message for good (rejected, sender not verified)."""


@dataclass
class CalendarEvent:
    """What the .ics attachment of a work-order email describes."""

    uid: str
    start: datetime
    minutes: int
    summary: str
    description: str | None = None
    url: str | None = None


@dataclass
class Letter:
    """One email to compose and send: template `kind` in `language` with `context`."""

    kind: str  # task_reminder, work_order_reminder, digest
    to: str
    language: str
    tenant_name: str
    subject_args: dict[str, Any]
    context: dict[str, Any]
    event: CalendarEvent | None = None


class ReminderKind(StrEnum):
    TASK = "task"
    WORK_ORDER = "work_order"
    DIGEST = "digest"


class ReminderState(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"  # claimed by a run; back to scheduled if that run dies
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"  # the task was completed (or the work order cancelled) first


DONE_STATES = frozenset({ReminderState.SENT, ReminderState.FAILED, ReminderState.SKIPPED})


class ReminderEntry(Model):
    """One email to send at `fire_at`: a task reminder at one offset, a work order's
    day-before reminder, or a user's digest schedule."""

    kind: ReminderKind
    tenant_id: str
    subject_id: str  # the task, the work order, or the user (digest)
    client_id: str | None = None
    offset: str | None = None
    recipient_id: str | None = None
    zone: str | None = None  # the time zone fire_at was computed in
    fire_at: datetime | None = None
    next_at: datetime | None = None  # when it is looked at next (a retry, a claim's expiry)
    state: ReminderState = ReminderState.SCHEDULED
    attempts: int = 0
    sent_at: datetime | None = None
    message_id: str | None = None
    error: str | None = None
    claim: str | None = None
    last_day: date | None = None  # digest: the local day of the last one
    details: dict[str, Any] | None = None  # work order: what the email says about it
    index_key: str | None = None  # the index sort key it was read at (a write's condition)

    @property
    def waiting(self) -> bool:
        """Still to be sent: it stays on the due index."""
        return self.state in (ReminderState.SCHEDULED, ReminderState.SENDING)


class ReminderStatus(Model):
    """How one reminder of a task stands, as the task shows it."""

    offset: str
    fire_at: datetime
    state: ReminderState
    attempts: int = 0
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    message_id: str | None = None
    error: str | None = None


def status_of(entry: ReminderEntry) -> ReminderStatus:
    assert entry.offset is not None and entry.fire_at is not None
    retry = entry.next_at if entry.state is ReminderState.SCHEDULED and entry.attempts else None
    return ReminderStatus(
        offset=entry.offset,
        fire_at=entry.fire_at,
        state=entry.state,
        attempts=entry.attempts,
        next_attempt_at=retry,
        sent_at=entry.sent_at,
        message_id=entry.message_id,
        error=entry.error,
    )


# --- time -----------------------------------------------------------------------------------


def at_local(day: date, wall: time, zone: str) -> datetime:
    """`wall` on `day` in `zone`, in UTC: a time in a spring-forward gap moves forward by the
    gap, an ambiguous one is the first (fold=0 does both with zoneinfo)."""
    return datetime.combine(day, wall, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def before(instant: datetime, offset: str, zone: str) -> datetime:
    """`instant` minus an RFC 5545 duration: weeks and days on the wall clock of `zone`,
    hours, minutes and seconds exactly."""
    match = _DURATION.match(offset)
    if match is None:
        raise ValueError(f"{offset!r} is not an ISO 8601 duration such as 'P1D' or 'PT1H'")
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    local = instant.astimezone(ZoneInfo(zone))
    wall = local.replace(tzinfo=None) - timedelta(weeks=weeks, days=days)
    moved = at_local(wall.date(), wall.time(), zone) if weeks or days else instant
    return moved.astimezone(UTC) - timedelta(hours=hours, minutes=minutes, seconds=seconds)


def task_fire_at(
    due_at: datetime | None, due_date: date | None, zone: str, offset: str
) -> datetime:
    """When a task's reminder at `offset` fires (see the module's policy)."""
    if due_at is not None:
        return before(due_at, offset, zone)
    assert due_date is not None
    return before(at_local(due_date, TASK_DUE_TIME, zone), offset, zone)


def work_order_fire_at(scheduled_at: datetime, zone: str) -> datetime:
    """18:00 the local day before the order, in the technician's zone."""
    day = scheduled_at.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)
    return at_local(day, WORK_ORDER_REMINDER_TIME, zone)


def next_digest(now: datetime, zone: str, last_day: date | None) -> datetime:
    """The next 08:00 in `zone` at or after `now`, on a day after `last_day`."""
    today = now.astimezone(ZoneInfo(zone)).date()
    day = today if at_local(today, DIGEST_TIME, zone) >= now else today + timedelta(days=1)
    if last_day is not None and day <= last_day:
        day = last_day + timedelta(days=1)
    return at_local(day, DIGEST_TIME, zone)


def retry_delay(attempts: int) -> timedelta:
    """5, 10, 20, 40 minutes… after the 1st, 2nd, 3rd, 4th failed try."""
    return FIRST_RETRY * int(2 ** max(attempts - 1, 0))


def is_stale(entry: ReminderEntry, now: datetime) -> bool:
    return entry.fire_at is not None and entry.fire_at < now - STALE_AFTER


# --- tasks ----------------------------------------------------------------------------------


class TaskLike(Protocol):
    id: str
    client_id: str
    due_at: datetime | None
    due_date: date | None
    assignee_id: str
    reminders: list[str]


def plan_task(
    tenant: str,
    task: TaskLike,
    pending: bool,
    zone: str,
    existing: list[ReminderEntry],
    now: datetime,
) -> tuple[list[ReminderEntry], list[ReminderEntry], list[ReminderEntry]]:
    """What a task write does to its reminders: (entries to put, to delete, all after).

    An entry whose fire time and recipient are unchanged is left alone (a sent one stays
    sent); a changed one starts again as scheduled. A completed task cancels the waiting
    ones. One whose time has passed when it is written is skipped, not sent late.
    """
    current = {e.offset: e for e in existing}
    puts: list[ReminderEntry] = []
    after: list[ReminderEntry] = []
    for offset in task.reminders:
        fire = task_fire_at(task.due_at, task.due_date, zone, offset)
        old = current.get(offset)
        if old is not None and (old.fire_at != fire or old.recipient_id != task.assignee_id):
            old = None
        if pending and old is not None and old.state is not ReminderState.CANCELLED:
            after.append(old)
            continue
        if not pending and old is not None and not old.waiting:
            after.append(old)
            continue
        if not pending:
            entry = _task_entry(tenant, task, offset, fire, zone, ReminderState.CANCELLED)
        elif fire < now:
            entry = _task_entry(tenant, task, offset, fire, zone, ReminderState.SKIPPED)
            entry.error = "its time had passed when the task was saved"
        else:
            entry = _task_entry(tenant, task, offset, fire, zone, ReminderState.SCHEDULED)
        puts.append(entry)
        after.append(entry)
    deletes = [e for o, e in current.items() if o not in task.reminders]
    return puts, deletes, after


def _task_entry(
    tenant: str, task: TaskLike, offset: str, fire: datetime, zone: str, state: ReminderState
) -> ReminderEntry:
    waiting = state is ReminderState.SCHEDULED
    return ReminderEntry(
        kind=ReminderKind.TASK,
        tenant_id=tenant,
        subject_id=task.id,
        client_id=task.client_id,
        offset=offset,
        recipient_id=task.assignee_id,
        zone=zone,
        fire_at=fire,
        next_at=fire if waiting else None,
        state=state,
    )
