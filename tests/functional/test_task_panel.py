"""The follow-ups panel (`GET /tasks?bucket=…&assignee=…`): buckets in the assignee's time
zone (their own, else the organisation's), across DST changes, for whom, in one Query."""

from __future__ import annotations

import pytest

from tests.functional.conftest import new_client
from tests.functional.relations_helpers import (
    add_activity,
    add_task,
    freeze,
    local,
    ok,
    panel,
    problem_fields,
)

BUCKETS = ("today", "overdue", "this_week", "next_week")


def set_tenant_zone(api, zone):
    assert ok(api.patch("/settings", {"timezone": zone}))["timezone"] == zone


def set_user_zone(api, user_id, name, role, zone):
    body = {"name": name, "role": role, "timezone": zone}
    assert ok(api.put(f"/users/{user_id}", body))["timezone"] == zone


def test_a_task_due_late_on_sunday_is_in_this_week_not_the_next(api, team):
    set_tenant_zone(api, "Europe/Madrid")
    luis = team["u-luis"]
    cid = new_client(luis)["id"]
    freeze(local("Europe/Madrid", 2026, 3, 11, 12, 0))  # a Wednesday
    monday_early = add_task(luis, cid, due_at="2026-03-09T00:30:00+01:00")  # Sun 23:30 UTC
    sunday_late = add_task(luis, cid, due_at="2026-03-15T23:30:00+01:00")
    sunday = add_task(luis, cid, due_date="2026-03-15")
    next_monday_early = add_task(luis, cid, due_at="2026-03-16T00:30:00+01:00")  # Sun in UTC
    last_sunday_late = add_task(luis, cid, due_at="2026-03-08T23:30:00+01:00")
    # the week the clocks go forward (Sunday 29 March has 23 hours in Madrid)
    dst_sunday_late = add_task(luis, cid, due_at="2026-03-29T23:30:00+02:00")
    dst_next_monday = add_task(luis, cid, due_at="2026-03-30T00:30:00+02:00")

    assert panel(luis, "this_week") == [monday_early["id"], sunday_late["id"], sunday["id"]]
    assert panel(luis, "next_week") == [next_monday_early["id"]]
    assert panel(luis, "overdue") == [last_sunday_late["id"], monday_early["id"]]

    freeze(local("Europe/Madrid", 2026, 3, 25, 9, 0))  # the Wednesday of the DST week
    assert panel(luis, "this_week") == [dst_sunday_late["id"]]
    assert panel(luis, "next_week") == [dst_next_monday["id"]]


DST_DAYS = [
    # zone, the day the clocks change (a Sunday), whose setting gives the zone
    ("America/New_York", (2026, 3, 8), "user"),  # spring forward: a 23-hour day
    ("America/New_York", (2026, 11, 1), "user"),  # fall back: a 25-hour day
    ("Europe/Madrid", (2026, 3, 29), "tenant"),
    ("Europe/Madrid", (2026, 10, 25), "tenant"),
]


@pytest.mark.parametrize(("zone", "day", "setting"), DST_DAYS)
def test_a_date_only_task_is_due_until_its_day_ends_in_the_assignees_zone(
    api, team, zone, day, setting
):
    if setting == "user":
        set_user_zone(api, "u-luis", "Luis Pérez", "sales", zone)
    else:
        set_tenant_zone(api, zone)
    luis = team["u-luis"]
    cid = new_client(luis)["id"]
    clock = freeze(local(zone, *day, 0, 30))
    task = add_task(luis, cid, due_date=f"{day[0]}-{day[1]:02d}-{day[2]:02d}")
    expected = {"today": [task["id"]], "this_week": [task["id"]], "overdue": []}
    assert {b: panel(luis, b) for b in expected} == expected

    clock.now = local(zone, *day, 23, 30)
    assert {b: panel(luis, b) for b in expected} == expected

    clock.now = local(zone, *day, 23, 59, 59)
    assert panel(luis, "overdue") == []

    y, m, d = day
    clock.now = local(zone, y, m, d + 1, 0, 30)  # Monday: a new day and a new week
    after = {"today": [], "this_week": [], "overdue": [task["id"]]}
    assert {b: panel(luis, b) for b in after} == after


