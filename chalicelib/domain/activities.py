"""Activities (interactions with a client) and notes."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints, field_validator

from chalicelib.domain.clients import LongText, ShortText, UserId
from chalicelib.domain.model import Model


class ActivityType(StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    WHATSAPP = "whatsapp"
    VISIT = "visit"
    LETTER = "letter"


class ActivityStatus(StrEnum):
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"


class ActivityCreate(Model):
    model_config = ConfigDict(extra="forbid")

    type: ActivityType
    at: AwareDatetime = Field(description="date-time with offset")
    notes: LongText | None = None
    status: ActivityStatus = ActivityStatus.DONE
    responsible_id: UserId | None = Field(default=None, description="defaults to the creator")
    result: ShortText | None = None
    follow_up_at: AwareDatetime | None = Field(
        default=None, description="also creates a follow-up task due then"
    )
    private: bool = False


class ActivityUpdate(Model):
    model_config = ConfigDict(extra="forbid")

    type: ActivityType | None = None
    at: AwareDatetime | None = None
    notes: LongText | None = None
    status: ActivityStatus | None = None
    responsible_id: UserId | None = None
    result: ShortText | None = None
    private: bool | None = None

    @field_validator("type", "at", "status", "responsible_id", "private")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be cleared")
        return value


class Activity(Model):
    id: str
    client_id: str
    type: ActivityType
    at: datetime
    notes: str | None = None
    status: ActivityStatus
    responsible_id: str
    responsible_name: str | None = None
    result: str | None = None
    private: bool = False
    follow_up_task_id: str | None = None
    created_at: datetime
    updated_at: datetime
    created_by: str

    def brief(self) -> dict[str, Any]:
        """What the client's summary and timeline keep of it."""
        return {
            "id": self.id,
            "type": self.type.value,
            "at": self.at.astimezone(UTC).isoformat(),  # UTC: briefs are compared as text
            "status": self.status.value,
            "responsible_id": self.responsible_id,
            "private": self.private,
        }


class ActivityPage(Model):
    items: list[Activity]
    next_cursor: str | None = None


class PendingActivities(Model):
    """The bell: how many scheduled activities wait, and the first page of them."""

    count: int
    items: list[Activity]
    next_cursor: str | None = None


NoteText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]


class NoteCreate(Model):
    model_config = ConfigDict(extra="forbid")

    text: NoteText


class Note(Model):
    id: str
    client_id: str
    text: str
    author_id: str
    author_name: str | None = None
    created_at: datetime
    updated_at: datetime


class NotePage(Model):
    items: list[Note]
    next_cursor: str | None = None
