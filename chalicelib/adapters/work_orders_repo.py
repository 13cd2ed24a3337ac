"""Work orders and recurrence rules in DynamoDB (the client's item collection), the
tenant's and technicians' listings, and the cross-tenant index of rules due for
materializing."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path
from pynamodb.indexes import GlobalSecondaryIndex

from chalicelib.adapters import keys
from chalicelib.adapters.clients_repo import event_to_item, sort_ts
from chalicelib.adapters.dynamo import (
    ClientItem,
    Item,
    RecurrenceItem,
    TenantItem,
    UserItem,
    WorkOrderItem,
    bind,
)
from chalicelib.adapters.paging import query_page
from chalicelib.adapters.tenants_repo import default_settings, settings_from_item, user_from_item
from chalicelib.adapters.tx import Tx
from chalicelib.config import Settings, get_settings
from chalicelib.domain.clients import Client
from chalicelib.domain.ids import split_child_id
from chalicelib.domain.tenants import TenantSettings, User
from chalicelib.domain.timeline import TimelineEvent
from chalicelib.domain.work_orders import Recurrence, WorkOrder, WorkOrderStatus
from chalicelib.services.ports import Page, StaleWriteError

MAX_TX_ITEMS = 100


def _ts(value: datetime | None) -> str | None:
    return sort_ts(value) if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def order_to_item(tenant: str, o: WorkOrder) -> WorkOrderItem:
    at = sort_ts(o.scheduled_at)
    own = split_child_id(o.id, "Work order")[1]
    tech = o.technician_id
    return WorkOrderItem(
        keys.client_pk(tenant, o.client_id),
        keys.work_order_sk(own),
        gsi1pk=keys.work_orders_of_tenant(tenant),
        gsi1sk=keys.time_sort(at, o.id),
        gsi2pk=keys.work_orders_by_technician(tenant, tech) if tech else None,
        gsi2sk=keys.time_sort(at, o.id) if tech else None,
        gsi3pk=keys.work_orders_of_client(tenant, o.client_id),
        gsi3sk=keys.time_sort(at, o.id),
        work_order_id=o.id,
        client_id=o.client_id,
        client_name=o.client_name,
        title=o.title,
        description=o.description,
        scheduled_at=at,
        duration_minutes=o.duration_minutes,
        technician_id=tech,
        technician_name=o.technician_name,
        status=o.status.value,
        notes=o.notes,
        completed_at=_ts(o.completed_at),
        recurrence_id=o.recurrence_id,
        occurrence=o.occurrence,
        detached=o.detached,
        created_at=sort_ts(o.created_at),
        updated_at=sort_ts(o.updated_at),
        created_by=o.created_by,
        version=o.version,
    )


def order_from_item(item: WorkOrderItem) -> WorkOrder:
    return WorkOrder(
        id=item.work_order_id,
        client_id=item.client_id,
        client_name=item.client_name,
        title=item.title,
        description=item.description,
        scheduled_at=datetime.fromisoformat(item.scheduled_at),
        duration_minutes=int(item.duration_minutes),
        technician_id=item.technician_id,
        technician_name=item.technician_name,
        status=item.status,
        notes=item.notes,
        completed_at=_dt(item.completed_at),
        recurrence_id=item.recurrence_id,
        occurrence=item.occurrence,
        detached=bool(item.detached),
        created_at=datetime.fromisoformat(item.created_at),
        updated_at=datetime.fromisoformat(item.updated_at),
        created_by=item.created_by,
        version=int(item.version),
    )


def rule_shard(rule_id: str) -> int:
    return zlib.crc32(rule_id.encode()) % keys.RULE_DUE_SHARDS


def rule_to_item(tenant: str, r: Recurrence) -> RecurrenceItem:
    own = split_child_id(r.id, "Recurrence")[1]
    due = _ts(r.next_due)
    return RecurrenceItem(
        keys.client_pk(tenant, r.client_id),
        keys.recurrence_sk(own),
        gsi1pk=keys.rules_due(rule_shard(r.id)) if due else None,
        gsi1sk=keys.rule_due_sort(due, tenant, r.id) if due else None,
        recurrence_id=r.id,
        tenant_id=tenant,
        client_id=r.client_id,
        client_name=r.client_name,
        rrule=r.rrule,
        start_date=r.start_date.isoformat(),
        time=r.time,
        timezone=r.timezone,
        until=r.until.isoformat() if r.until else None,
        max_count=r.count,
        title=r.title,
        description=r.description,
        duration_minutes=r.duration_minutes,
        technician_id=r.technician_id,
        technician_name=r.technician_name,
        materialized_through=_ts(r.materialized_through),
        next_due=due,
        pending_rewrite=r.pending_rewrite,
        created_at=sort_ts(r.created_at),
        updated_at=sort_ts(r.updated_at),
        created_by=r.created_by,
        version=r.version,
    )


def rule_from_item(item: RecurrenceItem) -> Recurrence:
    return Recurrence(
        id=item.recurrence_id,
        client_id=item.client_id,
        client_name=item.client_name,
        rrule=item.rrule,
        start_date=date.fromisoformat(item.start_date),
        time=item.time,
        timezone=item.timezone,
        until=date.fromisoformat(item.until) if item.until else None,
        count=int(item.max_count) if item.max_count is not None else None,
        title=item.title,
        description=item.description,
        duration_minutes=int(item.duration_minutes),
        technician_id=item.technician_id,
        technician_name=item.technician_name,
        materialized_through=_dt(item.materialized_through),
        next_due=_dt(item.next_due),
        pending_rewrite=bool(item.pending_rewrite),
        created_at=datetime.fromisoformat(item.created_at),
        updated_at=datetime.fromisoformat(item.updated_at),
        created_by=item.created_by,
        version=int(item.version),
    )


def _version_is(version: int) -> Condition:
    condition: Condition = Path("version") == version
    return condition


def _untouched(version: int) -> Condition:
    """A generated order still exactly as its rule (of any version) wrote it."""
    condition: Condition = (
        (WorkOrderItem.version == version)
        & (WorkOrderItem.status == WorkOrderStatus.SCHEDULED.value)
        & (WorkOrderItem.detached == False)  # noqa: E712 (a DynamoDB condition)
    )
    return condition


class DynamoWorkOrderRepository:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    # --- reading -------------------------------------------------------------------------

    def context(self, tenant: str, user_ids: list[str]) -> tuple[dict[str, User], TenantSettings]:
        """Some users of the directory and the tenant's settings: one BatchGetItem."""
        bind()
        pk = keys.tenant_pk(tenant)
        wanted = [(pk, keys.TENANT_SK), *((pk, keys.user_sk(u)) for u in dict.fromkeys(user_ids))]
        users: dict[str, User] = {}
        settings = default_settings(tenant, self.settings)
        for item in Item.batch_get(wanted):
            if isinstance(item, UserItem):
                users[item.user_id] = user_from_item(item)
            elif isinstance(item, TenantItem):
                settings = settings_from_item(tenant, item)
        return users, settings

    def get_order(self, tenant: str, order_id: str) -> WorkOrder | None:
        client_id, own = split_child_id(order_id, "Work order")
        item = self._get(keys.client_pk(tenant, client_id), keys.work_order_sk(own))
        return order_from_item(item) if isinstance(item, WorkOrderItem) else None

    def get_rule(self, tenant: str, rule_id: str) -> Recurrence | None:
        client_id, own = split_child_id(rule_id, "Recurrence")
        item = self._get(keys.client_pk(tenant, client_id), keys.recurrence_sk(own))
        return rule_from_item(item) if isinstance(item, RecurrenceItem) else None

    @staticmethod
    def _get(pk: str, sk: str) -> Item | None:
        bind()
        found = list(Item.batch_get([(pk, sk)]))
        return found[0] if found else None

    def list_client_orders(
        self, tenant: str, client_id: str, limit: int, start: dict[str, Any] | None
    ) -> Page:
        return query_page(
            Item.gsi3,
            keys.work_orders_of_client(tenant, client_id),
            WorkOrderItem,
            order_from_item,
            newest_first=False,
            limit=limit,
            start=start,
        )

    def list_orders(
        self,
        tenant: str,
        technician_id: str | None,
        start_at: datetime,
        end_at: datetime,
        status: str | None,
        limit: int,
        start: dict[str, Any] | None,
    ) -> Page:
        """Orders scheduled in [start_at, end_at), soonest first: one Query on the tenant's or
        the technician's index (a status is a filter)."""
        bind()
        index: GlobalSecondaryIndex[Item]
        if technician_id is None:
            index, partition, sort = Item.gsi1, keys.work_orders_of_tenant(tenant), Item.gsi1sk
        else:
            index, sort = Item.gsi2, Item.gsi2sk
            partition = keys.work_orders_by_technician(tenant, technician_id)
        lo, hi = keys.time_sort(sort_ts(start_at), ""), keys.time_sort(sort_ts(end_at), "")
        return query_page(
            index,
            partition,
            WorkOrderItem,
            order_from_item,
            range_condition=sort.between(lo, hi),
            filter_condition=(WorkOrderItem.status == status) if status else None,
            newest_first=False,
            limit=limit,
            start=start,
        )

    def for_technician(
        self, tenant: str, technician_id: str, start_at: datetime, end_at: datetime
    ) -> list[WorkOrder]:
        bind()
        lo, hi = keys.time_sort(sort_ts(start_at), ""), keys.time_sort(sort_ts(end_at), "")
        found = Item.gsi2.query(
            keys.work_orders_by_technician(tenant, technician_id),
            Item.gsi2sk.between(lo, hi),
        )
        return [order_from_item(i) for i in found if isinstance(i, WorkOrderItem)]

    def list_rules(
        self, tenant: str, client_id: str, limit: int, start: dict[str, Any] | None
    ) -> Page:
        return query_page(
            Item,
            keys.client_pk(tenant, client_id),
            RecurrenceItem,
            rule_from_item,
            range_condition=Item.sk.startswith(keys.RECURRENCE_PREFIX),
            newest_first=False,
            limit=limit,
            start=start,
        )

    def rule_orders(self, tenant: str, rule: Recurrence, from_day: date) -> list[WorkOrder]:
        """The rule's orders from a local date on: one key range of the client's collection
        (their own ids are `<rule own id>-<YYYYMMDD>`)."""
        bind()
        rule_own = split_child_id(rule.id, "Recurrence")[1]
        first = keys.work_order_sk(keys.generated_order_own_id(rule_own, from_day.isoformat()))
        last = keys.work_order_sk(f"{rule_own}-~")
        found = Item.query(keys.client_pk(tenant, rule.client_id), Item.sk.between(first, last))
        return [order_from_item(i) for i in found if isinstance(i, WorkOrderItem)]

    def due_rules(self, now: datetime) -> Iterator[tuple[str, Recurrence]]:
        """Every rule whose materializing is due (its `next_due` has passed), across tenants:
        one Query per shard of the sparse index (and per page)."""
        bind()
        upper = f"{sort_ts(now)}#~"
        for shard in range(keys.RULE_DUE_SHARDS):
            for item in Item.gsi1.query(keys.rules_due(shard), Item.gsi1sk < upper):
                if isinstance(item, RecurrenceItem):
                    yield item.tenant_id, rule_from_item(item)

    # --- writing -------------------------------------------------------------------------

    def create_order(self, tenant: str, order: WorkOrder, event: TimelineEvent) -> None:
        tx = Tx()
        tx.put("order", order_to_item(tenant, order), Item.pk.does_not_exist())
        tx.put("event", event_to_item(tenant, event))
        tx.commit_or_stale()

    def update_order(
        self,
        tenant: str,
        before: WorkOrder,
        after: WorkOrder,
        event: TimelineEvent,
        visited: tuple[Client, datetime] | None = None,
    ) -> None:
        """The order (conditional on the version read), its event and, on a completion, the
        client's `last_visit_at` (conditional on the client's version, which it bumps)."""
        tx = Tx()
        tx.put("order", order_to_item(tenant, after), _version_is(before.version))
        tx.put("event", event_to_item(tenant, event))
        if visited is not None:
            client, at = visited
            target = Item(keys.client_pk(tenant, client.id), keys.CLIENT_SK)
            actions = [Path("last_visit_at").set(sort_ts(at)), Path("version").add(1)]
            tx.update("client", target, actions, ClientItem.version == client.version)
        tx.commit_or_stale()

    def create_rule(self, tenant: str, rule: Recurrence, event: TimelineEvent) -> None:
        tx = Tx()
        tx.put("rule", rule_to_item(tenant, rule), Item.pk.does_not_exist())
        tx.put("event", event_to_item(tenant, event))
        tx.commit_or_stale()

    def save_rule(
        self, tenant: str, before: Recurrence, after: Recurrence, event: TimelineEvent | None
    ) -> None:
        tx = Tx()
        tx.put("rule", rule_to_item(tenant, after), _version_is(before.version))
        if event is not None:
            tx.put("event", event_to_item(tenant, event))
        tx.commit_or_stale()

    def delete_rule(
        self, tenant: str, rule: Recurrence, orders: list[WorkOrder], event: TimelineEvent
    ) -> set[str]:
        """Its untouched future orders (each conditional on being untouched still), then the
        rule (conditional on its version) with its event. Returns the labels refused."""
        failed = self.delete_orders(tenant, orders)
        tx = Tx()
        tx.delete("rule", rule_to_item(tenant, rule), _version_is(rule.version))
        tx.put("event", event_to_item(tenant, event))
        if tx.commit():
            raise StaleWriteError("the rule changed meanwhile")
        return failed

    def delete_orders(self, tenant: str, orders: list[WorkOrder]) -> set[str]:
        """Untouched orders, each conditional on being untouched still (transactions of up to
        100); returns the labels (`delete:<id>`) of those touched meanwhile, which stay."""
        failed: set[str] = set()
        for start in range(0, len(orders), MAX_TX_ITEMS):
            batch = orders[start : start + MAX_TX_ITEMS]
            while batch:
                tx = Tx()
                for o in batch:
                    tx.delete(f"delete:{o.id}", order_to_item(tenant, o), _untouched(o.version))
                refused = tx.commit()
                if not refused:
                    break
                failed |= refused  # keep those, delete the others
                batch = [o for o in batch if f"delete:{o.id}" not in refused]
        return failed

    def materialize(
        self,
        tenant: str,
        before: Recurrence,
        after: Recurrence,
        creates: list[WorkOrder],
        rewrites: list[tuple[WorkOrder, WorkOrder]],
        deletes: list[WorkOrder],
    ) -> set[str]:
        """One transaction: new orders (`attribute_not_exists`), rewritten and removed
        untouched orders (conditional on being untouched at the version read) and the rule
        (conditional on its version). Returns the labels whose condition failed (nothing is
        written then)."""
        tx = Tx()
        for o in creates:
            tx.put(f"create:{o.id}", order_to_item(tenant, o), Item.pk.does_not_exist())
        for old, new in rewrites:
            tx.put(f"rewrite:{new.id}", order_to_item(tenant, new), _untouched(old.version))
        for o in deletes:
            tx.delete(f"delete:{o.id}", order_to_item(tenant, o), _untouched(o.version))
        tx.put("rule", rule_to_item(tenant, after), _version_is(before.version))
        return tx.commit()
