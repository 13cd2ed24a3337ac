"""The client's summary (kept beside it, changed with every activity and task) and the
profile a screen needs, assembled from the client, its summary and its tags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from chalicelib.domain.activities import Activity, ActivityStatus
from chalicelib.domain.clients import Client
from chalicelib.domain.model import Model
from chalicelib.domain.principal import Principal
from chalicelib.domain.tags import Tag, TagRef

RECENT_DONE = 20


class Summary(Model):
    """Per client: open tasks, the scheduled activities and the latest done ones (briefs)."""

    open_tasks: int = 0
    scheduled: dict[str, dict[str, Any]] = Field(default_factory=dict)
    recent_done: dict[str, dict[str, Any]] = Field(default_factory=dict)
    version: int = 0

    def with_activity(self, before: Activity | None, after: Activity | None) -> Summary:
        """The summary once `before` became `after` (None: absent)."""
        scheduled, done = dict(self.scheduled), dict(self.recent_done)
        for brief_map in (scheduled, done):
            if before is not None:
                brief_map.pop(before.id, None)
        if after is not None and after.status is ActivityStatus.SCHEDULED:
            scheduled[after.id] = after.brief()
        if after is not None and after.status is ActivityStatus.DONE:
            done[after.id] = after.brief()
            latest = sorted(done.values(), key=lambda b: b["at"], reverse=True)[:RECENT_DONE]
            done = {b["id"]: b for b in latest}
        return self.model_copy(update={"scheduled": scheduled, "recent_done": done})

    def with_open_tasks(self, delta: int) -> Summary:
        return self.model_copy(update={"open_tasks": max(0, self.open_tasks + delta)})


def visible_brief(who: Principal, brief: dict[str, Any]) -> bool:
    return not brief.get("private") or who.sees_private_of(str(brief.get("responsible_id")))


class ActivityBrief(Model):
    id: str
    type: str
    at: datetime
    status: str
    responsible_id: str


class ClientProfile(Client):
    """`GET /clients/{id}`: the client and what its screen shows around it."""

    tags: list[TagRef] = Field(default_factory=list)
    open_tasks: int = 0
    scheduled_activities: int = 0
    next_activity: ActivityBrief | None = None
    last_activity: ActivityBrief | None = None


def _by_name(tag: Tag) -> str:
    return tag.name.casefold()


def build_profile(
    who: Principal, client: Client, summary: Summary, tags: list[Tag]
) -> ClientProfile:
    scheduled = [b for b in summary.scheduled.values() if visible_brief(who, b)]
    done = [b for b in summary.recent_done.values() if visible_brief(who, b)]
    upcoming = min(scheduled, key=lambda b: b["at"], default=None)
    latest = max(done, key=lambda b: b["at"], default=None)
    return ClientProfile(
        **client.model_dump(),
        guarded=client.guarded,
        tags=[TagRef(id=t.id, name=t.name, color=t.color) for t in sorted(tags, key=_by_name)],
        open_tasks=summary.open_tasks,
        scheduled_activities=len(scheduled),
        next_activity=ActivityBrief.model_validate(upcoming) if upcoming else None,
        last_activity=ActivityBrief.model_validate(latest) if latest else None,
    )
