"""Roll-up along the LOR hierarchy: the right rule per indicator, stored as derived observations."""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from indicators.ingest.observations import ObservationImportOptions, import_observations
from indicators.rollup import refresh_rollups


def frame(engine, sql, **params) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(sa.text(sql), params).mappings().all())


def derived(engine, level, code, period) -> pd.DataFrame:
    found = frame(engine, """
        SELECT a.key, o.value, o.flag, o.flag_reason, d.* FROM observation o
        JOIN area a ON a.id = o.area_id AND a.level_code = :level
        JOIN observation_derivation d ON d.observation_id = o.id
        WHERE o.indicator_code = :code AND o.period = :period AND o.superseded_at IS NULL
        ORDER BY a.key""", level=level, code=code, period=period)
    return found.set_index("key") if not found.empty else found


def plr_values(engine, code, period) -> pd.Series:
    return frame(engine, """
        SELECT a.key, o.value FROM observation o JOIN area a ON a.id = o.area_id AND a.level_code = 'plr'
        WHERE o.indicator_code = :code AND o.period = :period AND o.superseded_at IS NULL
          AND a.valid_to IS NULL""",  # the current Planungsräume (older versions: docs/history.md)
                 code=code, period=period).set_index("key")["value"]


def test_the_demo_load_rolls_every_indicator_up_to_every_level(demo_engine):
    counts = frame(demo_engine, """
        SELECT a.level_code, count(DISTINCT o.indicator_code || o.period) AS series, count(*) AS n
        FROM observation o JOIN observation_derivation d ON d.observation_id = o.id
        JOIN area a ON a.id = o.area_id GROUP BY 1""").set_index("level_code")
    assert set(counts.index) == {"bzr", "pgr", "bez", "stadt"}
    assert counts.loc["stadt", "n"] == counts.loc["stadt", "series"]
    assert counts["series"].nunique() == 1  # every level carries the same series

    def series(level: str, where: str = "TRUE") -> set:
        return set(frame(demo_engine, f"""
            SELECT DISTINCT o.indicator_code, o.period FROM observation o JOIN area a ON a.id = o.area_id
            JOIN indicator i ON i.code = o.indicator_code
            WHERE a.level_code = '{level}' AND o.superseded_at IS NULL AND {where}""").itertuples(index=False))

    # every count, share and rate of every period (MSS 2013-2021, the register every half year 2015-2024) reaches
    # the city; a change only where its base period is identified (docs/methods.md section 5)
    rolled = "i.aggregation <> 'none' AND i.kind <> 'change'"
    assert series("plr", rolled) == series("stadt", rolled)
    assert len(series("stadt", rolled)) > 100
    assert series("stadt", "i.kind = 'change'") <= series("plr", "i.kind = 'change'")
    assert len(series("stadt", "i.kind = 'change'")) >= 6


def test_counts_are_summed_and_complete(demo_engine):
    plr = plr_values(demo_engine, "EW", "2020-12-31")
    city = derived(demo_engine, "stadt", "EW", "2020-12-31").loc["11"]
    assert city.rule == "sum"
    assert city.value == pytest.approx(plr.sum())
    assert 3_600_000 < city.value < 3_800_000  # Berlin, 31.12.2020
    bez = derived(demo_engine, "bez", "EW", "2020-12-31")
    assert bez["value"].sum() == pytest.approx(plr.sum())
    assert bez["complete"].all() and (bez["children_used"] == bez["children_total"]).all()


def test_shares_without_numerators_become_population_weighted_means_marked_as_such(demo_engine):
    s1 = plr_values(demo_engine, "S1", "2020-12-31")
    ew = plr_values(demo_engine, "EW", "2020-12-31")
    both = pd.DataFrame({"s1": s1, "ew": ew}).dropna()
    both["bez"] = both.index.str[:2]
    expected = both.groupby("bez").apply(lambda g: (g.s1 * g.ew).sum() / g.ew.sum())
    bez = derived(demo_engine, "bez", "S1", "2020-12-31")
    assert (bez["rule"] == "weighted_mean").all()
    assert (bez["weight_indicator"] == "EW").all()
    assert (bez["weight_period"].astype(str) == "2020-12-31").all()
    pd.testing.assert_series_equal(bez["value"].sort_index(), expected.sort_index(), check_names=False, rtol=1e-9)


