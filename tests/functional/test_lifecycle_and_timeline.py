"""Stage and lifecycle routes (stage, convert, promote to VIP, stars, student link), the
merged timeline and the one-request profile, through the HTTP API."""

from __future__ import annotations

from datetime import datetime

from tests.functional.conftest import new_client, stored
from tests.functional.relations_helpers import (
    add_activity,
    add_note,
    add_tag,
    add_task,
    assert_404,
    ok,
    problem_fields,
    timeline,
)


def test_any_stage_to_any_stage_with_the_reason_on_the_timeline(team):
    luis = team["u-luis"]
    cid = new_client(luis)["id"]
    moves = [
        ("won", "signed the contract"),
        ("lost", "went to the competition"),
        ("negotiation", "came back"),
        ("contact", None),
    ]
    for stage, reason in moves:
        body = {"stage": stage} if reason is None else {"stage": stage, "reason": reason}
        r = luis.post(f"/clients/{cid}/stage", body)
        assert ok(r)["stage"] == stage
        assert r.headers["ETag"] == f'"{r.body["version"]}"'
    assert stored(luis, cid)["stage"] == "contact"
    events = [e for e in timeline(luis, cid) if e["action"] == "stage_changed"]
    assert [(e["changes"]["stage"], e["reason"], e["actor_id"]) for e in events] == [
        ({"before": "negotiation", "after": "contact"}, None, "u-luis"),
        ({"before": "lost", "after": "negotiation"}, "came back", "u-luis"),
        ({"before": "won", "after": "lost"}, "went to the competition", "u-luis"),
        ({"before": "contact", "after": "won"}, "signed the contract", "u-luis"),
    ]


def test_an_unknown_stage_is_400_and_changes_nothing(team):
    luis = team["u-luis"]
    c = new_client(luis, stage="visiting")
    for body, field in (
        ({"stage": "signed"}, "stage"),
        ({"stage": "Won"}, "stage"),
        ({}, "stage"),
        ({"stage": "won", "reason": "x" * 501}, "reason"),
        ({"stage": "won", "why": "x"}, "why"),
    ):
        assert problem_fields(luis.post(f"/clients/{c['id']}/stage", body)) == [field], body
    assert stored(luis, c["id"]) == c
    assert_404(team["u-sara"].post(f"/clients/{c['id']}/stage", {"stage": "won"}))


def test_convert_a_lead_or_a_prospect_into_an_active_client(team):
    luis = team["u-luis"]
    lead = new_client(luis)
    prospect = new_client(luis, name="Bruno", type="prospect")
    ok(luis.post(f"/clients/{prospect['id']}/deactivate"))
    for before in (lead, prospect):
        converted = ok(luis.post(f"/clients/{before['id']}/convert"))
        assert converted["type"] == "client" and converted["status"] == "active"
        assert datetime.fromisoformat(converted["converted_at"]).tzinfo is not None
        assert stored(luis, before["id"]) == converted
        again = luis.post(f"/clients/{before['id']}/convert")
        assert again.status == 409, again
        assert again.headers["Content-Type"] == "application/problem+json"
        assert stored(luis, before["id"]) == converted
    event = timeline(luis, prospect["id"])[0]
    assert event["action"] == "converted" and event["actor_id"] == "u-luis"
    assert event["changes"]["type"] == {"before": "prospect", "after": "client"}
    assert event["changes"]["status"] == {"before": "inactive", "after": "active"}
    assert event["changes"]["converted_at"]["before"] is None
    for kind in ("client", "vip"):
        other = new_client(luis, name=f"A {kind}", type=kind)
        assert luis.post(f"/clients/{other['id']}/convert").status == 409


