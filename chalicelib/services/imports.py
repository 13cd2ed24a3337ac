"""Bulk import of clients from an uploaded spreadsheet: start, run (checkpointed), report, undo.

Exactly once, across redeliveries, time-outs and crashes:
- The rows are processed in chunks, in file order. A chunk's outcomes and the job's advanced
  checkpoint are written in ONE transaction, conditional on the checkpoint read; a run starts
  at the checkpoint, so a recorded chunk is never processed again.
- A row of a chunk that was cut off may have been written already. Creates go through
  `ClientService.create` with a per-row idempotency key (`import.<job>.<row>`): the re-run
  gets the first result back. Updates commit with a per-row mark (under
  `attribute_not_exists`) holding the change: the re-run finds the mark and reports it.
  Unchanged and failed rows wrote nothing. So the re-run of a chunk reports what the first
  run did, and the end state and the counts equal one clean run.
- Which rows of the file are the same client is decided by a pass over the whole file
  before any write, from the file alone, so every run decides it the same way.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

from chalicelib.domain.clients import ClientCreate, ClientUpdate
from chalicelib.domain.errors import (
    DomainError,
    DuplicateError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    StateConflictError,
)
from chalicelib.domain.ids import new_id
from chalicelib.domain.import_jobs import (
    Cell,
    Columns,
    ImportJob,
    ParsedRow,
    RowProblem,
    RowResult,
    as_update,
    match_headers,
    missing_required,
    read_row,
    validate_row,
)
from chalicelib.domain.imports import (
    FINISHED,
    UNDO_DAYS,
    Counts,
    ImportCreate,
    ImportFileError,
    ImportPublic,
    ImportState,
    Outcome,
)
from chalicelib.domain.principal import Principal, Role
from chalicelib.domain.stats import CounterDeltas, counter_deltas
from chalicelib.domain.tenants import TenantSettings
from chalicelib.services.clients import ClientService, utcnow
from chalicelib.services.ports import (
    IdempotencyRecord,
    ImportFiles,
    ImportRepository,
    RowMarkTakenError,
    StaleWriteError,
    TenantRepository,
)

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
Remaining = Callable[[], int]  # milliseconds left in this invocation
CHUNK_ROWS = 250
CHUNK_BYTES = 250_000  # keeps a chunk's outcomes well under DynamoDB's 400 KB item
MAX_WARNINGS = 50
CREATE_GROUP = 25  # clients offered per transaction (as many as fit in its 100 items go)
MAX_DEFERRED_OWNERS = 50  # a chunk's statistics update one slice per owner, in its transaction
PLAN_BATCH_ROWS = 500  # rows a worker validates at a time in the pass over the whole file
PARALLEL_MIN_ROWS = 5_000  # below this, starting worker processes costs more than it saves


@dataclass
class Pending:
    """A row that creates a client: created with others of its chunk in one transaction."""

    row: int
    model: ClientCreate
    warnings: list[str]
    alone: bool = False  # its email or phone is taken: it fails, on its own


@dataclass
class FilePlan:
    """What the pass over the whole file found: rows to import and in-file duplicates."""

    columns: Columns
    total: int
    duplicates: dict[int, str]  # sheet row → why it is the same client as an earlier row
    formula_rows: set[int]  # sheet rows with a formula cell that has no saved value

    def problems_of(self, row: int) -> list[RowProblem]:
        found = []
        if row in self.formula_rows:
            message = "a formula without a saved value (open and save the file in Excel)"
            found.append(RowProblem(field="row", message=message))
        if row in self.duplicates:
            found.append(RowProblem(field="row", message=self.duplicates[row]))
        return found


def _digest(field: str, value: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{field}\0{value}".encode(), digest_size=8).digest())


def _empty(cells: list[Cell]) -> bool:
    return all(c is None or c == "" for c in cells)


Identities = list[tuple[int, list[tuple[str, int]]]]  # (sheet row, [(field, value digest)])


@dataclass(frozen=True)
class IdentityTask:
    """Validates a batch of rows as the API would and gives each row's identity digests
    (number, email, phone as the API normalises them). Pure: runs in worker processes."""

    fields: tuple[str | None, ...]
    mode: str
    region: str

    def __call__(self, rows: list[tuple[int, list[Cell]]]) -> Identities:
        found: Identities = []
        for number, cells in rows:
            _, _, identity = validate_row(read_row(self.fields, cells), self.mode, self.region)
            if self.mode == "create":
                identity.pop("number", None)
            found.append((number, [(f, _digest(f, v)) for f, v in identity.items()]))
        return found


def _available_cpus() -> int:
    from chalicelib.adapters.workers import available_cpus

    return available_cpus()


def _batches(sheet: Any, size: int) -> Iterator[list[tuple[int, list[Cell]]]]:
    batch: list[tuple[int, list[Cell]]] = []
    for number, cells in sheet.rows():
        if _empty(cells):
            continue
        batch.append((number, cells))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _same_clients(task: IdentityTask, sheet: Any, workers: int) -> tuple[int, dict[int, str]]:
    """The data rows and those that are the same client as an earlier row (sheet row → why),
    validating in `workers` processes."""
    from chalicelib.adapters.workers import ordered_map

    first_seen: dict[int, int] = {}  # identity digest → the first row holding it
    duplicates: dict[int, str] = {}
    total = 0
    for identities in ordered_map(task, _batches(sheet, PLAN_BATCH_ROWS), workers):
        for number, digests in identities:
            total += 1
            for field, digest in digests:
                earlier = first_seen.setdefault(digest, number)
                if earlier != number and number not in duplicates:
                    duplicates[number] = (
                        f"same client as row {earlier} (same {field}); only row {earlier} "
                        "was imported"
                    )
    return total, duplicates


def _row_errors(exc: DomainError) -> list[RowProblem]:
    if isinstance(exc, InvalidInputError):
        return [RowProblem(field=p.field, message=p.message) for p in exc.errors]
    if isinstance(exc, DuplicateError):
        return [RowProblem(field=c.field, message=exc.detail) for c in exc.conflicts]
    if isinstance(exc, ForbiddenError) and "responsible" in exc.detail:
        return [RowProblem(field="owner_id", message=exc.detail)]
    return [RowProblem(field="row", message=exc.detail)]


class ImportService:
    def __init__(
        self,
        repo: ImportRepository,
        files: ImportFiles,
        clients: ClientService,
        tenants: TenantRepository,
        clock: Clock = utcnow,
    ) -> None:
        self.repo, self.files, self.clients, self.tenants = repo, files, clients, tenants
        self.clock = clock
        self.chunk_rows = CHUNK_ROWS
        self.margin_ms = 60_000  # stop starting chunks with less than this left
        # The pass over the whole file validates in a process per vCPU when it is this long.
        self.workers = _available_cpus()
        self.parallel_min_rows = PARALLEL_MIN_ROWS

    # --- requests ----------------------------------------------------------------------------

    def start(self, who: Principal, body: ImportCreate) -> tuple[ImportJob, str, dict[str, str]]:
        """A new job waiting for its upload, and the presigned form to upload it with."""
        from chalicelib.adapters.keys import import_upload_key

        settings = self.tenants.get_settings(who.tenant_id)
        now = self.clock()
        job_id = new_id()
        job = ImportJob(
            id=job_id,
            tenant_id=who.tenant_id,
            entity=body.entity,
            mode=body.mode,
            match_on=list(dict.fromkeys(body.match_on)),
            dry_run=body.dry_run,
            state=ImportState.WAITING_UPLOAD,
            created_by=who.user_id,
            created_by_role=who.role.value,
            created_by_name=who.name,
            created_at=now,
            updated_at=now,
            upload_key=import_upload_key(who.tenant_id, job_id),
            max_bytes=settings.import_max_mb * 1024 * 1024,
        )
        self.repo.create_job(job)
        url, fields = self.files.upload_form(job.upload_key, job.max_bytes)
        return job, url, fields

    def get(self, who: Principal, job_id: str) -> ImportJob:
        job = self.repo.get_job(who.tenant_id, job_id)
        if job is None or not (who.sees_all_clients or job.created_by == who.user_id):
            raise NotFoundError("Import", job_id)
        return job

    def list_jobs(
        self, who: Principal, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[ImportJob], dict[str, Any] | None]:
        user = None if who.sees_all_clients else who.user_id
        return self.repo.list_jobs(who.tenant_id, user, limit, start)

    def public(self, job: ImportJob) -> ImportPublic:
        url = self.files.download_url(job.result_key) if job.result_key else None
        undo_until = (
            job.finished_at + timedelta(days=UNDO_DAYS)
            if job.finished_at and job.state is ImportState.DONE and not job.dry_run
            else None
        )
        data = job.model_dump(include=set(ImportPublic.model_fields))
        return ImportPublic(**data, result_url=url, undo_until=undo_until)

    def template(self, who: Principal, lang: str) -> bytes:
        from chalicelib.adapters.sheets import template_workbook

        settings = self.tenants.get_settings(who.tenant_id)
        return template_workbook(
            lang, settings.stage_keys(), settings.source_keys(), _custom_keys(settings)
        )

    def undo(self, who: Principal, job_id: str) -> ImportJob:
        """Admin, within 30 days: delete the clients the import created, restore the fields it
        changed. Runs on the import queue; the job shows `undoing`, then `undone`."""
        if not who.is_admin:
            raise ForbiddenError("Only an admin can undo an import.")
        job = self.get(who, job_id)
        if job.state is ImportState.UNDOING:
            return job
        if job.state is not ImportState.DONE or job.dry_run:
            raise StateConflictError(
                f"Only a finished import that wrote something can be undone; this one is "
                f"{'a dry run' if job.dry_run else job.state.value}."
            )
        if job.finished_at and self.clock() - job.finished_at > timedelta(days=UNDO_DAYS):
            raise StateConflictError(f"An import can be undone for {UNDO_DAYS} days only.")
        job = job.model_copy(
            update={"state": ImportState.UNDOING, "updated_at": self.clock(), "undo_chunks": 0}
        )
        job.warnings = [*job.warnings, f"undo requested by {who.user_id}"][-MAX_WARNINGS:]
        self.repo.save_job(job, job.chunks)
        self.files.enqueue({"undo": {"tenant": job.tenant_id, "job": job.id, "by": who.user_id}})
        return job

    # --- the queue ---------------------------------------------------------------------------

    def handle(self, message: dict[str, Any], remaining: Remaining) -> None:
        """One message of the import queue: an S3 upload notification, or our own
        continuation / undo message."""
        from chalicelib.adapters.keys import is_valid_id

        if "undo" in message:
            target = message["undo"]
            self.run_undo(str(target["tenant"]), str(target["job"]), str(target["by"]), remaining)
            return
        if "continue" in message:
            target = message["continue"]
            self.run(str(target["tenant"]), str(target["job"]), remaining)
            return
        if message.get("Event") == "s3:TestEvent":
            return
        for record in message.get("Records", []):
            # S3 URL-encodes the key in its notifications.
            key = unquote_plus(str(record.get("s3", {}).get("object", {}).get("key", "")))
            parts = key.split("/")
            if len(parts) != 3 or parts[0] != "uploads" or not all(map(is_valid_id, parts[1:])):
                log.warning("import queue: ignoring object %r", key)
                continue
            self.run(parts[1], parts[2], remaining)

    def run(self, tenant: str, job_id: str, remaining: Remaining) -> None:
        """Run (or continue) a job from its checkpoint until it is done, or until the time
        left is short: then a continuation message is queued and the run ends cleanly."""
        job = self.repo.get_job(tenant, job_id)
        if job is None or job.state in FINISHED:
            return  # unknown upload, or a redelivery of a finished job: nothing to do
        found = self.files.head(job.upload_key)
        if found is None:
            return
        size, etag = found
        if job.file_etag is None:
            job = self._save(job, state=ImportState.VALIDATING, file_etag=etag)
        if size > job.max_bytes:
            self._fail(job, f"the file has {size:,} bytes; the limit is {job.max_bytes:,}")
            return
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "upload")
            try:
                self.files.download(job.upload_key, path, job.file_etag or etag)
                self._run_file(job, path, remaining)
            except ImportFileError as exc:
                self._fail(self.repo.get_job(tenant, job_id) or job, str(exc))

    def _run_file(self, job: ImportJob, path: str, remaining: Remaining) -> None:
        from chalicelib.adapters.sheets import open_sheet

        sheet = open_sheet(path)
        settings = self.tenants.get_settings(job.tenant_id)
        plan = self._plan(job, sheet, settings)
        if job.state is ImportState.VALIDATING:
            job = self._save(
                job,
                state=ImportState.IMPORTING,
                rows_total=plan.total,
                file_format=sheet.file_format,
                warnings=plan.columns.warnings[:MAX_WARNINGS],
            )
        who = Principal(
            job.tenant_id, job.created_by, Role(job.created_by_role), job.created_by_name
        )
        rows = self._numbered(sheet, job.rows_processed)
        first = job.chunks
        while job.rows_processed < plan.total:
            if job.chunks > first and remaining() < self.margin_ms:
                self.files.enqueue({"continue": {"tenant": job.tenant_id, "job": job.id}})
                return
            results, unprocessed, statistics = self._chunk(job, who, rows, plan, settings)
            rows = itertools.chain(unprocessed, rows)  # the next chunk starts with them
            counts = Counts(**{o.value: 0 for o in Outcome})
            for result in results:
                setattr(counts, result.outcome.value, getattr(counts, result.outcome.value) + 1)
            index = job.chunks
            advanced = job.model_copy(
                update={
                    "rows_processed": job.rows_processed + len(results),
                    "chunks": index + 1,
                    "counts": job.counts.add(counts),
                    "updated_at": self.clock(),
                }
            )
            try:
                self.repo.save_chunk(advanced, index, results[0].row, results, statistics)
            except StaleWriteError:
                log.warning("import %s: chunk %s recorded by another run", job.id, index)
                return
            job = advanced
        self._finish(job, sheet, plan)

    def _numbered(self, sheet: Any, start: int) -> Iterator[tuple[int, list[Cell]]]:
        """The non-empty data rows from the `start`-th one, with their sheet row numbers."""
        seen = 0
        for number, cells in sheet.rows():
            if _empty(cells):
                continue
            if seen >= start:
                yield number, cells
            seen += 1

    def _plan(self, job: ImportJob, sheet: Any, settings: TenantSettings) -> FilePlan:
        """One pass over the whole file: every row validated as the API would, and the rows
        that are the same client as an earlier row (by number, email, phone)."""
        columns = match_headers(sheet.headers, _custom_keys(settings))
        missing = missing_required(columns, job.mode, job.match_on)
        if missing:
            raise ImportFileError(missing)
        if job.mode == "create" and "number" in columns.fields:
            header = columns.headers[columns.fields.index("number")]
            columns.warnings.append(
                f"column {header!r}: client numbers are assigned by the organisation; "
                "the column only matches clients in upsert mode"
            )
        from chalicelib.adapters.workers import WorkerError

        task = IdentityTask(tuple(columns.fields), job.mode, settings.default_phone_region)
        workers = self.workers if sheet.rows_total >= self.parallel_min_rows else 1
        try:
            total, duplicates = _same_clients(task, sheet, workers)
        except WorkerError as exc:  # e.g. a worker killed for memory: do it in this process
            log.warning(
                "import %s: validating in workers failed (%s); again in-process", job.id, exc
            )
            total, duplicates = _same_clients(task, sheet, 1)
        return FilePlan(columns, total, duplicates, set(sheet.formula_rows))

    def _chunk(
        self,
        job: ImportJob,
        who: Principal,
        rows: Iterator[tuple[int, list[Cell]]],
        plan: FilePlan,
        settings: TenantSettings,
    ) -> tuple[list[RowResult], list[tuple[int, list[Cell]]], CounterDeltas]:
        """The outcomes of the next rows (at most `chunk_rows`, and as many as fit one
        chunk record), the rows read but left for the next chunk, and the statistics of the
        clients the chunk created uncounted (its record adds them, exactly once)."""
        region = settings.default_phone_region
        read: list[tuple[int, list[Cell]]] = []
        batch: list[tuple[int, ParsedRow, Any, list[RowProblem], dict[str, str]]] = []
        for number, cells in rows:
            parsed = read_row(plan.columns.fields, cells)
            model, problems, identity = validate_row(parsed, job.mode, region)
            read.append((number, cells))
            batch.append((number, parsed, model, problems, identity))
            if len(batch) >= self.chunk_rows:
                break
        wanted = {
            (f, v)
            for _, _, _, _, identity in batch
            for f, v in identity.items()
            if f in job.match_on and (job.mode == "upsert" or f != "number")
        }
        holders = self.repo.holders(job.tenant_id, wanted) if wanted else {}
        marks: dict[int, Any] = {}
        created: dict[int, IdempotencyRecord] = {}
        if not job.dry_run:  # what a run cut off in this chunk wrote already
            numbers = [b[0] for b in batch]
            created = self.repo.created_rows(
                job.tenant_id, job.created_by, {n: _row_key(job, n) for n in numbers}
            )
            marks = {n: ("created", record.client_id) for n, record in created.items()}
            if job.mode == "upsert":
                marks.update(self.repo.marks(job.tenant_id, job.id, numbers))
        results: list[RowResult] = []
        pending: list[Pending] = []
        size = 0
        done = 0
        for number, parsed, model, problems, identity in batch:
            outcome = self._row(
                job, who, number, parsed, model, problems, identity, plan, holders, marks, settings
            )
            done += 1
            if isinstance(outcome, Pending):
                pending.append(outcome)
                continue
            results.append(outcome)
            size += 200 + (len(str(outcome.changes)) if outcome.changes else 0)
            if size > CHUNK_BYTES:  # the record is full: the other rows go in the next one
                break
        # New clients are counted with the chunk (one update of the statistics, not one per
        # transaction), unless they would move too many owners' slices for its transaction.
        creates = [m for _, _, m, _, _ in batch if isinstance(m, ClientCreate)]
        owners = {m.owner_id or who.user_id for m in creates}
        statistics = CounterDeltas()
        for result in results:  # created by a run cut off before it recorded this chunk
            record = created.get(result.row) if result.outcome is Outcome.CREATED else None
            if record is not None and record.deferred is not None:
                statistics.add(record.deferred)
        defer = len(owners) <= MAX_DEFERRED_OWNERS
        results.extend(self._create_pending(job, who, pending, settings, defer, statistics))
        return sorted(results, key=lambda r: r.row), read[done:], statistics

    def _create_pending(
        self,
        job: ImportJob,
        who: Principal,
        pending: list[Pending],
        settings: TenantSettings,
        defer: bool,
        statistics: CounterDeltas,
    ) -> list[RowResult]:
        """New clients, as many per transaction as fit; a row that cannot go in with others
        is created on its own (which names the reason it fails, and counts it). `defer`:
        the clients created together are not counted; their statistics go to `statistics`."""
        results: list[RowResult] = []
        context = None
        i = 0
        while i < len(pending):
            group = list(itertools.takewhile(lambda p: not p.alone, pending[i : i + CREATE_GROUP]))
            items = [(p.model, _row_key(job, p.row)) for p in group]
            if len(items) > 1 and context is None:
                owners = [p.model.owner_id or who.user_id for p in pending]
                context = self.clients.write_context(who, owners)
            created = (
                self.clients.create_many(who, items, defer_statistics=defer, context=context)
                if len(items) > 1
                else []
            )
            for client in created if defer else []:
                statistics.add(counter_deltas(None, client, settings.timezone))
            results.extend(
                RowResult(row=p.row, outcome=Outcome.CREATED, client_id=c.id, warnings=p.warnings)
                for p, c in zip(group, created, strict=False)
            )
            if created:
                i += len(created)
                continue
            p = pending[i]
            try:
                results.append(self._create(job, who, p.row, p.model, {}, {}, settings, p.warnings))
            except DomainError as exc:
                results.append(
                    RowResult(
                        row=p.row,
                        outcome=Outcome.FAILED,
                        errors=_row_errors(exc),
                        warnings=p.warnings,
                    )
                )
            i += 1
        return results

    def _row(
        self,
        job: ImportJob,
        who: Principal,
        number: int,
        parsed: ParsedRow,
        model: ClientCreate | ClientUpdate | None,
        problems: list[RowProblem],
        identity: dict[str, str],
        plan: FilePlan,
        holders: dict[tuple[str, str], str],
        marks: dict[int, Any],
        settings: TenantSettings,
    ) -> RowResult | Pending:
        warnings = parsed.warnings
        problems = problems + plan.problems_of(number)
        if problems:
            return RowResult(row=number, outcome=Outcome.FAILED, errors=problems, warnings=warnings)
        earlier = marks.get(number)
        if isinstance(earlier, tuple):  # created by a run cut off before recording the chunk
            return RowResult(
                row=number, outcome=Outcome.CREATED, client_id=earlier[1], warnings=warnings
            )
        match = _match(job, identity, holders)
        try:
            if match is not None:
                return self._update(job, who, number, parsed, match, marks, warnings)
            if not isinstance(model, ClientCreate):
                message = "no client matches this row and it has no name to create one with"
                return RowResult(
                    row=number,
                    outcome=Outcome.FAILED,
                    errors=[RowProblem(field="name", message=message)],
                    warnings=warnings,
                )
            if not job.dry_run:
                taken = any((f, identity.get(f)) in holders for f in ("email", "phone"))
                return Pending(number, model, warnings, alone=taken)
            return self._create(job, who, number, model, identity, holders, settings, warnings)
        except NotFoundError:
            message = "matches a client of another responsible; it was not changed"
            problem = RowProblem(field="row", message=message)
        except DomainError as exc:
            return RowResult(
                row=number, outcome=Outcome.FAILED, errors=_row_errors(exc), warnings=warnings
            )
        return RowResult(row=number, outcome=Outcome.FAILED, errors=[problem], warnings=warnings)

    def _create(
        self,
        job: ImportJob,
        who: Principal,
        number: int,
        model: ClientCreate,
        identity: dict[str, str],
        holders: dict[tuple[str, str], str],
        settings: TenantSettings,
        warnings: list[str],
    ) -> RowResult:
        if job.dry_run:
            self.clients.check_create(who, model)
            taken = [f for f in ("email", "phone") if (f, identity.get(f)) in holders]
            if taken and not settings.allow_duplicates:
                problems = [
                    RowProblem(field=f, message=f"{f} already in use by another client")
                    for f in taken
                ]
                return RowResult(
                    row=number, outcome=Outcome.FAILED, errors=problems, warnings=warnings
                )
            return RowResult(row=number, outcome=Outcome.CREATED, warnings=warnings)
        client = self.clients.create(who, model, idempotency_key=_row_key(job, number))
        return RowResult(
            row=number, outcome=Outcome.CREATED, client_id=client.id, warnings=warnings
        )

    def _update(
        self,
        job: ImportJob,
        who: Principal,
        number: int,
        parsed: ParsedRow,
        client_id: str,
        marks: dict[int, Any],
        warnings: list[str],
    ) -> RowResult:
        mark = marks.get(number)
        if mark is not None:  # applied by a run that was cut off before recording its chunk
            return RowResult(
                row=number,
                outcome=Outcome.UPDATED,
                client_id=mark.client_id,
                changes=mark.changes,
                warnings=warnings,
            )
        patch = as_update(parsed)
        if isinstance(patch, list):
            return RowResult(row=number, outcome=Outcome.FAILED, errors=patch, warnings=warnings)
        try:
            _, diff = self.clients.import_update(
                who, client_id, patch, None if job.dry_run else (job.id, number)
            )
        except RowMarkTakenError:  # another run applied this row meanwhile
            found = self.repo.marks(job.tenant_id, job.id, [number])[number]
            return RowResult(
                row=number,
                outcome=Outcome.UPDATED,
                client_id=client_id,
                changes=found.changes,
                warnings=warnings,
            )
        outcome = Outcome.UPDATED if diff else Outcome.UNCHANGED
        return RowResult(
            row=number,
            outcome=outcome,
            client_id=client_id,
            changes={} if job.dry_run else diff,
            warnings=warnings,
        )

    def _finish(self, job: ImportJob, sheet: Any, plan: FilePlan) -> None:
        """The result workbook (every input row with its outcome), then `done`."""
        from chalicelib.adapters.keys import import_result_key
        from chalicelib.adapters.sheets import write_result

        language = self.tenants.get_settings(job.tenant_id).language.value
        results = (r for chunk in self.repo.chunks(job.tenant_id, job.id) for r in chunk)

        def merged() -> Iterator[tuple[list[Cell], dict[str, Any]]]:
            for number, cells in self._numbered(sheet, 0):
                result = next(results, None)
                if result is None or result["row"] != number:
                    raise StaleWriteError(f"import {job.id}: outcomes out of step at {number}")
                yield cells, result

        key = import_result_key(job.tenant_id, job.id)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "result.xlsx")
            with open(path, "wb") as out:
                write_result(
                    out, language, plan.columns.headers, plan.columns.fields, merged(), job.warnings
                )
            self.files.upload_result(key, path)
        self._save(job, state=ImportState.DONE, result_key=key, finished_at=self.clock())

    def _save(self, job: ImportJob, **changes: Any) -> ImportJob:
        changed = job.model_copy(update={**changes, "updated_at": self.clock()})
        self.repo.save_job(changed, job.chunks)
        return changed

    def _fail(self, job: ImportJob, reason: str) -> None:
        if job.state in FINISHED:
            return
        log.info("import %s failed: %s", job.id, reason)
        self._save(job, state=ImportState.FAILED, error=reason, finished_at=self.clock())

    # --- undo --------------------------------------------------------------------------------

    def run_undo(self, tenant: str, job_id: str, by: str, remaining: Remaining) -> None:
        job = self.repo.get_job(tenant, job_id)
        if job is None or job.state is not ImportState.UNDOING:
            return
        who = Principal(tenant, by, Role.ADMIN)
        index = job.undo_chunks
        for chunk in self.repo.chunks(tenant, job_id, index):
            if index > job.undo_chunks and remaining() < self.margin_ms:
                self.files.enqueue({"undo": {"tenant": tenant, "job": job_id, "by": by}})
                return
            for result in chunk:
                self._undo_row(who, result)
            index += 1
            job = self._save(job, undo_chunks=index)
        self._save(job, state=ImportState.UNDONE)

    def _undo_row(self, who: Principal, result: dict[str, Any]) -> None:
        client_id = result.get("client_id")
        if not client_id:
            return
        try:
            if result["outcome"] == Outcome.CREATED.value:
                self.clients.delete(who, client_id)
            elif result["outcome"] == Outcome.UPDATED.value and result.get("changes"):
                self.clients.restore(who, client_id, result["changes"])
        except NotFoundError:
            pass  # deleted since: nothing to undo


def _match(
    job: ImportJob, identity: dict[str, str], holders: dict[tuple[str, str], str]
) -> str | None:
    """Upsert: the client the first key of `match_on` that the row has finds."""
    if job.mode != "upsert":
        return None
    keys = [(f, identity[f]) for f in job.match_on if f in identity]
    return next((holders[k] for k in keys if k in holders), None)


def _row_key(job: ImportJob, row: int) -> str:
    """The idempotency key of a row's create."""
    return f"import.{job.id}.{row}"


def _custom_keys(settings: TenantSettings) -> dict[str, str]:
    """The tenant's custom fields: key → label."""
    return {field.key: field.label for field in settings.custom_fields}
