"""Client groups (admin) and the clients' statistics."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api.deps import client_service, group_service
from chalicelib.api.routing import Req, json_response, route
from chalicelib.domain.groups import Group, GroupCreate, GroupList, GroupUpdate
from chalicelib.domain.stats import ClientStats

groups_bp = Blueprint(__name__)


@route(
    groups_bp,
    "/groups",
    "GET",
    summary="Client groups (a sales user: the groups assigned to them)",
    tag="groups",
    response=GroupList,
)
def list_groups() -> Response:
    return json_response(GroupList(items=group_service().list_groups(Req(groups_bp).principal)))


@route(
    groups_bp,
    "/groups",
    "POST",
    summary="Create a client group (admin)",
    tag="groups",
    body=GroupCreate,
    response=Group,
    status=201,
    errors=(400, 403),
)
def create_group() -> Response:
    req = Req(groups_bp)
    return json_response(group_service().create(req.principal, req.body(GroupCreate)), 201)


@route(
    groups_bp,
    "/groups/{group_id}",
    "PATCH",
    summary="Rename a client group or change its users (admin)",
    tag="groups",
    body=GroupUpdate,
    response=Group,
    errors=(400, 403, 404, 409),
)
def update_group(group_id: str) -> Response:
    req = Req(groups_bp)
    gid = req.id(group_id, "Group")
    return json_response(group_service().update(req.principal, gid, req.body(GroupUpdate)))


@route(
    groups_bp,
    "/groups/{group_id}",
    "DELETE",
    summary="Delete a client group that no client is in (admin)",
    tag="groups",
    status=204,
    errors=(403, 404, 409),
)
def delete_group(group_id: str) -> Response:
    req = Req(groups_bp)
    group_service().delete(req.principal, req.id(group_id, "Group"))
    return Response(body="", status_code=204)


@route(
    groups_bp,
    "/stats/clients",
    "GET",
    summary="Totals by type, stage, status, kind, source; new, active and won this month",
    tag="clients",
    response=ClientStats,
)
def client_stats() -> Response:
    return json_response(client_service().stats(Req(groups_bp).principal))
