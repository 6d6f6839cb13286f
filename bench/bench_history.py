"""Time series across boundary reforms (issue 15): figures for the closing note.

    .venv/bin/python bench/bench_history.py demo-load     # time `load_demo` of the Berlin demo on a throwaway cluster
    .venv/bin/python bench/bench_history.py editions      # published vs reproduced MSS classes per edition
    .venv/bin/python bench/bench_history.py harmonise     # error of the areal interpolation, its time
    .venv/bin/python bench/bench_history.py all [--profile]   # all of it on one load

Every sub-command builds its own throwaway PostGIS cluster (or uses DATABASE_URL's server).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.db import create_engine, upgrade
from service.embedded import throwaway_cluster
from service.settings import Settings


@contextmanager
def demo_database(load: bool = True, steps: list | None = None):
    """An engine on a new database with the Berlin demo loaded; yields (engine, seconds the load took).
    `steps` receives (what, seconds) per step of the load."""
    from service.demo import load_demo

    with throwaway_cluster("dm-bench-history-pg-") as cluster:
        engine = create_engine(cluster.url("postgres"), Settings())
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
        upgrade(engine, 25833)
        started = time.perf_counter()
        last = [started]

        def progress(what, _done, _total):
            now = time.perf_counter()
            if steps is not None:
                steps.append((what, now - last[0]))
            last[0] = now

        if load:
            load_demo(engine, progress=progress)
        seconds = time.perf_counter() - started
        try:
            yield engine, seconds
        finally:
            engine.dispose()


def cmd_demo_load(args) -> None:
    steps: list = []
    with demo_database(steps=steps) as (_engine, seconds):
        if args.steps:
            for what, took in steps:
                print(f"  {took:6.1f} s  {what}")
        print(f"load_demo (Berlin, whole manifest): {seconds:.1f} s  (load average {os.getloadavg()[0]:.2f})")


BERLIN = Path(__file__).resolve().parent.parent / "data" / "demo" / "berlin"


def print_editions(engine) -> None:
    from indicators.editions import compare_editions

    with engine.connect() as conn:
        rows = compare_editions(conn, BERLIN / "history" / "mss_index_plr_2013_2019.csv")
    print(f"{'edition':8} {'index':9} {'published':34} {'reproduced':34} differing")
    for r in rows:
        differing = "counts only" if r.differing is None else f"{r.differing} of {r.compared}"
        print(f"{r.edition:8} {r.kind:9} {r.published!s:34} {r.reproduced!s:34} {differing}")


def cmd_editions(args) -> None:
    with demo_database() as (engine, _seconds):
        print_editions(engine)


def berlin_denominators() -> dict:
    """The denominators the Berlin demo's manifest declares for its shares (its `harmonise` step)."""
    import yaml

    manifest = yaml.safe_load((ROOT / "data" / "demo" / "berlin" / "demo.yaml").read_text())
    return manifest["harmonise"][0].get("denominators", {})


