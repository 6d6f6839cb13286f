"""Benchmark of the report document (issue 17), with a Rich progress display while the report is generated.

1. The report of one period with all sections: figures, maps (SVG), HTML; cold (first in the process: the
   shapes are simplified once) and warm. Target: HTML under 3 s.
2. The A4 PDF of that report (WeasyPrint). Target: under 10 s.
3. A published report served from storage over HTTP (HTML and PDF as stored, median of 20). Target: under 200 ms.

Run: .venv/bin/python bench/bench_report.py
(DATABASE_URL: a database holding the demo at the current schema is used as it is, and a report is written into
it; otherwise a throwaway cluster with the demo.)
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import sqlalchemy as sa
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pages import SETTINGS, database, serve  # noqa: E402  (the same throwaway demo and server)

from indicators.report_lifecycle import SECTION_KINDS, create_report, get_report, transition  # noqa: E402
from service.auth import Principal  # noqa: E402
from web.pdf import html_to_pdf  # noqa: E402
from web.report_document import build, document_figures, period_document  # noqa: E402

PERIOD = date(2020, 12, 31)
console = Console()


def generate(engine: sa.Engine, progress: Progress, label: str) -> tuple[dict[str, float], str]:
    """Figures, maps and HTML of the period's report, each step a line of progress; the seconds per step."""
    task = progress.add_task(label, total=2)
    times = {}
    with engine.connect() as conn:
        start = time.perf_counter()
        progress.update(task, description=f"{label}: Zahlen")
        figures = document_figures(conn, period=PERIOD)
        times["figures"] = time.perf_counter() - start
        progress.advance(task)
        progress.update(task, description=f"{label}: Karten (SVG) und HTML")
        step = time.perf_counter()
        _figures, html = build(conn, period_document(figures, "de"), SETTINGS.storage_srid, figures=figures,
                               for_print=True)
        times["maps and html"] = time.perf_counter() - step
        progress.advance(task)
        times["html total"] = time.perf_counter() - start
    return times, html


def main() -> None:
    engine, cleanup = database()
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=console) as progress:
            cold, _html = generate(engine, progress, "Bericht (kalt)")
            warm, html = generate(engine, progress, "Bericht (warm)")
            task = progress.add_task("PDF (A4, WeasyPrint)", total=None)
            start = time.perf_counter()
            pdf = html_to_pdf(html)
            pdf_seconds = time.perf_counter() - start
            progress.update(task, total=1, completed=1)
        console.print(f"report {PERIOD}, all sections ({', '.join(SECTION_KINDS)})")
        for name, times in (("cold", cold), ("warm", warm)):
            console.print(f"  HTML {name}: " + ", ".join(f"{k} {v:.2f} s" for k, v in times.items()))
        console.print(f"  HTML: {len(html) / 1e6:.1f} MB; target < 3 s: {'ok' if warm['html total'] < 3 else 'MISSED'}")
        console.print(f"  PDF: {pdf_seconds:.2f} s, {len(pdf) / 1e6:.2f} MB; target < 10 s: "
                      f"{'ok' if pdf_seconds < 10 else 'MISSED'}")

        steward, office = Principal("bench-integrationsbuero", "data_steward"), Principal("bench-statistik",
                                                                                          "statistics_office")
        from service.routes.reports import freeze

        with engine.begin() as conn:
            report = create_report(conn, title="Bench-Bericht", period=PERIOD, level="plr",
                                   sections=list(SECTION_KINDS), area_keys=[], municipality="Berlin",
                                   publisher="Bench", author=steward.name)
            transition(conn, report["id"], "review", steward)
            transition(conn, report["id"], "approved", office)
        start = time.perf_counter()
        with engine.connect() as conn:
            frozen = freeze(conn, get_report(conn, report["id"]), SETTINGS.storage_srid)
        with engine.begin() as conn:
            transition(conn, report["id"], "published", steward, frozen=frozen)
        console.print(f"  publishing (figures, HTML, PDF frozen): {time.perf_counter() - start:.2f} s")
        base, stop = serve(engine)
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                for suffix in ("", ".pdf"):
                    path = f"/reports/documents/{report['id']}/v1{suffix}"
                    client.get(path).raise_for_status()
                    samples = []
                    for _ in range(20):
                        start = time.perf_counter()
                        response = client.get(path)
                        samples.append(time.perf_counter() - start)
                    median = statistics.median(samples) * 1000
                    console.print(f"  published {suffix or '.html'} from storage: median {median:.0f} ms "
                                  f"({len(response.content) / 1e6:.2f} MB); target < 200 ms: "
                                  f"{'ok' if median < 200 else 'MISSED'}")
        finally:
            stop()
    finally:
        cleanup()


if __name__ == "__main__":
    main()
