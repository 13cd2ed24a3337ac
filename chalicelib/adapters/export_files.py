"""An export's file: written to /tmp a page at a time, uploaded to S3, handed out presigned.

Rows arrive as (fixed cells, custom fields). The custom fields become columns of their own,
and the set of them is only known at the end, so the rows go to a spool file first (pickled
pages of our own rows, read back once) while the custom keys and the column widths are
gathered; the workbook is then written in one pass with XlsxWriter's constant_memory mode
(docs/performance.md says why XlsxWriter). Memory stays at a page of rows whatever the size.

XlsxWriter is imported in the function that writes, never at import time.
"""

from __future__ import annotations

import csv
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from functools import cached_property
from typing import IO, Any

from chalicelib.domain.exports import (
    CUSTOM_PREFIX,
    Column,
    Kind,
    Value,
    custom_column,
    inert_text,
)

ExportRow = tuple[list[Value], dict[str, Value]]
SPOOL_PAGE = 1000  # rows per pickled chunk of the spool
WIDTH_SAMPLE = 2000  # rows whose lengths set the column widths
MAX_WIDTH = 50
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class Spool:
    """Rows parked on disk while their custom columns and widths are found."""

    def __init__(self, columns: tuple[Column, ...], directory: str | None = None) -> None:
        """`columns`: the fixed ones (a row's first cells), then those of the defined custom
        fields (`custom.<key>`, taken from a row's custom values); a custom value of no
        defined field gets a column of its own at the end."""
        self.columns = tuple(c for c in columns if not c.key.startswith(CUSTOM_PREFIX))
        self.defined = tuple(c for c in columns if c.key.startswith(CUSTOM_PREFIX))
        known = {c.key.removeprefix(CUSTOM_PREFIX) for c in self.defined}
        self.extra: dict[str, None] = dict.fromkeys(known)
        self.widths: dict[str, int] = {}
        self.count = 0
        self._file: IO[bytes] = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115
        self._chunk: list[ExportRow] = []

    def add(self, rows: Iterable[ExportRow]) -> None:
        for row in rows:
            if self.count < WIDTH_SAMPLE:
                self._measure(row)
            extra = row[1]
            if extra:
                for key in extra:
                    if key not in self.extra:
                        self.extra[key] = None
            self._chunk.append(row)
            self.count += 1
            if len(self._chunk) >= SPOOL_PAGE:
                self._flush()

    def _measure(self, row: ExportRow) -> None:
        fixed, extra = row
        cells = zip((c.key for c in self.columns), fixed, strict=False)
        for key, value in [*cells, *((f"custom.{k}", v) for k, v in extra.items())]:
            if isinstance(value, str):
                longest = max((len(line) for line in value.splitlines()), default=0)
                if longest > self.widths.get(key, 0):
                    self.widths[key] = longest

    def _flush(self) -> None:
        if self._chunk:
            pickle.dump(self._chunk, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._chunk = []

    @cached_property
    def custom_keys(self) -> list[str]:
        """The custom values' keys in column order: the defined ones, then the others."""
        defined = [c.key.removeprefix(CUSTOM_PREFIX) for c in self.defined]
        return defined + sorted(set(self.extra) - set(defined))

    @cached_property
    def all_columns(self) -> tuple[Column, ...]:
        others = self.custom_keys[len(self.defined) :]
        return self.columns + self.defined + tuple(custom_column(k) for k in others)

    def column_widths(self, language: str) -> list[int]:
        found = []
        for column in self.all_columns:
            measured = max(self.widths.get(column.key, 0), len(column.header(language)) + 3)
            found.append(min(max(column.width, measured + 1), MAX_WIDTH))
        return found

    def rows(self) -> Iterator[list[Value]]:
        """The rows, each with a cell per custom column (in `all_columns` order)."""
        self._flush()
        self._file.seek(0)
        keys = self.custom_keys
        while True:
            try:
                chunk: list[ExportRow] = pickle.load(self._file)  # noqa: S301 (our own file)
            except EOFError:
                break
            for fixed, extra in chunk:
                yield fixed + [extra.get(k) for k in keys] if keys else fixed

    def close(self) -> None:
        self._file.close()


def write_xlsx(
    path: str,
    sheet: str,
    headers: list[str],
    widths: list[int],
    kinds: list[Kind],
    rows: Iterable[list[Value]],
) -> int:
    """A workbook people want to open: typed cells, the header frozen with an autofilter,
    widths that fit. Text is always written as text (never a formula or a link)."""
    import xlsxwriter

    options = {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "tmpdir": os.path.dirname(path) or None,
    }
    book = xlsxwriter.Workbook(path, options)
    try:
        ws = book.add_worksheet(sheet[:31])
        head = book.add_format({"bold": True, "bg_color": "#E8EEF7", "bottom": 1})
        stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        for col, (width, kind) in enumerate(zip(widths, kinds, strict=True)):
            ws.set_column(col, col, width, stamp if kind is Kind.DATETIME else None)
        ws.freeze_panes(1, 0)
        for col, header in enumerate(headers):
            ws.write_string(0, col, header, head)
        by_type = _cell_writers(ws, stamp, day)
        as_text = by_type[object]
        last = 0
        for last, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                if value is not None and value != "":
                    by_type.get(type(value), as_text)(last, col, value)
        ws.autofilter(0, 0, max(last, 1), len(headers) - 1)
    finally:
        book.close()
    return last


def _cell_writers(ws: Any, stamp: Any, day: Any) -> dict[type, Callable[[int, int, Any], Any]]:
    return {
        str: ws.write_string,
        int: ws.write_number,
        float: ws.write_number,
        bool: ws.write_boolean,
        datetime: lambda r, c, v: ws.write_datetime(r, c, v, stamp),
        date: lambda r, c, v: ws.write_datetime(r, c, v, day),
        object: lambda r, c, v: ws.write_string(r, c, str(v)),  # anything else, as text
    }


def _csv_cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return inert_text(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(path: str, headers: list[str], rows: Iterable[list[Value]]) -> int:
    """UTF-8 with a BOM (so Excel reads the accents), comma-separated, injection-safe."""
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([inert_text(h) for h in headers])
        for row in rows:
            writer.writerow([_csv_cell(v) for v in row])
            count += 1
    return count


def write_export(
    fmt: str,
    title: str,
    columns: tuple[Column, ...],
    rows: Iterable[ExportRow],
    language: str,
    directory: str | None = None,
) -> tuple[str, int]:
    """Spool the rows, then write the file; its path (the caller removes it) and row count."""
    spool = Spool(columns, directory)
    try:
        spool.add(rows)
        handle, path = tempfile.mkstemp(suffix=f".{fmt}", dir=directory)
        os.close(handle)
        headers = [c.header(language) for c in spool.all_columns]
        if fmt == "csv":
            count = write_csv(path, headers, spool.rows())
        else:
            widths = spool.column_widths(language)
            kinds = [c.kind for c in spool.all_columns]
            count = write_xlsx(path, title, headers, widths, kinds, spool.rows())
    finally:
        spool.close()
    return path, count


class S3ExportFiles:
    """Export files in the export bucket; queued exports on the export queue."""

    def __init__(self, bucket: str, queue_url: str, queue_name: str, region: str) -> None:
        self.bucket, self.queue_url, self.queue_name = bucket, queue_url, queue_name
        self.region = region

    @cached_property
    def _s3(self) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(signature_version="s3v4")  # the local stack's endpoint: path style
        return boto3.session.Session().client("s3", region_name=self.region, config=config)

    @cached_property
    def _sqs(self) -> Any:
        import boto3

        return boto3.session.Session().client("sqs", region_name=self.region)

    def write(
        self,
        fmt: str,
        title: str,
        columns: tuple[Column, ...],
        rows: Iterable[ExportRow],
        language: str,
    ) -> tuple[str, int]:
        return write_export(fmt, title, columns, rows, language)

    def upload(self, path: str, key: str, fmt: str) -> None:
        """Multipart for big files (boto3's managed transfer), then the local file goes."""
        try:
            extra = {"ContentType": CONTENT_TYPES[fmt]}
            self._s3.upload_file(path, self.bucket, key, ExtraArgs=extra)
        finally:
            os.remove(path)

    def download_url(self, key: str, file_name: str, expires_in: int) -> str:
        params = {
            "Bucket": self.bucket,
            "Key": key,
            "ResponseContentDisposition": f'attachment; filename="{file_name}"',
        }
        url: str = self._s3.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires_in
        )
        return url

    def enqueue(self, message: dict[str, str]) -> None:
        import json

        url = self.queue_url or self._sqs.get_queue_url(QueueName=self.queue_name)["QueueUrl"]
        self._sqs.send_message(QueueUrl=url, MessageBody=json.dumps(message))
