"""Client routes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib.api.deps import client_service
from chalicelib.api.problems import validation_problems
from chalicelib.api.routing import (
    CURSOR,
    LIMIT,
    QueryParam,
    Req,
    client_page,
    etag,
    json_response,
    page_response,
    route,
)
from chalicelib.domain.clients import (
    Client,
    ClientCreate,
    ClientPage,
    ClientStatus,
    ClientUpdate,
    StageChange,
    StarsChange,
    StudentLink,
)
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.model import Model
from chalicelib.domain.profile import ClientProfile
from chalicelib.domain.search import ClientQuery
from chalicelib.domain.timeline import TimelineEvent

clients_bp = Blueprint(__name__)
TAG = "clients"


class TimelinePage(Model):
    items: list[TimelineEvent]
    next_cursor: str | None = None


def _one(client: Client, status: int = 200) -> Response:
    return json_response(client, status, {"ETag": etag(client.version)})


@route(
    clients_bp,
    "/clients",
    "POST",
    summary="Create a client",
    tag=TAG,
    body=ClientCreate,
    response=Client,
    status=201,
    headers=("Idempotency-Key",),
    errors=(400, 403, 409, 422),
)
def create_client() -> Response:
    req = Req(clients_bp)
    client = client_service().create(req.principal, req.body(ClientCreate), req.idempotency_key())
    return _one(client, 201)


def _query_params() -> tuple[QueryParam, ...]:
    schema = ClientQuery.model_json_schema()
    params = []
    for name, prop in schema["properties"].items():
        described = {k: v for k, v in prop.items() if k not in ("title", "description")}
        params.append(QueryParam(name, prop.get("description", name.replace("_", " ")), described))
    return tuple(params)


def client_query(req: Req) -> ClientQuery:
    """`GET /clients`'s search, filters and sort from the query string; a bad one is a 400
    naming the parameter."""
    given: Any = req.raw.query_params or {}
    unknown = sorted(set(given) - set(ClientQuery.model_fields) - {"limit", "cursor"})
    if unknown:
        names = ", ".join(sorted(ClientQuery.model_fields))
        raise InvalidInputError.one(unknown[0], f"not a filter of clients; one of: {names}")
    raw = {name: req.query(name) for name in ClientQuery.model_fields}
    try:
        return ClientQuery.model_validate({k: v for k, v in raw.items() if v is not None})
    except ValidationError as exc:
        raise InvalidInputError(validation_problems(exc)) from exc


@route(
    clients_bp,
    "/clients",
    "GET",
    summary="Find clients: quick search, filters (alone or combined), sort",
    tag=TAG,
    response=ClientPage,
    query=(*_query_params(), LIMIT, CURSOR),
    errors=(400,),
)
def list_clients() -> Response:
    req = Req(clients_bp)
    who, query = req.principal, client_query(req)
    # The cursor is bound to the viewer and to the question asked.
    asked = hashlib.sha256(query.model_dump_json().encode()).hexdigest()[:16]
    scope = f"clients:{who.tenant_id}:{who.user_id}:{asked}"
    items, last = client_service().search(who, query, req.limit(), req.cursor(scope))
    return page_response(ClientPage, items, last, scope)


@route(
    clients_bp,
    "/clients/{client_id}",
    "GET",
    summary="A client's profile: the client, its tags, open tasks, next and last activity",
    tag=TAG,
    response=ClientProfile,
    errors=(404,),
)
def get_client(client_id: str) -> Response:
    req = Req(clients_bp)
    return _one(client_service().profile(req.principal, req.id(client_id, "Client")))


@route(
    clients_bp,
    "/clients/{client_id}",
    "PATCH",
    summary="Change some fields of a client",
    tag=TAG,
    body=ClientUpdate,
    response=Client,
    headers=("If-Match",),
    errors=(400, 403, 404, 409, 412),
)
def update_client(client_id: str) -> Response:
    req = Req(clients_bp)
    cid = req.id(client_id, "Client")
    client = client_service().update(req.principal, cid, req.body(ClientUpdate), req.if_match())
    return _one(client)


@route(
    clients_bp,
    "/clients/{client_id}/deactivate",
    "POST",
    summary="Deactivate a client",
    tag=TAG,
    response=Client,
    errors=(404,),
)
def deactivate_client(client_id: str) -> Response:
    req = Req(clients_bp)
    cid = req.id(client_id, "Client")
    return _one(client_service().set_status(req.principal, cid, ClientStatus.INACTIVE))


@route(
    clients_bp,
    "/clients/{client_id}/reactivate",
    "POST",
    summary="Reactivate a client",
    tag=TAG,
    response=Client,
    errors=(404,),
)
def reactivate_client(client_id: str) -> Response:
    req = Req(clients_bp)
    cid = req.id(client_id, "Client")
    return _one(client_service().set_status(req.principal, cid, ClientStatus.ACTIVE))


@route(
    clients_bp,
    "/clients/{client_id}",
    "DELETE",
    summary="Delete a client and everything recorded about it (admin)",
    tag=TAG,
    status=204,
    errors=(403, 404, 409),
)
def delete_client(client_id: str) -> Response:
    req = Req(clients_bp)
    client_service().delete(req.principal, req.id(client_id, "Client"))
    return Response(body="", status_code=204)


@route(
    clients_bp,
    "/clients/{client_id}/timeline",
    "GET",
    summary="The client's history, newest first",
    tag=TAG,
    response=TimelinePage,
    query=(LIMIT, CURSOR),
    errors=(400, 404),
)
def client_timeline(client_id: str) -> Response:
    return client_page(clients_bp, client_id, "timeline", TimelinePage, client_service().timeline)


def _lifecycle(
    path: str, summary: str, body: type[BaseModel] | None = None
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    return route(
        clients_bp,
        f"/clients/{{client_id}}/{path}",
        "PUT" if path == "stars" else "POST",
        summary=summary,
        tag=TAG,
        body=body,
        response=Client,
        errors=(400, 404, 409),
    )


@_lifecycle("stage", "Move a client to any stage, with a reason", StageChange)
def change_stage(client_id: str) -> Response:
    req = Req(clients_bp)
    cid, body = req.id(client_id, "Client"), req.body(StageChange)
    return _one(client_service().change_stage(req.principal, cid, body.stage, body.reason))


@_lifecycle("convert", "Convert a lead or prospect into an active client")
def convert_client(client_id: str) -> Response:
    req = Req(clients_bp)
    return _one(client_service().convert(req.principal, req.id(client_id, "Client")))


@_lifecycle("promote-vip", "Promote a client to VIP")
def promote_vip(client_id: str) -> Response:
    req = Req(clients_bp)
    return _one(client_service().promote_vip(req.principal, req.id(client_id, "Client")))


@_lifecycle("stars", "Set a client's stars (0 to 3)", StarsChange)
def set_stars(client_id: str) -> Response:
    req = Req(clients_bp)
    cid, body = req.id(client_id, "Client"), req.body(StarsChange)
    return _one(client_service().set_stars(req.principal, cid, body.stars))


@_lifecycle("link-student", "Link the client to a student record", StudentLink)
def link_student(client_id: str) -> Response:
    req = Req(clients_bp)
    cid, body = req.id(client_id, "Client"), req.body(StudentLink)
    return _one(client_service().link_student(req.principal, cid, body.student_id))


@route(
    clients_bp,
    "/clients/{client_id}/link-student",
    "DELETE",
    summary="Unlink the student",
    tag=TAG,
    response=Client,
    errors=(404,),
)
def unlink_student(client_id: str) -> Response:
    req = Req(clients_bp)
    return _one(client_service().link_student(req.principal, req.id(client_id, "Client"), None))
