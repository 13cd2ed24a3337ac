"""Fixtures for tests through the HTTP surface (chalice.test.Client on moto)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pynamodb.signals import pre_dynamodb_send

from tests.helpers import Api

USERS = {
    "u-admin": ("admin", "Marta Admin"),
    "u-manager": ("manager", "Carlos Manager"),
    "u-luis": ("sales", "Luis Pérez"),
    "u-sara": ("sales", "Sara Gómez"),
}


@pytest.fixture
def team(api: Api) -> dict[str, Api]:
    """The `acme` tenant's users, registered in its directory; one Api per user."""
    for user_id, (role, name) in USERS.items():
        r = api.put(f"/users/{user_id}", {"name": name, "role": role})
        assert r.status == 200, r
    return {uid: api.as_(uid, role, name=name) for uid, (role, name) in USERS.items()}


PROFILE_EXTRAS = ("tags", "open_tasks", "scheduled_activities", "next_activity", "last_activity")


def stored(api: Api, client_id: str) -> dict[str, Any]:
    """The client as GET /clients/{id} returns it, without the profile's extras."""
    r = api.get(f"/clients/{client_id}")
    assert r.status == 200, r
    return {k: v for k, v in r.body.items() if k not in PROFILE_EXTRAS}


def new_client(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"name": "Ana García", **fields}
    r = api.post("/clients", body)
    assert r.status == 201, r
    return dict(r.body)


class Calls(list[str]):
    """DynamoDB operations PynamoDB sent while the fixture was active."""


@pytest.fixture
def dynamo_calls() -> Iterator[Calls]:
    calls = Calls()

    def record(sender: object, operation_name: str, **_: object) -> None:
        calls.append(operation_name)

    pre_dynamodb_send.connect(record)
    try:
        yield calls
    finally:
        pre_dynamodb_send.disconnect(record)
