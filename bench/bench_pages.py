"""Benchmark of the web pages (issues 7 and 18), each measured against a peer in the same run.

1. The map explorer for the 542 Planungsräume: bytes transferred (gzip, as a browser receives them) for a first
   visit (page + the level's shapes + the outlines, which come from /maps/geometry/...) and for a change of the
   indicator (the next page only: the shapes stay in the browser), and in Debian's headless Chromium the time
   from navigation start until all 542 polygons are drawn and the time from choosing another indicator until
   the map is recoloured; the simplified shapes against the stored geometry (`detail=full`).
   Targets: under 1.5 MB compressed, under 2 s until drawn; a change of indicator under 1 s.
2. The speed targets of issue 18 in headless Chromium, for the 542 Planungsräume and for the 10,997 Gemeinden of
   the Germany demo (level `gemeinde`, population per Gemeinde from the Regionalstatistik, which the demo reads
   from the unchanged GENESIS export): first map drawn (median of 5 cold visits, a new browser context each) under
   1.5 s / 2.5 s; a control change (indicator or period, then class scheme, alternating) until the map is
   recoloured under 300 ms median and 600 ms p95 (12 changes); an area profile (`/areas/{level}/{key}`) loaded
   under 1 s (median of 5 areas, each asked once). Times in the page's clock (see SPY). With where the time went: page and shapes received (performance entries), and per
   change the fetch of the next page against the rest (parsing, recolouring).
3. The integration report for one period, HTML and A4 PDF. Target: under 30 s.

Run: nice .venv/bin/python bench/bench_pages.py
(DATABASE_URL: a database holding the demos is used as it is, the Gemeinde part only if its Gemeinden have
population values; otherwise a throwaway cluster with the Berlin and Germany demos, a few minutes to load.)
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote_plus

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.db import create_engine, upgrade
from service.demo import demo_manifest, load_demo
from service.embedded import EmbeddedCluster
from service.settings import Settings

SETTINGS = Settings(_env_file=None, load_demo=False, map_tiles="", statement_timeout_ms=600_000)
RUNS = 5
CHANGES = 12  # control changes per level (median and p95)
PERIOD = "2020-12-31"
EXPLORER = f"/explorer?indicator=S1&level=plr&period={PERIOD}"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
# The finest level of the Germany demo (data/demo/germany/manifest.yaml): the 10,997 Gemeinden of VG5000 2021, with
# the population of the Regionalstatistik (BEV, BEV_W, 31.12.2008-2015; layout genesis in the manifest).
GEMEINDE, GEMEINDE_AREAS = "gemeinde", 10_997
GEMEINDE_EXPLORER = f"/explorer?indicator=BEV&level={GEMEINDE}&period=2015-12-31"
# what the control changes choose, alternating with a class scheme
DATA_CHANGES = {"plr": [("indicator", code) for code in ("S3", "S4", "D1", "D3", "D4", "S1")],
                GEMEINDE: [("period", "2014-12-31"), ("indicator", "BEV_W"), ("period", "2013-12-31"),
                           ("indicator", "BEV"), ("period", "2012-12-31"), ("period", "2011-12-31")]}
PROFILE_NAMES = {"plr": "Planungsräume", GEMEINDE: "Gemeinden"}  # area profiles (/areas/{level}/{key}) measured
# issue 18: first map drawn (s) per level, a control change (median, p95), a profile (s)
TARGETS = {"drawn": {"plr": 1.5, GEMEINDE: 2.5}, "change": (0.3, 0.6), "profile": 1.0}


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
    load_germany(engine)

    def cleanup() -> None:
        engine.dispose()
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)

    return engine, cleanup


def load_germany(engine: sa.Engine) -> None:
    """The Germany demo beside the Berlin one (with the population of its Gemeinden)."""
    print("loading the Germany demo ...", flush=True)
    load_demo(engine, demo_manifest("germany"))


def gemeinden_with_values(engine: sa.Engine) -> bool:
    """Whether the Gemeinden have population values (if not, the Gemeinde part is skipped)."""
    from geo.levels import get_level
    from indicators.catalogue import list_periods

    with engine.connect() as conn:
        return get_level(conn, GEMEINDE) is not None and bool(list_periods(conn, GEMEINDE, "BEV", False))


def serve(engine: sa.Engine, **settings: str) -> tuple[str, callable]:
    """The service in a process of its own, as `district-monitor serve` runs a worker (uvicorn with the app
    factory): the browser's driver in this process shares no interpreter with it. `settings`: more DM_...
    variables."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False),
                   "DM_LOAD_DEMO": "false", "DM_MAP_TILES": "", "DM_STATEMENT_TIMEOUT_MS": "600000",
                   "DM_WARM_UP_ANALYSES": "false", **settings}  # no page here uses the cluster analysis
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "service.app:app_from_environment", "--factory",
                               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                              cwd=Path(__file__).resolve().parent.parent, env=environment)
    base = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        try:
            if httpx.get(base + "/healthz", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            raise RuntimeError(f"the service ended with {server.returncode}")
        time.sleep(0.1)

    def stop() -> None:
        server.terminate()
        server.wait(timeout=30)

    return base, stop


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


# Times are taken in the page's own clock (performance.now(), 0 = navigation start): Playwright notices a selector
# by polling with a backoff of up to 500 ms (20, 50, 100, 100, 500, 500, ... ms), so the moment a wait returns
# overstates by up to half a second whatever took longer than ~0.3 s. This script, added to every page before its
# own scripts (a browser instruction, which the page's policy does not restrict), notes the last control change
# and when the explorer marks its map drawn or recoloured (data-map-ready / data-map-state, set by explorer.js
# once every polygon is added or restyled), and the end of the next frame (when the map is on screen).
SPY = """(() => {
  const marks = window.__bench = {change: null, marked: null, shown: null};
  document.addEventListener('change', () => { marks.change = performance.now(); marks.marked = marks.shown = null; }, true);
  new MutationObserver(() => {
    marks.marked = performance.now();
    requestAnimationFrame(() => setTimeout(() => { marks.shown = performance.now(); }, 0));
  }).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-map-ready', 'data-map-state']});
})();"""
# when the page's answer and the level's shapes had arrived (ms after navigation start)
ARRIVALS = """() => ({page: performance.getEntriesByType('navigation')[0].responseEnd,
  shapes: Math.max(0, ...performance.getEntriesByType('resource')
    .filter(e => e.name.includes('/maps/geometry/')).map(e => e.responseEnd))})"""
# the fetch of the next page after a control change (ms in the page's clock)
LAST_FETCH = """() => { const fetched = performance.getEntriesByType('resource')
  .filter(e => e.initiatorType === 'fetch' && e.name.includes('/explorer'));
  const e = fetched[fetched.length - 1]; return {start: e.startTime, end: e.responseEnd, bytes: e.encodedBodySize}; }"""


def fresh_page(browser):
    """A page in a new browser context (nothing cached), with SPY."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")  # German pages
    context.add_init_script(SPY)
    return context.new_page()


def marks(page) -> dict:
    """The page's marks once the frame after the last mark has ended (ms in the page's clock)."""
    for _ in range(500):
        noted = page.evaluate("() => window.__bench")
        if noted["shown"] is not None:
            return noted
        time.sleep(0.01)
    raise TimeoutError("the map was marked, but no frame followed")


def time_to_polygons(browser, url: str) -> tuple[float, float]:
    """(seconds from navigation start until the 542 polygons are drawn, seconds from choosing another indicator
    until the map is recoloured). Waits with selectors: the page's policy forbids evaluating strings."""
    page = fresh_page(browser)
    page.goto(url, wait_until="commit")
    page.wait_for_selector("body[data-map-ready='542']", state="attached", timeout=60_000)
    elapsed = marks(page)["shown"] / 1000
    page.select_option("select[name=indicator]", "S3")
    page.wait_for_selector("body[data-map-state*='indicator=S3']", state="attached", timeout=60_000)
    noted = marks(page)
    page.context.close()
    return elapsed, (noted["shown"] - noted["change"]) / 1000


