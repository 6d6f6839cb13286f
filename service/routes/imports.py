"""Imports over HTTP: the one import entry point (`indicators.ingest.kinds`) the CLI uses too, for uploaded files.

Importing observations and boundaries is the statistics office's work (role statistics_office): the tables
hold unsuppressed values, and import reports quote them (docs/trust.md, roles). Point and grid layers are
imported by data stewards. Each kind names its role in the registry.

`POST /api/imports/observations`, `/api/imports/boundaries`, `/api/layers/points/{layer}` and
`/api/layers/grid/{layer}` take a multipart upload (field `file`) or the raw file as the body (with
`?filename=`), options as form fields or query parameters (parsed by the one option parser), and
`dry_run=true` to validate only. The upload is streamed to a temporary file and refused with 413 as soon as it
exceeds the one upload limit (DM_MAX_UPLOAD_BYTES, which the body-size middleware applies to these routes
too). A refused import answers 422 with the full report (every problem with file, row, column, value and fix)
and has written nothing; `/api/imports/...` answers it as problem+json with the report, the layer routes with
the report itself (as they always have). `POST /api/imports/{id}/undo` takes a batch back (409 with the
reason when it cannot be).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.engine import Connection
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import Response

from geo.import_report import ImportReport, begin_import, get_batch, list_batches
from indicators.import_undo import undo_batch
from indicators.ingest.kinds import IMPORT_KINDS, ImportKind
from indicators.ingest.options import Fields
from service.audit import import_audit, record
from service.auth import Principal, require_role
from service.db import refresh_statistics
from service.errors import ProblemError, bad_request, not_found, problem_response
from service.http import base_url, connection, json_response
from service.middleware import accepts_uploads

router = APIRouter(tags=["imports"])
Conn = Annotated[Connection, Depends(connection)]
StatisticsOffice = Annotated[Principal, Depends(require_role("statistics_office"))]  # batches and undo
SAFE_NAME = re.compile(r"[^\w.\-() ]+")


class UploadTooLarge(Exception):
    pass


def _limit(request: Request) -> int:
    return request.app.state.settings.max_upload_bytes


def _too_large(request: Request, limit: int) -> ProblemError:
    return ProblemError(413, "Content Too Large", f"the upload is larger than {limit / 1048576:.0f} MB; split the "
                        "file (by period or indicator) or ask an admin to raise DM_MAX_UPLOAD_BYTES", limit=limit)


async def _limited(request: Request, limit: int) -> AsyncIterator[bytes]:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise UploadTooLarge
        yield chunk


def _safe_name(name: str | None) -> str:
    """The uploaded file's own name without any directory part or odd characters (it ends up in the batch)."""
    base = re.split(r"[\\/]", name or "")[-1]
    return SAFE_NAME.sub("_", base).strip(" .")[:200]


async def _receive(request: Request, workdir: Path) -> tuple[Path, str, dict[str, list[str]]]:
    """Stream the upload to `workdir`; returns (path, original name, option fields from form and query)."""
    limit = _limit(request)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(request, limit)
    fields: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        fields.setdefault(key, []).append(value)
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("multipart/form-data"):
            parser = MultiPartParser(request.headers, _limited(request, limit), max_files=1, max_fields=100)
            try:
                form = await parser.parse()
            except MultiPartException as exc:
                raise bad_request(f"the multipart body cannot be read ({exc.message}); send the file as the field "
                                  "'file' and each option as a text field") from None
            upload = None
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    if key != "file":
                        raise bad_request(f"the file must be sent in the field 'file', not {key!r}", field=key)
                    upload = value
                else:
                    fields.setdefault(key, []).append(value)
            if upload is None:
                raise bad_request("no file: send it in the multipart field 'file'", field="file")
            name = _safe_name(upload.filename) or _safe_name((fields.get("filename") or [""])[0])
            if not name:
                raise bad_request("the upload has no file name; give one (e.g. ?filename=werte.csv)", field="filename")
            target = workdir / name
            await run_in_threadpool(_save, upload.file, target)
            await upload.close()
        else:
            name = _safe_name((fields.get("filename") or [""])[0])
            if not name:
                raise bad_request("send the file as multipart/form-data (field 'file'), or as the body with "
                                  "?filename=NAME.csv", field="filename")
            target = workdir / name
            async with await anyio.open_file(target, "wb") as handle:
                async for chunk in _limited(request, limit):
                    await handle.write(chunk)
    except UploadTooLarge:
        raise _too_large(request, limit) from None
    fields.pop("filename", None)
    return target, name, fields