def test_a_mean_over_not_assessed_children_is_marked_incomplete_not_hidden(demo_engine):
    # six Planungsräume have S1 'not_assessed' in the MSS 2021
    bzr = derived(demo_engine, "bzr", "S1", "2020-12-31")
    incomplete = bzr[~bzr["complete"]]
    assert len(incomplete) >= 1
    assert (incomplete["children_used"] < incomplete["children_total"]).all()
    city = derived(demo_engine, "stadt", "S1", "2020-12-31").loc["11"]
    assert not city.complete


def test_2018_shares_are_weighted_with_the_nearest_population_and_say_so(demo_engine):
    bez = derived(demo_engine, "bez", "S1", "2018-12-31")
    assert len(bez) == 12
    assert (bez["weight_period"].astype(str) == "2020-12-31").all()


def test_changes_are_the_difference_of_the_rolled_up_shares_of_both_periods(demo_engine):
    d1 = derived(demo_engine, "bez", "D1", "2020-12-31")
    s20 = derived(demo_engine, "bez", "S1", "2020-12-31")["value"]
    s18 = derived(demo_engine, "bez", "S1", "2018-12-31")["value"]
    assert (d1["rule"] == "difference").all()
    assert (d1["base_period"].astype(str) == "2018-12-31").all()
    pd.testing.assert_series_equal(d1["value"], (s20 - s18).loc[d1.index], check_names=False)


def test_a_change_whose_base_period_is_unknown_is_left_out(demo_engine):
    # KI_06 (change of KI_16) has no earlier KI_16 in the demo
    assert derived(demo_engine, "bez", "KI_06", "2020-12-31").empty


def test_refreshing_again_changes_nothing(fresh_engine):
    with fresh_engine.begin() as conn:
        version = conn.execute(sa.text("SELECT value FROM dm_setting WHERE key = 'data_version'")).scalar_one()
        assert refresh_rollups(conn) == 0
        after = conn.execute(sa.text("SELECT value FROM dm_setting WHERE key = 'data_version'")).scalar_one()
        empty_batches = conn.execute(sa.text("""
            SELECT count(*) FROM import_batch b WHERE b.kind = 'rollup'
              AND NOT EXISTS (SELECT 1 FROM observation o WHERE o.import_batch_id = b.id)""")).scalar_one()
    assert after == version  # caches stay valid
    assert empty_batches == 0


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_count_makes_the_sum_incomplete_never_silently_lower(fresh_engine, tmp_path):
    keys = frame(fresh_engine, "SELECT key FROM area WHERE level_code = 'plr' AND parent_key = '011001'")["key"]
    rows = "\n".join(f"{k},EW_U6,2023-12-31,{'.' if i == 0 else 10}" for i, k in enumerate(keys))
    path = _write(tmp_path, "u6.csv", "area,indicator,period,value\n" + rows + "\n")
    with fresh_engine.connect() as conn:
        report = import_observations(conn, path, ObservationImportOptions(level="plr", boundaries_at=None))
    assert report.ok, report.problems
    bzr = derived(fresh_engine, "bzr", "EW_U6", "2023-12-31").loc["011001"]
    assert bzr.flag == "incomplete"
    assert bzr.value == 10 * (len(keys) - 1)
    assert (bzr.children_used, bzr.children_total) == (len(keys) - 1, len(keys))
    city = derived(fresh_engine, "stadt", "EW_U6", "2023-12-31").loc["11"]
    assert city.flag == "incomplete" and not city.complete


def test_shares_with_numerators_are_ratios_of_sums(fresh_engine, tmp_path):
    keys = frame(fresh_engine, "SELECT key FROM area WHERE level_code = 'plr' AND parent_key = '011001'")["key"]
    lines = [f"{k},S1,2023-12-31,{100 * (i + 1) / 50:.6f},{i + 1},50" for i, k in enumerate(keys)]
    path = _write(tmp_path, "s1.csv", "area,indicator,period,value,numerator,denominator\n" + "\n".join(lines) + "\n")
    with fresh_engine.connect() as conn:
        report = import_observations(conn, path, ObservationImportOptions(level="plr"))
    assert report.ok, report.problems
    bzr = derived(fresh_engine, "bzr", "S1", "2023-12-31").loc["011001"]
    n = len(keys)
    assert bzr.rule == "ratio_of_sums"
    assert bzr.value == pytest.approx(100 * (n * (n + 1) / 2) / (50 * n))


