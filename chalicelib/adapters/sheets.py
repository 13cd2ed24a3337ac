"""Spreadsheets in and out: safe reading of uploaded .xlsx/.csv, the template, the result.

Reading an upload:
1. What it is, by its bytes (never its name): a zip (xlsx), an OLE2 container (an encrypted
   xlsx or an old .xls: refused), text (csv), or anything else (refused).
2. For a zip, before any parser sees it: the central directory (member count, declared sizes,
   compression ratio, the encrypted flag), then every XML member streamed through zipfile
   (which stops at the declared size and checks the CRC, so a lying directory is caught)
   looking for DTDs/entities (refused) and for formulas; `xl/workbook.xml` is parsed with
   defusedxml. A sheet with formulas is walked with defusedxml's iterparse to find formula
   cells without a cached value: their rows are rejected (formulas are never evaluated).
3. The cells come from python-calamine (Rust): cached values of formulas, dates as dates.

Heavy libraries (python_calamine, openpyxl, xlsxwriter, defusedxml) load inside the functions.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any

from chalicelib.domain.import_jobs import COLUMNS, ENUM_LABELS, RESULT_COLUMNS, Cell
from chalicelib.domain.imports import MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS, ImportFileError

MAX_MEMBERS = 500
MAX_UNCOMPRESSED = 1_500_000_000  # all members together, as declared and as streamed
MAX_RATIO = 200  # uncompressed / compressed, for members over 1 MB
_RATIO_FLOOR = 1_000_000
_CHUNK = 1 << 20
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


@dataclass
class Sheet:
    """The first worksheet (or the csv): the header and a way to walk the data rows."""

    file_format: str
    headers: list[str]
    rows_total: int
    _rows: Callable[[], Iterator[list[Cell]]]
    formula_rows: set[int] = field(default_factory=set)  # sheet rows (1-based) to reject

    def rows(self, start: int = 0) -> Iterator[tuple[int, list[Cell]]]:
        """(sheet row number, cells) of the data rows from the `start`-th one (0-based)."""
        for index, cells in enumerate(self._rows()):
            if index >= start:
                yield index + 2, cells


def sniff(head: bytes) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise ImportFileError(
            "the file is password-protected (encrypted) or an old .xls workbook: "
            "save it as .xlsx without a password, or as .csv"
        )
    if b"\x00" in head[:8192]:
        raise ImportFileError("the file is neither an .xlsx workbook nor a .csv text file")
    return "csv"


def open_sheet(path: str) -> Sheet:
    with open(path, "rb") as handle:
        head = handle.read(8192)
    if not head:
        raise ImportFileError("the file is empty")
    if sniff(head) == "xlsx":
        return _open_xlsx(path)
    return _open_csv(path)


# --- xlsx --------------------------------------------------------------------------------------


def _check_directory(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise ImportFileError(f"the workbook has {len(members)} parts; at most {MAX_MEMBERS}")
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise ImportFileError("the workbook is encrypted: save it without a password")
        total += info.file_size
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise ImportFileError(
                f"{info.filename} expands {info.file_size // max(info.compress_size, 1)} times: "
                "refused as a zip bomb"
            )
    if total > MAX_UNCOMPRESSED:
        raise ImportFileError(
            f"the workbook expands to {total // 1_000_000} MB; at most "
            f"{MAX_UNCOMPRESSED // 1_000_000} MB"
        )
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        raise ImportFileError("the file is a zip but not an Excel workbook (.xlsx)")
    return members


def _scan_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Stream a member (zipfile stops at the declared size and checks the CRC); refuse
    DTDs; say whether it holds formulas."""
    has_formula = False
    tail = b""
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                window = tail + chunk
                if _DTD.search(window):
                    raise ImportFileError(f"{info.filename} declares XML entities (a DTD): refused")
                if not has_formula and _FORMULA.search(window):
                    has_formula = True
                tail = chunk[-16:]
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ImportFileError(f"the workbook is damaged ({exc})") from exc
    return has_formula


def _first_sheet_path(archive: zipfile.ZipFile) -> tuple[str, str]:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"), forbid_dtd=True)
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"), forbid_dtd=True)
    except (DefusedXmlException, ElementTree.ParseError, KeyError) as exc:
        raise ImportFileError(f"the workbook's structure cannot be read ({exc})") from exc
    sheets = book.find(f"{_SHEET_NS}sheets")
    first = sheets[0] if sheets is not None and len(sheets) else None
    if first is None:
        raise ImportFileError("the workbook has no sheets")
    rel_id = first.get(f"{_REL_NS}id")
    target = next(
        (r.get("Target", "") for r in rels if r.get("Id") == rel_id), "worksheets/sheet1.xml"
    )
    target = target.lstrip("/")
    path = target if target.startswith("xl/") else f"xl/{target}"
    return str(first.get("name", "")), path


