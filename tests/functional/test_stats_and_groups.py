"""Statistics kept as counters in the writes' own transactions, checked against a recount of
the stored clients; client groups and what their users see."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.adapters.clients_repo import client_from_item
from chalicelib.adapters.dynamo import ClientItem, Item, bind
from chalicelib.api import deps
from chalicelib.domain.clients import Client
from chalicelib.domain.stats import counter_names, stats_from_counters
from tests.functional.conftest import new_client
from tests.functional.imports_helpers import pump, run_import
from tests.functional.relations_helpers import FixedClock, ok
from tests.functional.test_search import names
from tests.helpers import Api

MADRID = ZoneInfo("Europe/Madrid")


def stored_clients() -> list[Client]:
    """Every client item of the table (a test may scan; the API never does)."""
    bind()
    return [client_from_item(i) for i in Item.scan() if isinstance(i, ClientItem)]


def recount(clients: list[Client], month: str) -> dict[str, Any]:
    counters: Counter[str] = Counter()
    for client in clients:
        counters.update(counter_names(client, "Europe/Madrid"))
    return stats_from_counters(dict(counters), month).model_dump()


def change_in_every_way(team: dict[str, Api], group_id: str) -> None:
    admin, manager, luis = team["u-admin"], team["u-manager"], team["u-luis"]
    clock = FixedClock(datetime(2026, 3, 31, 23, 30, tzinfo=MADRID))
    deps.client_service().clock = clock
    a = new_client(luis, name="Lead of March", source="web")
    clock.now = datetime(2026, 4, 1, 0, 30, tzinfo=MADRID)  # 22:30 UTC, April in Madrid
    b = new_client(admin, name="Prospect", type="prospect", owner_id="u-sara")
    c = new_client(manager, name="Collaborator", kind="collaborator", group_id=group_id)
    d = new_client(admin, name="To delete", stage="visiting", owner_id="u-luis")
    e = new_client(admin, name="Handed over", owner_id="u-luis")
    ok(luis.patch(f"/clients/{a['id']}", {"source": "referral", "kind": "other"}))
    ok(luis.post(f"/clients/{a['id']}/stage", {"stage": "negotiation", "reason": "asked"}))
    ok(admin.post(f"/clients/{b['id']}/convert"))
    ok(admin.post(f"/clients/{a['id']}/convert"))
    ok(manager.post(f"/clients/{c['id']}/deactivate"))
    ok(admin.post(f"/clients/{c['id']}/promote-vip"))
    ok(manager.patch(f"/clients/{e['id']}", {"owner_id": "u-sara", "group_id": group_id}))
    ok(manager.patch(f"/clients/{b['id']}", {"group_id": group_id}))
    ok(manager.patch(f"/clients/{b['id']}", {"group_id": None}))
    assert admin.delete(f"/clients/{d['id']}").status == 204


def test_statistics_equal_a_recount_after_every_kind_of_change(team):
    admin = team["u-admin"]
    group = ok(admin.post("/groups", {"name": "North", "user_ids": ["u-luis"]}), 201)
    change_in_every_way(team, group["id"])
    clients = stored_clients()

    stats = ok(admin.get("/stats/clients"))

    assert stats == recount(clients, "2026-04")
    assert stats["total"] == 4
    assert stats["new_this_month"] == 3
    assert stats["won_this_month"] == 2
    assert stats["by_stage"] == {"contact": 3, "negotiation": 1}
    assert ok(team["u-manager"].get("/stats/clients")) == stats

    # A sales user's statistics: over the clients they own and their groups'.
    for user in ("u-luis", "u-sara"):
        api = team[user]
        visible = [c for c in clients if c.owner_id == user or (c.group_id and user == "u-luis")]
        assert ok(api.get("/stats/clients")) == recount(visible, "2026-04"), user


def test_groups_are_admins_to_manage(team):
    admin, manager, sara = team["u-admin"], team["u-manager"], team["u-sara"]
    assert manager.post("/groups", {"name": "North"}).status == 403
    north = ok(admin.post("/groups", {"name": "North", "user_ids": ["u-sara", "u-sara"]}), 201)
    assert north["user_ids"] == ["u-sara"]

    dup = admin.post("/groups", {"name": "NORTH"})
    assert dup.status == 400 and dup.body["errors"][0]["field"] == "name"
    unknown = admin.post("/groups", {"name": "South", "user_ids": ["u-nobody"]})
    assert unknown.status == 400 and "u-nobody" in unknown.body["errors"][0]["message"]
    assert admin.patch(f"/groups/{north['id']}", {"name": None}).status == 400

    renamed = ok(admin.patch(f"/groups/{north['id']}", {"name": "Norte", "user_ids": []}))
    assert renamed["name"] == "Norte" and renamed["user_ids"] == []
    assert [g["name"] for g in ok(manager.get("/groups"))["items"]] == ["Norte"]
    assert ok(sara.get("/groups"))["items"] == []
    assert admin.patch("/groups/nope", {"name": "x"}).status == 404


def test_a_group_with_clients_cannot_be_deleted(team):
    admin = team["u-admin"]
    group = ok(admin.post("/groups", {"name": "North"}), 201)
    client = new_client(admin, group_id=group["id"])

    r = admin.delete(f"/groups/{group['id']}")
    assert r.status == 409 and "1 client is in the group 'North'" in r.body["detail"]

    ok(admin.patch(f"/clients/{client['id']}", {"group_id": None}))
    assert admin.delete(f"/groups/{group['id']}").status == 204
    assert ok(admin.get("/groups"))["items"] == []


def test_only_managers_and_admins_put_clients_in_groups(team):
    admin, luis = team["u-admin"], team["u-luis"]
    group = ok(admin.post("/groups", {"name": "North", "user_ids": ["u-luis"]}), 201)
    assert luis.post("/clients", {"name": "X", "group_id": group["id"]}).status == 403
    mine = new_client(luis)
    assert luis.patch(f"/clients/{mine['id']}", {"group_id": group["id"]}).status == 403
    r = admin.post("/clients", {"name": "X", "group_id": "nogroup"})
    assert r.status == 400 and r.body["errors"][0]["field"] == "group_id"


def test_a_groups_users_see_its_clients_everywhere_until_unassigned(team):
    admin, sara = team["u-admin"], team["u-sara"]
    group = ok(admin.post("/groups", {"name": "North", "user_ids": ["u-sara"]}), 201)
    client = new_client(admin, name="Grouped", group_id=group["id"])
    cid = client["id"]

    assert sara.get(f"/clients/{cid}").status == 200
    assert sara.get(f"/clients/{cid}/timeline").status == 200
    assert sara.post(f"/clients/{cid}/notes", {"text": "Visited"}).status == 201
    assert ok(sara.get("/stats/clients"))["total"] == 1

    ok(admin.patch(f"/groups/{group['id']}", {"user_ids": []}))

    assert sara.get(f"/clients/{cid}").status == 404
    assert ok(sara.get("/clients"))["items"] == []
    assert ok(sara.get("/stats/clients"))["total"] == 0


def test_imported_clients_are_counted_found_and_undone_like_any_other(team, chalice_client):
    admin = team["u-admin"]
    kept = new_client(admin, name="Kept Lead", email="kept@example.com")
    rows = [
        ["Nombre", "E-mail", "Teléfono", "Tipo", "Etapa", "Origen"],
        ["Importada Uno", "uno@example.com", "600 11 22 01", "cliente", "visiting", "web"],
        ["Importado Dos", "dos@example.com", None, "lead", "contact", None],
        ["Kept Lead", "kept@example.com", None, "prospect", "negotiation", None],
    ]
    job = run_import(admin, chalice_client, rows, mode="upsert", match_on=["email"])
    assert job["counts"] == {"created": 2, "updated": 1, "unchanged": 0, "failed": 0}, job

    stats = ok(admin.get("/stats/clients"))
    month = stats["month"]
    assert stats == recount(stored_clients(), month)
    assert stats["total"] == 3 and stats["by_type"] == {"client": 1, "lead": 1, "prospect": 1}
    assert names(admin, "q=importada") == ["Importada Uno"]
    assert names(admin, "q=600112201") == ["Importada Uno"]
    assert names(admin, "type=prospect") == ["Kept Lead"]
    assert names(admin, "source=web") == ["Importada Uno"]

    undone = admin.post(f"/imports/{job['id']}/undo")
    assert undone.status == 202, undone
    pump(chalice_client)
    assert ok(admin.get("/stats/clients")) == recount(stored_clients(), month)
    assert names(admin, "q=importad") == []
    assert ok(admin.get(f"/clients/{kept['id']}"))["type"] == "lead"
