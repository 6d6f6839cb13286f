"""Harmonised estimates kept and shown (issue 15): the demo's set-up estimates the older periods of the Berlin
planning areas for today's 542 (the manifest's `harmonise` step); the profile shows an area's series from the
first period, the estimates marked as such with the part of them that is estimated, and without a rank; counts
keep their sum; estimates are made from public values only."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from indicators.estimates import store_estimates
from tests.conftest import private_engine


def test_every_estimate_lies_on_todays_areas_beside_what_was_published(demo_engine):
    with demo_engine.connect() as conn:
        stored = conn.execute(sa.text("""
            SELECT count(*), count(DISTINCT e.indicator_code), min(e.period), max(e.period),
                   bool_and(a.valid_to IS NULL AND a.level_code = 'plr'), min(e.share_estimated),
                   max(e.share_estimated)
            FROM estimate e JOIN area a ON a.id = e.area_id""")).one()
        clashes = conn.execute(sa.text("""
            SELECT count(*) FROM estimate e JOIN observation_current o
              ON o.area_id = e.area_id AND o.indicator_code = e.indicator_code AND o.period = e.period""")).scalar()
    count, indicators, first, last, on_current, lowest, highest = stored
    assert count > 10_000 and indicators >= 10
    assert first == date(2012, 12, 31) and last < date(2021, 1, 1)  # MSS 2013 up to the reform
    assert on_current and 0 <= lowest <= highest <= 1
    assert clashes == 0, "a published value is never replaced by an estimate"


def test_estimated_counts_keep_the_citys_total(demo_engine):
    """Every period whose estimate reached all 542 areas: their sum is the sum published on the old areas."""
    with demo_engine.connect() as conn:
        rows = conn.execute(sa.text("""
            WITH est AS (SELECT period, count(*) AS n, sum(value) AS total FROM estimate
                         WHERE indicator_code = 'EW' GROUP BY period),
                 pub AS (SELECT o.period, sum(o.value) AS total
                         FROM observation_public o JOIN area a ON a.id = o.area_id
                         WHERE o.indicator_code = 'EW' AND a.level_code = 'plr' AND a.valid_from < '2021-01-01'
                         GROUP BY o.period)
            SELECT est.period, est.total, pub.total FROM est JOIN pub USING (period) WHERE est.n = 542""")).all()
    assert len(rows) >= 5
    for period, estimated, published in rows:
        assert estimated == pytest.approx(published, rel=1e-6), period


def test_the_profile_shows_the_series_from_its_first_period_with_estimates_marked(client):
    twin = client.get("/areas/plr/01100101", params={"f": "json"}).json()
    item = next(i for i in twin["indicators"] if i["code"] == "EW")
    estimated = [p for p in item["periods"] if p["estimated"]]
    published = [p for p in item["periods"] if not p["estimated"]]
    assert estimated and published and twin["estimated_values"] >= len(estimated)
    assert max(p["period"] for p in estimated) < min(p["period"] for p in published), "estimates precede 2021"
    assert all(p["rank"] is None and 0 <= p["estimated"]["share"] <= 1 for p in estimated)
    assert {p["estimated"]["method"] for p in estimated} == {"tobler population-weighted"}
    page = client.get("/areas/plr/01100101")
    assert page.status_code == 200 and 'id="estimates-note"' in page.text
    row = re.search(r'<tr id="ind-EW">.*?<tr class="chart">', page.text, re.S).group(0)
    assert row.count('class="estimated"') == len(estimated)
    english = client.get("/areas/plr/01100101", params={"lang": "en"}).text
    assert "estimated" in english and "geschätzt" not in re.sub(r"<[^>]+>", " ", english)
    rows = client.get("/areas/plr/01100101", params={"f": "csv"})
    assert rows.status_code == 200 and "share_estimated" in rows.text.splitlines()[0]


def test_the_trend_chart_draws_the_estimates_dotted_and_marks_the_new_boundaries(client):
    page = client.get("/areas/plr/01100101").text
    charts = [client.get(url.replace("&amp;", "&")) for url in re.findall(r'<img class="chart" src="([^"]+)"', page)]
    assert charts and {c.headers["content-type"] for c in charts} == {"image/svg+xml"}
    marked = [c.text for c in charts if "geschätzt" in c.text]
    assert marked and all("Gebietsstand ab 01.01.2021" in svg for svg in marked)


def test_a_change_map_across_the_reform_uses_the_estimates_and_says_so(client, demo_engine):
    """2015 (447 areas) to 2024 (542): the earlier values are the estimates for today's areas, marked "≈"; never a
    join of two boundary versions by key. Without estimates, or backwards in time, the map shows no change and
    says why."""
    twin = client.get("/explorer", params={"indicator": "EW", "level": "plr", "period": "2024-12-31",
                                           "compare": "2015-12-31", "f": "json"}).json()
    assert twin["state"]["compare"] == "2015-12-31"
    assert any("geschätzt" in notice and "01.01.2021" in notice for notice in twin["state"]["notices"])
    with demo_engine.connect() as conn:
        stored = dict(conn.execute(sa.text("""
            SELECT a.key, e.value FROM estimate e JOIN area a ON a.id = e.area_id
            WHERE e.indicator_code = 'EW' AND e.period = '2015-12-31'""")).all())
    areas = {a["key"]: a for a in twin["areas"]}
    assert len(areas) == 542 and set(stored) <= set(areas)
    assert all(areas[key]["value_2015-12-31"] == pytest.approx(value) for key, value in stored.items())
    assert all(0 <= areas[key]["estimated_2015-12-31"] <= 1 for key in stored)
    page = client.get("/explorer", params={"indicator": "EW", "level": "plr", "period": "2024-12-31",
                                           "compare": "2015-12-31"})
    assert page.status_code == 200 and "(≈ " in page.text  # the tooltips' earlier value
    # a change of a change (D1) is never interpolated: no estimates; and backwards in time
    for code, period, compare in (("D1", "2020-12-31", "2018-12-31"), ("EW", "2015-12-31", "2024-12-31")):
        refused = client.get("/explorer", params={"indicator": code, "level": "plr", "period": period,
                                                  "compare": compare, "f": "json"}).json()
        assert refused["state"]["compare"] is None, (code, period, compare)
        assert any("verschiedenen Gebietsständen" in n for n in refused["state"]["notices"])
    # the 2018 shares were also published on today's areas (MSS 2021): compared as published, no estimate
    direct = client.get("/explorer", params={"indicator": "S1", "level": "plr", "period": "2020-12-31",
                                             "compare": "2018-12-31", "f": "json"}).json()
    assert direct["state"]["compare"] == "2018-12-31" and direct["state"]["notices"] == []
    assert not any(key.startswith("estimated_") for key in direct["areas"][0])


def test_a_share_whose_declared_denominator_is_not_loaded_uses_the_population_and_says_so(demo_engine):
    """The manifest declares the age groups as the denominators of S1 and S4; the demo loads them on today's
    boundaries only, so the estimates of the older periods move the shares with all inhabitants and the method
    names the stand-in. S3's denominator is its weight in the catalogue, the inhabitants themselves."""
    with demo_engine.connect() as conn:
        methods = dict(conn.execute(sa.text("""
            SELECT indicator_code, string_agg(DISTINCT method, ' | ') FROM estimate
            WHERE indicator_code IN ('S1', 'S3', 'S4') GROUP BY 1""")).all())
    assert methods["S3"] == "tobler population-weighted"
    assert methods["S1"] == ("tobler population-weighted, denominator EW instead of "
                             "EW_15_18+EW_18_27+EW_27_45+EW_45_55+EW_55_65")
    assert methods["S4"] == "tobler population-weighted, denominator EW instead of EW_U6+EW_6_15"


