"""Work orders (visits to a client) and the recurrence rules that generate them."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from chalicelib.domain.clients import LongText, UserId
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.model import Model
from chalicelib.domain.recurrence import Rule, friendly_rrule, normalize_rrule
from chalicelib.domain.tenants import _checked_timezone

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=5000)]
Minutes = Annotated[int, Field(ge=1, le=24 * 60)]


class WorkOrderStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


# Which status may follow which (done is final; a cancelled order may be scheduled again).
TRANSITIONS: dict[WorkOrderStatus, set[WorkOrderStatus]] = {
    WorkOrderStatus.SCHEDULED: {
        WorkOrderStatus.IN_PROGRESS,
        WorkOrderStatus.DONE,
        WorkOrderStatus.CANCELLED,
    },
    WorkOrderStatus.IN_PROGRESS: {
        WorkOrderStatus.SCHEDULED,
        WorkOrderStatus.DONE,
        WorkOrderStatus.CANCELLED,
    },
    WorkOrderStatus.DONE: set(),
    WorkOrderStatus.CANCELLED: {WorkOrderStatus.SCHEDULED},
}

# The fields a recurrence rule sets on its orders: changing one by hand detaches the order.
RULE_FIELDS = ("title", "description", "scheduled_at", "duration_minutes", "technician_id")


class WorkOrder(Model):
    """A work order as stored and returned."""

    id: str
    client_id: str
    client_name: str
    title: str
    description: str | None = None
    scheduled_at: datetime = Field(description="when the visit starts (UTC)")
    duration_minutes: int
    technician_id: str | None = None
    technician_name: str | None = None
    status: WorkOrderStatus
    notes: str | None = None
    completed_at: datetime | None = None
    recurrence_id: str | None = Field(default=None, description="the rule that generated it")
    occurrence: str | None = Field(
        default=None, description="the local date (YYYY-MM-DD) of the rule's occurrence"
    )
    detached: bool = Field(
        default=False,
        description="generated, then moved, started, cancelled or edited by hand: the rule "
        "no longer rewrites or removes it",
    )
    created_at: datetime
    updated_at: datetime
    created_by: str
    version: int = 1

    @property
    def untouched(self) -> bool:
        """Generated and still exactly as its rule made it (a rule edit may rewrite it)."""
        return (
            self.recurrence_id is not None
            and not self.detached
            and self.status is WorkOrderStatus.SCHEDULED
        )


class WorkOrderCreate(Model):
    """Body of `POST /clients/{id}/work-orders`."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description | None = None
    scheduled_at: AwareDatetime = Field(description="with its offset, e.g. …T11:00:00+01:00")
    duration_minutes: Minutes = 60
    technician_id: UserId | None = Field(default=None, description="a user of the organisation")
    notes: LongText | None = None


