"""Exports to Excel or CSV: ask for one, follow it, download it; and the export worker."""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Blueprint, Response, SQSEvent

from chalicelib.api.deps import EXPORT_QUEUE, export_service
from chalicelib.api.routing import CURSOR, LIMIT, Req, json_response, page_response, route
from chalicelib.domain.exports import ExportCreate, ExportJob, ExportPage, ExportState
from chalicelib.services.exports import MAX_RECEIVES

exports_bp = Blueprint(__name__)


@route(
    exports_bp,
    "/exports",
    "POST",
    summary="Export clients, activities or tasks to xlsx or csv (small ones at once)",
    tag="exports",
    body=ExportCreate,
    response=ExportJob,
    status=201,
    headers=("Idempotency-Key",),
    errors=(400, 422),
)
def create_export() -> Response:
    req = Req(exports_bp)
    body, key = req.body(ExportCreate), req.idempotency_key()
    job = export_service().start(req.principal, body, key)
    status = 201 if job.state is ExportState.DONE else 202
    return json_response(job, status, {"Location": f"/exports/{job.id}"})


@route(
    exports_bp,
    "/exports",
    "GET",
    summary="Exports, newest first (an admin: everyone's)",
    tag="exports",
    response=ExportPage,
    query=(LIMIT, CURSOR),
    errors=(400,),
)
def list_exports() -> Response:
    req = Req(exports_bp)
    who = req.principal
    scope = f"exports:{who.tenant_id}:{who.user_id}"
    items, last = export_service().list_jobs(who, req.limit(), req.cursor(scope))
    return page_response(ExportPage, items, last, scope)


@route(
    exports_bp,
    "/exports/{export_id}",
    "GET",
    summary="An export's state; once done, a download URL valid 15 minutes",
    tag="exports",
    response=ExportJob,
    errors=(404,),
)
def get_export(export_id: str) -> Response:
    req = Req(exports_bp)
    job = export_service().get(req.principal, req.id(export_id, "Export"))
    return json_response(job)


@exports_bp.on_sqs_message(queue=EXPORT_QUEUE, batch_size=1, name="export_worker")
def export_worker(event: SQSEvent) -> None:
    """Writes a queued export (a message `{tenant, job}` from `POST /exports`)."""
    for record in event:
        message: dict[str, Any] = json.loads(record.body)
        attributes = record.to_dict().get("attributes", {})
        receives = int(attributes.get("ApproximateReceiveCount", "1"))
        export_service().run_queued(
            message["tenant"], message["job"], last_attempt=receives >= MAX_RECEIVES
        )
