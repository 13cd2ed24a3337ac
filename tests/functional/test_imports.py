"""Bulk import through the API and the import queue, on moto."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.conftest import new_client
from tests.functional.imports_helpers import (
    job,
    result_rows,
    run_import,
    service,
    xlsx,
)
from tests.helpers import Api

HEAD = ["Nombre", "Razón social", "E-mail", "Teléfono", "Tipo", "Etapa"]


def test_a_workbook_creates_clients_and_explains_every_row(
    api: Api, team: Any, chalice_client: Any
):
    rows = [
        [*HEAD, "Color favorito"],
        [
            "Ana García",
            "Ana SL",
            "ana@example.com",
            "+34 600 112 233",
            "cliente",
            "contact",
            "azul",
        ],
        ["Bruno Díaz", None, "bruno@example.com", "600112234", "lead", "won", None],
        ["", None, "nadie@example.com", None, None, None, None],
        ["Carla", None, "not-an-email", None, None, None, None],
    ]
    body = run_import(api, chalice_client, rows)
    assert body["state"] == "done", body
    assert body["rows_total"] == 4
    assert body["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 2}
    assert any("Color favorito" in w for w in body["warnings"])
    clients = api.get("/clients").body["items"]
    by_name = {c["name"]: c for c in clients}
    assert set(by_name) == {"Ana García", "Bruno Díaz"}
    assert by_name["Ana García"]["phone"] == "+34600112233"
    assert by_name["Ana García"]["type"] == "client"
    assert by_name["Bruno Díaz"]["stage"] == "won"
    result = result_rows(body)
    assert result[0][-3:] == ["Resultado", "Id de cliente", "Errores"]
    assert [r[-3] for r in result[1:]] == ["created", "created", "failed", "failed"]
    assert "E-mail" in result[4][-1]


def test_upsert_matches_by_number_email_and_phone_in_the_order_given(
    api: Api, team: Any, chalice_client: Any
):
    a = new_client(api, name="Ana", email="ana@example.com", phone="+34600112233", stars=1)
    b = new_client(api, name="Bruno", email="bruno@example.com", notes="keep")
    c = new_client(api, name="Carla", phone="+34600112235")
    rows = [
        ["Número", "Email", "Teléfono", "Estrellas", "Notas"],
        [a["number"], None, None, 3, None],
        [None, "BRUNO@example.com", None, 2, None],
        [None, None, "600 11 22 35", None, "por teléfono"],
        [None, "nueva@example.com", None, 1, None],
    ]
    body = run_import(api, chalice_client, rows, mode="upsert")
    assert body["state"] == "done", body
    # the last row matches nobody and has no name: reported, not guessed
    assert body["counts"] == {"created": 0, "updated": 3, "unchanged": 0, "failed": 1}
    assert api.get(f"/clients/{a['id']}").body["stars"] == 3
    after_b = api.get(f"/clients/{b['id']}").body
    assert (after_b["stars"], after_b["notes"]) == (2, "keep")  # only the columns present
    assert api.get(f"/clients/{c['id']}").body["notes"] == "por teléfono"
    events = api.get(f"/clients/{a['id']}/timeline").body["items"]
    assert events[0]["action"] == "imported"
    assert events[0]["changes"]["stars"] == {"before": 1, "after": 3}


def test_upsert_tries_the_match_keys_in_order_and_unchanged_rows_write_nothing(
    api: Api, team: Any, chalice_client: Any
):
    a = new_client(api, name="Ana", email="ana@example.com")
    b = new_client(api, name="Bea", phone="+34600112233")
    rows = [["Nombre", "Email", "Teléfono"], ["Ana", "ana@example.com", "+34600112299"]]
    body = run_import(api, chalice_client, rows, mode="upsert", match_on=["email", "phone"])
    assert body["counts"]["updated"] == 1
    assert api.get(f"/clients/{a['id']}").body["phone"] == "+34600112299"
    rows = [["Nombre", "Email", "Teléfono"], ["Bea", "bea@example.com", "+34600112233"]]
    body = run_import(api, chalice_client, rows, mode="upsert", match_on=["phone", "email"])
    assert body["counts"]["updated"] == 1
    assert api.get(f"/clients/{b['id']}").body["email"] == "bea@example.com"
    body = run_import(api, chalice_client, rows, mode="upsert", match_on=["phone"])
    assert body["counts"] == {"created": 0, "updated": 0, "unchanged": 1, "failed": 0}


def test_create_mode_reports_clients_that_exist_as_duplicates(
    api: Api, team: Any, chalice_client: Any
):
    new_client(api, name="Ana", email="ana@example.com")
    rows = [
        ["Nombre", "Email"],
        ["Ana otra vez", "ana@example.com"],
        ["Nuevo", "nuevo@example.com"],
    ]
    body = run_import(api, chalice_client, rows)
    assert body["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "failed": 1}
    result = result_rows(body)
    assert result[1][2] == "failed" and "Ana" in result[1][4]


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "worker-processes"])
def test_two_rows_of_one_client_are_reported_not_both_written(
    api: Api, team: Any, chalice_client: Any, monkeypatch: pytest.MonkeyPatch, workers: int
):
    # Big files are validated in worker processes: the same rows are found the same.
    monkeypatch.setattr(service(), "workers", workers)
    monkeypatch.setattr(service(), "parallel_min_rows", 1)
    rows = [
        ["Name", "Email", "Phone"],
        ["Ana", "ana@example.com", None],
        ["Ana García", "ANA@example.com ", None],
        ["Bruno", None, "+34 600 112 233"],
        ["Bruno bis", None, "600112233"],
    ]
    body = run_import(api, chalice_client, rows)
    assert body["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 2}
    names = sorted(c["name"] for c in api.get("/clients").body["items"])
    assert names == ["Ana", "Bruno"]
    result = result_rows(body)
    assert "same client as row 2" in result[2][-1]
    assert "same client as row 4" in result[4][-1]


def test_phones_keep_plus_and_leading_zeros_and_dates_work_as_cells_or_text(
    api: Api, chalice_client: Any
):
    from datetime import date, datetime

    api.patch("/settings", {"default_phone_region": "AR"})
    for key, label in (("alta", "Fecha de alta"), ("renovacion", "Renovación")):
        r = api.post("/settings/custom-fields", {"key": key, "label": label, "type": "date"})
        assert r.status == 201, r
    rows = [
        ["Nombre", "Teléfono", "fecha de ALTA", "campo:renovacion"],
        ["Texto con cero", "011 4321-5678", date(2026, 3, 1), "2026-04-02"],
        ["Número", 1143215679, datetime(2026, 3, 1, 0, 0), None],
    ]
    body = run_import(api, chalice_client, xlsx(rows, text_columns=(1,)))
    assert body["counts"]["created"] == 2, body
    clients = {c["name"]: c for c in api.get("/clients").body["items"]}
    assert clients["Texto con cero"]["phone"] == "+541143215678"
    assert clients["Texto con cero"]["phone_display"] == "011 4321-5678"
    assert clients["Texto con cero"]["custom"] == {"alta": "2026-03-01", "renovacion": "2026-04-02"}
    assert clients["Número"]["custom"] == {"alta": "2026-03-01"}
    warning = result_rows(body)[2][-1]
    assert "leading zeros" in warning


def test_formulas_are_read_as_cached_values_or_the_row_is_rejected(api: Api, chalice_client: Any):
    rows = [["Nombre", "Estrellas"], ["Con fórmula", "=1+1"], ["Sin fórmula", 1]]
    # openpyxl writes formulas without a cached value: that row must be rejected
    body = run_import(api, chalice_client, rows)
    assert body["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "failed": 1}
    assert "formula" in result_rows(body)[1][-1]
    cached = _with_cached_formula()
    body = run_import(api, chalice_client, cached)
    assert body["counts"]["created"] == 1, body
    names = {c["name"]: c for c in api.get("/clients").body["items"]}
    assert names["Cacheada"]["stars"] == 2


def _with_cached_formula() -> bytes:
    """A workbook whose formula cell carries the value Excel saved with it."""
    import io
    import zipfile

    source = xlsx([["Nombre", "Estrellas"], ["Cacheada", 99]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b'<c r="B2" t="n"><v>99</v></c>', b'<c r="B2"><f>1+1</f><v>2</v></c>'
                )
                assert b"<f>1+1</f>" in data
            dst.writestr(info, data)
    return out.getvalue()


def test_csv_with_semicolons_and_a_bom(api: Api, chalice_client: Any):
    data = "\ufeffNombre;Correo;Teléfono\nAna;ana@example.com;+34 600 112 233\n".encode()
    body = run_import(api, chalice_client, data)
    assert (body["state"], body["file_format"], body["counts"]["created"]) == ("done", "csv", 1)
    assert api.get("/clients").body["items"][0]["email"] == "ana@example.com"


def test_dry_run_reports_and_writes_nothing(api: Api, team: Any, chalice_client: Any):
    a = new_client(api, name="Ana", email="ana@example.com", stars=1)
    rows = [
        ["Nombre", "Email", "Estrellas"],
        ["Ana", "ana@example.com", 3],
        ["Bea", "bea@example.com", 0],
    ]
    body = run_import(api, chalice_client, rows, mode="upsert", dry_run=True)
    assert body["counts"] == {"created": 1, "updated": 1, "unchanged": 0, "failed": 0}
    assert [c["name"] for c in api.get("/clients").body["items"]] == ["Ana"]
    assert api.get(f"/clients/{a['id']}").body["stars"] == 1
    assert body["undo_until"] is None


def test_redelivery_of_a_finished_job_does_nothing(api: Api, team: Any, chalice_client: Any):
    from tests.functional.imports_helpers import deliver, s3_event_json

    rows = [["Nombre"], ["Ana"], ["Bea"]]
    body = run_import(api, chalice_client, rows)
    assert body["counts"]["created"] == 2
    deliver(chalice_client, s3_event_json(f"uploads/acme/{body['id']}"))
    assert job(api, body["id"]) == body
    assert len(api.get("/clients").body["items"]) == 2


def test_new_clients_are_written_many_to_a_transaction(
    api: Api, chalice_client: Any, dynamo_calls: Any
):
    from tests.functional.imports_helpers import pending_messages, start, upload

    started = start(api)
    upload(
        started, xlsx([["Nombre", "Email"]] + [[f"C{i}", f"c{i}@example.com"] for i in range(24)])
    )
    message = pending_messages()[0]
    dynamo_calls.clear()
    from tests.functional.imports_helpers import deliver

    deliver(chalice_client, message)
    body = job(api, started["job"]["id"])
    assert body["counts"]["created"] == 24
    # a transaction holds up to 100 items: a client here is 8 (client, summary, event,
    # number, email, idempotency record, two search entries), so 12 a transaction, plus the
    # statistics; then the chunk with its checkpoint, and the job's three state changes
    # (validating, importing, done): six transactions, not 24 + 4
    assert dynamo_calls.count("TransactWriteItems") == 6
    numbers = sorted(c["number"] for c in api.get("/clients").body["items"])
    assert numbers == list(range(1, 25))


def test_when_a_validating_worker_dies_the_file_is_validated_in_process(
    api: Api, chalice_client: Any, monkeypatch: pytest.MonkeyPatch
):
    import os

    from chalicelib.services import imports

    parent, validate = os.getpid(), imports.IdentityTask.__call__

    def dies_in_a_worker(task: Any, rows: Any) -> Any:
        if os.getpid() != parent:
            os._exit(9)  # as a worker killed for memory would
        return validate(task, rows)

    monkeypatch.setattr(imports.IdentityTask, "__call__", dies_in_a_worker)
    monkeypatch.setattr(service(), "workers", 2)
    monkeypatch.setattr(service(), "parallel_min_rows", 1)
    rows = [["Name", "Email"], ["Ana", "ana@example.com"], ["Ana bis", "ANA@example.com"]]

    body = run_import(api, chalice_client, rows)

    assert body["state"] == "done"
    assert body["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "failed": 1}
    assert "same client as row 2" in result_rows(body)[2][-1]
