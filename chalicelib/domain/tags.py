"""Tags: a tenant's catalogue of labels with colours, set on clients."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.domain.model import Model
from chalicelib.domain.tasks import Color

TagName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
TagId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class TagCreate(Model):
    model_config = ConfigDict(extra="forbid")

    name: TagName
    color: Color = "#9e9e9e"


class TagUpdate(Model):
    model_config = ConfigDict(extra="forbid")

    name: TagName | None = None
    color: Color | None = None


class TagRef(Model):
    """A tag as a client shows it."""

    id: str
    name: str
    color: str


class Tag(TagRef):
    """A tag of the catalogue."""

    version: int = 1


class TagList(Model):
    items: list[Tag]


class ClientTagList(Model):
    items: list[TagRef]


class ClientTags(Model):
    """Body of `PUT /clients/{id}/tags`: the client's tags, all of them."""

    model_config = ConfigDict(extra="forbid")

    tag_ids: list[TagId] = Field(max_length=50)


def tag_key(name: str) -> str:
    """What makes two tag names the same: case-insensitive."""
    return " ".join(name.casefold().split())
