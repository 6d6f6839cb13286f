"""Benchmark: OGC API - Features items of this service against the SQL floor and against tipg, in one run.

    .venv/bin/python bench/bench_features.py            # throwaway cluster, ~10 minutes on 2 cores
    .venv/bin/python bench/bench_features.py --workdir /tmp/dm-bench --keep   # reuse the built database

What is compared (interleaved round by round, after warm-up; medians and p95):
1. floor: PostgreSQL writing the same FeatureCollection in ONE statement (json_agg of ST_AsGeoJSON rows) over an
   already open psycopg connection, from a flat table (bench.<level>: key, name, ..., every property as a column,
   geometry in EPSG:4326) - the cheapest form the data can have;
2. this service: GET /collections/{level}/items?limit=N&datetime=2020-12-31 over HTTP, uvicorn with one worker,
   reading the normalised schema (area + observations, via its properties cache);
3. tipg 1.6.1 (one uvicorn worker) serving the flat table bench.<level> from the same database.
Levels: plr (542 real Planungsraeume), syn10k and syn50k (10,000 / 50,000 synthetic polygons: real PLR
geometries shifted in a grid, each with the indicator values of its source area).
Also: throughput of uncached 100-feature pages with 8 concurrent clients (pgbench with 8 clients for the floor),
304 revalidations per second with 8 clients, and vector tiles at zoom 12 over central Berlin.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import quote

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.tiles import lonlat_to_tile  # noqa: E402
from service.embedded import EmbeddedCluster  # noqa: E402

PERIOD = "2020-12-31"
DATABASE = "dm_bench"
PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
ALEXANDERPLATZ = (13.4132, 52.5219)
CASES = [  # (level, limit, offset)
    ("plr", 100, 0),
    ("plr", 542, 0),
    ("syn10k", 100, 5000),
    ("syn10k", 10000, 0),
    ("syn50k", 100, 40000),
    ("syn50k", 10000, 40000),
]


# ---------------------------------------------------------------------------------------------- setup
def build_database(cluster: EmbeddedCluster) -> str:
    """The demo database plus synthetic levels and the flat tables of the floor and tipg (built once)."""
    from service.db import create_engine, upgrade
    from service.demo import load_demo
    from service.settings import Settings

    url = cluster.url(DATABASE)
    cluster.ensure_database(DATABASE)
    settings = Settings(_env_file=None, load_demo=False, map_tiles="", statement_timeout_ms=3_600_000)
    engine = create_engine(url, settings)
    with engine.connect() as conn:
        ready = conn.exec_driver_sql("SELECT to_regclass('bench.ready') IS NOT NULL").scalar_one()
    if ready:
        engine.dispose()
        return url
    t0 = time.perf_counter()
    upgrade(engine, 25833)
    with engine.connect() as conn:
        loaded = conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM area)").scalar_one()
    if not loaded:
        load_demo(engine)
        print(f"  demo loaded in {time.perf_counter() - t0:.0f} s", flush=True)
    with engine.begin() as conn:
        conn.exec_driver_sql("""
            INSERT INTO import_batch (kind, file_name, sha256, created_by)
            VALUES ('boundaries', 'bench-synthetic', 'synthetic', 'bench')""")
        for code, rank, count in (("syn10k", 90, 10_000), ("syn50k", 91, 50_000)):
            copies = -(-count // 542)
            conn.exec_driver_sql(f"""
                INSERT INTO area_level (code, name_de, name_en, plural_de, plural_en, rank, parent_code)
                VALUES ('{code}', 'Synthetisch', 'Synthetic', 'Synthetische Flaechen {count}',
                        'Synthetic areas {count}', {rank}, NULL)""")
            # copies of the real PLR geometries, shifted 50 km apart on a grid east/south of Berlin
            conn.exec_driver_sql(f"""
                INSERT INTO area (level_code, key, name, parent_key, valid_from, geom, area_m2, import_batch_id)
                SELECT '{code}', lpad(c::text, 3, '0') || a.key, a.name || ' #' || c, NULL, DATE '2021-01-01',
                       ST_Translate(a.geom, mod(c, 10) * 50000, -(c / 10) * 50000), a.area_m2,
                       (SELECT max(id) FROM import_batch)
                FROM area a CROSS JOIN generate_series(0, {copies - 1}) c
                WHERE a.level_code = 'plr' AND a.valid_to IS NULL
                ORDER BY c, a.key LIMIT {count}""")
            conn.exec_driver_sql(f"""
                INSERT INTO observation (indicator_code, area_id, period, value, numerator, denominator, flag,
                                         flag_reason, import_batch_id)
                SELECT o.indicator_code, s.id, o.period, o.value, o.numerator, o.denominator, o.flag, o.flag_reason,
                       (SELECT max(id) FROM import_batch)
                FROM area s JOIN area a ON a.level_code = 'plr' AND a.key = substr(s.key, 4) AND a.valid_to IS NULL
                JOIN observation_current o ON o.area_id = a.id AND o.period = DATE '{PERIOD}'
                WHERE s.level_code = '{code}'""")
        conn.exec_driver_sql("ANALYZE")
    print(f"  synthetic levels built in {time.perf_counter() - t0:.0f} s", flush=True)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA bench")
        for level in ("plr", "syn10k", "syn50k"):
            flat_table(conn, level, date.fromisoformat(PERIOD))
        conn.exec_driver_sql("CREATE TABLE bench.ready ()")  # marker: built completely
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    print(f"  bench database ready in {time.perf_counter() - t0:.0f} s", flush=True)
    return url


def flat_table(conn, level: str, period: date) -> None:
    """bench.<level>: the level's features at `period` as the cheapest form the data can have (key, every
    property as a column, geometry in EPSG:4326), for the floor and tipg; schema bench must exist."""
    from indicators.values import boundary_date_for, ensure_properties_cache, property_schema

    at = boundary_date_for(conn, level, period)
    ensure_properties_cache(conn, level, period, at, False)
    schema = property_schema(conn, level, period, False)
    columns = ", ".join(
        f"""(p.properties->>'{p_["name"]}')::float8 AS "{p_["name"]}\"""" if p_["type"] == "number"
        else f"""p.properties->>'{p_["name"]}' AS "{p_["name"]}\"""" for p_ in schema if p_["name"] != "key")
    conn.exec_driver_sql(f"""
        CREATE TABLE bench.{level} AS
        SELECT a.key, {columns}, a.geom_4326 AS geom
        FROM area a JOIN feature_properties p ON p.area_id = a.id AND p.level_code = '{level}'
             AND p.period = DATE '{period.isoformat()}' AND NOT p.unsuppressed
        WHERE a.level_code = '{level}' ORDER BY a.key""")
    conn.exec_driver_sql(f"ALTER TABLE bench.{level} ADD PRIMARY KEY (key)")
    conn.exec_driver_sql(f"CREATE INDEX ON bench.{level} USING gist (geom)")


