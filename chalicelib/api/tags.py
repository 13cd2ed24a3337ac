"""The tag catalogue and the tags of a client."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api.deps import relations_service
from chalicelib.api.routing import Req, json_response, route
from chalicelib.domain.tags import ClientTagList, ClientTags, Tag, TagCreate, TagList, TagUpdate

tags_bp = Blueprint(__name__)


@route(tags_bp, "/tags", "GET", summary="The organisation's tags", tag="tags", response=TagList)
def list_tags() -> Response:
    return json_response(TagList(items=relations_service().list_tags(Req(tags_bp).principal)))


@route(
    tags_bp,
    "/tags",
    "POST",
    summary="Create a tag (managers, admins)",
    tag="tags",
    body=TagCreate,
    response=Tag,
    status=201,
    errors=(400, 403),
)
def create_tag() -> Response:
    req = Req(tags_bp)
    return json_response(relations_service().create_tag(req.principal, req.body(TagCreate)), 201)


@route(
    tags_bp,
    "/tags/{tag_id}",
    "PATCH",
    summary="Rename or recolour a tag (managers, admins)",
    tag="tags",
    body=TagUpdate,
    response=Tag,
    errors=(400, 403, 404, 409),
)
def update_tag(tag_id: str) -> Response:
    req = Req(tags_bp)
    tid, body = req.id(tag_id, "Tag"), req.body(TagUpdate)
    return json_response(relations_service().update_tag(req.principal, tid, body))


@route(
    tags_bp,
    "/tags/{tag_id}",
    "DELETE",
    summary="Delete a tag; it leaves every client (managers, admins)",
    tag="tags",
    status=204,
    errors=(403, 404),
)
def delete_tag(tag_id: str) -> Response:
    req = Req(tags_bp)
    relations_service().delete_tag(req.principal, req.id(tag_id, "Tag"))
    return Response(body="", status_code=204)


@route(
    tags_bp,
    "/clients/{client_id}/tags",
    "PUT",
    summary="Set all of a client's tags",
    tag="tags",
    body=ClientTags,
    response=ClientTagList,
    errors=(400, 404),
)
def set_client_tags(client_id: str) -> Response:
    req = Req(tags_bp)
    cid, body = req.id(client_id, "Client"), req.body(ClientTags)
    return json_response(
        ClientTagList(items=relations_service().set_client_tags(req.principal, cid, body))
    )


@route(
    tags_bp,
    "/clients/{client_id}/tags/{tag_id}",
    "POST",
    summary="Tag a client",
    tag="tags",
    response=ClientTagList,
    errors=(404,),
)
def add_client_tag(client_id: str, tag_id: str) -> Response:
    req = Req(tags_bp)
    cid, tid = req.id(client_id, "Client"), req.id(tag_id, "Tag")
    return json_response(
        ClientTagList(items=relations_service().add_client_tag(req.principal, cid, tid))
    )


@route(
    tags_bp,
    "/clients/{client_id}/tags/{tag_id}",
    "DELETE",
    summary="Untag a client",
    tag="tags",
    response=ClientTagList,
    errors=(404,),
)
def remove_client_tag(client_id: str, tag_id: str) -> Response:
    req = Req(tags_bp)
    cid, tid = req.id(client_id, "Client"), req.id(tag_id, "Tag")
    tags = relations_service().remove_client_tag(req.principal, cid, tid)
    return json_response(ClientTagList(items=tags))
