"""Bad input is a 4xx problem+json that names the field, and nothing is written."""

from __future__ import annotations

import pytest

from tests.functional.conftest import new_client, stored

LONG = "x" * 201

CREATE_CASES = [
    ({}, "name", "Field required"),
    ({"name": ""}, "name", "at least 1 character"),
    ({"name": "   "}, "name", "at least 1 character"),
    ({"name": LONG}, "name", "at most 200 characters"),
    ({"name": 42}, "name", "valid string"),
    ({"name": "A", "nickname": "x"}, "nickname", "unknown field"),
    ({"name": "A", "email": "not-an-email"}, "email", "not a valid email address"),
    ({"name": "A", "phone": "12"}, "phone", "at least 3 characters"),
    ({"name": "A", "phone": "600 11 22"}, "phone", "not a valid phone number"),
    ({"name": "A", "phone": "call me"}, "phone", "not a phone number"),
    ({"name": "A", "type": "customer"}, "type", "'lead', 'prospect', 'client' or 'vip'"),
    ({"name": "A", "kind": "friend"}, "kind", "Input should be"),
    ({"name": "A", "status": "archived"}, "status", "Input should be"),
    ({"name": "A", "stage": "pending"}, "stage", "unknown stage"),
    ({"name": "A", "stage": "Won!"}, "stage", "should match pattern"),
    ({"name": "A", "source": "tv"}, "source", "unknown source"),
    ({"name": "A", "stars": 4}, "stars", "less than or equal to 3"),
    ({"name": "A", "stars": "2"}, "stars", "valid integer"),
    ({"name": "A", "stars": 1.5}, "stars", "valid integer"),
    ({"name": "A", "owner_id": "has#hash"}, "owner_id", "should match pattern"),
    ({"name": "A", "address": {"city": "Madrid", "lat": 91}}, "address.lat", "less than or equal"),
    ({"name": "A", "address": {"country": "Spain"}}, "address.country", "should match pattern"),
    ({"name": "A", "address": {"floor": 3}}, "address.floor", "unknown field"),
    ({"name": "A", "custom": {"Bad Key": 1}}, "custom.Bad Key.[key]", "should match pattern"),
    ({"name": "A", "custom": {"k": {"nested": 1}}}, "custom.k", "must be text, a number"),
    ({"name": "A", "notes": "x" * 10_001}, "notes", "at most 10000 characters"),
    ([], "body", "should be an object"),
]


@pytest.mark.parametrize(("body", "field", "message"), CREATE_CASES)
def test_create_rejects_bad_fields(api, body, field, message):
    r = api.post("/clients", body)
    assert r.status == 400, r
    assert r.headers["Content-Type"] == "application/problem+json"
    assert r.body["type"] == "urn:crm:problem:validation" and r.body["status"] == 400
    fields = {e["field"]: e["message"] for e in r.body["errors"]}
    assert field in fields, fields
    assert message in fields[field], fields
    assert field in r.body["detail"]
    assert api.get("/clients").body["items"] == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "a JSON object is required"),
        (b"null", "should be an object"),
    ],
)
def test_malformed_bodies(api, raw, message):
    r = api.request("POST", "/clients", raw=raw)
    assert r.status == 400, r
    assert r.body["errors"][0]["field"] == "body"
    assert message in r.body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"name": None}, "name"),
        ({"stage": None}, "stage"),
        ({"type": "boss"}, "type"),
        ({"version": 0}, "version"),
        ({"email": "@"}, "email"),
        ({"id": "other"}, "id"),
        ({"number": 7}, "number"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ],
)
def test_patch_rejects_bad_fields_and_writes_nothing(api, patch, field):
    c = new_client(api)
    r = api.patch(f"/clients/{c['id']}", patch)
    assert r.status == 400, r
    assert field in {e["field"] for e in r.body["errors"]}
    assert stored(api, c["id"]) == c


def test_bad_idempotency_key_is_400(api):
    r = api.post("/clients", {"name": "A"}, headers={"Idempotency-Key": "has spaces in it"})
    assert r.status == 400 and r.body["errors"][0]["field"] == "Idempotency-Key"


def test_settings_reject_unknown_time_zone_and_region(api):
    r = api.patch("/settings", {"timezone": "Mars/Olympus", "default_phone_region": "XX"})
    assert r.status == 400
    fields = {e["field"] for e in r.body["errors"]}
    assert fields == {"timezone", "default_phone_region"}
