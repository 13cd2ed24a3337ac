"""Tenant settings and the user directory."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from chalicelib.domain.clients import (
    DEFAULT_SOURCES,
    DEFAULT_STAGES,
    EmailText,
    Name,
    checked_email,
)
from chalicelib.domain.contact import is_valid_region
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


class TenantSettings(BaseModel):
    tenant_id: str
    name: str = ""
    timezone: str = "Europe/Madrid"
    language: Language = Language.ES
    default_phone_region: str = "ES"
    allow_duplicates: bool = False
    import_max_mb: int = 50
    stages: list[str] = Field(default_factory=lambda: list(DEFAULT_STAGES))
    sources: list[str] = Field(default_factory=lambda: list(DEFAULT_SOURCES))
    version: int = 0


class SettingsUpdate(BaseModel):
    """Body of `PATCH /settings` (admin)."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    timezone: str | None = None
    language: Language | None = None
    default_phone_region: Region | None = None
    allow_duplicates: bool | None = None
    import_max_mb: int | None = Field(default=None, ge=1, le=200)

    _tz = field_validator("timezone")(_checked_timezone)
    _region = field_validator("default_phone_region")(_checked_region)


class User(BaseModel):
    """A person of the tenant, as the directory knows them."""

    user_id: str
    name: str
    email: str | None = None
    role: Role
    language: Language | None = None
    timezone: str | None = None


class UserUpsert(BaseModel):
    """Body of `PUT /users/{id}` (admin)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    email: EmailText | None = None
    role: Role
    language: Language | None = None
    timezone: str | None = None

    _tz = field_validator("timezone")(_checked_timezone)
    _email = field_validator("email")(checked_email)


class MeUpdate(BaseModel):
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


class UserList(BaseModel):
    items: list[User]
