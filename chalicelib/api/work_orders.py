"""Work orders, recurrence rules, their preview, and the hourly materializer."""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from chalice.app import Blueprint, Rate, Response

from chalicelib.api.deps import job_runs, work_order_service
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
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.work_orders import (
    Recurrence,
    RecurrenceCreate,
    RecurrencePage,
    RecurrencePreview,
    RecurrenceUpdate,
    WorkOrder,
    WorkOrderCreate,
    WorkOrderPage,
    WorkOrderStatus,
    WorkOrderUpdate,
)

work_orders_bp = Blueprint(__name__)
log = logging.getLogger(__name__)

_WHEN = "a date-time with its offset, or a date (midnight in the organisation's time zone)"
FROM = QueryParam("from", f"scheduled at or after: {_WHEN}; default now")
TO = QueryParam("to", f"scheduled before: {_WHEN}; default `from` + 31 days")
TECHNICIAN = QueryParam("technician", "`me` or a user id")
STATUS = QueryParam(
    "status",
    "only orders with this status",
    {"type": "string", "enum": [s.value for s in WorkOrderStatus]},
)
N = QueryParam(
    "n", "how many occurrences, 1 to 100 (default 10)", {"type": "integer", "minimum": 1}
)


def _instant(req: Req, name: str, zone: str | None) -> datetime | None:
    raw = req.query(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace(" ", "+"))
    except ValueError:
        raise InvalidInputError.one(name, _WHEN + ", e.g. 2026-11-24T09:00:00+01:00") from None
    if len(raw) == 10 and zone is not None:  # a date: midnight in the organisation's zone
        return datetime.combine(value.date(), time(), ZoneInfo(zone))
    if value.tzinfo is None:
        raise InvalidInputError.one(name, "a date-time needs its offset (or use a date)")
    return value


def _versioned(model: WorkOrder | Recurrence, status: int = 200) -> Response:
    return json_response(model, status, {"ETag": etag(model.version)})


@route(
    work_orders_bp,
    "/clients/{client_id}/work-orders",
    "POST",
    summary="Schedule a work order (a visit) for a client",
    tag="work orders",
    body=WorkOrderCreate,
    response=WorkOrder,
    status=201,
    errors=(400, 404),
)
def create_work_order(client_id: str) -> Response:
    req = Req(work_orders_bp)
    cid = req.id(client_id, "Client")
    order = work_order_service().create_order(req.principal, cid, req.body(WorkOrderCreate))
    return _versioned(order, 201)


@route(
    work_orders_bp,
    "/clients/{client_id}/work-orders",
    "GET",
    summary="A client's work orders, by scheduled time",
    tag="work orders",
    response=WorkOrderPage,
    query=(LIMIT, CURSOR),
    errors=(400, 404),
)
def list_client_work_orders(client_id: str) -> Response:
    service = work_order_service()
    return client_page(
        work_orders_bp, client_id, "work-orders", WorkOrderPage, service.list_client_orders
    )


@route(
    work_orders_bp,
    "/work-orders",
    "GET",
    summary="Work orders scheduled in a period, soonest first",
    tag="work orders",
    response=WorkOrderPage,
    query=(FROM, TO, TECHNICIAN, STATUS, LIMIT, CURSOR),
    errors=(400,),
)
def list_work_orders() -> Response:
    req = Req(work_orders_bp)
    who = req.principal
    service = work_order_service()
    needs_zone = any(len(req.query(n) or "") == 10 for n in ("from", "to"))
    zone = service.tenant_zone(who) if needs_zone else None
    start_at, end_at = _instant(req, "from", zone), _instant(req, "to", zone)
    technician = req.query("technician")
    if technician not in (None, "me"):
        req.id(technician or "", "User")
    raw_status = req.query("status")
    try:
        status = WorkOrderStatus(raw_status) if raw_status else None
    except ValueError:
        choices = ", ".join(s.value for s in WorkOrderStatus)
        raise InvalidInputError.one("status", f"one of {choices}") from None
    asked = ":".join(req.query(n) or "" for n in ("from", "to", "technician", "status"))
    scope = f"work-orders:{who.tenant_id}:{who.user_id}:{asked}"
    items, last = service.list_orders(
        who, start_at, end_at, technician, status, req.limit(), req.cursor(scope)
    )
    return page_response(WorkOrderPage, items, last, scope)


@route(
    work_orders_bp,
    "/work-orders/{work_order_id}",
    "GET",
    summary="One work order",
    tag="work orders",
    response=WorkOrder,
    errors=(404,),
)
def get_work_order(work_order_id: str) -> Response:
    req = Req(work_orders_bp)
    oid = req.id(work_order_id, "Work order")
    return _versioned(work_order_service().get_order(req.principal, oid))


