"""Unknown and foreign ids of activities, notes, tasks and tags; what deleting a client takes
with it."""

from __future__ import annotations

from tests.functional.conftest import new_client
from tests.functional.relations_helpers import (
    add_activity,
    add_note,
    add_tag,
    add_task,
    assert_404,
    bell,
    freeze,
    ids,
    local,
    ok,
    panel,
    problem_fields,
)


def test_unknown_ids_are_404_problems(team):
    admin = team["u-admin"]
    cid = new_client(admin)["id"]
    activity, note, task = add_activity(admin, cid), add_note(admin, cid), add_task(admin, cid)
    made_up = f"{cid}.0190a1b2c3d4e5f6a7b8c9"
    for bad in ("nope", "abc.def", made_up, "a.b.c", f"{cid}.", f".{made_up}", "x%23y.z"):
        assert_404(admin.get(f"/activities/{bad}"))
        assert_404(admin.patch(f"/activities/{bad}", {"notes": "x"}))
        assert_404(admin.delete(f"/activities/{bad}"))
        assert_404(admin.patch(f"/notes/{bad}", {"text": "x"}))
        assert_404(admin.delete(f"/notes/{bad}"))
        assert_404(admin.patch(f"/tasks/{bad}", {"description": "x"}))
        assert_404(admin.post(f"/tasks/{bad}/complete"))
        assert_404(admin.post(f"/tasks/{bad}/reopen"))
    # one kind of record's id does not reach another kind
    assert_404(admin.get(f"/activities/{task['id']}"))
    assert_404(admin.get(f"/activities/{note['id']}"))
    assert_404(admin.patch(f"/notes/{activity['id']}", {"text": "x"}))
    assert_404(admin.delete(f"/notes/{task['id']}"))
    assert_404(admin.post(f"/tasks/{note['id']}/complete"))
    assert_404(admin.patch(f"/tasks/{activity['id']}", {"description": "x"}))
    for path in ("activities", "notes", "tasks"):
        assert_404(admin.get(f"/clients/nope/{path}"))
    assert_404(
        admin.post("/clients/nope/activities", {"type": "call", "at": "2026-03-10T10:00:00Z"})
    )
    assert_404(admin.post("/clients/nope/notes", {"text": "x"}))
    assert_404(admin.post("/clients/nope/tasks", {"description": "x", "due_date": "2026-03-10"}))
    assert_404(admin.patch("/tags/nope", {"name": "x"}))
    assert_404(admin.delete("/tags/nope"))
    # and nothing was touched
    assert ok(admin.get(f"/activities/{activity['id']}")) == activity
    assert ok(admin.get(f"/clients/{cid}/notes"))["items"] == [note]
    assert ok(admin.get(f"/clients/{cid}/tasks"))["items"] == [task]


def test_another_organisations_ids_are_404(api, team):
    admin = team["u-admin"]
    tag = add_tag(admin, "hot")
    cid = new_client(team["u-luis"])["id"]
    ok(admin.put(f"/clients/{cid}/tags", {"tag_ids": [tag["id"]]}))
    activity = add_activity(admin, cid, status="scheduled", responsible_id="u-luis")
    note, task = add_note(admin, cid), add_task(admin, cid, assignee_id="u-luis")

    other = api.as_("u-admin", "admin", tenant="globex")
    theirs = new_client(other)["id"]
    assert_404(other.get(f"/clients/{cid}"))
    for path in ("activities", "notes", "tasks", "timeline"):
        assert_404(other.get(f"/clients/{cid}/{path}"))
    assert_404(other.get(f"/activities/{activity['id']}"))
    assert_404(other.patch(f"/activities/{activity['id']}", {"notes": "x"}))
    assert_404(other.delete(f"/activities/{activity['id']}"))
    assert_404(other.patch(f"/notes/{note['id']}", {"text": "x"}))
    assert_404(other.delete(f"/notes/{note['id']}"))
    assert_404(other.patch(f"/tasks/{task['id']}", {"description": "x"}))
    assert_404(other.post(f"/tasks/{task['id']}/complete"))
    assert_404(other.post(f"/tasks/{task['id']}/reopen"))
    assert_404(other.patch(f"/tags/{tag['id']}", {"name": "mine"}))
    assert_404(other.delete(f"/tags/{tag['id']}"))
    assert_404(other.post(f"/clients/{theirs}/tags/{tag['id']}"))
    named = problem_fields(other.put(f"/clients/{theirs}/tags", {"tag_ids": [tag["id"]]}))
    assert named == ["tag_ids"]
    # their lists hold nothing of ours, even asked with our user ids
    assert ok(other.get("/tags"))["items"] == []
    assert bell(other, "u-luis") == {"count": 0, "items": [], "next_cursor": None}
    for bucket in ("today", "overdue", "this_week", "next_week"):
        assert panel(other, bucket, "all") == [] and panel(other, bucket, "u-luis") == []
    # and ours are untouched
    assert ok(admin.get(f"/activities/{activity['id']}")) == activity
    assert ok(admin.get(f"/clients/{cid}/notes"))["items"] == [note]
    assert ok(admin.get(f"/clients/{cid}/tasks"))["items"] == [task]
    assert ok(admin.get("/tags"))["items"] == [tag]
    assert ids(ok(admin.get(f"/clients/{cid}"))["tags"]) == [tag["id"]]
    # a name is unique per organisation only
    assert add_tag(other, "hot")["name"] == "hot"


