"""Who may do what: every route, every role, own / group / foreign client / another
organisation, with the status each must answer, from one table.

The table must name every route of the app (the first test): a new route cannot ship
without saying who may call it. Expectations come from a few rules (`see`, `edit`,
`admin_on`, …) so that the table reads like the access policy of docs/api.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from app import app
from tests.functional.conftest import USERS
from tests.functional.relations_helpers import ok
from tests.helpers import Api

ROLES = ("admin", "manager", "sales")
CLIENT_TARGETS = ("own", "group", "foreign", "other")  # other: another organisation's
TENANT_TARGETS = ("mine", "other")  # a tag, group, stage … of the caller's or another's
USER_OF = {"admin": "u-admin", "manager": "u-manager", "sales": "u-luis"}


def sees(role: str, target: str) -> bool:
    """Admins and managers see every client of their organisation; a sales user their own
    and their groups'. Nobody sees another organisation's."""
    if target == "other":
        return False
    return role != "sales" or target in ("own", "group")


Expect = Callable[[str, str], int]


def see(ok_status: int = 200) -> Expect:
    """Anyone who can see the client; 404 for the others."""
    return lambda role, target: ok_status if sees(role, target) else 404


def admin_on(ok_status: int) -> Expect:
    """Only an admin, on a client they see (a visible client is a 403 for the others)."""
    return lambda role, target: (
        (ok_status if role == "admin" else 403) if sees(role, target) else 404
    )


def managers_on(ok_status: int) -> Expect:
    return lambda role, target: (
        (ok_status if role != "sales" else 403) if sees(role, target) else 404
    )


def anyone(ok_status: int = 200) -> Expect:
    return lambda role, target: ok_status if target != "other" else 404


def only(roles: tuple[str, ...], ok_status: int = 200, other: int = 404) -> Expect:
    """Organisation-wide routes; `other` is what another organisation's id answers."""

    def expect(role: str, target: str) -> int:
        if role not in roles:
            return 403
        return ok_status if target != "other" else other

    return expect