def test_published_values_on_a_level_win_over_derived_ones(fresh_engine, tmp_path):
    path = _write(tmp_path, "bez.csv", "area,indicator,period,value\n01,EW,2020-12-31,400000\n")
    with fresh_engine.connect() as conn:
        report = import_observations(conn, path, ObservationImportOptions(level="bez", boundaries_at=date(2021, 1, 1)))
    assert report.ok, report.problems
    mitte = frame(fresh_engine, """
        SELECT o.value, d.rule FROM observation o JOIN area a ON a.id = o.area_id AND a.level_code = 'bez'
        LEFT JOIN observation_derivation d ON d.observation_id = o.id
        WHERE a.key = '01' AND o.indicator_code = 'EW' AND o.period = '2020-12-31' AND o.superseded_at IS NULL""")
    assert len(mitte) == 1 and mitte.loc[0, "value"] == 400000 and mitte.loc[0, "rule"] is None
    bez = frame(fresh_engine, """
        SELECT sum(o.value) FROM observation o JOIN area a ON a.id = o.area_id AND a.level_code = 'bez'
        WHERE o.indicator_code = 'EW' AND o.period = '2020-12-31' AND o.superseded_at IS NULL""").iloc[0, 0]
    city = derived(fresh_engine, "stadt", "EW", "2020-12-31").loc["11"]
    assert city.value == pytest.approx(bez)


def test_derived_values_are_served_like_published_ones_with_their_rule(client):
    items = client.get("/collections/bez/items", params={"period": "2020-12-31", "limit": 20}).json()
    assert items["numberReturned"] == 12
    assert all(isinstance(f["properties"].get("S1"), float) for f in items["features"])
    rules = client.get("/api/aggregate/derivations", params={"level": "bez", "indicator": "S1",
                                                             "period": "2020-12-31"}).json()
    assert rules["count"] == 12
    assert {r["rule"] for r in rules["items"]} == {"weighted_mean"}
    assert all(r["weight_indicator"] == "EW" for r in rules["items"])


def test_a_refresh_scoped_to_the_imported_indicators_leaves_exactly_what_a_full_refresh_would(fresh_engine, tmp_path):
    """An observation import and its undo recompute only the roll-ups that can depend on what they wrote
    (indicators.rollup._make_scope): the weight EW moves every population-weighted share, S1 moves its change
    D1. A full refresh right after each finds nothing left to change."""
    from indicators.import_undo import undo_batch

    keys = frame(fresh_engine, """
        SELECT key FROM area WHERE level_code = 'plr' AND parent_key = '011001' AND valid_to IS NULL""")["key"]
    before = derived(fresh_engine, "bzr", "S3", "2020-12-31").loc["011001"]
    assert before.rule == "weighted_mean" and before.weight_indicator == "EW"
    weights = "\n".join(f"{k},EW,2020-12-31,{500 + 400 * i}" for i, k in enumerate(keys))
    shares = "\n".join(f"{k},S1,2020-12-31,{1.5 + i}" for i, k in enumerate(keys))
    for name, rows in (("ew.csv", weights), ("s1.csv", shares)):
        path = _write(tmp_path, name, "area,indicator,period,value\n" + rows + "\n")
        with fresh_engine.connect() as conn:
            report = import_observations(conn, path, ObservationImportOptions(level="plr",
                                                                              boundaries_at=date(2021, 1, 1)))
        assert report.ok, report.problems
        with fresh_engine.begin() as conn:
            assert refresh_rollups(conn) == 0, f"after {name}: a full refresh still found roll-ups to change"
        if name == "ew.csv":
            moved = derived(fresh_engine, "bzr", "S3", "2020-12-31").loc["011001"]
            assert moved.value != pytest.approx(before.value)  # the weights of the mean moved it
    with fresh_engine.begin() as conn:
        undo_batch(conn, report.batch_id, "test")
    with fresh_engine.begin() as conn:
        assert refresh_rollups(conn) == 0, "after the undo: a full refresh still found roll-ups to change"
