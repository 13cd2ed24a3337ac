"""The one place where errors become HTTP answers: RFC 9457 problem+json."""

from __future__ import annotations

import json
import logging
from typing import Any

from chalice.app import Response
from pydantic import ValidationError

from chalicelib.domain import errors as e
from chalicelib.services.ports import StaleWriteError

log = logging.getLogger(__name__)
PROBLEM_TYPE = "application/problem+json"

# error class → (status, title, type slug); the first match in this order wins.
_MAPPING: list[tuple[type[Exception], int, str, str]] = [
    (e.InvalidInputError, 400, "Your request has invalid fields", "validation"),
    (e.UnauthorizedError, 401, "Sign-in required", "unauthorized"),
    (e.ForbiddenError, 403, "Not allowed", "forbidden"),
    (e.NotFoundError, 404, "Not found", "not-found"),
    (e.DuplicateError, 409, "Already in use", "duplicate"),
    (e.VersionConflictError, 409, "Changed by someone else", "version-conflict"),
    (StaleWriteError, 409, "Changed by someone else", "version-conflict"),
    (e.StateConflictError, 409, "Not possible now", "state-conflict"),
    (e.PreconditionFailedError, 412, "Precondition failed", "precondition-failed"),
    (e.IdempotencyKeyReusedError, 422, "Idempotency-Key reused", "idempotency-key-reused"),
]


def problem(status: int, title: str, slug: str, detail: str, **extra: Any) -> Response:
    body = {"type": f"urn:crm:problem:{slug}", "title": title, "status": status, "detail": detail}
    body.update(extra)
    return Response(
        body=json.dumps(body, default=str),
        status_code=status,
        headers={"Content-Type": PROBLEM_TYPE},
    )


def _field(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if not str(p).startswith("function-")]
    return ".".join(parts) or "body"


def validation_problems(exc: ValidationError) -> list[e.FieldProblem]:
    """A pydantic error at the edge, as the fields a person has to fix."""
    found = []
    for err in exc.errors(include_url=False):
        if err["type"] == "json_invalid":
            found.append(e.FieldProblem("body", f"not valid JSON ({err['ctx'].get('error', '')})"))
            continue
        message = "unknown field" if err["type"] == "extra_forbidden" else str(err["msg"])
        message = message.removeprefix("Value error, ")
        found.append(e.FieldProblem(_field(tuple(err["loc"])), message))
    return found


def _extra(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, e.InvalidInputError):
        return {"errors": [{"field": p.field, "message": p.message} for p in exc.errors]}
    if isinstance(exc, e.DuplicateError):
        return {"conflicts": [c.as_dict() for c in exc.conflicts]}
    if isinstance(exc, e.VersionConflictError) and exc.current_version:
        return {"current_version": exc.current_version}
    return {}


def from_exception(exc: Exception) -> Response:
    for cls, status, title, slug in _MAPPING:
        if isinstance(exc, cls):
            detail = exc.detail if isinstance(exc, e.DomainError) else str(exc)
            return problem(status, title, slug, detail, **_extra(exc))
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "Internal error", "internal", "Something went wrong on our side.")
