"""Clients, their guards, counters and timeline in DynamoDB (single table, via PynamoDB)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.operand import Path

from chalicelib.adapters import keys
from chalicelib.adapters.client_listing import run_listing
from chalicelib.adapters.dynamo import (
    ClientItem,
    ClientTagItem,
    CountersItem,
    EventItem,
    GroupItem,
    GuardItem,
    IdempotencyItem,
    Item,
    SearchItem,
    SummaryItem,
    TenantItem,
    UserItem,
    bind,
    plain,
)
from chalicelib.adapters.paging import query_page
from chalicelib.adapters.tenants_repo import default_settings, settings_from_item, user_from_item
from chalicelib.adapters.tx import Tx
from chalicelib.config import Settings, get_settings
from chalicelib.domain.clients import Address, Client
from chalicelib.domain.profile import Summary
from chalicelib.domain.search import Listing, name_key, name_words, search_values
from chalicelib.domain.stats import CounterDeltas
from chalicelib.domain.tags import Tag
from chalicelib.domain.tenants import TenantSettings, User
from chalicelib.domain.timeline import TimelineEvent
from chalicelib.services.ports import (
    Guard,
    GuardTakenError,
    IdempotencyKeyTakenError,
    IdempotencyRecord,
    NewClient,
    RowMark,
    RowMarkTakenError,
    StaleWriteError,
    WriteContext,
)

IDEMPOTENCY_TTL_SECONDS = 24 * 3600


def stored_ts(value: datetime) -> str:
    """A stored timestamp, as given (its offset kept for display)."""
    return value.isoformat(timespec="microseconds")


def sort_ts(value: datetime) -> str:
    """A timestamp in a sort key: UTC, fixed width, so text order is time order."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def guard_pk(tenant: str, guard: Guard) -> str:
    if guard.field == "email":
        return keys.email_guard_pk(tenant, guard.value)
    return keys.phone_guard_pk(tenant, guard.value)


def listing_keys(tenant: str, client: Client) -> dict[str, str | None]:
    """The client's key in every listing index (docs/data-model.md): all but GSI3 sort by
    creation, the won clients by conversion and GSI11 by name."""
    by_created = keys.created_sort(sort_ts(client.created_at), client.id)
    converted = client.converted_at
    facets = client.model_dump(mode="json", include=set(keys.FACET_INDEX))
    partitions: dict[int, str | None] = {
        1: keys.clients_by_tenant(tenant),
        2: keys.clients_by_owner(tenant, client.owner_id),
        9: keys.clients_by_group(tenant, client.group_id) if client.group_id else None,
    }
    for facet, n in keys.FACET_INDEX.items():
        value = facets.get(facet)
        partitions[n] = keys.clients_by_facet(tenant, facet, value) if value else None
    found: dict[str, str | None] = {}
    for n, partition in partitions.items():
        found[f"gsi{n}pk"] = partition
        found[f"gsi{n}sk"] = by_created if partition else None
    found["gsi10pk"] = keys.won_clients(tenant) if converted else None
    found["gsi10sk"] = keys.time_sort(sort_ts(converted), client.id) if converted else None
    found["gsi11pk"] = keys.clients_by_name(tenant)
    found["gsi11sk"] = f"{name_key(client.name)}#{client.id}"
    return found


def client_to_item(tenant: str, client: Client, *, new: bool = False) -> ClientItem:
    """The item for `client`. A `new` one has no version yet: PynamoDB then writes it
    under `attribute_not_exists(version)` as version 1."""
    created = sort_ts(client.created_at)
    versioned: dict[str, Any] = {} if new else {"version": client.version}
    item = ClientItem(
        keys.client_pk(tenant, client.id),
        keys.CLIENT_SK,
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
        converted_at=stored_ts(client.converted_at) if client.converted_at else None,
        student_id=client.student_id,
        group_id=client.group_id,
        created_at=created,
        updated_at=stored_ts(client.updated_at),
        created_by=client.created_by,
        guarded=client.guarded or None,
        last_visit_at=sort_ts(client.last_visit_at) if client.last_visit_at else None,
        **versioned,
    )
    for name, value in listing_keys(tenant, client).items():
        setattr(item, name, value)
    return item


def client_from_item(item: ClientItem) -> Client:
    address = plain(item.address)
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
        custom=plain(item.custom) or {},
        converted_at=datetime.fromisoformat(item.converted_at) if item.converted_at else None,
        student_id=item.student_id,
        group_id=item.group_id,
        created_at=datetime.fromisoformat(item.created_at),
        updated_at=datetime.fromisoformat(item.updated_at),
        created_by=item.created_by,
        version=int(item.version or 0),
        guarded=list(item.guarded or []),
        last_visit_at=datetime.fromisoformat(item.last_visit_at) if item.last_visit_at else None,
    )


