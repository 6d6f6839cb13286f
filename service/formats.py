"""The one format layer: which formats a route offers, which one a request gets, and the renderers of tables.

A route declares what it offers with `offers(...)` (a FastAPI dependency for `f=`); `choose_format` picks the
format from `f=` or else the Accept header (`service.http.wants_html`, `service.http.preferred`: q-values);
tables go out through `table_response`, whatever the format. Every tabular endpoint
offers `TABLE_FORMATS` (CSV, German CSV, XLSX): a new table format is one `Renderer` in `RENDERERS`, and every
such endpoint offers it from then on.

Cells reach a spreadsheet only through `web.tabular_export.spreadsheet_cell` (formula neutralisation), in
every renderer.
"""


import datetime as dt
import decimal
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, Query, Request
from starlette.responses import Response

from service.errors import ProblemError, bad_request
from service.http import GEOJSON, HTML, JSON, preferred, wants_html
from web.tabular_export import GERMAN, STANDARD, csv_text, spreadsheet_cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_ROWS = 1_048_575  # a sheet holds 1,048,576 rows, the header is one of them
XLSX_MAX_TEXT = 32_767  # characters a cell can hold


@dataclass(frozen=True)
class Renderer:
    """One table format: its `f=` name, media type, file extension and writer (rows, fields -> bytes)."""

    name: str
    media_type: str
    extension: str
    write: Callable[[Iterable[Mapping[str, Any]], Sequence[str]], bytes]
    description: str


def _csv(style) -> Callable[[Iterable[Mapping[str, Any]], Sequence[str]], bytes]:
    return lambda rows, fields: csv_text(rows, fields, style).encode("utf-8")


def _xlsx_value(value: Any) -> Any:
    """A cell openpyxl can store: numbers, dates and neutralised text; anything else as its (neutralised) text."""
    if isinstance(value, dict | list):
        value = orjson.dumps(value, default=str).decode()
    cell = spreadsheet_cell(value)
    if cell == "":
        return None  # an empty cell, not an empty text
    if isinstance(cell, dt.datetime):
        return cell.astimezone(dt.UTC).replace(tzinfo=None) if cell.tzinfo else cell  # xlsx has no time zone
    if isinstance(cell, bool | int | float | decimal.Decimal | dt.date):
        return cell
    return spreadsheet_cell(str(cell))[:XLSX_MAX_TEXT]


def _xlsx(rows: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> bytes:
    from openpyxl import Workbook  # imported on first use: only XLSX answers need it

    book = Workbook(write_only=True)  # streams rows: memory stays flat however long the table
    sheet = book.create_sheet("Daten")
    sheet.append([spreadsheet_cell(name) for name in fields])
    for count, row in enumerate(rows, start=1):
        if count > XLSX_MAX_ROWS:
            raise ProblemError(413, "Content Too Large", f"the table has more than {XLSX_MAX_ROWS} rows, more "
                               "than a spreadsheet holds; use f=csv or narrow the request")
        sheet.append([_xlsx_value(row.get(name)) for name in fields])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


RENDERERS: dict[str, Renderer] = {r.name: r for r in (
    Renderer("csv", "text/csv; charset=utf-8", "csv", _csv(STANDARD), "CSV (',' and decimal point)"),
    Renderer("csv-de", "text/csv; charset=utf-8", "csv", _csv(GERMAN),
             "CSV for a German spreadsheet (';', decimal comma, UTF-8 with BOM)"),
    Renderer("xlsx", XLSX, "xlsx", _xlsx, "Excel workbook (XLSX)"),
)}
TABLE_FORMATS = tuple(RENDERERS)
# media types a client may ask for in Accept, for the formats that are not tables
MEDIA_TYPES = {"json": JSON, "geojson": GEOJSON, "html": HTML.split(";")[0], "csv": "text/csv", "xlsx": XLSX,
               "pdf": "application/pdf"}


def choose_format(request: Request, f: str | None, offered: Sequence[str]) -> str:
    """The format of the answer: `f=` if given (one of `offered`, else 400); else, on a route whose default is
    not HTML, HTML if a browser asks for it (service.http.wants_html); else the offered media type the Accept
    header prefers (service.http.preferred: q-values, specificity, order); else the route's first (default)
    format (also when Accept names nothing offered: the answer it always gave, not a 406)."""
    if f:
        if f not in offered:
            raise bad_request(f"f={f!r} is not offered here; use one of {', '.join(offered)}", parameter="f",
                              offered=list(offered))
        return f
    if "html" in offered and offered[0] != "html" and wants_html(request, None):
        return "html"
    names = [name for name in offered if name in MEDIA_TYPES and (name != "html" or offered[0] == "html")]
    if not names or names[0] != offered[0]:
        names = [offered[0], *names]  # the default leads, whatever its media type
    media = [MEDIA_TYPES.get(name, "application/octet-stream") for name in names]
    choice = preferred(request.headers.get("accept"), media)
    return names[media.index(choice)] if choice is not None else offered[0]


def offers(*offered: str) -> Any:
    """The `f=` parameter of a route offering `offered` (first = default), resolved to the chosen format."""
    pattern = "^(" + "|".join(re.escape(name) for name in offered) + ")$"
    description = (f"Response format: {', '.join(offered)} (default {offered[0]}, or by Accept)."
                   + (" csv-de: ';' separator, decimal comma, UTF-8 BOM (German spreadsheets)."
                      if "csv-de" in offered else ""))

    def dependency(request: Request,
                   f: Annotated[str | None, Query(pattern=pattern, description=description)] = None) -> str:
        return choose_format(request, f, offered)

    return Depends(dependency)


def table_response(fmt: str, rows: Iterable[Mapping[str, Any]], fields: Sequence[str], stem: str) -> Response:
    """Rows as a download in the table format `fmt` (a name in RENDERERS), file name `stem` + extension."""
    renderer = RENDERERS[fmt]
    return Response(renderer.write(rows, fields), media_type=renderer.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{stem}.{renderer.extension}"'})


def all_fields(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every key of any row, in order of appearance: the columns of a table without a fixed schema."""
    return list(dict.fromkeys(key for row in rows for key in row))


Format = Annotated[str, offers("json", *TABLE_FORMATS)]  # JSON by default, and the tables
PageFormat = Annotated[str, offers("json", *TABLE_FORMATS, "html")]  # APIs with an HTML view
