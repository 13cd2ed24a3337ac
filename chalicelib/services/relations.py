"""The relationship around a client: activities, notes, tasks and tags.

Every write goes with its timeline event in one transaction; activity and task writes also
carry the client's summary (open tasks, scheduled and latest activities) conditional on the
version read, and are retried on a concurrent change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.activities import (
    Activity,
    ActivityCreate,
    ActivityUpdate,
    Note,
    NoteCreate,
)
from chalicelib.domain.clients import field_changes
from chalicelib.domain.errors import (
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    StateConflictError,
)
from chalicelib.domain.ids import child_id, new_id, split_child_id
from chalicelib.domain.principal import Principal
from chalicelib.domain.profile import Summary
from chalicelib.domain.reminders import ReminderEntry, plan_task, status_of
from chalicelib.domain.tags import ClientTags, Tag, TagCreate, TagRef, TagUpdate
from chalicelib.domain.tasks import (
    Bucket,
    Task,
    TaskCreate,
    TaskStatus,
    TaskUpdate,
    bucket_range,
    due_instant,
)
from chalicelib.domain.tenants import User
from chalicelib.domain.timeline import TimelineEvent
from chalicelib.services.clients import Clock, retry_on_race, utcnow
from chalicelib.services.ports import (
    ClientScope,
    Page,
    RelationsRepository,
    TagNameTakenError,
)

Record = Activity | Note | Task
_PREFIX = {"Activity": "ACT#", "Note": "NOTE#", "Task": "TASK#"}


@dataclass
class Write:
    """What one attempt of a write produces: records, events, the summary, removals."""

    records: list[Record]
    events: list[TimelineEvent]
    summary: Summary | None = None
    removed: list[Record] | None = None
    result: Any = None
    reminders: list[ReminderEntry] | None = None  # a task's reminder entries to put
    reminders_removed: list[ReminderEntry] | None = None


class RelationsService:
    def __init__(
        self,
        repo: RelationsRepository,
        default_timezone: str,
        clock: Clock = utcnow,
        default_language: str = "es",
    ) -> None:
        self.repo = repo
        self.default_timezone = default_timezone
        self.default_language = default_language
        self.clock = clock

    # --- shared ----------------------------------------------------------------------------

    def _scope(
        self,
        who: Principal,
        client_id: str,
        child: tuple[str, str] | None = None,
        users: list[str] | None = None,
    ) -> ClientScope:
        scope = self.repo.load_scope(who.tenant_id, client_id, child, users or [])
        if scope.client is None or not who.can_see_client(
            scope.client.owner_id, scope.client.group_id
        ):
            raise NotFoundError("Client", client_id)
        return scope

    def _record_scope(
        self, who: Principal, record_id: str, what: str, users: list[str] | None = None
    ) -> tuple[ClientScope, Any]:
        client_id, _ = split_child_id(record_id, what)
        try:
            scope = self._scope(who, client_id, (record_id, _PREFIX[what]), users)
        except NotFoundError:
            raise NotFoundError(what, record_id) from None
        record = scope.child
        if record is None or type(record).__name__ != what:
            raise NotFoundError(what, record_id)
        if isinstance(record, Activity) and not _visible_activity(who, record):
            raise NotFoundError(what, record_id)
        return scope, record

    def _event(
        self, who: Principal, client_id: str, action: str, at: datetime, **fields: Any
    ) -> TimelineEvent:
        return TimelineEvent(
            id=new_id(),
            client_id=client_id,
            at=at,
            actor_id=who.user_id,
            actor_name=who.name or None,
            action=action,
            **fields,
        )

    def _commit(self, who: Principal, client_id: str, attempt: Callable[[], Write]) -> Any:
        """Run `attempt` (reads, decides) and write what it decided; again on a race."""

        def once() -> Any:
            write = attempt()
            self.repo.save(
                who.tenant_id,
                client_id,
                write.records,
                write.events,
                write.summary,
                write.removed,
                reminders=write.reminders,
                reminders_removed=write.reminders_removed,
            )
            return write.result

        return retry_on_race(once, "changes")

    @staticmethod
    def _person(who: Principal, user_id: str, users: dict[str, User], field_name: str) -> str:
        """The name of a responsible or assignee; they must be in the directory (or be you)."""
        if user_id in users:
            return users[user_id].name
        if user_id == who.user_id:
            return who.name or who.user_id
        raise InvalidInputError.one(field_name, f"no user {user_id!r} in this organisation")

    # --- activities ------------------------------------------------------------------------

    def create_activity(self, who: Principal, client_id: str, data: ActivityCreate) -> Activity:
        responsible = data.responsible_id or who.user_id
        if responsible != who.user_id and not who.sees_all_clients:
            raise ForbiddenError("A sales user can only log activities they are responsible for.")

        def attempt() -> Write:
            scope = self._scope(who, client_id, users=[responsible])
            now = self.clock()
            name = self._person(who, responsible, scope.users, "responsible_id")
            activity = Activity(
                id=child_id(client_id),
                client_id=client_id,
                created_at=now,
                updated_at=now,
                created_by=who.user_id,
                responsible_id=responsible,
                responsible_name=name,
                **data.model_dump(exclude={"responsible_id", "follow_up_at"}),
            )
            summary = scope.summary.with_activity(None, activity)
            write = Write([], [])
            if data.follow_up_at is not None:
                language = scope.language or self.default_language
                task = self._follow_up(who, activity, data.follow_up_at, name, now, language)
                activity = activity.model_copy(update={"follow_up_task_id": task.id})
                write.records.append(task)
                write.events.append(self._task_event(who, task, "task_created", now))
                summary = summary.with_open_tasks(+1)
            write.summary = summary
            write.records.append(activity)
            write.events.append(self._activity_event(who, activity, "activity_created", now))
            write.result = activity
            return write

        result: Activity = self._commit(who, client_id, attempt)
        return result

    def _follow_up(
        self,
        who: Principal,
        activity: Activity,
        due: datetime,
        assignee_name: str,
        now: datetime,
        language: str,
    ) -> Task:
        return Task(
            id=child_id(activity.client_id),
            client_id=activity.client_id,
            description=_follow_up_description(activity, language),
            due_at=due,
            due_sort=due_instant(due, None, "UTC"),
            assignee_id=activity.responsible_id,
            assignee_name=assignee_name,
            status=TaskStatus.PENDING,
            created_at=now,
            updated_at=now,
            created_by=who.user_id,
        )

    def _activity_event(
        self,
        who: Principal,
        activity: Activity,
        action: str,
        at: datetime,
        changes: dict[str, Any] | None = None,
    ) -> TimelineEvent:
        subject = activity.brief() | {"notes": (activity.notes or "")[:280] or None}
        return self._event(
            who,
            activity.client_id,
            action,
            at,
            subject=subject,
            changes=changes or {},
            private_for=activity.responsible_id if activity.private else None,
        )

    def list_activities(
        self, who: Principal, client_id: str, limit: int, start: dict[str, Any] | None
    ) -> Page:
        self._scope(who, client_id)
        private_to = None if who.sees_all_clients else who.user_id
        return self.repo.list_activities(who.tenant_id, client_id, limit, start, private_to)

    def get_activity(self, who: Principal, activity_id: str) -> Activity:
        activity: Activity = self._record_scope(who, activity_id, "Activity")[1]
        return activity

    def update_activity(self, who: Principal, activity_id: str, patch: ActivityUpdate) -> Activity:
        changes = patch.model_dump(exclude_unset=True)
        new_responsible = changes.get("responsible_id")
        if new_responsible and new_responsible != who.user_id and not who.sees_all_clients:
            raise ForbiddenError("Only a manager or an admin can give an activity to someone else.")

        def attempt() -> Write:
            users = [new_responsible] if new_responsible else []
            scope, before = self._record_scope(who, activity_id, "Activity", users)
            now = self.clock()
            update = dict(changes, updated_at=now)
            if new_responsible and new_responsible != before.responsible_id:
                update["responsible_name"] = self._person(
                    who, new_responsible, scope.users, "responsible_id"
                )
            after = Activity.model_validate(before.model_dump() | update)
            diff = field_changes(_comparable(before), _comparable(after))
            if not diff:
                return Write([], [], result=before)
            event = self._activity_event(who, after, "activity_updated", now, diff)
            summary = scope.summary.with_activity(before, after)
            earlier = self._reveal_to(who, before, after)
            return Write([after], [*earlier, event], summary, result=after)

        activity: Activity = self._commit_or_same(who, activity_id, attempt)
        return activity

    def _reveal_to(self, who: Principal, before: Activity, after: Activity) -> list[TimelineEvent]:
        """The activity's earlier timeline events, when who may see them has changed: they
        are rewritten with the same transaction so the timeline hides or shows them too."""
        private_for = after.responsible_id if after.private else None
        if private_for == (before.responsible_id if before.private else None):
            return []
        earlier = self.repo.events_about(who.tenant_id, after.client_id, after.id)
        return [e.model_copy(update={"private_for": private_for}) for e in earlier]

    def _commit_or_same(self, who: Principal, record_id: str, attempt: Callable[[], Write]) -> Any:
        """Like _commit, but an attempt that changes nothing writes nothing."""
        client_id, _ = split_child_id(record_id, "Record")

        def guarded() -> Write:
            write = attempt()
            if not write.events:
                raise _Unchanged(write.result)
            return write

        try:
            return self._commit(who, client_id, guarded)
        except _Unchanged as unchanged:
            return unchanged.result

    def delete_activity(self, who: Principal, activity_id: str) -> None:
        client_id, _ = split_child_id(activity_id, "Activity")

        def attempt() -> Write:
            scope, before = self._record_scope(who, activity_id, "Activity")
            now = self.clock()
            event = self._activity_event(who, before, "activity_deleted", now)
            summary = scope.summary.with_activity(before, None)
            return Write([], [event], summary, removed=[before])

        self._commit(who, client_id, attempt)

    def pending_activities(
        self, who: Principal, responsible: str, limit: int, start: dict[str, Any] | None
    ) -> tuple[int, list[Activity], dict[str, Any] | None]:
        """The bell: the scheduled activities someone is responsible for, soonest first."""
        user_id = who.user_id if responsible == "me" else responsible
        if user_id != who.user_id and not who.sees_all_clients:
            raise ForbiddenError("A sales user sees their own pending activities only.")
        return self.repo.pending_activities(who.tenant_id, user_id, limit, start)

    # --- notes -----------------------------------------------------------------------------

    def create_note(self, who: Principal, client_id: str, data: NoteCreate) -> Note:
        def attempt() -> Write:
            self._scope(who, client_id)
            now = self.clock()
            note = Note(
                id=child_id(client_id),
                client_id=client_id,
                text=data.text,
                author_id=who.user_id,
                author_name=who.name or None,
                created_at=now,
                updated_at=now,
            )
            event = self._event(who, client_id, "note_added", now, subject=_note_subject(note))
            return Write([note], [event], result=note)

        note: Note = self._commit(who, client_id, attempt)
        return note

    def list_notes(
        self, who: Principal, client_id: str, limit: int, start: dict[str, Any] | None
    ) -> Page:
        self._scope(who, client_id)
        return self.repo.list_notes(who.tenant_id, client_id, limit, start)

    def _own_note(self, who: Principal, note_id: str) -> Note:
        note: Note = self._record_scope(who, note_id, "Note")[1]
        if note.author_id != who.user_id and not who.sees_all_clients:
            raise ForbiddenError("Only its author, a manager or an admin can change a note.")
        return note

    def update_note(self, who: Principal, note_id: str, data: NoteCreate) -> Note:
        def attempt() -> Write:
            before = self._own_note(who, note_id)
            if before.text == data.text:
                return Write([], [], result=before)
            now = self.clock()
            after = before.model_copy(update={"text": data.text, "updated_at": now})
            changes = {"text": {"before": before.text, "after": after.text}}
            event = self._event(
                who,
                after.client_id,
                "note_edited",
                now,
                subject=_note_subject(after),
                changes=changes,
            )
            return Write([after], [event], result=after)

        note: Note = self._commit_or_same(who, note_id, attempt)
        return note

    def delete_note(self, who: Principal, note_id: str) -> None:
        client_id, _ = split_child_id(note_id, "Note")

        def attempt() -> Write:
            note = self._own_note(who, note_id)
            event = self._event(
                who, client_id, "note_deleted", self.clock(), subject=_note_subject(note)
            )
            return Write([], [event], removed=[note])

        self._commit(who, client_id, attempt)

    # --- tasks -----------------------------------------------------------------------------

    def _zone_of(self, user: User | None, tenant_zone: str | None) -> str:
        """The user's own time zone, else the organisation's (else the stage default)."""
        if user is not None and user.timezone:
            return user.timezone
        return tenant_zone or self.default_timezone

    def _task_event(
        self,
        who: Principal,
        task: Task,
        action: str,
        at: datetime,
        changes: dict[str, Any] | None = None,
    ) -> TimelineEvent:
        subject = task.model_dump(
            mode="json",
            include={"id", "description", "due_at", "due_date", "assignee_id", "status"},
        )
        return self._event(who, task.client_id, action, at, subject=subject, changes=changes or {})

    def create_task(self, who: Principal, client_id: str, data: TaskCreate) -> Task:
        assignee = data.assignee_id or who.user_id

        def attempt() -> Write:
            scope = self._scope(who, client_id, users=[assignee])
            now = self.clock()
            name = self._person(who, assignee, scope.users, "assignee_id")
            zone = self._zone_of(scope.users.get(assignee), scope.timezone)
            task = Task(
                id=child_id(client_id),
                client_id=client_id,
                assignee_id=assignee,
                assignee_name=name,
                status=TaskStatus.PENDING,
                created_at=now,
                updated_at=now,
                created_by=who.user_id,
                due_sort=due_instant(data.due_at, data.due_date, zone),
                **data.model_dump(exclude={"assignee_id"}),
            )
            puts, _, entries = plan_task(who.tenant_id, task, True, zone, [], now)
            task = _with_states(task, entries)
            event = self._task_event(who, task, "task_created", now)
            summary = scope.summary.with_open_tasks(+1)
            return Write([task], [event], summary, result=task, reminders=puts)

        task: Task = self._commit(who, client_id, attempt)
        return task

    def list_tasks(
        self, who: Principal, client_id: str, limit: int, start: dict[str, Any] | None
    ) -> Page:
        self._scope(who, client_id)
        tasks, last = self.repo.list_tasks(who.tenant_id, client_id, limit, start)
        return self._states_attached(who.tenant_id, tasks), last

    def _states_attached(self, tenant: str, tasks: list[Any]) -> list[Any]:
        """The tasks with how each of their reminders stands (one BatchGetItem)."""
        tasks = [t for t in tasks if isinstance(t, Task)]
        found = self.repo.task_reminders(tenant, [t for t in tasks if t.reminders])
        return [_with_states(t, found.get(t.id, [])) for t in tasks]

    def _assignee_zone(self, who: Principal, scope: ClientScope, assignee: str) -> str:
        user = scope.users.get(assignee)
        if user is None:
            users, zone = self.repo.people(who.tenant_id, [assignee])
            return self._zone_of(users.get(assignee), zone)
        return self._zone_of(user, scope.timezone)

    def _reminders_of(
        self, who: Principal, before: Task, after: Task, zone: str | None, now: datetime
    ) -> tuple[Task, Write]:
        """`after` with its reminders' states, and the entries its write puts and deletes.
        Without a zone (a status change), the one its reminders were computed in."""
        existing = self.repo.task_reminders(who.tenant_id, [before]).get(before.id, [])
        if zone is None:
            zone = next((e.zone for e in existing if e.zone), None)
        if zone is None and not after.reminders:
            zone = ""  # no reminder to place
        if zone is None:
            users, tenant_zone = self.repo.people(who.tenant_id, [after.assignee_id])
            zone = self._zone_of(users.get(after.assignee_id), tenant_zone)
        pending = after.status is TaskStatus.PENDING
        puts, deletes, entries = plan_task(who.tenant_id, after, pending, zone, existing, now)
        write = Write([], [], reminders=puts, reminders_removed=deletes)
        return _with_states(after, entries), write

    def update_task(self, who: Principal, task_id: str, patch: TaskUpdate) -> Task:
        changes = patch.model_dump(exclude_unset=True)
        if "due_at" in changes and changes["due_at"] is not None:
            changes["due_date"] = None
        if "due_date" in changes and changes["due_date"] is not None:
            changes["due_at"] = None
        new_assignee = changes.get("assignee_id")

        def attempt() -> Write:
            users = [new_assignee] if new_assignee else []
            scope, before = self._record_scope(who, task_id, "Task", users)
            assignee = new_assignee or before.assignee_id
            now = self.clock()
            update = dict(changes, updated_at=now)
            if new_assignee and new_assignee != before.assignee_id:
                update["assignee_name"] = self._person(who, assignee, scope.users, "assignee_id")
            merged = before.model_dump() | update
            if merged["due_at"] is None and merged["due_date"] is None:
                raise InvalidInputError.one("due_at", "a task needs due_at or due_date")
            zone = self._assignee_zone(who, scope, assignee)
            merged["due_sort"] = due_instant(merged["due_at"], merged["due_date"], zone)
            after = Task.model_validate(merged)
            diff = field_changes(_comparable(before), _comparable(after))
            if not diff:
                return Write([], [], result=self._states_attached(who.tenant_id, [before])[0])
            after, write = self._reminders_of(who, before, after, zone, now)
            write.records, write.result = [after], after
            write.events = [self._task_event(who, after, "task_updated", now, diff)]
            return write

        task: Task = self._commit_or_same(who, task_id, attempt)
        return task

    def complete_task(self, who: Principal, task_id: str) -> Task:
        return self._set_task_status(who, task_id, TaskStatus.COMPLETED)

    def reopen_task(self, who: Principal, task_id: str) -> Task:
        return self._set_task_status(who, task_id, TaskStatus.PENDING)

    def _set_task_status(self, who: Principal, task_id: str, status: TaskStatus) -> Task:
        client_id, _ = split_child_id(task_id, "Task")

        def attempt() -> Write:
            scope, before = self._record_scope(who, task_id, "Task")
            if before.status is status:
                word = "completed" if status is TaskStatus.COMPLETED else "open"
                raise StateConflictError(f"The task is {word} already.")
            now = self.clock()
            done = status is TaskStatus.COMPLETED
            after = before.model_copy(
                update={"status": status, "completed_at": now if done else None, "updated_at": now}
            )
            action = "task_completed" if done else "task_reopened"
            after, write = self._reminders_of(who, before, after, None, now)
            write.records, write.result = [after], after
            write.events = [self._task_event(who, after, action, now)]
            write.summary = scope.summary.with_open_tasks(-1 if done else +1)
            return write

        task: Task = self._commit(who, client_id, attempt)
        return task

    def task_panel(
        self,
        who: Principal,
        bucket: Bucket,
        assignee: str,
        limit: int,
        start: dict[str, Any] | None,
    ) -> Page:
        """Pending tasks of a bucket (today, overdue, this week, next week), computed in the
        assignee's time zone (the organisation's for `all`): one Query."""
        user_id = None if assignee == "all" else who.user_id if assignee == "me" else assignee
        if user_id != who.user_id and not who.sees_all_clients:
            raise ForbiddenError("A sales user sees their own tasks only.")
        users, tenant_zone = self.repo.people(who.tenant_id, [user_id] if user_id else [])
        zone = self._zone_of(users.get(user_id or ""), tenant_zone)
        due_from, due_before = bucket_range(bucket, self.clock(), zone)
        tasks, last = self.repo.open_tasks(
            who.tenant_id, user_id, due_from, due_before, limit, start
        )
        return self._states_attached(who.tenant_id, tasks), last

    # --- tags ------------------------------------------------------------------------------

    def list_tags(self, who: Principal) -> list[Tag]:
        return sorted(self.repo.list_tags(who.tenant_id), key=lambda t: t.name.casefold())

    def _catalogue_editor(self, who: Principal) -> None:
        if not who.sees_all_clients:
            raise ForbiddenError("Only a manager or an admin can change the tag catalogue.")

    def _tag(self, who: Principal, tag_id: str) -> Tag:
        tag = self.repo.get_tags(who.tenant_id, [tag_id]).get(tag_id)
        if tag is None:
            raise NotFoundError("Tag", tag_id)
        return tag

    def create_tag(self, who: Principal, data: TagCreate) -> Tag:
        self._catalogue_editor(who)
        try:
            return self.repo.create_tag(who.tenant_id, Tag(id=new_id(), **data.model_dump()))
        except TagNameTakenError as exc:
            raise _tag_name_taken(data.name) from exc

    def update_tag(self, who: Principal, tag_id: str, patch: TagUpdate) -> Tag:
        self._catalogue_editor(who)
        before = self._tag(who, tag_id)
        after = before.model_copy(update=patch.model_dump(exclude_unset=True, exclude_none=True))
        if after == before:
            return before
        try:
            return self.repo.update_tag(who.tenant_id, before, after)
        except TagNameTakenError as exc:
            raise _tag_name_taken(after.name) from exc

    def delete_tag(self, who: Principal, tag_id: str) -> None:
        self._catalogue_editor(who)
        self.repo.delete_tag(who.tenant_id, self._tag(who, tag_id))

    def set_client_tags(self, who: Principal, client_id: str, data: ClientTags) -> list[TagRef]:
        """The client's tags become exactly `tag_ids`."""
        client = self._scope(who, client_id).client
        assert client is not None  # _scope answers 404 otherwise
        wanted = list(dict.fromkeys(data.tag_ids))
        found = self.repo.get_tags(who.tenant_id, wanted)
        unknown = [t for t in wanted if t not in found]
        if unknown:
            raise InvalidInputError.one("tag_ids", f"no such tags: {', '.join(unknown)}")
        current = {t.id: t for t in self.repo.get_client_tags(who.tenant_id, client_id)}
        add = [found[t] for t in wanted if t not in current]
        drop = [t for tid, t in current.items() if tid not in found]
        if add or drop:
            before = sorted(t.name for t in current.values())
            after = sorted(found[t].name for t in wanted)
            event = self._event(
                who,
                client_id,
                "tags_changed",
                self.clock(),
                changes={"tags": {"before": before, "after": after}},
            )
            self.repo.set_client_tags(who.tenant_id, client_id, add, drop, event, client.created_at)
        return [
            TagRef(id=t.id, name=t.name, color=t.color)
            for t in sorted(found.values(), key=lambda t: t.name.casefold())
        ]

    def add_client_tag(self, who: Principal, client_id: str, tag_id: str) -> list[TagRef]:
        self._scope(who, client_id)
        self._tag(who, tag_id)
        current = [t.id for t in self.repo.get_client_tags(who.tenant_id, client_id)]
        return self.set_client_tags(who, client_id, ClientTags(tag_ids=[*current, tag_id]))

    def remove_client_tag(self, who: Principal, client_id: str, tag_id: str) -> list[TagRef]:
        self._scope(who, client_id)
        current = [t.id for t in self.repo.get_client_tags(who.tenant_id, client_id)]
        if tag_id not in current:
            raise NotFoundError("Tag on this client", tag_id)
        remaining = [t for t in current if t != tag_id]
        return self.set_client_tags(who, client_id, ClientTags(tag_ids=remaining))