def event_to_item(tenant: str, event: TimelineEvent) -> EventItem:
    at = sort_ts(event.at)
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
        reason=event.reason,
        subject=event.subject,
        subject_id=(event.subject or {}).get("id"),
        private_for=event.private_for,
    )


def event_from_item(item: EventItem) -> TimelineEvent:
    return TimelineEvent(
        id=item.event_id,
        client_id=item.client_id,
        at=datetime.fromisoformat(item.at),
        actor_id=item.actor_id,
        actor_name=item.actor_name,
        action=item.action,
        changes=plain(item.changes) or {},
        reason=item.reason,
        subject=plain(item.subject),
        private_for=item.private_for,
    )


def _counter_actions(counters: dict[str, int]) -> list[Any]:
    # An update may create the counters item: it must carry its discriminator too.
    adds = [Path(name).add(delta) for name, delta in sorted(counters.items())]
    return [Path("entity").set("counters"), *adds]


def deferred_counts(deltas: CounterDeltas) -> tuple[list[str], str]:
    """A new client's statistics as its idempotency record keeps them until its import
    chunk counts them: the counters it adds 1 to, and its owner (its slice has no group:
    an import's batch creates take no group)."""
    ((owner, group), in_slice), *others = deltas.slices.items()
    if others or group is not None or in_slice != deltas.tenant or set(in_slice.values()) != {1}:
        raise ValueError(f"not the statistics of one new client without a group: {deltas}")
    return sorted(deltas.tenant), owner


def counted_deltas(counted: list[str], owner: str) -> CounterDeltas:
    """What `deferred_counts` kept, as the deltas to apply."""
    ones = dict.fromkeys(counted, 1)
    return CounterDeltas(tenant=ones, slices={(owner, None): dict(ones)})


def add_statistics(tx: Tx, tenant: str, deltas: CounterDeltas) -> None:
    """Add `deltas` to the organisation's counters and each slice's, within `tx`."""
    if deltas.tenant:
        item = CountersItem(keys.tenant_pk(tenant), keys.COUNTERS_SK)
        tx.update("statistics", item, _counter_actions(deltas.tenant))
    _slice_counters(tx, tenant, deltas)


def _slice_counters(tx: Tx, tenant: str, deltas: CounterDeltas) -> None:
    """The statistics of each owner-and-group slice a write moves (docs/data-model.md)."""
    for (owner, group), delta in sorted(deltas.slices.items(), key=str):
        item = CountersItem(keys.tenant_pk(tenant), keys.slice_counters_sk(owner, group))
        tx.update(f"slice:{owner}:{group}", item, _counter_actions(delta))


def search_items(tenant: str, client: Client) -> dict[str, SearchItem]:
    """The client's quick-search entries, by sort key."""
    words = name_words(client.name, client.legal_name)
    items = {}
    for kind, value in sorted(search_values(client)):
        sk = keys.search_sk(kind, value)
        items[sk] = SearchItem(
            keys.client_pk(tenant, client.id),
            sk,
            gsi3pk=keys.search_partition(tenant, kind, value),
            gsi3sk=f"{value}#{client.id}",
            client_id=client.id,
            value=value,
            words=words if kind == "W" else None,
        )
    return items


def _search_changes(tx: Tx, tenant: str, before: Client | None, after: Client) -> None:
    """Entries the change adds or drops; every word entry again when the words changed (each
    carries all of them, for the other search terms)."""
    old = search_items(tenant, before) if before is not None else {}
    new = search_items(tenant, after)
    words_changed = before is None or name_words(before.name, before.legal_name) != name_words(
        after.name, after.legal_name
    )
    for sk in sorted(old.keys() - new.keys()):
        tx.delete(f"search-drop:{sk}", old[sk])
    for sk, item in new.items():
        if sk not in old or (words_changed and item.words is not None):
            tx.put(f"search:{sk}", item)


def _counts(raw: dict[str, Any]) -> dict[str, int]:
    """The `n_*` attributes of a raw counters item (kept flat, outside the model's fields)."""
    return {name: int(value["N"]) for name, value in raw.items() if name.startswith("n_")}


def summary_to_item(tenant: str, client_id: str, summary: Summary) -> SummaryItem:
    versioned: dict[str, Any] = {"version": summary.version} if summary.version else {}
    return SummaryItem(
        keys.client_pk(tenant, client_id),
        keys.SUMMARY_SK,
        client_id=client_id,
        open_tasks=summary.open_tasks,
        scheduled=summary.scheduled,
        recent_done=summary.recent_done,
        **versioned,
    )


