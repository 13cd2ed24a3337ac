"""Import jobs across cut-offs, crashes and redeliveries; undo; who may import; hostile files."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from chalicelib.api.imports import XLSX
from tests.functional.conftest import new_client
from tests.functional.imports_helpers import (
    deliver,
    job,
    pending_messages,
    pump,
    result_rows,
    run_import,
    s3_event_json,
    service,
    start,
    upload,
    xlsx,
)
from tests.helpers import Api


def _rows(n: int) -> list[list[Any]]:
    rows: list[list[Any]] = [["Nombre", "Email", "Estrellas"]]
    for i in range(n):
        rows.append([f"Cliente {i}", f"c{i}@example.com", i % 4])
    return rows


def test_a_job_cut_off_by_the_time_limit_continues_from_its_checkpoint(
    api: Api, team: Any, chalice_client: Any
):
    svc = service()
    svc.chunk_rows = 3
    svc.margin_ms = 10**9  # every invocation finds too little time left after one chunk
    started = start(api)
    upload(started, xlsx(_rows(10)))
    first = pending_messages()
    assert len(first) == 1
    deliver(chalice_client, first[0])
    partial = job(api, started["job"]["id"])
    assert (partial["state"], partial["rows_processed"], partial["rows_total"]) == (
        "importing",
        3,
        10,
    )
    delivered = pump(chalice_client)
    assert len(delivered) == 3  # one continuation per remaining chunk
    done = job(api, started["job"]["id"])
    assert done["state"] == "done"
    assert done["counts"] == {"created": 10, "updated": 0, "unchanged": 0, "failed": 0}
    assert len(api.get("/clients").body["items"]) == 10
    numbers = sorted(c["number"] for c in api.get("/clients").body["items"])
    assert numbers == list(range(1, 11))


class Crash(Exception):
    pass


def _existing(api: Api) -> None:
    for i in range(0, 8, 2):  # some rows' clients exist already: an upsert updates them
        new_client(api, name=f"Cliente {i}", email=f"c{i}@example.com", stars=3)


def _end_state(api: Api, done: dict[str, Any]) -> tuple[Any, ...]:
    clients = api.get("/clients").body["items"]
    state = sorted((c["number"], c["name"], c["email"], c["stars"]) for c in clients)
    outcomes = [r[3] for r in result_rows(done)[1:]]
    stats = api.get("/stats/clients").body
    assert stats["total"] == len(clients)
    return done["state"], done["counts"], done["rows_processed"], state, outcomes, stats


@pytest.mark.parametrize(
    ("mode", "existing", "deferred"),
    [
        ("create", True, True),
        ("upsert", True, True),
        ("create", False, True),
        ("create", False, False),
    ],
    ids=["create", "upsert", "create-new", "create-new-counted-per-transaction"],
)
def test_a_crash_after_writing_rows_but_before_recording_the_chunk_loses_and_doubles_nothing(
    api: Api,
    team: Any,
    chalice_client: Any,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    existing: bool,
    deferred: bool,
):
    """The end state, statistics included, equals a clean run's. New clients created
    together are counted with their chunk (kept on their idempotency records until then);
    a chunk with too many owners counts them in each transaction."""
    from chalicelib.services import imports

    if not deferred:
        monkeypatch.setattr(imports, "MAX_DEFERRED_OWNERS", 0)
    clean_api = api.as_("u-admin", "admin", tenant="clean")
    for where in [clean_api, api] if existing else []:
        _existing(where)
    clean = _end_state(clean_api, run_import(clean_api, chalice_client, _rows(10), mode=mode))

    svc = service()
    svc.chunk_rows = 4
    real_save = svc.repo.save_chunk
    calls = {"n": 0}

    def crash_on_second_chunk(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise Crash("the Lambda died here")
        real_save(*args, **kwargs)

    monkeypatch.setattr(svc.repo, "save_chunk", crash_on_second_chunk)
    started = start(api, mode=mode)
    upload(started, xlsx(_rows(10)))
    message = pending_messages()[0]
    with pytest.raises(Crash):
        svc.handle(json.loads(message), lambda: 900_000)
    partial = job(api, started["job"]["id"])
    assert (partial["state"], partial["rows_processed"]) == ("importing", 4)
    deliver(chalice_client, message)  # SQS redelivers the message
    deliver(chalice_client, message)  # and once more, after the job is done
    crashed = _end_state(api, job(api, started["job"]["id"]))
    assert crashed == clean
    assert len(crashed[3]) == 10 and len({c[2] for c in crashed[3]}) == 10
    assert crashed[5]["total"] == 10


def test_undo_deletes_created_clients_and_restores_changed_fields(
    api: Api, team: Any, chalice_client: Any
):
    kept = new_client(api, name="Ana", email="ana@example.com", stars=1, notes="original")
    api.post(f"/clients/{kept['id']}/notes", {"text": "una nota"})
    rows = [
        ["Nombre", "Email", "Estrellas", "Notas"],
        ["Ana", "ana@example.com", 3, "importada"],
        ["Bea", "bea@example.com", 2, None],
    ]
    done = run_import(api, chalice_client, rows, mode="upsert")
    assert done["counts"] == {"created": 1, "updated": 1, "unchanged": 0, "failed": 0}
    assert done["undo_until"] is not None
    manager = team["u-manager"]
    assert manager.post(f"/imports/{done['id']}/undo").status == 403
    r = api.post(f"/imports/{done['id']}/undo")
    assert r.status == 202 and r.body["state"] == "undoing", r
    pump(chalice_client)
    assert job(api, done["id"])["state"] == "undone"
    clients = api.get("/clients").body["items"]
    assert [c["name"] for c in clients] == ["Ana"]
    ana = api.get(f"/clients/{kept['id']}").body
    assert (ana["stars"], ana["notes"]) == (1, "original")
    assert len(api.get(f"/clients/{kept['id']}/notes").body["items"]) == 1
    assert api.post(f"/imports/{done['id']}/undo").status == 409


def test_who_may_import_and_see_imports(api: Api, team: Any, chalice_client: Any):
    luis, sara, manager = team["u-luis"], team["u-sara"], team["u-manager"]
    theirs = new_client(api, name="De Sara", email="sara1@example.com", owner_id="u-sara")
    rows = [
        ["Nombre", "Email", "Responsable"],
        ["Mío", "mio@example.com", None],
        ["Para Sara", "x@example.com", "u-sara"],
    ]
    done = run_import(luis, chalice_client, rows)
    assert done["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "failed": 1}
    mine = luis.get("/clients").body["items"]
    assert [(c["name"], c["owner_id"]) for c in mine] == [("Mío", "u-luis")]
    upsert = [["Email", "Estrellas"], ["sara1@example.com", 3]]
    blocked = run_import(luis, chalice_client, upsert, mode="upsert", match_on=["email"])
    assert blocked["counts"]["failed"] == 1
    assert "another responsible" in result_rows(blocked)[1][-1]
    assert api.get(f"/clients/{theirs['id']}").body["stars"] == 0
    by_admin = run_import(api, chalice_client, [["Nombre", "Responsable"], ["Para Sara", "u-sara"]])
    assert by_admin["counts"]["created"] == 1
    assert sara.get(f"/imports/{done['id']}").status == 404
    assert manager.get(f"/imports/{done['id']}").status == 200
    assert {j["id"] for j in luis.get("/imports").body["items"]} == {done["id"], blocked["id"]}
    assert len(api.get("/imports").body["items"]) == 3
    other = api.as_("u-admin", "admin", tenant="other")
    assert other.get(f"/imports/{done['id']}").status == 404
    assert other.get("/imports").body["items"] == []


def test_bad_requests_name_the_field(api: Api):
    r = api.post("/imports", {"entity": "deals"})
    assert r.status == 400 and r.body["errors"][0]["field"] == "entity"
    r = api.post("/imports", {"mode": "merge"})
    assert r.status == 400 and r.body["errors"][0]["field"] == "mode"
    r = api.post("/imports", {"match_on": ["name"]})
    assert r.status == 400 and r.body["errors"][0]["field"].startswith("match_on")
    assert api.get("/imports/template?lang=fr").status == 400
    assert api.get("/imports/nope#").status == 404


def test_the_upload_form_limits_the_size(api: Api):
    started = start(api)
    policy = started["upload"]["fields"]["policy"]
    import base64
    import json

    conditions = json.loads(base64.b64decode(policy))["conditions"]
    assert ["content-length-range", 1, 50 * 1024 * 1024] in conditions
    assert started["max_bytes"] == 50 * 1024 * 1024
    assert started["job"]["state"] == "waiting_upload"


def test_the_template_has_headers_example_dropdowns_and_help(api: Api):
    from openpyxl import load_workbook

    field = {"key": "talla", "label": "Talla", "type": "text"}
    assert api.post("/settings/custom-fields", field).status == 201

    for lang, name_header, type_choice in (
        ("es", "Nombre", "prospecto"),
        ("en", "Name", "prospect"),
    ):
        reply = api.client.http.request(
            "GET",
            f"/imports/template?entity=clients&lang={lang}",
            headers={"Authorization": f"Bearer {api.token}", "Accept": XLSX},
        )
        assert reply.status_code == 200
        assert {k.lower(): v for k, v in reply.headers.items()}["content-type"] == XLSX
        raw = reply.body
        book = load_workbook(io.BytesIO(raw))
        sheet = book.worksheets[0]
        headers = [c.value for c in sheet[1]]
        assert name_header in headers and sheet.cell(row=2, column=2).value
        assert headers[-1] == "Talla"
        lists = book.worksheets[1]
        values = {c.value for col in lists.iter_cols() for c in col}
        assert type_choice in values and "referral" in values
        validations = sheet.data_validations.dataValidation
        assert len(validations) == 5  # type, kind, stage, source, status
        assert book.worksheets[2].max_row == len(headers) + 1


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _replace_member(source: bytes, name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(source)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info.filename, data if info.filename == name else src.read(info))
    return out.getvalue()


BOMB_XML = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;">]><workbook>&lol2;</workbook>'
)


def _hostile() -> dict[str, tuple[bytes, str]]:
    good = xlsx([["Nombre"], ["Ana"]])
    return {
        "renamed binary": (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 10, "neither"),
        "zip but not a workbook": (_zip({"hello.txt": b"hi"}), "not an Excel workbook"),
        "encrypted": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "password"),
        "zip bomb": (
            _replace_member(good, "xl/worksheets/sheet1.xml", b"<a>" + b"0" * 30_000_000 + b"</a>"),
            "zip bomb",
        ),
        "entity expansion": (_replace_member(good, "xl/workbook.xml", BOMB_XML), "DTD"),
        "too many columns": (xlsx([[f"c{i}" for i in range(201)], ["x"] * 201]), "columns"),
        "cell too long": (csv_long(), "32,767"),
        "damaged zip": (good[: len(good) // 2], "not a readable"),
    }


def csv_long() -> bytes:
    return b"Nombre,Notas\nAna," + b"x" * 40_000 + b"\n"


@pytest.mark.parametrize("kind", list(_hostile()))
def test_hostile_files_fail_the_job_with_a_clear_error(api: Api, chalice_client: Any, kind: str):
    data, expected = _hostile()[kind]
    body = run_import(api, chalice_client, data)
    assert body["state"] == "failed", body
    assert expected in body["error"], body["error"]
    assert api.get("/clients").body["items"] == []


def test_a_file_without_a_name_column_fails_and_unknown_uploads_are_ignored(
    api: Api, chalice_client: Any
):
    body = run_import(api, chalice_client, [["Email"], ["a@example.com"]])
    assert body["state"] == "failed" and "name" in body["error"]
    deliver(chalice_client, s3_event_json("uploads/acme/unknownjob"))
    deliver(chalice_client, '{"Event": "s3:TestEvent"}')
    deliver(chalice_client, s3_event_json("elsewhere/x"))


def test_a_file_replaced_during_the_import_fails_the_job(api: Api, team: Any, chalice_client: Any):
    svc = service()
    svc.chunk_rows = 2
    svc.margin_ms = 10**9
    started = start(api)
    upload(started, xlsx(_rows(6)))
    deliver(chalice_client, pending_messages()[0])
    assert job(api, started["job"]["id"])["rows_processed"] == 2
    upload(started, xlsx(_rows(3)))  # the same presigned form, used again
    pump(chalice_client)
    body = job(api, started["job"]["id"])
    assert body["state"] == "failed" and "replaced" in body["error"], body
    assert body["rows_processed"] == 2


def test_a_chunk_whose_changes_outgrow_one_record_leaves_its_other_rows_to_the_next(
    api: Api, chalice_client: Any
):
    """A chunk's outcomes (with each update's before/after, kept for undo) must fit one
    DynamoDB item: a chunk of long changes stops early, and its remaining rows are the next
    chunk's, none lost."""
    rows: list[list[Any]] = [["Nombre", "Email"]]
    rows += [[f"Cliente {i}", f"c{i}@example.com"] for i in range(30)]
    assert run_import(api, chalice_client, rows)["counts"]["created"] == 30
    notes = [["Email", "Notas"]]
    notes += [[f"c{i}@example.com", f"{i} " + "x" * 9_990] for i in range(30)]
    service().margin_ms = -(10**9)  # plenty of time (whatever the test context says): one run
    started = start(api, mode="upsert", match_on=["email"])
    upload(started, xlsx(notes))

    delivered = pump(chalice_client)

    assert len(delivered) == 1  # one run, no failed delivery to retry
    body = job(api, started["job"]["id"])
    assert body["state"] == "done", body
    assert body["counts"] == {"created": 0, "updated": 30, "unchanged": 0, "failed": 0}
    stored = api.get("/clients?limit=100").body["items"]
    assert sorted(int(c["notes"].split()[0]) for c in stored) == list(range(30))
    assert [r[2] for r in result_rows(body)[1:]] == ["updated"] * 30
