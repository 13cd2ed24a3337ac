"""Health, the OpenAPI document, CORS."""

from __future__ import annotations

import pytest

from app import app
from chalicelib.api.routing import ROUTE_SPECS
from chalicelib.domain.search import ClientQuery


def test_health_needs_no_token_and_reports_the_table(api):
    r = api.get("/health", auth=False)
    assert r.status == 200
    jobs = r.body.pop("jobs")  # the scheduled jobs: tests/functional/test_digest.py
    assert r.body == {"status": "ok", "stage": "test", "table": "ok", "detail": None}
    assert set(jobs) == {"reminders", "work_orders"}


def test_health_is_503_when_the_table_is_gone(api, boto_session):
    boto_session.client("dynamodb").delete_table(TableName="crm-test")
    r = api.get("/health", auth=False)
    assert r.status == 503 and r.body["status"] == "unavailable"


def test_openapi_lists_every_route_of_the_app(api):
    r = api.get("/openapi.json", auth=False)
    assert r.status == 200
    doc = r.body
    assert doc["openapi"].startswith("3.1")
    routes = {(path, method) for path, methods in app.routes.items() for method in methods}
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    assert routes == documented
    # every route went through route(): it has a summary, a tag and its responses
    assert set(ROUTE_SPECS) == routes
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["summary"] and op["tags"], (path, method)


def test_openapi_describes_bodies_and_problems(api):
    doc = api.get("/openapi.json", auth=False).body
    create = doc["paths"]["/clients"]["post"]
    ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["required"] == ["name"]
    assert "201" in create["responses"] and "409" in create["responses"]
    assert create["security"] == [{"bearer": []}]
    problem = create["responses"]["400"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}
    listed = {p["name"] for p in doc["paths"]["/clients"]["get"]["parameters"]}
    assert listed == {*ClientQuery.model_fields, "limit", "cursor"}
    assert doc["paths"]["/health"]["get"]["security"] == []


@pytest.mark.parametrize("path", ["/clients", "/health"])
def test_cors_headers_name_the_frontend_origin(api, path):
    r = api.get(path)
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.test.crm"
