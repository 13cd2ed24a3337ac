"""Notes and tasks of a client through the HTTP API: who may change a note, the life of a
task (complete, reopen, change), and the bad input that writes nothing."""

from __future__ import annotations

from tests.functional.conftest import new_client
from tests.functional.relations_helpers import (
    add_note,
    add_task,
    assert_404,
    ids,
    ok,
    problem_fields,
    timeline,
)

# --- notes ---------------------------------------------------------------------------------


def test_notes_are_listed_newest_first_and_page(team):
    luis = team["u-luis"]
    c = new_client(luis)
    notes = [add_note(luis, c["id"], f"note {i}") for i in range(4)]
    first = notes[0]
    assert first["text"] == "note 0" and first["author_id"] == "u-luis"
    assert first["author_name"] == "Luis Pérez" and first["id"].startswith(c["id"] + ".")
    listed = ok(luis.get(f"/clients/{c['id']}/notes"))
    assert listed["items"] == list(reversed(notes)) and listed["next_cursor"] is None
    page = ok(luis.get(f"/clients/{c['id']}/notes?limit=3"))
    rest = ok(luis.get(f"/clients/{c['id']}/notes?limit=3&cursor={page['next_cursor']}"))
    assert ids(page["items"] + rest["items"]) == ids(listed["items"])


def test_the_author_a_manager_and_an_admin_may_edit_or_delete_a_note(team):
    luis, manager, admin = team["u-luis"], team["u-manager"], team["u-admin"]
    c = new_client(luis)
    kept, dropped = add_note(luis, c["id"], "first"), add_note(luis, c["id"], "second")

    edited = ok(luis.patch(f"/notes/{kept['id']}", {"text": "first, corrected"}))
    assert edited["text"] == "first, corrected"
    by_manager = ok(manager.patch(f"/notes/{kept['id']}", {"text": "first, by Carlos"}))
    assert by_manager["author_id"] == "u-luis"  # still Luis's note
    assert admin.delete(f"/notes/{dropped['id']}").status == 204
    assert ok(luis.get(f"/clients/{c['id']}/notes"))["items"] == [by_manager]
    assert_404(luis.patch(f"/notes/{dropped['id']}", {"text": "back"}))
    assert_404(luis.delete(f"/notes/{dropped['id']}"))

    notes_events = [e for e in timeline(luis, c["id"]) if e["action"].startswith("note_")]
    assert [(e["action"], e["actor_id"]) for e in notes_events] == [
        ("note_deleted", "u-admin"),
        ("note_edited", "u-manager"),
        ("note_edited", "u-luis"),
        ("note_added", "u-luis"),
        ("note_added", "u-luis"),
    ]
    assert notes_events[1]["changes"] == {
        "text": {"before": "first, corrected", "after": "first, by Carlos"}
    }


def test_another_sales_user_may_not_change_a_note_they_did_not_write(team):
    luis, sara = team["u-luis"], team["u-sara"]
    c = new_client(luis)
    note = add_note(luis, c["id"], "Luis's view")
    # Sara cannot even see the client
    assert_404(sara.patch(f"/notes/{note['id']}", {"text": "Sara's view"}))
    assert_404(sara.get(f"/clients/{c['id']}/notes"))
    # once the client is hers she sees Luis's note, but it stays his to change
    ok(team["u-manager"].patch(f"/clients/{c['id']}", {"owner_id": "u-sara"}))
    assert ok(sara.get(f"/clients/{c['id']}/notes"))["items"] == [note]
    assert sara.patch(f"/notes/{note['id']}", {"text": "Sara's view"}).status == 403
    assert sara.delete(f"/notes/{note['id']}").status == 403
    hers = add_note(sara, c["id"], "Sara's own")
    assert ok(sara.patch(f"/notes/{hers['id']}", {"text": "edited"}))["text"] == "edited"
    assert ok(sara.get(f"/clients/{c['id']}/notes"))["items"][1] == note


def test_a_note_needs_text(team):
    luis = team["u-luis"]
    c = new_client(luis)
    for body in ({"text": ""}, {"text": "   "}, {}, {"text": "x", "pinned": True}):
        assert problem_fields(luis.post(f"/clients/{c['id']}/notes", body)), body
    note = add_note(luis, c["id"])
    assert "text" in problem_fields(luis.patch(f"/notes/{note['id']}", {"text": ""}))
    assert ok(luis.get(f"/clients/{c['id']}/notes"))["items"] == [note]


