"""Organisation settings and its lists (stages, sources, type icons, custom fields) through
the HTTP API: validation names the field, roles, stable keys, in-use refusals, old items."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from moto.core.botocore_stubber import BotocoreStubber

from tests.functional.conftest import new_client

ICON = "https://cdn.example.com/icons/fair.svg"


def problem_fields(reply) -> dict[str, str]:
    assert reply.headers["Content-Type"] == "application/problem+json", reply
    return {e["field"]: e["message"] for e in reply.body.get("errors", [])}


def assert_invalid(reply, field: str, words: str) -> None:
    assert reply.status == 400, reply
    fields = problem_fields(reply)
    assert field in fields, reply
    assert words in fields[field], reply


# --- GET/PATCH /settings -------------------------------------------------------------------


def test_a_new_organisation_has_sensible_defaults(api):
    r = api.get("/settings")
    assert r.status == 200, r
    s = r.body
    assert s["import_max_mb"] == 50 and s["work_order_horizon_days"] == 30
    assert s["visit_recency"] == {"recent_days": 30, "overdue_days": 90}
    assert [x["key"] for x in s["stages"]] == [
        "contact",
        "prospect",
        "visiting",
        "negotiation",
        "won",
        "lost",
    ]
    won = next(x for x in s["stages"] if x["key"] == "won")
    lost = next(x for x in s["stages"] if x["key"] == "lost")
    assert won["won"] and not won["lost"] and lost["lost"] and not lost["won"]
    assert won["label"] == "Ganado"  # the test stage's organisations speak Spanish
    assert all(x["color"].startswith("#") and len(x["color"]) == 7 for x in s["stages"])
    assert [x["order"] for x in s["stages"]] == sorted(x["order"] for x in s["stages"])
    referral = next(x for x in s["sources"] if x["key"] == "referral")
    assert referral == {
        "key": "referral",
        "builtin": True,
        "name_es": "Recomendación",
        "name_en": "Referral",
        "icon_url": None,
    }
    assert s["type_icons"] == {"lead": None, "prospect": None, "client": None, "vip": None}
    assert s["custom_fields"] == []


def test_patch_settings_changes_the_fields_sent(api):
    r = api.patch(
        "/settings",
        {
            "name": "Acme",
            "timezone": "America/Argentina/Buenos_Aires",
            "language": "en",
            "default_phone_region": "AR",
            "allow_duplicates": True,
            "import_max_mb": 120,
            "work_order_horizon_days": 90,
            "visit_recency": {"overdue_days": 60},
        },
    )
    assert r.status == 200, r
    assert r.body["import_max_mb"] == 120 and r.body["work_order_horizon_days"] == 90
    assert r.body["visit_recency"] == {"recent_days": 30, "overdue_days": 60}
    r = api.patch("/settings", {"visit_recency": {"recent_days": 7}})
    assert r.status == 200, r
    again = api.get("/settings").body
    assert again["visit_recency"] == {"recent_days": 7, "overdue_days": 60}
    assert again["name"] == "Acme" and again["language"] == "en"
    assert again["timezone"] == "America/Argentina/Buenos_Aires"
    assert again["version"] == 2


def test_built_in_stage_labels_follow_the_language_until_an_admin_renames_them(api):
    assert api.patch("/settings/stages/won", {"label": "Cerrado"}).status == 200
    assert api.patch("/settings", {"language": "en"}).status == 200
    labels = {s["key"]: s["label"] for s in api.get("/settings/stages").body["items"]}
    assert labels["contact"] == "Contact" and labels["lost"] == "Lost"
    assert labels["won"] == "Cerrado"
    assert api.patch("/settings", {"language": "es"}).status == 200
    labels = {s["key"]: s["label"] for s in api.get("/settings/stages").body["items"]}
    assert labels["contact"] == "Contacto" and labels["won"] == "Cerrado"


SETTINGS_CASES = [
    ({"timezone": "Mars/Olympus"}, "timezone", "not an IANA time zone"),
    ({"timezone": None}, "timezone", "cannot be cleared"),
    ({"language": "fr"}, "language", "'es' or 'en'"),
    ({"default_phone_region": "XX"}, "default_phone_region", "not a phone region"),
    ({"default_phone_region": "es"}, "default_phone_region", "should match pattern"),
    ({"name": None}, "name", "cannot be cleared"),
    ({"name": ""}, "name", "at least 1 character"),
    ({"allow_duplicates": "yes"}, "allow_duplicates", "valid boolean"),
    ({"import_max_mb": 0}, "import_max_mb", "greater than or equal to 1"),
    ({"import_max_mb": 201}, "import_max_mb", "less than or equal to 200"),
    ({"import_max_mb": None}, "import_max_mb", "cannot be cleared"),
    ({"work_order_horizon_days": 0}, "work_order_horizon_days", "greater than or equal to 1"),
    ({"work_order_horizon_days": 366}, "work_order_horizon_days", "less than or equal to 365"),
    ({"visit_recency": {"recent_days": 90}}, "visit_recency", "must be less than overdue_days"),
    (
        {"visit_recency": {"recent_days": 40, "overdue_days": 20}},
        "visit_recency",
        "recent_days (40) must be less than overdue_days (20)",
    ),
    ({"visit_recency": {"recent_days": 0}}, "visit_recency.recent_days", "greater than or"),
    ({"visit_recency": {"days": 3}}, "visit_recency.days", "unknown field"),
    ({"visit_recency": None}, "visit_recency", "cannot be cleared"),
    ({"stages": ["contact"]}, "stages", "unknown field"),
    ({"version": 3}, "version", "unknown field"),
]


@pytest.mark.parametrize(("body", "field", "words"), SETTINGS_CASES)
def test_settings_validation_names_the_field_and_changes_nothing(api, body, field, words):
    before = api.get("/settings").body
    assert_invalid(api.patch("/settings", body), field, words)
    assert api.get("/settings").body == before


# --- roles ---------------------------------------------------------------------------------

LIST_READS = [
    "/settings/stages",
    "/settings/sources",
    "/settings/type-icons",
    "/settings/custom-fields",
]
WRITES = [
    ("PATCH", "/settings", {"name": "X"}),
    ("POST", "/settings/stages", {"key": "paused", "label": "Paused"}),
    ("PATCH", "/settings/stages/contact", {"label": "First call"}),
    ("DELETE", "/settings/stages/lost", None),
    (
        "POST",
        "/settings/sources",
        {"key": "fair", "name_es": "F", "name_en": "F", "icon_url": ICON},
    ),
    ("PATCH", "/settings/sources/web", {"name_en": "Internet"}),
    ("DELETE", "/settings/sources/web", None),
    ("PUT", "/settings/type-icons", {"vip": ICON}),
    ("POST", "/settings/custom-fields", {"key": "size", "label": "Size", "type": "number"}),
    ("PATCH", "/settings/custom-fields/size", {"label": "Employees"}),
    ("DELETE", "/settings/custom-fields/size", None),
]


@pytest.mark.parametrize("role", ["manager", "sales"])
def test_every_role_reads_the_lists_only_an_admin_changes_them(api, role):
    user = api.as_(f"u-{role}", role)
    for path in LIST_READS:
        assert user.get(path).status == 200, path
    assert user.get("/settings").status == 403
    for method, path, body in WRITES:
        r = user.request(method, path, body)
        assert r.status == 403, (method, path, r)
    assert api.get("/settings").body["version"] == 0  # nothing was saved


def test_the_lists_are_each_organisations_own(api):
    assert api.post("/settings/stages", {"key": "paused", "label": "Paused"}).status == 201
    other = api.as_("u-boss", "admin", tenant="globex")
    assert "paused" not in [s["key"] for s in other.get("/settings/stages").body["items"]]
    assert other.patch("/settings/stages/paused", {"label": "X"}).status == 404


# --- stages --------------------------------------------------------------------------------


def test_stages_are_added_changed_and_listed_in_order(api):
    r = api.post("/settings/stages", {"key": "paused", "label": "En pausa", "color": "#123abc"})
    assert r.status == 201, r
    assert r.body == {
        "key": "paused",
        "label": "En pausa",
        "color": "#123abc",
        "order": 7,
        "won": False,
        "lost": False,
    }
    r = api.patch("/settings/stages/paused", {"order": 0, "label": "Paused"})
    assert r.status == 200 and r.body["order"] == 0 and r.body["label"] == "Paused"
    items = api.as_("u-luis", "sales").get("/settings/stages").body["items"]
    assert items[0]["key"] == "paused" and len(items) == 7
    c = new_client(api, stage="paused")
    assert c["stage"] == "paused"
    assert new_client(api, name="Default").get("stage") == "paused"  # the first stage


def test_a_stage_key_is_unique_and_immutable(api):
    r = api.post("/settings/stages", {"key": "won", "label": "Won again"})
    assert r.status == 409 and "stage 'won' already" in r.body["detail"], r
    assert_invalid(api.patch("/settings/stages/won", {"key": "win"}), "key", "unknown field")
    assert api.patch("/settings/stages/nope", {"label": "X"}).status == 404
    assert api.delete("/settings/stages/nope").status == 404


STAGE_CASES = [
    ({"label": "X"}, "key", "Field required"),
    ({"key": "Bad Key", "label": "X"}, "key", "should match pattern"),
    ({"key": "k"}, "label", "Field required"),
    ({"key": "k", "label": " "}, "label", "at least 1 character"),
    ({"key": "k", "label": "X", "color": "red"}, "color", "should match pattern"),
    ({"key": "k", "label": "X", "order": -1}, "order", "greater than or equal to 0"),
    ({"key": "k", "label": "X", "won": True, "lost": True}, "body", "both won and lost"),
    ({"key": "k", "label": "X", "builtin": True}, "builtin", "unknown field"),
]


@pytest.mark.parametrize(("body", "field", "words"), STAGE_CASES)
def test_stage_validation_names_the_field(api, body, field, words):
    assert_invalid(api.post("/settings/stages", body), field, words)


def test_a_stage_cannot_become_both_won_and_lost(api):
    assert_invalid(api.patch("/settings/stages/won", {"lost": True}), "body", "both won and lost")
    assert_invalid(api.patch("/settings/stages/won", {"label": None}), "label", "cannot be cleared")
    r = api.patch("/settings/stages/won", {"won": False, "lost": True})
    assert r.status == 200 and r.body["lost"] and not r.body["won"]


def test_a_stage_clients_are_in_cannot_be_deleted(api):
    clients = [new_client(api, name=f"C{i}", stage="visiting") for i in range(3)]
    r = api.delete("/settings/stages/visiting")
    assert r.status == 409, r
    assert r.body["detail"] == "3 clients are in stage 'visiting'; move them first."
    for c in clients[:2]:
        assert api.post(f"/clients/{c['id']}/stage", {"stage": "won"}).status == 200
    r = api.delete("/settings/stages/visiting")
    assert r.status == 409 and r.body["detail"].startswith("1 client is in stage 'visiting'")
    assert api.delete(f"/clients/{clients[2]['id']}").status == 204
    assert api.delete("/settings/stages/visiting").status == 204
    assert "visiting" not in [s["key"] for s in api.get("/settings/stages").body["items"]]
    assert_invalid(api.post("/clients", {"name": "A", "stage": "visiting"}), "stage", "unknown")
    patched = api.patch(f"/clients/{clients[0]['id']}", {"stage": "visiting"})
    assert_invalid(patched, "stage", "unknown stage 'visiting'")


def test_the_last_stage_stays(api):
    for key in ("contact", "prospect", "visiting", "negotiation", "won"):
        assert api.delete(f"/settings/stages/{key}").status == 204
    r = api.delete("/settings/stages/lost")
    assert r.status == 409 and "at least one stage" in r.body["detail"]


def test_a_client_that_entered_the_stage_after_it_was_read_stops_the_delete():
    """The delete's transaction requires the stage's counter to be zero: a client created
    between reading the settings and saving them is counted."""
    from chalicelib.adapters.tenants_repo import DynamoTenantRepository
    from chalicelib.api.deps import client_service
    from chalicelib.domain.clients import ClientCreate
    from chalicelib.domain.principal import Principal, Role
    from chalicelib.services.ports import CounterNotZeroError

    repo = DynamoTenantRepository()
    read = repo.get_settings("acme")
    who = Principal(tenant_id="acme", user_id="u-admin", role=Role.ADMIN, name="Marta")
    client_service().create(who, ClientCreate(name="Late", stage="visiting"))
    without = read.model_copy(update={"stages": [s for s in read.stages if s.key != "visiting"]})
    with pytest.raises(CounterNotZeroError) as refused:
        repo.save_settings(without, unused=("n_stage_visiting",))
    assert refused.value.count == 1
    assert "visiting" in repo.get_settings("acme").stage_keys()


# --- sources -------------------------------------------------------------------------------


def test_custom_sources_are_added_renamed_and_deleted(api):
    body = {"key": "fair", "name_es": "Feria", "name_en": "Trade fair", "icon_url": ICON}
    r = api.post("/settings/sources", body)
    assert r.status == 201 and r.body == {**body, "builtin": False}, r
    assert api.post("/settings/sources", body).status == 409
    r = api.patch("/settings/sources/fair", {"name_en": "Fair"})
    assert r.status == 200 and r.body["name_en"] == "Fair" and r.body["name_es"] == "Feria"
    c = new_client(api, source="fair")
    r = api.delete("/settings/sources/fair")
    assert r.status == 409 and r.body["detail"] == "1 client has source 'fair'; change it first."
    assert api.patch(f"/clients/{c['id']}", {"source": None}).status == 200
    assert api.delete("/settings/sources/fair").status == 204
    assert_invalid(api.post("/clients", {"name": "A", "source": "fair"}), "source", "unknown")


def test_a_builtin_source_cannot_be_deleted_but_can_be_renamed(api):
    r = api.delete("/settings/sources/referral")
    assert r.status == 409 and "built-in" in r.body["detail"], r
    r = api.patch("/settings/sources/referral", {"name_es": "Boca a boca", "icon_url": ICON})
    assert r.status == 200 and r.body["builtin"] is True and r.body["name_es"] == "Boca a boca"
    assert api.patch("/settings/sources/referral", {"icon_url": None}).body["icon_url"] is None
    assert api.delete("/settings/sources/tv").status == 404


SOURCE_CASES = [
    ({"key": "none", "name_es": "N", "name_en": "N", "icon_url": ICON}, "key", "reserved"),
    ({"key": "fair", "name_es": "F", "name_en": "F"}, "icon_url", "Field required"),
    (
        {"key": "fair", "name_es": "F", "name_en": "F", "icon_url": "ftp://x/y.svg"},
        "icon_url",
        "http:// or https://",
    ),
    ({"key": "fair", "name_en": "F", "icon_url": ICON}, "name_es", "Field required"),
    ({"key": "Fair", "name_es": "F", "name_en": "F", "icon_url": ICON}, "key", "pattern"),
    (
        {"key": "fair", "name_es": "F", "name_en": "F", "icon_url": ICON, "builtin": True},
        "builtin",
        "unknown field",
    ),
]


@pytest.mark.parametrize(("body", "field", "words"), SOURCE_CASES)
def test_source_validation_names_the_field(api, body, field, words):
    assert_invalid(api.post("/settings/sources", body), field, words)


def test_a_custom_source_keeps_its_icon(api):
    body = {"key": "fair", "name_es": "Feria", "name_en": "Fair", "icon_url": ICON}
    assert api.post("/settings/sources", body).status == 201
    r = api.patch("/settings/sources/fair", {"icon_url": None})
    assert_invalid(r, "icon_url", "needs an icon")
    assert_invalid(api.patch("/settings/sources/fair", {"name_es": None}), "name_es", "cleared")


# --- type icons ----------------------------------------------------------------------------


def test_type_icons_are_set_all_at_once(api):
    r = api.put("/settings/type-icons", {"lead": ICON, "vip": ICON.replace("fair", "star")})
    assert r.status == 200, r
    assert r.body == {"lead": ICON, "prospect": None, "client": None, "vip": ICON[:-8] + "star.svg"}
    assert api.as_("u-luis", "sales").get("/settings/type-icons").body == r.body
    r = api.put("/settings/type-icons", {"client": ICON})
    assert r.body == {"lead": None, "prospect": None, "client": ICON, "vip": None}
    assert_invalid(api.put("/settings/type-icons", {"vip": "star.svg"}), "vip", "https://")
    assert_invalid(api.put("/settings/type-icons", {"customer": ICON}), "customer", "unknown")


# --- custom fields -------------------------------------------------------------------------

FIELDS = [
    {"key": "level", "label": "Nivel", "type": "select", "options": ["A1", "B2", "C1"]},
    {"key": "employees", "label": "Empleados", "type": "number"},
    {"key": "billing_email", "label": "Email de facturación", "type": "email"},
    {"key": "website", "label": "Web", "type": "url"},
    {"key": "since", "label": "Cliente desde", "type": "date"},
    {"key": "notes_extra", "label": "Observaciones", "type": "text", "required": True},
]


@pytest.fixture
def fields(api) -> list[dict]:
    made = []
    for body in FIELDS:
        r = api.post("/settings/custom-fields", body)
        assert r.status == 201, r
        made.append(r.body)
    return made


def test_custom_fields_are_defined_and_read_by_everyone(api, fields):
    assert fields[1] == {
        "key": "employees",
        "label": "Empleados",
        "type": "number",
        "options": [],
        "required": False,
    }
    items = api.as_("u-luis", "sales").get("/settings/custom-fields").body["items"]
    assert [f["key"] for f in items] == [f["key"] for f in FIELDS]
    assert api.post("/settings/custom-fields", FIELDS[0]).status == 409


FIELD_CASES = [
    ({"key": "size", "label": "Size"}, "type", "Field required"),
    ({"key": "size", "label": "Size", "type": "boolean"}, "type", "Input should be"),
    ({"key": "Size", "label": "Size", "type": "text"}, "key", "should match pattern"),
    ({"key": "size", "label": "Size", "type": "select"}, "body", "at least one option"),
    ({"key": "size", "label": "S", "type": "select", "options": ["S", "s"]}, "body", "different"),
    ({"key": "size", "label": "S", "type": "select", "options": [""]}, "options.0", "at least 1"),
    ({"key": "size", "label": "S", "type": "text", "options": ["S"]}, "body", "only a select"),
    ({"key": "size", "label": "S", "type": "text", "required": "yes"}, "required", "boolean"),
]


@pytest.mark.parametrize(("body", "field", "words"), FIELD_CASES)
def test_custom_field_validation_names_the_field(api, body, field, words):
    assert_invalid(api.post("/settings/custom-fields", body), field, words)
    assert api.get("/settings/custom-fields").body["items"] == []


def test_custom_field_definitions_change_and_go(api, fields):
    r = api.patch("/settings/custom-fields/level", {"options": ["A1", "A2"], "required": True})
    assert r.status == 200 and r.body["options"] == ["A1", "A2"] and r.body["required"]
    assert_invalid(
        api.patch("/settings/custom-fields/level", {"options": []}), "options", "at least one"
    )
    assert_invalid(
        api.patch("/settings/custom-fields/employees", {"options": ["x"]}), "options", "only a"
    )
    r = api.patch("/settings/custom-fields/level", {"type": "text"})
    assert r.status == 200 and r.body["type"] == "text" and r.body["options"] == []
    assert_invalid(api.patch("/settings/custom-fields/level", {"key": "lvl"}), "key", "unknown")
    assert api.patch("/settings/custom-fields/nope", {"label": "X"}).status == 404
    assert api.delete("/settings/custom-fields/website").status == 204
    assert api.delete("/settings/custom-fields/website").status == 404
    keys = [f["key"] for f in api.get("/settings/custom-fields").body["items"]]
    assert "website" not in keys and len(keys) == 5


def test_client_custom_values_are_checked_and_stored_normalised(api, fields):
    r = api.post(
        "/clients",
        {
            "name": "Ana",
            "custom": {
                "level": "b2",
                "employees": "12",
                "billing_email": "Facturas@Example.COM",
                "website": "https://ana.example.com",
                "since": "2024-02-29",
                "notes_extra": "  prefers mornings ",
            },
        },
    )
    assert r.status == 201, r
    assert r.body["custom"] == {
        "level": "B2",
        "employees": 12,
        "billing_email": "Facturas@example.com",
        "website": "https://ana.example.com",
        "since": "2024-02-29",
        "notes_extra": "prefers mornings",
    }
    assert api.get(f"/clients/{r.body['id']}").body["custom"] == r.body["custom"]


CUSTOM_CASES = [
    ({"colour": "red"}, "custom.colour", "unknown custom field; known: level, employees"),
    ({"level": "D9"}, "custom.level", "must be one of ['A1', 'B2', 'C1'], not 'D9'"),
    ({"employees": "many"}, "custom.employees", "must be a number, not 'many'"),
    ({"employees": True}, "custom.employees", "must be a number"),
    ({"billing_email": "nope"}, "custom.billing_email", "not a valid email address"),
    ({"billing_email": 3}, "custom.billing_email", "must be an email address"),
    ({"website": "www.example.com"}, "custom.website", "http:// or https://"),
    ({"website": "javascript:alert(1)"}, "custom.website", "http:// or https://"),
    ({"since": "24/11/2026"}, "custom.since", "must be a date written YYYY-MM-DD"),
    ({"since": "2026-02-30"}, "custom.since", "YYYY-MM-DD"),
    ({"since": "20261124"}, "custom.since", "YYYY-MM-DD"),
    ({"notes_extra": 5}, "custom.notes_extra", "must be text"),
]


def test_a_custom_value_that_does_not_fit_is_400_on_create_and_update(api, fields):
    c = new_client(api, custom={"notes_extra": "x"})
    for custom, field, words in CUSTOM_CASES:  # one organisation for all: each case is cheap
        body = {"name": "Ana", "custom": {"notes_extra": "x"} | custom}
        assert_invalid(api.post("/clients", body), field, words)
        patched = api.patch(f"/clients/{c['id']}", {"custom": {"notes_extra": "x"} | custom})
        assert_invalid(patched, field, words)
    assert api.get(f"/clients/{c['id']}").body["custom"] == {"notes_extra": "x"}
    assert len(api.get("/clients").body["items"]) == 1  # no bad create went through


def test_every_bad_custom_value_is_reported_at_once(api, fields):
    r = api.post("/clients", {"name": "A", "custom": {"employees": "x", "since": "y"}})
    assert set(problem_fields(r)) == {"custom.employees", "custom.since", "custom.notes_extra"}


def test_a_required_field_is_needed_on_create_and_cannot_be_cleared(api, fields):
    r = api.post("/clients", {"name": "A", "custom": {"employees": 3}})
    assert_invalid(r, "custom.notes_extra", "'Observaciones' is required")
    assert_invalid(api.post("/clients", {"name": "A"}), "custom.notes_extra", "is required")
    c = new_client(api, custom={"notes_extra": "x", "employees": 3})
    for cleared in ({"notes_extra": None}, {"notes_extra": " "}, {"employees": 4}):
        r = api.patch(f"/clients/{c['id']}", {"custom": cleared})
        assert_invalid(r, "custom.notes_extra", "is required")
    assert_invalid(api.patch(f"/clients/{c['id']}", {"custom": None}), "custom.notes_extra", "")
    r = api.patch(f"/clients/{c['id']}", {"custom": {"notes_extra": "y", "employees": None}})
    assert r.status == 200 and r.body["custom"] == {"notes_extra": "y"}


def test_values_written_before_a_definition_changed_stay_until_they_change(api, fields):
    c = new_client(api, custom={"notes_extra": "x", "website": "https://a.example.com"})
    assert api.delete("/settings/custom-fields/website").status == 204
    body = {"custom": {"notes_extra": "y", "website": "https://a.example.com"}}
    r = api.patch(f"/clients/{c['id']}", body)
    assert r.status == 200 and r.body["custom"]["website"] == "https://a.example.com"
    r = api.patch(
        f"/clients/{c['id']}", {"custom": {"notes_extra": "y", "website": "https://b.es"}}
    )
    assert_invalid(r, "custom.website", "unknown custom field")
    # A field made required later does not hold up clients that never had it.
    assert api.patch("/settings/custom-fields/employees", {"required": True}).status == 200
    r = api.patch(f"/clients/{c['id']}", {"custom": {"notes_extra": "z"}})
    assert r.status == 200 and r.body["custom"] == {"notes_extra": "z"}
    assert_invalid(
        api.post("/clients", {"name": "B", "custom": {"notes_extra": "z"}}),
        "custom.employees",
        "required",
    )


def test_a_client_patch_without_custom_does_not_check_it(api, fields):
    c = new_client(api, custom={"notes_extra": "x"})
    assert api.patch("/settings/custom-fields/level", {"required": True}).status == 200
    r = api.patch(f"/clients/{c['id']}", {"name": "Renamed"})
    assert r.status == 200 and r.body["custom"] == {"notes_extra": "x"}


# --- old items, concurrency ----------------------------------------------------------------


def test_a_settings_item_saved_with_lists_of_keys_still_loads(api):
    """Items written before stages and sources were objects held their keys only."""
    from chalicelib.adapters import keys
    from chalicelib.adapters.dynamo import TenantItem, bind

    bind()
    TenantItem(
        keys.tenant_pk("acme"),
        keys.TENANT_SK,
        name="Old Acme",
        timezone="Europe/Madrid",
        language="en",
        default_phone_region="ES",
        allow_duplicates=False,
        stages=["contact", "demo", "won"],
        sources=["web", "fair"],
    ).save()
    stages = api.as_("u-luis", "sales").get("/settings/stages").body["items"]
    assert [(s["key"], s["label"], s["order"], s["won"]) for s in stages] == [
        ("contact", "Contact", 1, False),
        ("demo", "demo", 2, False),
        ("won", "Won", 3, True),
    ]
    sources = api.get("/settings/sources").body["items"]
    assert [(s["key"], s["builtin"], s["name_en"]) for s in sources] == [
        ("web", True, "Website"),
        ("fair", False, "fair"),
    ]
    s = api.get("/settings").body
    assert s["name"] == "Old Acme" and s["import_max_mb"] == 50 and s["version"] == 1
    assert new_client(api, stage="demo", source="fair")["stage"] == "demo"
    r = api.patch("/settings/stages/demo", {"label": "Demo", "color": "#00ff00"})
    assert r.status == 200, r
    raw = TenantItem.get(keys.tenant_pk("acme"), keys.TENANT_SK)
    assert raw.stages[1]["label"] == "Demo" and raw.sources[1]["key"] == "fair"


@pytest.fixture
def linearizable_moto(monkeypatch):
    """DynamoDB runs each request atomically; in-process moto called from several threads
    does not. One lock per request restores that (as in test_duplicates.py) while the
    threads still interleave every read-then-write of the services in any order."""
    lock = threading.Lock()
    original = BotocoreStubber.process_request

    def one_at_a_time(self, request):
        with lock:
            return original(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", one_at_a_time)


@pytest.mark.usefixtures("linearizable_moto")
def test_concurrent_list_edits_never_lose_one_another(api):
    from chalicelib.api.deps import catalog_service, tenant_service
    from chalicelib.domain.catalogs import CustomFieldCreate, StageCreate
    from chalicelib.domain.principal import Principal, Role
    from chalicelib.domain.tenants import SettingsUpdate

    who = Principal(tenant_id="acme", user_id="u-admin", role=Role.ADMIN, name="Marta")
    catalogs = catalog_service()

    def edit(i: int) -> None:
        if i % 3 == 0:
            catalogs.create_stage(who, StageCreate(key=f"stage{i}", label=f"S{i}"))
        elif i % 3 == 1:
            catalogs.create_custom_field(
                who, CustomFieldCreate(key=f"f{i}", label="F", type="text")
            )
        else:
            tenant_service().update_settings(who, SettingsUpdate(import_max_mb=100 + i))

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(edit, range(12)))
    s = api.get("/settings").body
    assert {f"stage{i}" for i in range(0, 12, 3)} <= {x["key"] for x in s["stages"]}
    assert {x["key"] for x in s["custom_fields"]} == {f"f{i}" for i in range(1, 12, 3)}
    assert s["import_max_mb"] in {100 + i for i in range(2, 12, 3)}
    assert s["version"] == 12
