"""Benchmark of integration monitoring (docs/integration.md) on the demo database.

1. Residential segregation, foreigners (EW_AUSL) vs the rest of the inhabitants (EW): every measure (4 two-group
   measures and 4 spatial variants) for the whole city and each area of the level just below the top of the
   hierarchy (Berlin: the 12 Bezirke), over the areas of the finest level (Berlin: 542 Planungsräume), in every period with data; target < 5 s for
   542 areas and 20 periods. The demo holds as many periods as are loaded (one until the 2015-2024 series is
   merged), so the time per period is printed as well. Then the same for the 8 age groups (multigroup measures).
2. The dissimilarity index of foreigners vs Germans per period for the city and, for the latest period, for
   each borough, as a table.
3. Wilson confidence intervals and the reliability rule for every share with numerator and denominator the
   demo can form (each count indicator over the total it is part of), per area and period.
4. The typology (k-means, k = 5) of the areas of the finest level and "areas like this one".

5. With HISTORY_CSV=<the Berlin population series 2015-2024 CSV>: the same measures for its 20 half-years, read
   from the file (a preview until the series is imported into the demo), and the table per period and borough.

Run: DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/bench_integration.py (a database holding the
demo); without DATABASE_URL, a throwaway cluster is built with the demo first (about a minute).
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indicators.segregation import SegregationRequest, segregation  # noqa: E402
from service.db import create_engine, upgrade  # noqa: E402
from service.settings import Settings  # noqa: E402

SETTINGS = Settings(_env_file=None, load_demo=False, map_tiles="", statement_timeout_ms=600_000)
REPEATS = 3
AGES = ("EW_U6", "EW_6_15", "EW_15_18", "EW_18_27", "EW_27_45", "EW_45_55", "EW_55_65", "EW_65PLUS")


def database() -> tuple[sa.Engine, callable]:
    url = os.environ.get("DATABASE_URL")
    if url:
        engine = create_engine(url, SETTINGS)
        return engine, engine.dispose
    from service.demo import load_demo
    from service.embedded import EmbeddedCluster

    root = Path(tempfile.mkdtemp(prefix="dm-bench-integration-"))
    cluster = EmbeddedCluster(root, durable=False)
    cluster.ensure_running()
    admin = create_engine(cluster.url("postgres"), SETTINGS).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("CREATE DATABASE dm_bench_integration"))
    admin.dispose()
    engine = create_engine(cluster.url("dm_bench_integration"), SETTINGS)
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


def timed(function, repeats: int = REPEATS):
    timings, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), result


def parent_levels(conn) -> tuple[str, str]:
    """(finest level, the level below the top): Berlin plr and bez, Germany gemeinde and land."""
    levels = conn.execute(sa.text("SELECT code, parent_code FROM area_level ORDER BY rank")).all()
    finest = conn.execute(sa.text("""
        SELECT l.code FROM area_level l WHERE EXISTS (SELECT 1 FROM area a WHERE a.level_code = l.code)
        ORDER BY l.rank LIMIT 1""")).scalar_one()
    parents = {code: parent for code, parent in levels}
    chain = [finest]
    while parents[chain[-1]] is not None:
        chain.append(parents[chain[-1]])
    return finest, chain[-2] if len(chain) > 1 else finest


def bench_segregation(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        level, within = parent_levels(conn)
        request = SegregationRequest(groups=("EW_AUSL",), total="EW", level=level, period="all", within=within)
        start = time.perf_counter()
        segregation(conn, request, {})  # first call: imports (numba) and queen weights
        print(f"first call (imports, weights): {time.perf_counter() - start:.2f} s")
        cache: dict = {}
        segregation(conn, request, cache)
        seconds, body = timed(lambda: segregation(conn, request, cache))
        periods = len(body["periods"])
        areas = max(r["areas"] for r in body["rows"] if r["scope_key"] is None)
        scopes = len({(r["period"], r["scope_key"]) for r in body["rows"]})
        print(f"segregation EW_AUSL vs rest, {areas} areas of {level!r}, city + each {within!r}, {periods} period(s), "
              f"{len(body['rows'])} measures in {scopes} scopes: {seconds:.2f} s "
              f"({seconds / periods:.2f} s per period; 20 periods: about {20 * seconds / periods:.1f} s)")
        ages = SegregationRequest(groups=AGES, total="EW", level=level, period="all", within=within)
        seconds, ages_body = timed(lambda: segregation(conn, ages, cache), repeats=1)
        print(f"segregation of the 8 age groups (each vs the rest, and multigroup), {len(ages_body['rows'])} "
              f"measures: {seconds:.2f} s")
    print()
    print("Dissimilarity index D, foreigners (EW_AUSL) vs Germans (EW - EW_AUSL), city, per period:")
    print(f"{'period':<12} {'areas':>6} {'D':>7} {'spatial D':>10} {'D(adj)':>7}")
    for period in body["periods"]:
        rows = {r["measure"]: r for r in body["rows"] if r["period"] == period and r["scope_key"] is None}
        print(f"{period.isoformat():<12} {rows['dissimilarity']['areas']:>6} {rows['dissimilarity']['value']:>7.4f} "
              f"{rows['spatial_dissimilarity']['value']:>10.4f} {rows['adjusted_dissimilarity']['value']:>7.4f}")
    latest = body["periods"][0]
    print()
    print(f"Dissimilarity index D, foreigners vs Germans, per {within!r} in {latest}:")
    print(f"{'key':<6} {'name':<30} {'areas':>6} {'D':>7} {'spatial D':>10}")
    for row in body["rows"]:
        if row["period"] == latest and row["scope_key"] and row["measure"] == "dissimilarity":
            spatial = next(r["value"] for r in body["rows"] if r["period"] == latest
                           and r["scope_key"] == row["scope_key"] and r["measure"] == "spatial_dissimilarity")
            print(f"{row['scope_key']:<6} {row['scope_name']:<30} {row['areas']:>6} {row['value']:>7.4f} {spatial:>10.4f}")


def bench_intervals(engine: sa.Engine) -> None:
    """Intervals and the reliability mark for every share the demo can form: each count indicator over each count
    indicator it is a part of (declared partitions, else the catalogue's weight indicator), on every level and in
    every period both have values; plus the shares and rates stored with numerator and denominator."""
    from indicators.segregation import default_total
    from indicators.uncertainty import RateRequest, rate_table

    with engine.connect() as conn:
        counts = conn.execute(sa.text("SELECT code FROM indicator WHERE kind = 'count' ORDER BY sort")).scalars().all()
        pairs = [(code, default_total(conn, [code])) for code in counts]
        pairs = [(n, d) for n, d in pairs if d and d != n]
        combos = conn.execute(sa.text("""
            SELECT DISTINCT o.indicator_code, a.level_code, o.period FROM observation_public o
            JOIN area a ON a.id = o.area_id WHERE o.value IS NOT NULL""")).all()
        have = {(c, lv, p) for c, lv, p in combos}
        stored = conn.execute(sa.text("""
            SELECT DISTINCT o.indicator_code, a.level_code, o.period FROM observation_public o
            JOIN area a ON a.id = o.area_id JOIN indicator i ON i.code = o.indicator_code
            WHERE i.kind IN ('share', 'rate') AND o.numerator IS NOT NULL AND o.denominator IS NOT NULL""")).all()
        jobs = [RateRequest(level=lv, period=p, numerator=n, denominator=d)
                for n, d in pairs for (c, lv, p) in sorted(have) if c == n and (d, lv, p) in have]
        jobs += [RateRequest(level=lv, period=p, indicator=c) for c, lv, p in stored]
        start = time.perf_counter()
        cells = unreliable = 0
        for job in jobs:
            body = rate_table(conn, job)
            cells += body["with_interval"]
            unreliable += body["unreliable"]
        seconds = time.perf_counter() - start
    print(f"intervals for every share of the demo: {len(jobs)} tables (indicator x level x period; "
          f"{len(stored)} stored with numerator and denominator), {cells} cells with an interval, {unreliable} marked "
          f"'statistisch unsicher': {seconds:.2f} s")


def bench_typology(engine: sa.Engine) -> None:
    """k-means types (k = 5, default indicators) and "areas like this one" for every area of the finest level."""
    from indicators.typology import TypologyRequest, default_period, similar_areas, typology

    with engine.connect() as conn:
        level, _within = parent_levels(conn)
        request = TypologyRequest(level=level, period=default_period(conn, level))
        start = time.perf_counter()
        typology(conn, request)  # imports scikit-learn
        first = time.perf_counter() - start
        seconds, body = timed(lambda: typology(conn, request))
        print(f"typology of {len(body['areas'])} areas of {level!r} on {len(body['indicators'])} indicators, k = 5: "
              f"{seconds:.2f} s (first call with the import: {first:.2f} s); sizes "
              f"{[t['areas'] for t in body['types']]}")
        key = body["areas"][0]["key"]
        seconds, _similar = timed(lambda: similar_areas(conn, request, key))
        print(f"areas like {key}: {seconds:.2f} s")


def bench_history(engine: sa.Engine, path: Path) -> None:
    """A preview until the population series is in the demo (branch `history`): the same measures
    (`scope_measures`) on the series' counts read straight from its CSV (columns period/stand, PLR_ID, EW,
    Auslaender), 20 half-years 2015-2024; spatial variants where the planning areas are those of the database's
    boundaries (LOR from 2021), without them before. Boroughs are the first two digits of the key (Berlin's LOR
    keys; the service itself follows parent keys). Not through `observation_public`: the series has no hidden
    cells, and these are the published register counts."""
    import pandas as pd

    from indicators.clusters import read_geometries
    from indicators.hotspots import queen_weights
    from indicators.segregation import local_environment, scope_measures

    series = pd.read_csv(path, dtype={"PLR_ID": str})
    with engine.connect() as conn:
        level, _within = parent_levels(conn)
        at = conn.execute(sa.text("SELECT max(valid_from) FROM area WHERE level_code = :l"), {"l": level}).scalar()
        geometries = read_geometries(conn, level, at)
    weights = queen_weights(geometries)
    start = time.perf_counter()
    table = []
    for stand, part in series.groupby("stand"):
        counts = pd.DataFrame({"EW_AUSL": part["Auslaender"].to_numpy(float), "total": part["EW"].to_numpy(float)},
                              index=part["PLR_ID"].to_numpy())
        counts["rest"] = counts["total"] - counts["EW_AUSL"]
        spatial = set(counts.index) <= set(geometries.index)
        environment = local_environment(counts, ["EW_AUSL", "rest", "total"], weights) if spatial else None
        scopes = [(None, counts)] + [(b, counts[counts.index.str[:2] == b]) for b in sorted({k[:2] for k in counts.index})]
        for scope, frame in scopes:
            rows = scope_measures(frame, ["EW_AUSL"], ["EW_AUSL", "rest"], environment,
                                  geometries if spatial else None, weights if spatial else None)
            table.append({"stand": stand, "scope": scope, "areas": len(frame), "lor": part["lor_system"].iloc[0],
                          **{r["measure"]: r["value"] for r in rows}})
    seconds = time.perf_counter() - start
    stands = sorted({r["stand"] for r in table})
    print(f"history preview {path.name}: {len(stands)} periods, city + boroughs, all measures "
          f"(spatial from 2021): {seconds:.2f} s")
    print()
    print("Dissimilarity index D, foreigners vs Germans, Berlin (Planungsräume of the LOR valid then):")
    print(f"{'reference date':<15} {'LOR':<24} {'areas':>6} {'D':>7} {'isolation':>10} {'spatial D':>10}")
    for row in table:
        if row["scope"] is None:
            spatial = f"{row['spatial_dissimilarity']:.4f}" if "spatial_dissimilarity" in row else "-"
            print(f"{row['stand']:<15} {row['lor']:<24} {row['areas']:>6} {row['dissimilarity']:>7.4f} "
                  f"{row['isolation']:>10.4f} {spatial:>10}")
    latest = stands[-1]
    print()
    print(f"Dissimilarity index D, foreigners vs Germans, per borough (first two digits of the key), {latest}:")
    print(f"{'borough':<8} {'areas':>6} {'D':>7} {'spatial D':>10}")
    for row in table:
        if row["stand"] == latest and row["scope"] is not None:
            print(f"{row['scope']:<8} {row['areas']:>6} {row['dissimilarity']:>7.4f} {row['spatial_dissimilarity']:>10.4f}")


def main() -> None:
    engine, cleanup = database()
    try:
        bench_segregation(engine)
        print()
        bench_intervals(engine)
        print()
        bench_typology(engine)
        history = os.environ.get("HISTORY_CSV")
        if history and Path(history).is_file():
            print()
            bench_history(engine, Path(history))
    finally:
        cleanup()


if __name__ == "__main__":
    main()