# --- tasks ---------------------------------------------------------------------------------


def test_create_list_and_change_a_task(team):
    luis = team["u-luis"]
    c = new_client(luis)
    task = add_task(
        luis,
        c["id"],
        description="Send the offer",
        due_date="2026-03-10",
        color="#00aaFF",
        reminders=["P1D", "PT1H"],
    )
    assert task["id"].startswith(c["id"] + ".")
    assert task["due_date"] == "2026-03-10" and task["due_at"] is None
    assert task["reminders"] == ["P1D", "PT1H"] and task["color"] == "#00aaFF"
    assert task["assignee_id"] == "u-luis" and task["assignee_name"] == "Luis Pérez"
    assert task["status"] == "pending" and task["completed_at"] is None
    second = add_task(luis, c["id"], due_at="2026-03-11T09:00:00Z")
    assert ok(luis.get(f"/clients/{c['id']}/tasks"))["items"] == [second, task]

    changed = ok(
        luis.patch(
            f"/tasks/{task['id']}",
            {"due_at": "2026-03-12T16:00:00+01:00", "reminders": ["PT30M"], "color": None},
        )
    )
    assert changed["due_at"] is not None and changed["due_date"] is None  # one deadline
    assert changed["reminders"] == ["PT30M"] and changed["color"] is None
    assert changed["description"] == "Send the offer"
    assert ok(luis.get(f"/clients/{c['id']}/tasks"))["items"][1] == changed
    back = ok(luis.patch(f"/tasks/{task['id']}", {"due_date": "2026-03-13"}))
    assert back["due_date"] == "2026-03-13" and back["due_at"] is None

    events = [e for e in timeline(luis, c["id"]) if e["action"].startswith("task_")]
    assert [e["action"] for e in events] == [
        "task_updated",
        "task_updated",
        "task_created",
        "task_created",
    ]
    assert events[0]["changes"]["due_date"] == {"before": None, "after": "2026-03-13"}


def test_a_manager_assigns_a_task_to_someone_in_the_directory(team):
    manager = team["u-manager"]
    c = new_client(team["u-luis"])
    task = add_task(manager, c["id"], assignee_id="u-sara")
    assert task["assignee_id"] == "u-sara" and task["assignee_name"] == "Sara Gómez"
    moved = ok(manager.patch(f"/tasks/{task['id']}", {"assignee_id": "u-luis"}))
    assert moved["assignee_name"] == "Luis Pérez"
    unknown = manager.post(
        f"/clients/{c['id']}/tasks",
        {"description": "x", "due_date": "2026-03-10", "assignee_id": "u-ghost"},
    )
    assert problem_fields(unknown) == ["assignee_id"]
    bad_move = manager.patch(f"/tasks/{task['id']}", {"assignee_id": "u-ghost"})
    assert problem_fields(bad_move) == ["assignee_id"]
    assert ids(ok(manager.get(f"/clients/{c['id']}/tasks"))["items"]) == [task["id"]]


def test_complete_and_reopen_a_task(team):
    luis = team["u-luis"]
    c = new_client(luis)
    task = add_task(luis, c["id"])
    assert ok(luis.get(f"/clients/{c['id']}"))["open_tasks"] == 1

    done = ok(luis.post(f"/tasks/{task['id']}/complete"))
    assert done["status"] == "completed" and done["completed_at"] is not None
    assert ok(luis.get(f"/clients/{c['id']}"))["open_tasks"] == 0
    again = luis.post(f"/tasks/{task['id']}/complete")
    assert again.status == 409, again
    assert again.headers["Content-Type"] == "application/problem+json"
    assert ok(luis.get(f"/clients/{c['id']}/tasks"))["items"] == [done]

    reopened = ok(luis.post(f"/tasks/{task['id']}/reopen"))
    assert reopened["status"] == "pending" and reopened["completed_at"] is None
    assert luis.post(f"/tasks/{task['id']}/reopen").status == 409
    assert ok(luis.get(f"/clients/{c['id']}"))["open_tasks"] == 1

    actions = [e["action"] for e in timeline(luis, c["id"])]
    assert actions[:3] == ["task_reopened", "task_completed", "task_created"]


