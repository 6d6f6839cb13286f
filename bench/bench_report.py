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
from datetime import date, datetime
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
        from web.report_document import freeze

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
        base, stop = serve(engine, DM_RATE_LIMIT_PER_MINUTE="0")  # one client asks a hundred times
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
                pdf_as_job(engine, client)
        finally:
            stop()
    finally:
        cleanup()


def pdf_as_job(engine: sa.Engine, client: httpx.Client, rounds: int = 3) -> None:
    """4. The same PDF as a background job (POST /api/jobs, progress read every 500 ms as the page does) against
    the request that waits for it (GET /reports/{period}.pdf), in the same server, in turns; each render profiles
    another area, so that none is answered from a cache. The seconds of each step from the job's log."""
    with engine.begin() as conn:  # fresh jobs, not the ones an earlier run of the bench left
        conn.execute(sa.text("DELETE FROM job WHERE kind = 'report_pdf'"))
        keys = conn.execute(sa.text(
            "SELECT a.key FROM area a JOIN observation o ON o.area_id = a.id WHERE a.level_code = 'plr' "
            "AND a.valid_to IS NULL AND o.period = :p GROUP BY a.key ORDER BY a.key LIMIT :n"),
            {"p": PERIOD, "n": 2 * rounds + 1}).scalars().all()
    path = f"/reports/{PERIOD.isoformat()}.pdf"
    client.get(path, params={"areas": keys[-1]}).raise_for_status()  # the server warm
    waited, jobs, firsts, logs = [], [], [], []
    for turn in range(rounds):
        start = time.perf_counter()
        client.get(path, params={"areas": keys[2 * turn]}).raise_for_status()
        waited.append(time.perf_counter() - start)
        request = {"kind": "report_pdf", "period": PERIOD.isoformat(), "lang": "de", "areas": [keys[2 * turn + 1]]}
        start = time.perf_counter()
        posted = client.post("/api/jobs", json=request)
        assert posted.status_code == 202, posted.text
        url, first = posted.headers["location"], None
        while True:
            job = client.get(url).json()
            if job["step"] and first is None:
                first = time.perf_counter() - start
            if job["state"] in ("done", "failed"):
                break
            time.sleep(0.5)
        jobs.append(time.perf_counter() - start)
        firsts.append(first or 0.0)
        logs.append(job)
    start = time.perf_counter()
    again = client.post("/api/jobs", json=request).json()
    reused = time.perf_counter() - start
    job = logs[-1]
    stamps = [datetime.fromisoformat(e["at"]) for e in job["log"]] + [datetime.fromisoformat(job["finished_at"])]
    steps = ", ".join(f"{e['step']} {(b - a).total_seconds():.2f} s" for e, a, b in zip(job["log"], stamps,
                                                                                         stamps[1:]))
    job_s, waited_s = statistics.median(jobs), statistics.median(waited)
    console.print(f"  PDF as a job ({rounds} turns, medians): first step shown after "
                  f"{statistics.median(firsts) * 1000:.0f} ms, done (seen by the page) after {job_s:.2f} s")
    console.print(f"    steps of the last job: {steps}")
    console.print(f"    the same PDF by a waiting request: {waited_s:.2f} s; job / waiting = {job_s / waited_s:.2f} "
                  f"(the page looks every 0.5 s); asked again (same data): {again['state']} after "
                  f"{reused * 1000:.0f} ms")


if __name__ == "__main__":
    main()
