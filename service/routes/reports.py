"""Reports as documents (issue 17): the API under /api/reports (JSON) and the document pages under
/reports/documents. The integration office (data_steward) creates, writes and submits, the statistics office
checks and approves or returns, publishing freezes figures, HTML and PDF (docs/reports.md). Findings
(qualitative assessments per area) under /api/findings, targets under /api/targets, the register fields of a
programme (measure) under /api/measures.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection
from starlette.responses import HTMLResponse, Response

from geo.areas import find_areas
from geo.levels import require_level
from indicators.findings import create_finding, list_findings
from indicators.programmes import update_register
from indicators.report_lifecycle import (
    SECTION_KINDS,
    TRANSITIONS,
    check_transition,
    create_report,
    get_report,
    list_reports,
    published_version,
    save_section,
    transition,
)
from indicators.targets import create_target, list_targets
from service.audit import record
from service.auth import Principal, current_principal, require_role
from service.errors import bad_request
from service.http import connection, json_response, prefers_async
from service.jobs import job_accepted
from service.params import NO_NUL
from service.report_jobs import check_report_request, publish, report_view
from web.report_document import build, document_of, municipality_name

router = APIRouter(tags=["reports"])
Conn = Annotated[Connection, Depends(connection)]
Caller = Annotated[Principal, Depends(current_principal)]
Writer = Annotated[Principal, Depends(require_role("data_steward"))]
Editor = Annotated[Principal, Depends(require_role("editor"))]
ReportId = Annotated[int, Path(ge=1, le=2**63 - 1)]
SectionKind = Literal["summary", "topics", "attention", "profiles", "measures", "appendix"]


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    period: date = Field(description="Reference date of the figures (a period with data).")
    level: str | None = Field(default=None, max_length=40, pattern=NO_NUL, description="Default: the finest level.")
    areas: list[Annotated[str, Field(max_length=40, pattern=NO_NUL)]] = Field(
        default_factory=list, max_length=30, description="Keys of the areas to profile; empty: the Gesamtindex rule.")
    sections: list[SectionKind] = Field(default_factory=lambda: list(SECTION_KINDS), min_length=1,
                                        description="The template: section kinds in their order.")
    publisher: str = Field(default="", max_length=300, pattern=NO_NUL)
    municipality: str | None = Field(default=None, max_length=200, pattern=NO_NUL)


class SectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    narrative: str = Field(max_length=50_000, pattern=NO_NUL, description="Markdown; HTML in it is shown as text.")
    revision: int = Field(ge=1, description="The revision the text was started from (optimistic concurrency).")


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: Literal["draft", "review", "approved", "published"]
    comment: str = Field(default="", max_length=2000, pattern=NO_NUL)
    revision: int | None = Field(default=None, ge=1, description="Refuse if the report changed since this revision.")


class FindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: str = Field(min_length=1, max_length=40, pattern=NO_NUL)
    area_key: str = Field(min_length=1, max_length=40, pattern=NO_NUL)
    topic: str = Field(default="", max_length=200, pattern=NO_NUL)
    author: str = Field(min_length=1, max_length=200, pattern=NO_NUL, description="Who assessed (person or body).")
    observed_on: date
    source_type: Literal["expert_assessment", "resident_survey", "interview", "participation"]
    sample_size: int | None = Field(default=None, ge=1, le=10_000_000)
    text: str = Field(min_length=1, max_length=10_000, pattern=NO_NUL)
    stance: Literal["confirms", "questions", "neutral"] = "neutral"


@router.get("/api/reports", summary="Report documents: published ones for everyone, all for editors and above")
def reports_list(conn: Conn, caller: Caller):
    items = list_reports(conn, sees_drafts=caller.sees_drafts)
    return json_response({"count": len(items), "reports": items})


@router.post("/api/reports", status_code=201, summary="Create a report from a template (integration office)")
def report_create(request: Request, payload: ReportIn, caller: Writer):
    with request.app.state.engine.begin() as conn:
        level = payload.level or _finest(conn)
        require_level(conn, level)
        check_report_request(conn, payload.period, list(payload.areas), level)
        created = create_report(conn, title=payload.title, period=payload.period, level=level,
                                sections=list(payload.sections), area_keys=list(payload.areas),
                                municipality=payload.municipality if payload.municipality is not None
                                else municipality_name(conn, level), publisher=payload.publisher, author=caller.name)
        record(conn, caller, "create", "report", str(created["id"]), None, {"title": created["title"]})
    return json_response(report_view(created), status=201, headers={"Location": f"/api/reports/{created['id']}"})


def _finest(conn: Connection) -> str:
    from geo.levels import finest_level

    return finest_level(conn)


@router.get("/api/reports/{report_id}", summary="One report: state, sections, history, versions")
def report_get(conn: Conn, caller: Caller, report_id: ReportId):
    return json_response(report_view(get_report(conn, report_id, sees_drafts=caller.sees_drafts)))


@router.put("/api/reports/{report_id}/sections/{kind}", summary="Save a section's narrative (integration office); "
                                                                "409 with the current text when it changed meanwhile")
def section_save(request: Request, report_id: ReportId, kind: SectionKind, payload: SectionIn, caller: Writer):
    with request.app.state.engine.begin() as conn:
        saved = save_section(conn, report_id, kind, payload.narrative, payload.revision, caller)
        record(conn, caller, "update", "report_section", f"{report_id}/{kind}", None,
               {"revision": saved["revision"]})
    return json_response(saved)


@router.post("/api/reports/{report_id}/transitions", summary="Change the report's state (role table in "
                                                              "docs/reports.md); publishing freezes the figures. "
                                                              "With `Prefer: respond-async` a publication answers "
                                                              "202 at once with its job (/api/jobs/{id}: progress)")
def report_transition(request: Request, report_id: ReportId, payload: TransitionIn, caller: Editor):
    engine = request.app.state.engine
    with engine.connect() as conn:
        report = get_report(conn, report_id)
        step = check_transition(report, payload.to, caller)  # refuse early: rendering a PDF takes seconds
    if step.action == "publish":
        if not prefers_async(request):
            return json_response(publish(engine, request.app.state.settings.storage_srid, report_id, caller,
                                         payload.comment, payload.revision))
        params = {"report_id": report_id, "role": caller.role, "comment": payload.comment,
                  "revision": payload.revision or report["revision"]}
        job = request.app.state.jobs.submit("publish", params, caller.name, same_as=f"publish:{report_id}",
                                            reuse_done=False)
        return job_accepted(request.app.state.jobs, job)
    with engine.begin() as conn:
        changed = transition(conn, report_id, payload.to, caller, payload.comment, payload.revision)
        record(conn, caller, step.action, "report", str(report_id), {"state": report["state"]},
               {"state": changed["state"], "version": changed["version"]})
    return json_response(report_view(changed))


@router.get("/api/findings", summary="Qualitative findings per area and topic")
def findings(conn: Conn, level: str | None = None, area_key: str | None = None):
    items = list_findings(conn, level, [area_key] if area_key else None)
    return json_response({"count": len(items), "findings": items})


@router.post("/api/findings", status_code=201, summary="Record a qualitative finding (editor)")
def finding_create(request: Request, payload: FindingIn, caller: Editor):
    with request.app.state.engine.begin() as conn:
        require_level(conn, payload.level)
        if not find_areas(conn, payload.area_key, payload.level):
            raise bad_request(f"there is no area {payload.area_key!r} on level {payload.level!r}", field="area_key")
        created = create_finding(conn, **payload.model_dump(), created_by=caller.name)
        record(conn, caller, "create", "finding", str(created["id"]), None, {"area_key": created["area_key"]})
    return json_response(created, status=201)


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicator: str = Field(min_length=1, max_length=40, pattern=NO_NUL)
    level: str = Field(min_length=1, max_length=40, pattern=NO_NUL)
    area_key: str = Field(min_length=1, max_length=40, pattern=NO_NUL)
    base_value: float
    base_year: int = Field(ge=1900, le=2200)
    target_value: float
    target_year: int = Field(ge=1900, le=2200)
    direction: Literal["decrease", "increase"]


class MeasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    responsible_office: str | None = Field(default=None, max_length=300, pattern=NO_NUL)
    end_date: date | None = None
    budget_eur: float | None = Field(default=None, ge=0, le=1e12)
    indicators: list[Annotated[str, Field(max_length=40, pattern=NO_NUL)]] = Field(default_factory=list, max_length=50)


@router.get("/api/targets", summary="Targets per indicator and area with their progress")
def targets(conn: Conn, level: str | None = None, area_key: str | None = None):
    items = list_targets(conn, level, [area_key] if area_key else None)
    return json_response({"count": len(items), "targets": items})


@router.post("/api/targets", status_code=201, summary="Set a target for an indicator in an area (integration "
                                                      "office); refused for an indicator without data there")
def target_create(request: Request, payload: TargetIn, caller: Writer):
    with request.app.state.engine.begin() as conn:
        require_level(conn, payload.level)
        created = create_target(conn, **payload.model_dump(), created_by=caller.name)
        record(conn, caller, "create", "target", str(created["id"]), None, {"indicator": created["indicator"]})
    return json_response(created, status=201)


@router.put("/api/measures/{programme_id}", summary="The register fields of a programme as a measure: responsible "
                                                    "office, end date, budget, targeted indicators")
def measure_update(request: Request, programme_id: Annotated[str, Path(max_length=60)], payload: MeasureIn,
                   caller: Writer):
    with request.app.state.engine.begin() as conn:
        changed = update_register(conn, programme_id, **payload.model_dump())
        record(conn, caller, "update", "programme", programme_id, None, payload.model_dump(mode="json"))
    return json_response(changed)


# --- pages ---------------------------------------------------------------------------------------------------


@router.get("/reports/documents/{report_id}", summary="A report document as a page: the working copy for "
                                                       "editors (with the editor), the newest published version "
                                                       "for everyone else")
def document_page(request: Request, conn: Conn, caller: Caller, report_id: ReportId):
    report = get_report(conn, report_id, sees_drafts=caller.sees_drafts)
    if not caller.sees_drafts:
        return HTMLResponse(published_version(conn, report_id)["html"])
    document = document_of(report)
    settings = request.app.state.settings
    _figures, html = build(conn, document, settings.storage_srid, lang=getattr(request.state, "lang", "de"),
                           links={"JSON": f"/api/reports/{report_id}"}, editor=editor_context(report, caller),
                           request=request)
    return HTMLResponse(html)


def editor_context(report: dict, caller: Principal) -> dict:
    """What the editing panel of the page needs: the sections with their revisions (editable in a draft by the
    integration office) and the state buttons the caller's role may press."""
    buttons = [{"to": to, "label_de": step.de, "label_en": step.en}
               for (origin, to), step in TRANSITIONS.items() if origin == report["state"] and caller.has(step.role)]
    return {"id": report["id"], "state": report["state"], "revision": report["revision"],
            "can_write": report["state"] == "draft" and caller.has("data_steward"), "buttons": buttons,
            "sections": report["sections"]}


@router.get("/reports/documents/{report_id}/v{version}", summary="A published version as stored (HTML); "
                                                                  "…/v{version}.pdf: its PDF")
def document_version(conn: Conn, report_id: ReportId, version: str):
    number, _dot, suffix = version.partition(".")
    if not number.isdigit() or suffix not in ("", "pdf", "html"):
        raise bad_request("version must be a number, optionally with .pdf or .html", field="version")
    stored = published_version(conn, report_id, int(number))
    if suffix == "pdf":
        return Response(bytes(stored["pdf"]), media_type="application/pdf", headers={
            "Content-Disposition": f'inline; filename="bericht_{report_id}_v{number}.pdf"'})
    return HTMLResponse(stored["html"])
