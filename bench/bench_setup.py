"""Benchmark of setting a municipality up from its data (issue 14), each figure against its target or floor.

1. Loading the Germany demo (data/demo/germany/manifest.yaml: every Land, Kreis and Gemeinde, INKAR, the
   Regionalstatistik exports, the territorial change of 01.07.2021) into a new database, with the time of each
   step of the manifest; then the Berlin demo into the same database (both demos in one instance).
2. The Regionalstatistik's Gemeinde table (12411-01-01-5_00.csv, 1.9 MB, unchanged GENESIS export): its
   validated import as a dry run (read, match 10,997 Gemeinden by the key structure, check 170,000 values) and
   its step in the load above. Target: under 5 s.
3. `/collections/gemeinde/items?limit=10000` over HTTP (uvicorn, one worker) against the SQL floor in the same
   run (PostgreSQL writing the same FeatureCollection from a flat table in one statement over an open
   connection; bench_features.flat_table), interleaved, medians of --rounds. Target: within 1.3x the floor.

The explorer for the 10,997 Gemeinden in headless Chromium against the 542 Planungsräume is bench_pages.py.

Run: nice .venv/bin/python bench/bench_setup.py [--workdir DIR --keep]   (a throwaway cluster; about 4 minutes)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_features import Http, flat_table, floor_sql, pct, start_server, stop_server  # noqa: E402

from service.embedded import EmbeddedCluster  # noqa: E402

DATABASE = "dm_bench_setup"
GEMEINDE_FILE = ROOT / "data" / "demo" / "germany" / "regionalstatistik" / "12411-01-01-5_00.csv"
PERIOD = date(2015, 12, 31)  # the Gemeinde population's latest period
PORT = 18741


def load_demos(url: str) -> dict[str, float]:
    """Both demos into a new database; seconds per manifest step of the Germany demo, and the totals."""
    from service.db import create_engine, upgrade
    from service.demo import DEMOS, load_demo
    from service.settings import Settings

    engine = create_engine(url, Settings(_env_file=None, load_demo=False, statement_timeout_ms=3_600_000))
    upgrade(engine, 25832)
    steps: dict[str, float] = {}
    last = [time.perf_counter()]

    def progress(what: str, _done: int, _total: int) -> None:
        now = time.perf_counter()
        steps[what] = now - last[0]
        last[0] = now

    t0 = time.perf_counter()
    load_demo(engine, DEMOS["germany"], progress=progress)
    steps["TOTAL germany"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    load_demo(engine, DEMOS["berlin"])
    steps["TOTAL berlin after germany"] = time.perf_counter() - t1
    engine.dispose()
    return steps


def dry_run_gemeinde_file(url: str, runs: int) -> list[float]:
    from indicators.ingest.kinds import import_kind
    from service.db import create_engine
    from service.settings import Settings

    engine = create_engine(url, Settings(_env_file=None, load_demo=False))
    kind = import_kind("observations")
    options = kind.parse({"level": ["gemeinde"], "layout": ["genesis"], "column": ["Insgesamt=BEV", "weiblich=BEV_W"],
                          "missing": ["-=missing"], "boundaries_at": ["2021-01-01"]})
    times = []
    for _ in range(runs):
        with engine.connect() as conn:
            t0 = time.perf_counter()
            report = kind.run(conn, GEMEINDE_FILE, options, dry_run=True)
            times.append(time.perf_counter() - t0)
        assert report.ok, [p.as_text() for p in report.errors]
    engine.dispose()
    return times


def items_against_floor(cluster: EmbeddedCluster, url: str, workdir: Path, rounds: int) -> dict[str, list[float]]:
    with psycopg.connect(cluster.libpq_conninfo(DATABASE), autocommit=True) as pg:
        pg.execute("CREATE SCHEMA IF NOT EXISTS bench")
        pg.execute("DROP TABLE IF EXISTS bench.gemeinde")
    from service.db import create_engine
    from service.settings import Settings

    engine = create_engine(url, Settings(_env_file=None, load_demo=False))
    with engine.begin() as conn:
        flat_table(conn, "gemeinde", PERIOD)
        conn.exec_driver_sql("ANALYZE bench.gemeinde")
    engine.dispose()
    env = {"DATABASE_URL": url, "DM_LOAD_DEMO": "false", "DM_MAP_TILES": "", "DM_RATE_LIMIT_PER_MINUTE": "0"}
    server = start_server([sys.executable, "-m", "uvicorn", "--factory", "bench_features:service_app", "--port",
                           str(PORT), "--workers", "1", "--log-level", "warning", "--app-dir", str(ROOT / "bench")],
                          env, PORT, workdir / "service.log")
    path = f"/collections/gemeinde/items?limit=10000&datetime={PERIOD.isoformat()}"
    times: dict[str, list[float]] = {"floor": [], "service": []}
    try:
        ours = Http(PORT)
        with psycopg.connect(cluster.libpq_conninfo(DATABASE), autocommit=True) as pg:
            status, body, _ = ours.get(path)
            got = json.loads(body)
            floor = json.loads(pg.execute(floor_sql("gemeinde", 10000, 0)).fetchone()[0])
            assert status == 200 and len(got["features"]) == 10000, (status, body[:300])
            assert [f["properties"]["key"] for f in floor["features"]] == [f["id"] for f in got["features"]]
            for round_ in range(rounds + 2):  # two warm-up rounds
                order = [("floor", lambda: pg.execute(floor_sql("gemeinde", 10000, 0)).pgresult.get_value(0, 0)),
                         ("service", lambda: ours.get(path))]
                if round_ % 2:
                    order.reverse()
                for name, run in order:
                    t0 = time.perf_counter()
                    run()
                    if round_ >= 2:
                        times[name].append(time.perf_counter() - t0)
    finally:
        stop_server(server)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, help="cluster directory (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the cluster and its database for another run")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="dm-bench-setup-"))
    cluster = EmbeddedCluster(workdir / "cluster", durable=False)
    cluster.ensure_running()
    url = cluster.url(DATABASE)
    try:
        with psycopg.connect(cluster.libpq_conninfo("postgres"), autocommit=True) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
        if exists is None:
            cluster.ensure_database(DATABASE)
            steps = load_demos(url)
            print("1. loading the demos into a new database (s):")
            for what, seconds in sorted(steps.items(), key=lambda item: -item[1])[:12]:
                print(f"   {seconds:7.1f}  {what}")
            # the timings below are of a settled database: right after the load, autovacuum works through
            # the new rows beside them (measured: items 1.59x the floor then, 1.27-1.33x once it was done)
            started = time.perf_counter()
            with psycopg.connect(cluster.libpq_conninfo(DATABASE), autocommit=True) as pg:
                pg.execute("VACUUM (ANALYZE)")
            print(f"   VACUUM (ANALYZE) after the load: {time.perf_counter() - started:.1f} s")
        else:
            print("1. (database kept from an earlier run: load not measured)")
        dry = dry_run_gemeinde_file(url, 3)
        print(f"2. Regionalstatistik Gemeinde table {GEMEINDE_FILE.stat().st_size / 1e6:.1f} MB, validated import "
              f"(dry run), median of 3: {statistics.median(dry):.2f} s (target < 5 s)")
        times = items_against_floor(cluster, url, workdir, args.rounds)
        floor, ours = statistics.median(times["floor"]), statistics.median(times["service"])
        print(f"3. /collections/gemeinde/items?limit=10000, median of {args.rounds}: service {ours * 1000:.0f} ms "
              f"(p95 {pct(times['service'], 0.95) * 1000:.0f}), floor {floor * 1000:.0f} ms "
              f"(p95 {pct(times['floor'], 0.95) * 1000:.0f}); ratio {ours / floor:.2f}x (target <= 1.3x)")
    finally:
        if not args.keep:
            cluster.stop()
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
