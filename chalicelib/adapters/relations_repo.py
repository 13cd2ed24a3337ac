"""What surrounds a client in its item collection: activities, notes, tasks, tags, and the
summary beside the client that those writes keep current."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.indexes import GlobalSecondaryIndex

from chalicelib.adapters import keys
from chalicelib.adapters.clients_repo import (
    client_from_item,
    event_from_item,
    event_to_item,
    sort_ts,
    stored_ts,
    summary_from_item,
    summary_to_item,
)
from chalicelib.adapters.dynamo import (
    ActivityItem,
    ClientItem,
    ClientTagItem,
    EventItem,
    GuardItem,
    Item,
    NoteItem,
    ReminderItem,
    SummaryItem,
    TagItem,
    TaskItem,
    TenantItem,
    UserItem,
    bind,
)
from chalicelib.adapters.paging import query_page
from chalicelib.adapters.reminders_repo import DynamoReminderRepository, entry_key, entry_to_item
from chalicelib.adapters.tenants_repo import user_from_item
from chalicelib.adapters.tx import Tx
from chalicelib.domain.activities import Activity, Note
from chalicelib.domain.ids import split_child_id
from chalicelib.domain.profile import Summary
from chalicelib.domain.reminders import ReminderEntry
from chalicelib.domain.tags import Tag, tag_key
from chalicelib.domain.tasks import Task
from chalicelib.domain.tenants import User
from chalicelib.domain.timeline import TimelineEvent
from chalicelib.services.ports import ClientScope, StaleWriteError, TagNameTakenError

Child = Activity | Note | Task
Page = tuple[list[Any], dict[str, Any] | None]


# --- mapping ---------------------------------------------------------------------------------


def activity_to_item(tenant: str, a: Activity) -> ActivityItem:
    at = sort_ts(a.at)
    own = split_child_id(a.id, "Activity")[1]
    scheduled = a.status.value == "scheduled"
    return ActivityItem(
        keys.client_pk(tenant, a.client_id),
        keys.activity_sk(own),
        gsi2pk=keys.scheduled_by_responsible(tenant, a.responsible_id) if scheduled else None,
        gsi2sk=keys.time_sort(at, a.id) if scheduled else None,
        gsi1pk=keys.activities_of_tenant(tenant),  # exports
        gsi1sk=keys.time_sort(at, a.id),
        gsi3pk=keys.activities_of_client(tenant, a.client_id),
        gsi3sk=keys.time_sort(at, a.id),
        activity_id=a.id,
        client_id=a.client_id,
        type=a.type.value,
        at=stored_ts(a.at),
        notes=a.notes,
        status=a.status.value,
        responsible_id=a.responsible_id,
        responsible_name=a.responsible_name,
        result=a.result,
        private=a.private,
        follow_up_task_id=a.follow_up_task_id,
        created_at=stored_ts(a.created_at),
        updated_at=stored_ts(a.updated_at),
        created_by=a.created_by,
    )


def activity_from_item(item: ActivityItem) -> Activity:
    return Activity(
        id=item.activity_id,
        client_id=item.client_id,
        type=item.type,
        at=datetime.fromisoformat(item.at),
        notes=item.notes,
        status=item.status,
        responsible_id=item.responsible_id,
        responsible_name=item.responsible_name,
        result=item.result,
        private=bool(item.private),
        follow_up_task_id=item.follow_up_task_id,
        created_at=datetime.fromisoformat(item.created_at),
        updated_at=datetime.fromisoformat(item.updated_at),
        created_by=item.created_by,
    )


def note_to_item(tenant: str, n: Note) -> NoteItem:
    return NoteItem(
        keys.client_pk(tenant, n.client_id),
        keys.note_sk(split_child_id(n.id, "Note")[1]),
        note_id=n.id,
        client_id=n.client_id,
        text=n.text,
        author_id=n.author_id,
        author_name=n.author_name,
        created_at=stored_ts(n.created_at),
        updated_at=stored_ts(n.updated_at),
    )


def note_from_item(item: NoteItem) -> Note:
    return Note(
        id=item.note_id,
        client_id=item.client_id,
        text=item.text,
        author_id=item.author_id,
        author_name=item.author_name,
        created_at=datetime.fromisoformat(item.created_at),
        updated_at=datetime.fromisoformat(item.updated_at),
    )


def task_to_item(tenant: str, t: Task) -> TaskItem:
    due = sort_ts(t.due_sort)
    pending = t.status.value == "pending"
    return TaskItem(
        keys.client_pk(tenant, t.client_id),
        keys.task_sk(split_child_id(t.id, "Task")[1]),
        gsi1pk=keys.open_tasks_of_tenant(tenant) if pending else None,
        gsi1sk=keys.time_sort(due, t.id) if pending else None,
        gsi2pk=keys.open_tasks_by_assignee(tenant, t.assignee_id) if pending else None,
        gsi2sk=keys.time_sort(due, t.id) if pending else None,
        gsi3pk=keys.tasks_of_tenant(tenant),  # exports
        gsi3sk=keys.time_sort(due, t.id),
        task_id=t.id,
        client_id=t.client_id,
        description=t.description,
        due_at=stored_ts(t.due_at) if t.due_at else None,
        due_date=t.due_date.isoformat() if t.due_date else None,
        due_sort=due,
        color=t.color,
        assignee_id=t.assignee_id,
        assignee_name=t.assignee_name,
        status=t.status.value,
        completed_at=stored_ts(t.completed_at) if t.completed_at else None,
        reminders=t.reminders or None,
        created_at=stored_ts(t.created_at),
        updated_at=stored_ts(t.updated_at),
        created_by=t.created_by,
    )


def task_from_item(item: TaskItem) -> Task:
    return Task(
        id=item.task_id,
        client_id=item.client_id,
        description=item.description,
        due_at=datetime.fromisoformat(item.due_at) if item.due_at else None,
        due_date=date.fromisoformat(item.due_date) if item.due_date else None,
        due_sort=datetime.fromisoformat(item.due_sort),
        color=item.color,
        assignee_id=item.assignee_id,
        assignee_name=item.assignee_name,
        status=item.status,
        completed_at=datetime.fromisoformat(item.completed_at) if item.completed_at else None,
        reminders=list(item.reminders or []),
        created_at=datetime.fromisoformat(item.created_at),
        updated_at=datetime.fromisoformat(item.updated_at),
        created_by=item.created_by,
    )


def _child_from_item(item: Item) -> Child | None:
    if isinstance(item, ActivityItem):
        return activity_from_item(item)
    if isinstance(item, NoteItem):
        return note_from_item(item)
    if isinstance(item, TaskItem):
        return task_from_item(item)
    return None


def _child_to_item(tenant: str, child: Child) -> Item:
    if isinstance(child, Activity):
        return activity_to_item(tenant, child)
    if isinstance(child, Note):
        return note_to_item(tenant, child)
    return task_to_item(tenant, child)


def _child_sk(child_id: str, prefix: str) -> str:
    return f"{prefix}{split_child_id(child_id, 'Record')[1]}"


class DynamoRelationsRepository:
    """Activities, notes and tasks of a client; the tenant's tags and the clients' tags."""

    # --- reading ---------------------------------------------------------------------------

    def load_scope(
        self, tenant: str, client_id: str, child: tuple[str, str] | None, user_ids: list[str]
    ) -> ClientScope:
        """The client, its summary, one of its records (id, key prefix), some users of the
        tenant's directory and the tenant's time zone: one BatchGetItem."""
        bind()
        pk = keys.client_pk(tenant, client_id)
        wanted = [(pk, keys.CLIENT_SK), (pk, keys.SUMMARY_SK)]
        if child is not None:
            wanted.append((pk, _child_sk(*child)))
        scope = ClientScope()
        for item in Item.batch_get(wanted + self._people_keys(tenant, user_ids)):
            if isinstance(item, ClientItem):
                scope.client = client_from_item(item)
            elif isinstance(item, SummaryItem):
                scope.summary = summary_from_item(item)
            elif isinstance(item, UserItem):
                scope.users[item.user_id] = user_from_item(item)
            elif isinstance(item, TenantItem):
                scope.timezone, scope.language = item.timezone, item.language
            else:
                scope.child = _child_from_item(item)
        return scope

    @staticmethod
    def _people_keys(tenant: str, user_ids: list[str]) -> list[tuple[str, str]]:
        tenant_pk = keys.tenant_pk(tenant)
        people = [(tenant_pk, keys.user_sk(u)) for u in dict.fromkeys(user_ids)]
        return [(tenant_pk, keys.TENANT_SK), *people]

    def people(self, tenant: str, user_ids: list[str]) -> tuple[dict[str, User], str | None]:
        """Some users of the directory and the tenant's time zone: one BatchGetItem."""
        bind()
        users, zone = {}, None
        for item in Item.batch_get(self._people_keys(tenant, user_ids)):
            if isinstance(item, UserItem):
                users[item.user_id] = user_from_item(item)
            elif isinstance(item, TenantItem):
                zone = item.timezone
        return users, zone

    def list_activities(
        self,
        tenant: str,
        client_id: str,
        limit: int,
        start: dict[str, Any] | None,
        private_visible_to: str | None,
    ) -> Page:
        bind()
        condition = None
        if private_visible_to is not None:
            condition = (ActivityItem.private == False) | (  # noqa: E712 (a DynamoDB condition)
                ActivityItem.responsible_id == private_visible_to
            )
        return query_page(
            Item.gsi3,
            keys.activities_of_client(tenant, client_id),
            ActivityItem,
            activity_from_item,
            filter_condition=condition,
            limit=limit,
            start=start,
        )

    def pending_activities(
        self, tenant: str, responsible_id: str, limit: int, start: dict[str, Any] | None
    ) -> tuple[int, list[Activity], dict[str, Any] | None]:
        """Count and first page of one responsible's scheduled activities, soonest first."""
        bind()
        partition = keys.scheduled_by_responsible(tenant, responsible_id)
        count = Item.gsi2.count(partition)
        items, last = query_page(
            Item.gsi2,
            partition,
            ActivityItem,
            activity_from_item,
            newest_first=False,
            limit=limit,
            start=start,
        )
        return count, items, last

    def list_notes(
        self, tenant: str, client_id: str, limit: int, start: dict[str, Any] | None
    ) -> Page:
        return self._list_children(tenant, client_id, keys.NOTE_PREFIX, limit, start)

    def list_tasks(
        self, tenant: str, client_id: str, limit: int, start: dict[str, Any] | None
    ) -> Page:
        return self._list_children(tenant, client_id, keys.TASK_PREFIX, limit, start)

    def _list_children(
        self, tenant: str, client_id: str, prefix: str, limit: int, start: dict[str, Any] | None
    ) -> Page:
        return query_page(
            Item,
            keys.client_pk(tenant, client_id),
            Item,
            _child_from_item,
            range_condition=Item.sk.startswith(prefix),
            limit=limit,
            start=start,
        )

    def open_tasks(
        self,
        tenant: str,
        assignee_id: str | None,
        due_from: datetime | None,
        due_before: datetime,
        limit: int,
        start: dict[str, Any] | None,
    ) -> Page:
        """Pending tasks falling due in [due_from, due_before), soonest first: one Query on
        the open-tasks index of the assignee (or of the whole tenant)."""
        bind()
        upper = keys.time_sort(sort_ts(due_before), "")
        index: GlobalSecondaryIndex[Item]
        condition: Condition
        if assignee_id is None:
            index, partition, sort = Item.gsi1, keys.open_tasks_of_tenant(tenant), Item.gsi1sk
        else:
            index, partition = Item.gsi2, keys.open_tasks_by_assignee(tenant, assignee_id)
            sort = Item.gsi2sk
        if due_from is None:
            condition = sort < upper
        else:
            condition = sort.between(keys.time_sort(sort_ts(due_from), ""), upper)
        return query_page(
            index,
            partition,
            TaskItem,
            task_from_item,
            range_condition=condition,
            newest_first=False,
            limit=limit,
            start=start,
        )

    # --- writing a record, its summary and its timeline event together ----------------------

    def save(
        self,
        tenant: str,
        client_id: str,
        records: list[Child],
        events: list[TimelineEvent],
        summary: Summary | None = None,
        removed: list[Child] | None = None,
        reminders: list[ReminderEntry] | None = None,
        reminders_removed: list[ReminderEntry] | None = None,
    ) -> None:
        """One transaction: the records put, the removed ones deleted, the event, and the
        summary conditional on the version that was read; a task's reminder entries too."""
        tx = Tx()
        for record in records:
            tx.put("record", _child_to_item(tenant, record))
        for record in removed or []:
            tx.delete("removed", _child_to_item(tenant, record), Item.pk.exists())
        for entry in reminders or []:
            tx.put("reminder", entry_to_item(entry))
        for entry in reminders_removed or []:
            tx.delete("reminder-removed", ReminderItem(*entry_key(entry)))
        for event in events:
            tx.put("event", event_to_item(tenant, event))
        if summary is not None:
            item = summary_to_item(tenant, client_id, summary)
            tx.put("summary", item, None if summary.version else Item.pk.does_not_exist())
        tx.commit_or_stale()

    def task_reminders(self, tenant: str, tasks: list[Task]) -> dict[str, list[ReminderEntry]]:
        """The reminder entries of some tasks, by task id: one BatchGetItem."""
        return DynamoReminderRepository().task_entries(tenant, tasks)

    def events_about(self, tenant: str, client_id: str, subject_id: str) -> list[TimelineEvent]:
        """The timeline events of one activity, note or task (a filtered Query of the
        client's events: a rare write path, when an activity's privacy changes)."""
        bind()
        found = Item.query(
            keys.client_pk(tenant, client_id),
            Item.sk.startswith(keys.EVENT_PREFIX),
            filter_condition=EventItem.subject_id == subject_id,
        )
        return [event_from_item(i) for i in found if isinstance(i, EventItem)]

    # --- tags --------------------------------------------------------------------------------

    def list_tags(self, tenant: str) -> list[Tag]:
        bind()
        found = Item.query(keys.tenant_pk(tenant), Item.sk.startswith(keys.TAG_PREFIX))
        return [_tag(i) for i in found if isinstance(i, TagItem)]

    def get_tags(self, tenant: str, tag_ids: list[str]) -> dict[str, Tag]:
        bind()
        pk = keys.tenant_pk(tenant)
        found = Item.batch_get([(pk, keys.tag_sk(t)) for t in dict.fromkeys(tag_ids)])
        return {i.tag_id: _tag(i) for i in found if isinstance(i, TagItem)}

    def create_tag(self, tenant: str, tag: Tag) -> Tag:
        tx = Tx()
        tx.put("tag", _tag_item(tenant, tag, new=True), Item.pk.does_not_exist())
        tx.put("name", _name_guard(tenant, tag), Item.pk.does_not_exist())
        if tx.commit():
            raise TagNameTakenError(tag.name)
        return tag.model_copy(update={"version": 1})

    def update_tag(self, tenant: str, before: Tag, after: Tag) -> Tag:
        """The tag (conditional on its version), its name guard, then every link's copy."""
        tx = Tx()
        tx.put("tag", _tag_item(tenant, after.model_copy(update={"version": before.version})))
        if tag_key(before.name) != tag_key(after.name):
            tx.put("name", _name_guard(tenant, after), Item.pk.does_not_exist())
            tx.delete("old-name", _name_guard(tenant, before))
        failed = tx.commit()
        if "name" in failed:
            raise TagNameTakenError(after.name)
        if failed:
            raise StaleWriteError("tag changed")
        with Item.batch_write() as batch:
            for link in self._links(tenant, before.id):
                link.name, link.color = after.name, after.color
                batch.save(link)
        return after.model_copy(update={"version": before.version + 1})

    def delete_tag(self, tenant: str, tag: Tag) -> list[str]:
        """The tag and its name guard, then its links; the ids of the clients it was on."""
        tx = Tx()
        tx.delete("tag", _tag_item(tenant, tag), Item.pk.exists())
        tx.delete("name", _name_guard(tenant, tag))
        tx.commit_or_stale()
        links = list(self._links(tenant, tag.id))
        with Item.batch_write() as batch:
            for link in links:
                batch.delete(link)
        return [link.client_id for link in links]

    def _links(self, tenant: str, tag_id: str) -> list[ClientTagItem]:
        bind()
        found = Item.gsi3.query(keys.clients_with_tag(tenant, tag_id))
        return [i for i in found if isinstance(i, ClientTagItem)]

    def set_client_tags(
        self,
        tenant: str,
        client_id: str,
        add: list[Tag],
        drop: list[Tag],
        event: TimelineEvent,
        client_created: datetime,
    ) -> None:
        """The links sort in the tag's listing (GSI3) as clients do: newest first."""
        tx = Tx()
        pk = keys.client_pk(tenant, client_id)
        for tag in add:
            link = ClientTagItem(
                pk,
                keys.client_tag_sk(tag.id),
                gsi3pk=keys.clients_with_tag(tenant, tag.id),
                gsi3sk=keys.created_sort(sort_ts(client_created), client_id),
                tag_id=tag.id,
                client_id=client_id,
                name=tag.name,
                color=tag.color,
            )
            tx.put(f"add-{tag.id}", link)
        for tag in drop:
            tx.delete(f"drop-{tag.id}", ClientTagItem(pk, keys.client_tag_sk(tag.id)))
        tx.put("event", event_to_item(tenant, event))
        tx.commit_or_stale()

    def get_client_tags(self, tenant: str, client_id: str) -> list[Tag]:
        bind()
        found = Item.query(
            keys.client_pk(tenant, client_id), Item.sk.startswith(keys.client_tag_sk(""))
        )
        return [
            Tag(id=i.tag_id, name=i.name, color=i.color)
            for i in found
            if isinstance(i, ClientTagItem)
        ]


def _tag(item: TagItem) -> Tag:
    return Tag(id=item.tag_id, name=item.name, color=item.color, version=int(item.version or 1))


def _tag_item(tenant: str, tag: Tag, new: bool = False) -> TagItem:
    versioned: dict[str, Any] = {} if new else {"version": tag.version}
    return TagItem(
        keys.tenant_pk(tenant),
        keys.tag_sk(tag.id),
        tag_id=tag.id,
        name=tag.name,
        color=tag.color,
        **versioned,
    )


def _name_guard(tenant: str, tag: Tag) -> GuardItem:
    return GuardItem(
        keys.tag_name_guard_pk(tenant, tag_key(tag.name)),
        keys.GUARD_SK,
        client_id=tag.id,
        field="tag_name",
    )
