"""Tenant settings and the user directory in DynamoDB."""

from __future__ import annotations

import contextlib
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import HealthItem, Item, TenantItem, UserItem, bind
from chalicelib.config import Settings, get_settings
from chalicelib.domain.clients import DEFAULT_SOURCES, DEFAULT_STAGES
from chalicelib.domain.tenants import TenantSettings, User
from chalicelib.services.ports import StaleWriteError


def settings_from_item(tenant: str, item: TenantItem) -> TenantSettings:
    return TenantSettings(
        tenant_id=tenant,
        name=item.name or "",
        timezone=item.timezone,
        language=item.language,
        default_phone_region=item.default_phone_region,
        allow_duplicates=bool(item.allow_duplicates),
        work_order_horizon_days=int(item.work_order_horizon_days or 30),
        stages=list(item.stages or DEFAULT_STAGES),
        sources=list(item.sources or DEFAULT_SOURCES),
        version=int(item.version or 0),
    )


def default_settings(tenant: str, settings: Settings) -> TenantSettings:
    """What a tenant has before an admin saves its settings: the stage's defaults."""
    return TenantSettings(
        tenant_id=tenant,
        timezone=settings.default_timezone,
        language=settings.default_language,
        default_phone_region=settings.default_phone_region,
    )


def user_from_item(item: UserItem) -> User:
    return User(
        user_id=item.user_id,
        name=item.name,
        email=item.email,
        role=item.role,
        language=item.language,
        timezone=item.timezone,
    )


class DynamoTenantRepository:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    def get_settings(self, tenant: str) -> TenantSettings:
        bind()
        try:
            return settings_from_item(
                tenant, TenantItem.get(keys.tenant_pk(tenant), keys.TENANT_SK)
            )
        except (DoesNotExist, ValueError):
            return default_settings(tenant, self.settings)

    def save_settings(self, settings: TenantSettings) -> TenantSettings:
        """Conditional on the version read (0: the tenant had no settings item yet)."""
        bind()
        versioned: dict[str, Any] = {"version": settings.version} if settings.version else {}
        item = TenantItem(
            keys.tenant_pk(settings.tenant_id),
            keys.TENANT_SK,
            name=settings.name,
            timezone=settings.timezone,
            language=settings.language.value,
            default_phone_region=settings.default_phone_region,
            allow_duplicates=settings.allow_duplicates,
            work_order_horizon_days=settings.work_order_horizon_days,
            stages=settings.stages,
            sources=settings.sources,
            **versioned,
        )
        try:
            item.save()
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise StaleWriteError("settings changed") from exc
            raise
        return settings_from_item(settings.tenant_id, item)

    def list_users(self, tenant: str) -> list[User]:
        bind()
        found = Item.query(keys.tenant_pk(tenant), Item.sk.startswith(keys.USER_SK_PREFIX))
        return [user_from_item(i) for i in found if isinstance(i, UserItem)]

    def get_user(self, tenant: str, user_id: str) -> User | None:
        bind()
        try:
            return user_from_item(UserItem.get(keys.tenant_pk(tenant), keys.user_sk(user_id)))
        except (DoesNotExist, ValueError):
            return None

    def put_user(self, tenant: str, user: User) -> User:
        bind()
        UserItem(
            keys.tenant_pk(tenant),
            keys.user_sk(user.user_id),
            user_id=user.user_id,
            name=user.name,
            email=user.email,
            role=user.role.value,
            language=user.language.value if user.language else None,
            timezone=user.timezone,
        ).save()
        return user

    def ping(self) -> None:
        """One GetItem: proves the table exists and answers."""
        bind()
        with contextlib.suppress(DoesNotExist):
            HealthItem.get(keys.HEALTH_PK, keys.HEALTH_PK)
