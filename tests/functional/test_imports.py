"""Bulk import through the API and the import queue, on moto."""

from __future__ import annotations

from typing import Any

from tests.functional.conftest import new_client
from tests.functional.imports_helpers import (
    job,
    pump,
    result_rows,
    run_import,
    start,
    upload,
    xlsx,
)
from tests.helpers import Api

HEAD = ["Nombre", "Razón social", "E-mail", "Teléfono", "Tipo", "Etapa"]


def test_a_workbook_creates_clients_and_explains_every_row(
    api: Api, team: Any, chalice_client: Any
):
    rows = [
        HEAD + ["Color favorito"],
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
