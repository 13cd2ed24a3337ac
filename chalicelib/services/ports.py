"""What the services need from storage, and the refusals storage can answer with.

The DynamoDB implementation is `adapters/clients_repo.py`; unit tests use an in-memory fake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from chalicelib.domain.clients import Client
from chalicelib.domain.tenants import TenantSettings, User
from chalicelib.domain.timeline import TimelineEvent


@dataclass(frozen=True)
class Guard:
    """A value that must be unique in the tenant (`field` is `email` or `phone`)."""

    field: str
    value: str


@dataclass(frozen=True)
class IdempotencyRecord:
    user_id: str
    key: str
    request_hash: str
    client_id: str


@dataclass
class WriteContext:
    settings: TenantSettings
    client_seq: int
    users: dict[str, User] = field(default_factory=dict)


class GuardTakenError(Exception):
    """The transaction was refused because these unique values are held already."""

    def __init__(self, guards: list[Guard]) -> None:
        super().__init__(", ".join(g.field for g in guards))
        self.guards = guards


class IdempotencyKeyTakenError(Exception):
    """A create with this idempotency key was already committed."""


class StaleWriteError(Exception):
    """The version (or the client-number sequence) moved since it was read: read again."""


class ClientRepository(Protocol):
    def load_context(self, tenant: str, user_ids: list[str]) -> WriteContext: ...

    def get_client(self, tenant: str, client_id: str) -> Client | None: ...

    def get_client_with_context(
        self, tenant: str, client_id: str, user_ids: list[str]
    ) -> tuple[Client | None, WriteContext]: ...

    def create_client(
        self,
        tenant: str,
        client: Client,
        event: TimelineEvent,
        guards: list[Guard],
        counters: dict[str, int],
        idempotency: IdempotencyRecord | None,
    ) -> None: ...

    def update_client(
        self,
        tenant: str,
        before: Client,
        after: Client,
        event: TimelineEvent,
        add_guards: list[Guard],
        drop_guards: list[Guard],
        counters: dict[str, int],
    ) -> None: ...

    def delete_client(
        self, tenant: str, client: Client, guards: list[Guard], counters: dict[str, int]
    ) -> None: ...

    def list_clients(
        self, tenant: str, owner_id: str | None, limit: int, start: dict[str, object] | None
    ) -> tuple[list[Client], dict[str, object] | None]: ...

    def guard_holders(
        self, tenant: str, guards: list[Guard]
    ) -> list[tuple[Guard, Client | None]]: ...

    def get_idempotency(self, tenant: str, user_id: str, key: str) -> IdempotencyRecord | None: ...

    def list_events(
        self, tenant: str, client_id: str, limit: int, start: dict[str, object] | None
    ) -> tuple[list[TimelineEvent], dict[str, object] | None]: ...


class TenantRepository(Protocol):
    def get_settings(self, tenant: str) -> TenantSettings: ...

    def save_settings(self, settings: TenantSettings) -> TenantSettings: ...

    def list_users(self, tenant: str) -> list[User]: ...

    def get_user(self, tenant: str, user_id: str) -> User | None: ...

    def put_user(self, tenant: str, user: User) -> User: ...

    def ping(self) -> None: ...
