"""The morning digest, work-order reminders (through `sync_work_order`, with work orders built
here), and the scheduled jobs on `GET /health`."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.api import deps
from chalicelib.domain.reminders import ReminderKind
from tests.functional.conftest import new_client
from tests.functional.relations_helpers import add_task, ok
from tests.functional.reminders_helpers import (
    FakeFeed,
    FakeOrder,
    add_user,
    bodies,
    freeze_all,
    run_schedule,
    sent,
    serialize_dynamodb,
    utc,
)


@pytest.fixture
def day_before(api):
    """Monday 9 March 2026, noon UTC: Ana in Madrid, Tom in Buenos Aires, Eva with nothing."""
    clock = freeze_all(utc(2026, 3, 9, 12))
    ok(api.patch("/settings", {"name": "Acme Field Services"}))
    add_user(api, "u-ana", timezone="Europe/Madrid", language="es")
    add_user(api, "u-tom", timezone="America/Argentina/Buenos_Aires", language="en")
    add_user(api, "u-eva", timezone="Europe/Madrid", language="es")
    return clock


def test_the_digest_goes_at_0800_local_with_overdue_and_todays_tasks_and_work_orders(
    api, day_before, chalice_client
):
    clock = day_before
    client = new_client(api, name="Bodega Sur")
    add_task(api, client["id"], description="Vencida", assignee_id="u-ana", due_date="2026-03-06")
    add_task(
        api, client["id"], description="Hoy", assignee_id="u-ana", due_at="2026-03-10T16:00:00Z"
    )
    add_task(api, client["id"], description="Mañana", assignee_id="u-ana", due_date="2026-03-11")
    add_task(api, client["id"], description="Tom's", assignee_id="u-tom", due_date="2026-03-10")
    feed = FakeFeed(
        [
            FakeOrder(
                "wo-1", client["id"], "Bodega Sur", "Revisar caldera", utc(2026, 3, 10, 14), "u-ana"
            ),
            FakeOrder("wo-2", client["id"], "Bodega Sur", "Otro día", utc(2026, 3, 11, 9), "u-ana"),
        ]
    )
    deps.reminder_service().feed = feed

    clock.now = utc(2026, 3, 10, 6, 59)  # 07:59 in Madrid
    assert run_schedule(chalice_client)["digests_sent"] == 0
    clock.now = utc(2026, 3, 10, 7, 0, 30)
    report = run_schedule(chalice_client)
    assert (report["digests_sent"], report["digests_empty"]) == (1, 1)  # Ana; Eva has nothing
    [mail] = sent()
    assert mail["To"] == "u-ana@example.com"
    assert mail["Subject"] == "Tu día: 2 tareas y 1 órdenes de trabajo"
    text, html = bodies(mail)
    assert text.index("Tareas vencidas") < text.index("Vencida") < text.index("Tareas de hoy")
    assert text.index("Tareas de hoy") < text.index("Hoy ·") < text.index("Órdenes de trabajo")
    assert "Mañana" not in text and "Otro día" not in text and "Tom's" not in text
    assert "15:00 (Europe/Madrid) · Revisar caldera · Bodega Sur" in text
    assert f'href="https://app.test.crm/clients/{client["id"]}"' in html
    assert feed.calls[0][2:] == (utc(2026, 3, 9, 23), utc(2026, 3, 10, 23))

    clock.now = utc(2026, 3, 10, 9)
    assert run_schedule(chalice_client)["digests_sent"] == 0  # once a day
    clock.now = utc(2026, 3, 10, 11, 0, 30)  # 08:00 in Buenos Aires
    assert run_schedule(chalice_client)["digests_sent"] == 1
    assert sent()[-1]["To"] == "u-tom@example.com"
    assert sent()[-1]["Subject"] == "Your day: 1 tasks and 0 work orders"
    clock.now = utc(2026, 3, 11, 7, 0, 30)  # Wednesday in Madrid: Ana again, Eva still nothing
    report = run_schedule(chalice_client)
    assert (report["digests_sent"], report["digests_empty"]) == (1, 1)
    assert len(sent()) == 3


def test_two_runs_at_once_send_one_digest(api, day_before, monkeypatch):
    serialize_dynamodb(monkeypatch)  # atomic conditional writes, as in DynamoDB
    import threading

    clock = day_before
    client = new_client(api)
    add_task(api, client["id"], assignee_id="u-ana", due_date="2026-03-10")
    clock.now = utc(2026, 3, 10, 7, 1)
    service = deps.reminder_service()
    threads = [threading.Thread(target=service.run, args=(clock.now,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [m["To"] for m in sent()] == ["u-ana@example.com"]


def test_a_new_time_zone_moves_the_digest_and_never_sends_one_day_twice(
    api, day_before, chalice_client
):
    clock = day_before
    client = new_client(api)
    add_task(api, client["id"], assignee_id="u-ana", due_date="2026-03-20")
    add_task(api, client["id"], assignee_id="u-ana", due_date="2026-03-09")
    clock.now = utc(2026, 3, 10, 7, 1)
    assert run_schedule(chalice_client)["digests_sent"] == 1
    # Ana flies to Buenos Aires the same morning: no second digest on 10 March
    add_user(api, "u-ana", timezone="America/Argentina/Buenos_Aires", language="es")
    clock.now = utc(2026, 3, 10, 11, 1)
    assert run_schedule(chalice_client)["digests_sent"] == 0
    clock.now = utc(2026, 3, 11, 7, 1)  # 04:01 in Buenos Aires
    assert run_schedule(chalice_client)["digests_sent"] == 0
    clock.now = utc(2026, 3, 11, 11, 1)  # 08:01 there
    assert run_schedule(chalice_client)["digests_sent"] == 1


def test_a_digest_ses_throttles_is_retried_the_same_morning(api, day_before, chalice_client):
    from botocore.stub import Stubber

    clock = day_before
    client = new_client(api)
    add_task(api, client["id"], assignee_id="u-ana", due_date="2026-03-10")
    clock.now = utc(2026, 3, 10, 7, 1)
    with Stubber(deps.reminder_service().outbox.client) as stub:
        stub.add_client_error("send_email", "Throttling", "Maximum sending rate exceeded", 400)
        assert run_schedule(chalice_client)["retried"] == 1
    clock.now = utc(2026, 3, 10, 7, 6)
    assert run_schedule(chalice_client)["digests_sent"] == 1
    clock.now = utc(2026, 3, 10, 7, 30)
    assert run_schedule(chalice_client)["digests_sent"] == 0
    assert len(sent()) == 1


# --- work orders -------------------------------------------------------------------------------


def order(client_id: str, **fields) -> FakeOrder:
    base = FakeOrder(
        id=f"{client_id}.wo1",
        client_id=client_id,
        client_name="Bodega <Sur>",
        title="Revisión anual",
        description="Caldera, planta 2",
        scheduled_at=utc(2026, 3, 12, 10),
        technician_id="u-ana",
        duration_minutes=90,
        recurrence_id="r1",
        occurrence="2026-03-12",
    )
    return replace(base, **fields)


def wo_entry(order_id: str):
    return deps.reminder_service().store.get(ReminderKind.WORK_ORDER, "acme", order_id)


def test_a_technician_is_reminded_at_1800_the_day_before_with_an_ics(
    api, day_before, chalice_client
):
    clock = day_before
    client = new_client(api, name="Bodega <Sur>")
    service = deps.reminder_service()
    wo = order(client["id"])
    service.sync_work_order("acme", None, wo)
    entry = wo_entry(wo.id)
    assert entry.fire_at == utc(2026, 3, 11, 17)  # 18:00 in Madrid
    clock.now = utc(2026, 3, 11, 16, 59)
    assert run_schedule(chalice_client)["sent"] == 0
    clock.now = utc(2026, 3, 11, 17, 0)
    assert run_schedule(chalice_client)["sent"] == 1
    [mail] = sent()
    assert mail["To"] == "u-ana@example.com"
    assert mail["Subject"] == "Mañana: Revisión anual en Bodega <Sur>"
    text, html = bodies(mail)
    assert "12/03/2026 11:00 (Europe/Madrid)" in text and "90 minutos" in text
    assert "Bodega &lt;Sur&gt;" in html
    [ics] = list(mail.iter_attachments())
    content = ics.get_payload(decode=True)
    assert f"UID:{wo.id}\r\n".encode() in content
    assert b"DTSTART:20260312T100000Z\r\n" in content and b"DTEND:20260312T113000Z" in content
    assert wo_entry(wo.id).state == "sent"
    # the same order synced again (any unrelated write) is not mailed again
    service.sync_work_order("acme", wo, replace(wo))
    service.sync_work_order("acme", None, wo)  # nor when the caller has no "before"
    clock.now = utc(2026, 3, 11, 17, 30)
    assert run_schedule(chalice_client)["sent"] == 0


def test_moving_cancelling_and_deleting_an_order_follow_it(api, day_before, chalice_client):
    clock = day_before
    client = new_client(api)
    service = deps.reminder_service()
    wo = order(client["id"])
    service.sync_work_order("acme", None, wo)
    moved = replace(wo, scheduled_at=utc(2026, 3, 13, 10), technician_id="u-tom")
    service.sync_work_order("acme", wo, moved)
    entry = wo_entry(wo.id)
    assert entry.fire_at == utc(2026, 3, 12, 21)  # 18:00 in Buenos Aires, Tom's zone
    clock.now = utc(2026, 3, 11, 17, 1)
    assert run_schedule(chalice_client)["sent"] == 0
    clock.now = utc(2026, 3, 12, 21, 1)
    assert run_schedule(chalice_client)["sent"] == 1
    assert sent()[0]["To"] == "u-tom@example.com"
    assert sent()[0]["Subject"] == "Tomorrow: Revisión anual at Bodega <Sur>"

    other = order(client["id"], id=f"{client['id']}.wo2", scheduled_at=utc(2026, 3, 20, 10))
    service.sync_work_order("acme", None, other)
    service.sync_work_order("acme", other, replace(other, status="cancelled"))
    assert wo_entry(other.id).state == "cancelled"
    clock.now = utc(2026, 3, 19, 17, 1)
    assert run_schedule(chalice_client)["sent"] == 0
    service.sync_work_order("acme", other, None)
    assert wo_entry(other.id) is None
    assert len(sent()) == 1


def test_a_write_that_changes_nothing_the_reminder_says_costs_no_request(
    api, day_before, dynamo_calls
):
    client = new_client(api)
    wo = order(client["id"])
    service = deps.reminder_service()
    service.sync_work_order("acme", None, wo)
    dynamo_calls.clear()
    service.sync_work_order("acme", wo, replace(wo, occurrence="2026-03-12"))
    assert dynamo_calls == []
    service.sync_work_order("acme", wo, replace(wo, title="Revisión bienal"))
    assert dynamo_calls.count("PutItem") == 1
    assert wo_entry(wo.id).details["title"] == "Revisión bienal"


def test_an_order_written_after_its_reminder_time_is_reminded_at_once(
    api, day_before, chalice_client
):
    clock = day_before
    clock.now = utc(2026, 3, 11, 20)  # 21:00 in Madrid, the evening before
    client = new_client(api)
    wo = order(client["id"])
    deps.reminder_service().sync_work_order("acme", None, wo)
    assert wo_entry(wo.id).fire_at == clock.now
    assert run_schedule(chalice_client)["sent"] == 1


# --- health --------------------------------------------------------------------------------------


def test_health_reports_each_jobs_last_success_and_flags_a_late_one(api, chalice_client):
    clock = freeze_all(utc(2026, 3, 10, 12))
    jobs = ok(api.get("/health", auth=False))["jobs"]
    assert set(jobs) == {"reminders", "work_orders"}
    assert jobs["reminders"]["late"] and jobs["reminders"]["detail"] == "never run successfully"
    assert jobs["work_orders"]["last_success_at"] is None and jobs["work_orders"]["late"]

    run_schedule(chalice_client)
    deps.job_runs().succeeded("work_orders", {"created": 0}, utc(2026, 3, 10, 11, 30))
    jobs = ok(api.get("/health", auth=False))["jobs"]
    assert jobs["reminders"] == {
        "period_minutes": 5,
        "last_started_at": "2026-03-10T12:00:00Z",
        "last_success_at": "2026-03-10T12:00:00Z",
        "late": False,
        "detail": None,
    }
    assert not jobs["work_orders"]["late"] and jobs["work_orders"]["period_minutes"] == 60

    clock.now += timedelta(minutes=10)  # two periods: not yet late
    assert not ok(api.get("/health", auth=False))["jobs"]["reminders"]["late"]
    clock.now += timedelta(minutes=1)
    jobs = ok(api.get("/health", auth=False))["jobs"]
    assert (
        jobs["reminders"]["late"]
        and jobs["reminders"]["detail"] == "no successful run for 11 minutes"
    )
    assert not jobs["work_orders"]["late"]
    clock.now = utc(2026, 3, 10, 13, 31)
    assert ok(api.get("/health", auth=False))["jobs"]["work_orders"]["late"]


def test_a_failing_run_is_started_but_not_a_success(api):
    class BrokenStore:
        def due(self, since, now):
            raise RuntimeError("the table did not answer")

    freeze_all(utc(2026, 3, 10, 12))
    service = deps.reminder_service()
    service.store = BrokenStore()
    with pytest.raises(RuntimeError):
        service.run()
    jobs = ok(api.get("/health", auth=False))["jobs"]
    assert jobs["reminders"]["last_started_at"] == "2026-03-10T12:00:00Z"
    assert jobs["reminders"]["last_success_at"] is None and jobs["reminders"]["late"]


def test_infra_alarms_on_the_reminder_functions_errors_and_lets_it_send_email():
    import json
    from pathlib import Path

    from chalice.app import ScheduledEventConfig

    from app import app

    [config] = [
        c
        for c in app.event_sources
        if isinstance(c, ScheduledEventConfig) and c.name == "send_reminders"
    ]
    assert config.schedule_expression.value == 5 and config.schedule_expression.unit == "MINUTES"
    resources = json.loads(
        (Path(__file__).resolve().parents[2] / "infra" / "template.json").read_text()
    )["Resources"]
    alarm = resources["SendRemindersErrorsAlarm"]["Properties"]
    # chalice names the function after the handler's name in CamelCase
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "SendReminders"}}]
    assert alarm["MetricName"] == "Errors"
    policy = resources["RemindersAccess"]["Properties"]
    assert policy["Roles"] == [{"Ref": "SendRemindersRole"}]
    actions = {a for s in policy["PolicyDocument"]["Statement"] for a in s["Action"]}
    assert {"ses:SendRawEmail", "dynamodb:Query", "dynamodb:PutItem"} <= actions