@dataclass
class World:
    """What the routes act on: per target a client and its records; tags, groups."""

    api: Api
    admin: Api
    other_admin: Api
    ids: dict[str, dict[str, str]] = field(default_factory=dict)  # mine / other tenant's
    clients: dict[str, dict[str, str]] = field(default_factory=dict)  # by client target
    made: int = 0

    def client(
        self,
        target: str,
        records: tuple[str, ...] = ("activity", "note", "task", "work_order", "recurrence"),
    ) -> dict[str, str]:
        """A client of `target` with the records asked for (an activity, a note, a task)."""
        if target == "other":
            api = self.other_admin
            body: dict[str, Any] = {"name": "Globex client"}
        else:
            api = self.admin
            owner = "u-luis" if target == "own" else "u-sara"
            body = {"name": f"{target} client", "owner_id": owner}
            if target == "group":
                body["group_id"] = self.ids["mine"]["group"]
        cid = ok(api.post("/clients", body), 201)["id"]
        ids = {"client_id": cid}
        if "activity" in records:
            activity = {"type": "call", "at": "2026-03-10T10:00:00+00:00"}
            ids["activity_id"] = ok(api.post(f"/clients/{cid}/activities", activity), 201)["id"]
        if "note" in records:
            author = self._as_owner(target, api)
            ids["note_id"] = ok(author.post(f"/clients/{cid}/notes", {"text": "Hi"}), 201)["id"]
        if "task" in records:
            task = {"description": "Call back", "due_date": "2026-03-10"}
            ids["task_id"] = ok(api.post(f"/clients/{cid}/tasks", task), 201)["id"]
        if "done task" in records:
            ok(api.post(f"/tasks/{ids['task_id']}/complete"))
        if "work_order" in records:
            wo = {"title": "Revisión", "scheduled_at": "2026-12-04T11:00:00+01:00"}
            ids["work_order_id"] = ok(api.post(f"/clients/{cid}/work-orders", wo), 201)["id"]
        if "recurrence" in records:
            rule = {"rrule": "FREQ=MONTHLY", "start_date": "2026-12-01", "time": "09:00"}
            rule["title"] = "Monthly check"
            ids["recurrence_id"] = ok(api.post(f"/clients/{cid}/recurrences", rule), 201)["id"]
        if "tagged" in records:
            tag = self.ids["other" if target == "other" else "mine"]["tag_id"]
            ok(api.put(f"/clients/{cid}/tags", {"tag_ids": [tag]}))
        return ids

    def _as_owner(self, target: str, api: Api) -> Api:
        """Notes are their author's: the sales user writes those on clients they see."""
        if target in ("own", "group"):
            return self.api.as_("u-luis", "sales", name="Luis Pérez")
        if target == "foreign":
            return self.api.as_("u-sara", "sales", name="Sara Gómez")
        return api

    def tenant_things(
        self, api: Api, key: str, user_ids: list[str], only: str | None = None
    ) -> dict[str, str]:
        """A tag, a group, a stage, a source and a custom field (or `only` one of them)."""
        ids: dict[str, str] = {}
        if only in (None, "tag"):
            tag = ok(api.post("/tags", {"name": f"Tag {key}", "color": "#00ff00"}), 201)
            ids["tag_id"] = tag["id"]
        if only in (None, "group"):
            group = {"name": f"Group {key}", "user_ids": user_ids}
            ids["group"] = ids["group_id"] = ok(api.post("/groups", group), 201)["id"]
        if only in (None, "stage"):
            ok(api.post("/settings/stages", {"key": f"stage-{key}", "label": "Extra"}), 201)
            ids["stage"] = f"stage-{key}"
        if only in (None, "source"):
            icon = "https://icons.example/fair.svg"
            source = {"key": f"src-{key}", "name_es": "Feria", "name_en": "Fair", "icon_url": icon}
            ok(api.post("/settings/sources", source), 201)
            ids["source"] = f"src-{key}"
        if only in (None, "field"):
            field_ = {"key": f"field_{key}", "label": "Extra", "type": "text"}
            ok(api.post("/settings/custom-fields", field_), 201)
            ids["field"] = f"field_{key}"
        if only in (None, "import"):
            ids["import_id"] = ok(api.post("/imports", {}), 201)["job"]["id"]
        if only in (None, "export"):
            ids["export_id"] = ok(api.post("/exports", {"entity": "tasks"}), 201)["id"]
        return ids


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    expect: Expect
    body: Any = None
    fresh: tuple[str, ...] = ()  # it changes or removes these: new ones for each call
    key: str = ""  # which tenant-level key `{key}` stands for: stage, source, field
    query: str = ""
    per_tenant: bool = True  # False: ids that mean nothing across organisations

    def body_for(self, role: str) -> Any:
        """A create's body, named after the caller: each role creates its own."""
        if isinstance(self.body, dict) and self.method == "POST":
            return {k: f"{v}_{role}" if k in ("name", "key") else v for k, v in self.body.items()}
        return self.body

    @property
    def on_client(self) -> bool:
        return any(
            p in self.path
            for p in (
                "{client_id}",
                "{activity_id}",
                "{note_id}",
                "{task_id}",
                "{work_order_id}",
                "{recurrence_id}",
            )
        )


ACTIVITY = {"type": "call", "at": "2026-03-11T10:00:00+00:00"}
TASK = {"description": "Send the offer", "due_date": "2026-03-12"}

