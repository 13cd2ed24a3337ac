"""Bulk import of clients: the job as stored, its columns, and how one spreadsheet row
becomes a client.

Pure rules only (no I/O): header matching in Spanish or English (case- and accent-insensitive,
with aliases), cell values → the API's own `ClientCreate` / `ClientUpdate`, the identity keys
that make two rows of a file the same client, and the outcome of each row. Loaded by the
import's code paths only (the API's models of imports are in `domain/imports.py`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

from pydantic import Field, ValidationError

from chalicelib.domain.clients import ClientCreate, ClientUpdate
from chalicelib.domain.contact import email_key, normalize_phone
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.imports import Counts, ImportState, Outcome
from chalicelib.domain.model import Model


class ImportJob(Model):
    """A job as stored."""

    id: str
    tenant_id: str
    entity: str = "clients"
    mode: str
    match_on: list[str]
    dry_run: bool
    state: ImportState
    created_by: str
    created_by_role: str
    created_by_name: str = ""
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    upload_key: str
    max_bytes: int
    file_format: str | None = None
    file_etag: str | None = None  # the upload this job reads; another one fails the job
    rows_total: int | None = None
    rows_processed: int = 0
    chunks: int = 0
    counts: Counts = Field(default_factory=Counts)
    warnings: list[str] = Field(default_factory=list)
    error: str | None = None
    result_key: str | None = None
    undo_chunks: int = 0
    version: int = 0


# --- columns ----------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """A header as compared: accents dropped, case-folded, punctuation as single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    cleaned = "".join(c if c.isalnum() else " " for c in plain)
    return " ".join(cleaned.split())


# field → (English header, Spanish header, aliases). `address.x` is a part of the address.
COLUMNS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "number": ("Number", "Número", ("client number", "numero de cliente", "no", "n", "num")),
    "name": ("Name", "Nombre", ("client", "cliente", "nombre comercial", "company")),
    "legal_name": ("Legal name", "Razón social", ("business name", "denominacion social")),
    "email": ("Email", "Email", ("e mail", "correo", "correo electronico", "mail")),
    "phone": (
        "Phone",
        "Teléfono",
        ("tel", "telf", "tlf", "telephone", "mobile", "movil", "celular", "whatsapp"),
    ),
    "type": ("Type", "Tipo", ()),
    "kind": ("Kind", "Clase", ()),
    "stage": ("Stage", "Etapa", ("fase", "pipeline stage")),
    "source": ("Source", "Origen", ("fuente", "canal")),
    "status": ("Status", "Estado", ()),
    "owner_id": ("Owner", "Responsable", ("owner id", "comercial", "salesperson")),
    "notes": ("Notes", "Notas", ("observaciones", "comentarios", "comments")),
    "stars": ("Stars", "Estrellas", ("rating", "valoracion")),
    "address.street": ("Street", "Dirección", ("address", "calle", "domicilio")),
    "address.city": ("City", "Ciudad", ("localidad", "poblacion", "municipio", "town")),
    "address.region": ("Region", "Provincia", ("region", "state", "province", "estado region")),
    "address.postal_code": (
        "Postal code",
        "Código postal",
        ("zip", "zip code", "postcode", "cp", "codigo postal"),
    ),
    "address.country": ("Country", "País", ("pais",)),
}

# Columns the result workbook adds: read back without a warning, never imported.
RESULT_COLUMNS = {
    "outcome": ("Outcome", "Resultado"),
    "client_id": ("Client id", "Id de cliente"),
    "errors": ("Errors", "Errores"),
}

_LOOKUP: dict[str, str] = {}
for _field, (_en, _es, _aliases) in COLUMNS.items():
    for _label in (_en, _es, *_aliases, _field.replace("address.", "").replace("_", " ")):
        _LOOKUP.setdefault(fold(_label), _field)
_IGNORED = {fold(label) for labels in RESULT_COLUMNS.values() for label in labels}
_CUSTOM_PREFIXES = ("custom ", "campo ", "personalizado ")


class Columns(Model):
    """What each column of the file is: `fields[i]` names the field of column i (or None)."""

    headers: list[str]
    fields: list[str | None]
    warnings: list[str]


def _field_of(key: str, custom: dict[str, str]) -> str | None:
    field = _LOOKUP.get(key)
    if field is None and key in custom:
        field = f"custom.{custom[key]}"
    for prefix in _CUSTOM_PREFIXES if field is None else ():
        if key.startswith(prefix):
            field = f"custom.{key.removeprefix(prefix).replace(' ', '_')}"
    return field


