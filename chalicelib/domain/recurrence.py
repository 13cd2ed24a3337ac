"""Recurrence rules: an RFC 5545 RRULE on a local start date and time of day, in a zone.

The rule is expanded by python-dateutil on *naive* local wall-clock times (so "Friday
11:00" stays 11:00 whatever the offset) and each occurrence is then localized with
zoneinfo, `fold=0`:

- a wall time that does not exist (inside a spring-forward gap) takes the offset in force
  before the gap, i.e. it moves forward by the gap: 02:30 on Madrid's spring-forward day is
  03:30 CEST;
- an ambiguous wall time (inside a fall-back overlap) takes its first occurrence, the one
  with the offset in force before the change.

Occurrences are identified by their local date (`YYYY-MM-DD`): a rule makes at most one
order per local day, so rules finer than daily (FREQ=HOURLY, BYHOUR, …) are refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from dateutil.rrule import rrule

_KEY = re.compile(r"^[A-Z]+$")
ALLOWED_PARTS = ("FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST")
_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def normalize_rrule(text: str) -> str:
    """A checked RRULE in a canonical form (`FREQ` first, the other parts as given);
    ValueError naming what is wrong."""
    from dateutil.rrule import rrulestr

    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if not body:
        raise ValueError("an RRULE such as 'FREQ=WEEKLY;INTERVAL=2;BYDAY=FR' is required")
    parts = _parts(body)
    if parts.get("FREQ") not in _FREQS:
        raise ValueError(f"FREQ must be one of {', '.join(_FREQS)} (one order per day at most)")
    canonical = ";".join([f"FREQ={parts.pop('FREQ')}", *(f"{k}={v}" for k, v in parts.items())])
    _check_month_days(parts)
    try:
        first = next(iter(rrulestr(canonical, dtstart=datetime(2026, 1, 1))), None)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise ValueError(f"not a valid RRULE: {exc}") from None
    if first is None:
        raise ValueError("this RRULE never occurs (e.g. 30 February)")
    return canonical


def _parts(body: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for chunk in body.split(";"):
        name, eq, value = chunk.partition("=")
        name = name.strip().upper()
        if not eq or not _KEY.match(name) or not value.strip():
            raise ValueError(f"{chunk!r} is not a NAME=value part of an RRULE")
        if name in parts:
            raise ValueError(f"{name} is given twice")
        if name in ("UNTIL", "COUNT"):
            raise ValueError(f"{name} goes in the rule's `{name.lower()}` field, not the RRULE")
        if name not in ALLOWED_PARTS:
            allowed = ", ".join(ALLOWED_PARTS)
            raise ValueError(f"{name} is not supported; an RRULE here may use {allowed}")
        parts[name] = value.strip().upper()
    return parts


_MONTH_LENGTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _check_month_days(parts: dict[str, str]) -> None:
    """Refuse month days no month of the rule has (30 February): dateutil would look for
    one until the year 9999 (seconds of CPU) before finding nothing."""
    if "BYMONTHDAY" not in parts:
        return
    try:
        days = [abs(int(d)) for d in parts["BYMONTHDAY"].split(",")]
        months = [int(m) for m in parts["BYMONTH"].split(",")] if "BYMONTH" in parts else []
    except ValueError:
        raise ValueError("BYMONTHDAY and BYMONTH are lists of numbers") from None
    if any(not 1 <= m <= 12 for m in months) or any(not 1 <= d <= 31 for d in days):
        raise ValueError("BYMONTH is 1 to 12, BYMONTHDAY 1 to 31 or -31 to -1")
    longest = max((_MONTH_LENGTH[m - 1] for m in months), default=31)
    if min(days) > longest:
        raise ValueError("this RRULE never occurs (e.g. 30 February)")


def friendly_rrule(
    frequency: str,
    interval: int,
    weekdays: Sequence[str] | None,
    month_day: int | None,
) -> str:
    """The RRULE of the friendly form (`frequency`, `interval`, `weekdays`, `month_day`)."""
    parts = [f"FREQ={frequency.upper()}"]
    if interval != 1:
        parts.append(f"INTERVAL={interval}")
    if weekdays:
        parts.append("BYDAY=" + ",".join(dict.fromkeys(d.upper() for d in weekdays)))
    if month_day is not None:
        parts.append(f"BYMONTHDAY={month_day}")
    return normalize_rrule(";".join(parts))


@dataclass(frozen=True)
class Rule:
    """What expanding a rule needs."""

    rrule: str
    start_date: date
    time: time
    timezone: str
    until: date | None = None
    count: int | None = None


@dataclass(frozen=True)
class Occurrence:
    day: date  # the local date: the occurrence's identity
    local: datetime  # aware, in the rule's zone (after the DST policy)
    utc: datetime

    @property
    def key(self) -> str:
        return self.day.isoformat()


def localize(naive: datetime, zone: str) -> datetime:
    """A local wall time as an instant, by the DST policy (fold=0; a nonexistent time moves
    forward by the gap). Returned in the zone, with the offset actually in force."""
    tz = ZoneInfo(zone)
    return naive.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)


def _expansion(rule: Rule) -> rrule:
    from dateutil.rrule import rrule as RRule
    from dateutil.rrule import rrulestr

    start = datetime.combine(rule.start_date, rule.time)
    until = datetime.combine(rule.until, time.max) if rule.until else None
    text = rule.rrule
    if rule.count is not None:
        text += f";COUNT={rule.count}"
    expanded = rrulestr(text, dtstart=start, cache=False)
    assert isinstance(expanded, RRule)  # one RRULE, never a set
    if until is not None:
        expanded = expanded.replace(until=until)
    return expanded


def occurrences_between(rule: Rule, start: datetime, end: datetime) -> list[Occurrence]:
    """The occurrences whose instant is in [start, end) (aware datetimes)."""
    tz = ZoneInfo(rule.timezone)
    # Local wall times may differ from the instants by up to a day either way.
    lo = start.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
    hi = end.astimezone(tz).replace(tzinfo=None) + timedelta(days=1)
    found = []
    for naive in _expansion(rule).between(lo, hi, inc=True):
        local = localize(naive, rule.timezone)
        at = local.astimezone(UTC)
        if start <= at < end:
            found.append(Occurrence(naive.date(), local, at))
    return found


def next_occurrence(rule: Rule, after: datetime) -> Occurrence | None:
    """The first occurrence at or after the instant `after`, or None when the rule ended."""
    tz = ZoneInfo(rule.timezone)
    naive_from = after.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
    expansion = _expansion(rule)
    candidate = expansion.after(naive_from, inc=True)
    while candidate is not None:
        local = localize(candidate, rule.timezone)
        if local.astimezone(UTC) >= after:
            return Occurrence(candidate.date(), local, local.astimezone(UTC))
        candidate = expansion.after(candidate, inc=False)
    return None


def upcoming(rule: Rule, after: datetime, n: int) -> list[Occurrence]:
    """The next `n` occurrences at or after the instant `after`."""
    tz = ZoneInfo(rule.timezone)
    naive_from = after.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
    found: list[Occurrence] = []
    # a day's margin before `after`: at most a couple of the first candidates are earlier
    for candidate in _expansion(rule).xafter(naive_from, count=n + 3, inc=True):
        local = localize(candidate, rule.timezone)
        if local.astimezone(UTC) >= after:
            found.append(Occurrence(candidate.date(), local, local.astimezone(UTC)))
    return found[:n]
