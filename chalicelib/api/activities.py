"""Activities (calls, emails, meetings, …) and notes around a client."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api.deps import relations_service
from chalicelib.api.routing import (
    CURSOR,
    LIMIT,
    QueryParam,
    Req,
    client_page,
    json_response,
    route,
)
from chalicelib.domain.activities import (
    Activity,
    ActivityCreate,
    ActivityPage,
    ActivityUpdate,
    Note,
    NoteCreate,
    NotePage,
    PendingActivities,
)
from chalicelib.domain.errors import InvalidInputError

activities_bp = Blueprint(__name__)
STATUS = QueryParam("status", "only `scheduled` (the pending ones)")
RESPONSIBLE = QueryParam("responsible", "`me` (default) or a user id (managers, admins)")


@route(
    activities_bp,
    "/clients/{client_id}/activities",
    "POST",
    summary="Log an activity",
    tag="activities",
    body=ActivityCreate,
    response=Activity,
    status=201,
    errors=(400, 403, 404, 409),
)
def create_activity(client_id: str) -> Response:
    req = Req(activities_bp)
    cid = req.id(client_id, "Client")
    activity = relations_service().create_activity(req.principal, cid, req.body(ActivityCreate))
    return json_response(activity, 201)


@route(
    activities_bp,
    "/clients/{client_id}/activities",
    "GET",
    summary="A client's activities, latest first",
    tag="activities",
    response=ActivityPage,
    query=(LIMIT, CURSOR),
    errors=(400, 404),
)
def list_activities(client_id: str) -> Response:
    return client_page(
        activities_bp, client_id, "activities", ActivityPage, relations_service().list_activities
    )


@route(
    activities_bp,
    "/activities",
    "GET",
    summary="The bell: pending (scheduled) activities and their count",
    tag="activities",
    response=PendingActivities,
    query=(STATUS, RESPONSIBLE, LIMIT, CURSOR),
    errors=(400, 403),
)
def pending_activities() -> Response:
    req = Req(activities_bp)
    if (req.query("status") or "scheduled") != "scheduled":
        raise InvalidInputError.one("status", "only 'scheduled' is supported")
    who, responsible = req.principal, req.query("responsible") or "me"
    if responsible != "me":
        req.id(responsible, "User")
    scope = f"bell:{who.tenant_id}:{who.user_id}:{responsible}"
    count, items, last = relations_service().pending_activities(
        who, responsible, req.limit(), req.cursor(scope)
    )
    cursor = req.next_cursor(last, scope)
    return json_response(PendingActivities(count=count, items=items, next_cursor=cursor))


@route(
    activities_bp,
    "/activities/{activity_id}",
    "GET",
    summary="One activity",
    tag="activities",
    response=Activity,
    errors=(404,),
)
def get_activity(activity_id: str) -> Response:
    req = Req(activities_bp)
    aid = req.id(activity_id, "Activity")
    return json_response(relations_service().get_activity(req.principal, aid))


@route(
    activities_bp,
    "/activities/{activity_id}",
    "PATCH",
    summary="Change an activity",
    tag="activities",
    body=ActivityUpdate,
    response=Activity,
    errors=(400, 403, 404, 409),
)
def update_activity(activity_id: str) -> Response:
    req = Req(activities_bp)
    aid, body = req.id(activity_id, "Activity"), req.body(ActivityUpdate)
    return json_response(relations_service().update_activity(req.principal, aid, body))


@route(
    activities_bp,
    "/activities/{activity_id}",
    "DELETE",
    summary="Delete an activity",
    tag="activities",
    status=204,
    errors=(404, 409),
)
def delete_activity(activity_id: str) -> Response:
    req = Req(activities_bp)
    relations_service().delete_activity(req.principal, req.id(activity_id, "Activity"))
    return Response(body="", status_code=204)


@route(
    activities_bp,
    "/clients/{client_id}/notes",
    "POST",
    summary="Add a note",
    tag="notes",
    body=NoteCreate,
    response=Note,
    status=201,
    errors=(400, 404),
)
def create_note(client_id: str) -> Response:
    req = Req(activities_bp)
    cid = req.id(client_id, "Client")
    note = relations_service().create_note(req.principal, cid, req.body(NoteCreate))
    return json_response(note, 201)


@route(
    activities_bp,
    "/clients/{client_id}/notes",
    "GET",
    summary="A client's notes, newest first",
    tag="notes",
    response=NotePage,
    query=(LIMIT, CURSOR),
    errors=(400, 404),
)
def list_notes(client_id: str) -> Response:
    return client_page(activities_bp, client_id, "notes", NotePage, relations_service().list_notes)


@route(
    activities_bp,
    "/notes/{note_id}",
    "PATCH",
    summary="Edit a note (its author, managers)",
    tag="notes",
    body=NoteCreate,
    response=Note,
    errors=(400, 403, 404),
)
def update_note(note_id: str) -> Response:
    req = Req(activities_bp)
    nid, body = req.id(note_id, "Note"), req.body(NoteCreate)
    return json_response(relations_service().update_note(req.principal, nid, body))


@route(
    activities_bp,
    "/notes/{note_id}",
    "DELETE",
    summary="Delete a note (its author, managers)",
    tag="notes",
    status=204,
    errors=(403, 404),
)
def delete_note(note_id: str) -> Response:
    req = Req(activities_bp)
    relations_service().delete_note(req.principal, req.id(note_id, "Note"))
    return Response(body="", status_code=204)