def print_harmonisation(engine) -> None:
    """The method's error against values the publisher computed on the new boundaries itself: MSS 2021 gives
    the shares of 31.12.2018 on the 542 areas (S2020 - D, derived/mss_2018_shares_plr.csv); MSS 2019 gives them
    on the 447 areas. Estimate the latter on the 542 areas and compare."""
    from datetime import date

    import numpy as np
    import pandas as pd

    from indicators.harmonise import (
        crosswalk,
        denominator_codes,
        move_rate,
        public_values,
        version_areas,
    )

    old, new, period = date(2018, 12, 31), date(2021, 1, 1), date(2018, 12, 31)
    with engine.connect() as conn:
        started = time.perf_counter()
        source, target = version_areas(conn, "plr", old), version_areas(conn, "plr", new)
        population = public_values(conn, "plr", new, ["EW"], date(2021, 6, 30))["EW"]
        walks = {m: crosswalk(source, target, m, population) for m in ("area", "population")}
        walk_seconds = time.perf_counter() - started
        print(f"crosswalk 447 -> 542 areas (tobler area table + both weightings): {walk_seconds:.2f} s")
        print(f"{'indicator':9} {'method':11} {'areas':>5} {'MAE':>7} {'RMSE':>7} {'max':>7}  "
              f"{'MAE exact':>9} {'MAE split':>9}  (percentage points)")
        declared = berlin_denominators()
        # the declared denominator where its counts are loaded, and the stand-in the demo's estimates use where
        # they are not (all inhabitants: indicators.harmonise.Harmoniser._denominator)
        trials = [(code, parts) for code in ("S1", "S3", "S4")
                  for parts in dict.fromkeys([denominator_codes(conn, code, declared), ("EW",)])]
        for code, parts in trials:
            parts = list(parts)
            published_new = public_values(conn, "plr", new, [code], period)[code]
            old_values = public_values(conn, "plr", old, [code, *parts], period)
            denominator = old_values[parts].sum(axis=1, min_count=len(parts))
            if denominator.isna().all():
                print(f"{code:9} denominator {'+'.join(parts)}: not loaded on the old boundaries")
                continue
            print(f"{code:9} denominator {'+'.join(parts)}")
            for method, walk in walks.items():
                estimate = move_rate(walk, old_values[code], denominator)
                both = pd.concat({"est": estimate["value"], "pub": published_new, "split": estimate["share_estimated"]},
                                 axis=1).dropna()
                error = both["est"] - both["pub"]
                exact = both["split"] < 0.001
                print(f"{code:9} {method:11} {len(both):5d} {error.abs().mean():7.3f} "
                      f"{np.sqrt((error ** 2).mean()):7.3f} {error.abs().max():7.2f}  "
                      f"{error[exact].abs().mean():9.3f} {error[~exact].abs().mean():9.3f}")


def print_harmonise_timing(engine) -> None:
    from datetime import date

    from indicators.harmonise import harmonise

    with engine.connect() as conn:
        for code in ("EW", "S1"):
            started = time.perf_counter()
            series = harmonise(conn, code, level="plr", target_at=date(2021, 1, 1))
            seconds = time.perf_counter() - started
            estimated = series[series["method"] != "published"]
            print(f"harmonise {code} onto the 542 areas: {series['period'].nunique()} periods, {len(series)} values "
                  f"({len(estimated)} estimated, mean share estimated {estimated['share_estimated'].mean():.3f}) "
                  f"in {seconds:.2f} s")


def cmd_harmonise(args) -> None:
    with demo_database() as (engine, _seconds):
        print_harmonisation(engine)
        print_harmonise_timing(engine)


def cmd_all(args) -> None:
    with demo_database() as (engine, seconds):
        print(f"load_demo (Berlin, whole manifest): {seconds:.1f} s  (load average {os.getloadavg()[0]:.2f})")
        print_editions(engine)
        print_harmonisation(engine)
        print_harmonise_timing(engine)
        if args.profile:
            print_profile_timing(engine)


def print_profile_timing(engine) -> None:
    """Server time of the profile page of one planning area with all its series (median of 5, app in-process)."""
    import statistics

    from fastapi.testclient import TestClient

    from service.app import create_app

    keys = ["09401433", "01100101", "09401329", "12601235", "04300414", "07400823"]
    with TestClient(create_app(Settings(), engine=engine)) as client:
        client.get("/areas/plr/01100102")  # templates compiled, connections open
        times = []
        for key in keys:  # each area once: no response of the HTTP cache is reused
            started = time.perf_counter()
            response = client.get(f"/areas/plr/{key}")
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (key, response.status_code)
        print(f"profile page of {len(keys)} planning areas (first request each, all series and every edition): "
              f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("demo-load")
    load.add_argument("--steps", action="store_true", help="print the time of each step")
    load.set_defaults(run=cmd_demo_load)
    sub.add_parser("editions").set_defaults(run=cmd_editions)
    sub.add_parser("harmonise").set_defaults(run=cmd_harmonise)
    everything = sub.add_parser("all")
    everything.add_argument("--profile", action="store_true", help="also time the profile page")
    everything.set_defaults(run=cmd_all)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
