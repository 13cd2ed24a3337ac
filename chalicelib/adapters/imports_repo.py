"""Import jobs in DynamoDB (job, chunk outcomes, row marks) and their files in S3."""

from __future__ import annotations

import json
import shutil
import time
import zlib
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import GlobalSecondaryIndex

from chalicelib.adapters import keys
from chalicelib.adapters.clients_repo import add_statistics, counted_deltas, sort_ts
from chalicelib.adapters.dynamo import (
    GuardItem,
    IdempotencyItem,
    ImportChunkItem,
    ImportJobItem,
    ImportMarkItem,
    Item,
    bind,
)
from chalicelib.adapters.paging import query_page
from chalicelib.adapters.tx import Tx
from chalicelib.config import Settings, get_settings
from chalicelib.domain.import_jobs import ImportJob, RowResult
from chalicelib.domain.imports import ImportFileError
from chalicelib.domain.stats import CounterDeltas
from chalicelib.services.ports import IdempotencyRecord, RowMark, StaleWriteError

MARK_TTL_SECONDS = 7 * 24 * 3600


def mark_item(tenant: str, mark: RowMark) -> ImportMarkItem:
    return ImportMarkItem(
        keys.import_pk(tenant, mark.job_id),
        keys.import_mark_sk(mark.row),
        client_id=mark.client_id,
        changes=json.dumps(mark.changes, default=str),
        expires_at=int(time.time()) + MARK_TTL_SECONDS,
    )


def _job_item(job: ImportJob) -> ImportJobItem:
    created = sort_ts(job.created_at)
    return ImportJobItem(
        keys.import_pk(job.tenant_id, job.id),
        keys.IMPORT_JOB_SK,
        gsi1pk=keys.imports_of_tenant(job.tenant_id),
        gsi1sk=keys.created_sort(created, job.id),
        gsi2pk=keys.imports_of_user(job.tenant_id, job.created_by),
        gsi2sk=keys.created_sort(created, job.id),
        state=job.state.value,
        chunks=job.chunks,
        body=job.model_dump_json(),
    )


def _job(item: ImportJobItem) -> ImportJob:
    return ImportJob.model_validate_json(item.body)


def _pack(results: list[RowResult]) -> bytes:
    data = json.dumps([r.model_dump(mode="json", exclude_defaults=True) for r in results])
    return zlib.compress(data.encode(), 6)


def _unpack(blob: bytes) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(zlib.decompress(blob))
    return data


