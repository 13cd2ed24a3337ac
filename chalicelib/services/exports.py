"""Exports of clients, activities and tasks to Excel or CSV, within what the caller may see.

`start` records the job; a small export (by an upper-bound estimate of its rows) is written
within the request, a larger one is queued and written by the export worker (`run_queued`).
The file goes to S3 and is handed out as a presigned URL, valid 15 minutes, on each read of a
finished job. The job is the export's audit record: who exported what and how many rows.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.activities import Activity
from chalicelib.domain.clients import Client
from chalicelib.domain.errors import IdempotencyKeyReusedError, NotFoundError
from chalicelib.domain.exports import (
    COLUMNS,
    TITLES,
    Column,
    ExportCreate,
    ExportEntity,
    ExportJob,
    ExportState,
    RowContext,
    activity_row,
    client_row,
    custom_column,
    file_name,
    parse_filters,
    task_row,
)
from chalicelib.domain.ids import new_id
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.search import ClientQuery
from chalicelib.domain.tasks import Task
from chalicelib.domain.tenants import TenantSettings
from chalicelib.services.clients import ClientService
from chalicelib.services.ports import (
    ExportFiles,
    ExportRepository,
    ExportRow,
    StaleWriteError,
    TenantRepository,
)

log = logging.getLogger(__name__)

INLINE_MAX_ROWS = 5_000  # at most this many rows (estimated) are written within the request
URL_SECONDS = 15 * 60
CLIENT_PAGE = 200
MAX_RECEIVES = 3  # the export queue's maxReceiveCount: the last delivery marks a failure

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def object_key(tenant: str, job: ExportJob) -> str:
    return f"exports/{tenant}/{job.id}.{job.format.value}"


class ExportService:
    def __init__(
        self,
        repo: ExportRepository,
        files: ExportFiles,
        tenants: TenantRepository,
        clients: ClientService,
        clock: Clock = utcnow,
        inline_max_rows: int = INLINE_MAX_ROWS,
    ) -> None:
        self.repo, self.files, self.tenants, self.clients = repo, files, tenants, clients
        self.clock = clock
        self.inline_max_rows = inline_max_rows

    # --- asking ------------------------------------------------------------------------------

    def start(
        self, who: Principal, body: ExportCreate, idempotency_key: str | None = None
    ) -> ExportJob:
        """Record the export, then write it now or queue it. With an Idempotency-Key a retry
        answers the export the first request made (a different body: 422)."""
        filters = parse_filters(body.entity, body.filters)
        request_hash = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
        job_id = new_id()
        if idempotency_key:
            seed = f"{who.user_id}\n{idempotency_key}".encode()
            job_id = hashlib.sha256(seed).hexdigest()[:32]
            earlier = self.repo.get_job(who.tenant_id, job_id)
            if earlier is not None:
                return self._replay(who, earlier, request_hash)
        job = ExportJob(
            id=job_id,
            entity=body.entity,
            format=body.format,
            filters=filters.model_dump(mode="json", by_alias=True, exclude_none=True),
            state=ExportState.QUEUED,
            created_at=self.clock(),
            created_by=who.user_id,
            created_by_name=who.name or None,
            role=who.role.value,
            groups=[] if who.sees_all_clients else list(who.groups),  # as when asked
            request_hash=request_hash,
        )
        large = self._estimate(who, job.entity, filters) > self.inline_max_rows
        if not self.repo.create_job(who.tenant_id, job):  # the same key, at the same time
            earlier = self.repo.get_job(who.tenant_id, job_id)
            if earlier is None:
                raise StaleWriteError("the export was recorded and removed meanwhile")
            return self._replay(who, earlier, request_hash)
        if large:
            self.files.enqueue({"tenant": who.tenant_id, "job": job.id})
            self._audit(who.tenant_id, job, "queued")
            return job
        try:
            done = self._run(who.tenant_id, job)
        except Exception as exc:
            self._fail(who.tenant_id, job, exc)  # recorded, then a 500: a bug or an outage
            raise
        return self._with_url(who.tenant_id, done)

    def _replay(self, who: Principal, earlier: ExportJob, request_hash: str) -> ExportJob:
        if earlier.request_hash != request_hash:
            raise IdempotencyKeyReusedError(
                "This Idempotency-Key was already used with a different body; "
                "use a new key for a new export."
            )
        return self._with_url(who.tenant_id, earlier)

    def _estimate(self, who: Principal, entity: ExportEntity, filters: Any) -> int:
        """An upper bound of the rows: the tenant's client counter, or a count of the
        tenant's activities or tasks in the period that stops past the inline limit."""
        if entity is ExportEntity.CLIENTS:
            return self.repo.client_count(who.tenant_id)
        start, end = filters.bounds(self.tenants.get_settings(who.tenant_id).timezone)
        limit = self.inline_max_rows + 1
        return self.repo.count_records(who.tenant_id, entity.value, start, end, limit)

    # --- reading -------------------------------------------------------------------------------

    def get(self, who: Principal, job_id: str) -> ExportJob:
        """One's own export (an admin: any of the organisation's), with a fresh download
        URL once it is done."""
        job = self.repo.get_job(who.tenant_id, job_id)
        if job is None or not (who.is_admin or job.created_by == who.user_id):
            raise NotFoundError("Export", job_id)
        return self._with_url(who.tenant_id, job)

    def list_jobs(
        self, who: Principal, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[ExportJob], dict[str, Any] | None]:
        """Newest first: an admin sees every export of the organisation, others their own."""
        user = None if who.is_admin else who.user_id
        return self.repo.list_jobs(who.tenant_id, user, limit, start)

    def _with_url(self, tenant: str, job: ExportJob) -> ExportJob:
        if job.state is not ExportState.DONE or not job.file_name:
            return job
        url = self.files.download_url(object_key(tenant, job), job.file_name, URL_SECONDS)
        expires = self.clock() + timedelta(seconds=URL_SECONDS)
        return job.model_copy(update={"download_url": url, "download_expires_at": expires})

    # --- running -------------------------------------------------------------------------------

    def run_queued(self, tenant: str, job_id: str, last_attempt: bool) -> None:
        """The export worker: write a queued export. A redelivered message of a finished job
        does nothing; a failure is retried by the queue, and recorded on the last attempt."""
        job = self.repo.get_job(tenant, job_id)
        if job is None or job.state in (ExportState.DONE, ExportState.FAILED):
            return
        try:
            self._run(tenant, job)
        except Exception as exc:
            if last_attempt:
                self._fail(tenant, job, exc)
                return
            self.repo.put_job(tenant, job.model_copy(update={"error": _reason(exc)}))
            raise

    def _fail(self, tenant: str, job: ExportJob, exc: Exception) -> None:
        failed = job.model_copy(
            update={"state": ExportState.FAILED, "finished_at": self.clock(), "error": _reason(exc)}
        )
        self.repo.put_job(tenant, failed)
        self._audit(tenant, failed, "failed")
        log.error("export %s failed", job.id, exc_info=exc)

    def _run(self, tenant: str, job: ExportJob) -> ExportJob:
        who = Principal(
            tenant_id=tenant,
            user_id=job.created_by,
            role=Role(job.role),
            name=job.created_by_name or "",
            assigned_groups=tuple(job.groups),
        )
        self.repo.put_job(tenant, job.model_copy(update={"state": ExportState.RUNNING}))
        settings = self.tenants.get_settings(tenant)
        language, zone = settings.language.value, settings.timezone
        filters = parse_filters(job.entity, job.filters)
        ctx, columns = self._layout(settings, job.entity)
        rows = self._rows(who, job.entity, filters, ctx)
        title = TITLES[job.entity][language].capitalize()
        path, count = self.files.write(job.format.value, title, columns, rows, language)
        self.files.upload(path, object_key(tenant, job), job.format.value)
        now = self.clock()
        name = file_name(job.entity, job.format, language, now.astimezone(ZoneInfo(zone)).date())
        done = job.model_copy(
            update={
                "state": ExportState.DONE,
                "rows": count,
                "finished_at": now,
                "file_name": name,
                "error": None,
            }
        )
        self.repo.put_job(tenant, done)
        self._audit(tenant, done, "done")
        return done

    @staticmethod
    def _layout(
        settings: TenantSettings, entity: ExportEntity
    ) -> tuple[RowContext, tuple[Column, ...]]:
        """How rows read in this organisation: its language, time zone, stage and source
        names, and (for clients) a column per custom field it defines, headed by its label."""
        language = settings.language.value
        ctx = RowContext(
            language=language,
            zone=ZoneInfo(settings.timezone),
            stages={s.key: s.label for s in settings.stages},
            sources={s.key: s.name_es if language == "es" else s.name_en for s in settings.sources},
            date_fields=frozenset(f.key for f in settings.custom_fields if f.type == "date"),
        )
        columns = COLUMNS[entity]
        if entity is ExportEntity.CLIENTS:
            defined = [custom_column(f.key, f.label, f.type.value) for f in settings.custom_fields]
            columns = columns + tuple(defined)
        return ctx, columns

    @staticmethod
    def _audit(tenant: str, job: ExportJob, what: str) -> None:
        """One structured log line per export step, beside the job record itself."""
        record = {
            "event": f"export_{what}",
            "tenant": tenant,
            "job": job.id,
            "user": job.created_by,
            "entity": job.entity.value,
            "format": job.format.value,
            "filters": job.filters,
            "rows": job.rows,
        }
        log.info(json.dumps(record, sort_keys=True))

    # --- rows ----------------------------------------------------------------------------------

    def _rows(
        self, who: Principal, entity: ExportEntity, filters: Any, ctx: RowContext
    ) -> Iterator[ExportRow]:
        if entity is ExportEntity.CLIENTS:
            return self._client_rows(who, filters, ctx)
        start, end = filters.bounds(ctx.zone.key)
        if entity is ExportEntity.ACTIVITIES:
            return self._record_rows(who, start, end, ctx, activities=True)
        return self._record_rows(who, start, end, ctx, activities=False)

    def _client_rows(
        self, who: Principal, query: ClientQuery, ctx: RowContext
    ) -> Iterator[ExportRow]:
        tags = self.repo.client_tags(who.tenant_id)
        names = {cid: ", ".join(name for _, name in found) for cid, found in tags.items()}
        ctx = ctx.with_(tags=names.get)
        for page in self.client_pages(who, query):
            for client in page:
                yield client_row(client, ctx)

    def client_pages(self, who: Principal, query: ClientQuery) -> Iterator[list[Client]]:
        """The clients `who` may see that match `query`, a page at a time: the search of
        `GET /clients`, with its visibility (own clients and assigned groups for sales)."""
        start: dict[str, Any] | None = None
        while True:
            page, start = self.clients.search(who, query, CLIENT_PAGE, start)
            yield page
            if not start:
                return

    def _record_rows(
        self,
        who: Principal,
        start: datetime | None,
        end: datetime | None,
        ctx: RowContext,
        *,
        activities: bool,
    ) -> Iterator[ExportRow]:
        records: Iterable[list[Activity] | list[Task]]
        if who.sees_all_clients:
            records = self._tenant_records(who.tenant_id, start, end, activities)
            briefs: dict[str, tuple[int | None, str | None]] = {}
            for page in records:
                missing = [r.client_id for r in page if r.client_id not in briefs]
                if missing:
                    if len(briefs) > 50_000:
                        briefs.clear()
                    briefs.update(self.repo.client_briefs(who.tenant_id, missing))
                yield from self._record_page(page, ctx, briefs)
            return
        # Sales: the records of each client they may see.
        for clients in self.client_pages(who, ClientQuery()):
            for client in clients:
                own: dict[str, tuple[int | None, str | None]] = {
                    client.id: (client.number, client.name)
                }
                if activities:
                    found: list[Any] = list(
                        self.repo.client_activities(
                            who.tenant_id, client.id, start, end, who.user_id
                        )
                    )
                else:
                    found = list(self.repo.client_tasks(who.tenant_id, client.id, start, end))
                yield from self._record_page(found, ctx, own)

    def _tenant_records(
        self, tenant: str, start: datetime | None, end: datetime | None, activities: bool
    ) -> Iterable[list[Activity] | list[Task]]:
        if activities:
            return self.repo.activity_pages(tenant, start, end)
        return self.repo.task_pages(tenant, start, end)

    @staticmethod
    def _record_page(
        page: list[Any], ctx: RowContext, briefs: dict[str, tuple[int | None, str | None]]
    ) -> Iterator[ExportRow]:
        """The rows of some records; a record whose client is gone (the rest of a delete
        that was cut off, see docs/data-model.md) is left out, as every other read does."""
        ctx = ctx.with_(client=lambda cid: briefs.get(cid, (None, None)))
        for record in page:
            if record.client_id not in briefs:
                continue
            if isinstance(record, Activity):
                yield activity_row(record, ctx), {}
            else:
                yield task_row(record, ctx), {}
