"""Fixes to moto's DynamoDB (5.2) for a long-running local server. Local stack only.

1. TransactWriteItems takes a deep copy of the WHOLE table for every operation of the
   transaction, to roll back if one fails. Every client create is a transaction of about six
   operations, so at a few thousand items each create took most of a second and seeding 400
   clients several minutes. Here the transaction keeps a copy of just the items it
   touches and puts those back if it fails: the same all-or-nothing outcome.
2. The server answers on threads, and moto's backends are not thread-safe (a write during
   another request's iteration fails with "dictionary changed size during iteration" and a
   500). Requests are served one at a time; moto holds the GIL for nearly all of it anyway.
3. Every answer goes through moto's generic, shape-driven serializer, which took most of
   the time of a read (14 ms for a BatchGetItem of three items). DynamoDB answers plain JSON,
   and moto's results for the item operations already have the wire shape: they are sent
   with `json.dumps` (2 ms); binary attributes go as base64, their wire form. Anything else
   json cannot encode still takes the generic way.
4. Every conditional write parses its condition expression, twice in a transaction (to
   validate it, then to apply it): with the same few conditions on every item
   (`attribute_not_exists(pk)`...), parsing was about a third of a conditional put's time.
   A parsed condition holds no state between evaluations, so it is kept by its text,
   names and values (up to 10,000 of them). DynamoDB does not charge time or capacity for
   a condition.
5. A Query on the table's own key sorts every item of the table, then keeps the
   partition's (0.6 s at 13,000 items, for a handful of results). Here it looks at the
   partition only; moto's own code still orders, filters and pages the results. Queries on
   an index are untouched.

`apply()` installs them into this process; the in-process moto of the tests is untouched.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

Entry = tuple[Any, Any, Any, Any]  # (table, hash key, range key or None, item before or None)
_LOCK = threading.RLock()
_PLAIN_JSON_OPERATIONS = frozenset(
    {
        "GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem",
        "BatchWriteItem", "TransactGetItems", "TransactWriteItems",
    }
)  # fmt: skip
_applied: list[bool] = []


class _TablesNotCopied:
    """Stands in for the `copy` module inside moto.dynamodb.models: `deepcopy(table)` is
    the table itself (the journal below does the rollback); everything else is copied."""

    copy = staticmethod(copy.copy)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _key_of(table: Any, op_type: str, op: dict[str, Any]) -> tuple[Any, Any]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    attrs = op["Item"] if op_type == "Put" else op["Key"]
    hash_key = DynamoType(attrs[table.hash_key_attr])
    range_key = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
    return hash_key, range_key


def _journal(backend: Any, transact_items: Iterable[dict[str, Any]]) -> list[Entry]:
    """A copy of every item the transaction may write, as it is before the transaction."""
    entries: list[Entry] = []
    for entry in transact_items:
        op_type, op = next(iter(entry.items()))
        if op_type not in ("Put", "Update", "Delete"):
            continue
        try:
            table = backend.get_table(op["TableName"])
            hash_key, range_key = _key_of(table, op_type, op)
        except Exception:  # noqa: S112 (moto itself reports the malformed operation)
            continue
        found = table.items.get(hash_key)
        before = found.get(range_key) if range_key is not None and found is not None else found
        entries.append((table, hash_key, range_key, copy.deepcopy(before)))
    return entries


def _restore(entries: list[Entry]) -> None:
    for table, hash_key, range_key, before in reversed(entries):
        partition = table.items[hash_key] if range_key is not None else table.items
        key = range_key if range_key is not None else hash_key
        if before is None:
            partition.pop(key, None)
        else:
            partition[key] = before


def _journaled(original: Callable[..., None]) -> Callable[..., None]:
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        entries = _journal(self, transact_items)
        try:
            original(self, transact_items)
        except Exception:
            _restore(entries)
            raise

    return transact_write_items


def _serialized(original: Callable[..., Any]) -> Callable[..., Any]:
    def __call__(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        with _LOCK:
            return original(self, environ, start_response)

    return __call__


def _wire(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(type(value).__name__)


def _plain_json(original: Callable[..., Any]) -> Callable[..., Any]:
    def execute_result(self: Any, context: Any) -> Any:
        if context.operation_model.name not in _PLAIN_JSON_OPERATIONS:
            return original(self, context)
        try:
            body = json.dumps(self.result, default=_wire)
        except TypeError:  # datetimes and such: the serializer knows their wire form
            return original(self, context)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    return execute_result


_MAX_CONDITIONS = 10_000


class _Parsed:
    """What moto's condition parser leaves: the expression tree and the names it used."""

    def __init__(self, tree: Any, names_found: list[str]) -> None:
        self.tree, self.names_found = tree, names_found

    def parse(self) -> Any:
        return self.tree

    @property
    def expr_attr_names_found(self) -> list[str]:
        return list(self.names_found)  # moto's caller adds to the list it gets


class _Conditions:
    """moto's condition parsing, remembered by expression text, names and values."""

    def __init__(self, create_parser: Callable[..., Any]) -> None:
        self.create_parser = create_parser
        self.parsed: dict[tuple[str, str, str], _Parsed] = {}

    def parser(self, expr: Any, names: Any, values: Any) -> Any:
        if not expr:
            return self.create_parser(expr, names, values)
        key = (expr, repr(names), repr(values))  # the same dicts from one client: same repr
        found = self.parsed.get(key)
        if found is None:
            parser = self.create_parser(expr, names, values)
            found = _Parsed(parser.parse(), list(parser.expr_attr_names_found))  # or raises
            if len(self.parsed) < _MAX_CONDITIONS:
                self.parsed[key] = found
        return found

    def filter_expression(self, expr: Any, names: Any, values: Any) -> Any:
        return self.parser(expr, names, values).parse()


def _partition_only(original: Callable[..., Any]) -> Callable[..., Any]:
    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None or not self.range_key_attr:
            return original(self, hash_key, *args, **kwargs)
        partition = list(self.items.get(hash_key, {}).values())
        self.all_items = lambda: partition  # this call only: moto's query reads all_items()
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    return query


def apply(*, parsing: bool = True) -> None:
    """Install the fixes (once). `parsing=False` leaves out 4 and 5 (bench/import.py
    measures with and without them)."""
    if _applied:
        return
    from moto.dynamodb import models
    from moto.dynamodb.responses import DynamoResult
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    models.copy = _TablesNotCopied  # type: ignore[attr-defined,assignment]
    backend = models.DynamoDBBackend
    backend.transact_write_items = _journaled(backend.transact_write_items)  # type: ignore[method-assign]
    app = DomainDispatcherApplication
    app.__call__ = _serialized(app.__call__)  # type: ignore[method-assign]
    DynamoResult.execute_result = _plain_json(DynamoResult.execute_result)  # type: ignore[method-assign]
    _applied.append(True)
    if not parsing:
        return
    from moto.dynamodb import comparisons, responses
    from moto.dynamodb.models import table

    conditions = _Conditions(comparisons.create_condition_expression_parser)
    responses.create_condition_expression_parser = conditions.parser  # type: ignore[assignment]
    table.get_filter_expression = conditions.filter_expression  # type: ignore[assignment]
    models.get_filter_expression = conditions.filter_expression  # type: ignore[attr-defined]
    table.Table.query = _partition_only(table.Table.query)  # type: ignore[method-assign]
