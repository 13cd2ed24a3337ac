"""Pure rules of the relationship: deadlines, buckets across time zones and DST, offsets,
and the client's summary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.activities import Activity, ActivityStatus, ActivityType
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.profile import RECENT_DONE, Summary, visible_brief
from chalicelib.domain.tasks import Bucket, bucket_range, due_instant, parse_offset

MADRID = "Europe/Madrid"
NEW_YORK = "America/New_York"


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def in_bucket(bucket: Bucket, due: datetime, now: datetime, zone: str) -> bool:
    start, end = bucket_range(bucket, now, zone)
    return (start is None or start <= due) and due < end


def test_a_date_only_deadline_is_the_last_instant_of_that_local_day():
    due = due_instant(None, date(2026, 11, 25), MADRID)
    assert due == local(MADRID, 2026, 11, 26) - timedelta(microseconds=1)
    assert due_instant(local(MADRID, 2026, 11, 25, 9), None, "UTC") == local(
        MADRID, 2026, 11, 25, 9
    )


@pytest.mark.parametrize(
    ("zone", "dst_day"),
    [(NEW_YORK, date(2026, 3, 8)), (MADRID, date(2026, 3, 29)), (MADRID, date(2026, 10, 25))],
)
def test_a_date_only_task_due_today_is_overdue_only_once_the_day_ends_across_dst(zone, dst_day):
    due = due_instant(None, dst_day, zone)
    late_evening = local(zone, dst_day.year, dst_day.month, dst_day.day, 23, 30)
    next_morning = local(zone, dst_day.year, dst_day.month, dst_day.day + 1, 0, 30)
    assert in_bucket(Bucket.TODAY, due, late_evening, zone)
    assert not in_bucket(Bucket.OVERDUE, due, late_evening, zone)
    assert in_bucket(Bucket.OVERDUE, due, next_morning, zone)
    assert not in_bucket(Bucket.TODAY, due, next_morning, zone)


def test_today_is_the_local_calendar_day_even_when_it_has_23_hours():
    start, end = bucket_range(Bucket.TODAY, local(MADRID, 2026, 3, 29, 12), MADRID)
    assert start is not None and end - start == timedelta(hours=23)


def test_sunday_23_30_local_is_this_week_not_next():
    wednesday = local(MADRID, 2026, 11, 25, 10)
    sunday_late = local(MADRID, 2026, 11, 29, 23, 30)
    assert in_bucket(Bucket.THIS_WEEK, sunday_late, wednesday, MADRID)
    assert not in_bucket(Bucket.NEXT_WEEK, sunday_late, wednesday, MADRID)
    monday = local(MADRID, 2026, 11, 30, 0, 0)
    assert in_bucket(Bucket.NEXT_WEEK, monday, wednesday, MADRID)


def test_buckets_follow_the_assignees_zone():
    # 23:30 on Sunday in New York is already Monday in Madrid
    due = local(NEW_YORK, 2026, 11, 29, 23, 30)
    now = local(NEW_YORK, 2026, 11, 25, 10)
    assert in_bucket(Bucket.THIS_WEEK, due, now, NEW_YORK)
    assert not in_bucket(Bucket.THIS_WEEK, due, now, MADRID)


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("P1D", timedelta(days=1)),
        ("PT1H", timedelta(hours=1)),
        ("PT1H30M", timedelta(minutes=90)),
        ("P1W", timedelta(weeks=1)),
        ("P2DT3H", timedelta(days=2, hours=3)),
    ],
)
def test_reminder_offsets_are_iso_8601_durations(text, delta):
    assert parse_offset(text) == delta


@pytest.mark.parametrize("text", ["1 day", "P", "PT", "P1DT", "-P1D", "P1Y", "PT0S", "P400D"])
def test_bad_reminder_offsets_are_refused(text):
    with pytest.raises(ValueError, match=r"duration|year|nothing"):
        parse_offset(text)


def _activity(ident: str, status: ActivityStatus, at: datetime, **kw: object) -> Activity:
    now = datetime(2026, 11, 24, tzinfo=UTC)
    fields: dict[str, object] = {
        "id": ident,
        "client_id": "c",
        "type": ActivityType.CALL,
        "at": at,
        "status": status,
        "responsible_id": "u-luis",
        "created_at": now,
        "updated_at": now,
        "created_by": "u",
    }
    fields.update(kw)
    return Activity.model_validate(fields)


def test_summary_keeps_scheduled_and_the_latest_done_activities():
    base = datetime(2026, 1, 1, tzinfo=UTC)
    summary = Summary()
    for i in range(RECENT_DONE + 5):
        done = _activity(f"d{i}", ActivityStatus.DONE, base + timedelta(days=i))
        summary = summary.with_activity(None, done)
    assert len(summary.recent_done) == RECENT_DONE
    assert "d0" not in summary.recent_done and f"d{RECENT_DONE + 4}" in summary.recent_done
    planned = _activity("s1", ActivityStatus.SCHEDULED, base)
    summary = summary.with_activity(None, planned)
    assert set(summary.scheduled) == {"s1"}
    held = planned.model_copy(update={"status": ActivityStatus.DONE})
    summary = summary.with_activity(planned, held)
    assert summary.scheduled == {}
    assert summary.with_activity(held, None).recent_done.get("s1") is None


def test_private_briefs_are_seen_by_their_responsible_and_managers_only():
    brief = _activity(
        "p", ActivityStatus.SCHEDULED, datetime(2026, 1, 1, tzinfo=UTC), private=True
    ).brief()
    who = {
        role: Principal(tenant_id="t", user_id=user, role=role)
        for user, role in [("u-luis", Role.SALES), ("u-m", Role.MANAGER), ("u-a", Role.ADMIN)]
    }
    sara = Principal(tenant_id="t", user_id="u-sara", role=Role.SALES)
    assert all(visible_brief(p, brief) for p in who.values())
    assert not visible_brief(sara, brief)