class DynamoImportRepository:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    # --- jobs --------------------------------------------------------------------------------

    def create_job(self, job: ImportJob) -> None:
        bind()
        _job_item(job).save(Item.pk.does_not_exist())

    def get_job(self, tenant: str, job_id: str) -> ImportJob | None:
        bind()
        try:
            item = ImportJobItem.get(keys.import_pk(tenant, job_id), keys.IMPORT_JOB_SK)
        except (DoesNotExist, ValueError):
            return None
        return _job(item)

    def save_job(self, job: ImportJob, expected_chunks: int) -> None:
        """Save the job if its checkpoint is still `expected_chunks` (else StaleWriteError)."""
        bind()
        tx = Tx()
        tx.put("job", _job_item(job), ImportJobItem.chunks == expected_chunks)
        tx.commit_or_stale()

    def save_chunk(
        self,
        job: ImportJob,
        index: int,
        first_row: int,
        results: list[RowResult],
        statistics: CounterDeltas | None = None,
    ) -> None:
        """The chunk's outcomes, the job's advanced checkpoint and the statistics of the
        clients the chunk created uncounted, in one transaction: counted exactly once."""
        bind()
        tx = Tx()
        chunk = ImportChunkItem(
            keys.import_pk(job.tenant_id, job.id),
            keys.import_chunk_sk(index),
            first_row=first_row,
            rows=len(results),
            outcomes=_pack(results),
        )
        tx.put("chunk", chunk, Item.pk.does_not_exist())
        tx.put("job", _job_item(job), ImportJobItem.chunks == index)
        if statistics:
            add_statistics(tx, job.tenant_id, statistics)
        failed = tx.commit()
        if failed:
            raise StaleWriteError(", ".join(sorted(failed)))

    def list_jobs(
        self, tenant: str, user_id: str | None, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[ImportJob], dict[str, Any] | None]:
        bind()
        index: GlobalSecondaryIndex[Item]
        if user_id is None:
            index, partition = Item.gsi1, keys.imports_of_tenant(tenant)
        else:
            index, partition = Item.gsi2, keys.imports_of_user(tenant, user_id)
        return query_page(index, partition, ImportJobItem, _job, limit=limit, start=start)

    def chunks(self, tenant: str, job_id: str, start: int = 0) -> Iterator[list[dict[str, Any]]]:
        """The recorded chunks in order, from chunk `start` (one Query, paged by DynamoDB)."""
        bind()
        results = Item.query(
            keys.import_pk(tenant, job_id),
            Item.sk.between(keys.import_chunk_sk(start), keys.import_chunk_sk(999_999)),
        )
        for item in results:
            if isinstance(item, ImportChunkItem):
                yield _unpack(item.outcomes)

    def chunk(self, tenant: str, job_id: str, index: int) -> list[dict[str, Any]] | None:
        bind()
        try:
            item = ImportChunkItem.get(keys.import_pk(tenant, job_id), keys.import_chunk_sk(index))
        except (DoesNotExist, ValueError):
            return None
        return _unpack(item.outcomes)

    def marks(self, tenant: str, job_id: str, rows: list[int]) -> dict[int, RowMark]:
        """The marks of these rows that exist (BatchGetItem, 100 keys a request)."""
        bind()
        pk = keys.import_pk(tenant, job_id)
        found: dict[int, RowMark] = {}
        for item in Item.batch_get([(pk, keys.import_mark_sk(r)) for r in rows]):
            if isinstance(item, ImportMarkItem):
                row = int(item.sk.removeprefix(keys.IMPORT_MARK_PREFIX))
                found[row] = RowMark(job_id, row, json.loads(item.changes), item.client_id)
        return found

    def created_rows(
        self, tenant: str, user_id: str, keys_by_row: dict[int, str]
    ) -> dict[int, IdempotencyRecord]:
        """Rows whose create already committed (their idempotency record exists), with the
        statistics it left to its chunk, if any. BatchGetItem, 100 keys a request."""
        bind()
        by_pk = {keys.idempotency_pk(tenant, user_id, k): row for row, k in keys_by_row.items()}
        found: dict[int, IdempotencyRecord] = {}
        for item in Item.batch_get([(pk, keys.IDEMPOTENCY_SK) for pk in by_pk]):
            if isinstance(item, IdempotencyItem):
                row = by_pk[item.pk]
                deferred = (
                    counted_deltas(item.counted, item.counted_owner)
                    if item.counted is not None and item.counted_owner is not None
                    else None
                )
                record = IdempotencyRecord(
                    user_id, keys_by_row[row], item.request_hash, item.client_id, deferred
                )
                found[row] = record
        return found

    # --- matching ----------------------------------------------------------------------------

    def holders(self, tenant: str, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """(field, value) → the client holding that number / email / phone guard."""
        bind()
        by_pk: dict[str, tuple[str, str]] = {}
        for field, value in wanted:
            if field == "number":
                by_pk[keys.number_guard_pk(tenant, int(value))] = (field, value)
            elif field == "email":
                by_pk[keys.email_guard_pk(tenant, value)] = (field, value)
            else:
                by_pk[keys.phone_guard_pk(tenant, value)] = (field, value)
        found: dict[tuple[str, str], str] = {}
        if not by_pk:
            return found
        for item in Item.batch_get([(pk, keys.GUARD_SK) for pk in by_pk]):
            if isinstance(item, GuardItem):
                found[by_pk[item.pk]] = item.client_id
        return found


class S3ImportFiles:
    """The import bucket: presigned upload forms, the uploaded file, the result workbook."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    @cached_property
    def s3(self) -> Any:
        import boto3

        return boto3.client("s3", region_name=self.settings.aws_region)

    @cached_property
    def sqs(self) -> Any:
        import boto3

        return boto3.client("sqs", region_name=self.settings.aws_region)

    def upload_form(self, key: str, max_bytes: int) -> tuple[str, dict[str, str]]:
        form = self.s3.generate_presigned_post(
            Bucket=self.settings.import_bucket,
            Key=key,
            Conditions=[["content-length-range", 1, max_bytes]],
            ExpiresIn=3600,
        )
        return str(form["url"]), {k: str(v) for k, v in form["fields"].items()}

    def head(self, key: str) -> tuple[int, str] | None:
        """The uploaded object's size and ETag (None: nothing uploaded yet)."""
        from botocore.exceptions import ClientError

        try:
            head = self.s3.head_object(Bucket=self.settings.import_bucket, Key=key)
        except ClientError:
            return None
        return int(head["ContentLength"]), str(head.get("ETag", ""))

    def download(self, key: str, path: str, etag: str) -> None:
        """The object, if it still is the version with `etag` (else ImportFileError)."""
        from botocore.exceptions import ClientError

        try:
            reply = self.s3.get_object(Bucket=self.settings.import_bucket, Key=key, IfMatch=etag)
            with open(path, "wb") as out:
                shutil.copyfileobj(reply["Body"], out, 1 << 20)
        except ClientError as exc:
            raise ImportFileError(
                "the file was replaced by another upload during the import"
            ) from exc

    def upload_result(self, key: str, path: str) -> None:
        self.s3.upload_file(
            path,
            self.settings.import_bucket,
            key,
            ExtraArgs={
                "ContentType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            },
        )

    def download_url(self, key: str) -> str:
        return str(
            self.s3.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.settings.import_bucket, "Key": key},
                ExpiresIn=3600,
            )
        )

    def enqueue(self, message: dict[str, Any]) -> None:
        """A message for the import queue (continuations and undos)."""
        url = (
            self.settings.import_queue_url
            or self.sqs.get_queue_url(QueueName="crm-imports")["QueueUrl"]
        )
        self.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(message))
