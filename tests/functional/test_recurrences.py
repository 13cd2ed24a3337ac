"""Recurrence rules and the materializer: idempotent, concurrent-safe, catching up after an
outage without creating the past, and editing or deleting only the future, untouched orders."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from moto.core.botocore_stubber import BotocoreStubber

from chalicelib.api import deps
from tests.functional.conftest import new_client
from tests.functional.relations_helpers import assert_404, ok, problem_fields, timeline
from tests.functional.work_orders_helpers import (
    add_rule,
    freeze_work_orders,
    materialize,
    orders_of,
    utc,
)

NOW = utc(2026, 11, 24, 8)  # a Tuesday


@pytest.fixture(autouse=True)
def now():
    return freeze_work_orders(NOW)


@pytest.fixture
def linearizable_moto(monkeypatch):
    """DynamoDB runs each request atomically; in-process moto does not when called from several
    threads. One lock per request restores that, while the threads still interleave every
    read-then-transact sequence of the materializer in any order."""
    lock = threading.Lock()
    original = BotocoreStubber.process_request

    def one_at_a_time(self, request):
        with lock:
            return original(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", one_at_a_time)


def occurrences(api, client_id):
    return [(o["occurrence"], o["scheduled_at"]) for o in orders_of(api, client_id)]


def test_a_rule_is_stored_as_an_rrule_and_its_orders_appear_at_once(api):
    client = new_client(api)
    rule = add_rule(
        api, client["id"], rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", technician_id="u-admin"
    )
    assert rule["rrule"] == "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"
    assert rule["timezone"] == "Europe/Madrid"  # the organisation's
    assert rule["materialized_through"] == "2026-12-24T08:00:00Z"  # 30 days ahead
    assert occurrences(api, client["id"]) == [
        ("2026-11-27", "2026-11-27T10:00:00Z"),
        ("2026-12-11", "2026-12-11T10:00:00Z"),
    ]
    order = orders_of(api, client["id"])[0]
    assert order["recurrence_id"] == rule["id"] and order["title"] == "Fortnightly service"
    assert order["id"] == f"{rule['id']}-20261127", "rule + local date"
    assert ok(api.get(f"/clients/{client['id']}/recurrences"))["items"][0]["id"] == rule["id"]
    assert ok(api.get(f"/recurrences/{rule['id']}"))["rrule"] == rule["rrule"]
    assert timeline(api, client["id"])[0]["action"] == "recurrence_created"


def test_the_friendly_form_is_stored_as_an_rrule(api):
    client = new_client(api)
    body = {
        "frequency": "weekly",
        "interval": 2,
        "weekdays": ["FR"],
        "start_date": "2026-11-27",
        "time": "11:00",
        "title": "Visit",
    }
    rule = ok(api.post(f"/clients/{client['id']}/recurrences", body), 201)
    assert rule["rrule"] == "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"
    monthly = dict(body, frequency="monthly", month_day=15, weekdays=None, interval=1)
    del monthly["weekdays"]
    assert ok(api.post(f"/clients/{client['id']}/recurrences", monthly), 201)["rrule"] == (
        "FREQ=MONTHLY;BYMONTHDAY=15"
    )


def test_preview_shows_local_and_utc_times_across_a_dst_change(api):
    client = new_client(api)
    rule = add_rule(
        api, client["id"], rrule="FREQ=MONTHLY;BYMONTHDAY=1", start_date="2027-02-01", time="09:30"
    )
    preview = ok(api.get(f"/recurrences/{rule['id']}/preview?n=3"))
    assert [(p["occurrence"], p["local"], p["utc"]) for p in preview["items"]] == [
        ("2027-02-01", "2027-02-01T09:30:00+01:00", "2027-02-01T08:30:00Z"),
        ("2027-03-01", "2027-03-01T09:30:00+01:00", "2027-03-01T08:30:00Z"),
        ("2027-04-01", "2027-04-01T09:30:00+02:00", "2027-04-01T07:30:00Z"),
    ]
    assert len(ok(api.get(f"/recurrences/{rule['id']}/preview"))["items"]) == 10
    assert problem_fields(api.get(f"/recurrences/{rule['id']}/preview?n=0")) == ["n"]
    assert problem_fields(api.get(f"/recurrences/{rule['id']}/preview?n=101")) == ["n"]


BAD_RULES = [
    ({"rrule": "FREQ=SOMETIMES"}, "rrule"),
    ({"rrule": "FREQ=HOURLY"}, "rrule"),
    ({"rrule": "FREQ=WEEKLY;BYDAY=XX"}, "rrule"),
    ({"until": "2027-01-01", "count": 3}, "count"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"technician_id": "u-ghost"}, "technician_id"),
    ({"time": "25:00"}, "time"),
    ({"time": "11:00:30"}, "time"),
    ({"start_date": "27/11/2026"}, "start_date"),
    ({"count": 0}, "count"),
    ({"frequency": "weekly"}, "frequency"),
    ({"duration_minutes": 0}, "duration_minutes"),
    ({"start_date": "1066-10-14"}, "start_date"),
    ({"until": "2026-11-01"}, "until"),
    ({"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}, "rrule"),
    ({"every": "week"}, "every"),
]


def test_bad_rules_are_400s_naming_the_field(team):
    api = team["u-admin"]
    client = new_client(api)
    for fields, field in BAD_RULES:
        body = {
            "rrule": "FREQ=WEEKLY;BYDAY=FR",
            "start_date": "2026-11-27",
            "time": "11:00",
            "title": "Visit",
            **fields,
        }
        r = api.post(f"/clients/{client['id']}/recurrences", body)
        assert problem_fields(r) == [field], fields


def test_a_rule_needs_its_parts(api):
    client = new_client(api)
    for missing in ("rrule", "start_date", "time", "title"):
        body = {"rrule": "FREQ=DAILY", "start_date": "2026-11-27", "time": "11:00", "title": "V"}
        del body[missing]
        r = api.post(f"/clients/{client['id']}/recurrences", body)
        assert problem_fields(r) == [missing]


def test_materializing_twice_creates_each_order_once(api):
    client = new_client(api)
    add_rule(api, client["id"], rrule="FREQ=DAILY", start_date="2026-11-24")
    first = occurrences(api, client["id"])
    assert len(first) == 30
    report = materialize(NOW)
    assert report.created == 0 and report.rules == 0, "not due again until the next occurrence"
    report = materialize(NOW + timedelta(hours=1))
    assert report.created == 0
    assert occurrences(api, client["id"]) == first
    later = materialize(NOW + timedelta(days=1))
    assert later.created == 1 and later.rules == 1
    assert len(occurrences(api, client["id"])) == 31


@pytest.mark.usefixtures("linearizable_moto")
def test_concurrent_runs_create_each_order_once(api, now):
    api.patch("/settings", {"work_order_horizon_days": 7})
    clients = [new_client(api, name=f"Client {i}") for i in range(3)]
    rules = [add_rule(api, c["id"], rrule="FREQ=DAILY", start_date="2026-11-24") for c in clients]
    assert all(len(orders_of(api, c["id"])) == 7 for c in clients)
    seen: list[str] = []
    lock = threading.Lock()

    def record(tenant, before, after):
        if before is None and after is not None:
            with lock:
                seen.append(after.id)

    deps.work_order_service().on_change = record
    later = NOW + timedelta(days=5)
    with ThreadPoolExecutor(max_workers=6) as pool:
        reports = list(pool.map(lambda _: materialize(later), range(6)))
    assert sum(r.created for r in reports) == 15 == len(seen) == len(set(seen))
    for client, rule in zip(clients, rules, strict=True):
        days = [o["occurrence"] for o in orders_of(api, client["id"])]
        assert len(days) == len(set(days)) == 12
        assert ok(api.get(f"/recurrences/{rule['id']}"))["materialized_through"] == (
            "2026-12-06T08:00:00Z"
        )


def test_catch_up_after_a_two_day_outage_creates_nothing_in_the_past(api, now):
    api.patch("/settings", {"work_order_horizon_days": 1})
    client = new_client(api)
    add_rule(api, client["id"], rrule="FREQ=DAILY", start_date="2026-11-24", time="09:00")
    assert [d for d, _ in occurrences(api, client["id"])] == ["2026-11-24"]
    # the hourly function does not run for two days
    back = utc(2026, 11, 26, 12)
    report = materialize(back)
    assert report.rules == 1
    assert [d for d, _ in occurrences(api, client["id"])] == ["2026-11-24", "2026-11-27"]
    assert materialize(back).created == 0


def test_catch_up_creates_the_missed_past_only_when_asked(api, now):
    api.patch("/settings", {"work_order_horizon_days": 1})
    client = new_client(api)
    add_rule(api, client["id"], rrule="FREQ=DAILY", start_date="2026-11-24", time="09:00")
    materialize(utc(2026, 11, 26, 12), include_past=True)
    assert [d for d, _ in occurrences(api, client["id"])] == [
        "2026-11-24",
        "2026-11-25",
        "2026-11-26",
        "2026-11-27",
    ]


def test_the_hourly_function_runs_the_materializer(api, now, chalice_client):
    client = new_client(api)
    add_rule(api, client["id"], rrule="FREQ=DAILY")
    now.now = NOW + timedelta(days=2)
    event = chalice_client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    result = chalice_client.lambda_.invoke("materialize_work_orders", event)
    assert result.payload == {"rules": 1, "created": 2, "rewritten": 0, "deleted": 0, "kept": 0}


def test_due_rules_are_found_through_the_index_without_a_scan(api, dynamo_calls):
    for i in range(3):
        add_rule(api, new_client(api, name=f"C{i}")["id"], rrule="FREQ=DAILY")
    dynamo_calls.clear()
    report = materialize(NOW + timedelta(days=1))
    assert report.created == 3
    assert "Scan" not in dynamo_calls
    # one Query per shard of the due index, one settings read, one transaction per rule
    assert dynamo_calls.count("Query") == 4
    assert dynamo_calls.count("TransactWriteItems") == 3


def test_a_rule_that_has_ended_leaves_the_due_index(api, dynamo_calls):
    client = new_client(api)
    add_rule(api, client["id"], rrule="FREQ=DAILY", count=3, start_date="2026-11-25")
    assert len(orders_of(api, client["id"])) == 3
    assert materialize(NOW + timedelta(days=40)).rules == 0


def test_rules_without_end_go_on_beyond_a_year(api):
    client = new_client(api)
    add_rule(api, client["id"], rrule="FREQ=MONTHLY;BYMONTHDAY=1", start_date="2026-12-01")
    materialize(utc(2028, 6, 15))
    assert [d for d, _ in occurrences(api, client["id"])][-1] == "2028-07-01"


def test_the_horizon_is_a_setting(api):
    assert (
        ok(api.patch("/settings", {"work_order_horizon_days": 7}))["work_order_horizon_days"] == 7
    )
    assert problem_fields(api.patch("/settings", {"work_order_horizon_days": 400})) == [
        "work_order_horizon_days"
    ]
    client = new_client(api)
    add_rule(api, client["id"], rrule="FREQ=DAILY", start_date="2026-11-24")
    assert len(orders_of(api, client["id"])) == 7


def test_the_rule_s_time_holds_across_dst_in_new_york(api, now):
    now.now = utc(2027, 3, 1)
    client = new_client(api)
    rule = add_rule(
        api,
        client["id"],
        rrule="FREQ=WEEKLY;BYDAY=SU",
        start_date="2027-03-07",
        time="02:30",
        timezone="America/New_York",
    )
    assert rule["timezone"] == "America/New_York"
    assert occurrences(api, client["id"])[:3] == [
        ("2027-03-07", "2027-03-07T07:30:00Z"),  # 02:30 EST
        ("2027-03-14", "2027-03-14T07:30:00Z"),  # 02:30 does not exist: 03:30 EDT
        ("2027-03-21", "2027-03-21T06:30:00Z"),  # 02:30 EDT
    ]


def _daily_rule(api):
    """A client with a daily rule from tomorrow, 11:00 Madrid, ten days ahead: nine orders."""
    api.patch("/settings", {"work_order_horizon_days": 10})
    client = new_client(api)
    rule = add_rule(api, client["id"], rrule="FREQ=DAILY", start_date="2026-11-25")
    assert len(orders_of(api, client["id"])) == 9
    return client, rule


def _hand_made(api, client_id):
    """A daily rule's orders, four of them then handled by hand: moved, cancelled, started,
    and one whose notes only were written."""
    orders = orders_of(api, client_id)
    moved, cancelled, started, noted = orders[1], orders[2], orders[3], orders[4]
    ok(api.patch(f"/work-orders/{moved['id']}", {"scheduled_at": "2026-11-26T15:00:00Z"}))
    ok(api.patch(f"/work-orders/{cancelled['id']}", {"status": "cancelled"}))
    ok(api.patch(f"/work-orders/{started['id']}", {"status": "in_progress"}))
    ok(api.patch(f"/work-orders/{noted['id']}", {"notes": "Ring twice"}))
    return moved, cancelled, started, noted


def test_hand_handled_orders_are_detached_but_notes_are_not(api):
    client, _ = _daily_rule(api)
    moved, cancelled, started, noted = _hand_made(api, client["id"])
    by_id = {o["id"]: o for o in orders_of(api, client["id"])}
    assert all(by_id[o["id"]]["detached"] for o in (moved, cancelled, started))
    assert not by_id[noted["id"]]["detached"]


def test_editing_a_rule_changes_its_future_untouched_orders_only(api, now):
    client, rule = _daily_rule(api)
    moved, cancelled, started, noted = _hand_made(api, client["id"])
    first = orders_of(api, client["id"])[0]
    now.now = utc(2026, 11, 25, 12)  # the first order (10:00Z today) is past now
    edited = ok(
        api.patch(f"/recurrences/{rule['id']}", {"time": "16:00", "title": "Afternoon visit"})
    )
    assert edited["version"] > rule["version"]
    orders = {o["id"]: o for o in orders_of(api, client["id"])}
    assert orders[first["id"]]["scheduled_at"] == first["scheduled_at"], "the past stays"
    assert orders[moved["id"]]["scheduled_at"] == "2026-11-26T15:00:00Z"
    assert orders[moved["id"]]["title"] == "Fortnightly service"
    assert orders[cancelled["id"]]["status"] == "cancelled"
    assert orders[cancelled["id"]]["scheduled_at"] == cancelled["scheduled_at"]
    assert orders[started["id"]]["status"] == "in_progress"
    assert orders[started["id"]]["title"] == "Fortnightly service"
    assert orders[noted["id"]]["scheduled_at"] == "2026-11-29T15:00:00Z"
    assert orders[noted["id"]]["notes"] == "Ring twice"
    untouched = [o for o in orders.values() if not o["detached"] and o["id"] != first["id"]]
    assert len(untouched) == 6
    assert {o["scheduled_at"][11:] for o in untouched} == {"15:00:00Z"}
    assert {o["title"] for o in untouched} == {"Afternoon visit"}
    days = [o["occurrence"] for o in orders.values()]
    assert len(days) == len(set(days)), "no occurrence twice"
    assert timeline(api, client["id"])[0]["action"] == "recurrence_updated"
    # a run afterwards neither recreates nor overwrites the hand-handled ones
    materialize(utc(2026, 11, 26, 12))
    again = {o["id"]: o for o in orders_of(api, client["id"])}
    for kept in (moved, cancelled, started):
        assert again[kept["id"]] == orders[kept["id"]]


def test_a_narrower_rule_removes_the_future_orders_it_no_longer_makes(api, now):
    client, rule = _daily_rule(api)
    moved, cancelled, started, _ = _hand_made(api, client["id"])
    ok(api.patch(f"/recurrences/{rule['id']}", {"rrule": "FREQ=WEEKLY;BYDAY=MO"}))
    orders = orders_of(api, client["id"])
    generated = [o for o in orders if not o["detached"]]
    assert {o["occurrence"] for o in generated} == {"2026-11-30"}
    assert {o["id"] for o in orders if o["detached"]} == {
        moved["id"],
        cancelled["id"],
        started["id"],
    }


def test_an_edit_that_changes_nothing_writes_nothing(api):
    client = new_client(api)
    rule = add_rule(api, client["id"])
    same = ok(api.patch(f"/recurrences/{rule['id']}", {"time": "11:00"}))
    assert same["version"] == rule["version"]
    r = api.patch(f"/recurrences/{rule['id']}", {"title": "X", "version": 1})
    assert r.status == 409
    r = api.patch(f"/recurrences/{rule['id']}", {"rrule": "FREQ=WEEKLY", "frequency": "daily"})
    assert problem_fields(r) == ["frequency"]
    assert problem_fields(api.patch(f"/recurrences/{rule['id']}", {"time": None})) == ["time"]


def test_until_replaces_count_on_an_edit(api):
    client = new_client(api)
    rule = add_rule(api, client["id"], rrule="FREQ=DAILY", count=5)
    edited = ok(api.patch(f"/recurrences/{rule['id']}", {"until": "2026-11-30"}))
    assert edited["until"] == "2026-11-30" and edited["count"] is None
    assert [d for d, _ in occurrences(api, client["id"])][-1] == "2026-11-30"


def test_deleting_a_rule_removes_its_future_untouched_orders(api, now):
    client, rule = _daily_rule(api)
    moved, cancelled, started, noted = _hand_made(api, client["id"])
    first = orders_of(api, client["id"])[0]
    ok(api.patch(f"/work-orders/{first['id']}", {"status": "done"}))
    removed: list[str] = []
    deps.work_order_service().on_change = lambda t, b, a: (
        removed.append(b.id) if a is None else None
    )
    now.now = NOW + timedelta(minutes=5)
    assert api.delete(f"/recurrences/{rule['id']}").status == 204
    left = {o["id"] for o in orders_of(api, client["id"])}
    assert left == {first["id"], moved["id"], cancelled["id"], started["id"]}
    assert noted["id"] in removed and len(removed) == 5
    assert_404(api.get(f"/recurrences/{rule['id']}"))
    assert materialize(NOW + timedelta(days=3)).created == 0
    assert timeline(api, client["id"])[0]["action"] == "recurrence_deleted"


def test_rules_follow_the_client_s_visibility(team, api):
    luis, sara = team["u-luis"], team["u-sara"]
    client = new_client(luis)
    rule = add_rule(luis, client["id"])
    for reply in (
        sara.get(f"/recurrences/{rule['id']}"),
        sara.patch(f"/recurrences/{rule['id']}", {"title": "X"}),
        sara.delete(f"/recurrences/{rule['id']}"),
        sara.get(f"/recurrences/{rule['id']}/preview"),
        sara.get(f"/clients/{client['id']}/recurrences"),
        sara.post(
            f"/clients/{client['id']}/recurrences",
            {"rrule": "FREQ=DAILY", "start_date": "2026-12-01", "time": "09:00", "title": "X"},
        ),
        api.as_("u-admin", "admin", tenant="globex").get(f"/recurrences/{rule['id']}"),
        luis.get(f"/recurrences/{client['id']}.nothing"),
    ):
        assert_404(reply)
    assert ok(team["u-manager"].get(f"/recurrences/{rule['id']}"))["id"] == rule["id"]


def test_an_order_moved_while_a_rule_edit_is_written_is_not_overwritten(api, now):
    """The race: the edit has read the untouched orders and decided to rewrite them, then a
    person moves one, then the edit writes."""
    client, rule = _daily_rule(api)
    target = orders_of(api, client["id"])[3]
    service = deps.work_order_service()
    real = service.repo.materialize
    moved: list[dict] = []

    def racing(tenant, before, after, creates, rewrites, deletes):
        if not moved and any(old.id == target["id"] for old, _ in rewrites):
            body = {"scheduled_at": "2026-11-28T17:00:00Z"}
            moved.append(ok(api.patch(f"/work-orders/{target['id']}", body)))
        return real(tenant, before, after, creates, rewrites, deletes)

    service.repo.materialize = racing
    ok(api.patch(f"/recurrences/{rule['id']}", {"time": "16:00"}))
    assert moved, "the race happened"
    orders = {o["id"]: o for o in orders_of(api, client["id"])}
    assert orders[target["id"]]["scheduled_at"] == "2026-11-28T17:00:00Z"
    assert orders[target["id"]]["detached"]
    others = [o for o in orders.values() if o["id"] != target["id"]]
    assert {o["scheduled_at"][11:] for o in others} == {"15:00:00Z"}


def test_an_order_started_while_its_rule_is_deleted_stays(api, now):
    client, rule = _daily_rule(api)
    target = orders_of(api, client["id"])[2]
    service = deps.work_order_service()
    real = service.repo.delete_orders
    started: list[dict] = []

    def racing(tenant, orders):
        if not started and any(o.id == target["id"] for o in orders):
            started.append(ok(api.patch(f"/work-orders/{target['id']}", {"status": "in_progress"})))
        return real(tenant, orders)

    service.repo.delete_orders = racing
    assert api.delete(f"/recurrences/{rule['id']}").status == 204
    assert started, "the race happened"
    assert [o["id"] for o in orders_of(api, client["id"])] == [target["id"]]


def test_the_local_event_pump_runs_the_materializer_on_demand(api, now):
    from app import app
    from local.events import period_seconds, run_schedules_once

    config = next(c for c in app.event_sources if c.name == "materialize_work_orders")
    assert period_seconds(config) == 3600
    client = new_client(api)
    add_rule(api, client["id"], rrule="FREQ=DAILY", start_date="2026-11-24")
    now.now = NOW + timedelta(days=1)
    said: list[str] = []
    run_schedules_once(app, said.append)
    assert not [s for s in said if "materialize_work_orders failed" in s]
    assert len(orders_of(api, client["id"])) == 31
