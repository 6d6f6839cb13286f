"""Load benchmark: 50 concurrent clients, a mixed realistic workload, 60 s, against a live server, with and
without a second client that abuses it at the same time.

The server is `district-monitor serve --workers N` in a subprocess (the production set-up, one worker per core) on
the Berlin demo in a throwaway PostGIS cluster, with the default limits (rate limit included); the clients are
asyncio + httpx on loopback only. Each client has an address of its own (127.0.1.n), as users do; the abuser
has 127.0.2.1. The mix follows what the users do: planners open maps and move around (map pages, vector tiles),
GIS tools page through features, neighbourhood teams open area profiles, and browsers revalidate what they
have (If-None-Match -> 304); a map page is followed by its shapes (/maps/geometry/..., revalidated once
the client has them, as a browser does). Each client is a person or a GIS tool, not a loop: between two requests it waits a
think time drawn from an exponential distribution (mean `--think-ms`, default 1,000 ms; the trust review's
baseline of p95 17 ms for the other users is only reachable on two cores with clients that pause). `--think-ms 0`
turns the clients into a closed loop that saturates the machine: then the figures measure capacity
(requests/s), and latency is just clients / throughput (Little's law); the closing notes print both runs.

The abuser (`--abuse`) runs in a process of its own (a second client) the attacks of the trust review in a loop: polygons with 5,000 and 20,000 vertices
and fresh moderate ones, hot spots with 9,999 permutations and fresh seeds (and fresh significance levels, which
are computed), downloads abandoned after 500 bytes, and a few hundred connections that never finish their
headers. Its answers (413, 400, 429, closed connections) are counted, not judged.

Prints the machine's load average, requests/s and p50/p95/p99 latency per kind and overall, and the number of
errors of the normal clients (must be 0).

Run: .venv/bin/python bench/bench_load.py [--seconds 60] [--clients 50] [--workers N] [--think-ms 1000] [--abuse]
     (DATABASE_URL's server if set)
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
import orjson
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.db import create_engine, normalise_url, upgrade  # noqa: E402
from service.demo import load_demo  # noqa: E402
from service.embedded import EmbeddedCluster  # noqa: E402
from service.settings import Settings  # noqa: E402

# Web Mercator tiles over Berlin at the zooms a planner uses (z 10-13)
TILE_ZOOMS = {10: ((548, 552), (334, 337)), 11: ((1097, 1103), (669, 673)), 12: ((2195, 2206), (1339, 1346)),
              13: ((4391, 4413), (2679, 2693))}
ABUSER = "127.0.2.1"


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


async def client(base: str, data: dict, seed: int, until: float, results: dict, errors: list,
                 think_s: float) -> None:
    rng = random.Random(seed)
    etags: dict[str, str] = {}
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.1.{seed % 250 + 1}")
    async with httpx.AsyncClient(base_url=base, timeout=60, headers={"Accept-Encoding": "gzip"},
                                 transport=transport) as http:
        while time.perf_counter() < until:
            if think_s:
                await asyncio.sleep(min(rng.expovariate(1 / think_s), max(0.0, until - time.perf_counter())))
                if time.perf_counter() >= until:
                    break
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
            if kind == "map":  # a browser then asks for the level's shapes, revalidating what it keeps
                await shapes(http, response.text, etags, results, errors)


async def shapes(http: httpx.AsyncClient, page: str, etags: dict, results: dict, errors: list) -> None:
    for url in dict.fromkeys(re.findall(r'"(/maps/geometry/[^"]+)"', page)):
        url = url.replace("\\u0026", "&")
        headers = {"If-None-Match": etags[url]} if url in etags else {}
        started = time.perf_counter()
        try:
            response = await http.get(url, headers=headers)
            await response.aread()
        except httpx.HTTPError as exc:
            errors.append(f"map shapes {url}: {exc!r}")
            continue
        if response.status_code not in (200, 304):
            errors.append(f"map shapes {url}: {response.status_code}")
            continue
        if response.status_code == 200 and "etag" in response.headers:
            etags[url] = response.headers["etag"]
        results["map shapes" if headers else "map shapes (first)"].append(time.perf_counter() - started)


def star(rng: random.Random, vertices: int, radius_km: float) -> dict:
    """A star-shaped polygon somewhere over Berlin: the most intersections per vertex."""
    lon, lat = 13.25 + rng.random() * 0.3, 52.45 + rng.random() * 0.12
    points = [[round(lon + radius_km * (1 - 0.3 * (i % 2)) / 68 * math.cos(2 * math.pi * i / vertices), 5),
               round(lat + radius_km * (1 - 0.3 * (i % 2)) / 111 * math.sin(2 * math.pi * i / vertices), 5)]
              for i in range(vertices)]
    return {"type": "Polygon", "coordinates": [points + [points[0]]]}


async def abandon_download(port: int) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(ABUSER, 0))
    writer.write(b"GET /collections/plr/download?format=geojson HTTP/1.1\r\nHost: x\r\n\r\n")
    await reader.read(500)
    writer.transport.abort()  # gone without reading the rest, as `curl ... | head -c 500`
    return "abandoned download"


async def slow_headers(port: int, count: int, outcomes: Counter) -> None:
    """`count` connections that send half a request and then nothing; reopened when the server closes them."""
    async def one() -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(ABUSER, 0))
            writer.write(b"GET /collections HTTP/1.1\r\nHost: x\r\n")
            await reader.read(1)
            outcomes["slow headers: closed by the server"] += 1
            writer.transport.abort()
        except OSError:
            outcomes["slow headers: refused"] += 1

    while True:
        await asyncio.gather(*(one() for _ in range(count)))


async def abuser(base: str, port: int, until: float, outcomes: Counter) -> None:
    """The attacks of the trust review, in a loop, from one address. The polygons are encoded before the run
    (a pool of fresh moderate ones, the big ones replayed): the abuser's own JSON encoding is not the server's
    cost."""
    rng = random.Random(4711)
    big = [orjson.dumps(star(rng, 5_000, 10)), orjson.dumps(star(rng, 20_000, 3))]
    moderate = [orjson.dumps(star(rng, 300, 1.5)) for _ in range(400)]
    json_body = {"Content-Type": "application/json"}
    transport = httpx.AsyncHTTPTransport(local_address=ABUSER)
    slow = asyncio.create_task(slow_headers(port, 300, outcomes))
    async with httpx.AsyncClient(base_url=base, timeout=120, transport=transport) as http:
        attacks = [
            lambda: http.post("/api/aggregate/polygon", content=big[0], headers=json_body),
            lambda: http.post("/api/aggregate/polygon", content=big[1], headers=json_body),
            lambda: http.post("/api/aggregate/polygon", content=rng.choice(moderate), headers=json_body),
            lambda: http.get("/api/hotspots", params={"indicator": "S1", "permutations": 9999,
                                                      "seed": rng.randrange(2 ** 32)}),
            lambda: http.get("/api/hotspots", params={"indicator": "S1", "alpha": round(rng.uniform(0.01, 0.2), 4)}),
        ]
        while time.perf_counter() < until:
            try:
                if rng.random() < 0.25:
                    outcomes[await abandon_download(port)] += 1
                    continue
                response = await rng.choice(attacks)()
                outcomes[f"{response.request.method} {response.request.url.path}: {response.status_code}"] += 1
            except (httpx.HTTPError, OSError) as exc:
                outcomes[f"failed: {type(exc).__name__}"] += 1
    slow.cancel()


def abuser_process(base: str, port: int, seconds: float, answers: multiprocessing.Queue) -> None:
    """The abuser in a process of its own, as a second client is: its work never delays the measured
    clients' event loop (in one loop, its encoding and its hundreds of connections added to their latency)."""
    outcomes: Counter = Counter()
    asyncio.run(abuser(base, port, time.perf_counter() + seconds, outcomes))
    answers.put(dict(outcomes))


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


