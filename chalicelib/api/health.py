"""Liveness: the stage, whether the table answers, and the scheduled jobs. No sign-in."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib.api.deps import job_runs, tenant_service
from chalicelib.api.routing import json_response, route
from chalicelib.config import get_settings
from chalicelib.domain.model import Model
from chalicelib.services.job_runs import JobStatus

health_bp = Blueprint(__name__)


class Health(Model):
    status: str
    stage: str
    table: str
    detail: str | None = None
    jobs: dict[str, JobStatus] | None = Field(
        default=None,
        description="each scheduled job's last start and success; `late` when its last "
        "success is more than two periods old (or it never succeeded)",
    )


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
    jobs = job_runs().status()
    return json_response(Health(status="ok", stage=settings.stage, table="ok", jobs=jobs))