def _save(source, target: Path) -> None:
    with open(target, "wb") as handle:
        shutil.copyfileobj(source, handle, 1 << 20)


def _dry_run(fields: dict[str, list[str]]) -> bool:
    values = fields.pop("dry_run", ["false"])
    if len(values) != 1 or values[0].lower() not in ("true", "false", "1", "0", "yes", "no", ""):
        raise bad_request("dry_run must be true or false", field="dry_run")
    return values[0].lower() in ("true", "1", "yes")


def _problem_with_report(request: Request, report: ImportReport) -> Response:
    """/api/imports: 201 with Location for a stored batch, 200 for a dry run, 422 problem+json with the report."""
    body = report.as_dict()
    if not report.ok:
        first = report.errors[0].as_text() if report.errors else "the file was refused"
        return problem_response(422, "Unprocessable Content",
                                f"{len(report.errors)} problem(s); nothing was written. First: {first}",
                                instance=request.url.path, report=body)
    if report.batch_id is not None:
        location = f"{base_url(request)}/api/imports/{report.batch_id}"
        return json_response(body, status=201, headers={"Location": location})
    return json_response(body)


def _plain_report(_request: Request, report: ImportReport) -> Response:
    """The layer routes: the report itself, 200 or 422."""
    return json_response(report.as_dict(), status=200 if report.ok else 422)


async def _run(request: Request, principal: Principal, kind: ImportKind, given: Fields | None = None,
               respond=_problem_with_report) -> Response:
    """Receive the upload, parse its options with the kind's parser, run the import of the one entry point
    (audited inside its transaction) and answer with the report."""
    with tempfile.TemporaryDirectory(prefix="dm-upload-") as tmp:
        path, name, fields = await _receive(request, Path(tmp))
        dry_run = _dry_run(fields)
        fields.update(given or {})  # path parameters (the layer) win over form fields
        options = kind.parse(fields)  # an OptionError answers 400 naming the field (service.errors)

        def work() -> ImportReport:  # the import sets its own long statement timeout (begin_import)
            with request.app.state.engine.connect() as conn:
                return kind.run(conn, path, options, dry_run=dry_run, created_by=principal.name,
                                display_name=name, before_commit=import_audit(principal, kind.name, fields),
                                limits=request.app.state.settings.import_limits())

        report = await run_in_threadpool(work)
    response = respond(request, report)
    if report.ok and report.batch_id is not None:  # committed: planner statistics after the answer went out
        response.background = BackgroundTask(refresh_statistics, request.app.state.engine)
    return response


def _form(required: list[str], properties: dict[str, dict]) -> dict:
    """The OpenAPI description of an import's multipart body: the file, the kind's options and dry_run."""
    return {"requestBody": {"content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file", *required],
        "properties": {"file": {"type": "string", "format": "binary"}, **properties,
                       "dry_run": {"type": "boolean"}}}}}}}


TEXT, FLAG, TEXTS = {"type": "string"}, {"type": "boolean"}, {"type": "array", "items": {"type": "string"}}
OBSERVATIONS, BOUNDARIES, CHANGES, POINTS, GRID, ADDRESSES = (
    IMPORT_KINDS[k] for k in ("observations", "boundaries", "territorial_changes", "points", "grid", "addresses"))


@router.post("/api/imports/observations",
             summary="Import indicator values from CSV/XLSX (statistics office; dry_run=true validates)",
             openapi_extra=_form(["level"], {
                 "level": TEXT, "layout": {"type": "string", "enum": ["long", "wide", "genesis", "ffcsv"]},
                 "column": TEXTS,
                 "missing": TEXTS, "decimal": {"type": "string", "enum": [",", "."]},
                 "thousands": {"type": "string", "enum": [",", ".", "none"]}, "allow_future_periods": FLAG}))
