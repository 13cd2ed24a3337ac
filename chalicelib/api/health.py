"""Liveness: the stage and whether the table answers. No sign-in."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import BaseModel

from chalicelib.api.deps import tenant_service
from chalicelib.api.routing import json_response, route
from chalicelib.config import get_settings

health_bp = Blueprint(__name__)


class Health(BaseModel):
    status: str
    stage: str
    table: str
    detail: str | None = None


@route(
    health_bp,
    "/health",
    "GET",
    summary="Is the API up and does its table answer?",
    tag="health",
    response=Health,
    auth=False,
    errors=(503,),
)
def health() -> Response:
    settings = get_settings()
    try:
        tenant_service().repo.ping()
    except Exception as exc:  # any failure to reach the table is what this route reports
        detail = f"the table did not answer ({type(exc).__name__})"
        body = Health(status="unavailable", stage=settings.stage, table="error", detail=detail)
        return json_response(body, 503)
    return json_response(Health(status="ok", stage=settings.stage, table="ok"))
