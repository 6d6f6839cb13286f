"""The import page for the statistics office (`/daten/import`): choose what kind of data, the file and its
options, check it first (a dry run, shown as a German table of file, row, column, value, problem and fix), then
import it. The page only assembles the ordinary import request (`POST /api/imports/...`, the one import entry
point) in the browser, with the session's CSRF token; it validates and writes nothing itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.engine import Connection
from starlette.responses import HTMLResponse

from geo.levels import list_levels
from service.auth import Principal, current_principal
from service.routes.session import page_refusal
from service.http import connection
from web.templates import render

router = APIRouter(tags=["pages"])
Caller = Annotated[Principal, Depends(current_principal)]
Conn = Annotated[Connection, Depends(connection)]

# The kinds the page offers, their endpoint and the options a person usually needs (the rest: "weitere Optionen").
IMPORT_KINDS_DE = [
    {"kind": "observations", "label": "Indikatorwerte (CSV, XLSX)", "endpoint": "/api/imports/observations"},
    {"kind": "boundaries", "label": "Gebietsgrenzen (GeoJSON, GeoPackage, Shapefile als ZIP)",
     "endpoint": "/api/imports/boundaries"},
    {"kind": "addresses", "label": "Adressverzeichnis (CSV)", "endpoint": "/api/imports/addresses"},
]


@router.get("/daten/import", response_class=HTMLResponse, summary="Import page: upload, dry run, import (statistics "
                                                                  "office)")
def import_page(request: Request, conn: Conn, caller: Caller):
    if (refused := page_refusal(request, caller, "statistics_office", "Daten importiert die Statistikstelle. Ihre "
                                "Rolle darf das nicht; bitte an die Statistikstelle wenden.")) is not None:
        return refused
    levels = [{"code": lv.code, "name": lv.name_de} for lv in sorted(list_levels(conn), key=lambda lv: lv.rank)]
    return render("import.html", request, page_title="Daten importieren", kinds=IMPORT_KINDS_DE, levels=levels)
