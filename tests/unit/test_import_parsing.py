"""Header matching and row reading of bulk imports (pure rules, no AWS)."""

from __future__ import annotations

from datetime import date, datetime

from chalicelib.domain.clients import ClientCreate
from chalicelib.domain.import_jobs import match_headers, missing_required, read_row, validate_row


def test_headers_match_in_spanish_or_english_ignoring_case_accents_and_punctuation():
    columns = match_headers(
        ["RAZON SOCIAL", "Teléfono", "E-mail", "nombre", "Nº", "código postal", "Móvil", "Zip"]
    )
    assert columns.fields == [
        "legal_name",
        "phone",
        "email",
        "name",
        "number",
        "address.postal_code",
        None,  # a second phone column
        None,  # a second postal code column
    ]
    assert any("Móvil" in w and "Teléfono" in w for w in columns.warnings)


def test_unknown_columns_are_warnings_and_result_columns_are_ignored():
    columns = match_headers(["Name", "Shoe size", "Resultado", "Errors", "campo:talla"])
    assert columns.fields == ["name", None, None, None, "custom.talla"]
    assert columns.warnings == ["column 'Shoe size' is not a client field; it was not imported"]


def test_a_create_needs_a_name_column_and_an_upsert_a_match_column():
    assert missing_required(match_headers(["Email"]), "create", ["email"])
    assert missing_required(match_headers(["Email"]), "upsert", ["email"]) is None
    assert missing_required(match_headers(["Stars"]), "upsert", ["email"])


def test_cells_become_api_values():
    fields = match_headers(
        ["Nombre", "Tipo", "Clase", "Estado", "Estrellas", "Teléfono", "Ciudad", "campo:alta"]
    ).fields
    row = read_row(
        fields,
        [
            "Ana",
            "Cliente",
            "colaborador",
            "INACTIVO",
            2.0,
            34600112233.0,
            "Sevilla",
            date(2026, 1, 2),
        ],
    )
    assert row.values == {
        "name": "Ana",
        "type": "client",
        "kind": "collaborator",
        "status": "inactive",
        "stars": 2,
        "phone": "34600112233",
        "address": {"city": "Sevilla"},
        "custom": {"alta": "2026-01-02"},
    }
    assert "leading zeros" in row.warnings[0]
    assert read_row(
        fields, ["Ana", None, None, None, None, "+34 600", None, datetime(2026, 1, 2, 9, 30)]
    ).values["custom"] == {"alta": "2026-01-02T09:30:00"}


def test_rows_are_validated_by_the_api_models_and_give_their_identity():
    fields = match_headers(["Número", "Nombre", "Email", "Teléfono", "Estrellas"]).fields
    model, problems, identity = validate_row(
        read_row(fields, [7, "Ana", "Ana@Example.COM", "600 11 22 33", 1]), "upsert", "ES"
    )
    assert isinstance(model, ClientCreate) and not problems
    assert identity == {"number": "7", "email": "ana@example.com", "phone": "+34600112233"}
    model, problems, _ = validate_row(
        read_row(fields, ["x", "", "not-mail", "12", 9]), "create", "ES"
    )
    assert model is None
    assert {p.field for p in problems} >= {"number", "name", "email", "stars"}


def test_text_cells_are_trimmed_and_blank_ones_change_nothing():
    fields = match_headers(
        ["Nombre", "Etapa", "Tipo", "Estrellas", "Calle", "Ciudad", "Teléfono", "Notas", "campo x"]
    ).fields
    row = read_row(
        fields,
        ["  Ana  ", " contact ", " Prospecto ", " 3 ", "   ", "Sevilla ", " +34 600 ", "", " "],
    )
    assert row.values == {
        "name": "Ana",
        "stage": "contact",
        "type": "prospect",
        "stars": 3,
        "address": {"city": "Sevilla"},
        "phone": "+34 600",
    }
    # Superscript digits are not a number of stars (they reach the model, which refuses them).
    assert read_row(fields, ["Ana", None, None, "²"]).values["stars"] == "²"
    assert read_row(["number"], ["²"]).problems[0].field == "number"
