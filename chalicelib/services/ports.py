"""What the services need from storage, and the refusals storage can answer with.

The DynamoDB implementation is `adapters/clients_repo.py`; unit tests use an in-memory fake.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.activities import Activity, Note
from chalicelib.domain.clients import Client
from chalicelib.domain.exports import Column, ExportJob, Value
from chalicelib.domain.profile import Summary
from chalicelib.domain.reminders import ReminderEntry
from chalicelib.domain.search import Listing
from chalicelib.domain.stats import CounterDeltas
from chalicelib.domain.tags import Tag
from chalicelib.domain.tasks import Task
from chalicelib.domain.tenants import TenantSettings, User
from chalicelib.domain.timeline import TimelineEvent
from chalicelib.domain.work_orders import Recurrence, WorkOrder

if TYPE_CHECKING:  # the import's models load with its code paths only
    from chalicelib.domain.import_jobs import ImportJob, RowResult


@dataclass(frozen=True)
class Guard:
    """A value that must be unique in the tenant (`field` is `email` or `phone`)."""

    field: str
    value: str


@dataclass(frozen=True)
class IdempotencyRecord:
    user_id: str
    key: str
    request_hash: str
    client_id: str
    # A client an import created without counting it: the statistics its chunk adds.
    deferred: CounterDeltas | None = None


@dataclass
class WriteContext:
    settings: TenantSettings
    client_seq: int
    users: dict[str, User] = field(default_factory=dict)


@dataclass
class ClientScope:
    """A client with what a write around it needs: its summary, one record, some users."""

    client: Client | None = None
    summary: Summary = field(default_factory=Summary)
    child: Activity | Note | Task | None = None
    users: dict[str, User] = field(default_factory=dict)
    timezone: str | None = None  # the tenant's, when it has saved settings
    language: str | None = None  # likewise


@dataclass
class NewClient:
    """One client of a multi-client create: the client, its event, guards and idempotency."""

    client: Client
    event: TimelineEvent
    guards: list[Guard]
    idempotency: IdempotencyRecord


class TagNameTakenError(Exception):
    """Another tag of the tenant has this name (case-insensitive)."""


class GuardTakenError(Exception):
    """The transaction was refused because these unique values are held already."""

    def __init__(self, guards: list[Guard]) -> None:
        super().__init__(", ".join(g.field for g in guards))
        self.guards = guards


class IdempotencyKeyTakenError(Exception):
    """A create with this idempotency key was already committed."""


class StaleWriteError(Exception):
    """The version (or the client-number sequence) moved since it was read: read again."""


@dataclass(frozen=True)
class RowMark:
    """An import row's record, written in the same transaction as the change it made, so a
    re-run of the row finds it instead of changing the client again."""

    job_id: str
    row: int
    changes: dict[str, Any]
    client_id: str


class RowMarkTakenError(Exception):
    """This import row was applied already (its mark exists)."""


class ClientRepository(Protocol):
    def load_context(self, tenant: str, user_ids: list[str]) -> WriteContext: ...

    def get_client(self, tenant: str, client_id: str) -> Client | None: ...

    def get_client_with_context(
        self, tenant: str, client_id: str, user_ids: list[str]
    ) -> tuple[Client | None, WriteContext]: ...

    def create_client(
        self,
        tenant: str,
        client: Client,
        event: TimelineEvent,
        guards: list[Guard],
        counters: CounterDeltas,
        idempotency: IdempotencyRecord | None,
    ) -> None: ...

    def create_clients(
        self, tenant: str, new: list[NewClient], counters: CounterDeltas, seq_before: int
    ) -> None: ...

    def update_client(
        self,
        tenant: str,
        before: Client,
        after: Client,
        event: TimelineEvent,
        add_guards: list[Guard],
        drop_guards: list[Guard],
        counters: CounterDeltas,
        mark: RowMark | None = None,
    ) -> None: ...

    def delete_client(
        self, tenant: str, client: Client, guards: list[Guard], counters: CounterDeltas
    ) -> None: ...

    def search_clients(
        self, listing: Listing, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Client], dict[str, Any] | None]: ...

    def get_counters(self, tenant: str) -> dict[str, int]: ...

    def get_slice_counters(
        self, tenant: str
    ) -> list[tuple[tuple[str, str | None], dict[str, int]]]: ...

    def group_exists(self, tenant: str, group_id: str) -> bool: ...

    def guard_holders(
        self, tenant: str, guards: list[Guard]
    ) -> list[tuple[Guard, Client | None]]: ...

    def get_idempotency(self, tenant: str, user_id: str, key: str) -> IdempotencyRecord | None: ...

    def get_profile(
        self, tenant: str, client_id: str
    ) -> tuple[Client | None, Summary, list[Tag]]: ...

    def list_events(
        self,
        tenant: str,
        client_id: str,
        limit: int,
        start: dict[str, object] | None,
        private_visible_to: str | None = None,
    ) -> tuple[list[TimelineEvent], dict[str, object] | None]: ...


class CounterNotZeroError(Exception):
    """A settings change that needs a statistics counter at zero (no client in a stage
    about to be deleted) found it was not."""

    def __init__(self, counter: str, count: int) -> None:
        super().__init__(f"{counter} = {count}")
        self.counter = counter
        self.count = count


class TenantRepository(Protocol):
    def get_settings(self, tenant: str) -> TenantSettings: ...

    def save_settings(
        self, settings: TenantSettings, unused: tuple[str, ...] = ()
    ) -> TenantSettings: ...

    def list_users(self, tenant: str) -> list[User]: ...

    def get_user(self, tenant: str, user_id: str) -> User | None: ...

    def put_user(self, tenant: str, user: User) -> User: ...

    def ping(self) -> None: ...


Page = tuple[list[Any], dict[str, Any] | None]


class RelationsRepository(Protocol):
    def load_scope(
        self, tenant: str, client_id: str, child: tuple[str, str] | None, user_ids: list[str]
    ) -> ClientScope: ...

    def list_activities(
        self,
        tenant: str,
        client_id: str,
        limit: int,
        start: dict[str, Any] | None,
        private_visible_to: str | None,
    ) -> Page: ...

    def pending_activities(
        self, tenant: str, responsible_id: str, limit: int, start: dict[str, Any] | None
    ) -> tuple[int, list[Activity], dict[str, Any] | None]: ...

    def list_notes(
        self, tenant: str, client_id: str, limit: int, start: dict[str, Any] | None
    ) -> Page: ...

    def list_tasks(
        self, tenant: str, client_id: str, limit: int, start: dict[str, Any] | None
    ) -> Page: ...

    def open_tasks(
        self,
        tenant: str,
        assignee_id: str | None,
        due_from: datetime | None,
        due_before: datetime,
        limit: int,
        start: dict[str, Any] | None,
    ) -> Page: ...

    def save(
        self,
        tenant: str,
        client_id: str,
        records: list[Activity | Note | Task],
        events: list[TimelineEvent],
        summary: Summary | None = None,
        removed: list[Activity | Note | Task] | None = None,
        reminders: list[ReminderEntry] | None = None,
        reminders_removed: list[ReminderEntry] | None = None,
    ) -> None: ...

    def task_reminders(self, tenant: str, tasks: list[Task]) -> dict[str, list[ReminderEntry]]: ...

    def events_about(self, tenant: str, client_id: str, subject_id: str) -> list[TimelineEvent]: ...

    def list_tags(self, tenant: str) -> list[Tag]: ...

    def get_tags(self, tenant: str, tag_ids: list[str]) -> dict[str, Tag]: ...

    def create_tag(self, tenant: str, tag: Tag) -> Tag: ...

    def update_tag(self, tenant: str, before: Tag, after: Tag) -> Tag: ...

    def delete_tag(self, tenant: str, tag: Tag) -> list[str]: ...

    def set_client_tags(
        self,
        tenant: str,
        client_id: str,
        add: list[Tag],
        drop: list[Tag],
        event: TimelineEvent,
        client_created: datetime,
    ) -> None: ...

    def get_client_tags(self, tenant: str, client_id: str) -> list[Tag]: ...

    def people(self, tenant: str, user_ids: list[str]) -> tuple[dict[str, User], str | None]: ...


class ImportRepository(Protocol):
    def create_job(self, job: ImportJob) -> None: ...

    def get_job(self, tenant: str, job_id: str) -> ImportJob | None: ...

    def save_job(self, job: ImportJob, expected_chunks: int) -> None: ...

    def save_chunk(
        self,
        job: ImportJob,
        index: int,
        first_row: int,
        results: list[RowResult],
        statistics: CounterDeltas | None = None,
    ) -> None: ...

    def list_jobs(
        self, tenant: str, user_id: str | None, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[ImportJob], dict[str, Any] | None]: ...

    def chunks(
        self, tenant: str, job_id: str, start: int = 0
    ) -> Iterator[list[dict[str, Any]]]: ...

    def marks(self, tenant: str, job_id: str, rows: list[int]) -> dict[int, RowMark]: ...

    def created_rows(
        self, tenant: str, user_id: str, keys_by_row: dict[int, str]
    ) -> dict[int, IdempotencyRecord]: ...

    def holders(self, tenant: str, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], str]: ...


class ImportFiles(Protocol):
    def upload_form(self, key: str, max_bytes: int) -> tuple[str, dict[str, str]]: ...

    def head(self, key: str) -> tuple[int, str] | None: ...

    def download(self, key: str, path: str, etag: str) -> None: ...

    def upload_result(self, key: str, path: str) -> None: ...

    def download_url(self, key: str) -> str: ...

    def enqueue(self, message: dict[str, Any]) -> None: ...


# --- exports ---------------------------------------------------------------------------------


class ExportRepository(Protocol):
    """Export jobs and the tenant-wide reads an export needs (adapters/exports_repo.py)."""

    def create_job(self, tenant: str, job: ExportJob) -> bool: ...

    def put_job(self, tenant: str, job: ExportJob) -> None: ...

    def get_job(self, tenant: str, job_id: str) -> ExportJob | None: ...

    def list_jobs(
        self, tenant: str, user_id: str | None, limit: int, start: dict[str, Any] | None
    ) -> Page: ...

    def client_count(self, tenant: str) -> int: ...

    def count_records(
        self, tenant: str, entity: str, start: datetime | None, end: datetime | None, limit: int
    ) -> int: ...

    def activity_pages(
        self, tenant: str, start: datetime | None, end: datetime | None
    ) -> Iterator[list[Activity]]: ...

    def task_pages(
        self, tenant: str, start: datetime | None, end: datetime | None
    ) -> Iterator[list[Task]]: ...

    def client_activities(
        self,
        tenant: str,
        client_id: str,
        start: datetime | None,
        end: datetime | None,
        private_visible_to: str | None,
    ) -> Iterator[Activity]: ...

    def client_tasks(
        self, tenant: str, client_id: str, start: datetime | None, end: datetime | None
    ) -> Iterator[Task]: ...

    def client_briefs(
        self, tenant: str, client_ids: list[str]
    ) -> dict[str, tuple[int | None, str | None]]: ...

    def client_tags(self, tenant: str) -> dict[str, list[tuple[str, str]]]: ...


ExportRow = tuple[list[Value], dict[str, Value]]


class ExportFiles(Protocol):
    """Writing an export's file, storing it and handing it out (adapters/export_files.py)."""

    def write(
        self,
        fmt: str,
        title: str,
        columns: tuple[Column, ...],
        rows: Iterable[ExportRow],
        language: str,
    ) -> tuple[str, int]: ...

    def upload(self, path: str, key: str, fmt: str) -> None: ...

    def download_url(self, key: str, file_name: str, expires_in: int) -> str: ...

    def enqueue(self, message: dict[str, str]) -> None: ...


