"""Work orders, recurrence rules and the materializer that turns rules into orders.

Visibility: whoever can see the client (`ClientService.get`) reads its orders and rules and
may create and change them; a technician also reads and updates (status, notes) the orders
they are the technician of, whoever owns the client.

The materializer keeps each rule's orders written a horizon ahead (the tenant's
`work_order_horizon_days`). An occurrence's order has a deterministic id (rule + local
date) and is written under `attribute_not_exists`, in one transaction with the rule's new
state conditional on the rule's version: two runs, or two at once, write each order once.
An order moved, started, cancelled or edited by hand is `detached`: no rule edit or delete
ever rewrites or removes it, and its id keeps the occurrence from being generated again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.domain.clients import Client, field_changes
from chalicelib.domain.errors import (
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    PreconditionFailedError,
    StateConflictError,
    VersionConflictError,
)
from chalicelib.domain.ids import child_id, new_id, split_child_id
from chalicelib.domain.principal import Principal
from chalicelib.domain.recurrence import Occurrence, next_occurrence, occurrences_between, upcoming
from chalicelib.domain.tenants import User
from chalicelib.domain.timeline import TimelineEvent
from chalicelib.domain.work_orders import (
    RULE_FIELDS,
    TRANSITIONS,
    PreviewOccurrence,
    Recurrence,
    RecurrenceCreate,
    RecurrencePreview,
    RecurrenceUpdate,
    WorkOrder,
    WorkOrderCreate,
    WorkOrderStatus,
    WorkOrderUpdate,
)
from chalicelib.services.clients import ClientService, Clock, retry_on_race, utcnow
from chalicelib.services.ports import Page, StaleWriteError, WorkOrderRepository

OnChange = Callable[[str, WorkOrder | None, WorkOrder | None], None]
MAX_ORDERS_PER_TX = 90  # a transaction holds 100 items: the orders and the rule
MAX_SPAN = timedelta(days=366)
_TICK = timedelta(microseconds=1)
TECHNICIAN_FIELDS = {"status", "notes", "completed_at"}


@dataclass
class MaterializeReport:
    """What one run did."""

    rules: int = 0
    created: int = 0
    rewritten: int = 0
    deleted: int = 0
    kept: int = 0  # occurrences whose order exists already (another run, or detached)
    errors: list[str] = field(default_factory=list)

    def add(self, other: MaterializeReport) -> None:
        self.created += other.created
        self.rewritten += other.rewritten
        self.deleted += other.deleted
        self.kept += other.kept


class WorkOrderService:
    def __init__(
        self,
        repo: WorkOrderRepository,
        clients: ClientService,
        clock: Clock = utcnow,
        on_change: OnChange | None = None,
    ) -> None:
        self.repo = repo
        self.clients = clients
        self.clock = clock
        self.on_change = on_change

    # --- shared ------------------------------------------------------------------------------

    def _notify(self, tenant: str, before: WorkOrder | None, after: WorkOrder | None) -> None:
        if self.on_change is not None:
            self.on_change(tenant, before, after)

    @staticmethod
    def _person(who: Principal, user_id: str | None, users: dict[str, User]) -> str | None:
        """The technician's name; they must be in the directory (or be the caller)."""
        if user_id is None:
            return None
        if user_id in users:
            return users[user_id].name
        if user_id == who.user_id:
            return who.name or who.email or who.user_id
        raise InvalidInputError.one("technician_id", f"no user {user_id!r} in this organisation")

    @staticmethod
    def _event(
        who: Principal,
        client_id: str,
        action: str,
        at: datetime,
        subject: dict[str, Any],
        changes: dict[str, Any] | None = None,
    ) -> TimelineEvent:
        return TimelineEvent(
            id=new_id(),
            client_id=client_id,
            at=at,
            actor_id=who.user_id,
            actor_name=who.name or None,
            action=action,
            subject=subject,
            changes=changes or {},
        )

    @staticmethod
    def _order_subject(order: WorkOrder) -> dict[str, Any]:
        return order.model_dump(
            mode="json", include={"id", "title", "scheduled_at", "status", "technician_id"}
        )

    @staticmethod
    def _rule_subject(rule: Recurrence) -> dict[str, Any]:
        return rule.model_dump(mode="json", include={"id", "title", "rrule", "time", "timezone"})

    # --- work orders -------------------------------------------------------------------------

    def create_order(self, who: Principal, client_id: str, data: WorkOrderCreate) -> WorkOrder:
        client = self.clients.get(who, client_id)
        users, _ = self.repo.context(who.tenant_id, [data.technician_id or who.user_id])
        now = self.clock()
        order = WorkOrder(
            id=child_id(client.id),
            client_id=client.id,
            client_name=client.name,
            technician_name=self._person(who, data.technician_id, users),
            status=WorkOrderStatus.SCHEDULED,
            created_at=now,
            updated_at=now,
            created_by=who.user_id,
            **data.model_dump(exclude={"scheduled_at"}),
            scheduled_at=data.scheduled_at.astimezone(UTC),
        )
        event = self._event(who, client.id, "work_order_created", now, self._order_subject(order))
        self.repo.create_order(who.tenant_id, order, event)
        self._notify(who.tenant_id, None, order)
        return order

    def _visible_order(self, who: Principal, order_id: str) -> tuple[WorkOrder, Client | None]:
        """The order and its client when the caller sees it (None: they are its technician)."""
        split_child_id(order_id, "Work order")
        order = self.repo.get_order(who.tenant_id, order_id)
        if order is None:
            raise NotFoundError("Work order", order_id)
        try:
            return order, self.clients.get(who, order.client_id)
        except NotFoundError:
            if order.technician_id != who.user_id:
                raise NotFoundError("Work order", order_id) from None
            return order, None

    def get_order(self, who: Principal, order_id: str) -> WorkOrder:
        return self._visible_order(who, order_id)[0]

    def list_client_orders(
        self, who: Principal, client_id: str, limit: int, start: dict[str, Any] | None
    ) -> Page:
        self.clients.get(who, client_id)
        return self.repo.list_client_orders(who.tenant_id, client_id, limit, start)

    def list_orders(
        self,
        who: Principal,
        start_at: datetime | None,
        end_at: datetime | None,
        technician: str | None,
        status: WorkOrderStatus | None,
        limit: int,
        start: dict[str, Any] | None,
    ) -> Page:
        """Orders scheduled in [from, to) (default: the next 31 days), soonest first. A sales
        user sees those of clients they can see and those they are the technician of."""
        start_at = start_at or self.clock()
        end_at = end_at or start_at + timedelta(days=31)
        if end_at <= start_at:
            raise InvalidInputError.one("to", "must be after `from`")
        if end_at - start_at > MAX_SPAN:
            raise InvalidInputError.one("to", "at most 366 days after `from`")
        tech = who.user_id if technician == "me" else technician
        status_value = status.value if status else None
        items, last = self.repo.list_orders(
            who.tenant_id, tech, start_at, end_at, status_value, limit, start
        )
        if not who.sees_all_clients:
            items = self._visible_to_sales(who, items)
        return items, last

    def _visible_to_sales(self, who: Principal, orders: list[WorkOrder]) -> list[WorkOrder]:
        seen: dict[str, bool] = {}

        def sees(client_id: str) -> bool:
            if client_id not in seen:
                try:
                    self.clients.get(who, client_id)
                    seen[client_id] = True
                except NotFoundError:
                    seen[client_id] = False
            return seen[client_id]

        return [o for o in orders if o.technician_id == who.user_id or sees(o.client_id)]

    def tenant_zone(self, who: Principal) -> str:
        return self.repo.context(who.tenant_id, [])[1].timezone

    def for_technician(
        self, tenant_id: str, technician_id: str, start: datetime, end: datetime
    ) -> list[WorkOrder]:
        """A technician's orders scheduled in [start, end), but the cancelled ones (the
        reminders' digest)."""
        found = self.repo.for_technician(tenant_id, technician_id, start, end)
        return [o for o in found if o.status is not WorkOrderStatus.CANCELLED]

    def update_order(
        self,
        who: Principal,
        order_id: str,
        patch: WorkOrderUpdate,
        if_match: int | None = None,
    ) -> WorkOrder:
        changes = patch.changes()
        if "completed_at" in changes and patch.status is not WorkOrderStatus.DONE:
            raise InvalidInputError.one("completed_at", "goes with status 'done'")

        def attempt() -> WorkOrder:
            before, client = self._visible_order(who, order_id)
            if client is None and set(changes) - TECHNICIAN_FIELDS:
                raise ForbiddenError(
                    "As its technician you may change the status and notes of this order only."
                )
            if if_match is not None and if_match != before.version:
                raise PreconditionFailedError(
                    f"If-Match names version {if_match} but the order is at version "
                    f"{before.version}. Reload it and apply your change again."
                )
            if patch.version is not None and patch.version != before.version:
                raise VersionConflictError(before.version)
            return self._write_update(who, before, changes, client)

        return retry_on_race(attempt, "changes")

    def _write_update(
        self, who: Principal, before: WorkOrder, changes: dict[str, Any], client: Client | None
    ) -> WorkOrder:
        now = self.clock()
        update = dict(changes)
        if "scheduled_at" in update:
            update["scheduled_at"] = update["scheduled_at"].astimezone(UTC)
        if "technician_id" in update and update["technician_id"] != before.technician_id:
            users, _ = self.repo.context(who.tenant_id, [update["technician_id"] or ""])
            update["technician_name"] = self._person(who, update["technician_id"], users)
        completing = _status_change(before, update, now)
        after = WorkOrder.model_validate(before.model_dump() | update)
        diff = field_changes(_comparable(before), _comparable(after))
        if not diff:
            return before
        detach = before.recurrence_id is not None and not before.detached
        if detach and (set(RULE_FIELDS) & set(diff) or "status" in diff):
            after = after.model_copy(update={"detached": True})
        after = after.model_copy(update={"updated_at": now, "version": before.version + 1})
        action = "work_order_completed" if completing else "work_order_updated"
        event = self._event(who, after.client_id, action, now, self._order_subject(after), diff)
        visited = None
        if completing and after.completed_at is not None:
            # a technician who does not see the client still records the visit
            client = client or self.clients.repo.get_client(who.tenant_id, after.client_id)
            last = client.last_visit_at if client else None
            if client is not None and (last is None or last < after.completed_at):
                visited = (client, after.completed_at)
        self.repo.update_order(who.tenant_id, before, after, event, visited)
        self._notify(who.tenant_id, before, after)
        return after

    # --- recurrence rules --------------------------------------------------------------------

    def create_rule(self, who: Principal, client_id: str, data: RecurrenceCreate) -> Recurrence:
        data.check()
        client = self.clients.get(who, client_id)
        users, settings = self.repo.context(who.tenant_id, [data.technician_id or who.user_id])
        now = self.clock()
        rrule = data.rule_text()
        assert rrule is not None and data.start_date and data.time and data.title  # checked
        rule = Recurrence(
            id=child_id(client.id),
            client_id=client.id,
            client_name=client.name,
            rrule=rrule,
            start_date=data.start_date,
            time=data.time,
            timezone=data.timezone or settings.timezone,
            until=data.until,
            count=data.count,
            title=data.title,
            description=data.description,
            duration_minutes=data.duration_minutes or 60,
            technician_id=data.technician_id,
            technician_name=self._person(who, data.technician_id, users),
            materialized_through=now,
            next_due=now,
            created_at=now,
            updated_at=now,
            created_by=who.user_id,
        )
        event = self._event(who, client.id, "recurrence_created", now, self._rule_subject(rule))
        self.repo.create_rule(who.tenant_id, rule, event)
        horizon = timedelta(days=settings.work_order_horizon_days)
        self._materialize_rule(who.tenant_id, rule, now, horizon, include_past=False)
        return self._current_rule(who.tenant_id, rule.id) or rule

    def _visible_rule(self, who: Principal, rule_id: str) -> Recurrence:
        split_child_id(rule_id, "Recurrence")
        rule = self.repo.get_rule(who.tenant_id, rule_id)
        if rule is None:
            raise NotFoundError("Recurrence", rule_id)
        try:
            self.clients.get(who, rule.client_id)
        except NotFoundError:
            raise NotFoundError("Recurrence", rule_id) from None
        return rule

    def _current_rule(self, tenant: str, rule_id: str) -> Recurrence | None:
        return self.repo.get_rule(tenant, rule_id)

    def get_rule(self, who: Principal, rule_id: str) -> Recurrence:
        return self._visible_rule(who, rule_id)

    def list_rules(
        self, who: Principal, client_id: str, limit: int, start: dict[str, Any] | None
    ) -> Page:
        self.clients.get(who, client_id)
        return self.repo.list_rules(who.tenant_id, client_id, limit, start)

    def update_rule(
        self, who: Principal, rule_id: str, patch: RecurrenceUpdate, if_match: int | None = None
    ) -> Recurrence:
        """Changes the rule and, from now on, its untouched orders ("this and following")."""
        patch.check()
        changes = {
            n: getattr(patch, n)
            for n in patch.model_fields_set
            if n not in ("version", "frequency", "interval", "weekdays", "month_day", "rrule")
        }
        rrule = patch.rule_text()
        if rrule is not None:
            changes["rrule"] = rrule
        if "until" in changes and changes["until"] is not None:
            changes["count"] = None
        if "count" in changes and changes["count"] is not None:
            changes["until"] = None

        def attempt() -> tuple[Recurrence, Recurrence, timedelta]:
            before = self._visible_rule(who, rule_id)
            if if_match is not None and if_match != before.version:
                raise PreconditionFailedError(
                    f"If-Match names version {if_match} but the rule is at version "
                    f"{before.version}. Reload it and apply your change again."
                )
            if patch.version is not None and patch.version != before.version:
                raise VersionConflictError(before.version)
            tech = changes.get("technician_id")
            users, settings = self.repo.context(who.tenant_id, [tech] if tech else [])
            update = dict(changes)
            if "technician_id" in update:
                update["technician_name"] = self._person(who, tech, users)
            now = self.clock()
            merged = Recurrence.model_validate(before.model_dump() | update)
            diff = field_changes(_rule_comparable(before), _rule_comparable(merged))
            horizon = timedelta(days=settings.work_order_horizon_days)
            if not diff:
                return before, before, horizon
            after = merged.model_copy(
                update={
                    "updated_at": now,
                    "version": before.version + 1,
                    "materialized_through": now,
                    "next_due": now,
                    "pending_rewrite": True,
                }
            )
            subject = self._rule_subject(after)
            event = self._event(who, after.client_id, "recurrence_updated", now, subject, diff)
            self.repo.save_rule(who.tenant_id, before, after, event)
            return before, after, horizon

        before, after, horizon = retry_on_race(attempt, "changes")
        if after is before:
            return before
        self._materialize_rule(who.tenant_id, after, self.clock(), horizon, include_past=False)
        return self._current_rule(who.tenant_id, after.id) or after

    def delete_rule(self, who: Principal, rule_id: str) -> None:
        """The rule and its future untouched orders; orders done, started, cancelled or moved
        by hand stay."""

        def attempt() -> None:
            rule = self._visible_rule(who, rule_id)
            now = self.clock()
            orders = self._future_untouched(who.tenant_id, rule, now)
            event = self._event(
                who, rule.client_id, "recurrence_deleted", now, self._rule_subject(rule)
            )
            failed = self.repo.delete_rule(who.tenant_id, rule, orders, event)
            for order in orders:
                if f"delete:{order.id}" not in failed:
                    self._notify(who.tenant_id, order, None)

        retry_on_race(attempt, "changes")

    def _future_untouched(self, tenant: str, rule: Recurrence, now: datetime) -> list[WorkOrder]:
        from_day = local_day(now, rule.timezone) - timedelta(days=1)
        return [
            o
            for o in self.repo.rule_orders(tenant, rule, from_day)
            if o.untouched and o.scheduled_at >= now
        ]

    def preview(self, who: Principal, rule_id: str, n: int) -> RecurrencePreview:
        rule = self._visible_rule(who, rule_id)
        found = upcoming(rule.rule(), self.clock(), n)
        return RecurrencePreview(
            recurrence_id=rule.id,
            rrule=rule.rrule,
            timezone=rule.timezone,
            items=[PreviewOccurrence(occurrence=o.key, local=o.local, utc=o.utc) for o in found],
        )

    # --- the materializer --------------------------------------------------------------------

    def materialize(
        self, now: datetime | None = None, include_past: bool = False
    ) -> MaterializeReport:
        """Every due rule of every tenant, found through the sparse due index: its orders up
        to `now` + the tenant's horizon. Occurrences before `now` (missed in an outage) are
        created only with `include_past`."""
        now = now or self.clock()
        report = MaterializeReport()
        horizons: dict[str, timedelta] = {}
        for tenant, rule in self.repo.due_rules(now):
            if tenant not in horizons:
                days = self.repo.context(tenant, [])[1].work_order_horizon_days
                horizons[tenant] = timedelta(days=days)
            try:
                report.add(
                    self._materialize_rule(tenant, rule, now, horizons[tenant], include_past)
                )
            except StaleWriteError as exc:  # lost every race: the next run takes it up
                report.errors.append(f"{tenant}/{rule.id}: {exc}")
            report.rules += 1
        return report

    def _materialize_rule(
        self,
        tenant: str,
        rule: Recurrence,
        now: datetime,
        horizon: timedelta,
        include_past: bool,
    ) -> MaterializeReport:
        """Write `rule`'s orders up to `now` + `horizon`: one transaction per up to 90 orders,
        each with the rule's new state conditional on the version read."""
        report = MaterializeReport()
        skip: set[str] = set()
        for _ in range(50):
            if rule.next_due is None or rule.next_due > now:
                return report
            if rule.pending_rewrite:
                report.deleted += self._drop_stale(tenant, rule, now, horizon)
            step = self._step(tenant, rule, now, horizon, include_past, skip)
            after, creates, rewrites, last = step
            try:
                failed = self.repo.materialize(tenant, rule, after, creates, rewrites, [])
            except StaleWriteError:
                failed = {"rule"}
            if not failed:
                self._written(tenant, report, creates, rewrites)
                if last:
                    return report
                rule = after
                continue
            if "rule" in failed:  # another run (or an edit) got there first: read it again
                fresh = self.repo.get_rule(tenant, rule.id)
                if fresh is None:
                    return report
                rule = fresh
                continue
            # Orders that exist already (another run's, or detached ones), or were touched
            # since read: leave them be and write the rest.
            skip |= {label.split(":", 1)[1] for label in failed}
            report.kept += len(failed)
        raise StaleWriteError(f"could not materialize {rule.id}")

    def _written(
        self,
        tenant: str,
        report: MaterializeReport,
        creates: list[WorkOrder],
        rewrites: list[tuple[WorkOrder, WorkOrder]],
    ) -> None:
        for o in creates:
            self._notify(tenant, None, o)
        for old, new in rewrites:
            self._notify(tenant, old, new)
        report.created += len(creates)
        report.rewritten += len(rewrites)

    def _window(
        self, rule: Recurrence, now: datetime, horizon: timedelta, include_past: bool
    ) -> tuple[datetime, datetime]:
        start = rule.materialized_through or rule.created_at
        if not include_past or rule.pending_rewrite:
            start = max(start, now)
        return start, now + horizon

    def _drop_stale(self, tenant: str, rule: Recurrence, now: datetime, horizon: timedelta) -> int:
        """After an edit: remove the untouched future orders the rule no longer makes."""
        start, end = self._window(rule, now, horizon, False)
        wanted = {o.key for o in occurrences_between(rule.rule(), start, end)}
        stale = [
            o for o in self._future_untouched(tenant, rule, start) if o.occurrence not in wanted
        ]
        failed = self.repo.delete_orders(tenant, stale)
        gone = [o for o in stale if f"delete:{o.id}" not in failed]
        for order in gone:
            self._notify(tenant, order, None)
        return len(gone)

    def _step(
        self,
        tenant: str,
        rule: Recurrence,
        now: datetime,
        horizon: timedelta,
        include_past: bool,
        skip: set[str],
    ) -> tuple[Recurrence, list[WorkOrder], list[tuple[WorkOrder, WorkOrder]], bool]:
        """What one transaction writes for `rule`, and whether it is the last one."""
        start, end = self._window(rule, now, horizon, include_past)
        spec = rule.rule()
        found = occurrences_between(spec, start, end) if start < end else []
        chunk, through = found[:MAX_ORDERS_PER_TX], max(end, start)
        if len(found) > MAX_ORDERS_PER_TX:
            through = found[MAX_ORDERS_PER_TX].utc
        last = len(found) <= MAX_ORDERS_PER_TX
        existing: dict[str, WorkOrder] = {}
        if rule.pending_rewrite:
            existing = {o.occurrence or "": o for o in self._future_untouched(tenant, rule, start)}
        creates, rewrites = [], []
        for occurrence in chunk:
            order = self._occurrence_order(rule, occurrence, now)
            if order.id in skip:
                continue
            current = existing.get(occurrence.key)
            if current is None:
                creates.append(order)
            elif _differs(current, order):
                rewrites.append((current, _rewritten(current, order, now)))
        following = next_occurrence(spec, through) if last else None
        after = rule.model_copy(
            update={
                "materialized_through": through,
                # while chunks remain, due at once: a run cut off here is taken up next time
                # due once now + horizon is past the next occurrence (the window is half-open)
                "next_due": now
                if not last
                else (following.utc - horizon + _TICK if following else None),
                "pending_rewrite": rule.pending_rewrite and not last,
                "version": rule.version + 1,
            }
        )
        return after, creates, rewrites, last

    @staticmethod
    def _occurrence_order(rule: Recurrence, occurrence: Occurrence, now: datetime) -> WorkOrder:
        from chalicelib.adapters.keys import generated_order_own_id

        rule_own = split_child_id(rule.id, "Recurrence")[1]
        own = generated_order_own_id(rule_own, occurrence.key)
        return WorkOrder(
            id=f"{rule.client_id}.{own}",
            client_id=rule.client_id,
            client_name=rule.client_name,
            title=rule.title,
            description=rule.description,
            scheduled_at=occurrence.utc,
            duration_minutes=rule.duration_minutes,
            technician_id=rule.technician_id,
            technician_name=rule.technician_name,
            status=WorkOrderStatus.SCHEDULED,
            recurrence_id=rule.id,
            occurrence=occurrence.key,
            created_at=now,
            updated_at=now,
            created_by=rule.created_by,
        )


