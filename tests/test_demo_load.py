"""The shipped Berlin demo, loaded through the ordinary import code, is complete and faithful."""

import sqlalchemy as sa

from service.demo import load_demo


def scalar(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def test_every_level_has_its_published_number_of_areas(demo_engine):
    with demo_engine.connect() as conn:
        counts = dict(conn.execute(sa.text(
            "SELECT level_code, count(*) FROM area WHERE valid_to IS NULL GROUP BY 1")).all())
        history = dict(conn.execute(sa.text(
            "SELECT level_code || ' ' || valid_from, count(*) FROM area WHERE valid_to IS NOT NULL GROUP BY 1")).all())
    assert counts == {"plr": 542, "bzr": 143, "pgr": 58, "bez": 12, "stadt": 1}
    # the LOR until 2020 (docs/history.md): 447 Planungsräume until 2018, 448 in 2019-2020
    assert history == {"plr 2012-01-01": 447, "plr 2019-01-01": 448, "bzr 2012-01-01": 138, "bzr 2019-01-01": 138,
                       "pgr 2012-01-01": 60}


def test_every_planungsraum_lies_inside_its_parent(demo_engine):
    outside = scalar(demo_engine, """
        SELECT count(*) FROM area c JOIN area p ON p.level_code = 'bzr' AND p.key = c.parent_key
             AND p.valid_from <= c.valid_from AND (p.valid_to IS NULL OR p.valid_to > c.valid_from)
        WHERE c.level_code = 'plr'
          AND ST_Area(ST_Difference(c.geom, p.geom)) > 0.005 * ST_Area(c.geom)""")
    orphans = scalar(demo_engine, """
        SELECT count(*) FROM area c WHERE c.level_code <> 'stadt' AND NOT EXISTS (
            SELECT 1 FROM area p JOIN area_level l ON l.code = c.level_code
            WHERE p.level_code = l.parent_code AND p.key = c.parent_key
              AND p.valid_from <= c.valid_from AND (p.valid_to IS NULL OR p.valid_to > c.valid_from))""")
    assert outside == 0
    assert orphans == 0


def test_536_planungsraeume_have_an_s1_value(demo_engine):
    assert scalar(demo_engine, """
        SELECT count(*) FROM observation o JOIN area a ON a.id = o.area_id AND a.level_code = 'plr'
        WHERE indicator_code = 'S1' AND period = '2020-12-31'
        AND value IS NOT NULL AND superseded_at IS NULL""") == 536


def test_publisher_minus_9999_becomes_a_flag_with_its_reason_never_a_number(demo_engine):
    with demo_engine.connect() as conn:
        rows = conn.execute(sa.text("""
            SELECT a.key, o.value, o.flag, o.flag_reason FROM observation o JOIN area a ON a.id = o.area_id
            WHERE o.indicator_code = 'S1' AND o.period = '2020-12-31' AND o.flag IS NOT NULL ORDER BY a.key""")).all()
        assert scalar(demo_engine, "SELECT count(*) FROM observation WHERE value <= -9999") == 0
    assert len(rows) == 6
    assert all(value is None and flag == "not_assessed" for _key, value, flag, _reason in rows)
    assert dict((key, reason) for key, _v, _f, reason in rows)["10100205"] == "ungültig (Ausreißer)"


def test_2018_shares_equal_the_2020_shares_minus_their_two_year_change(demo_engine):
    worst = scalar(demo_engine, """
        SELECT max(abs(s18.value - (s20.value - d.value))) FROM observation s18
        JOIN observation s20 ON s20.area_id = s18.area_id AND s20.indicator_code = s18.indicator_code
             AND s20.period = '2020-12-31'
        JOIN observation d ON d.area_id = s18.area_id AND d.period = '2020-12-31'
             AND d.indicator_code = 'D' || substr(s18.indicator_code, 2)
        WHERE s18.period = '2018-12-31' AND s18.indicator_code LIKE 'S%'""")  # D3 2018 exists too (MSS 2019)
    assert worst is not None and worst < 1e-5


def test_keys_keep_their_leading_zeros(demo_engine):
    assert scalar(demo_engine, "SELECT count(*) FROM area WHERE level_code = 'plr' AND key LIKE '0%'") > 0
    assert scalar(demo_engine, "SELECT min(length(key)) FROM area WHERE level_code = 'plr'") == 8


def test_the_2022_population_counts_the_publishers_dash_as_nil(demo_engine):
    with demo_engine.connect() as conn:
        nil = conn.execute(sa.text(
            "SELECT count(*), max(value) FROM observation WHERE flag = 'nil' AND period = '2022-06-30'")).one()
    assert nil[0] > 0 and nil[1] == 0


def test_loading_the_demo_twice_changes_nothing(fresh_engine):
    before = scalar(fresh_engine, "SELECT count(*) FROM import_batch")
    summary = load_demo(fresh_engine)
    assert sum(r.rows_written for r in summary.reports) == 0
    assert scalar(fresh_engine, "SELECT count(*) FROM import_batch") == before


def test_names_keep_their_umlauts(demo_engine):
    with demo_engine.connect() as conn:
        names = conn.execute(sa.text(
            "SELECT name FROM area WHERE key IN ('011001', '01100101') ORDER BY key")).scalars().all()
    assert names == ["Tiergarten Süd", "Stülerstraße"]
    assert scalar(demo_engine, "SELECT count(*) FROM area WHERE name ~ '[ÃÂ][\\u0080-\\u00bf]'") == 0


def test_a_shapefile_without_cpg_read_as_latin1_is_reported(demo_engine):
    from datetime import date
    from pathlib import Path

    from geo.boundaries import BoundaryImportOptions, import_boundaries

    path = Path(__file__).resolve().parent.parent / "data/demo/berlin/geometry/bezirksregionen_2021_epsg25833.shp.zip"
    options = BoundaryImportOptions(level="bzr", key_field="BZR_ID", name_field="BZR_NAME",
                                    valid_from=date(2021, 1, 1), parent_key_length=4)
    with demo_engine.connect() as conn:
        report = import_boundaries(conn, path, options, dry_run=True)
    warnings = [p for p in report.problems if "UTF-8 read as" in p.message]
    assert warnings and "--encoding UTF-8" in warnings[0].fix and warnings[0].column == "BZR_NAME"


def test_every_page_names_the_publishers_of_the_loaded_data(client):
    footer = client.get("/areas").text.split('<footer class="site">')[1]
    assert "Amt für Statistik Berlin-Brandenburg" in footer and "Geoportal Berlin" in footer
    assert "SOURCES.md" not in footer
