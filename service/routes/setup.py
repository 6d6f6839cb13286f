"""Setting up over HTTP (admin): a whole manifest with its files, or one level or one catalogue at a time.

`POST /api/admin/setup` takes a ZIP archive as the request body (`Content-Type: application/zip`) holding the
manifest (`manifest.yaml` at its top, or `?manifest=NAME.yaml`) and every file it names, at the paths it names
them. The upload is held to the one upload limit (DM_MAX_UPLOAD_BYTES), streamed to a temporary directory and
unpacked member by member after checking each one: no absolute paths, no `..`, no links, at most
`MAX_MEMBERS` members, unpacked no larger than the upload limit and no member compressed more than
`MAX_RATIO`-fold (ZIP bombs). The manifest may name only files inside the archive. Then the same code as
`district-monitor load` runs (`service.setup.load_manifest`): checked first, nothing written on any error (422
with the report), each file all-or-nothing, audited as the admin. `dry_run=true` checks only.

`PUT /api/admin/levels/{code}` creates or changes one level; `POST /api/admin/catalogues` loads one catalogue
(YAML body); `GET /api/admin/levels` lists the levels with their number of areas and key length.
"""

from __future__ import annotations

import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from indicators.catalogue import CatalogueError, parse_catalogue
from service.auth import Principal, require_role
from service.db import refresh_statistics
from service.errors import ProblemError, bad_request, problem_response
from service.http import connection, json_response
from service.middleware import accepts_uploads
from service.setup import (
    LevelSpec,
    ManifestRefused,
    level_overview,
    load_manifest,
    save_catalogue,
    save_level,
)

router = APIRouter(prefix="/api/admin", tags=["admin"])
Conn = Annotated[Connection, Depends(connection)]
Admin = Annotated[Principal, Depends(require_role("admin"))]
MAX_MEMBERS = 1000
MAX_RATIO = 200  # real shapefiles and CSVs compress by 2-20x
CODE = r"^[a-z][a-z0-9_]*$"


