"""Benchmark of the web pages (issues 7 and 18), each measured against a peer in the same run.

1. The map explorer for the 542 Planungsräume: bytes transferred (gzip, as a browser receives them) for a first
   visit (page + the level's shapes + the outlines, which come from /maps/geometry/...) and for a change of the
   indicator (the next page only: the shapes stay in the browser), and in Debian's headless Chromium the time
   from navigation start until all 542 polygons are drawn and the time from choosing another indicator until
   the map is recoloured; the simplified shapes against the stored geometry (`detail=full`).
   Targets: under 1.5 MB compressed, under 2 s until drawn; a change of indicator under 1 s.
2. The integration report for one period, HTML and A4 PDF. Target: under 30 s.

Run: .venv/bin/python bench/bench_pages.py
(DATABASE_URL: a database holding the demo is used as it is; otherwise a throwaway cluster with the demo.)
"""

from __future__ import annotations

import gzip
import os
import re
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
    """(bytes on the wire with gzip, bytes of the answer) for one GET."""
    with httpx.Client(base_url=base, timeout=120) as client, \
            client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as response:
        wire = b"".join(response.iter_raw())
        encoded = response.headers.get("content-encoding") == "gzip"
    raw = gzip.decompress(wire) if encoded else wire
    return len(wire), len(raw)


def visit_bytes(base: str, path: str) -> tuple[int, int, int]:
    """(gzip bytes of a first visit: the page and every geometry it loads, raw bytes of the same, gzip bytes of
    the page alone = what a change of indicator transfers)."""
    page_wire, page_raw = page_bytes(base, path)
    html = httpx.get(base + path, timeout=120).text
    wire, raw = page_wire, page_raw
    for url in dict.fromkeys(re.findall(r'"(/maps/geometry/[^"]+)"', html)):
        more = page_bytes(base, url.replace("\\u0026", "&"))
        wire, raw = wire + more[0], raw + more[1]
    return wire, raw, page_wire


def time_to_polygons(browser, url: str) -> tuple[float, float]:
    """(seconds from navigation start until the 542 polygons are drawn, seconds from choosing another indicator
    until the map is recoloured). Waits with selectors: the page's policy forbids evaluating strings."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url, wait_until="commit")
    page.wait_for_selector("body[data-map-ready='542']", state="attached", timeout=60_000)
    elapsed = page.evaluate("performance.now()") / 1000
    started = time.perf_counter()
    page.select_option("select[name=indicator]", "S3")
    page.wait_for_selector("body[data-map-state*='indicator=S3']", state="attached", timeout=60_000)
    change = time.perf_counter() - started
    page.close()
    return elapsed, change


def main() -> None:
    from playwright.sync_api import sync_playwright

    engine, cleanup = database()
    base, stop = serve(engine)
    try:
        with httpx.Client(base_url=base, timeout=300) as client:  # warm: simplification cache, imports
            client.get(EXPLORER).raise_for_status()
            client.get(EXPLORER + "&detail=full").raise_for_status()
        sizes = {name: visit_bytes(base, path) for name, path in
                 (("simplified", EXPLORER), ("stored geometry", EXPLORER + "&detail=full"))}
        executable = shutil.which("chromium") or "/usr/bin/chromium"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            times = {"simplified": [], "stored geometry": []}
            changes = {"simplified": [], "stored geometry": []}
            for _ in range(RUNS):  # interleaved, so both see the same machine load
                for name, path in (("simplified", EXPLORER), ("stored geometry", EXPLORER + "&detail=full")):
                    drawn, change = time_to_polygons(browser, base + path)
                    times[name].append(drawn)
                    changes[name].append(change)
            browser.close()
        print(f"\nExplorer, 542 Planungsräume, S1 {PERIOD} (median of {RUNS} loads in headless Chromium)")
        print(f"{'geometry':<18}{'first visit gzip':>17}{'raw':>12}{'drawn after':>13}{'change gzip':>13}"
              f"{'recoloured after':>18}")
        for name, (wire, raw, page) in sizes.items():
            print(f"{name:<18}{wire:>17,}{raw:>12,}{statistics.median(times[name]):>12.2f}s{page:>13,}"
                  f"{statistics.median(changes[name]):>17.2f}s")
        simple, full = sizes["simplified"], sizes["stored geometry"]
        print(f"ratio stored/simplified: {full[0] / simple[0]:.1f}x bytes (gzip), "
              f"{statistics.median(times['stored geometry']) / statistics.median(times['simplified']):.1f}x time")
        print(f"targets: < 1.5 MB gzip: {'met' if simple[0] < 1_500_000 else 'MISSED'}; "
              f"< 2 s drawn: {'met' if statistics.median(times['simplified']) < 2 else 'MISSED'}; "
              f"< 1 s recoloured: {'met' if statistics.median(changes['simplified']) < 1 else 'MISSED'}")

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
