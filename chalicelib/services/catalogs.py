"""The organisation's configurable lists: pipeline stages, contact sources, client types'
map icons, custom client fields.

Everyone reads them (forms and the pipeline need labels, colours and field definitions);
only an admin changes them. Each change is a read-modify-write of the settings item,
conditional on its version and retried on fresh reads when another change got in first, so
concurrent edits never lose one another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from chalicelib.domain.catalogs import (
    MAX_CUSTOM_FIELDS,
    MAX_SOURCES,
    MAX_STAGES,
    CustomField,
    CustomFieldCreate,
    CustomFieldUpdate,
    Source,
    SourceCreate,
    SourceUpdate,
    Stage,
    StageCreate,
    StageUpdate,
    TypeIcons,
    checked_custom_field,
)
from chalicelib.domain.errors import (
    FieldProblem,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    StateConflictError,
)
from chalicelib.domain.principal import Principal
from chalicelib.domain.tenants import TenantSettings
from chalicelib.services.clients import retry_on_race
from chalicelib.services.ports import CounterNotZeroError, TenantRepository

Entry = TypeVar("Entry", Stage, Source, CustomField)
Edit = Callable[[TenantSettings], TenantSettings]


def _require_admin(who: Principal) -> None:
    if not who.is_admin:
        raise ForbiddenError("Only an admin can change the organisation's settings.")


def invalid(exc: ValidationError, prefix: str = "") -> InvalidInputError:
    """A validation error inside the service, as the fields a person has to fix."""
    found = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        found.append(FieldProblem(loc or "body", str(err["msg"]).removeprefix("Value error, ")))
    return InvalidInputError(found)


def _find(items: list[Entry], key: str, what: str) -> Entry:
    for item in items:
        if item.key == key:
            return item
    raise NotFoundError(what, repr(key))


def _changed(entry: Entry, patch: BaseModel) -> Entry:
    data = entry.model_dump() | patch.model_dump(exclude_unset=True)
    try:
        return type(entry).model_validate(data)
    except ValidationError as exc:
        raise invalid(exc) from exc


def _replaced(items: list[Entry], entry: Entry) -> list[Entry]:
    return [entry if i.key == entry.key else i for i in items]


def _plural(n: int, one: str, many: str) -> str:
    return f"1 {one}" if n == 1 else f"{n} {many}"


class CatalogService:
    def __init__(self, repo: TenantRepository) -> None:
        self.repo = repo

    def settings(self, who: Principal) -> TenantSettings:
        """Everyone may read the lists."""
        return self.repo.get_settings(who.tenant_id)

    def _edit(self, who: Principal, edit: Edit, unused: tuple[str, ...] = ()) -> TenantSettings:
        """Read, change, save on the version read; again on fresh reads after a race."""
        _require_admin(who)

        def attempt() -> TenantSettings:
            current = self.repo.get_settings(who.tenant_id)
            return self.repo.save_settings(edit(current), unused)

        return retry_on_race(attempt, "settings changes")

    # --- pipeline stages -------------------------------------------------------------------

    def create_stage(self, who: Principal, data: StageCreate) -> Stage:
        def edit(s: TenantSettings) -> TenantSettings:
            if data.key in s.stage_keys():
                raise StateConflictError(f"There is a stage '{data.key}' already.")
            if len(s.stages) >= MAX_STAGES:
                raise StateConflictError(f"An organisation has at most {MAX_STAGES} stages.")
            order = data.order if data.order is not None else _next_order(s.stages)
            stage = Stage(**(data.model_dump() | {"order": order}))
            return s.model_copy(update={"stages": [*s.stages, stage]})

        return _find(self._edit(who, edit).stages, data.key, "Stage")

    def update_stage(self, who: Principal, key: str, patch: StageUpdate) -> Stage:
        def edit(s: TenantSettings) -> TenantSettings:
            stage = _changed(_find(s.stages, key, "Stage"), patch)
            return s.model_copy(update={"stages": _replaced(s.stages, stage)})

        return _find(self._edit(who, edit).stages, key, "Stage")

    def delete_stage(self, who: Principal, key: str) -> None:
        """Refused while clients are in the stage (the statistics counter says how many),
        checked in the transaction that saves the settings."""

        def edit(s: TenantSettings) -> TenantSettings:
            _find(s.stages, key, "Stage")
            if len(s.stages) == 1:
                raise StateConflictError("The pipeline needs at least one stage.")
            return s.model_copy(update={"stages": [x for x in s.stages if x.key != key]})

        try:
            self._edit(who, edit, unused=(f"n_stage_{key}",))
        except CounterNotZeroError as exc:
            held = _plural(exc.count, "client is", "clients are")
            raise StateConflictError(f"{held} in stage '{key}'; move them first.") from exc

    # --- contact sources -------------------------------------------------------------------

    def create_source(self, who: Principal, data: SourceCreate) -> Source:
        def edit(s: TenantSettings) -> TenantSettings:
            if data.key in s.source_keys():
                raise StateConflictError(f"There is a source '{data.key}' already.")
            if len(s.sources) >= MAX_SOURCES:
                raise StateConflictError(f"An organisation has at most {MAX_SOURCES} sources.")
            source = Source(**data.model_dump(), builtin=False)
            return s.model_copy(update={"sources": [*s.sources, source]})

        return _find(self._edit(who, edit).sources, data.key, "Source")

    def update_source(self, who: Principal, key: str, patch: SourceUpdate) -> Source:
        def edit(s: TenantSettings) -> TenantSettings:
            source = _find(s.sources, key, "Source")
            cleared = "icon_url" in patch.model_fields_set and patch.icon_url is None
            if cleared and not source.builtin:
                raise InvalidInputError.one("icon_url", "a custom source needs an icon")
            changed = _changed(source, patch)
            return s.model_copy(update={"sources": _replaced(s.sources, changed)})

        return _find(self._edit(who, edit).sources, key, "Source")

    def delete_source(self, who: Principal, key: str) -> None:
        def edit(s: TenantSettings) -> TenantSettings:
            if _find(s.sources, key, "Source").builtin:
                raise StateConflictError(
                    f"'{key}' is a built-in source and cannot be deleted; "
                    "rename it or change its icon instead."
                )
            return s.model_copy(update={"sources": [x for x in s.sources if x.key != key]})

        try:
            self._edit(who, edit, unused=(f"n_source_{key}",))
        except CounterNotZeroError as exc:
            held = _plural(exc.count, "client has", "clients have")
            raise StateConflictError(f"{held} source '{key}'; change it first.") from exc

    # --- client types' map icons -----------------------------------------------------------

    def set_type_icons(self, who: Principal, icons: TypeIcons) -> TypeIcons:
        def edit(s: TenantSettings) -> TenantSettings:
            return s.model_copy(update={"type_icons": icons})

        return self._edit(who, edit).type_icons

    # --- custom client fields --------------------------------------------------------------

    def create_custom_field(self, who: Principal, data: CustomFieldCreate) -> CustomField:
        def edit(s: TenantSettings) -> TenantSettings:
            if any(f.key == data.key for f in s.custom_fields):
                raise StateConflictError(f"There is a custom field '{data.key}' already.")
            if len(s.custom_fields) >= MAX_CUSTOM_FIELDS:
                raise StateConflictError(
                    f"An organisation has at most {MAX_CUSTOM_FIELDS} custom fields."
                )
            field = CustomField(**data.model_dump())
            return s.model_copy(update={"custom_fields": [*s.custom_fields, field]})

        return _find(self._edit(who, edit).custom_fields, data.key, "Custom field")

    def update_custom_field(
        self, who: Principal, key: str, patch: CustomFieldUpdate
    ) -> CustomField:
        def edit(s: TenantSettings) -> TenantSettings:
            field = _find(s.custom_fields, key, "Custom field")
            changes: dict[str, Any] = patch.model_dump(exclude_unset=True)
            if "type" in changes and changes["type"] != "select" and "options" not in changes:
                changes["options"] = []  # a field that stops being a select loses its options
            changed = checked_custom_field(field.model_dump() | changes)
            return s.model_copy(update={"custom_fields": _replaced(s.custom_fields, changed)})

        return _find(self._edit(who, edit).custom_fields, key, "Custom field")

    def delete_custom_field(self, who: Principal, key: str) -> None:
        """Clients keep the values they hold; they are no longer checked nor required."""

        def edit(s: TenantSettings) -> TenantSettings:
            _find(s.custom_fields, key, "Custom field")
            kept = [f for f in s.custom_fields if f.key != key]
            return s.model_copy(update={"custom_fields": kept})

        self._edit(who, edit)


def _next_order(stages: list[Stage]) -> int:
    return min(max((s.order for s in stages), default=0) + 1, 10_000)