async def _receive_zip(request: Request, target: Path, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    received = 0
    async with await anyio.open_file(target, "wb") as handle:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise _too_large(limit)
            await handle.write(chunk)
    if received == 0:
        raise bad_request("empty body: send the ZIP archive (manifest and files) as the request body with "
                          "Content-Type: application/zip")


def _too_large(limit: int) -> ProblemError:
    return ProblemError(413, "Content Too Large", f"the archive is larger than {limit / 1048576:.0f} MB; load "
                        "big files with `district-monitor load` on the server, or ask an admin to raise "
                        "DM_MAX_UPLOAD_BYTES", limit=limit)


def unpack(archive: Path, target: Path, limit: int) -> list[str]:
    """Unpack `archive` into `target` after checking every member; ProblemError (400/413) naming the member
    otherwise. Returns the names unpacked."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            if len(members) > MAX_MEMBERS:
                raise bad_request(f"the archive has {len(members)} members, more than {MAX_MEMBERS}")
            total = sum(m.file_size for m in members)
            if total > limit:
                raise _too_large(limit)
            names = []
            for member in members:
                name = _safe_member(member)
                if name is None:
                    continue  # a directory entry
                if member.compress_size and member.file_size / member.compress_size > MAX_RATIO:
                    raise bad_request(f"member {member.filename!r} is compressed {member.file_size // member.compress_size}"
                                      f"-fold, more than real data ever is: refused as a ZIP bomb")
                path = (target / name).resolve()
                if not path.is_relative_to(target.resolve()):
                    raise bad_request(f"member {member.filename!r} leads outside the archive")
                path.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(member) as source, open(path, "wb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)  # sizes checked above (ZipFile checks each CRC)
                names.append(name)
            return names
    except zipfile.BadZipFile:
        raise bad_request("the body is not a ZIP archive: pack the manifest and its files with zip") from None


def _safe_member(member: zipfile.ZipInfo) -> str | None:
    """The member's relative path, or None for a directory; 400 for absolute paths, '..', links and odd names."""
    raw = member.filename
    if "\\" in raw or "\0" in raw or raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        raise bad_request(f"member {raw!r} has an absolute or Windows path: pack relative paths only")
    parts = PurePosixPath(raw).parts
    if any(part == ".." for part in parts):
        raise bad_request(f"member {raw!r} leads outside the archive ('..'): pack relative paths only")
    mode = member.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise bad_request(f"member {raw!r} is a symbolic link: pack the file itself")
    if member.is_dir():
        return None
    return str(PurePosixPath(*parts)) if parts else None


@router.post("/setup", summary="Set up from a manifest: a ZIP of manifest.yaml and its files (admin; dry_run)",
             openapi_extra={"requestBody": {"content": {"application/zip": {"schema": {
                 "type": "string", "format": "binary"}}}, "required": True}})
@accepts_uploads
async def setup(request: Request, principal: Admin,
                dry_run: Annotated[bool, Query(description="Check only; write nothing.")] = False,
                manifest: Annotated[str, Query(max_length=200, pattern=r"^[\w\-./]+\.ya?ml$",
                                               description="The manifest's path inside the archive.")] = "manifest.yaml",
                level: Annotated[list[str] | None, Query(max_length=40, description="Load only the files of these "
                                                          "levels.")] = None):
    settings = request.app.state.settings
    limit = settings.max_upload_bytes
    with tempfile.TemporaryDirectory(prefix="dm-setup-") as tmp:
        archive = Path(tmp) / "upload.zip"
        await _receive_zip(request, archive, limit)
        folder = Path(tmp) / "files"
        folder.mkdir()
        names = await run_in_threadpool(unpack, archive, folder, limit)
        archive.unlink()
        if manifest not in names:
            raise bad_request(f"the archive holds no {manifest!r}; it holds {sorted(names)[:20]}", field="manifest")

        def work():
            return load_manifest(request.app.state.engine, folder / manifest, principal=principal, dry_run=dry_run,
                                 limits=settings.import_limits(), confine=True,
                                 only_levels=set(level) if level else None)

        try:
            summary = await run_in_threadpool(work)
        except ManifestRefused as exc:
            report = exc.report
            first = report.errors[0].as_text() if report.errors else "refused"
            return problem_response(422, "Unprocessable Content", f"{len(report.errors)} problem(s) in {report.file}; "
                                    f"nothing of it was written. First: {first}", instance=request.url.path,
                                    report=report.as_dict())
    body = {"dry_run": dry_run, "manifest": summary.manifest.as_dict(),
            "files": [r.as_dict() for r in summary.reports], "rows_written": summary.rows_written,
            "index_runs": summary.indices}
    response = json_response(body, status=200 if dry_run else 201)
    if not dry_run:
        response.background = BackgroundTask(refresh_statistics, request.app.state.engine)
    return response


@router.get("/levels", summary="Area levels with their number of current areas and key length (admin)")
def levels(conn: Conn, _principal: Admin):
    rows = level_overview(conn)
    return json_response({"levels": rows, "count": len(rows)})


class LevelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name_de: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)
    plural_de: str | None = Field(default=None, max_length=100)
    plural_en: str | None = Field(default=None, max_length=100)
    rank: int = Field(ge=0, le=1000, description="Higher = coarser; a parent ranks above its children.")
    parent_code: str | None = Field(default=None, max_length=40)
    key_length: int | None = Field(default=None, ge=1, le=40)
    description: str | None = Field(default=None, max_length=2000)


@router.put("/levels/{code}", summary="Create or change one area level (admin)")
def put_level(request: Request, principal: Admin, code: Annotated[str, PathParam(pattern=CODE, max_length=40)],
              payload: LevelIn):
    spec = LevelSpec(code=code, **{**payload.model_dump(), "plural_de": payload.plural_de or payload.name_de,
                                   "plural_en": payload.plural_en or payload.name_en})
    with request.app.state.engine.begin() as conn:
        try:
            saved = save_level(conn, spec, principal)
        except ValueError as exc:
            raise ProblemError(422, "Unprocessable Content", str(exc), field="parent_code") from None
    return json_response(saved)


@router.post("/catalogues", status_code=201, summary="Load one indicator catalogue (YAML body; admin)",
             openapi_extra={"requestBody": {"content": {"application/yaml": {"schema": {"type": "string"}}},
                                            "required": True}})
async def post_catalogue(request: Request, principal: Admin,
                         dry_run: Annotated[bool, Query(description="Check only.")] = False) -> Response:
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("the catalogue is not UTF-8 text: save it as UTF-8") from None
    try:
        catalogue = parse_catalogue(text, "catalogue")
    except CatalogueError as exc:
        raise ProblemError(422, "Unprocessable Content", f"{exc}; the format is that of indicators/catalogues/*.yaml")
    body = {"catalogue": catalogue.catalogue, "version": catalogue.version,
            "indicators": [item.code for item in catalogue.indicators], "dry_run": dry_run}
    if dry_run:
        return json_response(body)

    def work() -> None:
        with request.app.state.engine.begin() as conn:
            save_catalogue(conn, catalogue, principal)

    await run_in_threadpool(work)
    return json_response(body, status=201)