def test_estimates_are_made_from_public_values_only(pg_server, demo_template):
    """A source cell hidden after the first run leaves every target it touches without an estimate at the next
    run: nothing suppressed enters a sum that could be differenced against the published totals."""
    estimated = sa.text("SELECT area_id FROM estimate WHERE indicator_code = 'EW' AND period = '2016-12-31'")
    with private_engine(pg_server, demo_template) as engine:
        with engine.begin() as conn:
            source = conn.execute(sa.text("""
                SELECT o.id, o.area_id FROM observation_current o JOIN area a ON a.id = o.area_id
                WHERE o.indicator_code = 'EW' AND o.period = '2016-12-31' AND a.level_code = 'plr'
                ORDER BY a.key LIMIT 1""")).one()
            before = set(conn.execute(estimated).scalars())
            conn.execute(sa.text("""
                INSERT INTO disclosure (observation_id, indicator_code, reason, rule)
                VALUES (:id, 'EW', 'test: hidden', 'primary')"""), {"id": source.id})
            store_estimates(conn, "plr", codes=["EW"])
            lost = before - set(conn.execute(estimated).scalars())
            overlap = dict(conn.execute(sa.text("""
                SELECT t.id, ST_Area(ST_Intersection(t.geom, s.geom)) FROM area t JOIN area s ON s.id = :source
                WHERE t.level_code = 'plr' AND t.valid_to IS NULL AND ST_Intersects(t.geom, s.geom)"""),
                {"source": source.area_id}).all())
    assert lost and lost <= set(overlap), "only targets that overlap the hidden cell lose their estimate"
    assert {t for t, m2 in overlap.items() if m2 > 1000} <= lost, "every target made partly of it loses it"


def test_the_command_line_estimates_again_and_says_what_it_stored(pg_server, demo_template):
    """`district-monitor compute estimates` replaces the estimates of the indicators it is given (the same values
    again: nothing doubles), prints them per indicator and audits the run; a level without areas is a clear
    error, not a traceback."""
    from tests.test_setup_manifest import cli

    name = "dm_test_estimates_cli"
    url = pg_server.create(name, template=demo_template)
    try:
        engine = sa.create_engine(url)
        count = sa.text("SELECT count(*), sum(value) FROM estimate WHERE indicator_code = 'EW'")
        with engine.connect() as conn:
            before = conn.execute(count).one()
        bad = cli(url, "compute", "estimates", "plr", "--denominator", "S4")
        assert bad.exit_code != 0 and "SHARE=COUNT+COUNT" in bad.output
        result = cli(url, "compute", "estimates", "plr", "--indicator", "EW")
        assert result.exit_code == 0, result.output
        assert f"{before[0]} estimates on plr" in result.output and "EW" in result.output
        with engine.connect() as conn:
            after = conn.execute(count).one()
            audited = conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE target_type = 'estimate'")).scalar()
        assert after[0] == before[0] and after[1] == pytest.approx(before[1]) and audited == 1
        wrong = cli(url, "compute", "estimates", "quartier")
        assert wrong.exit_code != 0 and "quartier" in wrong.output and "Traceback" not in wrong.output
        engine.dispose()
    finally:
        pg_server.drop(name)
