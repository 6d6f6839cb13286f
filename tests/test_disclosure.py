"""Statistical confidentiality: small counts are hidden, no hidden value can be recomputed from what readers
see (parent minus visible children on every level, total minus the other age groups), and a rule applies in
the transaction that states it (thresholds, publication, boundaries). The attack over every derived value is
tests/test_disclosure_attack.py.

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

from indicators.disclosure import REASON, refresh_disclosure, set_partition
from service.db import create_engine
from tests.conftest import bearer, make_settings

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
            SELECT c.id, c.indicator_code, c.value AS raw, p.value AS public, p.flag, p.flag_reason, d.rule,
                   a.level_code, a.key, a.parent_key, l.parent_code
            FROM observation_current c
            JOIN observation_public p ON p.id = c.id
            LEFT JOIN disclosure d ON d.observation_id = c.id
            JOIN area a ON a.id = c.area_id JOIN area_level l ON l.code = a.level_code
            WHERE c.period = :period AND c.indicator_code = ANY(:codes)"""),
            {"period": PERIOD, "codes": COUNTS}).all()


def test_every_count_between_1_and_k_minus_1_is_hidden_with_the_one_reason(strict_engine):
    rows = public_and_raw(strict_engine)
    small = [r for r in rows if r.indicator_code != "EW" and 0 < r.raw < K]
    assert len(small) >= 10  # real cells of the real table
    for r in small:
        assert r.public is None and r.flag == "suppressed" and r.rule == "primary", r
    assert {r.flag_reason for r in rows if r.flag == "suppressed"} == {REASON}, "primary and secondary look alike"


def test_zeros_and_large_counts_stay_visible_unless_they_protect_another_cell(strict_engine):
    rows = public_and_raw(strict_engine)
    hidden = [r for r in rows if r.flag == "suppressed"]
    secondary = [r for r in hidden if r.rule == "secondary"]
    assert secondary, "some cell needs a complement"
    visible = [r for r in rows if r.flag != "suppressed"]
    assert all(r.public == r.raw for r in visible)
    assert any(r.raw == 0 for r in visible)
    assert len(hidden) < 0.05 * len(rows), "suppression must stay the exception"


def test_the_statistics_office_reads_unsuppressed_values(strict_engine):
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