@route(
    work_orders_bp,
    "/work-orders/{work_order_id}",
    "PATCH",
    summary="Change, start, complete or cancel a work order",
    tag="work orders",
    body=WorkOrderUpdate,
    response=WorkOrder,
    headers=("If-Match",),
    errors=(400, 403, 404, 409, 412),
)
def update_work_order(work_order_id: str) -> Response:
    req = Req(work_orders_bp)
    oid, body = req.id(work_order_id, "Work order"), req.body(WorkOrderUpdate)
    order = work_order_service().update_order(req.principal, oid, body, req.if_match())
    return _versioned(order)


@route(
    work_orders_bp,
    "/clients/{client_id}/recurrences",
    "POST",
    summary="Add a recurrence rule: work orders on an RRULE in a time zone",
    tag="recurrences",
    body=RecurrenceCreate,
    response=Recurrence,
    status=201,
    errors=(400, 404),
)
def create_recurrence(client_id: str) -> Response:
    req = Req(work_orders_bp)
    cid = req.id(client_id, "Client")
    rule = work_order_service().create_rule(req.principal, cid, req.body(RecurrenceCreate))
    return _versioned(rule, 201)


@route(
    work_orders_bp,
    "/clients/{client_id}/recurrences",
    "GET",
    summary="A client's recurrence rules",
    tag="recurrences",
    response=RecurrencePage,
    query=(LIMIT, CURSOR),
    errors=(400, 404),
)
def list_recurrences(client_id: str) -> Response:
    service = work_order_service()
    return client_page(work_orders_bp, client_id, "recurrences", RecurrencePage, service.list_rules)


@route(
    work_orders_bp,
    "/recurrences/{recurrence_id}",
    "GET",
    summary="One recurrence rule",
    tag="recurrences",
    response=Recurrence,
    errors=(404,),
)
def get_recurrence(recurrence_id: str) -> Response:
    req = Req(work_orders_bp)
    rid = req.id(recurrence_id, "Recurrence")
    return _versioned(work_order_service().get_rule(req.principal, rid))


@route(
    work_orders_bp,
    "/recurrences/{recurrence_id}",
    "PATCH",
    summary="Change a rule: its future orders not started or moved by hand follow",
    tag="recurrences",
    body=RecurrenceUpdate,
    response=Recurrence,
    headers=("If-Match",),
    errors=(400, 404, 409, 412),
)
def update_recurrence(recurrence_id: str) -> Response:
    req = Req(work_orders_bp)
    rid, body = req.id(recurrence_id, "Recurrence"), req.body(RecurrenceUpdate)
    rule = work_order_service().update_rule(req.principal, rid, body, req.if_match())
    return _versioned(rule)


@route(
    work_orders_bp,
    "/recurrences/{recurrence_id}",
    "DELETE",
    summary="Delete a rule and its future orders not started or moved by hand",
    tag="recurrences",
    status=204,
    errors=(404, 409),
)
def delete_recurrence(recurrence_id: str) -> Response:
    req = Req(work_orders_bp)
    work_order_service().delete_rule(req.principal, req.id(recurrence_id, "Recurrence"))
    return Response(body="", status_code=204)


@route(
    work_orders_bp,
    "/recurrences/{recurrence_id}/preview",
    "GET",
    summary="The rule's next occurrences, local and UTC",
    tag="recurrences",
    response=RecurrencePreview,
    query=(N,),
    errors=(400, 404),
)
def preview_recurrence(recurrence_id: str) -> Response:
    req = Req(work_orders_bp)
    rid = req.id(recurrence_id, "Recurrence")
    raw = req.query("n") or "10"
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise InvalidInputError.one("n", "must be a whole number from 1 to 100")
    return json_response(work_order_service().preview(req.principal, rid, int(raw)))


@work_orders_bp.schedule(Rate(1, unit=Rate.HOURS))
def materialize_work_orders(event: Any) -> dict[str, Any]:
    """Hourly: every due rule's orders up to the horizon (see WorkOrderService.materialize);
    the run is recorded for `GET /health`."""
    job_runs().started("work_orders")
    report = work_order_service().materialize()
    log.info("materialized work orders: %s", report)
    if report.errors:
        log.warning("rules left for the next run: %s", report.errors)
    summary = {
        "rules": report.rules,
        "created": report.created,
        "rewritten": report.rewritten,
        "deleted": report.deleted,
        "kept": report.kept,
    }
    job_runs().succeeded("work_orders", summary)
    return summary
