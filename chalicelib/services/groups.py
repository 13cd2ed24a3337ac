"""Client groups: admins manage them; a sales user sees the clients of the groups assigned
to them (the principal's `groups`, read from here when first needed in a request)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from chalicelib.domain.errors import (
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    StateConflictError,
)
from chalicelib.domain.groups import Group, GroupCreate, GroupUpdate
from chalicelib.domain.ids import new_id
from chalicelib.domain.principal import Principal
from chalicelib.domain.search import fold
from chalicelib.services.clients import retry_on_race, utcnow


class GroupRepository(Protocol):
    def list_groups(self, tenant: str) -> list[Group]: ...

    def get_group(self, tenant: str, group_id: str) -> Group | None: ...

    def user_ids(self, tenant: str) -> set[str]: ...

    def save_group(self, tenant: str, group: Group, *, new: bool = False) -> Group: ...

    def delete_group(self, tenant: str, group: Group) -> None: ...


class ClientCounts(Protocol):
    def get_slice_counters(
        self, tenant: str
    ) -> list[tuple[tuple[str, str | None], dict[str, int]]]: ...


def _require_admin(who: Principal) -> None:
    if not who.is_admin:
        raise ForbiddenError("Only an admin can manage client groups.")


class GroupService:
    def __init__(
        self,
        repo: GroupRepository,
        counts: ClientCounts,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.repo, self.counts, self.clock = repo, counts, clock

    def with_groups(self, who: Principal) -> Principal:
        """`who` reading the client groups assigned to them when first needed (sales users
        only: the others see every client anyway)."""
        if who.sees_all_clients:
            return who
        return who.with_group_loader(lambda: self.assigned_to(who))

    def assigned_to(self, who: Principal) -> tuple[str, ...]:
        groups = self.repo.list_groups(who.tenant_id)
        return tuple(g.id for g in groups if who.user_id in g.user_ids)

    def list_groups(self, who: Principal) -> list[Group]:
        groups = sorted(self.repo.list_groups(who.tenant_id), key=lambda g: fold(g.name))
        if who.sees_all_clients:
            return groups
        return [g for g in groups if who.user_id in g.user_ids]

    def get(self, who: Principal, group_id: str) -> Group:
        group = self.repo.get_group(who.tenant_id, group_id)
        if group is None or not (who.sees_all_clients or who.user_id in group.user_ids):
            raise NotFoundError("Group", group_id)
        return group

    def create(self, who: Principal, data: GroupCreate) -> Group:
        _require_admin(who)
        self._check(who, None, data.name, data.user_ids)
        group = Group(id=new_id(), name=data.name, user_ids=data.user_ids, created_at=self.clock())
        return self.repo.save_group(who.tenant_id, group, new=True)

    def update(self, who: Principal, group_id: str, patch: GroupUpdate) -> Group:
        _require_admin(who)

        def attempt() -> Group:
            current = self.get(who, group_id)
            changed = current.model_copy(update=patch.model_dump(exclude_unset=True))
            if changed == current:
                return current
            self._check(who, group_id, changed.name, changed.user_ids)
            return self.repo.save_group(who.tenant_id, changed)

        return retry_on_race(attempt, "group changes")

    def delete(self, who: Principal, group_id: str) -> None:
        """Only an empty group goes (the count comes from the statistics slices)."""
        _require_admin(who)
        group = self.get(who, group_id)
        held = sum(
            counters.get("n_total", 0)
            for (_, group_of), counters in self.counts.get_slice_counters(who.tenant_id)
            if group_of == group_id
        )
        if held:
            clients = "1 client is" if held == 1 else f"{held} clients are"
            raise StateConflictError(
                f"{clients} in the group {group.name!r}; move them to another group first."
            )
        self.repo.delete_group(who.tenant_id, group)

    def _check(self, who: Principal, group_id: str | None, name: str, user_ids: list[str]) -> None:
        for other in self.repo.list_groups(who.tenant_id):
            if other.id != group_id and fold(other.name) == fold(name):
                raise InvalidInputError.one("name", f"a group named {other.name!r} exists already")
        if user_ids:
            known = self.repo.user_ids(who.tenant_id)
            unknown = [u for u in user_ids if u not in known]
            if unknown:
                raise InvalidInputError.one(
                    "user_ids", f"no user {', '.join(map(repr, unknown))} in this organisation"
                )