def match_headers(headers: list[str], custom_fields: dict[str, str] | None = None) -> Columns:
    """Name each column; unknown and repeated ones become warnings, never silently dropped.
    `custom_fields` (key → label): the tenant's custom fields, matched by label or key."""
    custom: dict[str, str] = {}
    for key, label in (custom_fields or {}).items():
        custom.setdefault(fold(label), key)
        custom.setdefault(fold(key.replace("_", " ")), key)
    fields: list[str | None] = []
    warnings: list[str] = []
    seen: dict[str, str] = {}
    for header in headers:
        key = fold(header)
        field = _field_of(key, custom)
        if field is None:
            if key and key not in _IGNORED:
                warnings.append(f"column {header!r} is not a client field; it was not imported")
            fields.append(None)
            continue
        if field in seen:
            warnings.append(
                f"column {header!r} repeats {seen[field]!r}; only the first one was imported"
            )
            fields.append(None)
            continue
        seen[field] = header
        fields.append(field)
    return Columns(headers=headers, fields=fields, warnings=warnings)


def missing_required(columns: Columns, mode: str, match_on: list[str]) -> str | None:
    present = set(columns.fields)
    if mode == "create" and "name" not in present:
        return "the file has no column for the client's name ('Nombre' or 'Name')"
    if mode == "upsert" and "name" not in present and not present & set(match_on):
        return (
            "the file has neither a name column nor a column to match clients on "
            f"({', '.join(match_on)})"
        )
    return None


# --- values ------------------------------------------------------------------------------------

_ENUM_WORDS: dict[str, dict[str, str]] = {
    "type": {
        "lead": "lead",
        "prospect": "prospect",
        "prospecto": "prospect",
        "client": "client",
        "cliente": "client",
        "vip": "vip",
    },
    "kind": {
        "customer": "customer",
        "cliente": "customer",
        "collaborator": "collaborator",
        "colaborador": "collaborator",
        "other": "other",
        "otro": "other",
    },
    "status": {
        "active": "active",
        "activo": "active",
        "inactive": "inactive",
        "inactivo": "inactive",
    },
}

# Dropdown labels per language for the template (value → label).
ENUM_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "type": {"lead": "lead", "prospect": "prospect", "client": "client", "vip": "vip"},
        "kind": {"customer": "customer", "collaborator": "collaborator", "other": "other"},
        "status": {"active": "active", "inactive": "inactive"},
    },
    "es": {
        "type": {"lead": "lead", "prospect": "prospecto", "client": "cliente", "vip": "vip"},
        "kind": {"customer": "cliente", "collaborator": "colaborador", "other": "otro"},
        "status": {"active": "activo", "inactive": "inactivo"},
    },
}

Cell = str | int | float | bool | date | datetime | time | None


class RowProblem(Model):
    field: str
    message: str