def _recoverable(rows, equations, knows_primary: bool = False) -> list[tuple[sa.Row, float, float]]:
    """The attacker's best: for every hidden cell, the smallest and largest value consistent with all
    published sums and non-negative counts; `knows_primary`: also 1 <= primary cell <= k-1 (a reason text
    that named the rule told that)."""
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
    bounds = [(1, K - 1) if knows_primary and cell[cid].rule == "primary" else (0, None) for cid in hidden]
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
                   d.rule,
                   a.level_code, a.key, a.parent_key, l.parent_code
            FROM observation_current c LEFT JOIN disclosure d ON d.observation_id = c.id
            JOIN area a ON a.id = c.area_id JOIN area_level l ON l.code = a.level_code
            WHERE c.period = :period AND c.indicator_code = ANY(:codes)"""), {"period": PERIOD, "codes": COUNTS})]
        conn.execute(sa.text("ROLLBACK TO SAVEPOINT only_primary"))
    pinned = [(r, low) for r, low, high in _recoverable(rows, _equations(rows), knows_primary=True)
              if high - low < 1e-6]
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
        rules = dict(conn.execute(sa.text("SELECT observation_id, rule FROM disclosure WHERE observation_id = ANY(:ids)"),
                                  {"ids": ids}).all())
    assert public[ids[0]].numerator is None and rules[ids[0]] == "primary", "numerator 2 < 3"
    assert public[ids[1]].denominator is None and rules[ids[1]] == "primary", "denominator 20 < 30"
    assert public[ids[0]].flag_reason == public[ids[1]].flag_reason == REASON
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


# --- rules apply in the transaction that states them ---------------------------------------------------------


def _public(engine, code: str, key: str, period: str = PERIOD) -> tuple[float | None, str | None]:
    with engine.connect() as conn:
        return conn.execute(sa.text("""
            SELECT p.value, p.flag FROM observation_public p JOIN area a ON a.id = p.area_id AND a.key = :key
            WHERE p.indicator_code = :code AND p.period = :period"""), {"code": code, "key": key, "period": period}).one()


def _written_with(engine, table: str, where: str, params: dict) -> set[str]:
    """The transaction ids (xmin) that wrote these rows: one id means one transaction."""
    with engine.connect() as conn:
        return set(conn.execute(sa.text(f"SELECT DISTINCT xmin::text FROM {table} WHERE {where}"), params).scalars())


@pytest.fixture
def api(fresh_engine):
    from fastapi.testclient import TestClient

    from service.app import create_app

    with TestClient(create_app(make_settings(rate_limit_per_minute=0), engine=fresh_engine)) as client:
        yield client


def test_raising_a_threshold_through_the_catalogue_hides_the_cells_in_the_same_transaction(api, fresh_engine):
    """Finding 6: a threshold raised through the catalogue changed nothing until some later import."""
    assert _public(fresh_engine, "EW_U6", "03300515") == (4.0, None)
    answer = api.patch("/api/indicators/EW_U6", json={"disclosure": {"min_numerator": 5, "min_denominator": None}},
                       headers=bearer(fresh_engine, "statistics_office"))
    assert answer.status_code == 200, answer.text
    assert _public(fresh_engine, "EW_U6", "03300515") == (None, "suppressed")
    indicator = _written_with(fresh_engine, "indicator", "code = 'EW_U6'", {})
    assert _written_with(fresh_engine, "disclosure", "indicator_code = 'EW_U6'", {}) == indicator, \
        "the rule and its suppression were written by one transaction"


def test_only_the_statistics_office_lowers_or_switches_off_a_threshold(api, fresh_engine):
    steward = bearer(fresh_engine, "data_steward")
    stricter = api.patch("/api/indicators/S1", json={"disclosure": {"min_numerator": 5, "min_denominator": 50}},
                         headers=steward)
    assert stricter.status_code == 200, "anyone who edits the catalogue may make a rule stricter"
    for weaker in ({"min_numerator": 3, "min_denominator": 50}, None):
        refused = api.patch("/api/indicators/S1", json={"disclosure": weaker}, headers=steward)
        assert refused.status_code == 403 and "statistics office" in refused.json()["detail"]
    office = api.patch("/api/indicators/S1", json={"disclosure": None},
                       headers=bearer(fresh_engine, "statistics_office"))
    assert office.status_code == 200 and office.json()["min_numerator"] is None


def test_publishing_and_unpublishing_recompute_disclosure_in_the_same_transaction(api, fresh_engine):
    """An unpublished indicator's cells are unknown to readers, so its complements are not needed while it is
    unpublished and are back, in the publishing transaction, once it is published again."""
    office, steward = bearer(fresh_engine, "statistics_office"), bearer(fresh_engine, "data_steward")
    api.patch("/api/indicators/EW_U6", json={"disclosure": {"min_numerator": 5, "min_denominator": None}},
              headers=office)

    def complements() -> int:
        with fresh_engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM disclosure WHERE indicator_code = 'EW_U6'"
                                        " AND rule = 'secondary'")).scalar_one()

    assert complements() > 0
    assert api.patch("/api/indicators/EW_U6", json={"published": False}, headers=steward).status_code == 200
    assert complements() == 0
    assert api.patch("/api/indicators/EW_U6", json={"published": True}, headers=steward).status_code == 200
    assert complements() > 0
    assert _written_with(fresh_engine, "disclosure", "indicator_code = 'EW_U6' AND rule = 'secondary'", {}) == \
        _written_with(fresh_engine, "indicator", "code = 'EW_U6'", {})


def test_moving_an_area_to_another_parent_recomputes_roll_ups_and_disclosure_in_the_import(api, fresh_engine,
                                                                                         tmp_path):
    """Finding 6: a boundary correction left the parents' totals contradicting their children and disclosure
    not recomputed. Planning area 05300838 (hidden counts of 3 and 3) moves to the neighbouring district region:
    first the two regions' outlines are corrected, then the planning area's parent, each import through the
    statistics office's HTTP API. Right after the second, every total is the sum of its children and no family
    has a single hidden cell, all written by the import's own transaction."""
    import geopandas as gpd
    import shapely

    office = bearer(fresh_engine, "statistics_office")
    with fresh_engine.begin() as conn:
        conn.execute(sa.text("UPDATE indicator SET min_numerator = 5 WHERE code = ANY(:codes)"), {"codes": COUNTS[1:]})
        from indicators.refresh import refresh_after_write

        refresh_after_write(conn)
        moved, old, new = conn.execute(sa.text("""
            SELECT a.key, x.key, y.key FROM area a
            JOIN area x ON x.level_code = 'bzr' AND x.key = a.parent_key
            JOIN area y ON y.level_code = 'bzr' AND y.parent_key = x.parent_key AND y.key <> x.key
                 AND ST_Length(ST_Intersection(ST_Boundary(a.geom), ST_Boundary(y.geom))) > 50
            WHERE a.level_code = 'plr' AND a.key = '05300838' ORDER BY 3 LIMIT 1""")).one()
        regions = gpd.GeoDataFrame.from_postgis(sa.text("""
            SELECT y.key, y.name, y.parent_key,
                   CASE WHEN y.key = :old THEN ST_Multi(ST_Difference(y.geom, a.geom))
                        ELSE ST_Multi(ST_Union(y.geom, a.geom)) END AS geom
            FROM area y, area a WHERE y.level_code = 'bzr' AND y.key IN (:old, :new)
              AND a.level_code = 'plr' AND a.key = :moved"""), conn, geom_col="geom",
            params={"old": old, "new": new, "moved": moved})
        area = gpd.GeoDataFrame.from_postgis(sa.text(
            "SELECT key, name, :new AS parent, geom FROM area WHERE level_code = 'plr' AND key = :moved"), conn,
            geom_col="geom", params={"new": new, "moved": moved})
    regions["geom"] = shapely.make_valid(regions["geom"])
    for frame, name, options in (
            (regions, "bzr.geojson", {"level": "bzr", "parent_key_length": "4"}),
            (area, "plr.geojson", {"level": "plr", "parent_field": "parent"})):
        path = tmp_path / name
        frame.to_file(path, driver="GeoJSON")
        with open(path, "rb") as handle:
            answer = api.post("/api/imports/boundaries", headers=office, files={"file": (name, handle.read())},
                              data={"key_field": "key", "name_field": "name", "valid_from": "2021-01-01",
                                    "complete": "false", **options})
        assert answer.status_code == 201, answer.text
    with fresh_engine.connect() as conn:
        contradicting = conn.execute(sa.text("""
            SELECT p.key, sum(co.value) AS children, max(po.value) AS total FROM area p
            JOIN area c ON c.level_code = 'plr' AND c.parent_key = p.key
            JOIN observation_current co ON co.area_id = c.id AND co.indicator_code = 'EW' AND co.period = :period
            JOIN observation_current po ON po.area_id = p.id AND po.indicator_code = 'EW' AND po.period = :period
            WHERE p.level_code = 'bzr' AND p.key IN (:old, :new)
            GROUP BY p.key HAVING abs(sum(co.value) - max(po.value)) > 0.5"""),
            {"period": PERIOD, "old": old, "new": new}).all()
        assert not contradicting, f"parents contradict their children: {contradicting}"
        moved_by = conn.execute(sa.text("SELECT xmin::text FROM area WHERE level_code = 'plr' AND key = :k"),
                                {"k": moved}).scalar_one()
        rolled_by = set(conn.execute(sa.text("""
            SELECT DISTINCT o.xmin::text FROM observation o JOIN area a ON a.id = o.area_id
            WHERE a.level_code = 'bzr' AND a.key IN (:old, :new) AND o.indicator_code = 'EW' AND o.period = :period
              AND o.superseded_at IS NULL"""), {"old": old, "new": new, "period": PERIOD}).scalars())
    assert rolled_by == {moved_by}, "the roll-ups were written by the import that moved the area"
    rows = public_and_raw(fresh_engine)
    hidden = {r.id for r in rows if r.flag == "suppressed"}
    exposed = [head for head, parts in _equations(rows) if len(hidden & {head, *parts}) == 1]
    assert not exposed, "no sum has exactly one hidden cell after the move"
