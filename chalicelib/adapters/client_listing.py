"""Client listings: filters, quick search and the sales user's "own + groups" view, each
served by an index designed for it (docs/data-model.md).

A listing reads one or more *sources* (a partition of a GSI, in index order). Several
sources (a sales user's own clients and each of their groups') are merged by their common
sort key. Filters that do not choose the index are applied by DynamoDB (FilterExpression),
and a page is filled across requests. The cursor holds, per source, the key of the last
item used (or "done"), so no item is skipped or repeated between pages.

Quick search and the tag filter read entries (search entries, tag links) and then the
clients they point at with one BatchGetItem per page.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import GlobalSecondaryIndex

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import ClientItem, ClientTagItem, GuardItem, Item, SearchItem, bind
from chalicelib.domain.clients import Client
from chalicelib.domain.search import (
    ClientSort,
    Listing,
    Search,
    Visibility,
    first_match,
    matches_words,
)

DONE = "done"
MAX_ENTRY_READS = 20  # pages of entries one search page may read before it answers short
RawKey = dict[str, dict[str, str]]


@dataclass(frozen=True)
class Source:
    name: str  # its name in the cursor
    number: int  # the GSI's number: its key attributes are GSI<n>PK / GSI<n>SK
    partition: str
    range_condition: Any = None
    filter_condition: Any = None
    newest_first: bool = True

    @property
    def index(self) -> GlobalSecondaryIndex[Item]:
        return _index(self.number)

    def sort_value(self, item: Item) -> str:
        return str(getattr(item, f"gsi{self.number}sk"))

    def key_of(self, item: Item) -> RawKey:
        return {
            "PK": {"S": item.pk},
            "SK": {"S": item.sk},
            f"GSI{self.number}PK": {"S": self.partition},
            f"GSI{self.number}SK": {"S": self.sort_value(item)},
        }


def _visible_condition(seen_by: Visibility) -> Any:
    mine = ClientItem.owner_id == seen_by.user_id
    return mine | ClientItem.group_id.is_in(*seen_by.groups) if seen_by.groups else mine


@dataclass
class _Stream:
    """One source read lazily, in index order, remembering where it stands."""

    source: Source
    start: RawKey | None
    page_size: int
    buffer: deque[tuple[Item, RawKey | None]] = field(default_factory=deque)
    exhausted: bool = False

    def __post_init__(self) -> None:
        self.position: RawKey | None = self.start

    def _fetch(self) -> None:
        """One Query request: `page_size` items read, those passing the filter kept. (A
        filtered page may keep none; the stream then asks again, from where it stopped.)"""
        bind()
        src = self.source
        results = src.index.query(
            src.partition,
            src.range_condition,
            filter_condition=src.filter_condition,
            scan_index_forward=not src.newest_first,
            page_size=self.page_size,
            last_evaluated_key=self.position,
        )
        page = next(results.page_iter)
        items = [Item.from_raw_data(raw) for raw in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        for n, item in enumerate(items):
            after = last if n == len(items) - 1 else src.key_of(item)
            self.buffer.append((item, after))
        if not items:
            self.position = last
        if last is None:
            self.exhausted = True

    def peek(self) -> Item | None:
        while not self.buffer and not self.exhausted:
            self._fetch()
        return self.buffer[0][0] if self.buffer else None

    def take(self) -> Item:
        item, after = self.buffer.popleft()
        self.position = after
        if after is None:
            self.exhausted = True
        return item

    def state(self) -> RawKey | str:
        if self.exhausted and not self.buffer:
            return DONE
        return self.position or {}


def _cursor(streams: list[_Stream]) -> dict[str, Any] | None:
    states = {s.source.name: s.state() for s in streams}
    if all(v == DONE for v in states.values()):
        return None
    return states


def _start_of(cursor: dict[str, Any] | None, name: str) -> RawKey | str | None:
    if cursor is None:
        return None
    value = cursor.get(name, DONE)
    return value or None


def merge(
    sources: list[Source], limit: int, cursor: dict[str, Any] | None
) -> tuple[list[Item], dict[str, Any] | None]:
    """Up to `limit` items of `sources`, merged in their common index order."""
    streams = []
    for source in sources:
        start = _start_of(cursor, source.name)
        if start == DONE:
            continue
        streams.append(_Stream(source, start if isinstance(start, dict) else None, limit))
    if not streams:
        return [], None
    out: list[Item] = []
    while len(out) < limit:
        heads = [(s.source.sort_value(i), n) for n, s in enumerate(streams) if (i := s.peek())]
        if not heads:
            break
        newest_first = streams[0].source.newest_first
        _, n = max(heads) if newest_first else min(heads)
        out.append(streams[n].take())
    return out, _cursor(streams)


# --- planning --------------------------------------------------------------------------------


def _facet_partition(tenant: str, value: str, *, facet: str) -> str:
    return keys.clients_by_facet(tenant, facet, value)


_FACETS: list[tuple[str, int, Callable[[str, str], str]]] = [
    # filter, GSI number, partition; in the order they are preferred to drive a listing
    ("group", 9, keys.clients_by_group),
    ("owner", 2, keys.clients_by_owner),
    *[
        (facet, keys.FACET_INDEX[facet], functools.partial(_facet_partition, facet=facet))
        for facet in ("source", "stage", "type", "kind", "status")
    ],
]
_FILTER_ATTRS = {
    "group": "group_id",
    "owner": "owner_id",
    "source": "source",
    "stage": "stage",
    "type": "type",
    "kind": "kind",
    "status": "status",
}


def _index(number: int) -> GlobalSecondaryIndex[Item]:
    index: GlobalSecondaryIndex[Item] = getattr(Item, f"gsi{number}")
    return index


def _iso(value: datetime) -> str:
    from chalicelib.adapters.clients_repo import sort_ts

    return sort_ts(value)


def _and(conditions: list[Any]) -> Any:
    result = None
    for condition in conditions:
        result = condition if result is None else result & condition
    return result


def filter_values(listing: Listing) -> dict[str, str]:
    q = listing.query
    values = {
        "group": q.group,
        "owner": q.owner,
        "source": q.source,
        "stage": q.stage,
        "type": q.type.value if q.type else None,
        "kind": q.kind.value if q.kind else None,
        "status": q.status.value if q.status else None,
    }
    return {k: v for k, v in values.items() if v is not None}


def _conditions(values: dict[str, str], listing: Listing, skip: set[str]) -> list[Any]:
    conditions = [
        getattr(ClientItem, _FILTER_ATTRS[name]) == value
        for name, value in values.items()
        if name not in skip
    ]
    low, high = listing.created_range
    if "created" not in skip:
        if low is not None:
            conditions.append(ClientItem.created_at >= _iso(low))
        if high is not None:
            conditions.append(ClientItem.created_at < _iso(high))
    return conditions


def _created_range(number: int, listing: Listing) -> Any:
    low, high = listing.created_range
    attr = getattr(Item, f"gsi{number}sk")
    if low is not None and high is not None:
        return attr.between(_iso(low), _iso(high))
    if low is not None:
        return attr >= _iso(low)
    if high is not None:
        return attr < _iso(high)
    return None


def _by_created(
    name: str, number: int, partition: str, listing: Listing, filters: list[Any]
) -> Source:
    return Source(
        name,
        number,
        partition,
        range_condition=_created_range(number, listing),
        filter_condition=_and(filters),
    )


def plan_sources(listing: Listing) -> list[Source]:
    """The sources of a listing without quick search or tag (see the module's docstring)."""
    tenant, sort = listing.tenant, listing.query.sort
    values = filter_values(listing)
    seen_by = listing.visibility
    if sort is not ClientSort.NEWEST:
        conditions = _conditions(values, listing, set())
        if seen_by is not None:
            conditions.append(_visible_condition(seen_by))
        if sort is ClientSort.NAME:
            return [
                Source(
                    "name",
                    11,
                    keys.clients_by_name(tenant),
                    None,
                    _and(conditions),
                    newest_first=False,
                )
            ]
        return [Source("won", 10, keys.won_clients(tenant), None, _and(conditions))]

    if seen_by is not None and "owner" not in values and "group" not in values:
        # A sales user's own clients and each of their groups' (without their own again).
        rest = _conditions(values, listing, {"created"})
        sources = [
            _by_created("own", 2, keys.clients_by_owner(tenant, seen_by.user_id), listing, rest)
        ]
        for group in seen_by.groups:
            not_mine = [*rest, ClientItem.owner_id != seen_by.user_id]
            partition = keys.clients_by_group(tenant, group)
            sources.append(_by_created(f"g:{group}", 9, partition, listing, not_mine))
        return sources

    for name, number, partition_of in _FACETS:
        if name in values:
            rest = _conditions(values, listing, {name, "created"})
            if seen_by is not None:
                rest.append(_visible_condition(seen_by))
            partition = partition_of(tenant, values[name])
            return [_by_created(name, number, partition, listing, rest)]
    rest = _conditions(values, listing, {"created"})
    return [_by_created("all", 1, keys.clients_by_tenant(tenant), listing, rest)]


# --- entries → clients (quick search, tag) ---------------------------------------------------


def _clients_by_id(tenant: str, ids: list[str]) -> dict[str, Client]:
    from chalicelib.adapters.clients_repo import client_from_item

    wanted = [(keys.client_pk(tenant, cid), keys.CLIENT_SK) for cid in dict.fromkeys(ids)]
    found: dict[str, Client] = {}
    for start in range(0, len(wanted), 100):
        for item in Item.batch_get(wanted[start : start + 100]):
            if isinstance(item, ClientItem):
                found[item.client_id] = client_from_item(item)
    return found


def _client_filter(listing: Listing) -> Callable[[Client], bool]:
    values = filter_values(listing)
    low, high = listing.created_range
    seen_by = listing.visibility

    def keep(client: Client) -> bool:
        data = client.model_dump(mode="json", include=set(_FILTER_ATTRS.values()))
        for name, value in values.items():
            if data.get(_FILTER_ATTRS[name]) != value:
                return False
        if low is not None and client.created_at < low:
            return False
        if high is not None and client.created_at >= high:
            return False
        return seen_by is None or seen_by.sees(client)

    return keep


def entries_page(
    source: Source,
    client_of: Callable[[Item], str | None],
    listing: Listing,
    limit: int,
    cursor: dict[str, Any] | None,
) -> tuple[list[Client], dict[str, Any] | None]:
    """Clients pointed at by the entries of `source` that pass the listing's filters: a page
    of entries, one BatchGetItem of their clients, again while the page is not full."""
    start = _start_of(cursor, source.name)
    if start == DONE:
        return [], None
    stream = _Stream(source, start if isinstance(start, dict) else None, limit)
    keep = _client_filter(listing)
    out: list[Client] = []
    for _ in range(MAX_ENTRY_READS):
        batch: list[tuple[str | None, RawKey | None]] = []
        while len(batch) < limit and stream.peek() is not None:
            item = stream.take()
            batch.append((client_of(item), stream.position))
        if not batch:
            break
        clients = _clients_by_id(listing.tenant, [cid for cid, _ in batch if cid])
        for client_id, after in batch:
            client = clients.get(client_id or "")
            if client is not None and keep(client):
                out.append(client)
            if len(out) == limit:  # full: the next page starts after this entry
                return out, {source.name: after or DONE} if after or stream.peek() else None
        if stream.peek() is None:
            break
    return out, _cursor([stream])


def search_source(listing: Listing, search: Search) -> Source:
    tenant = listing.tenant
    partition = keys.search_partition(tenant, search.kind, search.value)
    if search.kind == "P":
        condition = Item.gsi3sk.startswith(f"{search.value}#")
    else:
        condition = Item.gsi3sk.startswith(search.value)
    return Source("q", 3, partition, condition, newest_first=False)


def search_entry_client(search: Search) -> Callable[[Item], str | None]:
    def client_of(item: Item) -> str | None:
        if not isinstance(item, SearchItem):
            return None
        if search.kind == "W":
            words = list(item.words or [])
            if first_match(words, search.value) != item.value:
                return None  # the client's earlier word found it already
            if not matches_words(words, search):
                return None
        return item.client_id

    return client_of


def tag_source(listing: Listing, tag_id: str) -> Source:
    partition = keys.clients_with_tag(listing.tenant, tag_id)
    return Source("tag", 3, partition, _created_range(3, listing))


def tag_link_client(item: Item) -> str | None:
    return item.client_id if isinstance(item, ClientTagItem) else None


def by_number(listing: Listing, number: int) -> list[Client]:
    bind()
    try:
        guard = GuardItem.get(keys.number_guard_pk(listing.tenant, number), keys.GUARD_SK)
    except (DoesNotExist, ValueError):
        return []
    client = _clients_by_id(listing.tenant, [guard.client_id]).get(guard.client_id)
    return [client] if client is not None and _client_filter(listing)(client) else []


def items_to_clients(items: list[Item]) -> Iterator[Client]:
    from chalicelib.adapters.clients_repo import client_from_item

    return (client_from_item(i) for i in items if isinstance(i, ClientItem))


def run_listing(
    listing: Listing, limit: int, cursor: dict[str, Any] | None
) -> tuple[list[Client], dict[str, Any] | None]:
    search, q = listing.search, listing.query
    if search is not None:
        if search.kind == "N":
            return (by_number(listing, int(search.value)) if cursor is None else []), None
        if not search.value:
            return [], None
        return entries_page(
            search_source(listing, search), search_entry_client(search), listing, limit, cursor
        )
    if q.tag is not None:
        return entries_page(tag_source(listing, q.tag), tag_link_client, listing, limit, cursor)
    items, next_cursor = merge(plan_sources(listing), limit, cursor)
    return list(items_to_clients(items)), next_cursor
