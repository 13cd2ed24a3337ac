"""Tasks (follow-ups) and the follow-ups panel."""

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
    page_response,
    route,
)
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.tasks import Bucket, Task, TaskCreate, TaskPage, TaskUpdate

tasks_bp = Blueprint(__name__)
BUCKET = QueryParam(
    "bucket",
    "today · overdue · this_week · next_week (in the assignee's time zone)",
    {"type": "string", "enum": [b.value for b in Bucket]},
)
ASSIGNEE = QueryParam("assignee", "`me` (default), a user id, or `all` (managers, admins)")


@route(
    tasks_bp,
    "/clients/{client_id}/tasks",
    "POST",
    summary="Add a task",
    tag="tasks",
    body=TaskCreate,
    response=Task,
    status=201,
    errors=(400, 404, 409),
)
def create_task(client_id: str) -> Response:
    req = Req(tasks_bp)
    cid = req.id(client_id, "Client")
    task = relations_service().create_task(req.principal, cid, req.body(TaskCreate))
    return json_response(task, 201)


@route(
    tasks_bp,
    "/clients/{client_id}/tasks",
    "GET",
    summary="A client's tasks, newest first",
    tag="tasks",
    response=TaskPage,
    query=(LIMIT, CURSOR),
    errors=(400, 404),
)
def list_tasks(client_id: str) -> Response:
    return client_page(tasks_bp, client_id, "tasks", TaskPage, relations_service().list_tasks)


@route(
    tasks_bp,
    "/tasks",
    "GET",
    summary="The follow-ups panel: pending tasks of a bucket",
    tag="tasks",
    response=TaskPage,
    query=(BUCKET, ASSIGNEE, LIMIT, CURSOR),
    errors=(400, 403),
)
def task_panel() -> Response:
    req = Req(tasks_bp)
    raw = req.query("bucket") or "today"
    try:
        bucket = Bucket(raw)
    except ValueError:
        choices = ", ".join(b.value for b in Bucket)
        raise InvalidInputError.one("bucket", f"one of {choices}") from None
    who, assignee = req.principal, req.query("assignee") or "me"
    if assignee not in ("me", "all"):
        req.id(assignee, "User")
    scope = f"panel:{who.tenant_id}:{who.user_id}:{assignee}:{bucket.value}"
    items, last = relations_service().task_panel(
        who, bucket, assignee, req.limit(), req.cursor(scope)
    )
    return page_response(TaskPage, items, last, scope)


@route(
    tasks_bp,
    "/tasks/{task_id}",
    "PATCH",
    summary="Change a task",
    tag="tasks",
    body=TaskUpdate,
    response=Task,
    errors=(400, 404, 409),
)
def update_task(task_id: str) -> Response:
    req = Req(tasks_bp)
    tid, body = req.id(task_id, "Task"), req.body(TaskUpdate)
    return json_response(relations_service().update_task(req.principal, tid, body))


@route(
    tasks_bp,
    "/tasks/{task_id}/complete",
    "POST",
    summary="Complete a task",
    tag="tasks",
    response=Task,
    errors=(404, 409),
)
def complete_task(task_id: str) -> Response:
    req = Req(tasks_bp)
    return json_response(relations_service().complete_task(req.principal, req.id(task_id, "Task")))


@route(
    tasks_bp,
    "/tasks/{task_id}/reopen",
    "POST",
    summary="Reopen a completed task",
    tag="tasks",
    response=Task,
    errors=(404, 409),
)
def reopen_task(task_id: str) -> Response:
    req = Req(tasks_bp)
    return json_response(relations_service().reopen_task(req.principal, req.id(task_id, "Task")))