TABLE: list[Route] = [
    # No token needed.
    Route("GET", "/health", only(ROLES)),
    Route("GET", "/openapi.json", only(ROLES)),
    # Clients.
    Route("POST", "/clients", only(ROLES, 201), {"name": "New one"}),
    Route("GET", "/clients", only(ROLES)),
    Route("GET", "/clients/{client_id}", see()),
    Route("PATCH", "/clients/{client_id}", see(), {"stars": 1}),
    Route("DELETE", "/clients/{client_id}", admin_on(204), fresh=("client",)),
    Route("POST", "/clients/{client_id}/deactivate", see()),
    Route("POST", "/clients/{client_id}/reactivate", see()),
    Route("GET", "/clients/{client_id}/timeline", see()),
    Route("POST", "/clients/{client_id}/stage", see(), {"stage": "visiting"}),
    Route("POST", "/clients/{client_id}/convert", see(), fresh=("client",)),
    Route("POST", "/clients/{client_id}/promote-vip", see(), fresh=("client",)),
    Route("PUT", "/clients/{client_id}/stars", see(), {"stars": 3}),
    Route("POST", "/clients/{client_id}/link-student", see(), {"student_id": "S-1"}),
    Route("DELETE", "/clients/{client_id}/link-student", see()),
    Route("GET", "/stats/clients", only(ROLES)),
    # What surrounds a client.
    Route("POST", "/clients/{client_id}/activities", see(201), ACTIVITY),
    Route("GET", "/clients/{client_id}/activities", see()),
    Route("GET", "/activities", only(ROLES), query="?status=scheduled&responsible=me"),
    Route("GET", "/activities/{activity_id}", see()),
    Route("PATCH", "/activities/{activity_id}", see(), {"notes": "Went well"}),
    Route("DELETE", "/activities/{activity_id}", see(204), fresh=("activity",)),
    Route("POST", "/clients/{client_id}/notes", see(201), {"text": "Another"}),
    Route("GET", "/clients/{client_id}/notes", see()),
    Route("PATCH", "/notes/{note_id}", see(), {"text": "Edited"}),
    Route("DELETE", "/notes/{note_id}", see(204), fresh=("note",)),
    Route("POST", "/clients/{client_id}/tasks", see(201), TASK),
    Route("GET", "/clients/{client_id}/tasks", see()),
    Route("GET", "/tasks", only(ROLES), query="?bucket=overdue&assignee=me"),
    Route("PATCH", "/tasks/{task_id}", see(), {"description": "Send the new offer"}),
    Route("POST", "/tasks/{task_id}/complete", see(), fresh=("task",)),
    Route("POST", "/tasks/{task_id}/reopen", see(), fresh=("task", "done task")),
    # Work orders and recurrence rules.
    Route(
        "POST",
        "/clients/{client_id}/work-orders",
        see(201),
        {"title": "Visit", "scheduled_at": "2026-12-05T10:00:00+01:00"},
    ),
    Route("GET", "/clients/{client_id}/work-orders", see()),
    Route("GET", "/work-orders", only(ROLES)),
    Route("GET", "/work-orders/{work_order_id}", see()),
    Route("PATCH", "/work-orders/{work_order_id}", see(), {"notes": "Bring the ladder"}),
    Route(
        "POST",
        "/clients/{client_id}/recurrences",
        see(201),
        {
            "rrule": "FREQ=WEEKLY;BYDAY=FR",
            "start_date": "2026-12-04",
            "time": "11:00",
            "title": "Weekly visit",
        },
    ),
    Route("GET", "/clients/{client_id}/recurrences", see()),
    Route("GET", "/recurrences/{recurrence_id}", see()),
    Route("PATCH", "/recurrences/{recurrence_id}", see(), {"time": "12:00"}),
    Route("DELETE", "/recurrences/{recurrence_id}", see(204), fresh=("client", "recurrence")),
    Route("GET", "/recurrences/{recurrence_id}/preview", see(), query="?n=3"),
    # Tags: the catalogue is managers' and admins'; a client's tags its viewers'.
    Route("GET", "/tags", only(ROLES)),
    Route("POST", "/tags", only(("admin", "manager"), 201), {"name": "Fresh", "color": "#123456"}),
    Route("PATCH", "/tags/{tag_id}", only(("admin", "manager")), {"color": "#654321"}),
    Route("DELETE", "/tags/{tag_id}", only(("admin", "manager"), 204), fresh=("tag",)),
    Route("PUT", "/clients/{client_id}/tags", see(), {"tag_ids": []}),
    Route("POST", "/clients/{client_id}/tags/{tag_id}", see()),
    Route("DELETE", "/clients/{client_id}/tags/{tag_id}", see(), fresh=("client", "tagged")),
    # Client groups.
    Route("GET", "/groups", only(ROLES)),
    Route("POST", "/groups", only(("admin",), 201), {"name": "Fresh group"}),
    Route("PATCH", "/groups/{group_id}", only(("admin",)), {"name": "Renamed group"}),
    Route("DELETE", "/groups/{group_id}", only(("admin",), 204), fresh=("group",)),
    # Settings and the directory.
    Route("GET", "/settings", only(("admin",))),
    Route("PATCH", "/settings", only(("admin",)), {"allow_duplicates": False}),
    Route("GET", "/settings/stages", only(ROLES)),
    Route("POST", "/settings/stages", only(("admin",), 201), {"key": "fresh", "label": "F"}),
    Route("PATCH", "/settings/stages/{key}", only(("admin",)), {"label": "L"}, key="stage"),
    Route("DELETE", "/settings/stages/{key}", only(("admin",), 204), fresh=("stage",), key="stage"),
    Route("GET", "/settings/sources", only(ROLES)),
    Route(
        "POST",
        "/settings/sources",
        only(("admin",), 201),
        {
            "key": "fresh",
            "name_es": "F",
            "name_en": "F",
            "icon_url": "https://icons.example/fair.svg",
        },
    ),
    Route("PATCH", "/settings/sources/{key}", only(("admin",)), {"name_en": "S"}, key="source"),
    Route(
        "DELETE", "/settings/sources/{key}", only(("admin",), 204), fresh=("source",), key="source"
    ),
    Route("GET", "/settings/type-icons", only(ROLES)),
    Route("PUT", "/settings/type-icons", only(("admin",)), {}),
    Route("GET", "/settings/custom-fields", only(ROLES)),
    Route(
        "POST",
        "/settings/custom-fields",
        only(("admin",), 201),
        {"key": "fresh", "label": "F", "type": "text"},
    ),
    Route("PATCH", "/settings/custom-fields/{key}", only(("admin",)), {"label": "L"}, key="field"),
    Route(
        "DELETE",
        "/settings/custom-fields/{key}",
        only(("admin",), 204),
        fresh=("field",),
        key="field",
    ),
    Route("GET", "/users", only(ROLES)),
    Route(
        "PUT",
        "/users/{user_id}",
        only(("admin",)),
        {"name": "Nuevo", "role": "sales"},
        per_tenant=False,
    ),
    Route("GET", "/me", only(ROLES)),
    # imports: anyone may import (a sales user their own clients); the template's binary
    # answer needs an Accept header this table does not send, so it is called with a bad
    # `lang` (every role reaches the validation); undo is an admin's, on a finished job
    Route("GET", "/imports/template", only(ROLES, 400), query="?lang=fr"),
    Route("POST", "/imports", only(ROLES, 201), {}),
    Route("GET", "/imports", only(ROLES)),
    Route(
        "GET",
        "/imports/{import_id}",
        lambda role, target: 200 if role != "sales" and target == "mine" else 404,
    ),
    Route(
        "POST",
        "/imports/{import_id}/undo",
        lambda role, target: 403 if role != "admin" else (409 if target == "mine" else 404),
    ),
    Route("PATCH", "/me", only(ROLES), {"language": "en"}),
    # Exports: anyone exports what they see; an export is its asker's (an admin: any).
    Route("POST", "/exports", only(ROLES, 201), {"entity": "clients", "format": "csv"}),
    Route("GET", "/exports", only(ROLES)),
    Route(
        "GET",
        "/exports/{export_id}",
        lambda role, target: 200 if role == "admin" and target != "other" else 404,
    ),
]