def test_buckets_follow_the_users_own_zone_over_the_organisations(api, team):
    set_tenant_zone(api, "America/New_York")
    set_user_zone(api, "u-sara", "Sara Gómez", "sales", "Europe/Madrid")
    luis, sara, manager = team["u-luis"], team["u-sara"], team["u-manager"]
    cid = new_client(manager)["id"]
    # Tuesday 10 March 23:00 in New York is Wednesday 11 March 04:00 in Madrid
    freeze(local("America/New_York", 2026, 3, 10, 23, 0))
    tasks = {}
    for who in ("u-luis", "u-sara"):
        tasks[who, "tue"] = add_task(manager, cid, assignee_id=who, due_at="2026-03-10T20:00:00Z")
        tasks[who, "wed"] = add_task(manager, cid, assignee_id=who, due_at="2026-03-11T12:00:00Z")
        tasks[who, "wed-day"] = add_task(manager, cid, assignee_id=who, due_date="2026-03-11")

    assert panel(luis, "today") == [tasks["u-luis", "tue"]["id"]]  # the organisation's zone
    sara_today = [tasks["u-sara", "wed"]["id"], tasks["u-sara", "wed-day"]["id"]]
    assert panel(sara, "today") == sara_today  # her own zone
    assert panel(manager, "today", "u-sara") == sara_today  # hers, whoever asks
    assert panel(manager, "today", "u-luis") == [tasks["u-luis", "tue"]["id"]]
    # what fell due before now is overdue whatever the zone; the date-only ones are not yet
    assert panel(sara, "overdue") == [tasks["u-sara", "tue"]["id"]]
    assert panel(luis, "overdue") == [tasks["u-luis", "tue"]["id"]]


def test_completed_tasks_leave_the_panel_and_reopened_ones_return(team):
    luis = team["u-luis"]
    cid = new_client(luis)["id"]
    freeze(local("Europe/Madrid", 2026, 3, 11, 12, 0))
    late = add_task(luis, cid, due_date="2026-03-10")
    today = add_task(luis, cid, due_at="2026-03-11T18:00:00+01:00")
    follow_up = add_activity(luis, cid, follow_up_at="2026-03-11T17:00:00+01:00")
    follow_up_task = follow_up["follow_up_task_id"]
    assert panel(luis, "today") == [follow_up_task, today["id"]]
    assert panel(luis, "overdue") == [late["id"]]

    ok(luis.post(f"/tasks/{today['id']}/complete"))
    ok(luis.post(f"/tasks/{late['id']}/complete"))
    assert panel(luis, "today") == [follow_up_task]
    assert panel(luis, "overdue") == []
    assert panel(luis, "this_week") == [follow_up_task]

    ok(luis.post(f"/tasks/{today['id']}/reopen"))
    assert panel(luis, "today") == [follow_up_task, today["id"]]

    # moving a deadline moves the task between buckets
    ok(luis.patch(f"/tasks/{today['id']}", {"due_date": "2026-03-17"}))
    assert panel(luis, "today") == [follow_up_task]
    assert panel(luis, "next_week") == [today["id"]]


def test_the_panel_of_others_and_of_everyone_is_for_managers_and_admins(team):
    luis, sara, manager = team["u-luis"], team["u-sara"], team["u-manager"]
    freeze(local("Europe/Madrid", 2026, 3, 11, 8, 0))
    lt = add_task(luis, new_client(luis)["id"], due_at="2026-03-11T10:00:00+01:00")
    st = add_task(sara, new_client(sara)["id"], due_at="2026-03-11T09:00:00+01:00")
    mt = add_task(manager, new_client(manager)["id"], due_at="2026-03-11T11:00:00+01:00")

    for path in ("/tasks?bucket=today&assignee=all", "/tasks?bucket=today&assignee=u-sara"):
        r = luis.get(path)
        assert r.status == 403, r
        assert r.headers["Content-Type"] == "application/problem+json"
    assert panel(luis, "today") == [lt["id"]]
    assert panel(luis, "today", "u-luis") == [lt["id"]]
    assert panel(sara, "today") == [st["id"]]

    everyone = [st["id"], lt["id"], mt["id"]]
    assert panel(manager, "today", "all") == everyone
    assert panel(team["u-admin"], "today", "all") == everyone
    assert panel(manager, "today") == [mt["id"]]
    assert panel(manager, "today", "u-luis") == [lt["id"]]

    first = ok(manager.get("/tasks?bucket=today&assignee=all&limit=2"))
    assert [t["id"] for t in first["items"]] == everyone[:2]
    rest = ok(
        manager.get(f"/tasks?bucket=today&assignee=all&limit=2&cursor={first['next_cursor']}")
    )
    assert [t["id"] for t in rest["items"]] == everyone[2:]


def test_an_unknown_bucket_is_400_naming_bucket(team):
    for bucket in ("tomorrow", "TODAY", "this-week"):
        assert problem_fields(team["u-luis"].get(f"/tasks?bucket={bucket}")) == ["bucket"]


def test_each_bucket_is_one_query(team, dynamo_calls):
    luis, manager = team["u-luis"], team["u-manager"]
    cid = new_client(luis)["id"]
    freeze(local("Europe/Madrid", 2026, 3, 11, 12, 0))
    for day in ("2026-03-09", "2026-03-11", "2026-03-13", "2026-03-18"):
        add_task(luis, cid, due_date=day)
    for who, assignee in ((luis, "me"), (manager, "u-luis"), (manager, "all")):
        for bucket in BUCKETS:
            dynamo_calls.clear()
            assert panel(who, bucket, assignee), (bucket, assignee)
            assert dynamo_calls.count("Query") == 1, (bucket, assignee, dynamo_calls)
            assert set(dynamo_calls) <= {"Query", "GetItem", "BatchGetItem"}, dynamo_calls
