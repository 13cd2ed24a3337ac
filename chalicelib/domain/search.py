"""What `GET /clients` (and a clients export) asks for: quick search, filters and a sort."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.domain.clients import ClientKind, ClientStatus, ClientType, Key, UserId


class ClientSort(StrEnum):
    NEWEST = "-created_at"
    WON = "-converted_at"
    NAME = "name"


SearchText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ClientQuery(BaseModel):
    """Quick search, filters (alone or combined) and the order of a client listing."""

    model_config = ConfigDict(extra="forbid")

    q: SearchText | None = Field(
        default=None,
        description="client number (exact), a name or legal-name word prefix, an email or "
        "a phone in any format",
    )
    type: ClientType | None = None
    stage: Key | None = None
    status: ClientStatus | None = None
    kind: ClientKind | None = None
    source: Key | None = None
    owner: UserId | None = Field(default=None, description="`me` or a user id")
    tag: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,64}$")] | None = Field(
        default=None, description="a tag id"
    )
    group: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,64}$")] | None = Field(
        default=None, description="a client group id"
    )
    created_from: date | None = Field(default=None, description="first day, tenant's time zone")
    created_to: date | None = Field(default=None, description="last day, tenant's time zone")
    sort: ClientSort = ClientSort.NEWEST

    @model_validator(mode="after")
    def _range(self) -> ClientQuery:
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValueError("created_from is after created_to")
        return self

    def filters(self) -> dict[str, object]:
        """The filters given (not the sort), by name."""
        return self.model_dump(exclude_none=True, exclude={"sort"})