BAD_TASKS = [
    ({"due_date": "2026-03-10", "due_at": "2026-03-10T10:00:00Z"}, None),
    ({}, None),
    ({"due_date": None, "due_at": None}, None),
    ({"due_date": "2026-02-30"}, "due_date"),
    ({"due_date": "tomorrow"}, "due_date"),
    ({"due_date": "10/03/2026"}, "due_date"),
    ({"due_date": "2026-13-01"}, "due_date"),
    ({"due_at": "2026-03-10T10:00:00"}, "due_at"),
    ({"due_at": "2026-03-10T25:00:00Z"}, "due_at"),
    ({"due_date": "2026-03-10", "color": "red"}, "color"),
    ({"due_date": "2026-03-10", "color": "#12345"}, "color"),
    ({"due_date": "2026-03-10", "color": "#12345g"}, "color"),
    ({"due_date": "2026-03-10", "reminders": ["1 day"]}, "reminders"),
    ({"due_date": "2026-03-10", "reminders": ["P"]}, "reminders"),
    ({"due_date": "2026-03-10", "reminders": ["PT"]}, "reminders"),
    ({"due_date": "2026-03-10", "reminders": ["P1D", "-P1D"]}, "reminders"),
    ({"due_date": "2026-03-10", "reminders": "P1D"}, "reminders"),
    ({"due_date": "2026-03-10", "description": ""}, "description"),
    ({"due_date": "2026-03-10", "status": "completed"}, "status"),
]


def test_bad_tasks_are_400_naming_the_field_and_write_nothing(team):
    luis = team["u-luis"]
    c = new_client(luis)
    path = f"/clients/{c['id']}/tasks"
    for fields, field in BAD_TASKS:
        body = {"description": "Call back", **fields}
        named = problem_fields(luis.post(path, body))
        assert named, body
        if field is not None:
            assert any(f.split(".")[0] == field for f in named), (body, named)
    assert ok(luis.get(path))["items"] == []
    profile = ok(luis.get(f"/clients/{c['id']}"))
    assert profile["open_tasks"] == 0
    assert [e["action"] for e in timeline(luis, c["id"])] == ["created"]


BAD_CHANGES = [
    ({"due_date": "2026-03-11", "due_at": "2026-03-11T10:00:00Z"}, None),
    ({"due_date": None}, None),  # it would have no deadline left
    ({"due_date": "2026-02-29"}, "due_date"),
    ({"color": "blue"}, "color"),
    ({"reminders": ["P"]}, "reminders"),
    ({"reminders": ["1 day"]}, "reminders"),
    ({"description": None}, "description"),
    ({"status": "completed"}, "status"),
]


def test_a_bad_change_to_a_task_is_400_and_changes_nothing(team):
    luis = team["u-luis"]
    c = new_client(luis)
    task = add_task(luis, c["id"], color="#abcdef", reminders=["P1D"])
    for patch, field in BAD_CHANGES:
        named = problem_fields(luis.patch(f"/tasks/{task['id']}", patch))
        if field is not None:
            assert any(f.split(".")[0] == field for f in named), (patch, named)
    assert ok(luis.get(f"/clients/{c['id']}/tasks"))["items"] == [task]
    assert [e["action"] for e in timeline(luis, c["id"])] == ["task_created", "created"]


def test_tasks_of_a_client_others_cannot_see_are_404(team):
    luis, sara = team["u-luis"], team["u-sara"]
    c = new_client(luis)
    task = add_task(luis, c["id"])
    assert_404(sara.get(f"/clients/{c['id']}/tasks"))
    assert_404(
        sara.post(f"/clients/{c['id']}/tasks", {"description": "x", "due_date": "2026-03-10"})
    )
    assert_404(sara.patch(f"/tasks/{task['id']}", {"description": "mine"}))
    assert_404(sara.post(f"/tasks/{task['id']}/complete"))
    assert_404(sara.post(f"/tasks/{task['id']}/reopen"))
    assert ok(luis.get(f"/clients/{c['id']}/tasks"))["items"] == [task]
