"""Bulk import: the template, starting a job (presigned upload), progress, undo; the queue
handler that runs the jobs when their file lands in the import bucket."""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Blueprint, Response, SQSEvent

from chalicelib.api.deps import import_service
from chalicelib.api.routing import CURSOR, LIMIT, QueryParam, Req, json_response, route
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.imports import (
    ImportCreate,
    ImportPage,
    ImportPublic,
    ImportStarted,
    UploadForm,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_QUEUE = "crm-imports"

imports_bp = Blueprint(__name__)
ENTITY = QueryParam("entity", "what the template is for: `clients`", {"enum": ["clients"]})
LANG = QueryParam("lang", "headers and help in `es` or `en`", {"enum": ["es", "en"]})


@route(
    imports_bp,
    "/imports/template",
    "GET",
    summary="The import template (.xlsx): headers, an example, dropdowns, help",
    tag="imports",
    query=(ENTITY, LANG),
    errors=(400,),
)
def import_template() -> Response:
    req = Req(imports_bp)
    if (req.query("entity") or "clients") != "clients":
        raise InvalidInputError.one("entity", "only `clients` can be imported")
    lang = req.query("lang") or "es"
    if lang not in ("es", "en"):
        raise InvalidInputError.one("lang", "one of es, en")
    body = import_service().template(req.principal, lang)
    name = "plantilla-clientes.xlsx" if lang == "es" else "clients-template.xlsx"
    return Response(
        body=body,
        status_code=200,
        headers={"Content-Type": XLSX, "Content-Disposition": f'attachment; filename="{name}"'},
    )


@route(
    imports_bp,
    "/imports",
    "POST",
    summary="Start an import: the job and a presigned POST to upload the .xlsx or .csv to",
    tag="imports",
    body=ImportCreate,
    response=ImportStarted,
    status=201,
    errors=(400,),
)
def start_import() -> Response:
    req = Req(imports_bp)
    service = import_service()
    job, url, fields = service.start(req.principal, req.body(ImportCreate))
    started = ImportStarted(
        job=service.public(job), upload=UploadForm(url=url, fields=fields), max_bytes=job.max_bytes
    )
    return json_response(started, 201, {"Location": f"/imports/{job.id}"})


@route(
    imports_bp,
    "/imports",
    "GET",
    summary="The organisation's imports, newest first (a sales user: their own)",
    tag="imports",
    response=ImportPage,
    query=(LIMIT, CURSOR),
    errors=(400,),
)
def list_imports() -> Response:
    req = Req(imports_bp)
    who, service = req.principal, import_service()
    scope = f"imports:{who.tenant_id}:{who.user_id}"
    jobs, last = service.list_jobs(who, req.limit(), req.cursor(scope))
    page = ImportPage(
        items=[service.public(j) for j in jobs], next_cursor=req.next_cursor(last, scope)
    )
    return json_response(page)


@route(
    imports_bp,
    "/imports/{import_id}",
    "GET",
    summary="An import: state, progress, counts, the result workbook",
    tag="imports",
    response=ImportPublic,
    errors=(404,),
)
def get_import(import_id: str) -> Response:
    req = Req(imports_bp)
    service = import_service()
    return json_response(service.public(service.get(req.principal, req.id(import_id, "Import"))))


@route(
    imports_bp,
    "/imports/{import_id}/undo",
    "POST",
    summary="Admin, within 30 days: delete the clients it created, restore what it changed",
    tag="imports",
    response=ImportPublic,
    status=202,
    errors=(403, 404, 409),
)
def undo_import(import_id: str) -> Response:
    req = Req(imports_bp)
    service = import_service()
    job = service.undo(req.principal, req.id(import_id, "Import"))
    return json_response(service.public(job), 202)


@imports_bp.on_sqs_message(queue=IMPORT_QUEUE, batch_size=1)
def run_import(event: SQSEvent) -> None:
    """S3 upload notifications (and our continuation / undo messages) run the jobs."""
    context: Any = event.context
    remaining = context.get_remaining_time_in_millis
    for record in event:
        message: Any = json.loads(record.body)
        import_service().handle(message, remaining)