def test_promote_to_vip_once_and_set_stars(team):
    luis = team["u-luis"]
    c = new_client(luis, type="client")
    vip = ok(luis.post(f"/clients/{c['id']}/promote-vip"))
    assert vip["type"] == "vip"
    assert luis.post(f"/clients/{c['id']}/promote-vip").status == 409
    assert ok(luis.put(f"/clients/{c['id']}/stars", {"stars": 3}))["stars"] == 3
    assert ok(luis.put(f"/clients/{c['id']}/stars", {"stars": 0}))["stars"] == 0
    for bad in (4, -1, "2", None, 1.5):
        assert problem_fields(luis.put(f"/clients/{c['id']}/stars", {"stars": bad})) == ["stars"]
    assert stored(luis, c["id"])["stars"] == 0
    events = timeline(luis, c["id"])
    assert [e["action"] for e in events] == [
        "stars_changed",
        "stars_changed",
        "promoted_vip",
        "created",
    ]
    assert events[0]["changes"] == {"stars": {"before": 3, "after": 0}}
    assert events[2]["changes"] == {"type": {"before": "client", "after": "vip"}}


def test_link_and_unlink_a_student_record(team):
    luis, manager = team["u-luis"], team["u-manager"]
    cid = new_client(luis)["id"]
    linked = ok(luis.post(f"/clients/{cid}/link-student", {"student_id": "st-2026-042"}))
    assert linked["student_id"] == "st-2026-042"
    assert ok(luis.get(f"/clients/{cid}"))["student_id"] == "st-2026-042"
    relinked = ok(manager.post(f"/clients/{cid}/link-student", {"student_id": "st-7"}))
    assert relinked["student_id"] == "st-7"
    for body in ({}, {"student_id": ""}, {"student_id": "x" * 101}):
        assert problem_fields(luis.post(f"/clients/{cid}/link-student", body)) == ["student_id"]
    unlinked = ok(luis.delete(f"/clients/{cid}/link-student"))
    assert unlinked["student_id"] is None
    assert ok(luis.get(f"/clients/{cid}"))["student_id"] is None
    events = timeline(luis, cid)[:3]
    assert [(e["action"], e["actor_id"], e["changes"]) for e in events] == [
        ("student_unlinked", "u-luis", {"student_id": {"before": "st-7", "after": None}}),
        ("student_linked", "u-manager", {"student_id": {"before": "st-2026-042", "after": "st-7"}}),
        ("student_linked", "u-luis", {"student_id": {"before": None, "after": "st-2026-042"}}),
    ]
    assert_404(team["u-sara"].post(f"/clients/{cid}/link-student", {"student_id": "st-1"}))


def test_lifecycle_routes_are_404_for_a_client_one_may_not_see(team):
    sara = team["u-sara"]
    c = new_client(team["u-luis"])
    for method, path, body in (
        ("POST", "stage", {"stage": "won"}),
        ("POST", "convert", None),
        ("POST", "promote-vip", None),
        ("PUT", "stars", {"stars": 2}),
        ("POST", "link-student", {"student_id": "st-1"}),
        ("DELETE", "link-student", None),
    ):
        assert_404(sara.request(method, f"/clients/{c['id']}/{path}", body))
        assert_404(sara.request(method, f"/clients/nope/{path}", body))
    assert stored(team["u-luis"], c["id"]) == c


