"""The client record: what may be written (Create / Update) and what is returned (Client)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
    computed_field,
    field_validator,
)

from chalicelib.domain.contact import normalize_email
from chalicelib.domain.model import Model


class ClientType(StrEnum):
    LEAD = "lead"
    PROSPECT = "prospect"
    CLIENT = "client"
    VIP = "vip"


class ClientKind(StrEnum):
    CUSTOMER = "customer"
    COLLABORATOR = "collaborator"
    OTHER = "other"


class ClientStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


DEFAULT_STAGES = ("contact", "prospect", "visiting", "negotiation", "won", "lost")
DEFAULT_SOURCES = ("referral", "web", "direct", "competition", "other")

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
UserId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@:-]{1,128}$")]
GroupId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,64}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=10_000)]
PhoneText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40)]
EmailText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)]
CustomKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


def _custom_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        if len(value) > 2000:
            raise ValueError("text longer than 2000 characters")
        return value
    raise ValueError("must be text, a number, true/false or null")


CustomValue = Annotated[
    Any,
    PlainValidator(_custom_value),
    WithJsonSchema({"type": ["string", "number", "boolean", "null"]}),
]
Stars = Annotated[int, Field(ge=0, le=3)]


class Address(Model):
    model_config = ConfigDict(extra="forbid")

    street: ShortText | None = None
    city: ShortText | None = None
    region: ShortText | None = None
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = (
        None
    )
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = Field(
        default=None, description="ISO 3166-1 alpha-2 code"
    )
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lng: Annotated[float, Field(ge=-180, le=180)] | None = None


def checked_email(value: str | None) -> str | None:
    return None if value is None else normalize_email(value)


def _checked_custom(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None and len(value) > 50:
        raise ValueError("at most 50 custom fields")
    return value


class ClientCreate(Model):
    """Body of `POST /clients`."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    legal_name: ShortText | None = None
    email: EmailText | None = None
    phone: PhoneText | None = Field(
        default=None, description="any format; national numbers use the tenant's region"
    )
    address: Address | None = None
    type: ClientType = ClientType.LEAD
    kind: ClientKind = ClientKind.CUSTOMER
    stage: Key | None = Field(
        default=None, description="one of the organisation's stages; default: its first"
    )
    source: Key | None = None
    status: ClientStatus = ClientStatus.ACTIVE
    owner_id: UserId | None = Field(default=None, description="defaults to the creator")
    group_id: GroupId | None = Field(
        default=None, description="a client group (admin or manager); its users see the client"
    )
    notes: LongText | None = None
    stars: Stars = 0
    custom: dict[CustomKey, CustomValue] | None = None

    _email = field_validator("email")(checked_email)
    _custom = field_validator("custom")(_checked_custom)


class ClientUpdate(Model):
    """Body of `PATCH /clients/{id}`: only the fields present change; null clears one."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    legal_name: ShortText | None = None
    email: EmailText | None = None
    phone: PhoneText | None = None
    address: Address | None = None
    type: ClientType | None = None
    kind: ClientKind | None = None
    stage: Key | None = None
    source: Key | None = None
    status: ClientStatus | None = None
    owner_id: UserId | None = None
    group_id: GroupId | None = None
    notes: LongText | None = None
    stars: Stars | None = None
    custom: dict[CustomKey, CustomValue] | None = None
    version: int | None = Field(
        default=None, ge=1, description="the version you read; a stale one is a 409"
    )

    _email = field_validator("email")(checked_email)
    _custom = field_validator("custom")(_checked_custom)

    @field_validator("name", "type", "kind", "stage", "status", "stars")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be cleared")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the caller sent, except the version they read."""
        return {name: getattr(self, name) for name in self.model_fields_set if name != "version"}


# Fields a write may change, and so the ones a timeline event compares.
EDITABLE_FIELDS = (
    "name",
    "legal_name",
    "email",
    "phone",
    "phone_display",
    "address",
    "type",
    "kind",
    "stage",
    "source",
    "status",
    "owner_id",
    "group_id",
    "notes",
    "stars",
    "custom",
    "converted_at",
    "student_id",
)


class Client(Model):
    """A client as stored and as returned."""

    id: str
    number: int
    name: str
    legal_name: str | None = None
    email: str | None = None
    phone: str | None = Field(default=None, description="E.164")
    phone_display: str | None = Field(default=None, description="as it was typed")
    address: Address | None = None
    type: ClientType
    kind: ClientKind
    stage: str
    source: str | None = None
    status: ClientStatus
    owner_id: str
    owner_name: str | None = None
    group_id: str | None = None
    notes: str | None = None
    stars: int = 0
    custom: dict[str, Any] = Field(default_factory=dict)
    converted_at: datetime | None = Field(default=None, description="when it became a client")
    student_id: str | None = Field(default=None, description="linked academic record")
    last_visit_at: datetime | None = Field(
        default=None, description="when the latest completed work order was done (read-only)"
    )
    created_at: datetime
    updated_at: datetime
    created_by: str
    version: int
    guarded: list[str] = Field(
        default_factory=list,
        exclude=True,
        description="which of email / phone this client holds the uniqueness guard of",
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def whatsapp_url(self) -> str | None:
        return f"https://wa.me/{self.phone.lstrip('+')}" if self.phone else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def mailto_url(self) -> str | None:
        return f"mailto:{self.email}" if self.email else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def tel_url(self) -> str | None:
        return f"tel:{self.phone}" if self.phone else None

    def editable(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", include=set(EDITABLE_FIELDS))
        return {name: data.get(name) for name in EDITABLE_FIELDS}


class ClientPage(Model):
    items: list[Client]
    next_cursor: str | None = None


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`{field: {before, after}}` for every field whose value differs."""
    empty: tuple[Any, ...] = (None, "", {}, [])
    return {
        name: {"before": before.get(name), "after": after.get(name)}
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
        and not (before.get(name) in empty and after.get(name) in empty)
    }


class StageChange(Model):
    """Body of `POST /clients/{id}/stage`: any stage to any stage, with an optional reason."""

    model_config = ConfigDict(extra="forbid")

    stage: Key
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class StarsChange(Model):
    model_config = ConfigDict(extra="forbid")

    stars: Stars


class StudentLink(Model):
    """A reference to a record in another system (the school's academic module)."""

    model_config = ConfigDict(extra="forbid")

    student_id: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