def floor_sql(level: str, limit: int, offset: int | str) -> str:
    return (f"SELECT json_build_object('type', 'FeatureCollection', 'features', "
            f"json_agg(ST_AsGeoJSON(t.*, 'geom', 7)::json))::text "
            f"FROM (SELECT * FROM bench.{level} ORDER BY key LIMIT {limit} OFFSET {offset}) t")


def start_server(args: list[str], env: dict, port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(args, env={**os.environ, **env}, stdout=log.open("w"), stderr=subprocess.STDOUT,
                               cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/conformance")
            conn.getresponse().read()
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"server {args} exited: see {log}") from None
            time.sleep(0.3)
    raise RuntimeError(f"server {args} did not start: see {log}")


def stop_server(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)


# ---------------------------------------------------------------------------------------------- timing
class Http:
    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
        try:
            self.conn.request("GET", path, headers=headers or {})
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError):
            # the server closed an idle keep-alive connection: retry once on a new one, as HTTP clients do
            self.conn.close()
            self.conn.request("GET", path, headers=headers or {})
            response = self.conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())


def ours_path(level: str, limit: int, offset: int) -> str:
    return f"/collections/{level}/items?limit={limit}&offset={offset}&datetime={PERIOD}"


def tipg_path(level: str, limit: int, offset: int) -> str:
    return f"/collections/bench.{level}/items?limit={limit}&offset={offset}&sortby=key"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def latency(pg: psycopg.Connection, ours: Http, tipg: Http | None, rounds: int, warmup: int) -> dict:
    """Interleaved: each round runs every case on floor, service and tipg, in rotating order."""
    times: dict[tuple, list[float]] = {}
    for case in CASES:
        level, limit, offset = case
        status, body, _ = ours.get(ours_path(*case))
        got = json.loads(body)
        assert status == 200 and len(got["features"]) == limit and got["numberReturned"] == limit, (case, status)
        floor = json.loads(pg.execute(floor_sql(*case)).fetchone()[0])
        assert [f["properties"]["key"] for f in floor["features"]] == [f["id"] for f in got["features"]]
        if tipg:
            status, body, _ = tipg.get(tipg_path(*case))
            assert status == 200 and len(json.loads(body)["features"]) == limit, (case, status, body[:300])
    for round_ in range(warmup + rounds):
        for case in CASES:
            runners = [("floor", lambda c=case: pg.execute(floor_sql(*c)).pgresult.get_value(0, 0)),
                       ("ours", lambda c=case: ours.get(ours_path(*c)))]
            if tipg:
                runners.append(("tipg", lambda c=case: tipg.get(tipg_path(*c))))
            if case[1] >= 10000 and round_ >= warmup + rounds // 2 + 1 and tipg:
                runners = runners[:2]  # tipg's big pages take seconds: half the rounds are enough for a median
            random.shuffle(runners)
            for name, run in runners:
                t0 = time.perf_counter()
                run()
                elapsed = time.perf_counter() - t0
                if round_ >= warmup:
                    times.setdefault((case, name), []).append(elapsed)
        print(f"  round {round_ + 1}/{warmup + rounds}", end="\r", flush=True)
    print()
    return times


