"""Activities through the HTTP API: log, list, read, change, delete; follow-up tasks; who sees
a private activity (lists, the activity itself, the timeline, the profile); the bell."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.functional.conftest import new_client
from tests.functional.relations_helpers import (
    add_activity,
    assert_404,
    bell,
    ids,
    ok,
    problem_fields,
    timeline,
)


def at(day: int, hour: int = 10) -> str:
    return f"2026-03-{day:02d}T{hour:02d}:00:00Z"


def same_instant(a: str, b: str) -> bool:
    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


def test_log_read_change_and_delete_an_activity(team):
    luis = team["u-luis"]
    c = new_client(luis)
    created = add_activity(
        luis,
        c["id"],
        type="meeting",
        at="2026-03-10T10:00:00+00:00",
        notes="Talked about prices",
        result="interested",
    )
    assert created["id"].startswith(c["id"] + ".")
    assert created["client_id"] == c["id"]
    assert created["status"] == "done" and created["private"] is False
    assert created["responsible_id"] == "u-luis" and created["responsible_name"] == "Luis Pérez"
    assert created["follow_up_task_id"] is None
    path = f"/activities/{created['id']}"
    assert ok(luis.get(path)) == created

    changed = ok(luis.patch(path, {"result": "will sign", "type": "call"}))
    assert changed["result"] == "will sign" and changed["type"] == "call"
    assert changed["notes"] == "Talked about prices"
    assert ok(luis.get(path)) == changed

    assert luis.delete(path).status == 204
    assert_404(luis.get(path))
    assert_404(luis.patch(path, {"result": "x"}))
    assert_404(luis.delete(path))
    assert ok(luis.get(f"/clients/{c['id']}/activities"))["items"] == []

    events = [e for e in timeline(luis, c["id"]) if e["action"].startswith("activity_")]
    assert [e["action"] for e in events] == [
        "activity_deleted",
        "activity_updated",
        "activity_created",
    ]
    assert all(e["subject"]["id"] == created["id"] for e in events)
    assert events[1]["changes"] == {
        "result": {"before": "interested", "after": "will sign"},
        "type": {"before": "meeting", "after": "call"},
    }
    assert events[1]["actor_id"] == "u-luis"


def test_a_client_lists_its_activities_latest_first_and_pages(team):
    luis = team["u-luis"]
    c = new_client(luis)
    for day in (12, 9, 15, 10, 11):
        add_activity(luis, c["id"], at=at(day))
    listed = ok(luis.get(f"/clients/{c['id']}/activities"))
    assert [a["at"][:10] for a in listed["items"]] == [
        "2026-03-15",
        "2026-03-12",
        "2026-03-11",
        "2026-03-10",
        "2026-03-09",
    ]
    assert listed["next_cursor"] is None
    first = ok(luis.get(f"/clients/{c['id']}/activities?limit=3"))
    rest = ok(luis.get(f"/clients/{c['id']}/activities?limit=3&cursor={first['next_cursor']}"))
    assert ids(first["items"] + rest["items"]) == ids(listed["items"])


def test_follow_up_at_creates_the_follow_up_task(team):
    manager = team["u-manager"]
    c = new_client(team["u-luis"])
    activity = add_activity(
        manager,
        c["id"],
        responsible_id="u-luis",
        follow_up_at="2026-03-12T09:30:00+01:00",
    )
    task_id = activity["follow_up_task_id"]
    assert task_id and task_id.startswith(c["id"] + ".")
    assert ok(manager.get(f"/activities/{activity['id']}"))["follow_up_task_id"] == task_id
    tasks = ok(team["u-luis"].get(f"/clients/{c['id']}/tasks"))["items"]
    assert ids(tasks) == [task_id]
    task = tasks[0]
    assert same_instant(task["due_at"], "2026-03-12T09:30:00+01:00")
    assert task["due_date"] is None
    assert task["assignee_id"] == "u-luis" and task["status"] == "pending"
    assert ok(manager.get(f"/clients/{c['id']}"))["open_tasks"] == 1
    actions = [e["action"] for e in timeline(manager, c["id"])]
    assert "task_created" in actions and "activity_created" in actions


def test_invalid_activities_are_400_and_write_nothing(team):
    luis = team["u-luis"]
    c = new_client(luis)
    path = f"/clients/{c['id']}/activities"
    cases = [
        ({"type": "fax", "at": at(10)}, "type"),
        ({"type": "call", "at": "2026-03-10T10:00:00"}, "at"),
        ({"type": "call", "at": "tomorrow"}, "at"),
        ({"type": "call", "at": at(10), "status": "pending"}, "status"),
        ({"type": "call", "at": at(10), "follow_up_at": "2026-03-12"}, "follow_up_at"),
        ({"type": "call", "at": at(10), "colour": "red"}, "colour"),
        ({"at": at(10)}, "type"),
    ]
    for body, field in cases:
        assert field in problem_fields(luis.post(path, body)), body
    unknown = team["u-manager"].post(path, {"type": "call", "at": at(10), "responsible_id": "nope"})
    assert problem_fields(unknown) == ["responsible_id"]
    assert ok(luis.get(path))["items"] == []
    assert [e["action"] for e in timeline(luis, c["id"])] == ["created"]


def test_a_sales_user_logs_only_their_own_activities(team):
    luis = team["u-luis"]
    c = new_client(luis)
    body = {"type": "call", "at": at(10), "responsible_id": "u-sara"}
    assert luis.post(f"/clients/{c['id']}/activities", body).status == 403
    mine = add_activity(luis, c["id"])
    assert luis.patch(f"/activities/{mine['id']}", {"responsible_id": "u-sara"}).status == 403
    handed = ok(team["u-manager"].patch(f"/activities/{mine['id']}", {"responsible_id": "u-sara"}))
    assert handed["responsible_id"] == "u-sara" and handed["responsible_name"] == "Sara Gómez"
    assert ok(luis.get(f"/clients/{c['id']}/activities"))["items"] == [handed]


def test_a_client_others_cannot_see_hides_its_activities(team):
    c = new_client(team["u-luis"])
    activity = add_activity(team["u-luis"], c["id"])
    sara = team["u-sara"]
    assert_404(sara.get(f"/clients/{c['id']}/activities"))
    assert_404(sara.post(f"/clients/{c['id']}/activities", {"type": "call", "at": at(10)}))
    assert_404(sara.get(f"/activities/{activity['id']}"))
    assert_404(sara.patch(f"/activities/{activity['id']}", {"notes": "mine"}))
    assert_404(sara.delete(f"/activities/{activity['id']}"))
    assert ok(team["u-luis"].get(f"/activities/{activity['id']}")) == activity


@pytest.fixture
def private_setup(team):
    """Luis's client with: his private scheduled call, the manager's private scheduled
    meeting (sooner), the admin's private done visit for the manager (latest), and Luis's
    public done call (earliest)."""
    luis, manager, admin = team["u-luis"], team["u-manager"], team["u-admin"]
    c = new_client(luis)
    cid = c["id"]
    return {
        "client": cid,
        "luis_private": add_activity(
            luis, cid, at=at(20), status="scheduled", private=True, notes="luis only"
        ),
        "manager_private": add_activity(
            manager, cid, type="meeting", at=at(18), status="scheduled", private=True
        ),
        "admin_for_manager": add_activity(
            admin,
            cid,
            type="visit",
            at=at(25),
            status="done",
            private=True,
            responsible_id="u-manager",
            notes="confidential terms",
        ),
        "luis_public": add_activity(luis, cid, at=at(5), status="done"),
    }


def test_a_private_activity_is_hidden_from_a_sales_user_who_is_not_its_responsible(
    team, private_setup
):
    s, luis = private_setup, team["u-luis"]
    cid = s["client"]
    hidden = [s["manager_private"]["id"], s["admin_for_manager"]["id"]]

    listed = ok(luis.get(f"/clients/{cid}/activities"))["items"]
    assert ids(listed) == [s["luis_private"]["id"], s["luis_public"]["id"]]
    for activity_id in hidden:
        assert_404(luis.get(f"/activities/{activity_id}"))
        assert_404(luis.patch(f"/activities/{activity_id}", {"notes": "seen"}))
        assert_404(luis.delete(f"/activities/{activity_id}"))
    assert ok(luis.get(f"/activities/{s['luis_private']['id']}")) == s["luis_private"]

    subjects = {(e.get("subject") or {}).get("id") for e in timeline(luis, cid)}
    assert s["luis_private"]["id"] in subjects and s["luis_public"]["id"] in subjects
    assert not subjects & set(hidden)
    assert "confidential terms" not in str(timeline(luis, cid))

    profile = ok(luis.get(f"/clients/{cid}"))
    assert profile["scheduled_activities"] == 1
    assert profile["next_activity"]["id"] == s["luis_private"]["id"]
    assert profile["last_activity"]["id"] == s["luis_public"]["id"]

    # and what was hidden is still there for the others
    assert ok(team["u-manager"].get(f"/activities/{hidden[1]}"))["notes"] == "confidential terms"


@pytest.mark.parametrize("who", ["u-manager", "u-admin"])
def test_managers_and_admins_see_every_private_activity(team, private_setup, who):
    s, api = private_setup, team[who]
    cid = s["client"]
    everything = [
        s["admin_for_manager"],
        s["luis_private"],
        s["manager_private"],
        s["luis_public"],
    ]
    assert ok(api.get(f"/clients/{cid}/activities"))["items"] == everything
    for activity in everything:
        assert ok(api.get(f"/activities/{activity['id']}")) == activity
    subjects = {(e.get("subject") or {}).get("id") for e in timeline(api, cid)}
    assert set(ids(everything)) <= subjects
    profile = ok(api.get(f"/clients/{cid}"))
    assert profile["scheduled_activities"] == 2
    assert profile["next_activity"]["id"] == s["manager_private"]["id"]
    assert profile["last_activity"]["id"] == s["admin_for_manager"]["id"]


def test_a_private_activity_stays_hidden_through_its_changes(team, private_setup):
    s, luis, manager = private_setup, team["u-luis"], team["u-manager"]
    cid, secret = s["client"], s["manager_private"]["id"]
    ok(manager.patch(f"/activities/{secret}", {"status": "done", "notes": "closed the deal"}))
    ok(manager.delete(f"/activities/{s['admin_for_manager']['id']}"), 204)
    events = timeline(luis, cid)
    assert secret not in {(e.get("subject") or {}).get("id") for e in events}
    assert "closed the deal" not in str(events)
    profile = ok(luis.get(f"/clients/{cid}"))
    assert profile["last_activity"]["id"] == s["luis_public"]["id"]
    assert ok(manager.get(f"/clients/{cid}"))["last_activity"]["id"] == secret


def test_an_activity_made_private_later_disappears_from_the_timeline(team):
    luis, manager = team["u-luis"], team["u-manager"]
    c = new_client(luis)
    activity = add_activity(manager, c["id"], notes="budget is 40k")
    ok(manager.patch(f"/activities/{activity['id']}", {"private": True}))
    assert_404(luis.get(f"/activities/{activity['id']}"))
    events = timeline(luis, c["id"])
    assert activity["id"] not in {(e.get("subject") or {}).get("id") for e in events}
    assert "budget is 40k" not in str(events)
    # and public again: its whole history shows again
    ok(manager.patch(f"/activities/{activity['id']}", {"private": False}))
    shown = [e for e in timeline(luis, c["id"]) if (e.get("subject") or {}).get("id")]
    assert [e["action"] for e in shown] == [
        "activity_updated",
        "activity_updated",
        "activity_created",
    ]


def test_a_private_activity_handed_to_someone_else_leaves_its_old_responsibles_timeline(team):
    luis, manager = team["u-luis"], team["u-manager"]
    c = new_client(luis)
    activity = add_activity(luis, c["id"], notes="my secret", private=True)
    ok(manager.patch(f"/activities/{activity['id']}", {"responsible_id": "u-manager"}))
    assert_404(luis.get(f"/activities/{activity['id']}"))
    assert "my secret" not in str(timeline(luis, c["id"]))
    assert "my secret" in str(timeline(manager, c["id"]))


def test_the_bell_lists_my_scheduled_activities_soonest_first(team):
    luis, manager = team["u-luis"], team["u-manager"]
    c1, c2 = new_client(luis)["id"], new_client(luis, name="Bruno")["id"]
    third = add_activity(luis, c1, at=at(14), status="scheduled")
    first = add_activity(luis, c2, at=at(11), status="scheduled", private=True)
    second = add_activity(luis, c1, at=at(12, 9), status="scheduled")
    add_activity(luis, c1, at=at(9), status="done")
    add_activity(luis, c1, at=at(10), status="cancelled")
    add_activity(manager, c1, at=at(10), status="scheduled")  # the manager's, not Luis's

    mine = bell(luis)
    assert mine["count"] == 3 and mine["next_cursor"] is None
    assert ids(mine["items"]) == [first["id"], second["id"], third["id"]]
    assert mine["items"][0] == first

    page = ok(luis.get("/activities?status=scheduled&responsible=me&limit=2"))
    assert page["count"] == 3 and ids(page["items"]) == [first["id"], second["id"]]
    rest = ok(luis.get(f"/activities?responsible=me&limit=2&cursor={page['next_cursor']}"))
    assert ids(rest["items"]) == [third["id"]]

    ok(luis.patch(f"/activities/{first['id']}", {"status": "done"}))
    ok(luis.patch(f"/activities/{third['id']}", {"status": "cancelled"}))
    after = bell(luis)
    assert after["count"] == 1 and ids(after["items"]) == [second["id"]]
    ok(luis.patch(f"/activities/{third['id']}", {"status": "scheduled"}))
    assert ids(bell(luis)["items"]) == [second["id"], third["id"]]


def test_the_bell_of_someone_else_is_for_managers_and_admins(team):
    luis, manager = team["u-luis"], team["u-manager"]
    c = new_client(luis)
    mine = add_activity(luis, c["id"], status="scheduled", private=True)
    theirs = add_activity(manager, c["id"], status="scheduled")

    forbidden = luis.get("/activities?status=scheduled&responsible=u-manager")
    assert forbidden.status == 403, forbidden
    assert forbidden.headers["Content-Type"] == "application/problem+json"
    assert team["u-sara"].get("/activities?responsible=u-luis").status == 403
    assert ids(bell(luis, "u-luis")["items"]) == [mine["id"]]

    assert ids(bell(manager, "u-luis")["items"]) == [mine["id"]]
    assert ids(bell(team["u-admin"], "u-manager")["items"]) == [theirs["id"]]
    assert ids(bell(manager)["items"]) == [theirs["id"]]
    assert bell(team["u-sara"]) == {"count": 0, "items": [], "next_cursor": None}


def test_the_bell_only_answers_for_scheduled(team):
    for status in ("done", "cancelled", "all"):
        r = team["u-luis"].get(f"/activities?status={status}&responsible=me")
        assert problem_fields(r) == ["status"], status


def test_follow_ups_are_titled_in_the_tenants_language_and_never_describe_a_private_one(team):
    luis, manager = team["u-luis"], team["u-manager"]
    c = new_client(luis)
    private = add_activity(
        manager,
        c["id"],
        private=True,
        responsible_id="u-manager",
        follow_up_at="2026-12-01T10:00:00+01:00",
    )
    tasks = ok(luis.get(f"/clients/{c['id']}/tasks"))["items"]
    assert [t["id"] for t in tasks] == [private["follow_up_task_id"]]
    assert tasks[0]["description"] == "Seguimiento (actividad privada)"  # a Spanish tenant
    public = add_activity(luis, c["id"], follow_up_at="2026-12-02T10:00:00+01:00")
    task = next(
        t
        for t in ok(luis.get(f"/clients/{c['id']}/tasks"))["items"]
        if t["id"] == public["follow_up_task_id"]
    )
    assert task["description"] == "Seguimiento: llamada del 2026-03-10"
    ok(team["u-admin"].patch("/settings", {"language": "en"}))
    english = add_activity(luis, c["id"], type="visit", follow_up_at="2026-12-03T10:00:00Z")
    task = ok(luis.get(f"/clients/{c['id']}/tasks"))["items"][0]
    assert task["id"] == english["follow_up_task_id"]
    assert task["description"] == "Follow up: visit of 2026-03-10"