class WorkOrderUpdate(Model):
    """Body of `PATCH /work-orders/{id}`: only the fields present change."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Description | None = None
    scheduled_at: AwareDatetime | None = None
    duration_minutes: Minutes | None = None
    technician_id: UserId | None = None
    status: WorkOrderStatus | None = None
    notes: LongText | None = None
    completed_at: AwareDatetime | None = Field(
        default=None, description="with status `done`: when it was done (default: now)"
    )
    version: int | None = Field(default=None, ge=1, description="the version you read")

    @field_validator("title", "scheduled_at", "duration_minutes", "status")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be cleared")
        return value

    def changes(self) -> dict[str, Any]:
        return {n: getattr(self, n) for n in self.model_fields_set if n != "version"}


class WorkOrderPage(Model):
    items: list[WorkOrder]
    next_cursor: str | None = None


# --- recurrence rules ---------------------------------------------------------------------

Weekday = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
Frequency = Literal["daily", "weekly", "monthly", "yearly"]
_TIME_HELP = "local time of day, HH:MM"


def _checked_rrule(value: str | None) -> str | None:
    return None if value is None else normalize_rrule(value)


def _checked_time(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a local time of day such as '11:00'") from None
    if len(value) != 5 or parsed.second or parsed.tzinfo is not None:
        raise ValueError("must be HH:MM, e.g. '11:00' (no seconds, no offset)")
    return value


class _RuleFields(Model):
    model_config = ConfigDict(extra="forbid")

    rrule: str | None = Field(
        default=None, description="RFC 5545 RRULE, e.g. FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"
    )
    frequency: Frequency | None = Field(default=None, description="friendly form (or `rrule`)")
    interval: Annotated[int, Field(ge=1, le=366)] | None = None
    weekdays: Annotated[list[Weekday], Field(min_length=1, max_length=7)] | None = None
    month_day: Annotated[int, Field(ge=-31, le=31)] | None = None
    start_date: date | None = Field(default=None, description="local date of the first one")
    time: str | None = Field(default=None, description=_TIME_HELP)
    timezone: str | None = Field(default=None, description="IANA; default the organisation's")
    until: date | None = Field(default=None, description="last local date (inclusive)")
    count: Annotated[int, Field(ge=1, le=10_000)] | None = None
    title: Title | None = None
    description: Description | None = None
    duration_minutes: Minutes | None = None
    technician_id: UserId | None = None

    _rrule = field_validator("rrule")(_checked_rrule)
    _time = field_validator("time")(_checked_time)
    _tz = field_validator("timezone")(_checked_timezone)

    @field_validator("start_date", "until")
    @classmethod
    def _sensible_date(cls, value: date | None) -> date | None:
        if value is not None and not 2000 <= value.year <= 2199:
            raise ValueError("a date from 2000 to 2199")
        return value

    @field_validator("month_day")
    @classmethod
    def _no_zero_day(cls, value: int | None) -> int | None:
        if value == 0:
            raise ValueError("1 to 31, or -1 to -31 from the end of the month")
        return value

    def check(self) -> None:
        """Rules across fields, each refusal naming its field."""
        friendly = [
            n
            for n in ("frequency", "interval", "weekdays", "month_day")
            if n in self.model_fields_set
        ]
        if self.rrule is not None and friendly:
            raise InvalidInputError.one(
                friendly[0], "give either `rrule` or the friendly form, not both"
            )
        if friendly and self.frequency is None:
            raise InvalidInputError.one("frequency", "the friendly form needs `frequency`")
        if self.until is not None and self.count is not None:
            raise InvalidInputError.one("count", "give `until` or `count`, not both")
        if self.until and self.start_date and self.until < self.start_date:
            raise InvalidInputError.one("until", "is before start_date")

    def rule_text(self) -> str | None:
        """The RRULE, from whichever form was given (None when neither was)."""
        if self.rrule is not None:
            return self.rrule
        if self.frequency is None:
            return None
        try:
            return friendly_rrule(self.frequency, self.interval or 1, self.weekdays, self.month_day)
        except ValueError as exc:
            raise InvalidInputError.one("frequency", str(exc)) from None


class RecurrenceCreate(_RuleFields):
    """Body of `POST /clients/{id}/recurrences`: an RRULE (or the friendly form), a local start
    date and time, and the work order each occurrence creates."""

    def check(self) -> None:
        super().check()
        if self.rrule is None and self.frequency is None:
            raise InvalidInputError.one("rrule", "required (or the friendly form's `frequency`)")
        for name in ("start_date", "time", "title"):
            if getattr(self, name) is None:
                raise InvalidInputError.one(name, "required")


class RecurrenceUpdate(_RuleFields):
    """Body of `PATCH /recurrences/{id}`: changes the rule's future, untouched orders."""

    version: int | None = Field(default=None, ge=1, description="the version you read")

    @field_validator("start_date", "time", "title", "timezone", "duration_minutes")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be cleared")
        return value


class Recurrence(Model):
    """A recurrence rule as stored and returned."""

    id: str
    client_id: str
    client_name: str
    rrule: str
    start_date: date
    time: str = Field(description=_TIME_HELP)
    timezone: str
    until: date | None = None
    count: int | None = None
    title: str
    description: str | None = None
    duration_minutes: int = 60
    technician_id: str | None = None
    technician_name: str | None = None
    materialized_through: datetime | None = Field(
        default=None, description="orders exist for every occurrence before this instant"
    )
    next_due: datetime | None = Field(
        default=None, exclude=True, description="when the materializer must look at it again"
    )
    pending_rewrite: bool = Field(default=False, exclude=True)
    created_at: datetime
    updated_at: datetime
    created_by: str
    version: int = 1

    def rule(self) -> Rule:
        return Rule(
            self.rrule,
            self.start_date,
            time.fromisoformat(self.time),
            self.timezone,
            self.until,
            self.count,
        )


class RecurrencePage(Model):
    items: list[Recurrence]
    next_cursor: str | None = None


class PreviewOccurrence(Model):
    occurrence: str = Field(description="the local date, the occurrence's identity")
    local: datetime = Field(description="in the rule's zone, with the offset in force")
    utc: datetime


class RecurrencePreview(Model):
    recurrence_id: str
    rrule: str
    timezone: str
    items: list[PreviewOccurrence]
