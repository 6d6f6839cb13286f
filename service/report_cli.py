"""`district-monitor report` (a period's report as PDF or HTML file, with the steps as a progress bar) and
`district-monitor jobs` (the background jobs of the service, run in this process: service.jobs)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Optional

import typer

from service.cli_common import console, database, fail, progress_bar
from service.jobs import Step
from service.settings import get_settings


def report_command(
    period: str = typer.Argument(..., help="Reference date YYYY-MM-DD or a year (the newest date of that year)."),
    out: Optional[Path] = typer.Option(None, "--out", help="File to write, .pdf (A4) or .html (default: "
                                                           "integrationsbericht_<period>.pdf here)."),
    lang: str = typer.Option("de", help="de or en: the language of the report's fixed texts."),
    areas: str = typer.Option("", help="Comma-separated keys of the areas to profile (finest level; default: the "
                                       "attention areas of the Gesamtindex)."),
):
    """Write the report of a period generated from the data (all sections, no narrative; the public figures),
    the same document as GET /reports/{period}.pdf."""
    # imported where used, like every command's heavy part: the report pulls in maps and charts (folium,
    # pandas), which `district-monitor --help` or `db upgrade` should not wait for
    from service.report_jobs import FIGURES, MAPS, PAGES, PDF
    from web.pdf import html_to_pdf
    from web.report_document import period_report
    from web.reports import Missing, resolve_report_period

    if lang not in ("de", "en"):
        fail(f"--lang {lang!r}: use de or en")
    keys = [k.strip() for k in areas.split(",") if k.strip()] or None
    settings = get_settings()
    with database(settings, stop_embedded=True) as (engine, _where):
        with engine.connect() as conn:
            chosen = resolve_report_period(conn, period, False, lang)
        if isinstance(chosen, Missing):
            dates = [href.rsplit("/", 1)[-1] for _label, href in chosen.choices]
            fail(f"there is no report for {period!r}: no public figures for it; periods with figures: "
                 f"{', '.join(dates) or 'none (load data first)'}")
        target = out or Path(f"integrationsbericht_{chosen.isoformat()}.pdf")
        if target.suffix not in (".pdf", ".html"):
            fail(f"--out {target}: the file must end in .pdf or .html")
        steps = (FIGURES, MAPS, PAGES, PDF) if target.suffix == ".pdf" else (FIGURES, MAPS, PAGES)
        with progress_bar() as bar:
            task = bar.add_task("report", total=len(steps))
            step = _step_reporter(bar, task, steps, lang)
            with engine.connect() as conn:
                html = period_report(conn, chosen, keys, settings.storage_srid, lang=lang,
                                     for_print=target.suffix == ".pdf", step=step)
            if target.suffix == ".pdf":
                step("pdf")
                content = html_to_pdf(html)
            else:
                content = html.encode()
            bar.update(task, completed=len(steps), description="report written")
    target.write_bytes(content)
    console.print(f"{target}: report of {chosen.isoformat()}, {len(content) / 1e6:.1f} MB")


def _step_reporter(bar, task, steps: tuple[Step, ...], lang: str):
    codes = [s.code for s in steps]

    def step(code: str) -> None:
        number = codes.index(code)
        label = steps[number].en if lang == "en" else steps[number].de
        bar.update(task, completed=number, description=f"{number + 1}/{len(steps)} {label}")

    return step


def jobs_command():
    """Run the service's background jobs (report PDFs, publications) in this process until Ctrl-C: for a
    deployment whose web workers run with DM_RUN_JOBS=false, so that rendering never slows their answers."""
    from service.jobs import JobRunner
    from service.report_jobs import REPORT_JOBS

    settings = get_settings()
    with database(settings) as (engine, where):
        runner = JobRunner(engine, settings, REPORT_JOBS)
        runner.start()
        console.print(f"running background jobs ({', '.join(REPORT_JOBS)}) on {where} as {runner.name}; Ctrl-C stops")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            console.print("stopping: a running job gets the shutdown grace, then counts as interrupted")
        finally:
            runner.stop(settings.shutdown_grace_s)
