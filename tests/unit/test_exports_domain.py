"""Exports without AWS: filters, periods across DST, file names, inert text, the spool that
finds custom columns and widths, and the CSV writer."""

from __future__ import annotations

import csv
import os
from datetime import UTC, date, datetime

import pytest

from chalicelib.adapters.export_files import Spool, write_export
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.exports import (
    CLIENT_COLUMNS,
    Column,
    ExportEntity,
    ExportFormat,
    Kind,
    PeriodFilters,
    file_name,
    inert_text,
    parse_filters,
)
from chalicelib.domain.search import ClientQuery


@pytest.mark.parametrize("text", ["=1+2", "+34600", "-1", "@A1", "\tx", "\rx", "\nx"])
def test_text_starting_a_formula_gets_a_quote(text):
    assert inert_text(text) == "'" + text


@pytest.mark.parametrize("text", ["Ana", "", "1+2", " =x", "'=x", "ñ=", "a-b"])
def test_other_text_is_left_alone(text):
    assert inert_text(text) == text


def test_a_period_is_whole_local_days_across_a_dst_change():
    period = PeriodFilters.model_validate({"from": "2026-03-29", "to": "2026-03-29"})
    start, end = period.bounds("Europe/Madrid")
    assert start is not None and end is not None
    assert start.astimezone(UTC) == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # a 23-hour day
    assert PeriodFilters().bounds("Europe/Madrid") == (None, None)


def test_filters_are_validated_per_entity_and_named():
    query = parse_filters(ExportEntity.CLIENTS, {"type": "vip", "created_from": "2026-01-01"})
    assert isinstance(query, ClientQuery) and query.created_from == date(2026, 1, 1)
    period = parse_filters(ExportEntity.TASKS, {"from": "2026-01-01"})
    assert isinstance(period, PeriodFilters) and period.from_ == date(2026, 1, 1)
    with pytest.raises(InvalidInputError) as caught:
        parse_filters(ExportEntity.ACTIVITIES, {"from": "x", "stage": "won"})
    assert sorted(p.field for p in caught.value.errors) == ["filters.from", "filters.stage"]
    with pytest.raises(InvalidInputError) as caught:
        parse_filters(ExportEntity.CLIENTS, {"stars": 3})
    assert [p.message for p in caught.value.errors] == ["unknown filter"]


def test_file_names_follow_the_language():
    day = date(2026, 11, 24)
    assert file_name(ExportEntity.CLIENTS, ExportFormat.XLSX, "es", day) == (
        "clientes-2026-11-24.xlsx"
    )
    assert file_name(ExportEntity.TASKS, ExportFormat.CSV, "en", day) == "tasks-2026-11-24.csv"


def test_the_spool_finds_custom_columns_and_widths_and_keeps_rows_in_order(tmp_path):
    columns = (Column("name", "Nombre", "Name", width=6), Column("n", "N", "N", Kind.NUMBER, 4))
    spool = Spool(columns, str(tmp_path))
    rows = [([f"client {i}", i], {"b": i} if i % 2 else {"a": "x" * 80}) for i in range(2500)]
    spool.add(rows)
    assert [c.key for c in spool.all_columns] == ["name", "n", "custom.a", "custom.b"]
    back = list(spool.rows())
    assert len(back) == 2500
    assert back[0] == ["client 0", 0, "x" * 80, None]
    assert back[1] == ["client 1", 1, None, 1]
    assert spool.column_widths("es") == [12, 5, 50, 12]  # fitted to text, at most 50
    spool.close()


def test_csv_has_a_bom_typed_text_and_inert_formulas(tmp_path):
    fixed = [7, "=cmd", None, "Ana", None, "lead", "customer", "won", None, "active", "Luis"]
    fixed += [2, None, None, None, None, None, "VIP", datetime(2026, 3, 1, 9, 30), None, "-x"]
    path, count = write_export(
        "csv", "Clientes", CLIENT_COLUMNS, [(fixed, {"ok": True})], "es", str(tmp_path)
    )
    assert count == 1
    with open(path, encoding="utf-8-sig", newline="") as f:
        header, row = list(csv.reader(f))
    with open(path, "rb") as f:
        assert f.read(3) == b"\xef\xbb\xbf"
    os.remove(path)
    assert header[0] == "Número" and header[-1] == "ok"
    assert row[0] == "7" and row[1] == "'=cmd" and row[2] == ""
    assert row[18] == "2026-03-01 09:30:00" and row[20] == "'-x" and row[21] == "TRUE"


def test_defined_custom_fields_come_first_in_their_order_then_the_others(tmp_path):
    from chalicelib.domain.exports import custom_column

    columns = (
        Column("name", "Nombre", "Name"),
        custom_column("z_last", "Zeta", "number"),
        custom_column("a_first", "Alfa", "date"),
    )
    spool = Spool(columns, str(tmp_path))
    spool.add([(["Ana"], {"a_first": date(2026, 1, 2), "old": "x"}), (["Bo"], {"z_last": 3})])
    assert [c.header("es") for c in spool.all_columns] == ["Nombre", "Zeta", "Alfa", "old"]
    assert [c.kind for c in spool.all_columns][1:3] == [Kind.NUMBER, Kind.DATE]
    assert list(spool.rows()) == [["Ana", None, date(2026, 1, 2), "x"], ["Bo", 3, None, None]]
    spool.close()
