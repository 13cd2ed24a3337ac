"""An organisation's configurable lists: pipeline stages, contact sources, client types' map
icons, custom client fields; the visit-recency thresholds; and the check of a client's
`custom` values against the custom field definitions.

Every list has stable keys: a key is given on creation and never changes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from chalicelib.domain.clients import Key, checked_email
from chalicelib.domain.errors import FieldProblem, InvalidInputError
from chalicelib.domain.model import Model
from chalicelib.domain.tasks import Color

MAX_STAGES = 30
MAX_SOURCES = 50
MAX_CUSTOM_FIELDS = 50
MAX_OPTIONS = 100


def _checked_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValueError(f"{value!r} is not a web address starting with http:// or https://")
    return value


IconUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(_checked_url),
]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
SortOrder = Annotated[int, Field(ge=0, le=10_000)]
FieldKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
OptionText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("cannot be cleared")
    return value


# --- pipeline stages -----------------------------------------------------------------------

# key → (Spanish label, English label, colour)
_STAGE_DEFAULTS: dict[str, tuple[str, str, str]] = {
    "contact": ("Contacto", "Contact", "#9e9e9e"),
    "prospect": ("Prospecto", "Prospect", "#2196f3"),
    "visiting": ("Visitando", "Visiting", "#ff9800"),
    "negotiation": ("Negociación", "Negotiation", "#9c27b0"),
    "won": ("Ganado", "Won", "#4caf50"),
    "lost": ("Perdido", "Lost", "#f44336"),
}


def _exclusive_outcome(won: bool | None, lost: bool | None) -> None:
    if won and lost:
        raise ValueError("a stage cannot be both won and lost")


class Stage(Model):
    """A stage of the sales pipeline."""

    key: Key
    label: Label
    color: Color = Field(description="#RRGGBB")
    order: SortOrder
    won: bool = False
    lost: bool = False

    @model_validator(mode="after")
    def _one_outcome(self) -> Stage:
        _exclusive_outcome(self.won, self.lost)
        return self


class StageCreate(Model):
    """Body of `POST /settings/stages`."""

    model_config = ConfigDict(extra="forbid")

    key: Key = Field(description="stable: it never changes")
    label: Label
    color: Color = "#9e9e9e"
    order: SortOrder | None = Field(default=None, description="default: after the last one")
    won: bool = False
    lost: bool = False

    @model_validator(mode="after")
    def _one_outcome(self) -> StageCreate:
        _exclusive_outcome(self.won, self.lost)
        return self


class StageUpdate(Model):
    """Body of `PATCH /settings/stages/{key}`: the fields sent change; the key does not."""

    model_config = ConfigDict(extra="forbid")

    label: Label | None = None
    color: Color | None = None
    order: SortOrder | None = None
    won: bool | None = None
    lost: bool | None = None

    _present = field_validator("label", "color", "order", "won", "lost")(_not_null)


def default_stages(language: str) -> list[Stage]:
    english = language == "en"
    return [
        Stage(
            key=key,
            label=names[1] if english else names[0],
            color=names[2],
            order=n,
            won=key == "won",
            lost=key == "lost",
        )
        for n, (key, names) in enumerate(_STAGE_DEFAULTS.items(), start=1)
    ]


def relabelled_stages(stages: list[Stage], before: str, after: str) -> list[Stage]:
    """The stages after the organisation's language changed: a built-in stage still labelled
    as it came in the old language takes its label in the new one; labels an admin chose
    stay."""
    index = {"es": 0, "en": 1}
    relabelled = []
    for stage in stages:
        names = _STAGE_DEFAULTS.get(stage.key)
        if names is not None and stage.label == names[index.get(before, 0)]:
            stage = stage.model_copy(update={"label": names[index.get(after, 0)]})
        relabelled.append(stage)
    return relabelled


def _upgraded_stage(raw: Any, n: int, language: str) -> Any:
    """A stage stored as a bare key (settings saved before stages were objects)."""
    if not isinstance(raw, str):
        return raw
    es, en, color = _STAGE_DEFAULTS.get(raw, (raw, raw, "#9e9e9e"))
    label = en if language == "en" else es
    won, lost = raw == "won", raw == "lost"
    return {"key": raw, "label": label, "color": color, "order": n, "won": won, "lost": lost}


# --- contact sources -----------------------------------------------------------------------

_SOURCE_DEFAULTS: dict[str, tuple[str, str]] = {
    "referral": ("Recomendación", "Referral"),
    "web": ("Web", "Website"),
    "direct": ("Directo", "Direct"),
    "competition": ("Competencia", "Competition"),
    "other": ("Otro", "Other"),
}


class Source(Model):
    """Where a contact came from. Built-in ones cannot be deleted."""

    key: Key
    builtin: bool = False
    name_es: Label
    name_en: Label
    icon_url: str | None = None


class SourceCreate(Model):
    """Body of `POST /settings/sources`: a custom source."""

    model_config = ConfigDict(extra="forbid")

    key: Key = Field(description="stable: it never changes")
    name_es: Label
    name_en: Label
    icon_url: IconUrl

    @field_validator("key")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == "none":
            raise ValueError("'none' is reserved (it counts the clients without a source)")
        return value


class SourceUpdate(Model):
    """Body of `PATCH /settings/sources/{key}`."""

    model_config = ConfigDict(extra="forbid")

    name_es: Label | None = None
    name_en: Label | None = None
    icon_url: IconUrl | None = None

    _present = field_validator("name_es", "name_en")(_not_null)


def default_sources() -> list[Source]:
    return [
        Source(key=key, builtin=True, name_es=es, name_en=en)
        for key, (es, en) in _SOURCE_DEFAULTS.items()
    ]


def _upgraded_source(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    es, en = _SOURCE_DEFAULTS.get(raw, (raw, raw))
    return {"key": raw, "builtin": raw in _SOURCE_DEFAULTS, "name_es": es, "name_en": en}


# --- client types' map icons ---------------------------------------------------------------


class TypeIcons(Model):
    """The map icon of each client type (null: the map's default marker). Also the body of
    `PUT /settings/type-icons`, which sets all four."""

    model_config = ConfigDict(extra="forbid")

    lead: IconUrl | None = None
    prospect: IconUrl | None = None
    client: IconUrl | None = None
    vip: IconUrl | None = None


# --- visit recency -------------------------------------------------------------------------

Days = Annotated[int, Field(ge=1, le=3650)]


class VisitRecency(Model):
    """How the map colours clients by their last visit: within `recent_days` is recent,
    after `overdue_days` overdue, in between due."""

    model_config = ConfigDict(extra="forbid")

    recent_days: Days = 30
    overdue_days: Days = 90

    @model_validator(mode="after")
    def _ordered(self) -> VisitRecency:
        if self.recent_days >= self.overdue_days:
            raise ValueError(
                f"recent_days ({self.recent_days}) must be less than "
                f"overdue_days ({self.overdue_days})"
            )
        return self


class VisitRecencyUpdate(Model):
    """Part of `PATCH /settings`: the thresholds sent change, the other stays."""

    model_config = ConfigDict(extra="forbid")

    recent_days: Days | None = None
    overdue_days: Days | None = None

    _present = field_validator("recent_days", "overdue_days")(_not_null)


# --- custom client fields ------------------------------------------------------------------


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    EMAIL = "email"
    URL = "url"
    DATE = "date"
    SELECT = "select"


def _checked_options(field_type: FieldType, options: list[str]) -> None:
    if field_type is FieldType.SELECT:
        if not options:
            raise ValueError("a select field needs at least one option")
        folded = [o.casefold() for o in options]
        if len(set(folded)) != len(folded):
            raise ValueError("options must be different from one another")
    elif options:
        raise ValueError(f"only a select field has options, not a {field_type.value} field")


class CustomField(Model):
    """The definition of a custom client field."""

    key: FieldKey
    label: Label
    type: FieldType
    options: list[OptionText] = Field(default_factory=list, max_length=MAX_OPTIONS)
    required: bool = False


class CustomFieldCreate(Model):
    """Body of `POST /settings/custom-fields`."""

    model_config = ConfigDict(extra="forbid")

    key: FieldKey = Field(description="stable: the key of the value in a client's `custom`")
    label: Label
    type: FieldType
    options: list[OptionText] = Field(
        default_factory=list, max_length=MAX_OPTIONS, description="the choices of a select"
    )
    required: bool = False

    @model_validator(mode="after")
    def _options_fit(self) -> CustomFieldCreate:
        _checked_options(self.type, self.options)
        return self


class CustomFieldUpdate(Model):
    """Body of `PATCH /settings/custom-fields/{key}`. Values clients hold already are checked
    against a changed definition only when they are written again."""

    model_config = ConfigDict(extra="forbid")

    label: Label | None = None
    type: FieldType | None = None
    options: list[OptionText] | None = Field(default=None, max_length=MAX_OPTIONS)
    required: bool | None = None

    _present = field_validator("label", "type", "options", "required")(_not_null)


def checked_custom_field(data: dict[str, Any]) -> CustomField:
    """A definition after a change, with its options checked against its type."""
    field = CustomField.model_validate(data)
    try:
        _checked_options(field.type, field.options)
    except ValueError as exc:
        raise InvalidInputError.one("options", str(exc)) from exc
    return field


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMPTY = (None, "")


def _text(field: CustomField, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be text")
    if len(value) > 2000:
        raise ValueError("must be at most 2000 characters")
    return value


def _email(field: CustomField, value: Any) -> str | None:
    if not isinstance(value, str):
        raise ValueError("must be an email address such as ana@example.com")
    return checked_email(value)


def _url(field: CustomField, value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > 2000:
        raise ValueError("must be a web address starting with http:// or https://")
    return _checked_url(value)


def _choice(field: CustomField, value: Any) -> str:
    chosen = next((o for o in field.options if o.casefold() == str(value).casefold()), None)
    if chosen is None:
        raise ValueError(f"must be one of {field.options}, not {value!r}")
    return chosen


_CHECKS: dict[FieldType, Callable[[CustomField, Any], Any]] = {
    FieldType.TEXT: _text,
    FieldType.NUMBER: lambda field, value: _number(value),
    FieldType.EMAIL: _email,
    FieldType.URL: _url,
    FieldType.DATE: lambda field, value: _iso_date(value),
    FieldType.SELECT: _choice,
}


def _typed_value(field: CustomField, value: Any) -> Any:
    """`value` normalised for `field`; ValueError with what a person should write."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | date):
        raise ValueError(f"must be {_expected(field)}")
    if isinstance(value, str):
        value = value.strip()
    return _CHECKS[field.type](field, value)


def _expected(field: CustomField) -> str:
    return {
        FieldType.TEXT: "text",
        FieldType.NUMBER: "a number",
        FieldType.EMAIL: "an email address",
        FieldType.URL: "a web address",
        FieldType.DATE: "a date YYYY-MM-DD",
        FieldType.SELECT: f"one of {field.options}",
    }[field.type]


def _number(value: Any) -> int | float:
    if isinstance(value, date):
        raise ValueError("must be a number")
    if isinstance(value, str):
        try:
            value = float(value) if value else math.nan
        except ValueError:
            raise ValueError(f"must be a number, not {value!r}") from None
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


def _iso_date(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()[:10]
    if isinstance(value, str) and _DATE.match(value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise ValueError(f"must be a date written YYYY-MM-DD, such as 2026-11-24, not {value!r}")


def check_custom(
    definitions: list[CustomField],
    values: dict[str, Any] | None,
    before: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A client's `custom` values checked against the definitions and normalised.

    On create (`before` None) every required field must have a value. On update only the
    values that change are checked, and a required field that had a value may not lose it:
    values written before a definition changed stay as they are until written again.
    Empty values (null, "") are dropped. Every problem is reported, each under
    `custom.<key>`.
    """
    defined = {d.key: d for d in definitions}
    old = before or {}
    result: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for key, value in (values or {}).items():
        if value in _EMPTY or (isinstance(value, str) and not value.strip()):
            continue
        if before is not None and key in old and old[key] == value:
            result[key] = value
            continue
        field = defined.get(key)
        if field is None:
            known = ", ".join(defined) or "none defined yet; an admin adds them in settings"
            problems.append(FieldProblem(f"custom.{key}", f"unknown custom field; known: {known}"))
            continue
        try:
            result[key] = _typed_value(field, value)
        except ValueError as exc:
            problems.append(FieldProblem(f"custom.{key}", str(exc).removeprefix("Value error, ")))
    for field in definitions:
        lost = before is None or old.get(field.key) not in _EMPTY
        reported = any(p.field == f"custom.{field.key}" for p in problems)
        if field.required and lost and field.key not in result and not reported:
            problems.append(FieldProblem(f"custom.{field.key}", f"'{field.label}' is required"))
    if problems:
        raise InvalidInputError(problems)
    return result


# --- the lists inside the settings ---------------------------------------------------------


def upgrade_lists(data: Any) -> Any:
    """Settings data as stored (or as given) with every list in today's shape: bare keys of
    stages and sources become objects; missing lists take the defaults in the language."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    language = str(data.get("language") or "es")
    stages = data.get("stages")
    if not stages:
        data["stages"] = [s.model_dump() for s in default_stages(language)]
    else:
        data["stages"] = [_upgraded_stage(s, n, language) for n, s in enumerate(stages, 1)]
    sources = data.get("sources")
    if not sources:
        data["sources"] = [s.model_dump() for s in default_sources()]
    else:
        data["sources"] = [_upgraded_source(s) for s in sources]
    return data


def checked_unique(items: list[Any], what: str) -> None:
    keys = [i.key for i in items]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{what} keys must be unique")


class StageList(Model):
    items: list[Stage]


class SourceList(Model):
    items: list[Source]


class CustomFieldList(Model):
    items: list[CustomField]
