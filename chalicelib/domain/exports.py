"""Exports: what may be asked for, the job that records it, and the workbook's columns.

Pure: the rows are built here from domain objects; the files are written by
`adapters/export_files.py` and the data read by `adapters/exports_repo.py`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, Field, ValidationError, model_validator

from chalicelib.domain.activities import Activity
from chalicelib.domain.clients import Client
from chalicelib.domain.errors import FieldProblem, InvalidInputError
from chalicelib.domain.model import Model
from chalicelib.domain.search import ClientQuery
from chalicelib.domain.tasks import Task

# A cell: text, number, true/false, a date or a (naive, local) date-time, or empty.
Value = str | int | float | bool | datetime | date | None


class ExportEntity(StrEnum):
    CLIENTS = "clients"
    ACTIVITIES = "activities"
    TASKS = "tasks"


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


class ExportState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ExportCreate(Model):
    """Body of `POST /exports`."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    entity: ExportEntity
    format: ExportFormat = ExportFormat.XLSX
    filters: dict[str, Any] = Field(
        default_factory=dict,
        description="clients: the filters of `GET /clients` (q, type, stage, status, kind, "
        "source, owner, tag, group, created_from, created_to, sort); activities and tasks: "
        "`from`, `to` (dates, the organisation's time zone; activities by when, tasks by due)",
    )


class PeriodFilters(Model):
    """Filters of an activities or tasks export: a range of days, both ends included."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    from_: date | None = Field(default=None, alias="from")
    to: date | None = None

    @model_validator(mode="after")
    def _range(self) -> PeriodFilters:
        if self.from_ and self.to and self.from_ > self.to:
            raise ValueError("from is after to")
        return self

    def bounds(self, zone: str) -> tuple[datetime | None, datetime | None]:
        """[start, end) as aware instants: from 00:00 of `from` to 00:00 after `to`, local."""
        tz = ZoneInfo(zone)
        start = datetime.combine(self.from_, time(), tz) if self.from_ else None
        end = datetime.combine(self.to + timedelta(days=1), time(), tz) if self.to else None
        return start, end


def _prefixed(exc: ValidationError) -> InvalidInputError:
    problems = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"])
        where = f"filters.{loc}" if loc else "filters"
        message = "unknown filter" if err["type"] == "extra_forbidden" else str(err["msg"])
        problems.append(FieldProblem(where, message.removeprefix("Value error, ")))
    return InvalidInputError(problems)


def parse_filters(entity: ExportEntity, filters: dict[str, Any]) -> ClientQuery | PeriodFilters:
    """The filters validated for `entity`; a bad one is a 400 naming `filters.<field>`."""
    model: type[ClientQuery] | type[PeriodFilters]
    model = ClientQuery if entity is ExportEntity.CLIENTS else PeriodFilters
    try:
        return model.model_validate_json(json.dumps(filters), strict=True)
    except ValidationError as exc:
        raise _prefixed(exc) from exc


class ExportJob(Model):
    """An export: who asked for what, how it went and, once done, where to fetch it.

    The job is also the export's audit record: it stays after its file expires."""

    model_config = ConfigDict(defer_build=True)  # built on first use, not at cold start

    id: str
    entity: ExportEntity
    format: ExportFormat
    filters: dict[str, Any] = Field(default_factory=dict)
    state: ExportState
    rows: int | None = Field(default=None, description="rows written, once done")
    created_at: datetime
    finished_at: datetime | None = None
    created_by: str
    created_by_name: str | None = None
    role: str = Field(exclude=True)
    groups: list[str] = Field(default_factory=list, exclude=True)
    request_hash: str | None = Field(default=None, exclude=True)  # for Idempotency-Key
    error: str | None = None
    file_name: str | None = Field(default=None, description="the name the download gets")
    download_url: str | None = Field(default=None, description="presigned, once done")
    download_expires_at: datetime | None = None


class ExportPage(Model):
    model_config = ConfigDict(defer_build=True)

    items: list[ExportJob]
    next_cursor: str | None = None


# --- columns ---------------------------------------------------------------------------------


class Kind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATETIME = "datetime"
    DATE = "date"
    BOOL = "bool"


