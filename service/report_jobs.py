"""The work on reports that takes seconds, as one function each, used by the request that waits for it and by the
background job that shows its progress (service.jobs): the A4 PDF of a period's report, and the publication of
a report document (figures, HTML and PDF frozen as a version). docs/reports.md, "Progress".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.engine import Connection, Engine

from geo.areas import find_areas
from indicators.report_lifecycle import TRANSITIONS, ReportError, check_transition, get_report, transition
from service.audit import record
from service.auth import Principal
from service.errors import bad_request
from service.jobs import JobContext, JobKind, JobResult, Step
from web.pdf import html_to_pdf
from web.report_document import freeze, no_step, period_report
from web.reports import report_periods

# the steps and their shares of the time, measured with bench/bench_report.py on the first shipped demo (a warm
# server: figures 0.8 s (3.5 s in a fresh process), maps 0.5 s, pages 0.02 s, PDF 4.9 s; storing a
# publication well under a second)
FIGURES = Step("figures", "Zahlen zusammenstellen", "Gathering the figures", 1.2)
MAPS = Step("maps", "Karten zeichnen", "Drawing the maps", 0.5)
PAGES = Step("pages", "Seiten setzen", "Setting the pages", 0.1)
PDF = Step("pdf", "PDF erzeugen", "Making the PDF", 4.9)
STORE = Step("store", "Fassung speichern", "Storing the version", 0.2)


def check_report_request(conn: Connection, period: date, area_keys: list[str], level: str) -> None:
    """Refuse a report (a document or a PDF job) for a period without public figures (422, with the periods
    that have them) or with profile areas that are not areas of `level` (400)."""
    available = report_periods(conn, False)  # a report shows the public figures (docs/reports.md)
    if period not in available:
        raise ReportError(422, f"there are no public figures for period {period}",
                          f"Für den {period:%d.%m.%Y} liegen keine veröffentlichten Zahlen vor.",
                          field="period", available=[p.isoformat() for p in available])
    unknown = [key for key in area_keys if not find_areas(conn, key, level)]
    if unknown:
        raise bad_request(f"unknown areas on level {level!r}: {unknown}", field="areas")


def report_view(report: dict) -> dict:
    """A stored report as the API shows it: with its links and the transitions its state allows."""
    links = {"self": f"/api/reports/{report['id']}", "page": f"/reports/documents/{report['id']}"}
    if report.get("versions"):
        newest = report["versions"][-1]["version"]
        links |= {"published_html": f"/reports/documents/{report['id']}/v{newest}",
                  "published_pdf": f"/reports/documents/{report['id']}/v{newest}.pdf"}
    allowed = [{"to": to, "action": step.action, "role": step.role, "label_de": step.de, "label_en": step.en}
               for (origin, to), step in TRANSITIONS.items() if origin == report["state"]]
    return {**report, "links": links, "transitions": allowed}


def publish(engine: Engine, storage_srid: int, report_id: int, actor: Principal, comment: str = "",
            revision: int | None = None, step: Callable[[str], None] = no_step) -> dict:
    """Publish the report: render it once (figures, maps, pages, PDF), then store that as its next version; refused
    (ReportError) if the role may not, or if the report changed since `revision` (default: since it was read)."""
    with engine.connect() as conn:
        report = get_report(conn, report_id)
        check_transition(report, "published", actor)  # refuse before seconds of rendering
        expected = revision or report["revision"]
        frozen = freeze(conn, report, storage_srid, step)
    step("store")
    with engine.begin() as conn:
        changed = transition(conn, report_id, "published", actor, comment, expected, frozen)
        record(conn, actor, "publish", "report", str(report_id), {"state": report["state"]},
               {"state": changed["state"], "version": changed["version"]})
    return report_view(changed)


def _publish_job(context: JobContext) -> JobResult:
    params = context.params
    actor = Principal(context.created_by, params["role"])
    body = publish(context.engine, context.settings.storage_srid, params["report_id"], actor, params["comment"],
                   params["revision"], context.step)
    return JobResult(body=body)


def _period_pdf_job(context: JobContext) -> JobResult:
    params = context.params
    period = date.fromisoformat(params["period"])
    with context.engine.connect() as conn:
        html = period_report(conn, period, params["areas"] or None, context.settings.storage_srid,
                             lang=params["lang"], for_print=True, step=context.step)
    context.step("pdf")
    return JobResult(html_to_pdf(html), "application/pdf", f"integrationsbericht_{period.isoformat()}.pdf")


REPORT_JOBS = {
    "report_pdf": JobKind("report_pdf", lambda params: (FIGURES, MAPS, PAGES, PDF), _period_pdf_job),
    "publish": JobKind("publish", lambda params: (FIGURES, MAPS, PAGES, PDF, STORE), _publish_job, drafts=True),
}
