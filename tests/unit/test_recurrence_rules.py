"""Recurrence rules: RRULE checks, the friendly form, and the DST policy in four zones.

Policy: occurrences are local wall-clock times; a wall time inside a spring-forward gap moves
forward by the gap, an ambiguous one (fall-back overlap) takes its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.recurrence import (
    Rule,
    friendly_rrule,
    localize,
    next_occurrence,
    normalize_rrule,
    occurrences_between,
    upcoming,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def weekly(zone: str, day: str, hh: int, mm: int, start: date) -> Rule:
    return Rule(f"FREQ=WEEKLY;BYDAY={day}", start, time(hh, mm), zone)


def around(rule: Rule, transition: date) -> dict[date, datetime]:
    """The rule's occurrences (local) from two weeks before a transition to two after."""
    start = datetime.combine(transition - timedelta(days=14), time(), ZoneInfo(rule.timezone))
    found = occurrences_between(rule, start, start + timedelta(days=29))
    return {o.day: o.local for o in found}


# zone, spring-forward day, fall-back day, weekday of both, a wall time in the gap and what it
# becomes, a wall time in the overlap and its first (earlier) instant in UTC
DST_MATRIX = [
    pytest.param(
        "Europe/Madrid",
        date(2026, 3, 29),
        date(2026, 10, 25),
        "SU",
        (time(2, 30), time(3, 30)),
        (time(2, 30), utc(2026, 10, 25, 0, 30)),
        id="Europe/Madrid",
    ),
    pytest.param(
        "America/New_York",
        date(2026, 3, 8),
        date(2026, 11, 1),
        "SU",
        (time(2, 30), time(3, 30)),
        (time(1, 30), utc(2026, 11, 1, 5, 30)),
        id="America/New_York",
    ),
    pytest.param(
        "America/Santiago",
        date(2026, 9, 6),  # Sunday 00:00 → 01:00
        date(2026, 4, 4),  # Saturday 24:00 → 23:00: Saturday 23:00-24:00 happens twice
        None,
        (time(0, 30), time(1, 30)),
        (time(23, 30), utc(2026, 4, 5, 2, 30)),
        id="America/Santiago",
    ),
    pytest.param(
        "Australia/Lord_Howe",  # a 30-minute shift
        date(2026, 10, 4),  # 02:00 → 02:30
        date(2026, 4, 5),  # 02:00 → 01:30
        "SU",
        (time(2, 15), time(2, 45)),
        (time(1, 45), utc(2026, 4, 4, 14, 45)),
        id="Australia/Lord_Howe",
    ),
]


def _weekday(d: date) -> str:
    return ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[d.weekday()]


@pytest.mark.parametrize(("zone", "spring", "fall", "day", "gap", "overlap"), DST_MATRIX)
def test_a_time_that_exists_stays_the_same_local_time_across_both_changes(
    zone, spring, fall, day, gap, overlap
):
    for transition in (spring, fall):
        rule = weekly(zone, day or _weekday(transition), 11, 0, date(2026, 1, 2))
        found = around(rule, transition)
        assert len(found) == 5
        assert {local.time() for local in found.values()} == {time(11, 0)}
        offsets = {local.utcoffset() for local in found.values()}
        assert len(offsets) == 2, "the offset changes, the wall time does not"


@pytest.mark.parametrize(("zone", "spring", "fall", "day", "gap", "overlap"), DST_MATRIX)
def test_a_time_inside_the_spring_forward_gap_moves_forward_by_the_gap(
    zone, spring, fall, day, gap, overlap
):
    wall, becomes = gap
    rule = weekly(zone, day or _weekday(spring), wall.hour, wall.minute, date(2026, 1, 2))
    found = around(rule, spring)
    assert found[spring].time() == becomes
    assert found[spring].date() == spring
    # the weeks around it keep the asked wall time
    assert found[spring - timedelta(days=7)].time() == wall
    assert found[spring + timedelta(days=7)].time() == wall
    # and the instant is exactly the gap's length after the wall time read in the old offset
    before = found[spring - timedelta(days=7)].utcoffset()
    naive = datetime.combine(spring, wall)
    assert found[spring].astimezone(UTC).replace(tzinfo=None) == naive - before