def test_the_table_names_every_route_of_the_app():
    routes = {(m, p) for p, methods in app.routes.items() for m in methods if m != "OPTIONS"}
    named = [(r.method, r.path) for r in TABLE]
    assert len(named) == len(set(named)), "a route is in the table twice"
    assert set(named) == routes


@pytest.fixture
def world(api: Api, team: dict[str, Api]) -> World:
    other_admin = api.as_("g-admin", "admin", tenant="globex", name="Globex Admin")
    w = World(api, team["u-admin"], other_admin)
    w.ids["mine"] = w.tenant_things(w.admin, "mine", ["u-luis"])
    w.ids["other"] = w.tenant_things(other_admin, "other", [])
    for target in CLIENT_TARGETS:
        w.clients[target] = w.client(target)
    return w


def _path(route: Route, world: World, role: str, target: str) -> str:
    """The route's path for `target`. A route that changes or removes what it acts on gets
    new ones when it is expected to succeed (a refused call changes nothing)."""
    world.made += 1
    fresh = route.fresh and route.expect(role, target) < 300
    if route.on_client:
        ids = world.client(target, route.fresh) if fresh else world.clients[target]
        tenant_ids = world.ids["other" if target == "other" else "mine"]
    else:
        tenant_ids = world.ids[target]
        if fresh:
            admin = world.other_admin if target == "other" else world.admin
            tenant_ids = world.tenant_things(admin, f"f{world.made}", [], route.fresh[0])
        ids = {}
    values = {**tenant_ids, **ids, "user_id": "u-new"}
    if route.key:
        values["key"] = tenant_ids[route.key]
    return route.path.format(**values) + route.query


def _caller(world: World, role: str) -> Api:
    user = USER_OF[role]
    return world.api.as_(user, role, name=USERS[user][1])


def _auth(route: Route) -> bool:
    return route.path not in ("/health", "/openapi.json")


CHUNKS = 4  # the table in parts, so that a parallel run (`make test`) spreads it


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_every_route_answers_every_role_as_the_policy_says(world, chunk):
    wrong = []
    for route in TABLE[chunk::CHUNKS]:
        targets = CLIENT_TARGETS if route.on_client else TENANT_TARGETS
        if "{" not in route.path or not route.per_tenant:
            targets = ("mine",)
        for role in ROLES:
            for target in targets:
                path = _path(route, world, role, target)
                reply = _caller(world, role).request(
                    route.method, path, route.body_for(role), auth=_auth(route)
                )
                expected = route.expect(role, target)
                if reply.status != expected:
                    wrong.append(
                        f"{route.method} {path} as {role} on {target}: "
                        f"{reply.status}, expected {expected} ({reply.body})"
                    )
    assert not wrong, "\n".join(wrong)