def test_deleting_a_client_takes_its_activities_notes_tasks_and_tag_links(team):
    admin, luis = team["u-admin"], team["u-luis"]
    freeze(local("Europe/Madrid", 2026, 3, 11, 12, 0))
    tag = add_tag(admin, "hot")
    gone, kept = new_client(luis)["id"], new_client(luis, name="Bruno")["id"]
    items = {}
    for cid in (gone, kept):
        ok(luis.put(f"/clients/{cid}/tags", {"tag_ids": [tag["id"]]}))
        items[cid] = {
            "activity": add_activity(
                luis, cid, status="scheduled", at="2026-03-11T15:00:00Z", private=True
            ),
            "note": add_note(luis, cid),
            "task": add_task(luis, cid, due_date="2026-03-11"),
            "overdue": add_task(luis, cid, due_date="2026-03-02"),
        }
    assert bell(luis)["count"] == 2
    assert len(panel(luis, "today")) == 2 and len(panel(admin, "overdue", "all")) == 2

    assert admin.delete(f"/clients/{gone}").status == 204

    mine = items[gone]
    assert_404(admin.get(f"/activities/{mine['activity']['id']}"))
    assert_404(admin.patch(f"/activities/{mine['activity']['id']}", {"notes": "x"}))
    assert_404(admin.patch(f"/notes/{mine['note']['id']}", {"text": "x"}))
    assert_404(admin.delete(f"/notes/{mine['note']['id']}"))
    assert_404(admin.patch(f"/tasks/{mine['task']['id']}", {"description": "x"}))
    assert_404(admin.post(f"/tasks/{mine['task']['id']}/complete"))
    for path in ("activities", "notes", "tasks", "timeline"):
        assert_404(admin.get(f"/clients/{gone}/{path}"))
    assert_404(admin.put(f"/clients/{gone}/tags", {"tag_ids": [tag["id"]]}))

    others = items[kept]
    remaining = bell(luis)
    assert remaining["count"] == 1 and ids(remaining["items"]) == [others["activity"]["id"]]
    assert panel(luis, "today") == [others["task"]["id"]]
    assert panel(admin, "overdue", "all") == [others["overdue"]["id"]]
    assert panel(admin, "this_week", "u-luis") == [others["task"]["id"]]
    assert ids(ok(luis.get(f"/clients/{kept}"))["tags"]) == [tag["id"]]
    assert ok(admin.get("/tags"))["items"] == [tag]
    # the tag's links went with the client: renaming or deleting it only touches the other
    ok(admin.patch(f"/tags/{tag['id']}", {"name": "warm"}))
    assert [t["name"] for t in ok(luis.get(f"/clients/{kept}"))["tags"]] == ["warm"]
    assert admin.delete(f"/tags/{tag['id']}").status == 204
    assert ok(luis.get(f"/clients/{kept}"))["tags"] == []
    assert_404(admin.get(f"/clients/{gone}"))