def _cell_row(ref: str) -> int:
    digits = "".join(c for c in ref if c.isdigit())
    return int(digits) if digits else 0


def _formula_rows_without_value(archive: zipfile.ZipFile, sheet_path: str) -> set[int]:
    """Rows holding a formula cell with no cached value (defusedxml iterparse, streamed)."""
    from defusedxml.ElementTree import iterparse

    rows: set[int] = set()
    with archive.open(sheet_path) as stream:
        has_f = has_v = False
        for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
            tag = element.tag.rsplit("}", 1)[-1]
            if event == "start" and tag == "c":
                has_f = has_v = False
            elif event == "end":
                if tag == "f":
                    has_f = True
                elif tag == "v" and (element.text or "") != "":
                    has_v = True
                elif tag == "c":
                    if has_f and not has_v:
                        rows.add(_cell_row(element.get("r", "")))
                    element.clear()
                elif tag == "row":
                    element.clear()
    return rows


def _open_xlsx(path: str) -> Sheet:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(f"the file is not a readable .xlsx workbook ({exc})") from exc
    # calamine parses in Rust without the GIL: it reads the first sheet while the XML is
    # scanned here, and its result is only used once the scan has passed. The directory
    # checks (sizes, ratios, encryption) come first: nothing is parsed before them.
    with archive, ThreadPoolExecutor(max_workers=1) as pool:
        members = _check_directory(archive)
        loading = pool.submit(_load_calamine, path)
        formulas: dict[str, bool] = {}
        for info in members:
            if info.filename.endswith((".xml", ".rels")):
                formulas[info.filename] = _scan_member(archive, info)
        sheet_name, sheet_path = _first_sheet_path(archive)
        formula_rows = (
            _formula_rows_without_value(archive, sheet_path) if formulas.get(sheet_path) else set()
        )
        sheet = loading.result()
    if sheet_name and sheet.name != sheet_name:  # calamine's first sheet is not the book's
        sheet = _load_calamine(path, sheet_name)
    return _calamine_sheet(sheet, formula_rows)


def _load_calamine(path: str, sheet_name: str = "") -> Any:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(path)
        return book.get_sheet_by_name(sheet_name) if sheet_name else book.get_sheet_by_index(0)
    except (CalamineError, ValueError, OSError) as exc:
        raise ImportFileError(f"the workbook cannot be read ({exc})") from exc


def _calamine_sheet(sheet: Any, formula_rows: set[int]) -> Sheet:
    if sheet.width > MAX_COLUMNS:
        raise ImportFileError(f"the sheet has {sheet.width} columns; at most {MAX_COLUMNS}")
    if sheet.height - 1 > MAX_ROWS:
        raise ImportFileError(f"the sheet has more than {MAX_ROWS:,} data rows")
    start_row = sheet.start[0] if sheet.start else 0
    rows = sheet.iter_rows()
    first = next(rows, None)
    if first is None or start_row > 0:
        raise ImportFileError("the first row of the first sheet must hold the column headers")
    headers = [_header(v) for v in first]

    def data() -> Iterator[list[Cell]]:
        iterator = sheet.iter_rows()
        next(iterator, None)
        for raw in iterator:
            for value in raw:
                if type(value) is str and len(value) > MAX_CELL_CHARS:
                    _cell(value)  # raises
            yield [None if value == "" else value for value in raw]

    return Sheet("xlsx", headers, sheet.height - 1, data, formula_rows)


