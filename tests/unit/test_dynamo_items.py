"""The table's items serialize and take their defaults exactly as PynamoDB's own code
would (chalicelib/adapters/dynamo.py walks only what is set, for speed)."""

from __future__ import annotations

from typing import Any

import pytest
from pynamodb.attributes import (
    AttributeContainer,
    BinaryAttribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import AttributeNullError

from chalicelib.adapters import dynamo


def _item_classes() -> list[type[dynamo.Item]]:
    found, todo = [], [dynamo.Item]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _sample(attr: Any, n: int) -> Any:
    if isinstance(attr, VersionAttribute | NumberAttribute):
        return n
    if isinstance(attr, BooleanAttribute):
        return n % 2 == 0
    if isinstance(attr, BinaryAttribute):
        return bytes([n])
    if isinstance(attr, ListAttribute):
        return [f"v{n}", f"w{n}"]
    if isinstance(attr, MapAttribute):
        return {"k": f"v{n}", "n": n}
    assert isinstance(attr, UnicodeAttribute), attr
    return f"value {n}"


CLASSES = [c for c in _item_classes() if c is not dynamo.Item]


def _defaults(cls: type[dynamo.Item], set_defaults: Any) -> dict[str, Any]:
    blank = cls.__new__(cls)
    blank.attribute_values = {}
    set_defaults(blank)
    return dict(blank.attribute_values)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_item_serializes_and_takes_defaults_as_pynamodb_would(
    cls: type[dynamo.Item],
) -> None:
    assert _defaults(cls, cls._set_defaults) == _defaults(cls, AttributeContainer._set_defaults)
    writable = {n: a for n, a in cls.get_attributes().items() if n != cls._discriminator}
    full = cls(**{n: _sample(a, i) for i, (n, a) in enumerate(writable.items())})
    sparse = cls(**{n: _sample(a, i) for i, (n, a) in enumerate(writable.items()) if not a.null})
    for item in (full, sparse):
        assert item.serialize() == AttributeContainer._container_serialize(item)
    values = {n: _sample(a, i) for i, (n, a) in enumerate(writable.items())}
    theirs = cls.__new__(cls)
    theirs.attribute_values = {}
    AttributeContainer._set_attributes(theirs, **values)
    ours = cls.__new__(cls)
    ours.attribute_values = {}
    ours._set_attributes(**values)
    assert ours.attribute_values.keys() == theirs.attribute_values.keys()
    # (maps compare by identity, not content: compare what they serialize to)
    serialized = AttributeContainer._container_serialize
    assert serialized(ours, null_check=False) == serialized(theirs, null_check=False)
    with pytest.raises(ValueError, match="does not exist"):
        ours._set_attributes(no_such_attribute=1)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_a_missing_required_attribute_is_refused_as_pynamodb_would(
    cls: type[dynamo.Item],
) -> None:
    item = cls("pk", "sk")
    missing = [
        n for n, a in cls.get_attributes().items() if not a.null and getattr(item, n) is None
    ]
    if not missing:
        return
    with pytest.raises(AttributeNullError) as theirs:
        AttributeContainer._container_serialize(item)
    with pytest.raises(AttributeNullError) as ours:
        item.serialize()
    assert str(ours.value) == str(theirs.value)
