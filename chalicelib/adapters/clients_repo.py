"""Clients, their guards, counters and timeline in DynamoDB (single table, via PynamoDB)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import (
    ClientItem,
    CountersItem,
    EventItem,
    GuardItem,
    IdempotencyItem,
    Item,
    TenantItem,
    UserItem,
    bind,
)
from chalicelib.adapters.tenants_repo import default_settings, settings_from_item, user_from_item
from chalicelib.config import Settings, get_settings
from chalicelib.domain.clients import Address, Client
from chalicelib.domain.tenants import TenantSettings, User
from chalicelib.domain.timeline import TimelineEvent
from chalicelib.services.ports import (
    Guard,
    GuardTakenError,
    IdempotencyKeyTakenError,
    IdempotencyRecord,
    StaleWriteError,
    WriteContext,
)

IDEMPOTENCY_TTL_SECONDS = 24 * 3600


def _ts(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


def guard_pk(tenant: str, guard: Guard) -> str:
    if guard.field == "email":
        return keys.email_guard_pk(tenant, guard.value)
    return keys.phone_guard_pk(tenant, guard.value)


def client_to_item(tenant: str, client: Client, *, new: bool = False) -> ClientItem:
    """The item for `client`. A `new` one has no version yet: PynamoDB then writes it
    under `attribute_not_exists(version)` as version 1."""
    created = _ts(client.created_at)
    versioned: dict[str, Any] = {} if new else {"version": client.version}
    return ClientItem(
        keys.client_pk(tenant, client.id),
        keys.CLIENT_SK,
        gsi1pk=keys.clients_by_tenant(tenant),
        gsi1sk=keys.created_sort(created, client.id),
        gsi2pk=keys.clients_by_owner(tenant, client.owner_id),
        gsi2sk=keys.created_sort(created, client.id),
        client_id=client.id,
        number=client.number,
        name=client.name,
        legal_name=client.legal_name,
        email=client.email,
        phone=client.phone,
        phone_display=client.phone_display,
        address=client.address.model_dump(exclude_none=True) if client.address else None,
        type=client.type.value,
        kind=client.kind.value,
        stage=client.stage,
        source=client.source,
        status=client.status.value,
        owner_id=client.owner_id,
        owner_name=client.owner_name,
        notes=client.notes,
        stars=client.stars,
        custom=client.custom or None,
        created_at=created,
        updated_at=_ts(client.updated_at),
        created_by=client.created_by,
        guarded=client.guarded or None,
        **versioned,
    )


def _plain(value: Any) -> Any:
    """PynamoDB's raw MapAttribute → plain dicts and numbers."""
    if hasattr(value, "as_dict"):
        value = value.as_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def client_from_item(item: ClientItem) -> Client:
    address = _plain(item.address)
    return Client(
        id=item.client_id,
        number=int(item.number),
        name=item.name,
        legal_name=item.legal_name,
        email=item.email,
        phone=item.phone,
        phone_display=item.phone_display,
        address=Address.model_validate(address) if address else None,
        type=item.type,
        kind=item.kind,
        stage=item.stage,
        source=item.source,
        status=item.status,
        owner_id=item.owner_id,
        owner_name=item.owner_name,
        notes=item.notes,
        stars=int(item.stars or 0),
        custom=_plain(item.custom) or {},
        created_at=datetime.fromisoformat(item.created_at),
        updated_at=datetime.fromisoformat(item.updated_at),
        created_by=item.created_by,
        version=int(item.version or 0),
        guarded=list(item.guarded or []),
    )


def event_to_item(tenant: str, event: TimelineEvent) -> EventItem:
    at = _ts(event.at)
    return EventItem(
        keys.client_pk(tenant, event.client_id),
        keys.event_sk(at, event.id),
        event_id=event.id,
        client_id=event.client_id,
        at=at,
        actor_id=event.actor_id,
        actor_name=event.actor_name,
        action=event.action,
        changes=event.changes or None,
    )


def event_from_item(item: EventItem) -> TimelineEvent:
    return TimelineEvent(
        id=item.event_id,
        client_id=item.client_id,
        at=datetime.fromisoformat(item.at),
        actor_id=item.actor_id,
        actor_name=item.actor_name,
        action=item.action,
        changes=_plain(item.changes) or {},
    )


class _Tx:
    """A TransactWrite whose operations carry labels, so a refusal can say which failed.

    DynamoDB reports one cancellation reason per operation, in the order PynamoDB sends
    them: condition checks, deletes, puts, updates.
    """

    _ORDER = ("delete", "put", "update")

    def __init__(self) -> None:
        self._ops: list[tuple[str, str, Callable[[TransactWrite], None]]] = []

    def put(self, label: str, item: Item, condition: Condition | None = None) -> None:
        self._ops.append(("put", label, lambda tx: tx.save(item, condition=condition)))

    def delete(self, label: str, item: Item, condition: Condition | None = None) -> None:
        self._ops.append(("delete", label, lambda tx: tx.delete(item, condition=condition)))

    def update(self, label: str, item: Item, actions: list[Any], condition: Any = None) -> None:
        op = ("update", label, lambda tx: tx.update(item, actions=actions, condition=condition))
        self._ops.append(op)

    def commit(self) -> set[str]:
        """Write; on refusal return the labels whose condition failed (empty: success)."""
        try:
            with TransactWrite(connection=bind()) as tx:
                for _, _, apply in self._ops:
                    apply(tx)
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            order = [label for kind in self._ORDER for k, label, _ in self._ops if k == kind]
            codes = [r.code if r is not None else None for r in reasons]
            failed = {
                label
                for label, code in zip(order, codes, strict=False)
                if code == "ConditionalCheckFailed"
            }
            if failed:
                return failed
            if "TransactionConflict" in codes:
                raise StaleWriteError("concurrent transaction") from exc
            raise
        return set()


