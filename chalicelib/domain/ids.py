"""Identifiers. Records that live inside a client's item collection (activities, notes,
tasks) carry their client in their id, `<client_id>.<sortable part>`, so that a route such as
`/tasks/{id}` finds the item with one key lookup; the sortable part orders by creation."""

from __future__ import annotations

import secrets
import time
import uuid

from chalicelib.domain.errors import NotFoundError


def new_id() -> str:
    return uuid.uuid4().hex


def sortable_part() -> str:
    """12 hex digits of milliseconds since the epoch, then 10 random ones."""
    return f"{int(time.time() * 1000):012x}{secrets.token_hex(5)}"


def child_id(client_id: str) -> str:
    return f"{client_id}.{sortable_part()}"


def split_child_id(value: str, what: str) -> tuple[str, str]:
    """(client id, own part) of a child id; NotFoundError when it cannot be one."""
    client_id, dot, own = value.partition(".")
    if not dot or not client_id or not own or "." in own:
        raise NotFoundError(what, value)
    return client_id, own
