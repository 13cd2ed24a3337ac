"""Reminder entries, the sparse index of due ones, the reads a send needs, and job runs.

A waiting entry sits on GSI3 under `REMDUE#<UTC day>#<shard>` with the sort key
`<next_at>#<its own key>`; every change of state rewrites the whole item conditional on
what was read (the index sort key, or the claim token), so two runs can never both own it.
"""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.expressions.condition import Condition

from chalicelib.adapters import keys
from chalicelib.adapters.clients_repo import client_from_item, sort_ts, stored_ts
from chalicelib.adapters.dynamo import (
    ClientItem,
    Item,
    JobRunItem,
    ReminderItem,
    TaskItem,
    TenantItem,
    UserItem,
    bind,
)
from chalicelib.adapters.tenants_repo import user_from_item
from chalicelib.domain.clients import Client
from chalicelib.domain.ids import split_child_id
from chalicelib.domain.reminders import ReminderEntry, ReminderKind, ReminderState
from chalicelib.domain.tasks import Task
from chalicelib.domain.tenants import User


def entry_key(entry: ReminderEntry) -> tuple[str, str]:
    tenant = entry.tenant_id
    if entry.kind is ReminderKind.TASK:
        assert entry.client_id is not None and entry.offset is not None
        own = split_child_id(entry.subject_id, "Task")[1]
        return keys.client_pk(tenant, entry.client_id), keys.task_reminder_sk(own, entry.offset)
    if entry.kind is ReminderKind.WORK_ORDER:
        return keys.work_order_reminder_pk(tenant, entry.subject_id), keys.WORK_ORDER_REMINDER_SK
    return keys.tenant_pk(tenant), keys.digest_sk(entry.subject_id)


