"""Load benchmark: 50 concurrent clients, a mixed realistic workload, 60 s, against a live server.

The server is `uvicorn` in a subprocess (one process, as `district-monitor serve` runs it) on the Berlin demo in a
throwaway PostGIS cluster; the clients are asyncio + httpx on loopback only. The mix follows what the users do:
planners open maps and move around (map pages, vector tiles), GIS tools page through features, neighbourhood
teams open area profiles, and browsers revalidate what they have (If-None-Match -> 304).
The per-client rate limit is switched off for the run (all clients share 127.0.0.1, so it would throttle the
benchmark itself); everything else is the default configuration.

Prints requests/s and p50/p95/p99 latency per kind and overall, and the number of errors (must be 0).

Run: .venv/bin/python bench/bench_load.py [--seconds 60] [--clients 50]   (DATABASE_URL's server if set)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.db import create_engine, normalise_url, upgrade  # noqa: E402
from service.demo import load_demo  # noqa: E402
from service.embedded import EmbeddedCluster  # noqa: E402
from service.settings import Settings  # noqa: E402

SERVER = """
import uvicorn
from service.app import create_app
from service.settings import Settings
uvicorn.run(create_app(Settings()), host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""
# Web Mercator tiles over Berlin at the zooms a planner uses (z 10-13)
TILE_ZOOMS = {10: ((548, 552), (334, 337)), 11: ((1097, 1103), (669, 673)), 12: ((2195, 2206), (1339, 1346)),
              13: ((4391, 4413), (2679, 2693))}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_database(url: str) -> dict:
    engine = create_engine(url, Settings(_env_file=None, statement_timeout_ms=600_000))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
    upgrade(engine, 25833)
    started = time.perf_counter()
    load_demo(engine)
    print(f"demo loaded in {time.perf_counter() - started:.0f} s")
    with engine.connect() as conn:
        plr = conn.execute(sa.text("SELECT key FROM area WHERE level_code = 'plr' ORDER BY key")).scalars().all()
        bzr = conn.execute(sa.text("SELECT key FROM area WHERE level_code = 'bzr' ORDER BY key")).scalars().all()
        codes = conn.execute(sa.text("SELECT DISTINCT indicator_code FROM observation_public o JOIN area a "
                                     "ON a.id = o.area_id WHERE a.level_code = 'bzr' AND o.period = '2020-12-31' "
                                     "ORDER BY 1")).scalars().all()
    engine.dispose()
    return {"plr": plr, "bzr": bzr, "codes": codes}


def workload(rng: random.Random, data: dict) -> tuple[str, str]:
    """One request of the mix: (kind, path)."""
    roll = rng.random()
    if roll < 0.30:
        z = rng.choice(list(TILE_ZOOMS))
        (x0, x1), (y0, y1) = TILE_ZOOMS[z]
        return "tile", f"/collections/plr/tiles/WebMercatorQuad/{z}/{rng.randint(y0, y1)}/{rng.randint(x0, x1)}"
    if roll < 0.50:
        level = rng.choice(["plr", "bzr"])
        lon, lat = 13.2 + rng.random() * 0.4, 52.4 + rng.random() * 0.2
        bbox = f"{lon:.4f},{lat:.4f},{lon + 0.05:.4f},{lat + 0.03:.4f}"
        return "items", f"/collections/{level}/items?f=json&limit=100&period=2020-12-31&bbox={bbox}"
    if roll < 0.60:
        return "item", f"/collections/plr/items/{rng.choice(data['plr'])}?f=json"
    if roll < 0.75:
        return "profile", f"/areas/plr/{rng.choice(data['plr'])}?f=json"
    if roll < 0.85:
        return "map", f"/explorer?indicator={rng.choice(data['codes'])}&level=bzr&period=2020-12-31"
    return "revalidate", rng.choice(["/collections/plr/items?f=json&limit=50", "/collections",
                                     f"/areas/bzr/{rng.choice(data['bzr'])}?f=json",
                                     "/collections/bez/tiles/WebMercatorQuad/10/335/550"])


async def client(base: str, data: dict, seed: int, until: float, results: dict, errors: list) -> None:
    rng = random.Random(seed)
    etags: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=base, timeout=60, headers={"Accept-Encoding": "gzip"}) as http:
        while time.perf_counter() < until:
            kind, path = workload(rng, data)
            headers = {"If-None-Match": etags[path]} if kind == "revalidate" and path in etags else {}
            started = time.perf_counter()
            try:
                response = await http.get(path, headers=headers)
                await response.aread()
            except httpx.HTTPError as exc:
                errors.append(f"{kind} {path}: {exc!r}")
                continue
            elapsed = time.perf_counter() - started
            if kind == "revalidate" and response.status_code == 200 and "etag" in response.headers:
                etags[path] = response.headers["etag"]
                kind = "revalidate (first)"
            ok = response.status_code == 304 if headers else 200 <= response.status_code < 300
            if not ok and not (kind == "tile" and response.status_code == 204):  # an empty tile is an answer
                errors.append(f"{kind} {path}: {response.status_code} {response.text[:120]}")
                continue
            results[kind].append(elapsed)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


async def run(base: str, data: dict, clients: int, seconds: float) -> tuple[dict, list, float]:
    results: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(client(base, data, n, until, results, errors) for n in range(clients)))
    return results, errors, time.perf_counter() - started


def report(results: dict, errors: list, elapsed: float, clients: int) -> None:
    print(f"\n{clients} clients, {elapsed:.1f} s, loopback only")
    print(f"{'kind':<20}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    everything = []
    for kind in sorted(results):
        values = results[kind]
        everything += values
        print(f"{kind:<20}{len(values):>10}{len(values) / elapsed:>9.1f}{percentile(values, 50) * 1000:>9.1f}"
              f"{percentile(values, 95) * 1000:>9.1f}{percentile(values, 99) * 1000:>9.1f}")
    print(f"{'overall':<20}{len(everything):>10}{len(everything) / elapsed:>9.1f}"
          f"{percentile(everything, 50) * 1000:>9.1f}{percentile(everything, 95) * 1000:>9.1f}"
          f"{percentile(everything, 99) * 1000:>9.1f}")
    print(f"errors: {len(errors)}")
    for line in errors[:10]:
        print("  ", line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    cluster = root = None
    if os.environ.get("DATABASE_URL"):
        server_url = sa.engine.make_url(normalise_url(os.environ["DATABASE_URL"]))
    else:
        root = Path(tempfile.mkdtemp(prefix="dm-bench-load-"))
        cluster = EmbeddedCluster(root, durable=False)
        cluster.ensure_running()
        server_url = sa.engine.make_url(cluster.url("postgres"))
    name = f"dm_bench_load_{os.getpid()}"
    admin = sa.create_engine(server_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = server_url.set(database=name).render_as_string(hide_password=False)
    server = None
    try:
        data = prepare_database(url)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "DM_RATE_LIMIT_PER_MINUTE": "0", "DM_LOAD_DEMO": "false",
               "DM_MAP_TILES": "", "DM_POOL_SIZE": "16"}
        server = subprocess.Popen([sys.executable, "-c", SERVER.format(port=port)], cwd=ROOT, env=env)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        asyncio.run(run(base, data, min(args.clients, 10), 5))  # warm-up: caches, pools, tiles
        results, errors, elapsed = asyncio.run(run(base, data, args.clients, args.seconds))
        report(results, errors, elapsed, args.clients)
        return 1 if errors else 0
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(cluster.root, ignore_errors=True)
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