@dataclass(frozen=True)
class Column:
    key: str
    es: str
    en: str
    kind: Kind = Kind.TEXT
    width: int = 14  # the least width, in characters

    def header(self, language: str) -> str:
        return self.es if language == "es" else self.en


CLIENT_COLUMNS = (
    Column("number", "Número", "Number", Kind.NUMBER, 8),
    Column("name", "Nombre", "Name", width=24),
    Column("legal_name", "Razón social", "Legal name", width=20),
    Column("email", "Email", "Email", width=24),
    Column("phone", "Teléfono", "Phone", width=16),
    Column("type", "Tipo", "Type", width=10),
    Column("kind", "Clase", "Kind", width=10),
    Column("stage", "Etapa", "Stage", width=12),
    Column("source", "Origen", "Source", width=10),
    Column("status", "Estado", "Status", width=10),
    Column("owner", "Responsable", "Owner", width=18),
    Column("stars", "Estrellas", "Stars", Kind.NUMBER, 8),
    Column("street", "Dirección", "Street", width=20),
    Column("city", "Ciudad", "City", width=14),
    Column("region", "Provincia", "Region", width=12),
    Column("postal_code", "Código postal", "Postal code", width=10),
    Column("country", "País", "Country", width=6),
    Column("tags", "Etiquetas", "Tags", width=18),
    Column("created_at", "Alta", "Created", Kind.DATETIME, 17),
    Column("converted_at", "Convertido", "Converted", Kind.DATETIME, 17),
    Column("notes", "Notas", "Notes", width=30),
)

ACTIVITY_COLUMNS = (
    Column("at", "Fecha", "When", Kind.DATETIME, 17),
    Column("type", "Tipo", "Type", width=10),
    Column("status", "Estado", "Status", width=11),
    Column("client_number", "Nº cliente", "Client no.", Kind.NUMBER, 8),
    Column("client_name", "Cliente", "Client", width=24),
    Column("responsible", "Responsable", "Responsible", width=18),
    Column("private", "Privada", "Private", Kind.BOOL, 8),
    Column("result", "Resultado", "Result", width=18),
    Column("notes", "Notas", "Notes", width=30),
    Column("created_at", "Creada", "Created", Kind.DATETIME, 17),
)

TASK_COLUMNS = (
    Column("due", "Vence", "Due", Kind.DATETIME, 17),
    Column("description", "Descripción", "Description", width=30),
    Column("status", "Estado", "Status", width=11),
    Column("client_number", "Nº cliente", "Client no.", Kind.NUMBER, 8),
    Column("client_name", "Cliente", "Client", width=24),
    Column("assignee", "Asignada a", "Assignee", width=18),
    Column("completed_at", "Completada", "Completed", Kind.DATETIME, 17),
    Column("created_at", "Creada", "Created", Kind.DATETIME, 17),
)

COLUMNS = {
    ExportEntity.CLIENTS: CLIENT_COLUMNS,
    ExportEntity.ACTIVITIES: ACTIVITY_COLUMNS,
    ExportEntity.TASKS: TASK_COLUMNS,
}

# The words of a file name and of a sheet, by language.
TITLES = {
    ExportEntity.CLIENTS: {"es": "clientes", "en": "clients"},
    ExportEntity.ACTIVITIES: {"es": "actividades", "en": "activities"},
    ExportEntity.TASKS: {"es": "tareas", "en": "tasks"},
}

# Spanish names of the fixed values (stages and sources are the organisation's own words).
_ES_VALUES = {
    "lead": "lead",
    "prospect": "prospecto",
    "client": "cliente",
    "vip": "vip",
    "customer": "cliente",
    "collaborator": "colaborador",
    "other": "otro",
    "active": "activo",
    "inactive": "inactivo",
    "call": "llamada",
    "email": "email",
    "meeting": "reunión",
    "whatsapp": "whatsapp",
    "visit": "visita",
    "letter": "carta",
    "scheduled": "programada",
    "done": "hecha",
    "cancelled": "cancelada",
    "pending": "pendiente",
    "completed": "completada",
}


def file_name(entity: ExportEntity, fmt: ExportFormat, language: str, day: date) -> str:
    """`clientes-2026-11-24.xlsx`, `clients-2026-11-24.csv`."""
    word = TITLES[entity].get(language, TITLES[entity]["en"])
    return f"{word}-{day.isoformat()}.{fmt.value}"


