"""Client groups in DynamoDB: items `GROUP#<id>` in the tenant's partition."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import GroupItem, Item, UserItem, bind
from chalicelib.domain.groups import Group
from chalicelib.services.ports import StaleWriteError


def _group(item: GroupItem) -> Group:
    return Group(
        id=item.group_id,
        name=item.name,
        user_ids=list(item.user_ids or []),
        created_at=datetime.fromisoformat(item.created_at),
        version=int(item.version or 1),
    )


class DynamoGroupRepository:
    def list_groups(self, tenant: str) -> list[Group]:
        """Every group of the tenant: one Query (an organisation has tens, not thousands)."""
        bind()
        found = Item.query(keys.tenant_pk(tenant), Item.sk.startswith(keys.GROUP_PREFIX))
        return [_group(i) for i in found if isinstance(i, GroupItem)]

    def get_group(self, tenant: str, group_id: str) -> Group | None:
        bind()
        try:
            return _group(GroupItem.get(keys.tenant_pk(tenant), keys.group_sk(group_id)))
        except (DoesNotExist, ValueError):
            return None

    def user_ids(self, tenant: str) -> set[str]:
        bind()
        found = Item.query(
            keys.tenant_pk(tenant),
            Item.sk.startswith(keys.USER_SK_PREFIX),
            attributes_to_get=["PK", "SK", "entity", "user_id"],
        )
        return {i.user_id for i in found if isinstance(i, UserItem)}

    def save_group(self, tenant: str, group: Group, *, new: bool = False) -> Group:
        """Conditional on the version read (or on absence for a new group)."""
        bind()
        versioned: dict[str, Any] = {} if new else {"version": group.version}
        item = GroupItem(
            keys.tenant_pk(tenant),
            keys.group_sk(group.id),
            group_id=group.id,
            name=group.name,
            user_ids=group.user_ids or None,
            created_at=group.created_at.isoformat(),
            **versioned,
        )
        try:
            item.save()
        except PutError as exc:
            raise StaleWriteError("the group changed meanwhile") from exc
        return group.model_copy(update={"version": int(item.version or 1)})

    def delete_group(self, tenant: str, group: Group) -> None:
        bind()
        item = GroupItem(keys.tenant_pk(tenant), keys.group_sk(group.id), version=group.version)
        try:
            item.delete()
        except Exception as exc:  # DeleteError: the version moved
            raise StaleWriteError("the group changed meanwhile") from exc