def _counter_actions(counters: dict[str, int]) -> list[Any]:
    # An update may create the counters item: it must carry its discriminator too.
    adds = [Path(name).add(delta) for name, delta in sorted(counters.items())]
    return [Path("entity").set("counters"), *adds]


class DynamoClientRepository:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    # --- reads -----------------------------------------------------------------------------

    def _context_from(
        self, tenant: str, found: Iterable[Item], user_ids: list[str]
    ) -> tuple[WriteContext, list[Item]]:
        settings: TenantSettings | None = None
        seq = 0
        users: dict[str, User] = {}
        rest: list[Item] = []
        for item in found:
            if isinstance(item, TenantItem):
                settings = settings_from_item(tenant, item)
            elif isinstance(item, CountersItem):
                seq = int(item.client_seq or 0)
            elif isinstance(item, UserItem) and item.user_id in user_ids:
                users[item.user_id] = user_from_item(item)
            else:
                rest.append(item)
        if settings is None:
            settings = default_settings(tenant, self.settings)
        return WriteContext(settings=settings, client_seq=seq, users=users), rest

    def _context_keys(self, tenant: str, user_ids: list[str]) -> list[tuple[str, str]]:
        pk = keys.tenant_pk(tenant)
        wanted = [(pk, keys.TENANT_SK), (pk, keys.COUNTERS_SK)]
        wanted += [(pk, keys.user_sk(u)) for u in dict.fromkeys(user_ids)]
        return wanted

    def load_context(self, tenant: str, user_ids: list[str]) -> WriteContext:
        bind()
        found = Item.batch_get(self._context_keys(tenant, user_ids))
        return self._context_from(tenant, found, user_ids)[0]

    def get_client(self, tenant: str, client_id: str) -> Client | None:
        bind()
        try:
            item = ClientItem.get(keys.client_pk(tenant, client_id), keys.CLIENT_SK)
        except (DoesNotExist, ValueError):
            return None
        return client_from_item(item)

    def get_client_with_context(
        self, tenant: str, client_id: str, user_ids: list[str]
    ) -> tuple[Client | None, WriteContext]:
        """The client and the tenant's write context in one BatchGetItem."""
        bind()
        wanted = [(keys.client_pk(tenant, client_id), keys.CLIENT_SK)]
        found = Item.batch_get(wanted + self._context_keys(tenant, user_ids))
        context, rest = self._context_from(tenant, found, user_ids)
        clients = [client_from_item(i) for i in rest if isinstance(i, ClientItem)]
        return (clients[0] if clients else None), context

    def list_clients(
        self, tenant: str, owner_id: str | None, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Client], dict[str, Any] | None]:
        bind()
        index: GlobalSecondaryIndex[Item]
        if owner_id is None:
            index, partition = Item.by_tenant, keys.clients_by_tenant(tenant)
        else:
            index, partition = Item.by_owner, keys.clients_by_owner(tenant, owner_id)
        results = index.query(
            partition,
            scan_index_forward=False,
            limit=limit,
            page_size=limit,
            last_evaluated_key=start,
        )
        clients = [client_from_item(i) for i in results if isinstance(i, ClientItem)]
        return clients, results.last_evaluated_key

    def list_events(
        self, tenant: str, client_id: str, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[TimelineEvent], dict[str, Any] | None]:
        bind()
        results = Item.query(
            keys.client_pk(tenant, client_id),
            Item.sk.startswith("EV#"),
            scan_index_forward=False,
            limit=limit,
            page_size=limit,
            last_evaluated_key=start,
        )
        events = [event_from_item(i) for i in results if isinstance(i, EventItem)]
        return events, results.last_evaluated_key

    def guard_holders(self, tenant: str, guards: list[Guard]) -> list[tuple[Guard, Client | None]]:
        """Which client holds each guarded value (two BatchGetItems)."""
        bind()
        by_pk = {guard_pk(tenant, g): g for g in guards}
        holders: dict[str, str] = {}
        for item in Item.batch_get([(pk, keys.GUARD_SK) for pk in by_pk]):
            if isinstance(item, GuardItem):
                holders[item.pk] = item.client_id
        clients: dict[str, Client] = {}
        wanted = {(keys.client_pk(tenant, cid), keys.CLIENT_SK) for cid in holders.values()}
        for item in Item.batch_get(list(wanted)):
            if isinstance(item, ClientItem):
                clients[item.client_id] = client_from_item(item)
        return [(g, clients.get(holders.get(pk, ""))) for pk, g in by_pk.items()]

    def get_idempotency(self, tenant: str, user_id: str, key: str) -> IdempotencyRecord | None:
        bind()
        try:
            item = IdempotencyItem.get(
                keys.idempotency_pk(tenant, user_id, key), keys.IDEMPOTENCY_SK
            )
        except (DoesNotExist, ValueError):
            return None
        if item.expires_at < time.time():
            return None
        return IdempotencyRecord(user_id, key, item.request_hash, item.client_id)

    # --- writes ----------------------------------------------------------------------------

    def _guard_item(self, tenant: str, guard: Guard, client_id: str) -> GuardItem:
        return GuardItem(
            guard_pk(tenant, guard), keys.GUARD_SK, client_id=client_id, field=guard.field
        )

    def _counters(self, tenant: str) -> CountersItem:
        return CountersItem(keys.tenant_pk(tenant), keys.COUNTERS_SK)

    def create_client(
        self,
        tenant: str,
        client: Client,
        event: TimelineEvent,
        guards: list[Guard],
        counters: dict[str, int],
        idempotency: IdempotencyRecord | None,
    ) -> None:
        """One transaction: client, guards, number, counters, timeline event, idempotency."""
        tx = _Tx()
        item = client_to_item(tenant, client, new=True)
        tx.put("client", item, Item.pk.does_not_exist())
        for guard in guards:
            tx.put(
                guard.field, self._guard_item(tenant, guard, client.id), Item.pk.does_not_exist()
            )
        number_guard = GuardItem(
            keys.number_guard_pk(tenant, client.number),
            keys.GUARD_SK,
            client_id=client.id,
            field="number",
        )
        tx.put("number", number_guard, Item.pk.does_not_exist())
        tx.put("event", event_to_item(tenant, event))
        if idempotency is not None:
            record = IdempotencyItem(
                keys.idempotency_pk(tenant, idempotency.user_id, idempotency.key),
                keys.IDEMPOTENCY_SK,
                request_hash=idempotency.request_hash,
                client_id=client.id,
                expires_at=int(time.time()) + IDEMPOTENCY_TTL_SECONDS,
            )
            tx.put("idempotency", record, Item.pk.does_not_exist())
        expected = client.number - 1
        seq_condition = (
            CountersItem.client_seq.does_not_exist()
            if expected == 0
            else CountersItem.client_seq == expected
        )
        actions = [CountersItem.client_seq.set(client.number), *_counter_actions(counters)]
        tx.update("sequence", self._counters(tenant), actions, seq_condition)
        self._raise_for(tx.commit(), guards)

    def _raise_for(self, failed: set[str], guards: list[Guard]) -> None:
        if not failed:
            return
        if "idempotency" in failed:
            raise IdempotencyKeyTakenError()
        taken = [g for g in guards if g.field in failed]
        if taken:
            raise GuardTakenError(taken)
        raise StaleWriteError(", ".join(sorted(failed)))

    def _drop_guard(self, tx: _Tx, tenant: str, guard: Guard, client_id: str) -> None:
        item = GuardItem(guard_pk(tenant, guard), keys.GUARD_SK)
        mine = Item.pk.does_not_exist() | (GuardItem.client_id == client_id)
        tx.delete(f"drop-{guard.field}", item, mine)

    def update_client(
        self,
        tenant: str,
        before: Client,
        after: Client,
        event: TimelineEvent,
        add_guards: list[Guard],
        drop_guards: list[Guard],
        counters: dict[str, int],
    ) -> None:
        """One transaction, conditional on the version that was read."""
        tx = _Tx()
        # Conditional on the version read; PynamoDB writes version + 1.
        item = client_to_item(tenant, after.model_copy(update={"version": before.version}))
        tx.put("client", item)
        for guard in drop_guards:
            self._drop_guard(tx, tenant, guard, before.id)
        for guard in add_guards:
            tx.put(guard.field, self._guard_item(tenant, guard, after.id), Item.pk.does_not_exist())
        tx.put("event", event_to_item(tenant, event))
        if counters:
            tx.update("counters", self._counters(tenant), _counter_actions(counters))
        self._raise_for(tx.commit(), add_guards)

    def delete_client(
        self, tenant: str, client: Client, guards: list[Guard], counters: dict[str, int]
    ) -> None:
        """The client and its guards go in one transaction; the rest of its collection after."""
        tx = _Tx()
        item = client_to_item(tenant, client)
        tx.delete("client", item)
        for guard in guards:
            self._drop_guard(tx, tenant, guard, client.id)
        number = GuardItem(keys.number_guard_pk(tenant, client.number), keys.GUARD_SK)
        tx.delete("number", number)
        if counters:
            tx.update("counters", self._counters(tenant), _counter_actions(counters))
        self._raise_for(tx.commit(), [])
        self._delete_collection(tenant, client.id)

    def _delete_collection(self, tenant: str, client_id: str) -> None:
        pk = keys.client_pk(tenant, client_id)
        with Item.batch_write() as batch:
            for item in Item.query(pk, attributes_to_get=["PK", "SK", "entity"]):
                batch.delete(item)
