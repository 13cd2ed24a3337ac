"""`GET /openapi.json`: the OpenAPI 3.1 document, generated from the route table and the
pydantic models. Every route Chalice knows is in it; what `route()` recorded describes it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from chalice.app import Blueprint, Response
from pydantic import BaseModel

from chalicelib.api.routing import ROUTE_SPECS, RouteSpec, route

openapi_bp = Blueprint(__name__)

_PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "conflicts": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["type", "title", "status", "detail"],
}
_HEADER_DOCS = {
    "If-Match": "the ETag you read; a stale one is answered 412",
    "Idempotency-Key": "a retry with the same key and body returns the first result",
}
_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No content",
    400: "Invalid request",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    412: "Precondition failed",
    422: "Unprocessable",
    503: "Unavailable",
}


def _schemas(specs: list[RouteSpec]) -> tuple[dict[Any, Any], dict[str, Any]]:
    from pydantic.json_schema import models_json_schema

    wanted: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = []
    for spec in specs:
        if spec.body is not None:
            wanted.append((spec.body, "validation"))
        if spec.response is not None:
            wanted.append((spec.response, "serialization"))
    refs, top = models_json_schema(
        list(dict.fromkeys(wanted)), ref_template="#/components/schemas/{model}"
    )
    defs = dict(top.get("$defs", {}))
    defs["Problem"] = _PROBLEM_SCHEMA
    return refs, defs


def _parameters(path: str, spec: RouteSpec | None) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
        for part in path.split("/")
        if part.startswith("{")
    ]
    if spec is not None:
        params += [
            {"name": q.name, "in": "query", "description": q.description, "schema": q.schema}
            for q in spec.query
        ]
        params += [
            {
                "name": h,
                "in": "header",
                "description": _HEADER_DOCS.get(h, ""),
                "schema": {"type": "string"},
            }
            for h in spec.headers
        ]
    return params


def _operation(path: str, method: str, view_name: str, refs: dict[Any, Any]) -> dict[str, Any]:
    spec = ROUTE_SPECS.get((path, method))
    op: dict[str, Any] = {"operationId": view_name, "parameters": _parameters(path, spec)}
    if spec is None:
        op["summary"] = view_name
        op["responses"] = {"default": {"description": "undocumented"}}
        return op
    op.update(summary=spec.summary, tags=[spec.tag])
    op["security"] = [{"bearer": []}] if spec.auth else []
    if spec.body is not None:
        schema = refs[(spec.body, "validation")]
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    ok: dict[str, Any] = {"description": _STATUS_TEXT.get(spec.status, "OK")}
    if spec.response is not None:
        ok["content"] = {"application/json": {"schema": refs[(spec.response, "serialization")]}}
    responses: dict[str, Any] = {str(spec.status): ok}
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for status in sorted({*spec.errors, *((401,) if spec.auth else ())}):
        responses[str(status)] = {"description": _STATUS_TEXT.get(status, ""), "content": problem}
    op["responses"] = responses
    return op


def build_openapi(routes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    specs = [s for (p, m), s in ROUTE_SPECS.items() if m in routes.get(p, {})]
    refs, schemas = _schemas(specs)
    paths: dict[str, dict[str, Any]] = {}
    for path, methods in sorted(routes.items()):
        for method, entry in sorted(methods.items()):
            paths.setdefault(path, {})[method.lower()] = _operation(
                path, method, entry.view_name, refs
            )
    return {
        "openapi": "3.1.0",
        "info": {"title": "CRM API", "version": "1.0.0"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


@lru_cache(maxsize=1)
def _document() -> str:
    import json

    app = openapi_bp._current_app  # Chalice offers no public accessor to the route table
    return json.dumps(build_openapi(app.routes if app else {}))


@route(openapi_bp, "/openapi.json", "GET", summary="This document", tag="meta", auth=False)
def openapi() -> Response:
    return Response(body=_document(), status_code=200, headers={"Content-Type": "application/json"})
