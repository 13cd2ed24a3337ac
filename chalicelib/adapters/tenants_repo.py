"""Tenant settings and the user directory in DynamoDB."""

from __future__ import annotations

import contextlib
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.expressions.operand import Path

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import (
    CountersItem,
    HealthItem,
    Item,
    TenantItem,
    UserItem,
    bind,
    plain,
)
from chalicelib.adapters.tx import Tx
from chalicelib.config import Settings, get_settings
from chalicelib.domain.tenants import TenantSettings, User
from chalicelib.services.ports import CounterNotZeroError, StaleWriteError


def settings_from_item(tenant: str, item: TenantItem) -> TenantSettings:
    """The settings as stored; an item saved before stages and sources were objects (lists
    of keys) is upgraded by TenantSettings' validator."""
    data: dict[str, Any] = {
        "tenant_id": tenant,
        "name": item.name or "",
        "timezone": item.timezone,
        "language": item.language,
        "default_phone_region": item.default_phone_region,
        "allow_duplicates": bool(item.allow_duplicates),
        "stages": plain(item.stages),
        "sources": plain(item.sources),
        "type_icons": plain(item.type_icons),
        "custom_fields": plain(item.custom_fields),
        "visit_recency": plain(item.visit_recency),
        "import_max_mb": item.import_max_mb,
        "work_order_horizon_days": item.work_order_horizon_days,
        "version": int(item.version or 0),
    }
    return TenantSettings.model_validate({k: v for k, v in data.items() if v is not None})


def default_settings(tenant: str, settings: Settings) -> TenantSettings:
    """What a tenant has before an admin saves its settings: the stage's defaults."""
    return TenantSettings(
        tenant_id=tenant,
        timezone=settings.default_timezone,
        language=settings.default_language,
        default_phone_region=settings.default_phone_region,
    )


def _settings_item(settings: TenantSettings) -> TenantItem:
    versioned: dict[str, Any] = {"version": settings.version} if settings.version else {}
    data = settings.model_dump(mode="json")
    return TenantItem(
        keys.tenant_pk(settings.tenant_id),
        keys.TENANT_SK,
        name=settings.name,
        timezone=settings.timezone,
        language=settings.language.value,
        default_phone_region=settings.default_phone_region,
        allow_duplicates=settings.allow_duplicates,
        import_max_mb=settings.import_max_mb,
        work_order_horizon_days=settings.work_order_horizon_days,
        visit_recency=data["visit_recency"],
        stages=data["stages"],
        sources=data["sources"],
        type_icons=data["type_icons"],
        custom_fields=data["custom_fields"],
        **versioned,
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

    def save_settings(
        self, settings: TenantSettings, unused: tuple[str, ...] = ()
    ) -> TenantSettings:
        """Conditional on the version read (0: the tenant had no settings item yet). With
        `unused` (statistics counters such as `n_stage_visiting`), a transaction that also
        requires each of those counters to be zero: CounterNotZeroError names the first
        that is not."""
        bind()
        item = _settings_item(settings)
        if unused:
            self._save_if_unused(settings.tenant_id, item, unused)
            return settings_from_item(settings.tenant_id, item)
        try:
            item.save()
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise StaleWriteError("settings changed") from exc
            raise
        return settings_from_item(settings.tenant_id, item)

    def _save_if_unused(self, tenant: str, item: TenantItem, unused: tuple[str, ...]) -> None:
        tx = Tx()
        counters = CountersItem(keys.tenant_pk(tenant), keys.COUNTERS_SK)
        for name in unused:
            tx.check(name, counters, Path(name).does_not_exist() | (Path(name) <= 0))
        tx.put("settings", item)  # the model's version attribute adds its condition
        failed = tx.commit()
        held = [name for name in unused if name in failed]
        if held:
            raise CounterNotZeroError(held[0], self._count(tenant, held[0]))
        if failed:
            raise StaleWriteError("settings changed")

    def _count(self, tenant: str, name: str) -> int:
        """One statistics counter (the counters item's flat `n_*` attributes are not
        attributes of the model): one GetItem of that attribute."""
        bind()
        found = CountersItem._get_connection().get_item(
            keys.tenant_pk(tenant), keys.COUNTERS_SK, consistent_read=True, attributes_to_get=[name]
        )
        raw = found.get("Item", {}).get(name, {}).get("N")
        return int(raw) if raw is not None else 0

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
