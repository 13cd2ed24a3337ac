"""Task reminder emails: when they fire across time zones and DST, exactly-once delivery
(two runs, two at once), SES throttling and failure, stale ones, a late run catching up."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from botocore.stub import Stubber

from chalicelib.api import deps
from tests.functional.conftest import new_client
from tests.functional.relations_helpers import add_task, ok
from tests.functional.reminders_helpers import (
    add_user,
    bodies,
    freeze_all,
    run_schedule,
    sent,
    serialize_dynamodb,
    task_states,
    utc,
)


@pytest.fixture
def people(api):
    """Three salespeople a world apart, and an organisation called Acme Field Services."""
    ok(api.patch("/settings", {"name": "Acme Field Services"}))
    add_user(api, "u-madrid", timezone="Europe/Madrid", language="es")
    add_user(api, "u-ba", timezone="America/Argentina/Buenos_Aires", language="es")
    add_user(api, "u-auckland", timezone="Pacific/Auckland", language="en")
    return api


def fire_times(api, client_id, task):
    return [s["fire_at"] for s in task_states(api, client_id, task["id"])]


def test_a_date_only_deadline_reminds_before_0900_in_the_assignees_zone(people, chalice_client):
    clock = freeze_all(utc(2026, 3, 1, 12))
    api = people
    client = new_client(api, name="Bodega Sur")
    tasks = {
        who: add_task(api, client["id"], assignee_id=who, due_date="2026-03-10", reminders=["PT1H"])
        for who in ("u-madrid", "u-ba", "u-auckland")
    }
    # 09:00 local on 10 March minus one hour, in each assignee's zone
    assert fire_times(api, client["id"], tasks["u-madrid"]) == ["2026-03-10T07:00:00Z"]
    assert fire_times(api, client["id"], tasks["u-ba"]) == ["2026-03-10T11:00:00Z"]
    assert fire_times(api, client["id"], tasks["u-auckland"]) == ["2026-03-09T19:00:00Z"]

    clock.now = utc(2026, 3, 9, 19, 2)
    assert run_schedule(chalice_client)["sent"] == 1
    assert [m["To"] for m in sent()] == ["u-auckland@example.com"]
    clock.now = utc(2026, 3, 10, 7, 1)
    run_schedule(chalice_client)
    clock.now = utc(2026, 3, 10, 10, 59)
    run_schedule(chalice_client)
    assert [m["To"] for m in sent()][1:] == ["u-madrid@example.com"]
    clock.now = utc(2026, 3, 10, 11, 0)
    run_schedule(chalice_client)
    assert [m["To"] for m in sent()] == [
        "u-auckland@example.com",
        "u-madrid@example.com",
        "u-ba@example.com",
    ]


def test_days_are_calendar_days_and_hours_exact_across_dst(people):
    freeze_all(utc(2026, 3, 1))
    api = people
    client = new_client(api)
    # Sunday 29 March 2026, 09:00 in Madrid: the clocks went forward at 02:00 that night
    task = add_task(
        api,
        client["id"],
        assignee_id="u-madrid",
        due_at="2026-03-29T09:00:00+02:00",
        reminders=["P1D", "PT24H", "P1W"],
    )
    assert fire_times(api, client["id"], task) == [
        "2026-03-28T08:00:00Z",  # 09:00 local the day before (winter time)
        "2026-03-28T07:00:00Z",  # exactly 24 hours earlier: 08:00 local
        "2026-03-22T08:00:00Z",  # 09:00 local a week before
    ]


def test_a_wall_time_in_the_spring_forward_gap_moves_forward_by_the_gap(people):
    freeze_all(utc(2026, 3, 1))
    api = people
    client = new_client(api)
    # 02:30 on Monday minus one day is 02:30 on Sunday 29 March, which does not exist in
    # Madrid: it becomes 03:30 CEST (01:30 UTC)
    task = add_task(
        api,
        client["id"],
        assignee_id="u-madrid",
        due_at="2026-03-30T02:30:00+02:00",
        reminders=["P1D"],
    )
    assert fire_times(api, client["id"], task) == ["2026-03-29T01:30:00Z"]
    # and an ambiguous one (25 October, 02:30 happens twice) takes the first: 00:30 UTC
    task = add_task(
        api,
        client["id"],
        assignee_id="u-madrid",
        due_at="2026-10-26T02:30:00+01:00",
        reminders=["P1D"],
    )
    assert fire_times(api, client["id"], task) == ["2026-10-25T00:30:00Z"]


def test_the_email_is_html_and_text_in_the_recipients_language_with_the_client_link(
    people, chalice_client
):
    clock = freeze_all(utc(2026, 3, 1))
    api = people
    client = new_client(api, name="Bodega Sur")
    add_task(
        api,
        client["id"],
        description="Llamar por el presupuesto",
        assignee_id="u-madrid",
        due_at="2026-03-10T12:00:00+01:00",
        reminders=["PT2H"],
    )
    english = add_task(
        api,
        client["id"],
        description="Send the quote",
        assignee_id="u-auckland",
        due_at="2026-03-10T12:00:00+01:00",
        reminders=["PT2H"],
    )
    clock.now = utc(2026, 3, 10, 9, 0)
    ok(api.get("/me"))  # the admin (no email) is recorded too: nothing for them
    assert run_schedule(chalice_client)["sent"] == 2
    spanish_mail, english_mail = sorted(sent(), key=lambda m: m["To"])[::-1]
    assert spanish_mail["To"] == "u-madrid@example.com"
    assert spanish_mail["Subject"] == "Recordatorio: Llamar por el presupuesto (Bodega Sur)"
    assert "Acme Field Services" in spanish_mail["From"]
    text, html = bodies(spanish_mail)
    link = f"https://app.test.crm/clients/{client['id']}"
    assert "Vence: 10/03/2026 12:00 (Europe/Madrid)" in text and link in text
    assert f'href="{link}"' in html and "Acme Field Services" in html
    assert english_mail["Subject"] == "Reminder: Send the quote (Bodega Sur)"
    text, _ = bodies(english_mail)
    assert "Due: 2026-03-11 00:00 (Pacific/Auckland)" in text
    [state] = task_states(api, client["id"], english["id"])
    assert state["state"] == "sent" and state["sent_at"] == "2026-03-10T09:00:00Z"
    assert state["message_id"] and state["attempts"] == 1


def test_two_runs_and_two_runs_at_once_send_each_reminder_once(people, chalice_client, monkeypatch):
    serialize_dynamodb(monkeypatch)  # atomic conditional writes, as in DynamoDB
    clock = freeze_all(utc(2026, 3, 1))
    api = people
    client = new_client(api)
    for n in range(6):
        add_task(
            api,
            client["id"],
            description=f"Task {n}",
            assignee_id="u-madrid",
            due_at="2026-03-10T12:00:00+01:00",
            reminders=["PT1H", "PT2H"],
        )
    clock.now = utc(2026, 3, 10, 10, 30)
    service = deps.reminder_service()
    reports = []
    threads = [
        threading.Thread(target=lambda: reports.append(service.run(clock.now))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sent()) == 12
    assert sum(r.sent for r in reports) == 12
    assert run_schedule(chalice_client)["sent"] == 0
    clock.now += timedelta(minutes=20)
    assert run_schedule(chalice_client)["sent"] == 0
    assert len(sent()) == 12
    subjects = sorted(m["Subject"] for m in sent())
    assert len(set(subjects)) == 6 and all(subjects.count(s) == 2 for s in subjects)


def test_ses_throttling_releases_the_reminder_with_back_off_and_sends_it_later_once(
    people, chalice_client
):
    clock = freeze_all(utc(2026, 3, 1))
    api = people
    client = new_client(api)
    task = add_task(
        api,
        client["id"],
        assignee_id="u-madrid",
        due_at="2026-03-10T12:00:00+01:00",
        reminders=["PT1H"],
    )
    ses = deps.reminder_service().outbox.client
    clock.now = utc(2026, 3, 10, 10, 0)
    with Stubber(ses) as stub:
        stub.add_client_error("send_email", "TooManyRequestsException", "Rate exceeded", 429)
        assert run_schedule(chalice_client)["retried"] == 1
        [state] = task_states(api, client["id"], task["id"])
        assert state["state"] == "scheduled" and state["attempts"] == 1
        assert "TooManyRequestsException" in state["error"]
        assert state["next_attempt_at"] == "2026-03-10T10:05:00Z"
        clock.now = utc(2026, 3, 10, 10, 3)  # not yet: the stubber would refuse a call
        assert run_schedule(chalice_client)["found"] == 0
        stub.add_client_error("send_email", "Throttling", "Maximum sending rate exceeded", 400)
        clock.now = utc(2026, 3, 10, 10, 5)
        assert run_schedule(chalice_client)["retried"] == 1
        stub.assert_no_pending_responses()
    [state] = task_states(api, client["id"], task["id"])
    assert state["next_attempt_at"] == "2026-03-10T10:15:00Z"  # 10 minutes after the 2nd try
    assert sent() == []
    clock.now = utc(2026, 3, 10, 10, 15)
    assert run_schedule(chalice_client)["sent"] == 1
    clock.now = utc(2026, 3, 10, 10, 40)
    assert run_schedule(chalice_client)["sent"] == 0
    assert len(sent()) == 1
    [state] = task_states(api, client["id"], task["id"])
    assert state["state"] == "sent" and state["attempts"] == 3 and state["error"] is None


def test_a_reminder_ses_keeps_failing_ends_failed_with_the_reason(people, chalice_client):
    clock = freeze_all(utc(2026, 3, 1))
    api = people
    client = new_client(api)
    task = add_task(
        api,
        client["id"],
        assignee_id="u-madrid",
        due_at="2026-03-10T12:00:00+01:00",
        reminders=["PT1H"],
    )
    clock.now = utc(2026, 3, 10, 10, 0)
    with Stubber(deps.reminder_service().outbox.client) as stub:
        for _ in range(5):
            stub.add_client_error("send_email", "ServiceUnavailable", "try later", 503)
            assert run_schedule(chalice_client)["found"] == 1
            clock.now += timedelta(hours=1)
        stub.assert_no_pending_responses()
        assert run_schedule(chalice_client)["found"] == 0
    [state] = task_states(api, client["id"], task["id"])
    assert state["state"] == "failed" and state["attempts"] == 5
    assert "gave up after 5 tries" in state["error"] and "ServiceUnavailable" in state["error"]
    assert sent() == []


def test_a_rejected_message_fails_at_once(people, chalice_client):
    clock = freeze_all(utc(2026, 3, 1))
    api = people
    client = new_client(api)
    task = add_task(
        api, client["id"], assignee_id="u-madrid", due_at="2026-03-10T12:00:00Z", reminders=["PT1H"]
    )
    clock.now = utc(2026, 3, 10, 11, 0)
    with Stubber(deps.reminder_service().outbox.client) as stub:
        stub.add_client_error("send_email", "MessageRejected", "Address blacklisted", 400)
        assert run_schedule(chalice_client)["failed"] == 1
    [state] = task_states(api, client["id"], task["id"])
    assert state["state"] == "failed" and "MessageRejected" in state["error"]


def test_a_late_run_sends_what_it_missed_and_skips_what_is_more_than_a_day_stale(
    people, chalice_client
):
    clock = freeze_all(utc(2026, 3, 1))
    api = people
    client = new_client(api)
    task = add_task(
        api,
        client["id"],
        assignee_id="u-madrid",
        due_at="2026-03-12T12:00:00Z",
        reminders=["P2D", "PT3H"],  # fire at 10 March 12:00 and 12 March 09:00 (UTC)
    )
    clock.now = utc(2026, 3, 9, 12, 0)
    run_schedule(chalice_client)  # the last run before an outage
    clock.now = utc(2026, 3, 12, 10, 30)  # back 3 days later: one is stale, one just missed
    report = run_schedule(chalice_client)
    assert (report["sent"], report["skipped"]) == (1, 1)
    states = task_states(api, client["id"], task["id"])
    assert [s["state"] for s in states] == ["skipped", "sent"]
    assert "more than a day late" in states[0]["error"]
    assert len(sent()) == 1


def test_a_reminder_already_past_when_the_task_is_saved_is_skipped_not_sent(people, chalice_client):
    clock = freeze_all(utc(2026, 3, 10, 11, 0))
    api = people
    client = new_client(api)
    task = add_task(
        api,
        client["id"],
        assignee_id="u-madrid",
        due_at="2026-03-10T12:00:00Z",
        reminders=["P1D", "PT30M"],
    )
    states = task_states(api, client["id"], task["id"])
    assert [s["state"] for s in states] == ["skipped", "scheduled"]
    clock.now = utc(2026, 3, 10, 11, 31)
    assert run_schedule(chalice_client)["sent"] == 1


def test_completing_cancels_reopening_reschedules_and_edits_move_the_reminders(
    people, chalice_client
):
    clock = freeze_all(utc(2026, 3, 1))
    api = people
    client = new_client(api)
    task = add_task(
        api, client["id"], assignee_id="u-madrid", due_at="2026-03-10T12:00:00Z", reminders=["PT1H"]
    )
    done = ok(api.post(f"/tasks/{task['id']}/complete"))
    assert [s["state"] for s in done["reminders_state"]] == ["cancelled"]
    clock.now = utc(2026, 3, 10, 11, 30)
    assert run_schedule(chalice_client)["found"] == 0
    clock.now = utc(2026, 3, 5)
    reopened = ok(api.post(f"/tasks/{task['id']}/reopen"))
    assert [s["state"] for s in reopened["reminders_state"]] == ["scheduled"]
    moved = ok(
        api.patch(
            f"/tasks/{task['id']}",
            {"due_at": "2026-03-11T12:00:00Z", "reminders": ["PT1H", "PT2H"]},
        )
    )
    assert [(s["offset"], s["fire_at"]) for s in moved["reminders_state"]] == [
        ("PT1H", "2026-03-11T11:00:00Z"),
        ("PT2H", "2026-03-11T10:00:00Z"),
    ]
    clock.now = utc(2026, 3, 10, 11, 30)
    assert run_schedule(chalice_client)["found"] == 0  # the old time is gone from the index
    clock.now = utc(2026, 3, 11, 11, 0)
    assert run_schedule(chalice_client)["sent"] == 2
    fewer = ok(api.patch(f"/tasks/{task['id']}", {"reminders": ["PT2H"]}))
    assert [(s["offset"], s["state"]) for s in fewer["reminders_state"]] == [("PT2H", "sent")]
    # the panel shows the states too
    panel = ok(api.get("/tasks?bucket=this_week&assignee=u-madrid"))["items"]
    assert panel[0]["reminders_state"][0]["state"] == "sent"


def test_a_new_assignee_gets_the_reminder_in_their_own_zone(people, chalice_client):
    clock = freeze_all(utc(2026, 3, 1))
    api = people
    client = new_client(api)
    task = add_task(
        api, client["id"], assignee_id="u-madrid", due_date="2026-03-10", reminders=["PT1H"]
    )
    changed = ok(api.patch(f"/tasks/{task['id']}", {"assignee_id": "u-ba"}))
    assert changed["reminders_state"][0]["fire_at"] == "2026-03-10T11:00:00Z"
    clock.now = utc(2026, 3, 10, 7, 5)
    assert run_schedule(chalice_client)["found"] == 0
    clock.now = utc(2026, 3, 10, 11, 5)
    assert run_schedule(chalice_client)["sent"] == 1
    assert [m["To"] for m in sent()] == ["u-ba@example.com"]


def test_an_assignee_without_email_is_skipped_with_the_reason(api, chalice_client):
    clock = freeze_all(utc(2026, 3, 1))
    ok(api.put("/users/u-noemail", {"name": "No Email", "role": "sales"}))
    client = new_client(api)
    task = add_task(
        api, client["id"], assignee_id="u-noemail", due_date="2026-03-10", reminders=["PT1H"]
    )
    clock.now = utc(2026, 3, 10, 7, 5)
    assert run_schedule(chalice_client)["skipped"] == 1
    [state] = task_states(api, client["id"], task["id"])
    assert state["state"] == "skipped" and "no email address" in state["error"]


def test_a_client_name_with_a_line_break_never_reaches_a_header(people, chalice_client):
    clock = freeze_all(utc(2026, 3, 1))
    api = people
    client = new_client(api, name="Evil\r\nBcc: victim@example.com")
    task = add_task(
        api, client["id"], assignee_id="u-madrid", due_date="2026-03-10", reminders=["PT1H"]
    )
    clock.now = utc(2026, 3, 10, 7, 5)
    assert run_schedule(chalice_client)["failed"] == 1
    [state] = task_states(api, client["id"], task["id"])
    assert state["state"] == "failed" and "line break" in state["error"]
    assert sent() == []


def test_reminders_of_another_tenant_go_to_its_own_people(people, chalice_client, token):
    clock = freeze_all(utc(2026, 3, 1))
    other = people.as_("u-admin", "admin", tenant="globex")
    ok(other.patch("/settings", {"name": "Globex", "language": "en"}))
    add_user(other, "u-madrid", timezone="Europe/Madrid", email="madrid@globex.example.com")
    client = new_client(other, name="Globex client")
    add_task(other, client["id"], assignee_id="u-madrid", due_date="2026-03-10", reminders=["PT1H"])
    clock.now = utc(2026, 3, 10, 7, 5)
    assert run_schedule(chalice_client)["sent"] == 1
    [mail] = sent()
    assert mail["To"] == "madrid@globex.example.com" and "Globex" in mail["From"]
    assert mail["Subject"] == "Reminder: Call back (Globex client)"


def test_one_broken_email_does_not_hold_back_the_others_and_the_run_errs(people, chalice_client):
    from chalicelib.services.reminders import ReminderRunError

    clock = freeze_all(utc(2026, 3, 1))
    api = people
    client = new_client(api)
    for who in ("u-madrid", "u-ba"):
        add_task(
            api, client["id"], assignee_id=who, due_at="2026-03-10T12:00:00Z", reminders=["PT1H"]
        )
    service = deps.reminder_service()
    real = service.outbox

    class BrokenForMadrid:
        client = real.client

        def deliver(self, letter, now):
            if letter.to.startswith("u-madrid"):
                raise RuntimeError("template bug")
            return real.deliver(letter, now)

    service.outbox = BrokenForMadrid()
    clock.now = utc(2026, 3, 10, 11, 0)
    with pytest.raises(ReminderRunError, match="template bug"):
        service.run()
    assert [m["To"] for m in sent()] == ["u-ba@example.com"]
    assert ok(api.get("/health", auth=False))["jobs"]["reminders"]["last_success_at"] is None
    service.outbox = real  # fixed: once the claim expires, the next run sends it
    clock.now = utc(2026, 3, 10, 11, 5)
    assert service.run().sent == 0
    clock.now = utc(2026, 3, 10, 11, 10)
    assert service.run().sent == 1
    assert sorted(m["To"] for m in sent()) == ["u-ba@example.com", "u-madrid@example.com"]
