"""Who is calling: the principal handed on by the authorizer, and what it may see."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    groups: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def sees_all_clients(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER)

    def can_see_client(self, owner_id: str | None) -> bool:
        return self.sees_all_clients or owner_id == self.user_id

    def sees_private_of(self, responsible_id: str | None) -> bool:
        """A private activity is seen by its responsible, managers and admins only."""
        return self.sees_all_clients or responsible_id == self.user_id
