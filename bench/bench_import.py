"""Benchmark: the validated, atomic observation import against a bare PostgreSQL COPY of the same file.

Generates 10,000 synthetic areas (a grid of 100 m squares on a level of their own), 20 indicators and
1,000,000 observation rows (10,000 areas x 20 indicators x 5 periods) as a long CSV, then times, in
the same run and on the same server:

  (a) floor:    COPY of the file into an unindexed table over an already open connection
  (a2) row by row: INSERT of the same rows, already typed and resolved, from a temporary table into
                existing (empty) partitions of `observation`: every index maintained row by row, what the
                import's bulk path avoids for indicators without data
  (b) import:   indicators.observations.import_observations (read, validate, store, refresh, commit);
                the 20 indicators have no data yet, so each is bulk-loaded into a new partition
  (b1) the ANALYZE that follows a committed import (service.db.refresh_statistics; outside its transaction,
                in the service's background)
  (b2) re-import of the identical file (must change nothing)
  (b3) import of 1,000,000 further rows of the same indicators (five later periods): partitions that hold
                data already, so the rows go through staging and the set-based supersede/insert path
  (c) dry run:  validation of a 1,000,000-row file in which 1% of the rows are bad

Each timing is the median of --runs runs; every import run starts from the same database state
(a fresh copy of a template database). Prints the figures and the ratios to the floor.

    .venv/bin/python bench/bench_import.py [--runs 3] [--areas 10000]

Uses DATABASE_URL's server when set (creates and drops databases there), otherwise a throwaway
embedded cluster in a temporary directory.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.boundaries import BoundaryImportOptions, import_boundaries
from geo.levels import Level, upsert_levels
from indicators.catalogue import Catalogue, load_catalogue
from indicators.ingest.observations import ObservationImportOptions, import_observations
from service.db import create_engine, normalise_url, refresh_statistics, upgrade
from service.embedded import throwaway_cluster
from service.settings import Settings

INDICATORS = 20
PERIODS = [date(2019, 12, 31), date(2020, 12, 31), date(2021, 12, 31), date(2022, 12, 31), date(2023, 12, 31)]
LATER_PERIODS = [date(year, 12, 31) for year in range(2024, 2029)]
CELL_M = 100.0
ORIGIN = (380_000.0, 5_800_000.0)  # inside UTM 33N, near Berlin


def settings() -> Settings:
    return Settings(_env_file=None, map_tiles="", load_demo=False, statement_timeout_ms=0)


class Server:
    def __init__(self, url: str):
        self.url = make_url(normalise_url(url))

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.url.set(drivername="postgresql", database="postgres")
                               .render_as_string(hide_password=False), autocommit=True)

    def create(self, name: str, template: str | None = None) -> sa.Engine:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return create_engine(self.url.set(database=name).render_as_string(hide_password=False), settings())

    def drop(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- generated inputs ----------------------------------------------------------------------------
def area_keys(n: int) -> list[str]:
    return [f"{i:08d}" for i in range(1, n + 1)]  # text keys with leading zeros, like Berlin's LOR keys


def write_grid(path: Path, n: int) -> None:
    """n square areas as GeoJSON in EPSG:25833."""
    import geopandas as gpd
    import shapely

    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x0 = ORIGIN[0] + (i % side) * CELL_M
    y0 = ORIGIN[1] + (i // side) * CELL_M
    boxes = shapely.box(x0, y0, x0 + CELL_M, y0 + CELL_M)
    frame = gpd.GeoDataFrame({"key": area_keys(n), "name": [f"Zelle {k}" for k in range(1, n + 1)]},
                             geometry=boxes, crs="EPSG:25833")
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")


def catalogue() -> Catalogue:
    items = []
    for j in range(1, INDICATORS + 1):
        kind = "share" if j % 2 else "count"
        items.append({"code": f"B{j:02d}", "name_de": f"Bench {j}", "name_en": f"Bench {j}", "topic": None,
                      "role": "context", "kind": kind, "unit": "%" if kind == "share" else "Personen",
                      "direction": "neutral", "aggregation": "none"})
    return Catalogue.model_validate({"catalogue": "bench", "version": 1, "topics": [], "indicators": items})


def write_observations(path: Path, n_areas: int, bad_share: float = 0.0, seed: int = 7,
                       periods: list[date] = PERIODS) -> int:
    """Long CSV: area,indicator,period,value -- one row per area x indicator x period."""
    rng = np.random.default_rng(seed)
    keys = np.array(area_keys(n_areas), dtype=object)
    codes = np.array([f"B{j:02d}" for j in range(1, INDICATORS + 1)], dtype=object)
    periods = np.array([p.isoformat() for p in periods], dtype=object)
    a, c, p = np.meshgrid(np.arange(n_areas), np.arange(INDICATORS), np.arange(len(periods)), indexing="ij")
    a, c, p = a.ravel(), c.ravel(), p.ravel()
    values = np.round(rng.uniform(0, 99.9, len(a)), 2)
    values = np.where(c % 2 == 1, np.round(values), values)  # B02, B04 ... are counts: whole numbers
    frame = pd.DataFrame({"area": keys[a], "indicator": codes[c], "period": periods[p],
                          "value": pd.Series(values).map("{:.2f}".format)})
    if bad_share:
        bad = rng.choice(len(frame), int(len(frame) * bad_share), replace=False)
        thirds = np.array_split(bad, 3)
        frame.loc[thirds[0], "area"] = "99999999"  # unknown area key
        frame.loc[thirds[1], "value"] = "n.v."  # text in a number column
        frame.loc[thirds[2], "value"] = "-5"  # negative (share or count)
    frame.to_csv(path, index=False)
    return len(frame)


# -- the timed operations ------------------------------------------------------------------------
def time_bare_copy(server: Server, database: str, csv_path: Path) -> float:
    """COPY over a connection that is already open (connecting is not timed)."""
    url = server.url.set(drivername="postgresql", database=database).render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as raw:
        raw.execute("CREATE TABLE bench_copy_floor (area text, indicator text, period date, value double precision)")
        start = time.perf_counter()
        with raw.transaction(), raw.cursor() as cursor, open(csv_path, "rb") as handle, \
                cursor.copy("COPY bench_copy_floor FROM STDIN (FORMAT csv, HEADER true)") as copy:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - start
        rows = raw.execute("SELECT count(*) FROM bench_copy_floor").fetchone()[0]
        raw.execute("DROP TABLE bench_copy_floor")
    assert rows > 0
    return elapsed


def time_row_by_row(server: Server, database: str) -> float:
    """INSERT of 1,000,000 typed rows into existing, empty partitions in one statement (generated in SQL,
    not timed): the cost of maintaining every index row by row."""
    url = server.url.set(drivername="postgresql", database=database).render_as_string(hide_password=False)
    with psycopg.connect(url) as raw:
        raw.execute("""
            CREATE TEMP TABLE typed AS
            SELECT i.code AS indicator_code, a.id AS area_id, p::date AS period, round((random() * 100)::numeric, 2)::float8 AS value
            FROM area a CROSS JOIN indicator i CROSS JOIN unnest(CAST(%s AS date[])) p
            WHERE a.level_code = 'bench' ORDER BY i.code, a.id, p""", [PERIODS])
        raw.execute("SELECT observation_ensure_partition(code) FROM indicator")
        batch = raw.execute("INSERT INTO import_batch (kind, file_name, sha256, created_by) "
                            "VALUES ('observations', 'typed', '', 'bench') RETURNING id").fetchone()[0]
        raw.commit()
        start = time.perf_counter()
        raw.execute("""INSERT INTO observation (indicator_code, area_id, period, value, import_batch_id)
                       SELECT indicator_code, area_id, period, value, %s FROM typed""", [batch])
        raw.commit()
        return time.perf_counter() - start


def time_import(engine: sa.Engine, csv_path: Path, *, dry_run: bool = False, profile: bool = False,
                future: bool = False):
    options = ObservationImportOptions(level="bench", layout="long", allow_future_periods=future)
    steps: list[tuple[str, float]] = []
    start = time.perf_counter()

    def step(what: str, done: int, _total: int) -> None:
        if steps and steps[-1][2] == done:  # progress within a step (rows checked so far): keep the latest
            steps.pop()
        steps.append((what, time.perf_counter() - start, done))

    with engine.connect() as conn:
        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
        report = import_observations(conn, csv_path, options, dry_run=dry_run, created_by="bench", progress=step)
        if profile:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return time.perf_counter() - start, report, [(what, at) for what, at, _ in steps]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--areas", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one full import")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dm-bench-import-")))
        if os.environ.get("DATABASE_URL"):
            server, where = Server(os.environ["DATABASE_URL"]), "DATABASE_URL"
        else:
            cluster = stack.enter_context(throwaway_cluster("dm-bench-import-pg-"))
            server, where = Server(cluster.url("postgres")), "throwaway embedded cluster"
        template = f"dm_bench_tpl_{uuid.uuid4().hex[:8]}"
        stack.callback(server.drop, template)
        run_benchmark(server, where, template, work, args)


def run_benchmark(server: Server, where: str, template: str, work: Path, args: argparse.Namespace) -> None:
    print(f"server: {where}; generating {args.areas:,} areas x {INDICATORS} indicators x {len(PERIODS)} periods")
    grid = work / "grid.geojson"
    good = work / "observations.csv"
    later = work / "observations_later_periods.csv"
    bad = work / "observations_1pct_bad.csv"
    write_grid(grid, args.areas)
    rows = write_observations(good, args.areas)
    write_observations(later, args.areas, seed=9, periods=LATER_PERIODS)
    bad_rows = write_observations(bad, args.areas, bad_share=0.01, seed=11)
    print(f"files: {good.stat().st_size / 1e6:.1f} MB ({rows:,} rows), "
          f"{bad.stat().st_size / 1e6:.1f} MB ({bad_rows:,} rows, 1% bad)")

    engine = server.create(template)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
    upgrade(engine, 25833)
    with engine.begin() as conn:
        upsert_levels(conn, [Level("bench", "Bench-Zelle", "Bench cell", "Bench-Zellen", "Bench cells", 100, None)])
        load_catalogue(conn, catalogue())
    start = time.perf_counter()
    with engine.connect() as conn:
        report = import_boundaries(conn, grid, BoundaryImportOptions(
            level="bench", key_field="key", name_field="name", valid_from=date(2019, 1, 1)), created_by="bench")
    assert report.ok, [p.as_text() for p in report.errors[:5]]
    print(f"boundary import of {args.areas:,} squares: {time.perf_counter() - start:.2f} s")
    engine.dispose()

    timings: dict[str, list[float]] = {key: [] for key in ("floor", "rows", "full", "analyze", "again", "later", "dry")}
    for run in range(args.runs):
        name = f"dm_bench_run_{uuid.uuid4().hex[:8]}"
        server.create(name, template=template).dispose()
        timings["rows"].append(time_row_by_row(server, name))
        server.drop(name)
        engine = server.create(name, template=template)
        timings["floor"].append(time_bare_copy(server, name, good))
        elapsed, report, steps = time_import(engine, good, profile=args.profile and run == 0)
        assert report.ok and report.rows_written == rows, [p.as_text() for p in report.errors[:5]]
        timings["full"].append(elapsed)
        start = time.perf_counter()
        refresh_statistics(engine)
        timings["analyze"].append(time.perf_counter() - start)
        print(f"run {run + 1}: COPY {timings['floor'][-1]:.2f} s; row by row {timings['rows'][-1]:.2f} s; "
              f"import {elapsed:.2f} s (" + ", ".join(f"{what} {t:.2f}" for what, t in steps)
              + f"); statistics after commit {timings['analyze'][-1]:.2f} s")
        elapsed, report, _ = time_import(engine, good)
        assert report.ok and report.rows_written == 0 and report.rows_unchanged == rows
        timings["again"].append(elapsed)
        elapsed, report, steps = time_import(engine, later, future=True)  # up to 2028: may lie after today
        assert report.ok and report.rows_written == rows, [p.as_text() for p in report.errors[:5]]
        timings["later"].append(elapsed)
        print(f"       later periods {elapsed:.2f} s (" + ", ".join(f"{what} {t:.2f}" for what, t in steps) + ")")
        elapsed, report, _ = time_import(engine, bad, dry_run=True)
        assert not report.ok
        timings["dry"].append(elapsed)
        engine.dispose()
        server.drop(name)
    copy_s = statistics.median(timings["floor"])
    print()
    print(f"{'operation':<66} {'median s':>9} {'x COPY':>7}")
    for label, key in (("(a) bare COPY into an unindexed table", "floor"),
                       ("(a2) typed rows into existing partitions, indexes row by row", "rows"),
                       ("(b) validated atomic import, 1,000,000 rows (new indicators)", "full"),
                       ("(b1) ANALYZE after that import's commit (planner statistics)", "analyze"),
                       ("(b2) re-import of the same file (no change)", "again"),
                       ("(b3) 1,000,000 rows more of the same indicators (later periods)", "later"),
                       ("(c) dry run, 1,000,000 rows with 1% bad", "dry")):
        median = statistics.median(timings[key])
        print(f"{label:<66} {median:>9.2f} {median / copy_s:>7.2f}")
    ratio = statistics.median(timings["full"]) / copy_s
    print(f"target: import within 3x of COPY -> {'met' if ratio <= 3 else 'NOT met'} ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
