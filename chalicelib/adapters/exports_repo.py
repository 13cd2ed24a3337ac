"""Export jobs, and the tenant-wide reads of an export, in DynamoDB.

Every read is a Query on a key designed for it (docs/data-model.md, patterns E1-E8): the
activities of a tenant by time (GSI1 `T#<t>#ACTS`), its tasks by due time (GSI3
`T#<t>#TASKS`), a client's activities (GSI3) and tasks (table), the links of each tag (GSI3).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import GlobalSecondaryIndex

from chalicelib.adapters import keys
from chalicelib.adapters.clients_repo import sort_ts, stored_ts
from chalicelib.adapters.dynamo import (
    ActivityItem,
    ClientItem,
    ClientTagItem,
    ExportJobItem,
    Item,
    TagItem,
    TaskItem,
    bind,
)
from chalicelib.adapters.paging import query_page
from chalicelib.adapters.relations_repo import activity_from_item, task_from_item
from chalicelib.domain.activities import Activity
from chalicelib.domain.exports import ExportJob
from chalicelib.domain.tasks import Task

PAGE = 500  # items per DynamoDB request while exporting
BATCH_GET = 100  # DynamoDB's BatchGetItem limit
_BRIEF = ["PK", "SK", "entity", "client_id", "number", "name"]


def job_to_item(tenant: str, job: ExportJob) -> ExportJobItem:
    created = sort_ts(job.created_at)
    return ExportJobItem(
        keys.export_pk(tenant, job.id),
        keys.EXPORT_SK,
        gsi1pk=keys.exports_of_tenant(tenant),
        gsi1sk=keys.time_sort(created, job.id),
        gsi2pk=keys.exports_of_user(tenant, job.created_by),
        gsi2sk=keys.time_sort(created, job.id),
        job_id=job.id,
        export_entity=job.entity.value,
        format=job.format.value,
        filters=json.dumps(job.filters, sort_keys=True),
        state=job.state.value,
        rows=job.rows,
        created_at=stored_ts(job.created_at),
        finished_at=stored_ts(job.finished_at) if job.finished_at else None,
        created_by=job.created_by,
        created_by_name=job.created_by_name,
        role=job.role,
        groups=job.groups or None,
        error=job.error,
        file_name=job.file_name,
        request_hash=job.request_hash,
    )


def job_from_item(item: ExportJobItem) -> ExportJob:
    return ExportJob(
        id=item.job_id,
        entity=item.export_entity,
        format=item.format,
        filters=json.loads(item.filters or "{}"),
        state=item.state,
        rows=int(item.rows) if item.rows is not None else None,
        created_at=datetime.fromisoformat(item.created_at),
        finished_at=datetime.fromisoformat(item.finished_at) if item.finished_at else None,
        created_by=item.created_by,
        created_by_name=item.created_by_name,
        role=item.role,
        groups=list(item.groups or []),
        error=item.error,
        file_name=item.file_name,
        request_hash=item.request_hash,
    )


def _between(sort: Any, start: datetime | None, end: datetime | None) -> Any:
    """A sort-key condition `<instant>#<id>` in [start, end)."""
    low = keys.time_sort(sort_ts(start), "") if start else None
    high = keys.time_sort(sort_ts(end), "") if end else None
    if low and high:
        return sort.between(low, high)
    if low:
        return sort >= low
    if high:
        return sort < high
    return None


class DynamoExportRepository:
    # --- jobs ------------------------------------------------------------------------------

    def put_job(self, tenant: str, job: ExportJob) -> None:
        bind()
        job_to_item(tenant, job).save()

    def create_job(self, tenant: str, job: ExportJob) -> bool:
        """Record a new job; False when one with its id exists already."""
        bind()
        try:
            job_to_item(tenant, job).save(condition=Item.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get_job(self, tenant: str, job_id: str) -> ExportJob | None:
        bind()
        try:
            item = ExportJobItem.get(keys.export_pk(tenant, job_id), keys.EXPORT_SK)
        except (DoesNotExist, ValueError):
            return None
        return job_from_item(item)

    def list_jobs(
        self, tenant: str, user_id: str | None, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Any], dict[str, Any] | None]:
        """A tenant's exports (or one user's), newest first."""
        index: GlobalSecondaryIndex[Item]
        if user_id is None:
            index, partition = Item.gsi1, keys.exports_of_tenant(tenant)
        else:
            index, partition = Item.gsi2, keys.exports_of_user(tenant, user_id)
        return query_page(index, partition, ExportJobItem, job_from_item, limit=limit, start=start)

    # --- sizes ------------------------------------------------------------------------------

    def client_count(self, tenant: str) -> int:
        """The tenant's clients, from its statistics counters: one GetItem."""
        bind()
        raw = Item._get_connection().get_item(
            keys.tenant_pk(tenant),
            keys.COUNTERS_SK,
            attributes_to_get=["n_total"],
        )
        value = raw.get("Item", {}).get("n_total", {}).get("N")
        return int(value) if value is not None else 0

    def count_records(
        self, tenant: str, entity: str, start: datetime | None, end: datetime | None, limit: int
    ) -> int:
        """How many activities or tasks fall in [start, end), counting up to `limit` only."""
        bind()
        index: GlobalSecondaryIndex[Item]
        if entity == "activities":
            index, partition, sort = Item.gsi1, keys.activities_of_tenant(tenant), Item.gsi1sk
        else:
            index, partition, sort = Item.gsi3, keys.tasks_of_tenant(tenant), Item.gsi3sk
        return int(index.count(partition, _between(sort, start, end), limit=limit))

    # --- tenant-wide listings ----------------------------------------------------------------

    def activity_pages(
        self, tenant: str, start: datetime | None, end: datetime | None
    ) -> Iterator[list[Activity]]:
        bind()
        partition = keys.activities_of_tenant(tenant)
        condition = _between(Item.gsi1sk, start, end)
        yield from _pages(Item.gsi1, partition, condition, ActivityItem, activity_from_item)

    def task_pages(
        self, tenant: str, start: datetime | None, end: datetime | None
    ) -> Iterator[list[Task]]:
        bind()
        partition = keys.tasks_of_tenant(tenant)
        condition = _between(Item.gsi3sk, start, end)
        yield from _pages(Item.gsi3, partition, condition, TaskItem, task_from_item)

    # --- one client's records ------------------------------------------------------------------

    def client_activities(
        self,
        tenant: str,
        client_id: str,
        start: datetime | None,
        end: datetime | None,
        private_visible_to: str | None,
    ) -> Iterator[Activity]:
        bind()
        condition = None
        if private_visible_to is not None:
            condition = (ActivityItem.private == False) | (  # noqa: E712 (a DynamoDB condition)
                ActivityItem.responsible_id == private_visible_to
            )
        found = Item.gsi3.query(
            keys.activities_of_client(tenant, client_id),
            _between(Item.gsi3sk, start, end),
            filter_condition=condition,
            scan_index_forward=False,
            page_size=PAGE,
        )
        for item in found:
            if isinstance(item, ActivityItem):
                yield activity_from_item(item)

    def client_tasks(
        self, tenant: str, client_id: str, start: datetime | None, end: datetime | None
    ) -> Iterator[Task]:
        bind()
        condition = None
        if start is not None:
            condition = TaskItem.due_sort >= sort_ts(start)
        if end is not None:
            before = TaskItem.due_sort < sort_ts(end)
            condition = before if condition is None else condition & before
        found = Item.query(
            keys.client_pk(tenant, client_id),
            Item.sk.startswith(keys.TASK_PREFIX),
            filter_condition=condition,
            page_size=PAGE,
        )
        for item in found:
            if isinstance(item, TaskItem):
                yield task_from_item(item)

    # --- what a row names ----------------------------------------------------------------------

    def client_briefs(
        self, tenant: str, client_ids: list[str]
    ) -> dict[str, tuple[int | None, str | None]]:
        """Number and name of some clients: one BatchGetItem per 100."""
        bind()
        ids = list(dict.fromkeys(client_ids))
        briefs: dict[str, tuple[int | None, str | None]] = {}
        for n in range(0, len(ids), BATCH_GET):
            wanted = [(keys.client_pk(tenant, c), keys.CLIENT_SK) for c in ids[n : n + BATCH_GET]]
            for item in Item.batch_get(wanted, attributes_to_get=_BRIEF):
                if isinstance(item, ClientItem):
                    briefs[item.client_id] = (int(item.number), item.name)
        return briefs

    def client_tags(self, tenant: str) -> dict[str, list[tuple[str, str]]]:
        """(tag id, name) of every client's tags: the catalogue, then each tag's links."""
        bind()
        catalogue = Item.query(keys.tenant_pk(tenant), Item.sk.startswith(keys.TAG_PREFIX))
        tags: dict[str, list[tuple[str, str]]] = {}
        for tag in sorted((t for t in catalogue if isinstance(t, TagItem)), key=lambda t: t.name):
            links = Item.gsi3.query(keys.clients_with_tag(tenant, tag.tag_id), page_size=PAGE)
            for link in links:
                if isinstance(link, ClientTagItem):
                    tags.setdefault(link.client_id, []).append((tag.tag_id, tag.name))
        return tags


