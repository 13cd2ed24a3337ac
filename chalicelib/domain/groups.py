"""Client groups: a name and the users assigned; clients join one by their `group_id`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, field_validator

from chalicelib.domain.clients import Name, UserId
from chalicelib.domain.model import Model

UserIds = Annotated[list[UserId], Field(max_length=200)]


def _distinct(value: list[str] | None) -> list[str] | None:
    return None if value is None else list(dict.fromkeys(value))


class Group(Model):
    id: str
    name: str
    user_ids: list[str] = Field(description="the users who see the group's clients")
    created_at: datetime
    version: int = 1


class GroupCreate(Model):
    """Body of `POST /groups` (admin)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    user_ids: UserIds = Field(default_factory=list)

    _users = field_validator("user_ids")(_distinct)


class GroupUpdate(Model):
    """Body of `PATCH /groups/{id}` (admin): only the fields present change."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    user_ids: UserIds | None = None

    _users = field_validator("user_ids")(_distinct)

    @field_validator("name", "user_ids")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("cannot be cleared")
        return value


class GroupList(Model):
    items: list[Group]