@pytest.mark.parametrize(("zone", "spring", "fall", "day", "gap", "overlap"), DST_MATRIX)
def test_an_ambiguous_time_takes_its_first_occurrence(zone, spring, fall, day, gap, overlap):
    wall, first_instant = overlap
    rule = weekly(zone, day or _weekday(fall), wall.hour, wall.minute, date(2026, 1, 2))
    found = around(rule, fall)
    assert found[fall].time() == wall
    assert found[fall].astimezone(UTC) == first_instant
    second = datetime.combine(fall, wall, ZoneInfo(zone)).replace(fold=1).astimezone(UTC)
    assert second > first_instant, "the wall time really is ambiguous"
    assert len(found) == 5, "one order that day, not two"


def test_friday_eleven_in_madrid_is_eleven_in_winter_and_summer():
    rule = Rule("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", date(2026, 1, 2), time(11), "Europe/Madrid")
    found = upcoming(rule, utc(2026, 1, 1), 26)
    assert {o.local.time() for o in found} == {time(11)}
    assert {o.utc.hour for o in found} == {10, 9}  # CET and CEST
    assert all((b.day - a.day).days == 14 for a, b in pairwise(found))


def test_localize_follows_the_policy():
    assert localize(datetime(2026, 3, 29, 2, 30), "Europe/Madrid").isoformat() == (
        "2026-03-29T03:30:00+02:00"
    )


def test_until_is_an_inclusive_local_date_and_count_counts_occurrences():
    daily = Rule("FREQ=DAILY", date(2026, 5, 1), time(9), "Europe/Madrid", until=date(2026, 5, 3))
    assert [o.key for o in upcoming(daily, utc(2026, 4, 1), 10)] == [
        "2026-05-01",
        "2026-05-02",
        "2026-05-03",
    ]
    counted = Rule("FREQ=DAILY", date(2026, 5, 1), time(9), "Europe/Madrid", count=2)
    assert len(upcoming(counted, utc(2026, 4, 1), 10)) == 2
    # count is of the rule's occurrences, not of those still ahead
    assert [o.key for o in upcoming(counted, utc(2026, 5, 1, 12), 10)] == ["2026-05-02"]
    assert next_occurrence(counted, utc(2026, 6, 1)) is None


def test_a_rule_without_end_goes_on():
    rule = Rule("FREQ=MONTHLY;BYMONTHDAY=-1", date(2026, 1, 1), time(8), "UTC")
    far = upcoming(rule, utc(2099, 1, 1), 2)
    assert [o.key for o in far] == ["2099-01-31", "2099-02-28"]


def test_occurrences_between_is_half_open_on_instants():
    rule = Rule("FREQ=DAILY", date(2026, 5, 1), time(9), "UTC")
    found = occurrences_between(rule, utc(2026, 5, 2, 9), utc(2026, 5, 4, 9))
    assert [o.key for o in found] == ["2026-05-02", "2026-05-03"]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"),
        ("RRULE:byday=MO,WE;freq=weekly", "FREQ=WEEKLY;BYDAY=MO,WE"),
        ("FREQ=MONTHLY;BYDAY=1MO", "FREQ=MONTHLY;BYDAY=1MO"),
    ],
)
def test_an_rrule_is_stored_in_a_canonical_form(text, canonical):
    assert normalize_rrule(text) == canonical


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "required"),
        ("FREQ=HOURLY", "FREQ must be"),
        ("FREQ=WEEKLY;BYHOUR=9", "BYHOUR is not supported"),
        ("FREQ=WEEKLY;COUNT=3", "`count` field"),
        ("FREQ=WEEKLY;UNTIL=20270101", "`until` field"),
        ("FREQ=WEEKLY;BYDAY=XX", "not a valid RRULE"),
        ("FREQ=WEEKLY;INTERVAL=abc", "not a valid RRULE"),
        ("FREQ=WEEKLY;FREQ=DAILY", "given twice"),
        ("nonsense", "NAME=value"),
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "never occurs"),
        ("FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=-31", "never occurs"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY 1 to 31"),
    ],
)
def test_a_bad_rrule_says_what_is_wrong(text, says):
    with pytest.raises(ValueError, match=says):
        normalize_rrule(text)


def test_the_friendly_form_becomes_an_rrule():
    assert friendly_rrule("weekly", 2, ["FR"], None) == "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"
    assert friendly_rrule("monthly", 1, None, 15) == "FREQ=MONTHLY;BYMONTHDAY=15"
