"""The organisation's configurable lists: stages, sources, type icons, custom fields.

Every role reads them; only an admin writes them. Keys are given on creation and never change.
"""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api.deps import catalog_service
from chalicelib.api.routing import Req, json_response, route
from chalicelib.domain.catalogs import (
    CustomField,
    CustomFieldCreate,
    CustomFieldList,
    CustomFieldUpdate,
    Source,
    SourceCreate,
    SourceList,
    SourceUpdate,
    Stage,
    StageCreate,
    StageList,
    StageUpdate,
    TypeIcons,
)

catalogs_bp = Blueprint(__name__)
TAG = "settings"


def _no_content() -> Response:
    return Response(body="", status_code=204)


# --- pipeline stages -----------------------------------------------------------------------


@route(
    catalogs_bp,
    "/settings/stages",
    "GET",
    summary="The pipeline's stages, in order",
    tag=TAG,
    response=StageList,
)
def list_stages() -> Response:
    stages = catalog_service().settings(Req(catalogs_bp).principal).stages
    return json_response(StageList(items=stages))


@route(
    catalogs_bp,
    "/settings/stages",
    "POST",
    summary="Add a stage (admin)",
    tag=TAG,
    body=StageCreate,
    response=Stage,
    status=201,
    errors=(400, 403, 409),
)
def create_stage() -> Response:
    req = Req(catalogs_bp)
    return json_response(catalog_service().create_stage(req.principal, req.body(StageCreate)), 201)


@route(
    catalogs_bp,
    "/settings/stages/{key}",
    "PATCH",
    summary="Change a stage's label, colour, order, won/lost (admin)",
    tag=TAG,
    body=StageUpdate,
    response=Stage,
    errors=(400, 403, 404),
)
def update_stage(key: str) -> Response:
    req = Req(catalogs_bp)
    body = req.body(StageUpdate)
    return json_response(catalog_service().update_stage(req.principal, key, body))


@route(
    catalogs_bp,
    "/settings/stages/{key}",
    "DELETE",
    summary="Delete a stage no client is in (admin)",
    tag=TAG,
    status=204,
    errors=(403, 404, 409),
)
def delete_stage(key: str) -> Response:
    catalog_service().delete_stage(Req(catalogs_bp).principal, key)
    return _no_content()


# --- contact sources -----------------------------------------------------------------------


@route(
    catalogs_bp,
    "/settings/sources",
    "GET",
    summary="Where contacts come from: built-in and custom sources",
    tag=TAG,
    response=SourceList,
)
def list_sources() -> Response:
    sources = catalog_service().settings(Req(catalogs_bp).principal).sources
    return json_response(SourceList(items=sources))


@route(
    catalogs_bp,
    "/settings/sources",
    "POST",
    summary="Add a custom source (admin)",
    tag=TAG,
    body=SourceCreate,
    response=Source,
    status=201,
    errors=(400, 403, 409),
)
def create_source() -> Response:
    req = Req(catalogs_bp)
    body = req.body(SourceCreate)
    return json_response(catalog_service().create_source(req.principal, body), 201)


@route(
    catalogs_bp,
    "/settings/sources/{key}",
    "PATCH",
    summary="Rename a source or change its icon (admin)",
    tag=TAG,
    body=SourceUpdate,
    response=Source,
    errors=(400, 403, 404),
)
def update_source(key: str) -> Response:
    req = Req(catalogs_bp)
    body = req.body(SourceUpdate)
    return json_response(catalog_service().update_source(req.principal, key, body))


@route(
    catalogs_bp,
    "/settings/sources/{key}",
    "DELETE",
    summary="Delete a custom source no client has (admin)",
    tag=TAG,
    status=204,
    errors=(403, 404, 409),
)
def delete_source(key: str) -> Response:
    catalog_service().delete_source(Req(catalogs_bp).principal, key)
    return _no_content()


# --- client types' map icons ---------------------------------------------------------------


@route(
    catalogs_bp,
    "/settings/type-icons",
    "GET",
    summary="The map icon of each client type",
    tag=TAG,
    response=TypeIcons,
)
def get_type_icons() -> Response:
    return json_response(catalog_service().settings(Req(catalogs_bp).principal).type_icons)


@route(
    catalogs_bp,
    "/settings/type-icons",
    "PUT",
    summary="Set the map icons of all client types (admin)",
    tag=TAG,
    body=TypeIcons,
    response=TypeIcons,
    errors=(400, 403),
)
def put_type_icons() -> Response:
    req = Req(catalogs_bp)
    return json_response(catalog_service().set_type_icons(req.principal, req.body(TypeIcons)))


# --- custom client fields ------------------------------------------------------------------


@route(
    catalogs_bp,
    "/settings/custom-fields",
    "GET",
    summary="The definitions of the clients' custom fields",
    tag=TAG,
    response=CustomFieldList,
)
def list_custom_fields() -> Response:
    fields = catalog_service().settings(Req(catalogs_bp).principal).custom_fields
    return json_response(CustomFieldList(items=fields))


@route(
    catalogs_bp,
    "/settings/custom-fields",
    "POST",
    summary="Define a custom client field (admin)",
    tag=TAG,
    body=CustomFieldCreate,
    response=CustomField,
    status=201,
    errors=(400, 403, 409),
)
def create_custom_field() -> Response:
    req = Req(catalogs_bp)
    body = req.body(CustomFieldCreate)
    return json_response(catalog_service().create_custom_field(req.principal, body), 201)


@route(
    catalogs_bp,
    "/settings/custom-fields/{key}",
    "PATCH",
    summary="Change a custom field's label, type, options, required (admin)",
    tag=TAG,
    body=CustomFieldUpdate,
    response=CustomField,
    errors=(400, 403, 404),
)
def update_custom_field(key: str) -> Response:
    req = Req(catalogs_bp)
    body = req.body(CustomFieldUpdate)
    return json_response(catalog_service().update_custom_field(req.principal, key, body))


@route(
    catalogs_bp,
    "/settings/custom-fields/{key}",
    "DELETE",
    summary="Delete a custom field definition; clients keep their values (admin)",
    tag=TAG,
    status=204,
    errors=(403, 404),
)
def delete_custom_field(key: str) -> Response:
    catalog_service().delete_custom_field(Req(catalogs_bp).principal, key)
    return _no_content()