class _Unchanged(Exception):
    def __init__(self, result: Any) -> None:
        super().__init__("unchanged")
        self.result = result


@dataclass(frozen=True)
class _FollowUpWords:
    title: str
    private: str
    types: dict[str, str]


_FOLLOW_UP = {
    "es": _FollowUpWords(
        "Seguimiento: {type} del {date}",
        "Seguimiento (actividad privada)",
        {
            "call": "llamada",
            "email": "email",
            "meeting": "reunión",
            "whatsapp": "WhatsApp",
            "visit": "visita",
            "letter": "carta",
        },
    ),
    "en": _FollowUpWords(
        "Follow up: {type} of {date}",
        "Follow up (private activity)",
        {
            "call": "call",
            "email": "email",
            "meeting": "meeting",
            "whatsapp": "WhatsApp",
            "visit": "visit",
            "letter": "letter",
        },
    ),
}


def _follow_up_description(activity: Activity, language: str) -> str:
    """The follow-up task's title, in the organisation's language. Tasks have no privacy:
    the follow-up of a private activity does not describe it."""
    words = _FOLLOW_UP.get(language, _FOLLOW_UP["en"])
    if activity.private:
        return words.private
    kind = words.types[activity.type.value]
    return words.title.format(type=kind, date=activity.at.date().isoformat())


def _visible_activity(who: Principal, activity: Activity) -> bool:
    return not activity.private or who.sees_private_of(activity.responsible_id)


def _comparable(record: Activity | Task) -> dict[str, Any]:
    return record.model_dump(
        mode="json",
        exclude={"updated_at", "responsible_name", "assignee_name", "reminders_state"},
    )


def _with_states(task: Task, entries: list[ReminderEntry]) -> Task:
    states = [status_of(e) for e in entries if e.offset in task.reminders]
    return task.model_copy(update={"reminders_state": states})


def _note_subject(note: Note) -> dict[str, Any]:
    return {"id": note.id, "text": note.text[:280]}


def _tag_name_taken(name: str) -> InvalidInputError:
    return InvalidInputError.one("name", f"a tag named {name!r} exists already")