def _text(value: Cell) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _phone(value: Cell, warnings: list[str]) -> str | None:
    """Phones keep their `+` and leading zeros when typed as text; a number cell has lost
    its leading zeros already, so the row says so."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        warnings.append(
            "phone: the cell is a number, not text; any leading zeros or '+' were lost by Excel"
        )
        return str(int(value))
    return _text(value)


def _enum(field: str, value: Cell) -> str | None:
    text = _text(value)
    if text is None:
        return None
    return _ENUM_WORDS[field].get(fold(text), text)


def _custom(value: Cell) -> Any:
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    return _text(value)


@dataclass(slots=True)
class ParsedRow:
    """One data row read into the API's shapes (or the problems that stop it). A plain
    dataclass: a bulk import makes one per row, twice."""

    values: dict[str, Any] = dc_field(default_factory=dict)  # present fields, as sent to the API
    problems: list[RowProblem] = dc_field(default_factory=list)
    warnings: list[str] = dc_field(default_factory=list)
    number: int | None = None


def _number(cell: Cell) -> tuple[int | None, RowProblem | None]:
    text = _text(cell)
    if text is None:
        return None, None
    if not text.isdecimal():
        return None, RowProblem(field="number", message="must be a whole number")
    return int(text), None


def _stars(cell: Cell) -> Any:
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    if isinstance(cell, int | float):
        return cell
    text = _text(cell)
    return int(text) if text is not None and text.isdecimal() else text


# How a column is read: plain text, or one of these.
_TEXT, _NUMBER, _PHONE, _ENUM, _STARS, _ADDRESS, _CUSTOM = range(7)


@lru_cache(maxsize=64)
def _readers(fields: tuple[str | None, ...]) -> tuple[tuple[int, int, str], ...]:
    """(column, how it is read, the name it goes under) of each imported column."""
    readers = []
    for index, field in enumerate(fields):
        if field is None:
            continue
        group, _, name = field.partition(".")
        if group == "address":
            readers.append((index, _ADDRESS, name))
        elif group == "custom":
            readers.append((index, _CUSTOM, name))
        elif field in _ENUM_WORDS:
            readers.append((index, _ENUM, field))
        else:
            kind = {"number": _NUMBER, "phone": _PHONE, "stars": _STARS}.get(field, _TEXT)
            readers.append((index, kind, field))
    return tuple(readers)


def _value(kind: int, name: str, cell: Cell, warnings: list[str]) -> Any:
    if kind == _TEXT:
        return (cell.strip() or None) if type(cell) is str else _text(cell)
    if kind == _PHONE:
        return _phone(cell, warnings)
    if kind == _ENUM:
        return _enum(name, cell)
    return _stars(cell)


def read_row(fields: Sequence[str | None], cells: list[Cell]) -> ParsedRow:
    """The non-empty cells of a row as API field values (empty cells change nothing)."""
    row = ParsedRow()
    values: dict[str, Any] = row.values
    address: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    width = len(cells)
    for index, kind, name in _readers(tuple(fields)):
        cell = cells[index] if index < width else None
        if cell is None or cell == "":
            continue
        if type(cell) is str and kind <= _ADDRESS and kind != _NUMBER:
            # Text, the common case: what _text, _phone, _enum and _stars make of it.
            cell = cell.strip()
            if not cell:
                continue
            if kind == _ENUM:
                cell = _ENUM_WORDS[name].get(fold(cell), cell)
            elif kind == _STARS and cell.isdecimal():
                cell = int(cell)
            (address if kind == _ADDRESS else values)[name] = cell
        elif kind == _ADDRESS:
            address[name] = _text(cell)
        elif kind == _CUSTOM:
            custom[name] = _custom(cell)  # None when blank: dropped below
        elif kind == _NUMBER:
            row.number, problem = _number(cell)
            row.problems.extend([problem] if problem else [])
        else:
            values[name] = _value(kind, name, cell, row.warnings)
    values["address"] = {k: v for k, v in address.items() if v is not None} or None
    values["custom"] = {k: v for k, v in custom.items() if v is not None} or None
    row.values = {k: v for k, v in values.items() if v is not None}
    return row


def _problems(exc: ValidationError) -> list[RowProblem]:
    found = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"] if not str(p).startswith("function-")]
        message = "unknown field" if err["type"] == "extra_forbidden" else str(err["msg"])
        found.append(RowProblem(field=".".join(loc), message=message.removeprefix("Value error, ")))
    return found


def as_create(row: ParsedRow) -> ClientCreate | list[RowProblem]:
    try:
        return ClientCreate.model_validate(row.values)
    except ValidationError as exc:
        return _problems(exc)


def as_update(row: ParsedRow) -> ClientUpdate | list[RowProblem]:
    try:
        return ClientUpdate.model_validate(row.values)
    except ValidationError as exc:
        return _problems(exc)


def validate_row(
    row: ParsedRow, mode: str, region: str
) -> tuple[ClientCreate | ClientUpdate | None, list[RowProblem], dict[str, str]]:
    """The row as the API would take it, its problems, and its identity keys
    (number, email, phone normalised as the API does)."""
    problems = list(row.problems)
    model: ClientCreate | ClientUpdate | None = None
    result: ClientCreate | ClientUpdate | list[RowProblem]
    result = as_create(row) if mode == "create" or "name" in row.values else as_update(row)
    if isinstance(result, list):
        problems.extend(result)
    else:
        model = result
    identity: dict[str, str] = {}
    if row.number is not None:
        identity["number"] = str(row.number)
    if model is not None and model.email:
        identity["email"] = email_key(model.email)
    if model is not None and model.phone:
        try:
            identity["phone"] = normalize_phone(model.phone, region)
        except InvalidInputError as exc:
            problems.extend(RowProblem(field=p.field, message=p.message) for p in exc.errors)
            model = None
    if problems:
        model = None
    return model, problems, identity


class RowResult(Model):
    """What happened to one data row (row = its line in the sheet, 1-based with the header)."""

    row: int
    outcome: Outcome
    client_id: str | None = None
    errors: list[RowProblem] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    changes: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="updated: {field: {before, after}}, kept for undo"
    )
