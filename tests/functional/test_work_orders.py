"""Work orders through the HTTP API: create, read, list, change, complete; who sees what."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.api import deps
from tests.functional.conftest import new_client
from tests.functional.relations_helpers import assert_404, ok, problem_fields, timeline
from tests.functional.work_orders_helpers import add_order, freeze_work_orders, orders_of, utc


@pytest.fixture(autouse=True)
def now():
    return freeze_work_orders(utc(2026, 11, 24, 8))


def test_a_work_order_is_created_read_and_listed(team):
    luis = team["u-luis"]
    client = new_client(luis)
    order = add_order(
        luis,
        client["id"],
        technician_id="u-sara",
        description="Annual check",
        scheduled_at="2026-12-01T10:00:00+01:00",
        duration_minutes=90,
    )
    assert order["scheduled_at"] == "2026-12-01T09:00:00Z"
    assert order["status"] == "scheduled" and order["version"] == 1
    assert order["technician_name"] == "Sara Gómez" and order["client_name"] == "Ana García"
    assert order["recurrence_id"] is None and order["occurrence"] is None
    r = luis.get(f"/work-orders/{order['id']}")
    assert r.status == 200 and r.body == order and r.headers["ETag"] == '"1"'
    assert [o["id"] for o in orders_of(luis, client["id"])] == [order["id"]]
    assert timeline(luis, client["id"])[0]["action"] == "work_order_created"


def test_orders_of_a_client_come_by_scheduled_time(api):
    client = new_client(api)
    late = add_order(api, client["id"], scheduled_at="2026-12-20T10:00:00Z")
    early = add_order(api, client["id"], scheduled_at="2026-12-02T10:00:00Z")
    assert [o["id"] for o in orders_of(api, client["id"])] == [early["id"], late["id"]]


BAD_ORDERS = [
    ({"scheduled_at": "2026-12-01T10:00:00Z"}, "title"),
    ({"title": "X"}, "scheduled_at"),
    ({"title": "X", "scheduled_at": "2026-12-01T10:00:00"}, "scheduled_at"),
    ({"title": "X", "scheduled_at": "tomorrow"}, "scheduled_at"),
    (
        {"title": "X", "scheduled_at": "2026-12-01T10:00:00Z", "duration_minutes": 0},
        "duration_minutes",
    ),
    ({"title": "X", "scheduled_at": "2026-12-01T10:00:00Z", "status": "done"}, "status"),
    (
        {"title": "X", "scheduled_at": "2026-12-01T10:00:00Z", "technician_id": "a#b"},
        "technician_id",
    ),
    (
        {"title": "X", "scheduled_at": "2026-12-01T10:00:00Z", "technician_id": "u-nobody"},
        "technician_id",
    ),
]


def test_bad_work_orders_are_400s_naming_the_field(team):
    client = new_client(team["u-admin"])
    for body, field in BAD_ORDERS:
        r = team["u-admin"].post(f"/clients/{client['id']}/work-orders", body)
        assert problem_fields(r) == [field], body


def test_changing_an_order_keeps_a_version_and_refuses_stale_writes(api):
    client = new_client(api)
    order = add_order(api, client["id"])
    changed = ok(api.patch(f"/work-orders/{order['id']}", {"notes": "Gate code 1234"}))
    assert changed["version"] == 2 and changed["notes"] == "Gate code 1234"
    r = api.patch(f"/work-orders/{order['id']}", {"title": "Y"}, headers={"If-Match": '"1"'})
    assert r.status == 412
    r = api.patch(f"/work-orders/{order['id']}", {"title": "Y", "version": 1})
    assert r.status == 409 and r.body["current_version"] == 2
    same = ok(api.patch(f"/work-orders/{order['id']}", {"notes": "Gate code 1234"}))
    assert same["version"] == 2, "a change that changes nothing writes nothing"


BAD_CHANGES = [
    ({"title": None}, "title"),
    ({"status": "finished"}, "status"),
    ({"completed_at": "2026-11-24T07:00:00Z"}, "completed_at"),
    ({"status": "done", "completed_at": "2026-11-25T07:00:00Z"}, "completed_at"),
    ({"scheduled_at": "2026-12-01 10:00"}, "scheduled_at"),
    ({"technician_id": "u-ghost"}, "technician_id"),
    ({"colour": "red"}, "colour"),
]


def test_bad_changes_are_400s_naming_the_field(team):
    api = team["u-admin"]
    order = add_order(api, new_client(api)["id"])
    for body, field in BAD_CHANGES:
        assert problem_fields(api.patch(f"/work-orders/{order['id']}", body)) == [field], body


def test_status_follows_its_transitions(api):
    order = add_order(api, new_client(api)["id"])
    path = f"/work-orders/{order['id']}"
    assert ok(api.patch(path, {"status": "in_progress"}))["status"] == "in_progress"
    assert ok(api.patch(path, {"status": "done"}))["status"] == "done"
    r = api.patch(path, {"status": "scheduled"})
    assert r.status == 409 and "done" in r.body["detail"]
    assert ok(api.patch(path, {"notes": "Left the invoice"}))["status"] == "done"
    cancelled = add_order(api, order["client_id"])
    path = f"/work-orders/{cancelled['id']}"
    assert ok(api.patch(path, {"status": "cancelled"}))["completed_at"] is None
    assert ok(api.patch(path, {"status": "scheduled"}))["status"] == "scheduled"


def test_completing_records_the_visit_on_the_client_and_the_timeline(api, now):
    client = new_client(api)
    first = add_order(api, client["id"], scheduled_at="2026-11-20T10:00:00Z")
    second = add_order(api, client["id"], scheduled_at="2026-11-22T10:00:00Z")
    now.now = utc(2026, 11, 24, 9)
    done = ok(api.patch(f"/work-orders/{second['id']}", {"status": "done"}))
    assert done["completed_at"] == "2026-11-24T09:00:00Z"
    profile = ok(api.get(f"/clients/{client['id']}"))
    assert profile["last_visit_at"] == "2026-11-24T09:00:00Z"
    events = timeline(api, client["id"])
    assert events[0]["action"] == "work_order_completed"
    assert events[0]["subject"]["id"] == second["id"]
    assert events[0]["changes"]["status"] == {"before": "scheduled", "after": "done"}
    # an older visit recorded afterwards never moves last_visit_at back
    earlier = {"status": "done", "completed_at": "2026-11-20T11:00:00Z"}
    ok(api.patch(f"/work-orders/{first['id']}", earlier))
    assert ok(api.get(f"/clients/{client['id']}"))["last_visit_at"] == "2026-11-24T09:00:00Z"
    # the client's own edits keep it (its version moved with the visit)
    edited = ok(api.patch(f"/clients/{client['id']}", {"notes": "Back door"}))
    assert edited["last_visit_at"] == "2026-11-24T09:00:00Z"
    r = api.patch(f"/clients/{client['id']}", {"last_visit_at": "2030-01-01T00:00:00Z"})
    assert problem_fields(r) == ["last_visit_at"], "read-only"


def test_a_later_completion_moves_last_visit_forward(api, now):
    client = new_client(api)
    a, b = add_order(api, client["id"]), add_order(api, client["id"])
    ok(api.patch(f"/work-orders/{a['id']}", {"status": "done"}))
    now.now = utc(2026, 11, 26, 9)
    ok(api.patch(f"/work-orders/{b['id']}", {"status": "done"}))
    assert ok(api.get(f"/clients/{client['id']}"))["last_visit_at"] == "2026-11-26T09:00:00Z"


def test_sales_see_orders_of_their_clients_only_and_other_tenants_none(team, api, token):
    luis, sara = team["u-luis"], team["u-sara"]
    mine = add_order(luis, new_client(luis)["id"])
    assert_404(sara.get(f"/work-orders/{mine['id']}"))
    assert_404(sara.patch(f"/work-orders/{mine['id']}", {"notes": "x"}))
    assert_404(sara.get(f"/clients/{mine['client_id']}/work-orders"))
    assert_404(
        sara.post(
            f"/clients/{mine['client_id']}/work-orders",
            {"title": "x", "scheduled_at": "2026-12-01T10:00:00Z"},
        )
    )
    other = api.as_("u-admin", "admin", tenant="globex")
    assert_404(other.get(f"/work-orders/{mine['id']}"))
    assert_404(other.get(f"/clients/{mine['client_id']}/work-orders"))
    assert ok(other.get("/work-orders"))["items"] == []
    assert ok(team["u-manager"].get(f"/work-orders/{mine['id']}"))["id"] == mine["id"]
    assert_404(luis.get(f"/work-orders/{mine['client_id']}.nope"))
    assert_404(luis.get("/work-orders/not-an-id"))


def test_a_technician_sees_and_moves_their_order_on_a_client_they_do_not_own(team):
    luis, sara = team["u-luis"], team["u-sara"]
    order = add_order(luis, new_client(luis)["id"], technician_id="u-sara")
    assert ok(sara.get(f"/work-orders/{order['id']}"))["id"] == order["id"]
    r = sara.patch(f"/work-orders/{order['id']}", {"title": "Something else"})
    assert r.status == 403
    done = ok(sara.patch(f"/work-orders/{order['id']}", {"status": "done", "notes": "OK"}))
    assert done["status"] == "done"
    assert ok(luis.get(f"/clients/{order['client_id']}"))["last_visit_at"] is not None
    assert_404(sara.get(f"/clients/{order['client_id']}/work-orders"))


def test_the_work_orders_listing_filters_by_period_technician_and_status(team):
    admin, luis, sara = team["u-admin"], team["u-luis"], team["u-sara"]
    lc, sc, ac = (
        new_client(luis),
        new_client(sara, name="Sara's"),
        new_client(admin, name="Admin's"),
    )
    a = add_order(luis, lc["id"], scheduled_at="2026-11-30T09:00:00Z")
    b = add_order(sara, sc["id"], scheduled_at="2026-12-02T09:00:00Z", technician_id="u-luis")
    c = add_order(admin, ac["id"], scheduled_at="2026-12-03T09:00:00Z", technician_id="u-sara")
    d = add_order(admin, ac["id"], scheduled_at="2027-02-01T09:00:00Z")

    def listed(who: Any, query: str = "") -> list[str]:
        return [o["id"] for o in ok(who.get(f"/work-orders{query}"))["items"]]

    assert listed(admin) == [a["id"], b["id"], c["id"]]  # the next 31 days by default
    assert listed(admin, "?from=2026-12-01&to=2027-03-01") == [b["id"], c["id"], d["id"]]
    assert listed(admin, "?from=2026-12-02T10:00:00%2B01:00") == [b["id"], c["id"]]
    assert listed(admin, "?technician=u-luis") == [b["id"]]
    # a sales user: orders of the clients they see, and those they are the technician of
    assert listed(luis) == [a["id"], b["id"]]
    assert listed(sara) == [b["id"], c["id"]]
    assert listed(luis, "?technician=me") == [b["id"]]
    ok(admin.patch(f"/work-orders/{c['id']}", {"status": "cancelled"}))
    assert listed(admin, "?status=cancelled") == [c["id"]]
    assert listed(admin, "?status=scheduled") == [a["id"], b["id"]]


BAD_QUERIES = [
    ("?status=lost", "status"),
    ("?from=yesterday", "from"),
    ("?from=2026-12-01T10:00:00", "from"),
    ("?from=2026-12-10&to=2026-12-01", "to"),
    ("?from=2026-01-01&to=2028-01-01", "to"),
    ("?limit=0", "limit"),
]


def test_bad_listing_queries_are_400s(api):
    for query, field in BAD_QUERIES:
        assert problem_fields(api.get(f"/work-orders{query}")) == [field], query


def test_the_listing_pages_with_a_cursor(api):
    client = new_client(api)
    made = [
        add_order(api, client["id"], scheduled_at=f"2026-12-0{d}T09:00:00Z") for d in range(1, 6)
    ]
    first = ok(api.get("/work-orders?limit=2"))
    second = ok(api.get(f"/work-orders?limit=2&cursor={first['next_cursor']}"))
    assert [o["id"] for o in first["items"] + second["items"]] == [m["id"] for m in made[:4]]
    r = api.get(f"/work-orders?limit=2&status=done&cursor={first['next_cursor']}")
    assert problem_fields(r) == ["cursor"], "a cursor is bound to its query"


def test_every_write_is_handed_to_on_change(api):
    seen: list[tuple[str, str | None, str | None]] = []
    deps.work_order_service().on_change = lambda tenant, before, after: seen.append(
        (tenant, before.status if before else None, after.status if after else None)
    )
    order = add_order(api, new_client(api)["id"])
    ok(api.patch(f"/work-orders/{order['id']}", {"status": "in_progress"}))
    assert seen == [("acme", None, "scheduled"), ("acme", "scheduled", "in_progress")]


def test_the_technician_feed_gives_their_orders_of_a_period(team):
    admin = team["u-admin"]
    client = new_client(admin)
    inside = add_order(
        admin, client["id"], technician_id="u-luis", scheduled_at="2026-12-01T09:00:00Z"
    )
    add_order(admin, client["id"], technician_id="u-luis", scheduled_at="2026-12-02T09:00:00Z")
    add_order(admin, client["id"], technician_id="u-sara", scheduled_at="2026-12-01T10:00:00Z")
    gone = add_order(
        admin, client["id"], technician_id="u-luis", scheduled_at="2026-12-01T11:00:00Z"
    )
    ok(admin.patch(f"/work-orders/{gone['id']}", {"status": "cancelled"}))
    found = deps.work_order_service().for_technician(
        "acme", "u-luis", utc(2026, 12, 1), utc(2026, 12, 2)
    )
    assert [o.id for o in found] == [inside["id"]]
    assert found[0].scheduled_at == utc(2026, 12, 1, 9) and found[0].client_name == "Ana García"
