"""In-memory repositories for service tests, keeping the promises of the DynamoDB ones.

`FakeClientRepository` mirrors `chalicelib/adapters/clients_repo.py`:

- every write is one transaction: all of its conditions are checked before anything
  changes, and a refusal changes nothing;
- a refusal is reported as the real one reports it: `IdempotencyKeyTakenError` first,
  then `GuardTakenError` with the taken guards, then `StaleWriteError` for anything else
  (a moved client-number sequence, a stale version, a guard held by another client);
- a create must take the next number (`client.number == seq + 1`); an update or delete
  must name the stored version (`before.version`), and an update stores version + 1;
- email / phone guards are unique per tenant; dropping one whose holder is another
  client refuses the transaction (the real condition is "absent or mine");
- counters are deltas added to the tenant's counters, which keep the counters that went
  back to 0 (as DynamoDB's ADD does);
- timeline events are kept per client, newest first; deleting a client removes them;
- listings are newest first and hand out `{"offset": n}` as the last key.

What it does not mirror: idempotency records never expire (the real ones last 24 h), and
listings are strongly consistent (DynamoDB's indexes are not).

`concurrently(operation, action)` lets a test run `action` once, just before the next call
of `operation` (e.g. `"update_client"`) goes ahead: a concurrent writer slipping in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.adapters.keys import created_sort, event_sk
from chalicelib.config import Settings
from chalicelib.domain.clients import Client
from chalicelib.domain.profile import Summary
from chalicelib.domain.search import Listing
from chalicelib.domain.stats import CounterDeltas
from chalicelib.domain.tags import Tag
from chalicelib.domain.tenants import TenantSettings, User
from chalicelib.domain.timeline import TimelineEvent
from chalicelib.services.ports import (
    CounterNotZeroError,
    Guard,
    GuardTakenError,
    IdempotencyKeyTakenError,
    IdempotencyRecord,
    StaleWriteError,
    WriteContext,
)


def _ts(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


def _page(items: list[Any], limit: int, start: dict[str, Any] | None) -> tuple[list[Any], Any]:
    offset = int((start or {}).get("offset", 0))
    end = offset + limit
    return items[offset:end], ({"offset": end} if end < len(items) else None)


def _raise_for(failed: set[str], guards: list[Guard]) -> None:
    """The order in which `DynamoClientRepository._raise_for` reports a refusal."""
    if not failed:
        return
    if "idempotency" in failed:
        raise IdempotencyKeyTakenError()
    taken = [g for g in guards if g.field in failed]
    if taken:
        raise GuardTakenError(taken)
    raise StaleWriteError(", ".join(sorted(failed)))


class FakeTenantRepository:
    """Tenant settings (versioned like the TenantItem) and the user directory."""

    def __init__(self, defaults: Settings | None = None) -> None:
        self.defaults = defaults or Settings()
        self._settings: dict[str, TenantSettings] = {}
        self._users: dict[str, dict[str, User]] = defaultdict(dict)
        # a statistics counter of a tenant; FakeClientRepository answers with its own
        self.counts: Callable[[str, str], int] = lambda tenant, name: 0

    def get_settings(self, tenant: str) -> TenantSettings:
        stored = self._settings.get(tenant)
        if stored is not None:
            return stored.model_copy(deep=True)
        d = self.defaults
        return TenantSettings(
            tenant_id=tenant,
            timezone=d.default_timezone,
            language=d.default_language,
            default_phone_region=d.default_phone_region,
        )

    def save_settings(
        self, settings: TenantSettings, unused: tuple[str, ...] = ()
    ) -> TenantSettings:
        """Conditional on the version read (0: no settings saved yet) and on the counters
        named in `unused` being zero; stores version + 1."""
        stored = self._settings.get(settings.tenant_id)
        if (stored.version if stored else 0) != settings.version:
            raise StaleWriteError("settings changed")
        for name in unused:
            count = self.counts(settings.tenant_id, name)
            if count > 0:
                raise CounterNotZeroError(name, count)
        saved = settings.model_copy(update={"version": settings.version + 1}, deep=True)
        self._settings[settings.tenant_id] = saved
        return saved.model_copy(deep=True)

    def list_users(self, tenant: str) -> list[User]:
        users = self._users[tenant]
        return [users[uid].model_copy() for uid in sorted(users)]

    def get_user(self, tenant: str, user_id: str) -> User | None:
        user = self._users[tenant].get(user_id)
        return user.model_copy() if user else None

    def put_user(self, tenant: str, user: User) -> User:
        self._users[tenant][user.user_id] = user.model_copy()
        return user

    def ping(self) -> None:
        return None


@dataclass
class _TenantData:
    clients: dict[str, Client] = field(default_factory=dict)
    events: dict[str, list[TimelineEvent]] = field(default_factory=dict)  # newest first
    guards: dict[Guard, str] = field(default_factory=dict)  # value → holder's client id
    numbers: dict[int, str] = field(default_factory=dict)
    client_seq: int | None = None  # None: the counters item has no sequence yet
    counters: dict[str, int] = field(default_factory=dict)
    slices: dict[tuple[str, str | None], dict[str, int]] = field(default_factory=dict)
    groups: set[str] = field(default_factory=set)
    idempotency: dict[tuple[str, str], IdempotencyRecord] = field(default_factory=dict)


class FakeClientRepository:
    def __init__(self, tenants: FakeTenantRepository | None = None) -> None:
        self.tenants = tenants or FakeTenantRepository()
        self._data: dict[str, _TenantData] = defaultdict(_TenantData)
        self.tenants.counts = lambda tenant, name: self._data[tenant].counters.get(name, 0)
        self._hooks: dict[str, list[Callable[[], object]]] = defaultdict(list)
        self.committed: list[str] = []  # the writes that went through, in order

    # --- for tests -------------------------------------------------------------------------

    def concurrently(self, operation: str, action: Callable[[], object]) -> None:
        """Run `action` once, right before the next call of `operation` goes ahead."""
        self._hooks[operation].append(action)

    def counters(self, tenant: str) -> dict[str, int]:
        return dict(self._data[tenant].counters)

    def client_seq(self, tenant: str) -> int:
        return self._data[tenant].client_seq or 0

    def _enter(self, operation: str) -> None:
        for action in self._hooks.pop(operation, []):
            action()

    # --- reads -----------------------------------------------------------------------------

    def load_context(self, tenant: str, user_ids: list[str]) -> WriteContext:
        self._enter("load_context")
        users = {}
        for user_id in user_ids:
            user = self.tenants.get_user(tenant, user_id)
            if user is not None:
                users[user_id] = user
        return WriteContext(
            settings=self.tenants.get_settings(tenant),
            client_seq=self.client_seq(tenant),
            users=users,
        )

    def get_client(self, tenant: str, client_id: str) -> Client | None:
        self._enter("get_client")
        client = self._data[tenant].clients.get(client_id)
        return client.model_copy(deep=True) if client else None

    def get_client_with_context(
        self, tenant: str, client_id: str, user_ids: list[str]
    ) -> tuple[Client | None, WriteContext]:
        return self.get_client(tenant, client_id), self.load_context(tenant, user_ids)

    def search_clients(
        self, listing: Listing, limit: int, start: dict[str, object] | None
    ) -> tuple[list[Client], dict[str, object] | None]:
        """Filters, visibility and the newest-first order (quick search is the real
        repository's, tested against DynamoDB)."""
        self._enter("search_clients")
        query, seen_by = listing.query, listing.visibility
        wanted = {k: v for k, v in query.filters().items() if k not in ("q", "tag")}
        names = {"owner": "owner_id", "group": "group_id"}

        def keep(c: Client) -> bool:
            data = c.model_dump(mode="json")
            if any(data.get(names.get(k, k)) != str(v) for k, v in wanted.items()):
                return False
            return seen_by is None or seen_by.sees(c)

        clients = [c.model_copy(deep=True) for c in self._data[listing.tenant].clients.values()]
        clients = [c for c in clients if keep(c)]
        clients.sort(key=lambda c: created_sort(_ts(c.created_at), c.id), reverse=True)
        return _page(clients, limit, start)

    def get_counters(self, tenant: str) -> dict[str, int]:
        return dict(self._data[tenant].counters)

    def get_slice_counters(
        self, tenant: str
    ) -> list[tuple[tuple[str, str | None], dict[str, int]]]:
        return [(k, dict(v)) for k, v in self._data[tenant].slices.items()]

    def group_exists(self, tenant: str, group_id: str) -> bool:
        return group_id in self._data[tenant].groups

    def list_events(
        self,
        tenant: str,
        client_id: str,
        limit: int,
        start: dict[str, object] | None,
        private_visible_to: str | None = None,
    ) -> tuple[list[TimelineEvent], dict[str, object] | None]:
        self._enter("list_events")
        events = [
            e.model_copy(deep=True)
            for e in self._data[tenant].events.get(client_id, [])
            if private_visible_to is None or e.private_for in (None, private_visible_to)
        ]
        return _page(events, limit, start)

    def get_profile(self, tenant: str, client_id: str) -> tuple[Client | None, Summary, list[Tag]]:
        self._enter("get_profile")
        client = self._data[tenant].clients.get(client_id)
        return (client.model_copy(deep=True) if client else None), Summary(), []

    def guard_holders(self, tenant: str, guards: list[Guard]) -> list[tuple[Guard, Client | None]]:
        self._enter("guard_holders")
        data = self._data[tenant]
        found = []
        for guard in dict.fromkeys(guards):
            holder = data.clients.get(data.guards.get(guard, ""))
            found.append((guard, holder.model_copy(deep=True) if holder else None))
        return found

    def get_idempotency(self, tenant: str, user_id: str, key: str) -> IdempotencyRecord | None:
        self._enter("get_idempotency")
        return self._data[tenant].idempotency.get((user_id, key))

    # --- writes (each one transaction) -----------------------------------------------------

    def create_client(
        self,
        tenant: str,
        client: Client,
        event: TimelineEvent,
        guards: list[Guard],
        counters: CounterDeltas,
        idempotency: IdempotencyRecord | None,
    ) -> None:
        self._enter("create_client")
        data = self._data[tenant]
        failed = set()
        if client.id in data.clients:
            failed.add("client")
        failed |= {g.field for g in guards if g in data.guards}
        if client.number in data.numbers:
            failed.add("number")
        if idempotency is not None and (idempotency.user_id, idempotency.key) in data.idempotency:
            failed.add("idempotency")
        expected = client.number - 1
        if data.client_seq != (expected or None):  # 0 is "no sequence yet"
            failed.add("sequence")
        _raise_for(failed, guards)

        data.clients[client.id] = client.model_copy(update={"version": 1}, deep=True)
        for guard in guards:
            data.guards[guard] = client.id
        data.numbers[client.number] = client.id
        data.events[client.id] = []
        self._add_event(data, event)
        if idempotency is not None:
            data.idempotency[(idempotency.user_id, idempotency.key)] = idempotency
        data.client_seq = client.number
        self._add_counters(data, counters)
        self.committed.append("create_client")

    def update_client(
        self,
        tenant: str,
        before: Client,
        after: Client,
        event: TimelineEvent,
        add_guards: list[Guard],
        drop_guards: list[Guard],
        counters: CounterDeltas,
        mark: Any = None,
    ) -> None:
        self._enter("update_client")
        data = self._data[tenant]
        failed = set()
        stored = data.clients.get(before.id)
        if stored is None or stored.version != before.version:
            failed.add("client")
        failed |= self._foreign(data, drop_guards, before.id)
        failed |= {g.field for g in add_guards if g in data.guards}
        _raise_for(failed, add_guards)

        data.clients[after.id] = after.model_copy(update={"version": before.version + 1}, deep=True)
        for guard in drop_guards:
            data.guards.pop(guard, None)
        for guard in add_guards:
            data.guards[guard] = after.id
        self._add_event(data, event)
        self._add_counters(data, counters)
        self.committed.append("update_client")

    def delete_client(
        self, tenant: str, client: Client, guards: list[Guard], counters: CounterDeltas
    ) -> None:
        self._enter("delete_client")
        data = self._data[tenant]
        failed = set()
        stored = data.clients.get(client.id)
        if stored is None or stored.version != client.version:
            failed.add("client")
        failed |= self._foreign(data, guards, client.id)
        _raise_for(failed, [])

        del data.clients[client.id]
        for guard in guards:
            data.guards.pop(guard, None)
        data.numbers.pop(client.number, None)
        self._add_counters(data, counters)
        data.events.pop(client.id, None)  # the rest of the item collection
        self.committed.append("delete_client")

    # --- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _foreign(data: _TenantData, drop: list[Guard], client_id: str) -> set[str]:
        """Labels of the drops refused: the guard exists and another client holds it."""
        return {f"drop-{g.field}" for g in drop if data.guards.get(g, client_id) != client_id}

    @staticmethod
    def _add_event(data: _TenantData, event: TimelineEvent) -> None:
        events = data.events.setdefault(event.client_id, [])
        events.append(event.model_copy(deep=True))
        events.sort(key=lambda e: event_sk(_ts(e.at), e.id), reverse=True)

    @staticmethod
    def _add_counters(data: _TenantData, counters: CounterDeltas) -> None:
        CounterDeltas(data.counters, data.slices).add(counters)  # adds into the fake's dicts