def _pages(
    index: Any, partition: str, condition: Any, kind: type[Item], convert: Any
) -> Iterator[list[Any]]:
    """Every item of one index partition, a DynamoDB page at a time, oldest first."""
    start: dict[str, Any] | None = None
    while True:
        found = index.query(
            partition,
            condition,
            scan_index_forward=True,
            limit=PAGE,
            page_size=PAGE,
            last_evaluated_key=start,
        )
        yield [convert(i) for i in found if isinstance(i, kind)]
        start = found.last_evaluated_key
        if not start:
            return


def backfill_export_keys() -> int:
    """Give activities and tasks written before exports their tenant-wide keys (GSI1
    `T#<t>#ACTS`, GSI3 `T#<t>#TASKS`); returns how many items it changed.

    A one-off deployment step, never a request path: it scans the table for the items that
    lack them, then sets only those two attributes, conditional on the time they derive
    from being unchanged (a concurrent edit writes the keys itself). Run it again at will.
    """
    bind()
    lacking = (Item.entity.is_in(ActivityItem) & Item.gsi1pk.does_not_exist()) | (
        Item.entity.is_in(TaskItem) & Item.gsi3pk.does_not_exist()
    )
    changed = 0
    for item in Item.scan(lacking):
        tenant = item.pk.split("#")[1]
        actions: list[Action]
        if isinstance(item, ActivityItem):
            at = sort_ts(datetime.fromisoformat(item.at))
            actions = [
                Item.gsi1pk.set(keys.activities_of_tenant(tenant)),
                Item.gsi1sk.set(keys.time_sort(at, item.activity_id)),
            ]
            unchanged = ActivityItem.at == item.at
        elif isinstance(item, TaskItem):
            actions = [
                Item.gsi3pk.set(keys.tasks_of_tenant(tenant)),
                Item.gsi3sk.set(keys.time_sort(item.due_sort, item.task_id)),
            ]
            unchanged = TaskItem.due_sort == item.due_sort
        else:
            continue
        try:
            item.update(actions=actions, condition=unchanged)
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            continue
        changed += 1
    return changed


if __name__ == "__main__":  # python -m chalicelib.adapters.exports_repo (TABLE_NAME set)
    print(f"{backfill_export_keys()} activities and tasks given their export keys")
