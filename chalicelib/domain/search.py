"""What `GET /clients` (and a clients export) asks for: quick search, filters and a sort."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from chalicelib.domain.clients import ClientKind, ClientStatus, ClientType, Key, UserId
from chalicelib.domain.contact import normalize_email, normalize_phone
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.model import Model

if TYPE_CHECKING:
    from chalicelib.domain.clients import Client


class ClientSort(StrEnum):
    NEWEST = "-created_at"
    WON = "-converted_at"
    NAME = "name"


SearchText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ClientQuery(Model):
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


# --- quick search ----------------------------------------------------------------------------

MAX_WORDS = 12  # name words indexed per client
MAX_WORD = 40
_WORD = re.compile(r"[a-z0-9]+")
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+$")


def fold(text: str) -> str:
    """Lower case without accents: "José Núñez" → "jose nunez"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words_of(text: str) -> list[str]:
    return [w[:MAX_WORD] for w in _WORD.findall(fold(text))]


def name_words(name: str, legal_name: str | None) -> list[str]:
    """The words a client is found by, in order, each once."""
    found = words_of(name) + words_of(legal_name or "")
    return list(dict.fromkeys(found))[:MAX_WORDS]


def name_key(name: str) -> str:
    """The name as it sorts: folded, single spaces."""
    return " ".join(words_of(name))[:200]


def search_values(client: Client) -> set[tuple[str, str]]:
    """(kind, value) of every quick-search entry of a client: `W` name words, `E` its email,
    `P` its phone (E.164)."""
    values = {("W", w) for w in name_words(client.name, client.legal_name)}
    if client.email:
        values.add(("E", client.email.casefold()))
    if client.phone:
        values.add(("P", client.phone))
    return values


@dataclass(frozen=True)
class Search:
    """How a quick search is served: `kind` N (client number), P (phone), E (email prefix)
    or W (name words: the longest drives the index, the others must match too)."""

    kind: str
    value: str
    others: tuple[str, ...] = ()


def plan_search(q: str, region: str | None) -> Search:
    """What `q` asks for. `region` is needed only for a national phone number; without it,
    such a query is planned as `P?` (the caller reads the region and plans again)."""
    text = q.strip()
    digits = re.sub(r"\D", "", text)
    if text.lstrip("#").isdigit() and len(digits) <= 7 and not text.startswith("0"):
        return Search("N", str(int(digits)))
    if "@" in text:
        try:
            return Search("E", normalize_email(text).casefold())
        except ValueError:
            return Search("E", text.casefold())
    if _PHONE_CHARS.match(text) and len(digits) >= 6:
        if region is None and not text.startswith("+"):
            return Search("P?", text)
        try:
            return Search("P", normalize_phone(text, region or "ZZ"))
        except InvalidInputError:
            pass
    terms = sorted(dict.fromkeys(words_of(text)), key=len, reverse=True)
    if not terms:
        return Search("W", "")
    return Search("W", terms[0], tuple(terms[1:]))


def matches_words(words: list[str], search: Search) -> bool:
    """Every other term is a prefix of some word of the client."""
    return all(any(w.startswith(t) for w in words) for t in search.others)


def first_match(words: list[str], prefix: str) -> str | None:
    """The first of a client's words the driving term finds: only that entry counts, so a
    client with two such words ("Ana Anabel") is listed once."""
    return next((w for w in words if w.startswith(prefix)), None)


@dataclass(frozen=True)
class Visibility:
    """Whose clients a sales user sees: their own and those of their groups."""

    user_id: str
    groups: tuple[str, ...]

    def sees(self, client: Client) -> bool:
        return client.owner_id == self.user_id or client.group_id in self.groups


@dataclass(frozen=True)
class Listing:
    """A client listing as the repository is asked for it: the query with `owner=me`
    resolved, the created range as instants (from inclusive, to exclusive), whose clients
    the caller may see (None: all) and the planned quick search."""

    tenant: str
    query: ClientQuery
    created_range: tuple[datetime | None, datetime | None] = (None, None)
    visibility: Visibility | None = None
    search: Search | None = None
