"""Tenant settings, the user directory and the caller's own record."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api.deps import tenant_service
from chalicelib.api.routing import Req, json_response, route
from chalicelib.domain.tenants import (
    MeUpdate,
    SettingsUpdate,
    TenantSettings,
    User,
    UserList,
    UserUpsert,
)

tenants_bp = Blueprint(__name__)


@route(
    tenants_bp,
    "/settings",
    "GET",
    summary="The organisation's settings (admin)",
    tag="settings",
    response=TenantSettings,
    errors=(403,),
)
def get_settings() -> Response:
    return json_response(tenant_service().get_settings(Req(tenants_bp).principal))


@route(
    tenants_bp,
    "/settings",
    "PATCH",
    summary="Change the organisation's settings (admin)",
    tag="settings",
    body=SettingsUpdate,
    response=TenantSettings,
    errors=(400, 403, 409),
)
def update_settings() -> Response:
    req = Req(tenants_bp)
    return json_response(tenant_service().update_settings(req.principal, req.body(SettingsUpdate)))


@route(
    tenants_bp,
    "/users",
    "GET",
    summary="The organisation's users",
    tag="users",
    response=UserList,
)
def list_users() -> Response:
    users = tenant_service().list_users(Req(tenants_bp).principal)
    return json_response(UserList(items=users))


@route(
    tenants_bp,
    "/users/{user_id}",
    "PUT",
    summary="Add or change a user (admin)",
    tag="users",
    body=UserUpsert,
    response=User,
    errors=(400, 403),
)
def put_user(user_id: str) -> Response:
    req = Req(tenants_bp)
    uid = req.id(user_id, "User")
    return json_response(tenant_service().put_user(req.principal, uid, req.body(UserUpsert)))


@route(tenants_bp, "/me", "GET", summary="The signed-in user", tag="users", response=User)
def me() -> Response:
    return json_response(tenant_service().me(Req(tenants_bp).principal))


@route(
    tenants_bp,
    "/me",
    "PATCH",
    summary="Change one's own name, language, time zone, email for reminders",
    tag="users",
    body=MeUpdate,
    response=User,
    errors=(400,),
)
def update_me() -> Response:
    req = Req(tenants_bp)
    return json_response(tenant_service().update_me(req.principal, req.body(MeUpdate)))
