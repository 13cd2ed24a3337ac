"""Tenant settings and the user directory."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from chalicelib.domain.catalogs import (
    MAX_CUSTOM_FIELDS,
    MAX_SOURCES,
    MAX_STAGES,
    CustomField,
    Source,
    Stage,
    TypeIcons,
    VisitRecency,
    VisitRecencyUpdate,
    checked_unique,
    upgrade_lists,
)
from chalicelib.domain.clients import EmailText, Name, checked_email
from chalicelib.domain.contact import is_valid_region
from chalicelib.domain.model import Model
from chalicelib.domain.principal import Role


class Language(StrEnum):
    ES = "es"
    EN = "en"


def _checked_timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an IANA time zone such as 'Europe/Madrid'") from exc
    return value


def _checked_region(value: str | None) -> str | None:
    if value is not None and not is_valid_region(value):
        raise ValueError(f"{value!r} is not a phone region such as 'ES' or 'AR'")
    return value


Region = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class TenantSettings(Model):
    tenant_id: str
    name: str = ""
    timezone: str = "Europe/Madrid"
    language: Language = Language.ES
    default_phone_region: str = "ES"
    allow_duplicates: bool = False
    import_max_mb: int = Field(default=50, ge=1, le=200, description="upload limit of imports")
    work_order_horizon_days: int = Field(
        default=30, ge=1, le=365, description="how far ahead recurring work orders are created"
    )
    visit_recency: VisitRecency = Field(default_factory=VisitRecency)
    stages: list[Stage] = Field(default_factory=list, max_length=MAX_STAGES)
    sources: list[Source] = Field(default_factory=list, max_length=MAX_SOURCES)
    type_icons: TypeIcons = Field(default_factory=TypeIcons)
    custom_fields: list[CustomField] = Field(default_factory=list, max_length=MAX_CUSTOM_FIELDS)
    version: int = 0

    # Settings saved before stages and sources were objects held their keys only; missing
    # lists take the defaults, stage labels in the organisation's language.
    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        return upgrade_lists(data)

    @model_validator(mode="after")
    def _unique_keys(self) -> TenantSettings:
        checked_unique(self.stages, "stage")
        checked_unique(self.sources, "source")
        checked_unique(self.custom_fields, "custom field")
        self.stages.sort(key=lambda s: (s.order, s.key))
        return self

    def stage_keys(self) -> list[str]:
        return [s.key for s in self.stages]

    def source_keys(self) -> list[str]:
        return [s.key for s in self.sources]


class SettingsUpdate(Model):
    """Body of `PATCH /settings` (admin)."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    timezone: str | None = None
    language: Language | None = None
    default_phone_region: Region | None = None
    allow_duplicates: bool | None = None
    import_max_mb: int | None = Field(default=None, ge=1, le=200)
    work_order_horizon_days: int | None = Field(default=None, ge=1, le=365)
    visit_recency: VisitRecencyUpdate | None = None

    _tz = field_validator("timezone")(_checked_timezone)
    _region = field_validator("default_phone_region")(_checked_region)

    @field_validator(
        "name",
        "timezone",
        "language",
        "default_phone_region",
        "allow_duplicates",
        "import_max_mb",
        "work_order_horizon_days",
        "visit_recency",
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be cleared")
        return value


class User(Model):
    """A person of the tenant, as the directory knows them."""

    user_id: str
    name: str
    email: str | None = None
    role: Role
    language: Language | None = None
    timezone: str | None = None


class UserUpsert(Model):
    """Body of `PUT /users/{id}` (admin)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    email: EmailText | None = None
    role: Role
    language: Language | None = None
    timezone: str | None = None

    _tz = field_validator("timezone")(_checked_timezone)
    _email = field_validator("email")(checked_email)


class MeUpdate(Model):
    """Body of `PATCH /me`: one's own name, language, time zone and email for reminders."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    email: EmailText | None = Field(default=None, description="where reminders are sent")
    language: Language | None = None
    timezone: str | None = Field(default=None, description="IANA; null: the organisation's")

    _tz = field_validator("timezone")(_checked_timezone)
    _email = field_validator("email")(checked_email)

    @field_validator("name")
    @classmethod
    def _name_not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("cannot be cleared")
        return value


class UserList(Model):
    items: list[User]