def _header(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if value is not None else ""


def _cell(value: Any) -> Cell:
    if isinstance(value, str):
        if len(value) > MAX_CELL_CHARS:
            raise ImportFileError(
                f"a cell holds {len(value):,} characters; Excel's limit is {MAX_CELL_CHARS:,}"
            )
        return value if value != "" else None
    return value  # type: ignore[no-any-return]


# --- csv ---------------------------------------------------------------------------------------


def _encoding(path: str) -> str:
    with open(path, "rb") as handle:
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        try:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def _csv_rows(path: str, encoding: str, dialect: Any) -> Iterator[list[str]]:
    with open(path, encoding=encoding, newline="", errors="replace") as handle:
        try:
            for row in csv.reader(handle, dialect):
                if len(row) > MAX_COLUMNS:
                    raise ImportFileError(f"a row has {len(row)} columns; at most {MAX_COLUMNS}")
                yield row
        except csv.Error as exc:
            if "field larger" in str(exc):
                raise ImportFileError(
                    f"a cell holds more than {MAX_CELL_CHARS:,} characters (Excel's limit)"
                ) from exc
            raise ImportFileError(f"the csv cannot be read ({exc})") from exc


def _open_csv(path: str) -> Sheet:
    encoding = _encoding(path)
    with open(path, encoding=encoding, newline="") as handle:
        dialect = _dialect(handle.read(65536))
    csv.field_size_limit(MAX_CELL_CHARS)
    iterator = _csv_rows(path, encoding, dialect)
    first = next(iterator, None)
    if not first:
        raise ImportFileError("the first line must hold the column headers")
    headers = [h.strip() for h in first]
    total = 0
    for _ in iterator:
        total += 1
        if total > MAX_ROWS:
            raise ImportFileError(f"the file has more than {MAX_ROWS:,} data rows")

    def data() -> Iterator[list[Cell]]:
        rows = _csv_rows(path, encoding, dialect)
        next(rows, None)
        for raw in rows:
            yield [v.strip() or None for v in raw]

    return Sheet("csv", headers, total, data)


# --- writing -----------------------------------------------------------------------------------

_EXPLAIN = {
    "en": {
        "number": "The client number (upsert: finds the client to update).",
        "name": "Required to create a client. 1 to 200 characters.",
        "legal_name": "Registered company name.",
        "email": "Unique in the organisation unless duplicates are allowed.",
        "phone": "Type it as text to keep '+' and leading zeros; national numbers use the "
        "organisation's region.",
        "type": "lead, prospect, client or vip (default lead).",
        "kind": "customer, collaborator or other (default customer).",
        "stage": "One of the organisation's pipeline stages (default contact).",
        "source": "Where the client came from: one of the organisation's sources.",
        "status": "active or inactive (default active).",
        "owner_id": "User id of the responsible (admins and managers only; default: you).",
        "notes": "Free text, up to 10,000 characters.",
        "stars": "0 to 3.",
        "address.street": "Street and number.",
        "address.city": "City.",
        "address.region": "Region or province.",
        "address.postal_code": "Postal code, as text.",
        "address.country": "ISO 3166 two-letter code, e.g. ES, AR.",
    },
    "es": {
        "number": "Número de cliente (actualizar: identifica al cliente).",
        "name": "Obligatorio para crear un cliente. de 1 a 200 caracteres.",
        "legal_name": "Razón social registrada.",
        "email": "Único en la organización salvo que se permitan duplicados.",
        "phone": "Escríbalo como texto para conservar '+' y ceros iniciales; los números "
        "nacionales usan la región de la organización.",
        "type": "lead, prospecto, cliente o vip (por defecto lead).",
        "kind": "cliente, colaborador u otro (por defecto cliente).",
        "stage": "Una de las etapas de la organización (por defecto contact).",
        "source": "De dónde vino el cliente: uno de los orígenes de la organización.",
        "status": "activo o inactivo (por defecto activo).",
        "owner_id": "Id del usuario responsable (solo administradores y responsables de equipo).",
        "notes": "Texto libre, hasta 10.000 caracteres.",
        "stars": "De 0 a 3.",
        "address.street": "Calle y número.",
        "address.city": "Ciudad.",
        "address.region": "Provincia o región.",
        "address.postal_code": "Código postal, como texto.",
        "address.country": "Código ISO 3166 de dos letras, p. ej. ES, AR.",
    },
}
_EXAMPLE: dict[str, Any] = {
    "number": None,
    "name": "Ferretería Gómez",
    "legal_name": "Ferretería Gómez S.L.",
    "email": "compras@ferreteriagomez.es",
    "phone": "+34 600 112 233",
    "type": "lead",
    "kind": "customer",
    "stage": "contact",
    "source": "web",
    "status": "active",
    "owner_id": None,
    "notes": "",
    "stars": 2,
    "address.street": "Calle Mayor 1",
    "address.city": "Madrid",
    "address.region": "Madrid",
    "address.postal_code": "28013",
    "address.country": "ES",
}


def template_workbook(
    lang: str, stages: list[str], sources: list[str], custom_fields: dict[str, str]
) -> bytes:
    """The import template: headers in `lang`, an example row, dropdowns, an explanation."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Clientes" if lang == "es" else "Clients"
    lists = book.create_sheet("Listas" if lang == "es" else "Lists")
    help_sheet = book.create_sheet("Ayuda" if lang == "es" else "Help")
    fields = list(COLUMNS) + [f"custom.{k}" for k in custom_fields]
    labels = ENUM_LABELS[lang]
    choices = {**{f: list(v.values()) for f, v in labels.items()}, "stage": stages}
    choices["source"] = sources
    help_sheet.append(["Columna", "Qué poner"] if lang == "es" else ["Column", "What to put there"])
    for col, name in enumerate(fields, start=1):
        header = _header_label(name, lang, custom_fields)
        cell = sheet.cell(row=1, column=col, value=header)
        cell.font = Font(bold=True)
        example = _EXAMPLE.get(name)
        if name in labels and example is not None:
            example = labels[name][example]
        phone_or_code = name in ("phone", "address.postal_code")
        sheet.cell(row=2, column=col, value=example).number_format = (
            "@" if phone_or_code else ("General")
        )
        if phone_or_code:
            for row in range(3, 1001):
                sheet.cell(row=row, column=col).number_format = "@"
        explanation = _EXPLAIN[lang].get(name) or (
            "Campo personalizado: texto, número o verdadero/falso."
            if lang == "es"
            else "Custom field: text, number or true/false."
        )
        cell.comment = Comment(explanation, "CRM")
        help_sheet.append([header, explanation])
        sheet.column_dimensions[cell.column_letter].width = max(14, len(header) + 4)
        if name in choices:
            values = choices[name]
            list_col = lists.cell(row=1, column=col).column_letter
            lists.cell(row=1, column=col, value=header)
            for i, value in enumerate(values, start=2):
                lists.cell(row=i, column=col, value=value)
            validation = DataValidation(
                type="list",
                formula1=f"'{lists.title}'!${list_col}$2:${list_col}${len(values) + 1}",
                allow_blank=True,
                showErrorMessage=True,
            )
            sheet.add_data_validation(validation)
            validation.add(f"{cell.column_letter}2:{cell.column_letter}{MAX_ROWS + 1}")
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _header_label(name: str, lang: str, custom_fields: dict[str, str]) -> str:
    if name.startswith("custom."):
        return custom_fields[name.removeprefix("custom.")]
    en, es, _ = COLUMNS[name]
    return es if lang == "es" else en


def write_result(
    target: IO[bytes],
    lang: str,
    headers: list[str],
    fields: list[str | None],
    rows: Iterator[tuple[list[Cell], dict[str, Any]]],
    warnings: list[str],
) -> None:
    """Every input row with its outcome; failed cells marked red with the reason beside them.

    xlsxwriter in constant_memory mode: rows go straight to disk (bounded memory, about twice
    openpyxl write_only's speed)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False})
    sheet = book.add_worksheet("Resultado" if lang == "es" else "Result")
    bold = book.add_format({"bold": True})
    bad = book.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    text = book.add_format({"num_format": "@"})
    i = 0 if lang == "en" else 1
    extra = [labels[i] for labels in RESULT_COLUMNS.values()]
    sheet.write_row(0, 0, [*headers, *extra], bold)
    by_field = {f: n for n, f in enumerate(fields) if f}
    styles = {"bad": bad, "text": text}
    for r, (cells, result) in enumerate(rows, start=1):
        _result_row(sheet, r, cells, result, headers, fields, by_field, styles)
    notes_sheet = book.add_worksheet("Avisos" if lang == "es" else "Warnings")
    for r, warning in enumerate(warnings):
        notes_sheet.write_string(r, 0, warning)
    book.close()


def _bad_columns(errors: list[dict[str, Any]], by_field: dict[str, int]) -> set[int]:
    found = set()
    for problem in errors:
        name = problem["field"]
        col = by_field.get(name, by_field.get(name.split(".")[0]))
        if col is None and name.startswith("address"):
            col = by_field.get(f"address.{name.split('.')[-1]}")
        if col is not None:
            found.add(col)
    return found


def _result_row(
    sheet: Any,
    r: int,
    cells: list[Cell],
    result: dict[str, Any],
    headers: list[str],
    fields: list[str | None],
    by_field: dict[str, int],
    styles: dict[str, Any],
) -> None:
    bad_cols = _bad_columns(result.get("errors", []), by_field)
    for c in range(len(headers)):
        value = cells[c] if c < len(cells) else None
        style = (
            styles["bad"] if c in bad_cols else (styles["text"] if fields[c] == "phone" else None)
        )
        if value is None:
            if c in bad_cols:
                sheet.write_blank(r, c, None, style)
        elif isinstance(value, str):
            sheet.write_string(r, c, value, style)
        else:
            sheet.write(r, c, value, style)
    n = len(headers)
    sheet.write_string(r, n, result["outcome"])
    if result.get("client_id"):
        sheet.write_string(r, n + 1, result["client_id"])
    notes = [
        f"{_column_name(p['field'], headers, by_field)}: {p['message']}"
        for p in result.get("errors", [])
    ] + list(result.get("warnings", []))
    if notes:
        sheet.write_string(r, n + 2, "; ".join(notes)[:MAX_CELL_CHARS])


def _column_name(name: str, headers: list[str], by_field: dict[str, int]) -> str:
    col = by_field.get(name)
    return headers[col] if col is not None else name
