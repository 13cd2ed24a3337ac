"""Building uploads and driving import jobs the way AWS does: the file lands in the import
bucket, S3 notifies the import queue, the queue's messages are handed to the handler."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
import requests

from chalicelib.api import deps
from chalicelib.config import get_settings
from tests.helpers import Api

QUEUE = "crm-imports"


def xlsx(rows: list[list[Any]], text_columns: tuple[int, ...] = ()) -> bytes:
    """A workbook whose first sheet holds `rows` (the first one the headers)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            if c - 1 in text_columns:
                cell.number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[Any]], sep: str = ",") -> bytes:
    return "\n".join(sep.join(str(v) for v in row) for row in rows).encode()


def start(api: Api, **body: Any) -> dict[str, Any]:
    r = api.post("/imports", body)
    assert r.status == 201, r
    return dict(r.body)


def upload(started: dict[str, Any], data: bytes, via_form: bool = True) -> None:
    """Upload through the presigned POST (moto answers it in-process), or put the object."""
    form = started["upload"]
    if via_form:
        reply = requests.post(
            form["url"], data=form["fields"], files={"file": ("f", data)}, timeout=30
        )
        assert reply.status_code in (200, 204), reply.text
    else:
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.put_object(Bucket=get_settings().import_bucket, Key=form["fields"]["key"], Body=data)


def queue_url() -> str:
    sqs = boto3.client("sqs", region_name="eu-west-1")
    return str(sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"])


def pending_messages(test_events: bool = False) -> list[str]:
    """Take every message waiting on the import queue (S3's test event dropped)."""
    sqs = boto3.client("sqs", region_name="eu-west-1")
    bodies = []
    while True:
        reply = sqs.receive_message(QueueUrl=queue_url(), MaxNumberOfMessages=10)
        messages = reply.get("Messages", [])
        if not messages:
            return bodies
        for m in messages:
            if test_events or "s3:TestEvent" not in m["Body"]:
                bodies.append(m["Body"])
            sqs.delete_message(QueueUrl=queue_url(), ReceiptHandle=m["ReceiptHandle"])


def deliver(chalice_client: Any, body: str) -> None:
    event = chalice_client.events.generate_sqs_event(message_bodies=[body], queue_name=QUEUE)
    chalice_client.lambda_.invoke("run_import", event)


def pump(chalice_client: Any, limit: int = 50) -> list[str]:
    """Deliver queue messages (S3 notifications, continuations) until the queue is empty."""
    delivered = []
    for _ in range(limit):
        bodies = pending_messages()
        if not bodies:
            return delivered
        for body in bodies:
            deliver(chalice_client, body)
            delivered.append(body)
    raise AssertionError("the import queue never drained")


def run_import(
    api: Api, chalice_client: Any, rows: list[list[Any]] | bytes, **body: Any
) -> dict[str, Any]:
    """Start a job, upload the file, let the queue run it; the job as GET shows it."""
    started = start(api, **body)
    data = rows if isinstance(rows, bytes) else xlsx(rows)
    upload(started, data)
    pump(chalice_client)
    return job(api, started["job"]["id"])


def job(api: Api, job_id: str) -> dict[str, Any]:
    r = api.get(f"/imports/{job_id}")
    assert r.status == 200, r
    return dict(r.body)


def result_rows(job_body: dict[str, Any]) -> list[list[Any]]:
    """The result workbook's first sheet, through its presigned URL."""
    from openpyxl import load_workbook

    reply = requests.get(job_body["result_url"], timeout=30)
    assert reply.status_code == 200
    book = load_workbook(io.BytesIO(reply.content), read_only=True)
    return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]


def service() -> Any:
    return deps.import_service()


def s3_event_json(key: str) -> str:
    return json.dumps({"Records": [{"s3": {"object": {"key": key}}}]})
