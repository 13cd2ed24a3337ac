"""How a view is declared: the route, its documentation, and error mapping, in one decorator.

`route()` registers the Chalice route (with the authorizer and CORS), records what the
OpenAPI document says about it, and turns any error into problem+json via `problems.py`.
`Req` reads a request: the principal, a validated body, query parameters, headers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from chalice.app import Blueprint, CORSConfig, Response
from pydantic import BaseModel, ValidationError

from chalicelib.adapters.cursor import decode_cursor, encode_cursor
from chalicelib.adapters.keys import is_valid_id
from chalicelib.adapters.tokens import principal_from_context
from chalicelib.api import problems
from chalicelib.api.auth import jwt_auth
from chalicelib.config import get_settings
from chalicelib.domain.errors import InvalidInputError, NotFoundError
from chalicelib.domain.principal import Principal

M = TypeVar("M", bound=BaseModel)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class QueryParam:
    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})


LIMIT = QueryParam(
    "limit",
    f"page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})",
    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
)
CURSOR = QueryParam("cursor", "the `next_cursor` of the previous page")


@dataclass(frozen=True)
class RouteSpec:
    path: str
    method: str
    summary: str
    tag: str
    auth: bool
    status: int
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    query: tuple[QueryParam, ...]
    headers: tuple[str, ...]
    errors: tuple[int, ...]


ROUTE_SPECS: dict[tuple[str, str], RouteSpec] = {}


@functools.lru_cache(maxsize=1)
def cors_config() -> CORSConfig:
    return CORSConfig(
        allow_origin=get_settings().cors_origin,
        allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key"],
        expose_headers=["ETag", "Location"],
        max_age=600,
    )


def route(
    bp: Blueprint,
    path: str,
    method: str,
    *,
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    auth: bool = True,
    query: tuple[QueryParam, ...] = (),
    headers: tuple[str, ...] = (),
    errors: tuple[int, ...] = (),
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def handler(**kwargs: Any) -> Response:
            try:
                return view(**kwargs)
            except Exception as exc:
                return problems.from_exception(exc)

        bp.route(
            path,
            methods=[method],
            authorizer=jwt_auth if auth else None,
            cors=cors_config(),
        )(handler)
        ROUTE_SPECS[(path, method)] = RouteSpec(
            path, method, summary, tag, auth, status, body, response, query, headers, errors
        )
        return handler

    return decorate


_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


def etag(version: int) -> str:
    return f'"{version}"'


class Req:
    """The current request, read the way every view needs it."""

    def __init__(self, bp: Blueprint) -> None:
        self.raw = bp.current_request

    @functools.cached_property
    def principal(self) -> Principal:
        """Who calls; for a sales user, with the client groups assigned to them (one Query
        of the organisation's groups)."""
        from chalicelib.api.deps import group_service

        who = principal_from_context(self.raw.context.get("authorizer") or {})
        return group_service().with_groups(who)

    def body(self, model: type[M]) -> M:
        raw = self.raw.raw_body or b""
        if not raw.strip():
            raise InvalidInputError.one("body", "a JSON object is required")
        try:
            return model.model_validate_json(raw, strict=True)
        except ValidationError as exc:
            raise InvalidInputError(problems.validation_problems(exc)) from exc

    def query(self, name: str) -> str | None:
        params: Any = self.raw.query_params or {}
        value = params.get(name)
        return value if value not in (None, "") else None

    def limit(self) -> int:
        raw = self.query("limit")
        if raw is None:
            return DEFAULT_LIMIT
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise InvalidInputError.one("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
        return int(raw)

    def cursor(self, scope: str) -> dict[str, Any] | None:
        return decode_cursor(self.query("cursor"), scope, get_settings().cursor_secret)

    def next_cursor(self, last_key: dict[str, Any] | None, scope: str) -> str | None:
        return encode_cursor(last_key, scope, get_settings().cursor_secret)

    def header(self, name: str) -> str | None:
        value = self.raw.headers.get(name.lower())
        return str(value) if value is not None else None

    def if_match(self) -> int | None:
        raw = self.header("If-Match")
        if raw is None or raw.strip() == "*":
            return None
        match = _IF_MATCH.match(raw)
        if not match:
            raise InvalidInputError.one("If-Match", 'must be an ETag this API returned, e.g. "3"')
        return int(match.group(1))

    def idempotency_key(self) -> str | None:
        raw = self.header("Idempotency-Key")
        if raw is not None and not _IDEMPOTENCY_KEY.match(raw):
            raise InvalidInputError.one(
                "Idempotency-Key", "1 to 128 characters: letters, digits, '-', '_', '.', ':'"
            )
        return raw

    @staticmethod
    def id(value: str, what: str) -> str:
        """A path id; one that could never exist is simply not found."""
        if not is_valid_id(value):
            raise NotFoundError(what, value)
        return value


def json_response(
    model: BaseModel, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        body=model.model_dump_json(),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def page_response(
    model: type[BaseModel], items: list[Any], last_key: dict[str, Any] | None, scope: str
) -> Response:
    cursor = encode_cursor(last_key, scope, get_settings().cursor_secret)
    return json_response(model(items=items, next_cursor=cursor))


Fetch = Callable[[Principal, str, int, "dict[str, Any] | None"], "tuple[list[Any], Any]"]


def client_page(
    bp: Blueprint, client_id: str, listing: str, model: type[BaseModel], fetch: Fetch
) -> Response:
    """A page of one of a client's listings (activities, notes, tasks, timeline). The cursor
    is bound to the listing, the client and the viewer."""
    req = Req(bp)
    who, cid = req.principal, req.id(client_id, "Client")
    scope = f"{listing}:{who.tenant_id}:{cid}:{who.user_id}"
    items, last = fetch(who, cid, req.limit(), req.cursor(scope))
    return page_response(model, items, last, scope)