@accepts_uploads
async def import_observations(request: Request,
                              principal: Annotated[Principal, Depends(require_role(OBSERVATIONS.role))]):
    return await _run(request, principal, OBSERVATIONS)


@router.post("/api/imports/boundaries",
             summary="Import a boundary version from GeoJSON/GeoPackage/zipped Shapefile (statistics office)",
             openapi_extra=_form(["level", "key_field", "name_field", "valid_from"], {
                 "level": TEXT, "key_field": TEXT, "name_field": TEXT,
                 "valid_from": {"type": "string", "format": "date"}, "crs": TEXT, "allow_overlaps": FLAG,
                 "allow_gaps": FLAG}))
@accepts_uploads
async def import_boundaries(request: Request,
                            principal: Annotated[Principal, Depends(require_role(BOUNDARIES.role))]):
    return await _run(request, principal, BOUNDARIES)


@router.post("/api/imports/territorial-changes",
             summary="Import a list of territorial changes (mergers, splits, key changes; statistics office)",
             openapi_extra=_form(["level"], {"level": TEXT, "separator": TEXT, "encoding": TEXT}))
@accepts_uploads
async def import_territorial_changes(request: Request,
                                     principal: Annotated[Principal, Depends(require_role(CHANGES.role))]):
    return await _run(request, principal, CHANGES)


@router.post("/api/imports/addresses",
             summary="Import the address register (street, number, area key) for the search (data steward)",
             openapi_extra=_form(["level"], {
                 "level": TEXT, "street_field": TEXT, "number_field": TEXT, "area_field": TEXT, "suffix_field": TEXT,
                 "postcode_field": TEXT, "locality_field": TEXT, "separator": TEXT}))
@accepts_uploads
async def import_addresses(request: Request,
                           principal: Annotated[Principal, Depends(require_role(ADDRESSES.role))]):
    return await _run(request, principal, ADDRESSES)


@router.post("/api/layers/points/{layer}", tags=["aggregation"],
             summary="Import a point layer (validated, atomic; dry_run to check)",
             openapi_extra=_form(["key_field"], {"key_field": TEXT, "name_field": TEXT, "crs": TEXT,
                                                 "name_de": TEXT}))
@accepts_uploads
async def upload_points(request: Request, layer: str,
                        principal: Annotated[Principal, Depends(require_role(POINTS.role))]):
    return await _run(request, principal, POINTS, {"layer": [layer]}, respond=_plain_report)


@router.post("/api/layers/grid/{layer}", tags=["aggregation"],
             summary="Import a Zensus-style grid table (INSPIRE cell ids)",
             openapi_extra=_form([], {"id_column": TEXT}))
@accepts_uploads
async def upload_grid(request: Request, layer: str,
                      principal: Annotated[Principal, Depends(require_role(GRID.role))]):
    return await _run(request, principal, GRID, {"layer": [layer]}, respond=_plain_report)


@router.get("/api/imports", summary="Import batches: file name, sha256, who, when, row counts (statistics office)")
def batches(conn: Conn, _principal: StatisticsOffice,
            kind: Annotated[str | None, Query(pattern="^(observations|boundaries)$")] = None,
            limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Annotated[int, Query(ge=0)] = 0):
    items = list_batches(conn, kind, limit, offset)
    return json_response({"batches": items, "count": len(items)})


@router.get("/api/imports/{batch_id}", summary="One import batch with its options and report (statistics office)")
def batch(conn: Conn, _principal: StatisticsOffice, batch_id: int):
    item = get_batch(conn, batch_id)
    if item is None:
        raise not_found(f"no import batch {batch_id}")
    return json_response(item)


@router.post("/api/imports/{batch_id}/undo", summary="Take an import batch back: its values or boundary versions "
             "removed, what it replaced current again, roll-ups and disclosure recomputed (data steward)")
def undo(request: Request, principal: StatisticsOffice, batch_id: int):
    with request.app.state.engine.connect() as conn:
        with begin_import(conn):  # one transaction, with the long statement timeout of an import
            result = undo_batch(conn, batch_id, principal.name)
            record(conn, principal, "import.undone", "import_batch", str(batch_id), after=result.as_dict())
    response = json_response(result.as_dict())
    response.background = BackgroundTask(refresh_statistics, request.app.state.engine)  # as after an import
    return response