def test_the_timeline_merges_everything_newest_first_and_pages(team, dynamo_calls):
    luis, admin = team["u-luis"], team["u-admin"]
    tag = add_tag(admin, "hot")
    cid = new_client(luis)["id"]
    ok(luis.patch(f"/clients/{cid}", {"notes": "big family"}))
    ok(luis.post(f"/clients/{cid}/stage", {"stage": "visiting", "reason": "asked for a visit"}))
    activity = add_activity(luis, cid, type="visit", notes="showed the rooms")
    note = add_note(luis, cid, "wants a discount")
    task = add_task(luis, cid, description="send prices")
    ok(luis.post(f"/tasks/{task['id']}/complete"))
    ok(luis.put(f"/clients/{cid}/tags", {"tag_ids": [tag["id"]]}))
    ok(luis.post(f"/clients/{cid}/convert"))

    events = timeline(luis, cid)
    assert [e["action"] for e in events] == [
        "converted",
        "tags_changed",
        "task_completed",
        "task_created",
        "note_added",
        "activity_created",
        "stage_changed",
        "updated",
        "created",
    ]
    assert all(e["client_id"] == cid and e["actor_id"] == "u-luis" for e in events)
    assert all(e["actor_name"] == "Luis Pérez" for e in events)
    by_action = {e["action"]: e for e in events}
    assert by_action["updated"]["changes"] == {"notes": {"before": None, "after": "big family"}}
    assert by_action["stage_changed"]["reason"] == "asked for a visit"
    assert by_action["activity_created"]["subject"]["id"] == activity["id"]
    assert by_action["activity_created"]["subject"]["notes"] == "showed the rooms"
    assert by_action["note_added"]["subject"] == {"id": note["id"], "text": "wants a discount"}
    assert by_action["task_completed"]["subject"]["id"] == task["id"]
    assert by_action["task_completed"]["subject"]["status"] == "completed"
    times = [datetime.fromisoformat(e["at"]) for e in events]
    assert times == sorted(times, reverse=True)

    paged, cursor, pages = [], None, 0
    while True:
        dynamo_calls.clear()
        path = f"/clients/{cid}/timeline?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = ok(luis.get(path))
        assert dynamo_calls.count("Query") == 1, dynamo_calls
        assert "Scan" not in dynamo_calls
        paged += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert paged == events
    assert pages in (3, 4)  # 9 events; DynamoDB may hand a last, empty page


def test_the_profile_is_one_request_with_tags_tasks_and_activities(team, dynamo_calls):
    luis, admin = team["u-luis"], team["u-admin"]
    hot, alpha = add_tag(admin, "hot", "#ff0000"), add_tag(admin, "Alpha", "#00ff00")
    c = new_client(luis, type="prospect")
    cid = c["id"]
    ok(luis.put(f"/clients/{cid}/tags", {"tag_ids": [hot["id"], alpha["id"]]}))
    ok(luis.post(f"/clients/{cid}/link-student", {"student_id": "st-9"}))
    add_task(luis, cid)
    done_task = add_task(luis, cid, due_date="2026-03-12")
    ok(luis.post(f"/tasks/{done_task['id']}/complete"))
    add_activity(luis, cid, at="2026-03-05T10:00:00Z", status="done")
    last = add_activity(luis, cid, at="2026-03-06T10:00:00Z", status="done")
    add_activity(luis, cid, at="2026-03-07T10:00:00Z", status="cancelled")
    later = add_activity(luis, cid, at="2026-03-20T10:00:00Z", status="scheduled")
    soonest = add_activity(luis, cid, at="2026-03-18T10:00:00Z", status="scheduled")
    # follow_up_at adds a pending task
    add_activity(luis, cid, at="2026-03-04T10:00:00Z", follow_up_at="2026-03-19T10:00:00Z")

    dynamo_calls.clear()
    r = luis.get(f"/clients/{cid}")
    assert dynamo_calls == ["Query"]
    profile = ok(r)
    assert profile["id"] == cid and profile["type"] == "prospect"
    assert profile["student_id"] == "st-9"
    assert profile["tags"] == [
        {"id": alpha["id"], "name": "Alpha", "color": "#00ff00"},
        {"id": hot["id"], "name": "hot", "color": "#ff0000"},
    ]
    assert profile["open_tasks"] == 2
    assert profile["scheduled_activities"] == 2
    assert profile["next_activity"]["id"] == soonest["id"]
    assert profile["next_activity"]["type"] == "call"
    assert profile["last_activity"]["id"] == last["id"]

    # finishing, deleting and cancelling activities moves next and last
    ok(luis.patch(f"/activities/{soonest['id']}", {"status": "done"}))
    profile = ok(luis.get(f"/clients/{cid}"))
    assert profile["scheduled_activities"] == 1
    assert profile["next_activity"]["id"] == later["id"]
    assert profile["last_activity"]["id"] == soonest["id"]
    ok(luis.delete(f"/activities/{soonest['id']}"), 204)
    ok(luis.patch(f"/activities/{later['id']}", {"status": "cancelled"}))
    profile = ok(luis.get(f"/clients/{cid}"))
    assert profile["scheduled_activities"] == 0 and profile["next_activity"] is None
    assert profile["last_activity"]["id"] == last["id"]