CUSTOM_PREFIX = "custom."
_CUSTOM_KINDS = {"number": Kind.NUMBER, "date": Kind.DATE}


def custom_column(key: str, label: str | None = None, field_type: str = "text") -> Column:
    """A column of a custom field: headed by its label (its key when it has no definition
    any more), typed after the definition."""
    header = label or key
    kind = _CUSTOM_KINDS.get(field_type, Kind.TEXT)
    return Column(f"{CUSTOM_PREFIX}{key}", header, header, kind, 12)


@dataclass(frozen=True)
class RowContext:
    """What turns records into cells: the organisation's language and time zone, the
    clients' tag names, and the number and name of the clients records belong to."""

    language: str
    zone: ZoneInfo
    tags: Callable[[str], str | None] = lambda _client_id: None
    client: Callable[[str], tuple[int | None, str | None]] = lambda _cid: (None, None)
    stages: Mapping[str, str] = field(default_factory=dict)  # key → the organisation's label
    sources: Mapping[str, str] = field(default_factory=dict)  # key → name in its language
    date_fields: frozenset[str] = frozenset()  # custom fields holding dates (`YYYY-MM-DD`)

    def with_(self, **changes: Any) -> RowContext:
        return replace(self, **changes)

    def custom(self, values: dict[str, Any]) -> dict[str, Value]:
        """A client's custom values as cells: dates as dates."""
        if not self.date_fields or not values:
            return dict(values)
        cells = dict(values)
        for key in self.date_fields & cells.keys():
            raw = cells[key]
            if isinstance(raw, str):
                with contextlib.suppress(ValueError):
                    cells[key] = date.fromisoformat(raw)
        return cells

    def word(self, value: str | None) -> str | None:
        if value is None or self.language != "es":
            return value
        return _ES_VALUES.get(value, value)

    def local(self, value: datetime | None) -> datetime | None:
        """A date-time as the organisation's wall clock, naive (Excel has no zones)."""
        if value is None:
            return None
        return value.astimezone(self.zone).replace(tzinfo=None, microsecond=0)


def client_row(c: Client, ctx: RowContext) -> tuple[list[Value], dict[str, Value]]:
    """The fixed cells of a client and its custom fields."""
    a = c.address
    row: list[Value] = [
        c.number,
        c.name,
        c.legal_name,
        c.email,
        c.phone_display or c.phone,
        ctx.word(c.type.value),
        ctx.word(c.kind.value),
        ctx.stages.get(c.stage, c.stage),
        ctx.sources.get(c.source, c.source) if c.source else None,
        ctx.word(c.status.value),
        c.owner_name or c.owner_id,
        c.stars,
        a.street if a else None,
        a.city if a else None,
        a.region if a else None,
        a.postal_code if a else None,
        a.country if a else None,
        ctx.tags(c.id),
        ctx.local(c.created_at),
        ctx.local(c.converted_at),
        c.notes,
    ]
    return row, ctx.custom(c.custom)


def activity_row(a: Activity, ctx: RowContext) -> list[Value]:
    number, name = ctx.client(a.client_id)
    return [
        ctx.local(a.at),
        ctx.word(a.type.value),
        ctx.word(a.status.value),
        number,
        name,
        a.responsible_name or a.responsible_id,
        a.private,
        a.result,
        a.notes,
        ctx.local(a.created_at),
    ]


def task_row(t: Task, ctx: RowContext) -> list[Value]:
    number, name = ctx.client(t.client_id)
    due: Value = t.due_date if t.due_date is not None else ctx.local(t.due_at)
    return [
        due,
        t.description,
        ctx.word(t.status.value),
        number,
        name,
        t.assignee_name or t.assignee_id,
        ctx.local(t.completed_at),
        ctx.local(t.created_at),
    ]


# --- CSV injection (OWASP) -------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def inert_text(value: str) -> str:
    """Text a spreadsheet shows as typed: a leading `=`, `+`, `-`, `@`, tab, CR or LF gets a
    `'` in front, so no cell ever starts a formula (for CSV; xlsx cells are typed)."""
    return "'" + value if value.startswith(_FORMULA_START) else value
