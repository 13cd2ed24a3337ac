"""Timeline events: every change to a client, who made it and what it changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from chalicelib.domain.model import Model


class TimelineEvent(Model):
    id: str
    client_id: str
    at: datetime
    actor_id: str
    actor_name: str | None = None
    action: str = Field(description="created, updated, deactivated, reactivated, …")
    changes: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="{field: {before, after}}"
    )
    reason: str | None = None
    subject: dict[str, Any] | None = Field(
        default=None, description="the activity, note, task or tags the event is about"
    )
    private_for: str | None = Field(
        default=None,
        exclude=True,
        description="about a private activity: only this responsible (and managers) see it",
    )
