"""Tenant settings, the user directory and the caller's own record."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from chalicelib.domain.catalogs import VisitRecency, relabelled_stages
from chalicelib.domain.errors import ForbiddenError, VersionConflictError
from chalicelib.domain.principal import Principal
from chalicelib.domain.tenants import (
    MeUpdate,
    SettingsUpdate,
    TenantSettings,
    User,
    UserUpsert,
)
from chalicelib.services.catalogs import invalid
from chalicelib.services.clients import retry_on_race
from chalicelib.services.ports import StaleWriteError, TenantRepository


def _require_admin(who: Principal) -> None:
    if not who.is_admin:
        raise ForbiddenError("Only an admin can do this.")


class TenantService:
    def __init__(
        self,
        repo: TenantRepository,
        on_user_change: Callable[[str, User], None] | None = None,
    ) -> None:
        self.repo = repo
        self.on_user_change = on_user_change  # e.g. plan the user's morning digest

    def _put_user(self, tenant: str, user: User) -> User:
        saved = self.repo.put_user(tenant, user)
        if self.on_user_change is not None:
            self.on_user_change(tenant, saved)
        return saved

    def get_settings(self, who: Principal) -> TenantSettings:
        _require_admin(who)
        return self.repo.get_settings(who.tenant_id)

    def update_settings(self, who: Principal, patch: SettingsUpdate) -> TenantSettings:
        """The fields sent change (the thresholds of `visit_recency` one by one), applied on
        top of whatever another admin saved meanwhile."""
        _require_admin(who)
        changes = patch.model_dump(exclude_unset=True)
        recency = changes.pop("visit_recency", None)

        def attempt() -> TenantSettings:
            current = self.repo.get_settings(who.tenant_id)
            update = dict(changes)
            language = changes.get("language")
            if language is not None and language != current.language:
                update["stages"] = relabelled_stages(
                    current.stages, current.language.value, language.value
                )
            if recency is not None:
                merged = current.visit_recency.model_dump() | recency
                try:
                    update["visit_recency"] = VisitRecency.model_validate(merged)
                except ValidationError as exc:
                    raise invalid(exc, "visit_recency") from exc
            return self.repo.save_settings(current.model_copy(update=update))

        try:
            return retry_on_race(attempt, "settings changes")
        except StaleWriteError as exc:
            raise VersionConflictError(None) from exc

    def list_users(self, who: Principal) -> list[User]:
        return self.repo.list_users(who.tenant_id)

    def put_user(self, who: Principal, user_id: str, data: UserUpsert) -> User:
        _require_admin(who)
        return self._put_user(who.tenant_id, User(user_id=user_id, **data.model_dump()))

    def update_me(self, who: Principal, patch: MeUpdate) -> User:
        """One's own settings; the role stays what the organisation gave."""
        current = self.me(who)
        changed = current.model_copy(update=patch.model_dump(exclude_unset=True))
        if changed == current:
            return current
        return self._put_user(who.tenant_id, changed)

    def me(self, who: Principal) -> User:
        """The caller as the directory knows them; recorded from the token on first sight."""
        known = self.repo.get_user(who.tenant_id, who.user_id)
        if known is not None:
            return known
        user = User(
            user_id=who.user_id,
            name=who.name or who.user_id,
            email=who.email or None,
            role=who.role,
        )
        return self._put_user(who.tenant_id, user)