def summary_from_item(item: SummaryItem) -> Summary:
    return Summary(
        open_tasks=int(item.open_tasks or 0),
        scheduled=plain(item.scheduled) or {},
        recent_done=plain(item.recent_done) or {},
        version=int(item.version or 0),
    )


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

    def get_profile(self, tenant: str, client_id: str) -> tuple[Client | None, Summary, list[Tag]]:
        """The client, its summary and its tags: one Query of the collection's head."""
        bind()
        client, summary, tags = None, Summary(), []
        head = Item.query(
            keys.client_pk(tenant, client_id), Item.sk.startswith(keys.PROFILE_PREFIX)
        )
        for item in head:
            if isinstance(item, ClientItem):
                client = client_from_item(item)
            elif isinstance(item, SummaryItem):
                summary = summary_from_item(item)
            elif isinstance(item, ClientTagItem):
                tags.append(Tag(id=item.tag_id, name=item.name, color=item.color))
        return client, summary, tags

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

    def search_clients(
        self, listing: Listing, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Client], dict[str, Any] | None]:
        bind()
        return run_listing(listing, limit, start)

    def get_counters(self, tenant: str) -> dict[str, int]:
        """The organisation's statistics: one GetItem (read raw: the `n_*` attributes are
        not fields of the model)."""
        bind()
        reply = Item._get_connection().get_item(keys.tenant_pk(tenant), keys.COUNTERS_SK)
        return _counts(reply.get("Item") or {})

    def get_slice_counters(
        self, tenant: str
    ) -> list[tuple[tuple[str, str | None], dict[str, int]]]:
        """Every owner-and-group slice's statistics: one Query of the tenant's partition."""
        bind()
        prefix = keys.SLICE_COUNTERS_PREFIX
        found = []
        start = None
        while True:
            page = Item._get_connection().query(
                keys.tenant_pk(tenant),
                range_key_condition=Item.sk.startswith(prefix),
                exclusive_start_key=start,
            )
            for raw in page.get("Items", []):
                owner, _, group = raw["SK"]["S"].removeprefix(prefix).rpartition("#")
                found.append(((owner, None if group == "-" else group), _counts(raw)))
            start = page.get("LastEvaluatedKey")
            if start is None:
                return found

    def group_exists(self, tenant: str, group_id: str) -> bool:
        bind()
        try:
            GroupItem.get(keys.tenant_pk(tenant), keys.group_sk(group_id))
        except (DoesNotExist, ValueError):
            return False
        return True

    def list_events(
        self,
        tenant: str,
        client_id: str,
        limit: int,
        start: dict[str, Any] | None,
        private_visible_to: str | None = None,
    ) -> tuple[list[TimelineEvent], dict[str, Any] | None]:
        """Newest first. With `private_visible_to`, events about private activities of
        other responsibles are filtered out (the page may then come back short, with a
        cursor)."""
        bind()
        hide_private = None
        if private_visible_to is not None:
            hide_private = EventItem.private_for.does_not_exist() | (
                EventItem.private_for == private_visible_to
            )
        return query_page(
            Item,
            keys.client_pk(tenant, client_id),
            EventItem,
            event_from_item,
            range_condition=Item.sk.startswith(keys.EVENT_PREFIX),
            filter_condition=hide_private,
            limit=limit,
            start=start,
        )

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
        counters: CounterDeltas,
        idempotency: IdempotencyRecord | None,
    ) -> None:
        """One transaction: client, guards, number, counters, timeline event, idempotency."""
        tx = Tx()
        self._put_new(tx, tenant, client, event, guards, idempotency, "")
        self._advance_sequence(tx, tenant, client.number - 1, client.number, counters)
        self._raise_for(tx.commit(), guards)

    def create_clients(
        self, tenant: str, new: list[NewClient], counters: CounterDeltas, seq_before: int
    ) -> None:
        """Several clients in ONE transaction (an import's batch of creates): numbers
        `seq_before + 1…`, each with its guards, event, summary and idempotency record.
        Any refusal refuses them all: IdempotencyKeyTakenError, GuardTakenError (guards not
        told apart), StaleWriteError."""
        tx = Tx()
        for i, entry in enumerate(new):
            prefix = f"{i}:"
            self._put_new(
                tx, tenant, entry.client, entry.event, entry.guards, entry.idempotency, prefix
            )
        self._advance_sequence(tx, tenant, seq_before, seq_before + len(new), counters)
        failed = {label.split(":", 1)[-1] for label in tx.commit()}
        if "idempotency" in failed:
            raise IdempotencyKeyTakenError()
        if failed & {"email", "phone"}:
            raise GuardTakenError([])
        if failed:
            raise StaleWriteError(", ".join(sorted(failed)))

    def _put_new(
        self,
        tx: Tx,
        tenant: str,
        client: Client,
        event: TimelineEvent,
        guards: list[Guard],
        idempotency: IdempotencyRecord | None,
        prefix: str,
    ) -> None:
        item = client_to_item(tenant, client, new=True)
        tx.put(f"{prefix}client", item, Item.pk.does_not_exist())
        for guard in guards:
            tx.put(
                f"{prefix}{guard.field}",
                self._guard_item(tenant, guard, client.id),
                Item.pk.does_not_exist(),
            )
        number_guard = GuardItem(
            keys.number_guard_pk(tenant, client.number),
            keys.GUARD_SK,
            client_id=client.id,
            field="number",
        )
        tx.put(f"{prefix}number", number_guard, Item.pk.does_not_exist())
        tx.put(f"{prefix}event", event_to_item(tenant, event))
        summary = summary_to_item(tenant, client.id, Summary())
        tx.put(f"{prefix}summary", summary, Item.pk.does_not_exist())
        if idempotency is not None:
            record = IdempotencyItem(
                keys.idempotency_pk(tenant, idempotency.user_id, idempotency.key),
                keys.IDEMPOTENCY_SK,
                request_hash=idempotency.request_hash,
                client_id=client.id,
                expires_at=int(time.time()) + IDEMPOTENCY_TTL_SECONDS,
            )
            if idempotency.deferred is not None:
                record.counted, record.counted_owner = deferred_counts(idempotency.deferred)
            tx.put(f"{prefix}idempotency", record, Item.pk.does_not_exist())
        _search_changes(tx, tenant, None, client)

    def _advance_sequence(
        self, tx: Tx, tenant: str, expected: int, last: int, counters: CounterDeltas
    ) -> None:
        seq_condition = (
            CountersItem.client_seq.does_not_exist()
            if expected == 0
            else CountersItem.client_seq == expected
        )
        actions = [CountersItem.client_seq.set(last), *_counter_actions(counters.tenant)]
        tx.update("sequence", self._counters(tenant), actions, seq_condition)
        _slice_counters(tx, tenant, counters)

    def _raise_for(self, failed: set[str], guards: list[Guard]) -> None:
        if not failed:
            return
        if "idempotency" in failed:
            raise IdempotencyKeyTakenError()
        if "mark" in failed:
            raise RowMarkTakenError()
        taken = [g for g in guards if g.field in failed]
        if taken:
            raise GuardTakenError(taken)
        raise StaleWriteError(", ".join(sorted(failed)))

    def _drop_guard(self, tx: Tx, tenant: str, guard: Guard, client_id: str) -> None:
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
        counters: CounterDeltas,
        mark: RowMark | None = None,
    ) -> None:
        """One transaction, conditional on the version that was read (with an import's row
        mark, under `attribute_not_exists`, when an import makes the change)."""
        tx = Tx()
        # Conditional on the version read; PynamoDB writes version + 1.
        item = client_to_item(tenant, after.model_copy(update={"version": before.version}))
        tx.put("client", item)
        for guard in drop_guards:
            self._drop_guard(tx, tenant, guard, before.id)
        for guard in add_guards:
            tx.put(guard.field, self._guard_item(tenant, guard, after.id), Item.pk.does_not_exist())
        tx.put("event", event_to_item(tenant, event))
        if counters.tenant:
            tx.update("counters", self._counters(tenant), _counter_actions(counters.tenant))
        _slice_counters(tx, tenant, counters)
        _search_changes(tx, tenant, before, after)
        if mark is not None:
            from chalicelib.adapters.imports_repo import mark_item

            tx.put("mark", mark_item(tenant, mark), Item.pk.does_not_exist())
        self._raise_for(tx.commit(), add_guards)

    def delete_client(
        self, tenant: str, client: Client, guards: list[Guard], counters: CounterDeltas
    ) -> None:
        """The client and its guards go in one transaction; the rest of its collection after."""
        tx = Tx()
        item = client_to_item(tenant, client)
        tx.delete("client", item)
        for guard in guards:
            self._drop_guard(tx, tenant, guard, client.id)
        number = GuardItem(keys.number_guard_pk(tenant, client.number), keys.GUARD_SK)
        tx.delete("number", number)
        if counters.tenant:
            tx.update("counters", self._counters(tenant), _counter_actions(counters.tenant))
        _slice_counters(tx, tenant, counters)
        for sk, entry in search_items(tenant, client).items():
            tx.delete(f"search-drop:{sk}", entry)
        self._raise_for(tx.commit(), [])
        self._delete_collection(tenant, client.id)

    def _delete_collection(self, tenant: str, client_id: str) -> None:
        pk = keys.client_pk(tenant, client_id)
        with Item.batch_write() as batch:
            for item in Item.query(pk, attributes_to_get=["PK", "SK", "entity"]):
                batch.delete(item)
