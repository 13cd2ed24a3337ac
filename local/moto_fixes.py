"""Three fixes to moto's DynamoDB (5.2) for a long-running local server. Local stack only.

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
   with `json.dumps` (2 ms). Anything json cannot encode still takes the generic way.

`apply()` installs all three into this process; the in-process moto of the tests is untouched.
"""

from __future__ import annotations

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
            before = table.get_item(hash_key, range_key)
        except Exception:  # noqa: S112 (moto itself reports the malformed operation)
            continue
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


def _plain_json(original: Callable[..., Any]) -> Callable[..., Any]:
    def execute_result(self: Any, context: Any) -> Any:
        if context.operation_model.name not in _PLAIN_JSON_OPERATIONS:
            return original(self, context)
        try:
            body = json.dumps(self.result)
        except TypeError:  # bytes, datetimes: the serializer knows their wire form
            return original(self, context)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    return execute_result


def apply() -> None:
    """Install the three fixes (once)."""
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
