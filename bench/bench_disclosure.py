"""Benchmark of the disclosure model on the demo: what a rule change costs inside its transaction.

On a throwaway cluster with the demo and k = 5 on every count (8 cells hidden: 4 real small counts and 4
complements): `refresh_after_write` (roll-ups, disclosure, the index runs that read a newly hidden cell) with
nothing to change; `refresh_disclosure` with the linear-programming audit; and, as the floor,
`refresh_disclosure` without it (the SQL heuristic alone).
Each figure is the median of 5 runs, all inside one transaction that is rolled back.
Run: .venv/bin/python bench/bench_disclosure.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indicators.disclosure import refresh_disclosure
from indicators.refresh import refresh_after_write
from service.db import create_engine, upgrade
from service.demo import load_demo
from service.embedded import throwaway_cluster
from service.settings import Settings

SETTINGS = Settings(_env_file=None, load_demo=False, map_tiles="", statement_timeout_ms=600_000)
REPEATS = 5


def median_seconds(function) -> float:
    timings = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    with throwaway_cluster("dm-bench-disclosure-") as cluster:
        engine = create_engine(cluster.url(), SETTINGS)
        print("loading the demo into a throwaway cluster ...", flush=True)
        upgrade(engine, SETTINGS.storage_srid)
        load_demo(engine)
        with engine.connect() as conn, conn.begin() as transaction:
            conn.execute(sa.text("UPDATE indicator SET min_numerator = 5, min_denominator = NULL WHERE kind = 'count'"))
            refresh_after_write(conn)
            hidden = conn.execute(sa.text("SELECT count(*) FROM disclosure")).scalar_one()
            figures = {
                "refresh_after_write, nothing to change": median_seconds(lambda: refresh_after_write(conn)),
                "refresh_disclosure with the LP audit": median_seconds(lambda: refresh_disclosure(conn)),
                "refresh_disclosure, heuristic alone (floor)": median_seconds(
                    lambda: refresh_disclosure(conn, audit=False)),
            }
            transaction.rollback()
        engine.dispose()
    print(f"demo, k = 5 on every count, {hidden} cells hidden")
    floor = figures["refresh_disclosure, heuristic alone (floor)"]
    for name, seconds in figures.items():
        print(f"  {name}: {seconds:.2f} s ({seconds / floor:.1f} x floor)")


if __name__ == "__main__":
    main()
