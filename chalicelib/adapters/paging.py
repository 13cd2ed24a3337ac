"""One page of a Query: the items of one kind, converted, and where the next page starts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from chalicelib.adapters.dynamo import Item, bind

I = TypeVar("I", bound=Item)  # noqa: E741
T = TypeVar("T")


def query_page(
    source: Any,
    partition: str,
    kind: type[I],
    convert: Callable[[I], T],
    *,
    limit: int,
    start: dict[str, Any] | None,
    range_condition: Any = None,
    filter_condition: Any = None,
    newest_first: bool = True,
) -> tuple[list[T], dict[str, Any] | None]:
    """Query `source` (the table's model or one of its indexes) for up to `limit` items.

    DynamoDB is asked for `limit` items per request; with a filter, a page may take more
    than one request, or come back short with a cursor.
    """
    bind()
    results = source.query(
        partition,
        range_condition,
        filter_condition=filter_condition,
        scan_index_forward=not newest_first,
        limit=limit,
        page_size=limit,
        last_evaluated_key=start,
    )
    return [convert(i) for i in results if isinstance(i, kind)], results.last_evaluated_key