class WorkOrderRepository(Protocol):
    """Work orders and recurrence rules (implemented in adapters/work_orders_repo.py)."""

    def context(
        self, tenant: str, user_ids: list[str]
    ) -> tuple[dict[str, User], TenantSettings]: ...

    def get_order(self, tenant: str, order_id: str) -> WorkOrder | None: ...

    def get_rule(self, tenant: str, rule_id: str) -> Recurrence | None: ...

    def list_client_orders(
        self, tenant: str, client_id: str, limit: int, start: dict[str, Any] | None
    ) -> Page: ...

    def list_orders(
        self,
        tenant: str,
        technician_id: str | None,
        start_at: datetime,
        end_at: datetime,
        status: str | None,
        limit: int,
        start: dict[str, Any] | None,
    ) -> Page: ...

    def for_technician(
        self, tenant: str, technician_id: str, start_at: datetime, end_at: datetime
    ) -> list[WorkOrder]: ...

    def list_rules(
        self, tenant: str, client_id: str, limit: int, start: dict[str, Any] | None
    ) -> Page: ...

    def rule_orders(self, tenant: str, rule: Recurrence, from_day: date) -> list[WorkOrder]: ...

    def due_rules(self, now: datetime) -> Iterator[tuple[str, Recurrence]]: ...

    def create_order(self, tenant: str, order: WorkOrder, event: TimelineEvent) -> None: ...

    def update_order(
        self,
        tenant: str,
        before: WorkOrder,
        after: WorkOrder,
        event: TimelineEvent,
        visited: tuple[Client, datetime] | None = None,
    ) -> None: ...

    def create_rule(self, tenant: str, rule: Recurrence, event: TimelineEvent) -> None: ...

    def save_rule(
        self, tenant: str, before: Recurrence, after: Recurrence, event: TimelineEvent | None
    ) -> None: ...

    def delete_rule(
        self, tenant: str, rule: Recurrence, orders: list[WorkOrder], event: TimelineEvent
    ) -> set[str]: ...

    def delete_orders(self, tenant: str, orders: list[WorkOrder]) -> set[str]: ...

    def materialize(
        self,
        tenant: str,
        before: Recurrence,
        after: Recurrence,
        creates: list[WorkOrder],
        rewrites: list[tuple[WorkOrder, WorkOrder]],
        deletes: list[WorkOrder],
    ) -> set[str]: ...
