"""Statistical confidentiality: small counts are hidden, and no hidden value can be recomputed from what
readers see (parent minus visible children on every level, total minus the other age groups).

The demo's 2022 population counts (real register data) contain no counts of 1 or 2, so these tests apply
a stricter local rule (k = 20) to the age-group counts of a private copy of the demo: that hides real cells
of the real table. Roll-ups to every level are added as observations where the aggregation code has not
stored them yet, so the hierarchy equations exist on all levels as they will in production.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

import numpy as np
import orjson
import pytest
import sqlalchemy as sa
from scipy.optimize import linprog

from indicators.disclosure import refresh_disclosure, set_partition
from service.db import create_engine
from tests.conftest import make_settings

K = 20
PERIOD = "2022-06-30"
AGE_GROUPS = ["EW_U6", "EW_6_15", "EW_15_18", "EW_18_27", "EW_27_45", "EW_45_55", "EW_55_65", "EW_65PLUS"]
COUNTS = ["EW", *AGE_GROUPS, "EW_W", "EW_AUSL"]

ROLLUP = """
    INSERT INTO observation (indicator_code, area_id, period, value, import_batch_id)
    SELECT o.indicator_code, pa.id, o.period, sum(o.value), :batch
    FROM observation o
    JOIN area a ON a.id = o.area_id AND a.level_code = :child
    JOIN area_level l ON l.code = a.level_code
    JOIN area pa ON pa.level_code = l.parent_code AND pa.key = a.parent_key
    WHERE o.superseded_at IS NULL AND o.indicator_code = ANY(:codes) AND o.period = :period AND o.value IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM observation x WHERE x.indicator_code = o.indicator_code AND x.area_id = pa.id
                      AND x.period = o.period AND x.superseded_at IS NULL)
    GROUP BY o.indicator_code, pa.id, o.period"""


@pytest.fixture(scope="module")
def strict_engine(pg_server, demo_template):
    name = f"dm_test_disclosure_{uuid.uuid4().hex[:8]}"
    engine = create_engine(pg_server.create(name, template=demo_template), make_settings())
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE indicator SET min_numerator = :k, min_denominator = NULL WHERE code = ANY(:c)"),
                     {"k": K, "c": COUNTS[1:]})
        batch = conn.execute(sa.text("""INSERT INTO import_batch (kind, file_name, sha256, created_by)
                                        VALUES ('rollup', 'test roll-up', '-', 'test') RETURNING id""")).scalar_one()
        for child in ("plr", "bzr", "pgr", "bez"):
            conn.execute(sa.text(ROLLUP), {"batch": batch, "child": child, "codes": COUNTS, "period": PERIOD})
        refresh_disclosure(conn)
    yield engine
    engine.dispose()
    pg_server.drop(name)


def public_and_raw(engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return conn.execute(sa.text("""
            SELECT c.id, c.indicator_code, c.value AS raw, p.value AS public, p.flag, p.flag_reason,
                   a.level_code, a.key, a.parent_key, l.parent_code
            FROM observation_current c
            JOIN observation_public p ON p.id = c.id
            JOIN area a ON a.id = c.area_id JOIN area_level l ON l.code = a.level_code
            WHERE c.period = :period AND c.indicator_code = ANY(:codes)"""),
            {"period": PERIOD, "codes": COUNTS}).all()


def test_every_count_between_1_and_k_minus_1_is_hidden_with_its_reason(strict_engine):
    rows = public_and_raw(strict_engine)
    small = [r for r in rows if r.indicator_code != "EW" and 0 < r.raw < K]
    assert len(small) >= 10  # real cells of the real table
    for r in small:
        assert r.public is None and r.flag == "suppressed", r
        assert f"kleiner als {K}" in r.flag_reason and f"below {K}" in r.flag_reason


def test_zeros_and_large_counts_stay_visible_unless_they_protect_another_cell(strict_engine):
    rows = public_and_raw(strict_engine)
    hidden = [r for r in rows if r.flag == "suppressed"]
    secondary = [r for r in hidden if "sekundär" in r.flag_reason]
    assert secondary, "some cell needs a complement"
    visible = [r for r in rows if r.flag != "suppressed"]
    assert all(r.public == r.raw for r in visible)
    assert any(r.raw == 0 for r in visible)
    assert len(hidden) < 0.05 * len(rows), "suppression must stay the exception"


def test_editors_read_unsuppressed_values(strict_engine):
    with strict_engine.connect() as conn:
        hidden_ids = conn.execute(sa.text("SELECT observation_id FROM disclosure")).scalars().all()
        current = conn.execute(sa.text("SELECT count(*) FROM observation_current WHERE id = ANY(:ids) AND value > 0"),
                               {"ids": hidden_ids}).scalar_one()
    assert current == len(hidden_ids) > 0


def _equations(rows) -> list[tuple[int, list[int]]]:
    """Every published sum among these cells: (head cell, [parts]) for parent/children on each level and
    for the population total and its age groups."""
    by_key = {(r.indicator_code, r.level_code, r.key): r for r in rows}
    children = defaultdict(list)
    for r in rows:
        if r.parent_code and (r.indicator_code, r.parent_code, r.parent_key) in by_key:
            children[by_key[(r.indicator_code, r.parent_code, r.parent_key)].id].append(r.id)
    equations = list(children.items())
    for (code, level, key), total in by_key.items():
        if code == "EW":
            parts = [by_key[(g, level, key)].id for g in AGE_GROUPS if (g, level, key) in by_key]
            equations.append((total.id, parts))
    return equations


def _recoverable(rows, equations) -> list[tuple[sa.Row, float, float]]:
    """The attacker's best: for every hidden cell, the smallest and largest value consistent with all
    published sums, non-negative counts and (from the public reason) 1 <= primary cell <= k-1."""
    cell = {r.id: r for r in rows}
    hidden = sorted(r.id for r in rows if r.flag == "suppressed")
    index = {cid: i for i, cid in enumerate(hidden)}
    a_eq, b_eq = [], []
    for head, parts in equations:
        members = [(head, -1.0)] + [(p, 1.0) for p in parts]
        unknown = [(cid, sign) for cid, sign in members if cid in index]
        if not unknown:
            continue
        row = np.zeros(len(hidden))
        for cid, sign in unknown:
            row[index[cid]] = sign
        a_eq.append(row)
        b_eq.append(-sum(sign * cell[cid].public for cid, sign in members if cid not in index))
    bounds = [(1, K - 1) if "sekundär" not in cell[cid].flag_reason else (0, None) for cid in hidden]
    found = []
    for i, cid in enumerate(hidden):
        objective = np.zeros(len(hidden))
        objective[i] = 1
        low = linprog(objective, A_eq=np.array(a_eq), b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=np.array(a_eq), b_eq=b_eq, bounds=bounds, method="highs")
        assert low.status == 0 and high.status == 0, "the published sums must be consistent"
        found.append((cell[cid], low.fun, -high.fun))
    return found


def test_no_hidden_value_follows_from_parent_minus_children_or_total_minus_age_groups(strict_engine):
    rows = public_and_raw(strict_engine)
    intervals = _recoverable(rows, _equations(rows))
    assert intervals
    for r, low, high in intervals:
        assert low - 1e-6 <= r.raw <= high + 1e-6, "the raw value is consistent with what was published"
        assert high - low >= 1 - 1e-6, f"{r.indicator_code} {r.level_code} {r.key} is pinned to {low}..{high}"


def test_the_attack_would_succeed_without_secondary_suppression(strict_engine):
    """The attack code is not toothless: with primary suppression only, it recovers hidden values exactly."""
    with strict_engine.begin() as conn:
        conn.execute(sa.text("SAVEPOINT only_primary"))
        conn.execute(sa.text("DELETE FROM disclosure WHERE rule = 'secondary'"))
        rows = [r for r in conn.execute(sa.text("""
            SELECT c.id, c.indicator_code, c.value AS raw,
                   CASE WHEN d.observation_id IS NULL THEN c.value END AS public,
                   CASE WHEN d.observation_id IS NULL THEN NULL ELSE 'suppressed' END AS flag, d.reason AS flag_reason,
                   a.level_code, a.key, a.parent_key, l.parent_code
            FROM observation_current c LEFT JOIN disclosure d ON d.observation_id = c.id
            JOIN area a ON a.id = c.area_id JOIN area_level l ON l.code = a.level_code
            WHERE c.period = :period AND c.indicator_code = ANY(:codes)"""), {"period": PERIOD, "codes": COUNTS})]
        conn.execute(sa.text("ROLLBACK TO SAVEPOINT only_primary"))
    pinned = [(r, low) for r, low, high in _recoverable(rows, _equations(rows)) if high - low < 1e-6]
    assert pinned, "primary suppression alone leaks"
    assert all(abs(r.raw - low) < 1e-6 for r, low in pinned), "and what leaks is the true value"


def test_a_corrected_value_lifts_its_suppression_and_the_complements(strict_engine):
    with strict_engine.begin() as conn:
        conn.execute(sa.text("SAVEPOINT corrected"))
        before = conn.execute(sa.text("SELECT count(*) FROM disclosure")).scalar_one()
        conn.execute(sa.text("UPDATE indicator SET min_numerator = NULL WHERE code = ANY(:c)"), {"c": COUNTS})
        assert refresh_disclosure(conn) == 0
        assert conn.execute(sa.text("SELECT count(*) FROM disclosure")).scalar_one() == 0
        conn.execute(sa.text("ROLLBACK TO SAVEPOINT corrected"))
        assert conn.execute(sa.text("SELECT count(*) FROM disclosure")).scalar_one() == before


def test_refresh_is_stable(strict_engine):
    with strict_engine.begin() as conn:
        first = conn.execute(sa.text("SELECT observation_id, rule, reason FROM disclosure ORDER BY 1")).all()
        refresh_disclosure(conn)
        again = conn.execute(sa.text("SELECT observation_id, rule, reason FROM disclosure ORDER BY 1")).all()
    assert first == again


def test_ratio_indicators_are_hidden_by_numerator_and_denominator(fresh_engine):
    with fresh_engine.begin() as conn:
        area_ids = conn.execute(sa.text("SELECT id FROM area WHERE level_code = 'plr' ORDER BY key LIMIT 3")).scalars().all()
        batch = conn.execute(sa.text("""INSERT INTO import_batch (kind, file_name, sha256, created_by)
                                        VALUES ('observations', 't.csv', '-', 'test') RETURNING id""")).scalar_one()
        cases = [(2, 100), (10, 20), (10, 100)]  # small numerator, small denominator, publishable
        ids = [conn.execute(sa.text("""
            INSERT INTO observation (indicator_code, area_id, period, value, numerator, denominator, import_batch_id)
            VALUES ('S1', :area, '2030-12-31', :value, :num, :den, :batch) RETURNING id"""),
            {"area": a, "value": 100.0 * n / d, "num": n, "den": d, "batch": batch}).scalar_one()
            for a, (n, d) in zip(area_ids, cases)]
        refresh_disclosure(conn)
        public = {r.id: r for r in conn.execute(sa.text(
            "SELECT id, value, numerator, denominator, flag, flag_reason FROM observation_public WHERE id = ANY(:ids)"),
            {"ids": ids})}
    assert public[ids[0]].numerator is None and "Zählergröße kleiner als 3" in public[ids[0]].flag_reason
    assert public[ids[1]].denominator is None and "Bezugsgröße kleiner als 30" in public[ids[1]].flag_reason
    assert public[ids[2]].value == 10.0 and public[ids[2]].flag is None


def test_partitions_are_checked(fresh_engine):
    with fresh_engine.begin() as conn:
        with pytest.raises(ValueError, match="unknown indicators NOPE"):
            set_partition(conn, "x", "EW", ["EW_U6", "NOPE"])
        with pytest.raises(ValueError, match="cannot also be one of its parts"):
            set_partition(conn, "x", "EW", ["EW", "EW_U6"])


def test_overlapping_polygons_do_not_reveal_a_hidden_area(strict_engine):
    """Attack through areal interpolation: a district region (Bezirksregion) minus one hidden Planungsraum.
    The aggregation reads public values, so the difference of the two estimates is not the hidden count."""
    from fastapi.testclient import TestClient

    from service.app import create_app

    with strict_engine.connect() as conn:
        hidden = conn.execute(sa.text("""
            SELECT a.key, a.parent_key, c.value,
                   ST_AsGeoJSON(pa.geom_4326, 7) AS region, ST_AsGeoJSON(ST_Difference(pa.geom_4326,
                        ST_Buffer(a.geom_4326, 0.00001)), 7) AS region_without
            FROM disclosure d JOIN observation_current c ON c.id = d.observation_id
            JOIN area a ON a.id = c.area_id AND a.level_code = 'plr'
            JOIN area pa ON pa.level_code = 'bzr' AND pa.key = a.parent_key
            WHERE c.indicator_code = 'EW_15_18' AND d.rule = 'primary' ORDER BY a.key LIMIT 1""")).one()
    with TestClient(create_app(make_settings(rate_limit_per_minute=0), engine=strict_engine)) as client:
        def estimate(geometry: str, level: str) -> float | None:
            answer = client.post("/api/aggregate/polygon", params={"level": level},
                                 json={"type": "Feature", "geometry": orjson.loads(geometry), "properties": {}})
            assert answer.status_code == 200, answer.text
            found = [e for e in answer.json()["estimates"] if e["indicator"] == "EW_15_18" and e["period"] == PERIOD]
            return found[0]["value"] if found else None

        whole = {level: estimate(hidden.region, level) for level in ("plr", "bzr")}
        without = estimate(hidden.region_without, "plr")
    differences = [w - without for w in whole.values() if w is not None and without is not None]
    assert differences, "the attack got numbers to compare"
    for difference in differences:
        assert abs(difference - hidden.value) > 0.5, f"{hidden.key}: {difference} reveals {hidden.value}"