def first_draw(browser, url: str, areas: int) -> dict:
    """A cold visit (a new browser context): seconds from navigation start until the page's answer, the level's
    shapes (the later of areas and outlines) had arrived and all `areas` polygons were on screen."""
    page = fresh_page(browser)
    page.goto(url, wait_until="commit")
    page.wait_for_selector(f"body[data-map-ready='{areas}']", state="attached", timeout=120_000)
    drawn = marks(page)["shown"]
    arrivals = page.evaluate(ARRIVALS)
    page.context.close()
    return {"page": arrivals["page"] / 1000, "shapes": arrivals["shapes"] / 1000, "drawn": drawn / 1000}


def state_selector(name: str, value: str) -> str:
    """The body once the map shows `name`=`value` (data-map-state: geometry URL | the page's query)."""
    pair = f"{name}={quote_plus(value)}"
    return ", ".join(f"body[data-map-state{how}'{text}']"
                     for how, text in (("*=", f"?{pair}&"), ("*=", f"&{pair}&"), ("$=", f"?{pair}"), ("$=", f"&{pair}")))


def control_changes(browser, url: str, areas: int, data_changes: list[tuple[str, str]]) -> list[dict]:
    """CHANGES control changes on one explorer page, alternating: the next class scheme the page offers, then an
    indicator or period of `data_changes` (each state new to the server); per change the seconds from the change
    event until the recoloured map was on screen, and the fetch of the next page within them (request to last
    byte: the server's work and the transfer; the rest is the browser's)."""
    page = fresh_page(browser)
    page.goto(url, wait_until="commit")
    page.wait_for_selector(f"body[data-map-ready='{areas}']", state="attached", timeout=120_000)
    marks(page)
    changes = []
    for i in range(CHANGES):
        if i % 2:
            name, value = data_changes[(i // 2) % len(data_changes)]
        else:
            name = "scheme"
            offered = page.locator("#state select[name=scheme] option").evaluate_all("os => os.map(o => o.value)")
            current = page.locator("#state select[name=scheme]").input_value()
            value = offered[(offered.index(current) + 1) % len(offered)]
        page.select_option(f"#state select[name={name}]", value)
        page.wait_for_selector(state_selector(name, value), state="attached", timeout=60_000)
        noted = marks(page)
        fetched = page.evaluate(LAST_FETCH)
        changes.append({"what": f"{name}={value}", "seconds": (noted["shown"] - noted["change"]) / 1000,
                        "fetch": (fetched["end"] - fetched["start"]) / 1000, "bytes": fetched["bytes"]})
    page.context.close()
    return changes


def profile_load(browser, url: str) -> dict:
    """A cold visit of a profile page: seconds from navigation start until its answer had arrived and until its
    load event (images, scripts and styles included) had ended. The trend charts are lazy images: those on the
    first screen count, the others load as the reader scrolls to them."""
    page = fresh_page(browser)
    page.goto(url, wait_until="load", timeout=120_000)
    timing = page.evaluate("() => { const e = performance.getEntriesByType('navigation')[0]; "
                           "return {page: e.responseEnd, loaded: e.loadEventEnd || performance.now(), "
                           "bytes: e.encodedBodySize}; }")
    page.context.close()
    return {"page": timing["page"] / 1000, "loaded": timing["loaded"] / 1000, "bytes": timing["bytes"]}


def profile_keys(engine: sa.Engine, level: str) -> list[str]:
    """RUNS + 1 areas of a level's current boundaries that have values, in a fixed scattered order: the first warms
    the server (its worker's drawn geometry for the locator map), the others are each asked once (no answer of the
    server's response cache)."""
    with engine.connect() as conn:
        return list(conn.execute(sa.text("""
            SELECT a.key FROM area a WHERE a.level_code = :level AND a.valid_to IS NULL
              AND EXISTS (SELECT 1 FROM observation_current o WHERE o.area_id = a.id)
            ORDER BY md5(a.key) LIMIT :n"""), {"level": level, "n": RUNS + 1}).scalars())


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def verdict(label: str, value: float, target: float) -> str:
    return (f"{label:<58}{value * 1000:>8.0f} ms  target < {target * 1000:>5.0f} ms  ratio {value / target:>5.2f}  "
            f"{'met' if value < target else 'MISSED'}")


def issue_18(base: str, browser, levels: dict[str, tuple[str, int, str]], profiles: dict[str, list[str]]) -> None:
    """The speed targets of issue 18 for each level of `levels` (code -> explorer path, polygons, name) and the
    profiles of the areas in `profiles` (level -> keys, see profile_keys)."""
    lines, details = [], []
    for level, (path, areas, name) in levels.items():
        visits = [first_draw(browser, base + path, areas) for _ in range(RUNS)]
        drawn = statistics.median(v["drawn"] for v in visits)
        lines.append(verdict(f"first map drawn, {name} (median of {RUNS})", drawn, TARGETS["drawn"][level]))
        details.append(f"{name}: page received {statistics.median(v['page'] for v in visits):.2f} s, shapes "
                       f"{statistics.median(v['shapes'] for v in visits):.2f} s, drawn "
                       f"{drawn:.2f} s after navigation start (medians)")
        changes = control_changes(browser, base + path, areas, DATA_CHANGES[level])
        seconds = [c["seconds"] for c in changes]
        lines.append(verdict(f"control change, {name} (median of {len(seconds)})", statistics.median(seconds),
                             TARGETS["change"][0]))
        lines.append(verdict(f"control change, {name} (p95 of {len(seconds)})", p95(seconds), TARGETS["change"][1]))
        details.append(f"{name}: per change the next page's fetch (request to last byte, median) "
                       f"{statistics.median(c['fetch'] for c in changes) * 1000:.0f} ms of "
                       f"{statistics.median(seconds) * 1000:.0f} ms, "
                       f"{statistics.median(c['bytes'] for c in changes):,.0f} bytes gzip; each: "
                       + ", ".join(f"{c['what']} {c['seconds'] * 1000:.0f}" for c in changes))
    for level, (warm, *keys) in profiles.items():
        httpx.get(f"{base}/areas/{level}/{warm}", timeout=300).raise_for_status()
        visits = [profile_load(browser, f"{base}/areas/{level}/{key}") for key in keys]
        loaded = statistics.median(v["loaded"] for v in visits)
        lines.append(verdict(f"profile /areas/{level}/..., {len(keys)} {PROFILE_NAMES[level]} (median)", loaded,
                             TARGETS["profile"]))
        details.append(f"profiles /areas/{level}/{{{','.join(keys)}}}: page received "
                       f"{statistics.median(v['page'] for v in visits):.2f} s (the server's work), "
                       f"{statistics.median(v['bytes'] for v in visits):,.0f} bytes gzip, load event ended "
                       f"{loaded:.2f} s (medians)")
    print("\nIssue 18, speed in headless Chromium")
    print("\n".join(lines))
    print("where the time went:\n  " + "\n  ".join(details))


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
        levels = {"plr": (EXPLORER, 542, "542 Planungsräume")}
        if gemeinden_with_values(engine):
            with httpx.Client(base_url=base, timeout=600) as client:  # warm: the 10,997 shapes simplified
                client.get(GEMEINDE_EXPLORER).raise_for_status()
            sizes["Gemeinden"] = visit_bytes(base, GEMEINDE_EXPLORER)
            levels[GEMEINDE] = (GEMEINDE_EXPLORER, GEMEINDE_AREAS, f"{GEMEINDE_AREAS:,} Gemeinden")
        else:
            print("\nno Gemeinde has population values: the Gemeinde part is skipped (load the Germany demo into "
                  "the database, or run without DATABASE_URL)")
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
            print(f"\nExplorer, 542 Planungsräume, S1 {PERIOD} (median of {RUNS} loads in headless Chromium)")
            print(f"{'geometry':<18}{'first visit gzip':>17}{'raw':>12}{'drawn after':>13}{'change gzip':>13}"
                  f"{'recoloured after':>18}")
            for name, drawn_times in times.items():
                wire, raw, page = sizes[name]
                print(f"{name:<18}{wire:>17,}{raw:>12,}{statistics.median(drawn_times):>12.2f}s{page:>13,}"
                      f"{statistics.median(changes[name]):>17.2f}s")
            simple, full = sizes["simplified"], sizes["stored geometry"]
            print(f"ratio stored/simplified: {full[0] / simple[0]:.1f}x bytes (gzip), "
                  f"{statistics.median(times['stored geometry']) / statistics.median(times['simplified']):.1f}x time")
            print(f"targets: < 1.5 MB gzip: {'met' if simple[0] < 1_500_000 else 'MISSED'}; "
                  f"< 2 s drawn: {'met' if statistics.median(times['simplified']) < 2 else 'MISSED'}; "
                  f"< 1 s recoloured: {'met' if statistics.median(changes['simplified']) < 1 else 'MISSED'}")
            if "Gemeinden" in sizes:
                wire, raw, page = sizes["Gemeinden"]
                print(f"Explorer, {GEMEINDE_AREAS:,} Gemeinden, BEV 2015-12-31: first visit {wire:,} bytes gzip "
                      f"({raw:,} raw), a change {page:,} bytes gzip")
            issue_18(base, browser, levels, {level: profile_keys(engine, level) for level in levels})
            browser.close()

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
