"""Statistics counters: which ones a client counts in, and how much a write moves them."""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

from chalicelib.domain.clients import Client


def counter_names(client: Client, timezone: str) -> list[str]:
    """The counters one client is counted in (flat attribute names of the counters item)."""
    month = client.created_at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")
    names = [
        "n_total",
        f"n_type_{client.type.value}",
        f"n_stage_{client.stage}",
        f"n_status_{client.status.value}",
        f"n_kind_{client.kind.value}",
        f"n_source_{client.source or 'none'}",
        f"n_created_{month}",
    ]
    return names


def counter_deltas(before: Client | None, after: Client | None, timezone: str) -> dict[str, int]:
    """What to add to each counter when `before` becomes `after` (None: absent)."""
    deltas: Counter[str] = Counter()
    if before is not None:
        deltas.subtract(counter_names(before, timezone))
    if after is not None:
        deltas.update(counter_names(after, timezone))
    return {name: n for name, n in deltas.items() if n}
