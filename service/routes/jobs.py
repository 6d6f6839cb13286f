"""Background jobs over HTTP (service.jobs): ask for a report's PDF and watch it being made; read the progress
of any job (also of a publication started with `Prefer: respond-async`), fetch its result.

    POST /api/jobs                {"kind": "report_pdf", "period": "2020-12-31", "lang": "de", "areas": []}
         -> 202, Location: /api/jobs/{id}
    GET  /api/jobs/{id}           state, steps, progress 0..1, error (problem) or links.result
    GET  /api/jobs/{id}/result    the bytes (409 while the job is not done)
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection
from starlette.responses import Response

from geo.levels import finest_level
from service.auth import Principal, current_principal
from service.caching import VERSION_SQL
from service.errors import ProblemError, not_found
from service.http import connection, json_response
from service.jobs import JobRunner, job_accepted, job_view
from service.params import NO_NUL
from service.report_jobs import check_report_request

router = APIRouter(tags=["jobs"])
Conn = Annotated[Connection, Depends(connection)]
Caller = Annotated[Principal, Depends(current_principal)]
JobId = Annotated[str, Path(min_length=1, max_length=36, description="The job's id (a UUID).")]


class ReportPdfJobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["report_pdf"] = Field(description="The A4 PDF of a period's report generated from the data "
                                                    "(the same as GET /reports/{period}.pdf).")
    period: date = Field(description="Reference date of the figures (a period with public data).")
    lang: Literal["de", "en"] | None = Field(default=None, description="Default: the page language of the request.")
    areas: list[Annotated[str, Field(max_length=40, pattern=NO_NUL)]] = Field(
        default_factory=list, max_length=30, description="Keys of the areas to profile (finest level); empty: "
                                                         "the Gesamtindex rule.")


def _runner(request: Request) -> JobRunner:
    return request.app.state.jobs


@router.post("/api/jobs", status_code=202, summary="Start a background job (the PDF of a period's report); "
                                                   "202 with its address, where its progress can be read")
def job_create(request: Request, conn: Conn, caller: Caller, payload: ReportPdfJobIn):
    lang = payload.lang or getattr(request.state, "lang", "de")  # the page language the service settled
    check_report_request(conn, payload.period, list(payload.areas), finest_level(conn))  # the level it profiles
    version = conn.execute(sa.text(VERSION_SQL)).scalar()
    params = {"period": payload.period.isoformat(), "lang": lang, "areas": list(payload.areas)}
    same_as = f"report_pdf:{payload.period.isoformat()}:{lang}:{','.join(payload.areas)}:data_version={version}"
    runner = _runner(request)
    return job_accepted(runner, runner.submit("report_pdf", params, caller.name, same_as=same_as))


def _readable(request: Request, caller: Principal, job_id: str) -> dict:
    job = _runner(request).get(job_id)
    if job is None or (job["drafts"] and not caller.sees_drafts):
        raise not_found(f"there is no job {job_id!r} (finished jobs are kept for a day)")
    return job


@router.get("/api/jobs/{job_id}", summary="A background job: state, steps, progress, result link or problem")
def job_get(request: Request, caller: Caller, job_id: JobId):
    job = _readable(request, caller, job_id)
    return json_response(job_view(_runner(request), job), headers={"Cache-Control": "no-store"})


@router.get("/api/jobs/{job_id}/result", summary="The result of a finished job (e.g. the PDF); 409 before")
def job_result(request: Request, caller: Caller, job_id: JobId):
    runner = _runner(request)
    view = job_view(runner, _readable(request, caller, job_id))
    if "result" not in view["links"]:
        detail = {"queued": "waits for its turn", "running": "is still running", "failed": "failed",
                  "done": "has no file"}[view["state"]]
        raise ProblemError(409, "Conflict", f"the job {detail}; /api/jobs/{job_id} shows its progress",
                           state=view["state"], job=view["links"]["self"],
                           detail_de="Der Auftrag ist noch nicht fertig." if view["state"] in ("queued", "running")
                           else "Der Auftrag hat kein Ergebnis.")
    content, media_type, filename = runner.result(job_id)
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, max-age=3600"})
