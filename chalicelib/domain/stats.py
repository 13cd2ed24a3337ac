"""Statistics counters: which ones a client counts in, and how much a write moves them.

Every counter is kept twice: for the whole organisation (one item, read by admins and
managers) and per slice, the owner-and-client-group a client falls in (a sales user's
statistics add up the slices they can see: their own and their groups').
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import Field

from chalicelib.domain.clients import Client
from chalicelib.domain.model import Model

Slice = tuple[str, str | None]  # (owner id, group id)


def _month(at: datetime, timezone: str) -> str:
    return at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")


def counter_names(client: Client, timezone: str) -> list[str]:
    """The counters one client is counted in (flat attribute names of a counters item)."""
    names = [
        "n_total",
        f"n_type_{client.type.value}",
        f"n_stage_{client.stage}",
        f"n_status_{client.status.value}",
        f"n_kind_{client.kind.value}",
        f"n_source_{client.source or 'none'}",
        f"n_created_{_month(client.created_at, timezone)}",
    ]
    if client.converted_at is not None:
        names.append(f"n_won_{_month(client.converted_at, timezone)}")
    return names


def slice_of(client: Client) -> Slice:
    return (client.owner_id, client.group_id)


@dataclass
class CounterDeltas:
    """What a write adds to the organisation's counters and to each slice's."""

    tenant: dict[str, int] = field(default_factory=dict)
    slices: dict[Slice, dict[str, int]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.tenant or self.slices)

    def add(self, more: CounterDeltas) -> None:
        for name, delta in more.tenant.items():
            self.tenant[name] = self.tenant.get(name, 0) + delta
        for slice_, deltas in more.slices.items():
            into = self.slices.setdefault(slice_, {})
            for name, delta in deltas.items():
                into[name] = into.get(name, 0) + delta


def _deltas(before: Client | None, after: Client | None, timezone: str) -> dict[str, int]:
    deltas: Counter[str] = Counter()
    if before is not None:
        deltas.subtract(counter_names(before, timezone))
    if after is not None:
        deltas.update(counter_names(after, timezone))
    return {name: n for name, n in deltas.items() if n}


def counter_deltas(before: Client | None, after: Client | None, timezone: str) -> CounterDeltas:
    """What to add to each counter when `before` becomes `after` (None: absent)."""
    slices: dict[Slice, dict[str, int]] = {}
    old = slice_of(before) if before is not None else None
    new = slice_of(after) if after is not None else None
    if old == new:
        if old is not None:
            slices[old] = _deltas(before, after, timezone)
    else:
        if old is not None:
            slices[old] = _deltas(before, None, timezone)
        if new is not None:
            slices[new] = _deltas(None, after, timezone)
    return CounterDeltas(
        tenant=_deltas(before, after, timezone),
        slices={s: d for s, d in slices.items() if d},
    )


class ClientStats(Model):
    """`GET /stats/clients`: over every client the caller can see."""

    total: int
    active: int
    new_this_month: int = Field(description="created this month, in the organisation's zone")
    won_this_month: int = Field(description="converted this month")
    month: str = Field(description="the month counted, YYYY-MM")
    by_type: dict[str, int]
    by_stage: dict[str, int]
    by_status: dict[str, int]
    by_kind: dict[str, int]
    by_source: dict[str, int]


def stats_from_counters(counters: dict[str, int], month: str) -> ClientStats:
    def group(prefix: str) -> dict[str, int]:
        return {
            name.removeprefix(prefix): n
            for name, n in sorted(counters.items())
            if name.startswith(prefix) and n
        }

    by_status = group("n_status_")
    return ClientStats(
        total=counters.get("n_total", 0),
        active=by_status.get("active", 0),
        new_this_month=counters.get(f"n_created_{month}", 0),
        won_this_month=counters.get(f"n_won_{month}", 0),
        month=month,
        by_type=group("n_type_"),
        by_stage=group("n_stage_"),
        by_status=by_status,
        by_kind=group("n_kind_"),
        by_source=group("n_source_"),
    )
