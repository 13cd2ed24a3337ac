"""The client record through the HTTP API: create, read, change, (de)activate, delete, list."""

from __future__ import annotations

from tests.functional.conftest import new_client, stored


def test_create_returns_the_client_with_number_links_and_etag(api):
    for field in (
        {"key": "level", "label": "Level", "type": "select", "options": ["B1", "B2"]},
        {"key": "students", "label": "Students", "type": "number"},
    ):
        assert api.post("/settings/custom-fields", field).status == 201
    r = api.post(
        "/clients",
        {
            "name": "Ana García",
            "legal_name": "García Formación SL",
            "email": "Ana.Garcia@Example.COM",
            "phone": "600 11 22 33",
            "address": {
                "street": "Calle Mayor 1",
                "city": "Madrid",
                "country": "ES",
                "lat": 40.4168,
                "lng": -3.7038,
            },
            "type": "prospect",
            "kind": "customer",
            "stage": "visiting",
            "source": "referral",
            "stars": 2,
            "notes": "Wants evening classes",
            "custom": {"level": "B2", "students": 3},
        },
    )
    assert r.status == 201, r
    c = r.body
    assert c["number"] == 1
    assert c["email"] == "Ana.Garcia@example.com"
    assert c["phone"] == "+34600112233"
    assert c["phone_display"] == "600 11 22 33"
    assert c["whatsapp_url"] == "https://wa.me/34600112233"
    assert c["tel_url"] == "tel:+34600112233"
    assert c["mailto_url"] == "mailto:Ana.Garcia@example.com"
    assert c["owner_id"] == "u-admin" and c["created_by"] == "u-admin"
    assert c["address"]["city"] == "Madrid" and c["address"]["lat"] == 40.4168
    assert c["custom"] == {"level": "B2", "students": 3}
    assert c["version"] == 1 and r.headers["ETag"] == '"1"'
    assert c["created_at"].endswith(("Z", "+00:00"))
    assert stored(api, c["id"]) == c


def test_defaults_and_sequential_numbers(api):
    first = new_client(api, email="a@example.com")
    second = new_client(api, name="Bruno", email="b@example.com")
    assert (first["number"], second["number"]) == (1, 2)
    assert first["type"] == "lead" and first["kind"] == "customer"
    assert first["stage"] == "contact" and first["status"] == "active" and first["stars"] == 0


def test_get_answers_with_etag_and_unknown_id_is_404(api):
    c = new_client(api)
    r = api.get(f"/clients/{c['id']}")
    assert r.status == 200 and r.headers["ETag"] == '"1"'
    missing = api.get("/clients/does-not-exist")
    assert missing.status == 404
    assert missing.headers["Content-Type"] == "application/problem+json"
    assert api.get("/clients/bad%23id").status == 404


def test_patch_changes_only_the_fields_sent(api):
    c = new_client(api, email="ana@example.com", phone="600112233", notes="n1")
    r = api.patch(f"/clients/{c['id']}", {"stage": "negotiation", "phone": None})
    assert r.status == 200, r
    assert r.body["stage"] == "negotiation"
    assert r.body["phone"] is None and r.body["tel_url"] is None
    assert r.body["email"] == "ana@example.com" and r.body["notes"] == "n1"
    assert r.body["version"] == 2 and r.headers["ETag"] == '"2"'
    assert stored(api, c["id"]) == r.body


def test_patch_without_changes_writes_nothing(api):
    c = new_client(api, stage="won")
    r = api.patch(f"/clients/{c['id']}", {"stage": "won"})
    assert r.status == 200 and r.body["version"] == 1
    assert len(api.get(f"/clients/{c['id']}/timeline").body["items"]) == 1


def test_if_match_stale_is_412_and_current_applies(api):
    c = new_client(api)
    path = f"/clients/{c['id']}"
    assert api.patch(path, {"name": "Second"}, headers={"If-Match": '"1"'}).status == 200
    stale = api.patch(path, {"name": "Third"}, headers={"If-Match": '"1"'})
    assert stale.status == 412, stale
    assert api.get(path).body["name"] == "Second"
    ok = api.patch(path, {"name": "Third"}, headers={"If-Match": 'W/"2"'})
    assert ok.status == 200 and ok.body["version"] == 3


def test_stale_version_in_body_is_409_and_nothing_is_lost(api):
    c = new_client(api)
    path = f"/clients/{c['id']}"
    assert api.patch(path, {"notes": "from Luis", "version": 1}).status == 200
    stale = api.patch(path, {"name": "from Sara", "version": 1})
    assert stale.status == 409, stale
    assert stale.body["current_version"] == 2
    body = api.get(path).body
    assert body["notes"] == "from Luis" and body["name"] == "Ana García"