def day_of(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d")


def index_keys(entry: ReminderEntry) -> tuple[str, str] | None:
    """Where a waiting entry sits on the due index (None: it is not waiting)."""
    if not entry.waiting or entry.next_at is None:
        return None
    pk, sk = entry_key(entry)
    ident = f"{pk}#{sk}"
    shard = zlib.crc32(ident.encode()) % keys.REMINDER_SHARDS
    return keys.reminders_due(day_of(entry.next_at), shard), f"{sort_ts(entry.next_at)}#{ident}"


def _ts(value: datetime | None) -> str | None:
    return stored_ts(value.astimezone(UTC)) if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def entry_to_item(entry: ReminderEntry) -> ReminderItem:
    pk, sk = entry_key(entry)
    index = index_keys(entry)
    return ReminderItem(
        pk,
        sk,
        gsi3pk=index[0] if index else None,
        gsi3sk=index[1] if index else None,
        kind=entry.kind.value,
        tenant_id=entry.tenant_id,
        subject_id=entry.subject_id,
        client_id=entry.client_id,
        offset=entry.offset,
        recipient_id=entry.recipient_id,
        zone=entry.zone,
        fire_at=_ts(entry.fire_at),
        next_at=_ts(entry.next_at),
        state=entry.state.value,
        attempts=entry.attempts,
        sent_at=_ts(entry.sent_at),
        message_id=entry.message_id,
        error=entry.error,
        claim=entry.claim,
        last_day=entry.last_day.isoformat() if entry.last_day else None,
        details=entry.details,
    )


def entry_from_item(item: ReminderItem) -> ReminderEntry:
    details = _plain(item.details.as_dict()) if item.details is not None else None  # type: ignore[no-untyped-call]
    return ReminderEntry(
        kind=ReminderKind(item.kind),
        tenant_id=item.tenant_id,
        subject_id=item.subject_id,
        client_id=item.client_id,
        offset=item.offset,
        recipient_id=item.recipient_id,
        zone=item.zone,
        fire_at=_dt(item.fire_at),
        next_at=_dt(item.next_at),
        state=ReminderState(item.state),
        attempts=int(item.attempts or 0),
        sent_at=_dt(item.sent_at),
        message_id=item.message_id,
        error=item.error,
        claim=item.claim,
        last_day=date.fromisoformat(item.last_day) if item.last_day else None,
        details=details,
        index_key=item.gsi3sk,
    )


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal: whole ones become int."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def days_between(start: datetime, end: datetime) -> list[str]:
    """The UTC day buckets from `start`'s to `end`'s, both included."""
    day, last = start.astimezone(UTC).date(), end.astimezone(UTC).date()
    found = []
    while day <= last:
        found.append(day.isoformat())
        day += timedelta(days=1)
    return found


class SendContext:
    """What an email about a task needs, read fresh in one BatchGetItem."""

    def __init__(self) -> None:
        self.client: Client | None = None
        self.task: Task | None = None
        self.user: User | None = None
        self.tenant_name: str = ""
        self.tenant_zone: str | None = None
        self.tenant_language: str | None = None


class DynamoReminderRepository:
    # --- entries beside their tasks --------------------------------------------------------

    def task_entries(self, tenant: str, tasks: list[Task]) -> dict[str, list[ReminderEntry]]:
        """The reminder entries of some tasks (keys known from their offsets): BatchGetItem."""
        bind()
        wanted = []
        for task in tasks:
            own = split_child_id(task.id, "Task")[1]
            pk = keys.client_pk(tenant, task.client_id)
            wanted += [(pk, keys.task_reminder_sk(own, o)) for o in task.reminders]
        found: dict[str, list[ReminderEntry]] = {t.id: [] for t in tasks}
        if not wanted:
            return found
        for item in Item.batch_get(wanted):
            if isinstance(item, ReminderItem) and item.subject_id in found:
                found[item.subject_id].append(entry_from_item(item))
        for task in tasks:
            order = {o: i for i, o in enumerate(task.reminders)}
            found[task.id].sort(key=lambda e: order.get(e.offset or "", 0))
        return found

    # --- the due index ---------------------------------------------------------------------

    def due(self, since: datetime, now: datetime) -> list[ReminderEntry]:
        """Waiting entries whose time is ≤ now, from `since`'s day on: one Query per day
        bucket and shard (and page), soonest first."""
        bind()
        upper = f"{sort_ts(now)}#~"
        found: list[ReminderEntry] = []
        for day in days_between(since, now):
            for shard in range(keys.REMINDER_SHARDS):
                partition = keys.reminders_due(day, shard)
                for item in Item.gsi3.query(partition, Item.gsi3sk <= upper):
                    if isinstance(item, ReminderItem):
                        found.append(entry_from_item(item))
        found.sort(key=lambda e: e.index_key or "")
        return found

    def _put_if(self, entry: ReminderEntry, condition: Condition | None) -> bool:
        bind()
        try:
            entry_to_item(entry).save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def replace_seen(self, seen: ReminderEntry, after: ReminderEntry) -> bool:
        """Write `after` only if the entry is still where `seen` was read on the index."""
        return self._put_if(after, Item.gsi3sk == (seen.index_key or ""))

    def replace_claimed(self, after: ReminderEntry, token: str) -> bool:
        """Write `after` only if this run's claim still holds."""
        return self._put_if(after, ReminderItem.claim == token)

    def put(self, entry: ReminderEntry) -> None:
        self._put_if(entry, None)

    def delete(self, entry: ReminderEntry) -> None:
        bind()
        ReminderItem(*entry_key(entry)).delete()

    def get(self, kind: ReminderKind, tenant: str, subject_id: str) -> ReminderEntry | None:
        bind()
        probe = ReminderEntry(kind=kind, tenant_id=tenant, subject_id=subject_id)
        try:
            return entry_from_item(ReminderItem.get(*entry_key(probe)))
        except (DoesNotExist, ValueError):
            return None

    # --- what an email needs ---------------------------------------------------------------

    def context(
        self, tenant: str, recipient_id: str | None, client_id: str | None, task_id: str | None
    ) -> SendContext:
        """The tenant, the recipient, the client and the task: one BatchGetItem."""
        bind()
        tenant_pk = keys.tenant_pk(tenant)
        wanted = [(tenant_pk, keys.TENANT_SK)]
        if recipient_id:
            wanted.append((tenant_pk, keys.user_sk(recipient_id)))
        if client_id:
            wanted.append((keys.client_pk(tenant, client_id), keys.CLIENT_SK))
        if client_id and task_id:
            own = split_child_id(task_id, "Task")[1]
            wanted.append((keys.client_pk(tenant, client_id), keys.task_sk(own)))
        found = SendContext()
        for item in Item.batch_get(wanted):
            if isinstance(item, TenantItem):
                found.tenant_name = item.name or ""
                found.tenant_zone, found.tenant_language = item.timezone, item.language
            elif isinstance(item, UserItem):
                found.user = user_from_item(item)
            elif isinstance(item, ClientItem):
                found.client = client_from_item(item)
            elif isinstance(item, TaskItem):
                from chalicelib.adapters.relations_repo import task_from_item

                found.task = task_from_item(item)
        return found

    def client_names(self, tenant: str, client_ids: list[str]) -> dict[str, str]:
        bind()
        wanted = [(keys.client_pk(tenant, c), keys.CLIENT_SK) for c in dict.fromkeys(client_ids)]
        if not wanted:
            return {}
        return {i.client_id: i.name for i in Item.batch_get(wanted) if isinstance(i, ClientItem)}

    def open_tasks_until(self, tenant: str, user_id: str, before: datetime) -> list[Task]:
        """The user's pending tasks due before `before` (overdue and today's), soonest first:
        one Query of the open-tasks-by-assignee index."""
        from chalicelib.adapters.relations_repo import DynamoRelationsRepository

        tasks, _ = DynamoRelationsRepository().open_tasks(tenant, user_id, None, before, 100, None)
        return list(tasks)

    # --- job runs --------------------------------------------------------------------------

    def record_run(self, job: str, at: datetime, report: dict[str, Any] | None) -> None:
        """A successful run (with its report), or its start when `report` is None."""
        bind()
        try:
            item = JobRunItem.get(keys.job_run_pk(job), keys.JOB_RUN_SK)
        except (DoesNotExist, ValueError):
            item = JobRunItem(keys.job_run_pk(job), keys.JOB_RUN_SK, job=job)
        stamp = stored_ts(at.astimezone(UTC))
        if report is None:
            item.last_started_at = stamp
        else:
            item.last_success_at, item.last_report = stamp, report
        item.save()

    def job_runs(self, jobs: list[str]) -> dict[str, tuple[datetime | None, datetime | None]]:
        """(last start, last success) of each job: one BatchGetItem."""
        bind()
        runs: dict[str, tuple[datetime | None, datetime | None]] = {j: (None, None) for j in jobs}
        for item in Item.batch_get([(keys.job_run_pk(j), keys.JOB_RUN_SK) for j in jobs]):
            if isinstance(item, JobRunItem):
                runs[item.job] = (_dt(item.last_started_at), _dt(item.last_success_at))
        return runs