async def _load(port: int, paths: list[str], headers: dict, seconds: float, clients: int,
                expect: int) -> tuple[int, float]:
    """Requests completed by `clients` keep-alive connections in `seconds` (HTTP/1.1, raw asyncio streams)."""
    stop_at = time.perf_counter() + seconds
    counts = [0] * clients
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())

    async def client(i: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2 ** 24)
        rng = random.Random(i)
        while time.perf_counter() < stop_at:
            path = rng.choice(paths)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            assert status == expect, (status, head[:200])
            lower = head.lower()
            if b"content-length:" in lower:
                length = int(lower.split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
            elif b"transfer-encoding: chunked" in lower:
                while True:
                    size = int((await reader.readuntil(b"\r\n"))[:-2], 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            counts[i] += 1
        writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return sum(counts), time.perf_counter() - t0


def load(port: int, paths: list[str], headers: dict | None = None, seconds: float = 10, clients: int = 8,
         expect: int = 200) -> float:
    done, elapsed = asyncio.run(_load(port, paths, headers or {}, seconds, clients, expect))
    return done / elapsed


def pgbench_tps(conninfo_args: list[str], seconds: int, clients: int) -> float:
    script = Path(tempfile.mkstemp(suffix=".sql")[1])
    script.write_text("\\set off random(0, 442)\n" + floor_sql("plr", 100, ":off") + ";\n")
    out = subprocess.run([PGBENCH, "-n", "-c", str(clients), "-j", "2", "-T", str(seconds), "-f", str(script),
                          *conninfo_args], capture_output=True, text=True, check=True).stdout
    script.unlink()
    line = next(line for line in out.splitlines() if line.startswith("tps"))
    return float(line.split("=")[1].split()[0])


def tile_times(port: int, paths: list[str], rounds: int) -> list[float]:
    client = Http(port)
    for path in paths:  # warm-up
        status, body, _ = client.get(path)
        assert status == 200 and body, (path, status)
    times = []
    for _ in range(rounds):
        for path in paths:
            t0 = time.perf_counter()
            client.get(path)
            times.append(time.perf_counter() - t0)
    return times


# ---------------------------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, help="cluster directory (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="leave the cluster (and its database) for a rerun")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10, help="duration of each throughput run")
    parser.add_argument("--no-tipg", action="store_true")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="dm-bench-"))
    cluster = EmbeddedCluster(workdir, durable=False)
    print(f"cluster in {workdir}", flush=True)
    cluster.ensure_running()
    servers: list[subprocess.Popen] = []
    try:
        url = build_database(cluster)
        with psycopg.connect(cluster.libpq_conninfo(DATABASE), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")  # visibility map for index-only scans, as autovacuum keeps it
        socket_dir = str(cluster.socket_dir)
        user = cluster.libpq_conninfo(DATABASE).split("user=")[1].split()[0]
        ours_port, tipg_port = 18731, 18732
        # the per-client rate limit protects a public server from one greedy client; a benchmark is one
        env = {"DATABASE_URL": url, "DM_LOAD_DEMO": "false", "DM_MAP_TILES": "", "DM_RATE_LIMIT_PER_MINUTE": "0"}
        servers.append(start_server(
            [sys.executable, "-m", "uvicorn", "--factory", "bench.bench_features:service_app", "--port",
             str(ours_port), "--workers", "1", "--log-level", "info"],
            env, ours_port, workdir / "ours.log"))
        tipg = None
        if not args.no_tipg:
            servers.append(start_server(
                [sys.executable, "-m", "uvicorn", "tipg.main:app", "--port", str(tipg_port), "--workers", "1",
                 "--log-level", "warning", "--no-access-log"],
                {"DATABASE_URL": f"postgresql://{user}@{quote(socket_dir, safe='')}/{DATABASE}",  # the socket
                 "TIPG_DB_SCHEMAS": '["bench"]', "TIPG_MAX_FEATURES_PER_QUERY": "10000",
                 "TIPG_DB_SPATIAL_EXTENT": "false", "TIPG_DB_DATETIME_EXTENT": "false"},
                tipg_port, workdir / "tipg.log"))
            tipg = Http(tipg_port)
        pg = psycopg.connect(cluster.libpq_conninfo(DATABASE), autocommit=True)
        ours = Http(ours_port)
        print(f"latency: {args.rounds} rounds after {args.warmup} warm-up rounds, interleaved", flush=True)
        times = latency(pg, ours, tipg, args.rounds, args.warmup)

        print("\nThroughput: 100-feature pages of plr at random offsets, 8 concurrent clients, uncached", flush=True)
        offsets = [random.Random(1).randrange(0, 443) for _ in range(200)]
        floor_tps = pgbench_tps(["-h", socket_dir, "-U", user, DATABASE], int(args.seconds), 8)
        ours_rps = load(ours_port, [ours_path("plr", 100, o) for o in offsets], seconds=args.seconds)
        tipg_rps = load(tipg_port, [tipg_path("plr", 100, o) for o in offsets], seconds=args.seconds) if tipg else None

        revalidate = ours_path("plr", 100, 0)
        etag = ours.get(revalidate)[2]["etag"]
        rps_304 = load(ours_port, [revalidate], {"If-None-Match": etag}, seconds=args.seconds, expect=304)

        centre = lonlat_to_tile(*ALEXANDERPLATZ, 12)
        tiles = [(centre[0] + dx, centre[1] + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
        ours_tile = tile_times(ours_port, [f"/collections/plr/tiles/WebMercatorQuad/12/{y}/{x}?datetime={PERIOD}"
                                           for x, y in tiles], 10)
        tipg_tile = (tile_times(tipg_port, [f"/collections/bench.plr/tiles/WebMercatorQuad/12/{x}/{y}"
                                            for x, y in tiles], 10) if tipg else None)
        report(times, floor_tps, ours_rps, tipg_rps, rps_304, ours_tile, tipg_tile, centre)
    finally:
        for server in servers:
            stop_server(server)
        if not args.keep:
            cluster.stop()
            shutil.rmtree(cluster.root, ignore_errors=True)


def report(times, floor_tps, ours_rps, tipg_rps, rps_304, ours_tile, tipg_tile, centre) -> None:
    ms = 1000
    print("\nLatency per request (ms): median / p95; ratio = median / floor median")
    print(f"{'level':8} {'limit':>6} {'offset':>6} | {'floor':>17} | {'service':>17} {'ratio':>6} | "
          f"{'tipg':>19} {'ratio':>6}")
    worst = 0.0
    for case in CASES:
        floor = times[(case, "floor")]
        ours = times[(case, "ours")]
        f_med, o_med = statistics.median(floor), statistics.median(ours)
        worst = max(worst, o_med / f_med)
        line = (f"{case[0]:8} {case[1]:>6} {case[2]:>6} | {f_med * ms:7.1f} / {pct(floor, .95) * ms:7.1f} | "
                f"{o_med * ms:7.1f} / {pct(ours, .95) * ms:7.1f} {o_med / f_med:5.2f}x |")
        if (case, "tipg") in times:
            t = times[(case, "tipg")]
            line += f" {statistics.median(t) * ms:8.1f} / {pct(t, .95) * ms:8.1f} {statistics.median(t) / f_med:5.2f}x"
        print(line)
    print(f"worst service/floor ratio over all cases: {worst:.2f}x (target <= 1.3x)")
    print("\nThroughput, 100-feature pages, 8 clients:")
    print(f"  floor (pgbench, 8 clients):  {floor_tps:8.1f} /s")
    print(f"  service (HTTP):              {ours_rps:8.1f} /s  = {ours_rps / floor_tps:.2f}x floor (target >= 0.6x)")
    if tipg_rps:
        print(f"  tipg (HTTP):                 {tipg_rps:8.1f} /s  = {tipg_rps / floor_tps:.2f}x floor")
    print(f"\n304 revalidation, 8 clients:   {rps_304:8.1f} /s  (target >= 2,000/s)")
    print(f"\nVector tiles z12 around tile x={centre[0]} y={centre[1]} (central Berlin), 9 tiles x 10 rounds:")
    print(f"  service: median {statistics.median(ours_tile) * ms:6.1f} ms, p95 {pct(ours_tile, .95) * ms:6.1f} ms "
          f"(target p95 < 50 ms)")
    if tipg_tile:
        print(f"  tipg:    median {statistics.median(tipg_tile) * ms:6.1f} ms, p95 {pct(tipg_tile, .95) * ms:6.1f} ms")


def service_app():
    """uvicorn --factory target: the service on DATABASE_URL, as `district-monitor serve` would build it."""
    from service.app import create_app
    from service.settings import Settings

    return create_app(Settings())


if __name__ == "__main__":
    main()
