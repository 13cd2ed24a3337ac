"""Email and phone are unique per tenant, enforced in the same transaction as the write."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from moto.core.botocore_stubber import BotocoreStubber

from chalicelib.domain.clients import ClientCreate
from chalicelib.domain.errors import DuplicateError
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.search import ClientQuery
from tests.functional.conftest import new_client, stored


def test_duplicate_phone_names_the_holder_and_responsible(team):
    luis = team["u-luis"]
    holder = new_client(luis, name="Ana García", phone="+34 600 11 22 33")
    for typed in ("600112233", "0034600112233", "+34 600-11-22-33"):
        r = team["u-manager"].post("/clients", {"name": "Other", "phone": typed})
        assert r.status == 409, (typed, r)
        assert r.headers["Content-Type"] == "application/problem+json"
        assert r.body["detail"] == "Phone in use by: Ana García (responsible: Luis Pérez)."
        assert r.body["conflicts"] == [
            {
                "field": "phone",
                "client_id": holder["id"],
                "client_name": "Ana García",
                "owner_name": "Luis Pérez",
            }
        ]


def test_duplicate_email_ignores_case(api):
    new_client(api, email="ana@example.com")
    r = api.post("/clients", {"name": "B", "email": "ANA@Example.com"})
    assert r.status == 409 and r.body["conflicts"][0]["field"] == "email"
    assert len(api.get("/clients").body["items"]) == 1


def test_both_duplicates_are_reported_together(api):
    new_client(api, email="ana@example.com", phone="600112233")
    r = api.post("/clients", {"name": "B", "email": "ana@example.com", "phone": "600112233"})
    assert r.status == 409
    assert {c["field"] for c in r.body["conflicts"]} == {"email", "phone"}


def test_a_sales_user_who_cannot_see_the_holder_gets_the_owner_only(team):
    new_client(team["u-luis"], name="Ana García", email="ana@example.com")
    r = team["u-sara"].post("/clients", {"name": "Mine", "email": "ana@example.com"})
    assert r.status == 409
    assert r.body["conflicts"] == [
        {"field": "email", "client_id": None, "client_name": None, "owner_name": "Luis Pérez"}
    ]
    assert "Ana García" not in r.body["detail"] and "Luis Pérez" in r.body["detail"]


def test_changing_to_a_taken_email_is_409_and_changes_nothing(api):
    new_client(api, email="ana@example.com")
    other = new_client(api, name="Bruno", email="bruno@example.com")
    r = api.patch(f"/clients/{other['id']}", {"email": "ana@example.com", "name": "B2"})
    assert r.status == 409
    assert stored(api, other["id"]) == other


def test_a_released_email_can_be_taken(api):
    first = new_client(api, email="ana@example.com")
    assert api.patch(f"/clients/{first['id']}", {"email": "ana@new.es"}).status == 200
    assert new_client(api, name="Other Ana", email="ana@example.com")["number"] == 2
    assert api.post("/clients", {"name": "X", "email": "ana@new.es"}).status == 409


def test_allow_duplicates_setting_turns_the_check_off(api):
    assert api.patch("/settings", {"allow_duplicates": True}).status == 200
    new_client(api, email="ana@example.com", phone="600112233")
    twin = api.post("/clients", {"name": "Twin", "email": "ana@example.com", "phone": "600112233"})
    assert twin.status == 201
    assert len(api.get("/clients").body["items"]) == 2


@pytest.fixture
def linearizable_moto(monkeypatch):
    """DynamoDB executes each request atomically; in-process moto does not when called from
    several threads (it deep-copies tables mid-transaction). One lock per request restores
    the guarantee the real service gives, while the threads still interleave every
    read-then-transact sequence of our code in any order."""
    lock = threading.Lock()
    original = BotocoreStubber.process_request

    def one_at_a_time(self, request):
        with lock:
            return original(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", one_at_a_time)


@pytest.mark.usefixtures("linearizable_moto")
def test_fifty_concurrent_creates_with_one_email_make_one_client():
    from chalicelib.api.deps import client_service

    service = client_service()
    who = Principal(tenant_id="acme", user_id="u-admin", role=Role.ADMIN, name="Marta")

    def attempt(i: int) -> str:
        try:
            service.create(who, ClientCreate(name=f"Racer {i}", email="race@example.com"))
            return "created"
        except DuplicateError:
            return "duplicate"

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(50)))
    assert outcomes.count("created") == 1
    assert outcomes.count("duplicate") == 49
    clients, _ = service.search(who, ClientQuery(), 200, None)
    assert len(clients) == 1 and clients[0].number == 1


@pytest.mark.usefixtures("linearizable_moto")
def test_concurrent_creates_get_distinct_sequential_numbers():
    from chalicelib.api.deps import client_service

    service = client_service()
    who = Principal(tenant_id="acme", user_id="u-admin", role=Role.ADMIN, name="Marta")
    with ThreadPoolExecutor(max_workers=8) as pool:
        made = list(pool.map(lambda i: service.create(who, ClientCreate(name=f"C{i}")), range(20)))
    assert sorted(c.number for c in made) == list(range(1, 21))


def test_turning_duplicates_off_again_guards_new_values_and_spares_old_ones(api):
    api.patch("/settings", {"allow_duplicates": True})
    old = new_client(api, name="Old Ana", email="ana@example.com")
    api.patch("/settings", {"allow_duplicates": False})
    new = new_client(api, name="New Ana", email="ana@example.com")  # old one held no guard
    r = api.post("/clients", {"name": "Third", "email": "ana@example.com"})
    assert r.status == 409 and r.body["conflicts"][0]["client_id"] == new["id"]
    # the old client can change and be deleted without touching the new one's guard
    assert api.patch(f"/clients/{old['id']}", {"email": "old@example.com"}).status == 200
    assert api.delete(f"/clients/{old['id']}").status == 204
    assert api.post("/clients", {"name": "Fourth", "email": "ana@example.com"}).status == 409
