"""Domain errors. Each is mapped to an HTTP problem in one place: `api/problems.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class FieldProblem:
    field: str
    message: str


class DomainError(Exception):
    """Base of every error the services raise on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInputError(DomainError):
    """The request is well-formed but a field's value is not acceptable."""

    def __init__(self, errors: list[FieldProblem]) -> None:
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        super().__init__(detail)
        self.errors = errors

    @classmethod
    def one(cls, field_name: str, message: str) -> InvalidInputError:
        return cls([FieldProblem(field_name, message)])


class UnauthorizedError(DomainError):
    pass


class ForbiddenError(DomainError):
    pass


class NotFoundError(DomainError):
    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"{what} {ident} was not found.")


@dataclass
class Conflict:
    field: str
    client_id: str | None
    client_name: str | None
    owner_name: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "client_id": self.client_id,
            "client_name": self.client_name,
            "owner_name": self.owner_name,
        }


class DuplicateError(DomainError):
    """Email or phone already held by another client of the tenant."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        parts = []
        for c in conflicts:
            label = c.field.capitalize()
            responsible = c.owner_name or "nobody"
            if c.client_name:
                parts.append(f"{label} in use by: {c.client_name} (responsible: {responsible})")
            else:
                parts.append(f"{label} in use by a client of {responsible}")
        super().__init__("; ".join(parts) + ".")
        self.conflicts = conflicts


class VersionConflictError(DomainError):
    """The body's `version` is stale: somebody changed the record first."""

    def __init__(self, current_version: int | None) -> None:
        super().__init__(
            "The record was changed by someone else"
            + (f" (current version {current_version})" if current_version else "")
            + ". Reload it and apply your change again."
        )
        self.current_version = current_version


class StateConflictError(DomainError):
    """The record is not in a state that allows this (a task completed twice, …)."""


class PreconditionFailedError(DomainError):
    """If-Match named a version that is no longer current."""


class IdempotencyKeyReusedError(DomainError):
    pass