def test_bad_if_match_header_is_400(api):
    c = new_client(api)
    r = api.patch(f"/clients/{c['id']}", {"name": "X"}, headers={"If-Match": "yesterday"})
    assert r.status == 400
    assert r.body["errors"][0]["field"] == "If-Match"


def test_deactivate_and_reactivate(api):
    c = new_client(api)
    off = api.post(f"/clients/{c['id']}/deactivate")
    assert off.status == 200 and off.body["status"] == "inactive"
    again = api.post(f"/clients/{c['id']}/deactivate")
    assert again.status == 200 and again.body["version"] == off.body["version"]
    on = api.post(f"/clients/{c['id']}/reactivate")
    assert on.status == 200 and on.body["status"] == "active"
    actions = [e["action"] for e in api.get(f"/clients/{c['id']}/timeline").body["items"]]
    assert actions == ["reactivated", "deactivated", "created"]


def test_every_change_is_on_the_timeline_with_who_and_before_after(api, team):
    c = new_client(team["u-manager"], email="ana@example.com")
    team["u-admin"].patch(f"/clients/{c['id']}", {"stars": 3, "email": "ana@garcia.es"})
    events = api.get(f"/clients/{c['id']}/timeline").body["items"]
    assert [e["action"] for e in events] == ["updated", "created"]
    update, created = events
    assert update["actor_id"] == "u-admin" and update["actor_name"] == "Marta Admin"
    assert update["changes"] == {
        "email": {"before": "ana@example.com", "after": "ana@garcia.es"},
        "stars": {"before": 0, "after": 3},
    }
    assert created["actor_id"] == "u-manager"
    assert created["changes"]["name"] == {"before": None, "after": "Ana García"}


def test_owner_can_be_handed_to_a_known_user_only(api, team):
    c = new_client(api)
    r = api.patch(f"/clients/{c['id']}", {"owner_id": "u-luis"})
    assert r.status == 200 and r.body["owner_name"] == "Luis Pérez"
    unknown = api.patch(f"/clients/{c['id']}", {"owner_id": "u-nobody"})
    assert unknown.status == 400 and unknown.body["errors"][0]["field"] == "owner_id"


def test_delete_is_admin_only_and_removes_everything(api, team):
    c = new_client(api, email="ana@example.com", phone="600112233")
    assert team["u-manager"].delete(f"/clients/{c['id']}").status == 403
    assert api.delete(f"/clients/{c['id']}").status == 204
    assert api.get(f"/clients/{c['id']}").status == 404
    assert api.get(f"/clients/{c['id']}/timeline").status == 404
    assert api.get("/clients").body["items"] == []
    # its email and phone can be used again
    again = new_client(api, name="Ana again", email="ana@example.com", phone="+34600112233")
    assert again["number"] == 2
    assert api.delete(f"/clients/{c['id']}").status == 404


def test_list_is_newest_first_and_pages_with_a_cursor(api):
    ids = [new_client(api, name=f"Client {i}")["id"] for i in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        path = "/clients?limit=3" + (f"&cursor={cursor}" if cursor else "")
        r = api.get(path)
        assert r.status == 200, r
        seen += [c["id"] for c in r.body["items"]]
        pages += 1
        cursor = r.body["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    assert pages == 3


def test_list_limit_and_cursor_are_validated(api):
    for bad in ("0", "201", "ten", "-1"):
        r = api.get(f"/clients?limit={bad}")
        assert r.status == 400 and r.body["errors"][0]["field"] == "limit", bad
    r = api.get("/clients?cursor=not-a-cursor")
    assert r.status == 400 and r.body["errors"][0]["field"] == "cursor"


def test_a_cursor_cannot_be_replayed_by_another_tenant_or_tampered(api):
    for i in range(3):
        new_client(api, name=f"C{i}")
    cursor = api.get("/clients?limit=1").body["next_cursor"]
    other = api.as_("u-admin", "admin", tenant="globex")
    assert other.get(f"/clients?cursor={cursor}").status == 400
    body, sig = cursor.split(".")
    tampered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + sig
    assert api.get(f"/clients?cursor={tampered}").status == 400


def test_profile_read_is_one_request_and_create_one_transaction(api, dynamo_calls):
    c = new_client(api, email="ana@example.com", phone="600112233")
    dynamo_calls.clear()
    api.get(f"/clients/{c['id']}")
    assert dynamo_calls == ["Query"]
    dynamo_calls.clear()
    new_client(api, name="Bruno", email="bruno@example.com")
    assert dynamo_calls.count("TransactWriteItems") == 1
    assert [op for op in dynamo_calls if op != "TransactWriteItems"] == ["BatchGetItem"]
