"""Bulk import of clients: what the API takes and answers, states and limits.

The job as stored and the rules that read rows are in `domain/import_jobs.py`, loaded only by
the import's code paths (cold start).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from chalicelib.domain.model import Model

MAX_COLUMNS = 200
MAX_CELL_CHARS = 32_767
MAX_ROWS = 1_048_575
UNDO_DAYS = 30


class ImportState(StrEnum):
    WAITING_UPLOAD = "waiting_upload"
    VALIDATING = "validating"
    IMPORTING = "importing"
    DONE = "done"
    FAILED = "failed"
    UNDOING = "undoing"
    UNDONE = "undone"


FINISHED = (ImportState.DONE, ImportState.FAILED, ImportState.UNDOING, ImportState.UNDONE)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"


MatchKey = Literal["number", "email", "phone"]
_DEFAULT_MATCH: tuple[MatchKey, ...] = ("number", "email", "phone")


class ImportCreate(Model):
    """Body of `POST /imports`."""

    model_config = ConfigDict(extra="forbid")

    entity: Literal["clients"] = "clients"
    mode: Literal["create", "upsert"] = "create"
    match_on: Annotated[list[MatchKey], Field(min_length=1, max_length=3)] = Field(
        default_factory=lambda: list(_DEFAULT_MATCH),
        description="upsert: the keys tried in this order to find the client a row updates",
    )
    dry_run: bool = Field(default=False, description="validate and report; write nothing")


class Counts(Model):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0

    def add(self, other: Counts) -> Counts:
        return Counts(
            created=self.created + other.created,
            updated=self.updated + other.updated,
            unchanged=self.unchanged + other.unchanged,
            failed=self.failed + other.failed,
        )


class ImportPublic(Model):
    """A job as `GET /imports/{id}` shows it."""

    id: str
    entity: str
    mode: str
    match_on: list[str]
    dry_run: bool
    state: ImportState
    created_by: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    file_format: str | None = None
    rows_total: int | None = Field(default=None, description="data rows in the file")
    rows_processed: int = 0
    counts: Counts
    warnings: list[str]
    error: str | None = None
    result_url: str | None = Field(
        default=None, description="presigned GET of the result workbook (valid one hour)"
    )
    undo_until: datetime | None = None


class UploadForm(Model):
    url: str
    fields: dict[str, str]


class ImportStarted(Model):
    """Answer of `POST /imports`: the job, and where to upload the file."""

    job: ImportPublic
    upload: UploadForm
    max_bytes: int


class ImportPage(Model):
    items: list[ImportPublic]
    next_cursor: str | None = None


class ImportFileError(Exception):
    """The file cannot be imported at all (hostile, damaged, wrong kind); the job fails."""
