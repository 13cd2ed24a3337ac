"""Who is calling: the principal handed on by the authorizer, and what it may see."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SALES = "sales"


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    user_id: str
    role: Role
    name: str = ""
    email: str = ""
    # The client groups assigned to the user: from the organisation's groups, not from the
    # token (Cognito's groups give the role). Given, or read on first need by `group_loader`.
    assigned_groups: tuple[str, ...] | None = None
    group_loader: Callable[[], tuple[str, ...]] | None = field(
        default=None, compare=False, repr=False
    )

    @property
    def groups(self) -> tuple[str, ...]:
        if self.assigned_groups is None:
            loaded = self.group_loader() if self.group_loader else ()
            object.__setattr__(self, "assigned_groups", loaded)  # a memo, once per request
            return loaded
        return self.assigned_groups

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def sees_all_clients(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER)

    def can_see_client(self, owner_id: str | None, group_id: str | None = None) -> bool:
        """Admins and managers see every client; a sales user the clients they own and
        those of the client groups assigned to them."""
        if self.sees_all_clients or owner_id == self.user_id:
            return True
        return group_id is not None and group_id in self.groups

    def with_groups(self, groups: tuple[str, ...]) -> Principal:
        return replace(self, assigned_groups=groups, group_loader=None)

    def with_group_loader(self, loader: Callable[[], tuple[str, ...]]) -> Principal:
        return replace(self, assigned_groups=None, group_loader=loader)

    def sees_private_of(self, responsible_id: str | None) -> bool:
        """A private activity is seen by its responsible, managers and admins only."""
        return self.sees_all_clients or responsible_id == self.user_id
