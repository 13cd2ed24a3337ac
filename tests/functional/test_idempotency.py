"""POST /clients with an Idempotency-Key: a retry returns the first result and creates nothing."""

from __future__ import annotations


def test_a_retry_with_the_same_key_and_body_returns_the_first_client(api):
    body = {"name": "Ana", "email": "ana@example.com"}
    first = api.post("/clients", body, headers={"Idempotency-Key": "k-1"})
    retry = api.post("/clients", body, headers={"Idempotency-Key": "k-1"})
    assert first.status == retry.status == 201
    assert retry.body == first.body
    assert len(api.get("/clients").body["items"]) == 1


def test_the_same_key_with_another_body_is_422(api):
    api.post("/clients", {"name": "Ana"}, headers={"Idempotency-Key": "k-1"})
    r = api.post("/clients", {"name": "Bruno"}, headers={"Idempotency-Key": "k-1"})
    assert r.status == 422 and "Idempotency-Key" in r.body["detail"]
    assert len(api.get("/clients").body["items"]) == 1


def test_keys_belong_to_their_user(api, team):
    body = {"name": "Ana"}
    a = team["u-luis"].post("/clients", body, headers={"Idempotency-Key": "k-1"})
    b = team["u-sara"].post("/clients", body, headers={"Idempotency-Key": "k-1"})
    assert a.status == b.status == 201 and a.body["id"] != b.body["id"]


def test_a_failed_create_does_not_burn_the_key(api):
    api.post("/clients", {"name": "Ana", "email": "ana@example.com"})
    body = {"name": "Bruno", "email": "ana@example.com"}
    assert api.post("/clients", body, headers={"Idempotency-Key": "k-2"}).status == 409
    body["email"] = "bruno@example.com"
    assert api.post("/clients", body, headers={"Idempotency-Key": "k-2"}).status == 201