async def run(base: str, port: int, data: dict, clients: int, seconds: float, abuse: bool, think_s: float
              ) -> tuple[dict, list, float, Counter]:
    results: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    outcomes: Counter = Counter()
    started = time.perf_counter()
    until = started + seconds
    tasks = [client(base, data, n, until, results, errors, think_s) for n in range(clients)]
    second = None
    if abuse:
        answers: multiprocessing.Queue = multiprocessing.Queue()
        second = multiprocessing.Process(target=abuser_process, args=(base, port, seconds, answers), daemon=True)
        second.start()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    if second is not None:
        outcomes.update(answers.get(timeout=180))
        second.join(timeout=30)
    return results, errors, elapsed, outcomes


def cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def report(results: dict, errors: list, elapsed: float, clients: int, workers: int, outcomes: Counter,
           client_cpu: float, think_s: float) -> None:
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    pace = f"think time {think_s * 1000:.0f} ms (exponential mean)" if think_s else "no think time (closed loop)"
    print(f"\n{clients} clients, {pace}, {elapsed:.1f} s, {workers} worker processes, loopback only; "
          f"load average after the run (1, 5, 15 min): {load} on {os.cpu_count()} cores")
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
    print(f"CPU used by the benchmark's own clients during the run: {client_cpu:.0f} s of the "
          f"{(os.cpu_count() or 1) * elapsed:.0f} s the {os.cpu_count()} cores had")
    print(f"errors: {len(errors)}")
    for line in errors[:10]:
        print("  ", line)
    if outcomes:
        print("abuser (answers it got):")
        for what, count in sorted(outcomes.items()):
            print(f"   {count:>6}  {what}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="default: one per core")
    parser.add_argument("--think-ms", type=float, default=1000,
                        help="mean think time between a client's requests (0: closed loop, measures capacity)")
    parser.add_argument("--abuse", action="store_true", help="a second client attacks meanwhile")
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
        env = {**os.environ, "DATABASE_URL": url, "DM_MAP_TILES": ""}
        server = subprocess.Popen([sys.executable, "-m", "service", "serve", "--port", str(port), "--no-demo",
                                   "--workers", str(args.workers)], cwd=ROOT, env=env)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        think_s = args.think_ms / 1000
        asyncio.run(run(base, port, data, min(args.clients, 10), 5, abuse=False, think_s=0))  # warm-up: caches, pools
        cpu_before = cpu_seconds()
        results, errors, elapsed, outcomes = asyncio.run(run(base, port, data, args.clients, args.seconds,
                                                             args.abuse, think_s))
        report(results, errors, elapsed, args.clients, args.workers, outcomes, cpu_seconds() - cpu_before, think_s)
        return 1 if errors else 0
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(cluster.root, ignore_errors=True)
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