def _status_change(before: WorkOrder, update: dict[str, Any], now: datetime) -> bool:
    """Check the status change in `update` and set `completed_at` to go with it; whether it
    completes the order."""
    status = update.get("status", before.status)
    if status is not before.status and status not in TRANSITIONS[before.status]:
        raise StateConflictError(
            f"A work order that is {before.status.value} cannot become {status.value}."
        )
    completing = status is WorkOrderStatus.DONE and before.status is not WorkOrderStatus.DONE
    if completing:
        done_at = update.get("completed_at") or now
        if done_at > now:
            raise InvalidInputError.one("completed_at", "cannot be in the future")
        update["completed_at"] = done_at.astimezone(UTC)
    elif status is not WorkOrderStatus.DONE:
        update["completed_at"] = None
    return bool(completing)


_GENERATED = ("title", "description", "scheduled_at", "duration_minutes", "technician_id")


def _differs(current: WorkOrder, wanted: WorkOrder) -> bool:
    return any(getattr(current, n) != getattr(wanted, n) for n in (*_GENERATED, "client_name"))


def _rewritten(current: WorkOrder, wanted: WorkOrder, now: datetime) -> WorkOrder:
    """An untouched order rewritten by its edited rule: keeps its notes and creation."""
    return wanted.model_copy(
        update={
            "notes": current.notes,
            "created_at": current.created_at,
            "updated_at": now,
            "version": current.version + 1,
        }
    )


def _comparable(order: WorkOrder) -> dict[str, Any]:
    return order.model_dump(
        mode="json",
        exclude={"updated_at", "technician_name", "version", "detached", "client_name"},
    )


def _rule_comparable(rule: Recurrence) -> dict[str, Any]:
    return rule.model_dump(
        mode="json",
        exclude={"updated_at", "technician_name", "version", "materialized_through", "client_name"},
    )


def local_day(value: datetime, zone: str) -> date:
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(zone)).date()
