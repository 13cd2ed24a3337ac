"""Transactions whose operations carry labels, so a refusal can say which condition failed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamo import Item, bind
from chalicelib.services.ports import StaleWriteError


class Tx:
    """A TransactWrite whose operations carry labels.

    DynamoDB reports one cancellation reason per operation, in the order PynamoDB sends
    them: condition checks, deletes, puts, updates.
    """

    _ORDER = ("check", "delete", "put", "update")

    def __init__(self) -> None:
        self._ops: list[tuple[str, str, Callable[[TransactWrite], None]]] = []

    def put(self, label: str, item: Item, condition: Condition | None = None) -> None:
        self._ops.append(("put", label, lambda tx: tx.save(item, condition=condition)))

    def check(self, label: str, item: Item, condition: Condition) -> None:
        """A condition on an item the transaction does not write."""
        cls, key = type(item), (item.pk, item.sk)
        op = ("check", label, lambda tx: tx.condition_check(cls, *key, condition=condition))
        self._ops.append(op)

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

    def commit_or_stale(self) -> None:
        """Write; any failed condition means someone changed what was read."""
        failed = self.commit()
        if failed:
            raise StaleWriteError(", ".join(sorted(failed)))
