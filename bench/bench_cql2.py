"""Benchmark: CQL2 filters of OGC API - Features Part 3 against the SQL floor of the same WHERE.

    .venv/bin/python bench/bench_cql2.py                                   # throwaway cluster
    .venv/bin/python bench/bench_cql2.py --workdir /tmp/dm-bench --keep    # reuse bench_features' database

The database is the one of bench/bench_features.py (demo + 50,000 synthetic polygons `syn50k` with the
indicator values of their source areas, and the flat table bench.syn50k with every property as a column).
Two comparisons, interleaved round by round after warm-up, medians:

1. selection: a CQL2 filter that selects about 1 % of the 50,000 polygons (EW BETWEEN two quantiles), whole
   result in one page, over HTTP (uvicorn, one worker), against the floor: PostgreSQL writing the same
   FeatureCollection in ONE statement with the same WHERE on the flat table, over an open connection, and the
   same WHERE written by hand over the service's own tables (area + properties cache), count included.
   Target: within 1.3x of the faster floor.
2. paging: a filtered 100-feature page (same filter) against the unfiltered 100-feature page, both over HTTP.
   Target: within 1.5x. Also against its floor (the hand-written statement with LIMIT 100).
The service keeps the matching ids of a filter until data_version changes (service.collections
`filtered_matches`: numberMatched is their number, a page their slice), as a client paging through a result
repeats the filter; the floors evaluate it every time. The medians are of repeated requests (warm); the first
page of a new filter costs about the "whole result" figure.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_features import (DATABASE, PERIOD, Http, build_database, pct, start_server,  # noqa: E402
                                  stop_server)
from service.embedded import EmbeddedCluster  # noqa: E402

LEVEL = "syn50k"


def quantile_range(pg: psycopg.Connection, share: float) -> tuple[float, float, int]:
    """(low, high, count): an EW range around the median holding about `share` of the polygons."""
    low, high = pg.execute(f"""
        SELECT percentile_disc(0.5 - %(h)s) WITHIN GROUP (ORDER BY "EW"),
               percentile_disc(0.5 + %(h)s) WITHIN GROUP (ORDER BY "EW")
        FROM bench.{LEVEL} WHERE "EW" IS NOT NULL""", {"h": share / 2}).fetchone()
    count = pg.execute(f'SELECT count(*) FROM bench.{LEVEL} WHERE "EW" BETWEEN %s AND %s', (low, high)).fetchone()[0]
    return float(low), float(high), count


def floor_sql(low: float, high: float) -> str:
    return (f"SELECT json_build_object('type', 'FeatureCollection', 'numberMatched', "
            f"(SELECT count(*) FROM bench.{LEVEL} WHERE \"EW\" BETWEEN {low} AND {high}), 'features', "
            f"json_agg(ST_AsGeoJSON(t.*, 'geom', 7)::json))::text "
            f"FROM (SELECT * FROM bench.{LEVEL} WHERE \"EW\" BETWEEN {low} AND {high} ORDER BY key LIMIT 10000) t")


def normalised_floor_sql(low: float, high: float, limit: int) -> str:
    """The same WHERE written by hand over the service's own tables (area + the public properties cache of the
    period), count and page in one statement: what the translated filter costs without translation or HTTP."""
    where = (f"a.level_code = '{LEVEL}' AND a.valid_to IS NULL AND p.level_code = '{LEVEL}' "
             f"AND p.period = DATE '{PERIOD}' AND NOT p.unsuppressed "
             f"AND (p.properties ->> 'EW')::float8 BETWEEN {low} AND {high}")
    return (f"SELECT json_build_object('type', 'FeatureCollection', 'numberMatched', "
            f"(SELECT count(*) FROM area a JOIN feature_properties p ON p.area_id = a.id WHERE {where}), "
            f"'features', json_agg(json_build_object('type', 'Feature', 'id', t.key, 'geometry', "
            f"ST_AsGeoJSON(t.geom_4326, 7)::json, 'properties', t.properties) ORDER BY t.key))::text "
            f"FROM (SELECT a.key, a.geom_4326, p.properties FROM area a JOIN feature_properties p "
            f"ON p.area_id = a.id WHERE {where} ORDER BY a.key LIMIT {limit}) t")


def items(limit: int, cql: str | None) -> str:
    path = f"/collections/{LEVEL}/items?limit={limit}&datetime={PERIOD}"
    return path + (f"&filter={quote(cql)}" if cql else "")


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, help="cluster directory (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="leave the cluster (and its database) for a rerun")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.01, help="share of the polygons the filter selects")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="dm-bench-"))
    cluster = EmbeddedCluster(workdir, durable=False)
    print(f"cluster in {workdir}", flush=True)
    cluster.ensure_running()
    server = None
    try:
        url = build_database(cluster)
        port = 18741
        env = {"DATABASE_URL": url, "DM_LOAD_DEMO": "false", "DM_MAP_TILES": "", "DM_RATE_LIMIT_PER_MINUTE": "0",
               "DM_RESPONSE_CACHE_MB": "0"}  # every answer computed, none replayed from the response cache
        server = start_server([sys.executable, "-m", "uvicorn", "--factory", "bench.bench_features:service_app",
                               "--port", str(port), "--workers", "1", "--log-level", "warning"],
                              env, port, workdir / "ours-cql2.log")
        pg = psycopg.connect(cluster.libpq_conninfo(DATABASE), autocommit=True)
        low, high, expected = quantile_range(pg, args.share)
        cql = f"EW BETWEEN {low:g} AND {high:g}"
        print(f"filter: {cql} selects {expected} of 50,000 polygons ({expected / 500:.2f} %)", flush=True)
        http = Http(port)
        status, body, _ = http.get(items(10000, cql))
        assert status == 200, body[:300]
        import orjson

        answer = orjson.loads(body)
        assert answer["numberMatched"] == answer["numberReturned"] == expected, (answer["numberMatched"], expected)
        cases = {
            "floor: same WHERE, flat table, one statement": lambda: pg.execute(floor_sql(low, high)).fetchone(),
            "floor: same WHERE, service's tables, by hand": lambda: pg.execute(
                normalised_floor_sql(low, high, 10000)).fetchone(),
            "floor: filtered 100 page, service's tables": lambda: pg.execute(
                normalised_floor_sql(low, high, 100)).fetchone(),
            "service: CQL2 filter, whole result": lambda: http.get(items(10000, cql)),
            "service: filtered 100-feature page": lambda: http.get(items(100, cql)),
            "service: unfiltered 100-feature page": lambda: http.get(items(100, None)),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        names = list(cases)
        for round_ in range(args.warmup + args.rounds):
            order = names[round_ % len(names):] + names[:round_ % len(names)]  # rotating, interleaved
            for name in order:
                elapsed = timed(cases[name])
                if round_ >= args.warmup:
                    times[name].append(elapsed)
        print(f"\n{args.rounds} rounds after {args.warmup} warm-up rounds, interleaved; milliseconds")
        print(f"{'case':<48} {'median':>9} {'p95':>9}")
        for name in names:
            print(f"{name:<48} {statistics.median(times[name]):>9.1f} {pct(times[name], 0.95):>9.1f}")
        median = {name: statistics.median(values) for name, values in times.items()}
        floor = min(median[names[0]], median[names[1]])
        selection = median["service: CQL2 filter, whole result"] / floor
        paging = median["service: filtered 100-feature page"] / median["service: unfiltered 100-feature page"]
        page_floor = median["service: filtered 100-feature page"] / median[names[2]]
        print(f"\nCQL2 selection of {expected} polygons / SQL floor (the faster floor): {selection:.2f}x "
              f"(target 1.3x) {'OK' if selection <= 1.3 else 'MISSED'}")
        print(f"filtered / unfiltered 100-feature page: {paging:.2f}x (target 1.5x) "
              f"{'OK' if paging <= 1.5 else 'MISSED'}")
        print(f"filtered 100-feature page / its SQL floor on the service's tables: {page_floor:.2f}x")
        pg.close()
    finally:
        if server is not None:
            stop_server(server)
        if not args.keep:
            cluster.stop()
            shutil.rmtree(cluster.root, ignore_errors=True)


if __name__ == "__main__":
    main()
