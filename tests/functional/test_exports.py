"""Exports through the HTTP API: the workbook read back (types, frozen header, autofilter,
language, tags and custom columns), CSV injection in xlsx and csv, who sees which rows, the
queued path through the export worker, the presigned URL, bad input and other tenants."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse
from zoneinfo import ZoneInfo

import boto3
import pytest

from chalicelib.api import deps
from chalicelib.config import get_settings
from chalicelib.services.exports import MAX_RECEIVES
from tests.functional.conftest import new_client
from tests.functional.relations_helpers import add_activity, add_tag, add_task, ok
from tests.helpers import Api

MADRID = ZoneInfo("Europe/Madrid")
DANGEROUS = ["=1+2", "+34 evil", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "\nLF"]


def export(api: Api, entity: str, fmt: str = "xlsx", **filters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"entity": entity, "format": fmt}
    if filters:
        body["filters"] = filters
    return dict(ok(api.post("/exports", body), 201))


def s3_object(url: str) -> bytes:
    """The object a presigned URL names (virtual-host or path style)."""
    parsed = urlparse(url)
    bucket, path = get_settings().export_bucket, unquote(parsed.path.lstrip("/"))
    if parsed.netloc.startswith(f"{bucket}."):
        key = path
    else:
        assert path.startswith(f"{bucket}/"), url
        key = path.removeprefix(f"{bucket}/")
    assert key.startswith("exports/acme/")
    body: bytes = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def workbook(job: dict[str, Any]) -> Any:
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(s3_object(job["download_url"])))


def csv_rows(job: dict[str, Any]) -> list[list[str]]:
    raw = s3_object(job["download_url"])
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def sheet_rows(job: dict[str, Any]) -> list[tuple[Any, ...]]:
    return list(workbook(job).active.iter_rows(values_only=True))


def by_header(rows: list[Any], header: str) -> list[Any]:
    col = list(rows[0]).index(header)
    return [r[col] for r in rows[1:]]


# --- the workbook ----------------------------------------------------------------------------


def define_field(api: Api, key: str, label: str, kind: str = "text") -> None:
    ok(api.post("/settings/custom-fields", {"key": key, "label": label, "type": kind}), 201)


def test_a_clients_workbook_is_typed_frozen_filtered_and_in_the_tenants_language(team):
    admin = team["u-admin"]
    vip = add_tag(admin, "VIP")
    add_tag(admin, "Newsletter")
    define_field(admin, "school", "Escuela")
    define_field(admin, "budget", "Presupuesto", "number")
    define_field(admin, "signed", "Firmado", "date")
    ana = new_client(
        admin,
        name="Ana García",
        email="ana@example.com",
        stars=2,
        source="web",
        custom={"budget": 1500.5, "school": "Norte", "signed": "2026-02-01"},
        owner_id="u-luis",
    )
    new_client(admin, name="Bruno Díaz", custom={"school": "Sur"})
    ok(admin.put(f"/clients/{ana['id']}/tags", {"tag_ids": [vip["id"]]}))

    job = export(admin, "clients")
    assert job["state"] == "done" and job["rows"] == 2
    assert job["entity"] == "clients" and job["format"] == "xlsx"
    assert job["created_by"] == "u-admin"
    today = datetime.now(MADRID).date()
    assert job["file_name"] == f"clientes-{today.isoformat()}.xlsx"

    book = workbook(job)
    ws = book.active
    assert ws.title == "Clientes"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A1:")
    rows = list(ws.iter_rows(values_only=True))
    headers = list(rows[0])
    assert headers[:3] == ["Número", "Nombre", "Razón social"]
    assert {"Etiquetas", "Alta", "Etapa", "Origen"} <= set(headers)
    assert headers[-3:] == ["Escuela", "Presupuesto", "Firmado"]  # each custom field, labelled
    ana_row = next(r for r in rows[1:] if r[1] == "Ana García")
    cell = dict(zip(headers, ana_row, strict=True))
    assert cell["Número"] == ana["number"] and isinstance(cell["Número"], int)
    assert cell["Estrellas"] == 2
    assert cell["Presupuesto"] == 1500.5 and cell["Escuela"] == "Norte"
    assert cell["Firmado"] == datetime(2026, 2, 1)  # a date cell
    assert cell["Etapa"] == "Contacto" and cell["Origen"] == "Web"  # the organisation's words
    assert cell["Etiquetas"] == "VIP"
    assert cell["Tipo"] == "lead" and cell["Estado"] == "activo"
    assert cell["Responsable"] == "Luis Pérez"
    assert isinstance(cell["Alta"], datetime)  # a real date, in the tenant's wall clock
    madrid = datetime.fromisoformat(ana["created_at"]).astimezone(MADRID)
    assert cell["Alta"] == madrid.replace(tzinfo=None, microsecond=0)
    widths = {ws.column_dimensions[c].width for c in ("A", "B", "D")}
    assert all(w and w >= 8 for w in widths)


def test_headers_follow_the_organisations_language(team):
    admin = team["u-admin"]
    ok(admin.patch("/settings", {"language": "en"}))
    new_client(admin, name="Ana")
    job = export(admin, "clients")
    assert job["file_name"].startswith("clients-") and job["file_name"].endswith(".xlsx")
    rows = sheet_rows(job)
    assert list(rows[0][:2]) == ["Number", "Name"]
    assert workbook(job).active.title == "Clients"
    assert by_header(rows, "Status") == ["active"]


def test_text_that_looks_like_a_formula_stays_text_in_xlsx_and_csv(team):
    admin = team["u-admin"]
    define_field(admin, "note", "note")
    for i, text in enumerate(DANGEROUS):
        new_client(admin, name=f"Client {i}", notes=text, custom={"note": text})

    rows = sheet_rows(export(admin, "clients"))
    book = workbook(export(admin, "clients"))
    for row in book.active.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.value  # never a formula
    # As typed, and always a text cell. A CR is stored as Excel's escape _x000D_ (XML would
    # turn a bare CR into LF); Excel decodes it, openpyxl leaves it as it is.
    as_read = sorted(t.replace("\r", "_x000D_") for t in DANGEROUS)
    assert sorted(by_header(rows, "Notas")) == as_read
    stripped = sorted(t.strip() for t in DANGEROUS)  # custom text values are stored stripped
    assert sorted(by_header(rows, "note")) == stripped
    for row in book.active.iter_rows(min_row=2):
        assert all(c.data_type == "s" for c in row if isinstance(c.value, str))

    table = csv_rows(export(admin, "clients", "csv"))
    legal = by_header(table, "Notas")
    assert sorted(legal) == sorted("'" + t for t in DANGEROUS)
    quoted = sorted(("'" + t if t[0] in "=+-@" else t) for t in stripped)
    assert sorted(by_header(table, "note")) == quoted
    assert all(not v.startswith(("=", "+", "-", "@", "\t", "\r", "\n")) for v in legal)
    assert by_header(table, "Número") == [str(n) for n in range(len(DANGEROUS), 0, -1)]


def test_client_filters_narrow_the_export(team):
    admin = team["u-admin"]
    new_client(admin, name="Lead One")
    new_client(admin, name="Vip One", type="vip")
    new_client(admin, name="Vip Two", type="vip", status="inactive")
    job = export(admin, "clients", type="vip", status="active")
    assert job["rows"] == 1 and job["filters"] == {
        "type": "vip",
        "status": "active",
        "sort": "-created_at",
    }
    assert by_header(sheet_rows(job), "Nombre") == ["Vip One"]
    nothing = export(admin, "clients", q="nobody")
    assert nothing["rows"] == 0 and sheet_rows(nothing)[0][:2] == ("Número", "Nombre")
    assert len(sheet_rows(nothing)) == 1


# --- who sees what ---------------------------------------------------------------------------


def test_a_sales_user_exports_only_the_clients_they_can_see(team):
    admin, luis = team["u-admin"], team["u-luis"]
    new_client(luis, name="Luis's client")
    new_client(admin, name="Sara's client", owner_id="u-sara")
    assert by_header(sheet_rows(export(luis, "clients")), "Nombre") == ["Luis's client"]
    names = by_header(sheet_rows(export(admin, "clients")), "Nombre")
    assert sorted(names) == ["Luis's client", "Sara's client"]
    assert by_header(sheet_rows(export(team["u-manager"], "clients")), "Nombre") == names


def test_activities_export_hides_private_ones_and_unseen_clients_from_sales(team):
    admin, luis = team["u-admin"], team["u-luis"]
    mine = new_client(luis, name="Mine")
    theirs = new_client(admin, name="Theirs", owner_id="u-sara")
    add_activity(luis, mine["id"], notes="public of luis", at="2026-03-10T10:00:00Z")
    add_activity(
        admin,
        mine["id"],
        notes="private of the manager",
        private=True,
        responsible_id="u-manager",
        at="2026-03-11T10:00:00Z",
    )
    add_activity(luis, mine["id"], notes="private of luis", private=True, at="2026-03-12T10:00:00Z")
    add_activity(admin, theirs["id"], notes="on sara's client", at="2026-03-13T10:00:00Z")

    rows = sheet_rows(export(luis, "activities"))
    assert sorted(by_header(rows, "Notas")) == ["private of luis", "public of luis"]
    assert set(by_header(rows, "Cliente")) == {"Mine"}

    everything = sheet_rows(export(admin, "activities"))
    assert by_header(everything, "Notas") == [
        "public of luis",
        "private of the manager",
        "private of luis",
        "on sara's client",
    ]
    assert by_header(everything, "Cliente") == ["Mine", "Mine", "Mine", "Theirs"]
    assert by_header(everything, "Privada") == [False, True, True, False]
    assert by_header(everything, "Tipo") == ["llamada"] * 4
    when = by_header(everything, "Fecha")[0]
    assert when == datetime(2026, 3, 10, 11, 0)  # 10:00 UTC in Madrid, naive for Excel


def test_activities_and_tasks_take_a_period(team):
    admin = team["u-admin"]
    c = new_client(admin, name="Ana")
    for day in (9, 10, 11, 12):
        add_activity(admin, c["id"], notes=f"day {day}", at=f"2026-03-{day:02d}T12:00:00Z")
        add_task(admin, c["id"], description=f"due {day}", due_date=f"2026-03-{day:02d}")
    add_task(admin, c["id"], description="timed", due_at="2026-03-10T23:30:00Z")

    acts = sheet_rows(export(admin, "activities", **{"from": "2026-03-10", "to": "2026-03-11"}))
    assert by_header(acts, "Notas") == ["day 10", "day 11"]

    job = export(admin, "tasks", "xlsx", **{"from": "2026-03-10", "to": "2026-03-10"})
    tasks = sheet_rows(job)
    assert by_header(tasks, "Descripción") == ["due 10"]  # 23:30 UTC is the 11th in Madrid
    assert by_header(tasks, "Vence") == [datetime(2026, 3, 10)]
    assert by_header(tasks, "Estado") == ["pendiente"]

    later = sheet_rows(export(admin, "tasks", **{"from": "2026-03-11"}))
    assert by_header(later, "Descripción") == ["timed", "due 11", "due 12"]
    assert by_header(later, "Vence")[0] == datetime(2026, 3, 11, 0, 30)


def test_sales_tasks_export_covers_their_clients_only(team):
    admin, luis = team["u-admin"], team["u-luis"]
    mine = new_client(luis, name="Mine")
    theirs = new_client(admin, name="Theirs", owner_id="u-sara")
    add_task(luis, mine["id"], description="mine")
    add_task(admin, theirs["id"], description="not mine")
    table = csv_rows(export(luis, "tasks", "csv"))
    assert table[0][:2] == ["Vence", "Descripción"]
    assert by_header(table, "Descripción") == ["mine"]
    assert by_header(table, "Vence") == ["2026-03-10"]


# --- jobs, URLs, the queue ---------------------------------------------------------------------


def test_the_download_url_lasts_15_minutes_and_names_the_file(team):
    admin = team["u-admin"]
    new_client(admin)
    job = export(admin, "clients", "csv")
    again = ok(admin.get(f"/exports/{job['id']}"))
    assert again["state"] == "done" and again["rows"] == 1
    query = parse_qs(urlparse(again["download_url"]).query)
    assert query["X-Amz-Expires"] == ["900"]
    disposition = query["response-content-disposition"][0]
    assert disposition == f'attachment; filename="{again["file_name"]}"'
    assert again["file_name"].endswith(".csv")
    expires = datetime.fromisoformat(again["download_expires_at"])
    made = datetime.fromisoformat(again["finished_at"])
    assert 890 <= (expires - made).total_seconds() <= 3600
    assert s3_object(again["download_url"]).startswith(b"\xef\xbb\xbf")


def test_exports_are_listed_newest_first_own_ones_for_non_admins(team):
    admin, luis = team["u-admin"], team["u-luis"]
    new_client(luis)
    first = export(luis, "clients")
    second = export(admin, "clients", "csv")
    mine = ok(luis.get("/exports"))["items"]
    assert [j["id"] for j in mine] == [first["id"]]
    assert "download_url" in mine[0] and mine[0]["rows"] == 1
    everyone = ok(admin.get("/exports"))["items"]
    assert [j["id"] for j in everyone] == [second["id"], first["id"]]
    assert everyone[1]["created_by"] == "u-luis" and everyone[1]["created_by_name"] == "Luis Pérez"
    assert luis.get(f"/exports/{second['id']}").status == 404  # someone else's
    assert ok(admin.get(f"/exports/{first['id']}"))["download_url"]
    page = ok(admin.get("/exports?limit=1"))
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = ok(admin.get(f"/exports?limit=1&cursor={page['next_cursor']}"))
    assert [j["id"] for j in rest["items"]] == [first["id"]]


def queued_message(chalice_client: Any) -> dict[str, Any]:
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="crm-exports")["QueueUrl"]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(got) == 1
    return dict(json.loads(got[0]["Body"]))


def test_a_large_export_is_queued_and_written_by_the_worker(team, chalice_client):
    admin = team["u-admin"]
    for i in range(3):
        new_client(admin, name=f"Client {i}")
    deps.export_service().inline_max_rows = 2  # three clients count as large
    r = admin.post("/exports", {"entity": "clients", "format": "xlsx"})
    assert r.status == 202, r
    job = r.body
    assert job["state"] == "queued" and job["download_url"] is None
    assert r.headers["Location"] == f"/exports/{job['id']}"
    assert ok(admin.get(f"/exports/{job['id']}"))["state"] == "queued"

    message = queued_message(chalice_client)
    assert message == {"tenant": "acme", "job": job["id"]}
    event = chalice_client.events.generate_sqs_event(
        message_bodies=[json.dumps(message)], queue_name="crm-exports"
    )
    chalice_client.lambda_.invoke("export_worker", event)
    done = ok(admin.get(f"/exports/{job['id']}"))
    assert done["state"] == "done" and done["rows"] == 3
    assert len(sheet_rows(done)) == 4
    chalice_client.lambda_.invoke("export_worker", event)  # redelivered: nothing changes
    assert ok(admin.get(f"/exports/{job['id']}"))["finished_at"] == done["finished_at"]


def test_a_worker_failure_is_retried_then_recorded(team, chalice_client):
    admin = team["u-admin"]
    new_client(admin)
    service = deps.export_service()
    service.inline_max_rows = 0
    job = ok(admin.post("/exports", {"entity": "clients"}), 202)
    message = queued_message(chalice_client)

    boto3.client("s3").delete_bucket(Bucket=get_settings().export_bucket)  # uploads now fail
    event = chalice_client.events.generate_sqs_event(
        message_bodies=[json.dumps(message)], queue_name="crm-exports"
    )
    with pytest.raises(Exception, match="NoSuchBucket"):
        chalice_client.lambda_.invoke("export_worker", event)
    retry = ok(admin.get(f"/exports/{job['id']}"))
    assert retry["state"] == "queued" and "NoSuchBucket" in retry["error"]  # to be retried

    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = "3"
    chalice_client.lambda_.invoke("export_worker", event)
    failed = ok(admin.get(f"/exports/{job['id']}"))
    assert failed["state"] == "failed" and failed["download_url"] is None
    assert failed["finished_at"]


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"entity": "deals"}, "entity"),
        ({"format": "xlsx"}, "entity"),
        ({"entity": "clients", "format": "pdf"}, "format"),
        ({"entity": "clients", "filters": {"type": "emperor"}}, "filters.type"),
        ({"entity": "clients", "filters": {"colour": "red"}}, "filters.colour"),
        ({"entity": "clients", "filters": {"created_from": "yesterday"}}, "filters.created_from"),
        ({"entity": "activities", "filters": {"from": "2026-13-01"}}, "filters.from"),
        ({"entity": "tasks", "filters": {"type": "vip"}}, "filters.type"),
        ({"entity": "tasks", "filters": {"from": "2026-03-02", "to": "2026-03-01"}}, "filters"),
        ({"entity": "clients", "extra": 1}, "extra"),
        ({"entity": "clients", "filters": "type=vip"}, "filters"),
    ],
)
def test_bad_requests_are_400_naming_the_field(api, body, field):
    r = api.post("/exports", body)
    assert r.status == 400, r
    assert field in [e["field"] for e in r.body["errors"]], r
    assert ok(api.get("/exports"))["items"] == []


def test_another_tenants_export_is_404(team, api):
    admin = team["u-admin"]
    new_client(admin)
    job = export(admin, "clients")
    stranger = api.as_("u-admin", "admin", tenant="globex")
    assert stranger.get(f"/exports/{job['id']}").status == 404
    assert ok(stranger.get("/exports"))["items"] == []
    assert stranger.get("/exports/no#such").status == 404


def run_worker(chalice_client: Any) -> None:
    event = chalice_client.events.generate_sqs_event(
        message_bodies=[json.dumps(queued_message(chalice_client))], queue_name="crm-exports"
    )
    chalice_client.lambda_.invoke("export_worker", event)


def test_the_worker_keeps_the_askers_visibility(team, chalice_client):
    admin, luis = team["u-admin"], team["u-luis"]
    mine = new_client(luis, name="Mine")
    theirs = new_client(admin, name="Theirs", owner_id="u-sara")
    add_activity(luis, mine["id"], notes="seen", at="2026-03-10T10:00:00Z")
    add_activity(admin, mine["id"], notes="private", private=True, responsible_id="u-manager")
    add_activity(admin, theirs["id"], notes="unseen", at="2026-03-10T11:00:00Z")
    deps.export_service().inline_max_rows = 2  # three activities in the tenant: queued
    job = ok(luis.post("/exports", {"entity": "activities", "format": "csv"}), 202)
    run_worker(chalice_client)
    done = ok(luis.get(f"/exports/{job['id']}"))
    assert done["state"] == "done" and done["rows"] == 1
    assert by_header(csv_rows(done), "Notas") == ["seen"]


def test_a_period_counts_for_the_estimate(team, chalice_client):
    admin = team["u-admin"]
    c = new_client(admin)
    for day in (1, 2, 3):
        add_task(admin, c["id"], description=f"due {day}", due_date=f"2026-04-0{day}")
    deps.export_service().inline_max_rows = 2
    narrow = {"entity": "tasks", "filters": {"from": "2026-04-02"}}
    assert ok(admin.post("/exports", narrow), 201)["rows"] == 2  # two in the period: at once
    wide = ok(admin.post("/exports", {"entity": "tasks"}), 202)
    run_worker(chalice_client)
    assert ok(admin.get(f"/exports/{wide['id']}"))["rows"] == 3


def test_an_export_reads_by_key_never_scans(team, dynamo_calls):
    admin = team["u-admin"]
    tag = add_tag(admin, "VIP")
    for i in range(3):
        c = new_client(admin, name=f"C{i}")
        add_activity(admin, c["id"])
        ok(admin.put(f"/clients/{c['id']}/tags", {"tag_ids": [tag["id"]]}))
    dynamo_calls.clear()
    for entity in ("clients", "activities", "tasks"):
        export(admin, entity)
    assert "Scan" not in dynamo_calls
    assert set(dynamo_calls) <= {"GetItem", "Query", "BatchGetItem", "PutItem"}


def test_the_backfill_gives_older_records_their_export_keys(team):
    from chalicelib.adapters.exports_repo import backfill_export_keys

    admin = team["u-admin"]
    c = new_client(admin, name="Old")
    add_activity(admin, c["id"], notes="old call")
    add_task(admin, c["id"], description="old task")
    table = boto3.client("dynamodb")
    name = get_settings().table_name
    for item in table.scan(TableName=name)["Items"]:  # as written before exports existed
        kind = item["entity"]["S"]
        if kind in ("activity", "task"):
            gone = "GSI1PK, GSI1SK" if kind == "activity" else "GSI3PK, GSI3SK"
            key = {"PK": item["PK"], "SK": item["SK"]}
            table.update_item(TableName=name, Key=key, UpdateExpression=f"REMOVE {gone}")
    assert export(admin, "activities")["rows"] == 0
    assert export(admin, "tasks")["rows"] == 0

    assert backfill_export_keys() == 2
    assert backfill_export_keys() == 0  # again: nothing left to do
    assert by_header(sheet_rows(export(admin, "activities")), "Notas") == ["old call"]
    assert by_header(sheet_rows(export(admin, "tasks")), "Descripción") == ["old task"]


def test_an_inline_export_that_cannot_be_stored_is_recorded_failed(team):
    admin = team["u-admin"]
    new_client(admin)
    boto3.client("s3").delete_bucket(Bucket=get_settings().export_bucket)
    r = admin.post("/exports", {"entity": "clients"})
    assert r.status == 500, r
    [job] = ok(admin.get("/exports"))["items"]
    assert job["state"] == "failed" and "NoSuchBucket" in job["error"]


def test_the_export_queue_outlasts_its_worker():
    from local.infra import resources, template

    root = Path(__file__).resolve().parents[2]
    config = json.loads((root / ".chalice" / "config.json").read_text())
    worker = config["lambda_functions"]["export_worker"]
    queue = resources("AWS::SQS::Queue")["ExportQueue"]
    assert queue["QueueName"] == "crm-exports"
    assert queue["VisibilityTimeout"] >= worker["lambda_timeout"]  # no second worker meanwhile
    assert queue["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVES
    access = template()["Resources"]["CrmExportAccess"]["Properties"]
    assert {"Ref": "ExportWorkerRole"} in access["Roles"]
    assert template()["Globals"]["Function"]["Environment"]["Variables"]["EXPORT_QUEUE_URL"] == {
        "Ref": "ExportQueue"
    }


def test_a_sales_user_exports_their_groups_clients_too_even_when_queued(team, chalice_client):
    admin, luis = team["u-admin"], team["u-luis"]
    north = ok(admin.post("/groups", {"name": "North", "user_ids": ["u-luis"]}), 201)
    grouped = new_client(admin, name="In North", owner_id="u-sara", group_id=north["id"])
    new_client(admin, name="Sara only", owner_id="u-sara")
    new_client(luis, name="Luis own")
    add_task(admin, grouped["id"], description="north task")
    names = by_header(sheet_rows(export(luis, "clients")), "Nombre")
    assert sorted(names) == ["In North", "Luis own"]
    assert by_header(sheet_rows(export(luis, "clients", group=north["id"])), "Nombre") == [
        "In North"
    ]
    assert by_header(sheet_rows(export(luis, "tasks")), "Descripción") == ["north task"]

    deps.export_service().inline_max_rows = 1  # the worker rebuilds luis with his groups
    job = ok(luis.post("/exports", {"entity": "clients"}), 202)
    run_worker(chalice_client)
    assert sorted(by_header(sheet_rows(ok(luis.get(f"/exports/{job['id']}"))), "Nombre")) == [
        "In North",
        "Luis own",
    ]


def test_records_of_a_deleted_client_left_behind_are_not_exported(team):
    admin = team["u-admin"]
    gone, kept = new_client(admin, name="Gone"), new_client(admin, name="Kept")
    add_activity(admin, gone["id"], notes="orphan")
    add_activity(admin, kept["id"], notes="kept")
    key = {"PK": {"S": f"T#acme#C#{gone['id']}"}, "SK": {"S": "#CLIENT"}}
    boto3.client("dynamodb").delete_item(TableName=get_settings().table_name, Key=key)
    assert by_header(sheet_rows(export(admin, "activities")), "Notas") == ["kept"]


def test_an_idempotency_key_replays_the_first_export(team):
    admin, luis = team["u-admin"], team["u-luis"]
    new_client(admin)
    body = {"entity": "clients", "format": "csv"}
    key = {"Idempotency-Key": "export-1"}
    first = ok(admin.post("/exports", body, headers=key), 201)
    again = ok(admin.post("/exports", body, headers=key), 201)
    assert again["id"] == first["id"] and again["finished_at"] == first["finished_at"]
    assert again["download_url"]
    assert len(ok(admin.get("/exports"))["items"]) == 1
    other = admin.post("/exports", {"entity": "tasks"}, headers=key)
    assert other.status == 422, other
    assert ok(luis.post("/exports", body, headers=key), 201)["id"] != first["id"]  # per user
    bad = admin.post("/exports", body, headers={"Idempotency-Key": "no spaces"})
    assert bad.status == 400 and bad.body["errors"][0]["field"] == "Idempotency-Key"
