"""Benchmark of the web pages (issue 7), each measured against a peer in the same run.

1. The map explorer for the 542 Planungsräume: bytes transferred (gzip, as a browser receives them) and the
   time from navigation start until all 542 polygons are in the page, in Debian's headless Chromium; the
   simplified page (coverage-simplified geometry, rounded coordinates) against the same page with the
   stored geometry (`detail=full`). Targets: under 1.5 MB compressed, under 2 s until drawn.
2. The integration report for one period, HTML and A4 PDF. Target: under 30 s.

Run: .venv/bin/python bench/bench_pages.py
(DATABASE_URL: a database holding the demo is used as it is; otherwise a throwaway cluster with the demo.)
"""

from __future__ import annotations

import gzip
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.app import create_app
from service.db import create_engine, upgrade
from service.demo import load_demo
from service.embedded import EmbeddedCluster
from service.settings import Settings

SETTINGS = Settings(_env_file=None, load_demo=False, map_tiles="", statement_timeout_ms=600_000)
RUNS = 5
PERIOD = "2020-12-31"
EXPLORER = f"/explorer?indicator=S1&level=plr&period={PERIOD}"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def database() -> tuple[sa.Engine, callable]:
    url = os.environ.get("DATABASE_URL")
    if url:
        engine = create_engine(url, SETTINGS)
        return engine, engine.dispose
    root = Path(tempfile.mkdtemp(prefix="dm-bench-pages-"))
    cluster = EmbeddedCluster(root, durable=False)
    cluster.ensure_running()
    admin = create_engine(cluster.url("postgres"), SETTINGS).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("CREATE DATABASE dm_bench_pages"))
    admin.dispose()
    engine = create_engine(cluster.url("dm_bench_pages"), SETTINGS)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
    print("loading the demo into a throwaway cluster ...", flush=True)
    upgrade(engine, SETTINGS.storage_srid)
    load_demo(engine)

    def cleanup() -> None:
        engine.dispose()
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)

    return engine, cleanup


def serve(engine: sa.Engine) -> tuple[str, callable]:
    config = uvicorn.Config(create_app(SETTINGS, engine=engine), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return f"http://127.0.0.1:{port}", stop


def page_bytes(base: str, path: str) -> tuple[int, int]:
    """(bytes on the wire with gzip, bytes of the page) for one GET."""
    with httpx.Client(base_url=base, timeout=120) as client, \
            client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as response:
        wire = b"".join(response.iter_raw())
        encoded = response.headers.get("content-encoding") == "gzip"
    raw = gzip.decompress(wire) if encoded else wire
    return len(wire), len(raw)


def time_to_polygons(browser, url: str) -> float:
    """Seconds from navigation start until 542 Leaflet polygons are in the page (in-page clock)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url, wait_until="commit")
    page.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length >= 542", timeout=60_000,
                           polling=10)
    elapsed = page.evaluate("performance.now()") / 1000
    page.close()
    return elapsed


def main() -> None:
    from playwright.sync_api import sync_playwright

    engine, cleanup = database()
    base, stop = serve(engine)
    try:
        with httpx.Client(base_url=base, timeout=300) as client:  # warm: simplification cache, imports
            client.get(EXPLORER).raise_for_status()
            client.get(EXPLORER + "&detail=full").raise_for_status()
        sizes = {name: page_bytes(base, path) for name, path in
                 (("simplified", EXPLORER), ("stored geometry", EXPLORER + "&detail=full"))}
        executable = shutil.which("chromium") or "/usr/bin/chromium"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            times = {"simplified": [], "stored geometry": []}
            for _ in range(RUNS):  # interleaved, so both see the same machine load
                times["simplified"].append(time_to_polygons(browser, base + EXPLORER))
                times["stored geometry"].append(time_to_polygons(browser, base + EXPLORER + "&detail=full"))
            browser.close()
        print(f"\nExplorer page, 542 Planungsräume, S1 {PERIOD} (median of {RUNS} loads in headless Chromium)")
        print(f"{'geometry':<18}{'gzip bytes':>12}{'raw bytes':>12}{'drawn after':>13}")
        for name, (wire, raw) in sizes.items():
            print(f"{name:<18}{wire:>12,}{raw:>12,}{statistics.median(times[name]):>12.2f}s")
        simple, full = sizes["simplified"], sizes["stored geometry"]
        print(f"ratio stored/simplified: {full[0] / simple[0]:.1f}x bytes (gzip), "
              f"{statistics.median(times['stored geometry']) / statistics.median(times['simplified']):.1f}x time")
        print(f"targets: < 1.5 MB gzip: {'met' if simple[0] < 1_500_000 else 'MISSED'}; "
              f"< 2 s drawn: {'met' if statistics.median(times['simplified']) < 2 else 'MISSED'}")

        print(f"\nIntegration report {PERIOD}")
        with httpx.Client(base_url=base, timeout=600) as client:
            for label, path in (("HTML", f"/reports/{PERIOD}"), ("PDF (A4)", f"/reports/{PERIOD}.pdf"),
                                ("HTML, second time", f"/reports/{PERIOD}")):
                started = time.perf_counter()
                response = client.get(path)
                response.raise_for_status()
                seconds = time.perf_counter() - started
                print(f"{label:<20}{seconds:>7.2f}s {len(response.content):>12,} bytes  target < 30 s: "
                      f"{'met' if seconds < 30 else 'MISSED'}")
    finally:
        stop()
        cleanup()


if __name__ == "__main__":
    main()
