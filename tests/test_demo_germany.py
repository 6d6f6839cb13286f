"""The Germany demo (data/demo/germany/manifest.yaml): its Staat, Länder and Kreise, loaded into a new database
through the ordinary imports, have AGS keys, a hierarchy by key prefix, and the INKAR values the API serves.
(The 10,997 Gemeinden load in about 10 s more; `district-monitor demo load germany` loads them.)"""

from __future__ import annotations

import csv
import re
from datetime import date

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from indicators.values import resolve_period
from service.app import create_app
from service.db import create_engine, upgrade
from service.demo import DEMOS, load_demo
from service.setup import check_manifest
from tests.conftest import make_settings

LEVELS = {"staat", "land", "kreis"}


@pytest.fixture(scope="module")
def germany(pg_server):
    name = "dm_test_germany"
    engine = create_engine(pg_server.create(name), make_settings())
    upgrade(engine, 25832)
    summary = load_demo(engine, DEMOS["germany"], only_levels=LEVELS)
    yield engine, summary
    engine.dispose()
    pg_server.drop(name)


def test_the_whole_manifest_checks_clean():
    checked, report = check_manifest(None, DEMOS["germany"])
    assert checked is not None, [p.as_text() for p in report.errors]
    assert {spec.code for spec in checked.manifest.levels} == {"staat", "land", "rbz", "kreis", "gemeinde"}


def test_laender_and_kreise_have_their_official_numbers_and_keys(germany):
    engine, summary = germany
    assert all(report.ok for report in summary.reports)
    with engine.connect() as conn:
        counts = dict(conn.execute(sa.text("SELECT level_code, count(*) FROM area GROUP BY 1")).all())
        lengths = dict(conn.execute(sa.text(
            "SELECT level_code, array_agg(DISTINCT length(key)) FROM area GROUP BY 1")).all())
        names = dict(conn.execute(sa.text("SELECT key, name FROM area WHERE key IN ('09162', '11000', '16063')")).all())
    # VG5000 01.01.2021: 401 Kreise, Eisenach still one; the merger of 01.07.2021 adds the enlarged Wartburgkreis
    assert counts == {"staat": 1, "land": 16, "kreis": 402}
    assert lengths == {"staat": [2], "land": [2], "kreis": [5]}
    assert names == {"09162": "München", "11000": "Berlin", "16063": "Wartburgkreis"}


def test_every_kreis_belongs_to_the_land_of_its_key_prefix(germany):
    engine, _ = germany
    with engine.connect() as conn:
        wrong = conn.execute(sa.text("""
            SELECT count(*) FROM area k WHERE k.level_code = 'kreis' AND (k.parent_key <> left(k.key, 2)
              OR NOT EXISTS (SELECT 1 FROM area l WHERE l.level_code = 'land' AND l.key = k.parent_key))""")).scalar_one()
        laender = conn.execute(sa.text("SELECT count(*) FROM area WHERE level_code = 'land' AND parent_key = 'DG'"))
        levels = dict(conn.execute(sa.text("SELECT code, parent_code FROM area_level")).all())
    assert wrong == 0 and laender.scalar_one() == 16
    assert levels["kreis"] == "land" and levels["gemeinde"] == "kreis" and levels["rbz"] == "land"


def inkar(code: str, key: str, year: int) -> float | None:
    path = DEMOS["germany"].parent / "derived" / "inkar2021_sozialleistungen_kreise.csv"
    with open(path, encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle, delimiter=";") if r["krs"] == key and r["zeitbezug"] == str(year))
    return float(row[code]) if row[code] else None


def test_the_api_serves_the_inkar_values_of_a_kreis(germany):
    engine, _ = germany
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        answer = client.get("/api/areas/09162")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["level"] == "kreis" and body["parent"]["key"] == "09"
        values = {(v["indicator"], str(v["period"])): v["value"] for v in body["values"]}
        assert values[("q_SGBII", "2020-12-31")] == pytest.approx(inkar("q_SGBII", "09162", 2020))
        assert values[("a_GSa", "2015-12-31")] == pytest.approx(inkar("a_GSa", "09162", 2015))
        land = client.get("/api/areas/09", params={"level": "land"}).json()
        assert len(land["children"]) == 96  # Bayern's Kreise
        assert client.get("/api/indicators/q_SGBII").json()["name_de"] == "SGB-II-Quote"


def test_eisenach_has_no_inkar_values_after_its_merger(germany):
    """INKAR 2021 is on the status after Eisenach's merger; the Regionalstatistik (2001-2016) still has it."""
    engine, _ = germany
    inkar_codes = "SELECT code FROM indicator WHERE source LIKE 'BBSR%'"
    with engine.connect() as conn:
        eisenach = conn.execute(sa.text(f"""
            SELECT count(*) FROM observation o JOIN area a ON a.id = o.area_id
            WHERE a.key = '16056' AND o.indicator_code IN ({inkar_codes})""")).scalar_one()
        periods = conn.execute(sa.text(f"SELECT min(period), max(period) FROM observation "
                                       f"WHERE indicator_code IN ({inkar_codes})")).one()
        regional = conn.execute(sa.text("""
            SELECT count(*) FROM observation o JOIN area a ON a.id = o.area_id
            WHERE a.key = '16056' AND o.indicator_code = 'BEV' AND o.value IS NOT NULL""")).scalar_one()
    published = genesis_row("12411-01-01-4_00.csv", "16056")[2::3]  # the "Insgesamt" column of every date
    assert eisenach == 0 and regional == sum(cell.isdigit() for cell in published) > 10
    assert periods == (date(2006, 12, 31), date(2022, 12, 31))


def test_the_explorer_maps_the_kreise_of_inkars_territorial_status(germany):
    """INKAR's values are on the 400 Kreise after Eisenach's merger: the map and its change map show those, the
    enlarged Wartburgkreis with its value and no Eisenach (which answered 500 when it was an empty cell)."""
    engine, _ = germany
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        for params in ({"indicator": "q_SGBII", "level": "kreis"},
                       {"indicator": "q_SGBII", "level": "kreis", "period": "2020-12-31", "compare": "2015-12-31"}):
            answer = client.get("/explorer", params={**params, "f": "json"})
            assert answer.status_code == 200, answer.text[:500]
            areas = {area["key"]: area for area in answer.json()["areas"]}
            assert len(areas) == 400 and "16056" not in areas
            if "compare" not in params:
                year = int(answer.json()["state"]["period"][:4])
                expected = inkar("q_SGBII", "16063", year)
                assert areas["16063"]["value"] == (expected if expected is None else pytest.approx(expected))
            page = client.get("/explorer", params=params)
            assert page.status_code == 200 and "Wartburgkreis" in page.text


def test_without_a_period_the_map_and_the_api_show_the_newest_period_with_values(germany):
    """INKAR delivers the SGB II rate's newest year with every Kreis missing. "Latest" is the newest period with a
    value: the default map was all grey ("kein Wert (400 Gebiete)") and the API's default period all null. The
    empty year stays there for whoever asks for it."""
    engine, _ = germany
    with engine.connect() as conn:
        newest, with_values = conn.execute(sa.text("""
            SELECT max(o.period), max(o.period) FILTER (WHERE o.value IS NOT NULL)
            FROM observation_public o JOIN area a ON a.id = o.area_id
            WHERE a.level_code = 'kreis' AND o.indicator_code = 'q_SGBII'""")).one()
    assert with_values < newest  # the case this is about is in the delivered data
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        shown = client.get("/explorer", params={"indicator": "q_SGBII", "level": "kreis", "f": "json"}).json()
        assert shown["state"]["period"] == with_values.isoformat()
        assert sum(area["value"] is not None for area in shown["areas"]) > 300
        asked = client.get("/explorer", params={"indicator": "q_SGBII", "level": "kreis", "f": "json",
                                                "period": newest.isoformat()}).json()
        assert asked["state"]["period"] == newest.isoformat()
        assert all(area["value"] is None for area in asked["areas"])
        # no indicator named: the map of a level starts with an indicator that has values there
        default = client.get("/explorer", params={"level": "land", "f": "json"})
        assert default.status_code == 200, default.text[:300]
        assert any(area["value"] is not None for area in default.json()["areas"])
    with engine.connect() as conn:  # the API's period parameter (hot spots, integration measures)
        assert resolve_period(conn, "kreis", None, "q_SGBII") == with_values
        assert resolve_period(conn, "kreis", str(newest.year), "q_SGBII") == newest


def genesis_row(name: str, key: str) -> list[str]:
    """The row of a region in an unchanged GENESIS export of data/demo/germany/regionalstatistik/."""
    with open(DEMOS["germany"].parent / "regionalstatistik" / name, encoding="utf-8") as handle:
        return next(row for row in csv.reader(handle, delimiter=";") if len(row) > 2 and key in row[:2])


def test_the_regionalstatistik_exports_are_read_as_the_offices_publish_them(germany):
    """GENESIS tables with title block, header rows and footnotes (layout genesis): the population per Kreis
    with its dates in the header, the unemployment rate with its year in a column; Berlin and Hamburg, which
    the tables list as Länder only, are their Kreis; the Kreise merged before 2021 (Göttingen and Osterode am
    Harz, 2016) are not joined to anything, and the "-" of the new Landkreis before it existed is no zero."""
    engine, summary = germany
    reports = [r for r in summary.reports if r.file.startswith(("12411-01-01-4", "13211-02-05-4"))]
    assert len(reports) == 2 and all(r.ok and r.rows_written for r in reports)
    population = next(r for r in reports if r.file.startswith("12411"))
    assert any("401 of 526 region rows matched" in note and "skipped: " in note for note in population.notes)
    with engine.connect() as conn:
        values = {(key, code, period.year): value for key, code, period, value in conn.execute(sa.text("""
            SELECT a.key, o.indicator_code, o.period, o.value FROM observation o JOIN area a ON a.id = o.area_id
            WHERE o.indicator_code IN ('BEV', 'BEV_W', 'ALQ', 'ALQ_AUSL')"""))}
        merged = conn.execute(sa.text("SELECT count(*) FROM area WHERE key IN ('03152', '03156')")).scalar_one()
        recorded = conn.execute(sa.text("SELECT options FROM import_batch WHERE file_name LIKE '13211-02-05-4%'"))
        options = recorded.scalar_one()  # as the manifest gave them, not the long table they were read as
    assert options["layout"] == "genesis" and "Prozent" in next(iter(options["columns"]))
    berlin, hamburg, flensburg = (genesis_row("12411-01-01-4_00.csv", key) for key in ("11", "02", "01001"))
    assert berlin[1].strip() == "Berlin" and hamburg[1].strip() == "Hamburg"
    assert values[("11000", "BEV", 2015)] == float(berlin[2]) and values[("02000", "BEV_W", 2015)] == float(hamburg[4])
    assert values[("01001", "BEV", 2014)] == float(flensburg[5])
    # the new Landkreis Göttingen (2016) has "-" before: no value, not a population of zero
    assert values[("03159", "BEV", 2015)] is None and merged == 0
    unemployment = next(row for row in csv.reader(open(DEMOS["germany"].parent / "regionalstatistik" /
                                                       "13211-02-05-4_00.csv", encoding="utf-8"), delimiter=";")
                        if row[:2] == ["2016", "01001"])
    assert values[("01001", "ALQ", 2016)] == pytest.approx(float(unemployment[11].replace(",", ".")))
    assert values[("01001", "ALQ_AUSL", 2016)] == pytest.approx(float(unemployment[14].replace(",", ".")))


def test_the_census_break_is_shown_in_charts_and_change_maps_not_smoothed(germany):
    """The 2011 census reset the population figures (Flensburg 88,759 at 31.12.2010, 82,801 at 31.12.2011): the
    catalogues mark the break (the population, and every INKAR rate per inhabitant), the profile's chart breaks
    its lines there and names it, and a change map across it says that the change contains it; one that does not
    cross it says nothing."""
    engine, _ = germany
    flensburg = genesis_row("12411-01-01-4_00.csv", "01001")
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        definition = client.get("/api/indicators/BEV").json()
        assert [b["at"] for b in definition["series_breaks"]] == ["2011-05-09"]
        profile = client.get("/areas/kreis/01001", params={"f": "json"}).json()
        item = next(i for i in profile["indicators"] if i["code"] == "BEV")
        values = {str(p["period"]): p["value"] for p in item["periods"]}
        assert values["2010-12-31"] == float(flensburg[17]) and values["2011-12-31"] == float(flensburg[14])
        assert item["series_breaks"][0]["label_de"] == "Zensus 2011"
        page = client.get("/areas/kreis/01001", headers={"Accept": "text/html"}).text
        charts = [client.get(url.replace("&amp;", "&")).text
                  for url in re.findall(r'<img class="chart" src="([^"]+)"', page)]
        broken = [i["code"] for i in profile["indicators"] if i["series_breaks"]
                  and {p["period"] < "2011-05-09" for p in i["periods"] if p["value"] is not None} == {True, False}]
        assert {"BEV", "BEV_W", "q_SGBII", "q_PBG_bev"} <= set(broken)  # INKAR's rates per inhabitant too
        assert sum("Zensus 2011" in chart for chart in charts) == len(broken), "each chart across the break names it"
        # INKAR's rates whose denominator is no population count carry no census break
        assert client.get("/api/indicators/a_BGKind").json()["series_breaks"] == []
        assert [b["at"] for b in client.get("/api/indicators/q_SGBII").json()["series_breaks"]] == ["2011-05-09"]
        across = client.get("/explorer", params={"indicator": "BEV", "level": "kreis", "period": "2015-12-31",
                                                 "compare": "2010-12-31", "f": "json"}).json()
        assert any("Zensus 2011" in notice and "31.12.2010" in notice for notice in across["state"]["notices"])
        english = client.get("/explorer", params={"indicator": "BEV", "level": "kreis", "period": "2015-12-31",
                                                  "compare": "2010-12-31", "lang": "en"}).text
        assert "the series is broken (2011 census" in english
        after = client.get("/explorer", params={"indicator": "BEV", "level": "kreis", "period": "2015-12-31",
                                                "compare": "2012-12-31", "f": "json"}).json()
        assert after["state"]["notices"] == []


def test_a_chart_line_is_not_drawn_across_a_break():
    from web.charts import _segments, trend_svg

    points = [(date(2009, 12, 31), 1.0), (date(2010, 12, 31), 2.0), (date(2011, 12, 31), 3.0),
              (date(2012, 12, 31), 4.0)]
    assert _segments(points, [date(2011, 5, 9)]) == [points[:2], points[2:]]
    assert _segments(points, []) == [points]
    assert _segments(points, [date(2001, 1, 1), date(2030, 1, 1)]) == [points]
    svg = trend_svg([("Flensburg", points)], "Personen", breaks=[(date(2011, 5, 9), "Zensus 2011")])
    plain = trend_svg([("Flensburg", points)], "Personen")
    assert "Zensus 2011" in svg and "Zensus 2011" not in plain
    assert svg.count('id="line2d_') > plain.count('id="line2d_')  # two segments and the break's line
    later = trend_svg([("Flensburg", points[2:])], "Personen", breaks=[(date(2011, 5, 9), "Zensus 2011")])
    assert "Zensus 2011" not in later  # a series that starts after the break is not stretched back to it


def test_a_kreis_is_ranked_within_its_land_and_within_a_comparison_ring(germany):
    """Flensburg among the Kreise of Schleswig-Holstein (the Land is the first two digits of the key) and among
    a ring of kreisfreie Städte of other Länder, against the values a reader gets from the collection."""
    engine, _summary = germany
    ring = ["01002", "03101", "05111", "09162", "14612"]  # Kiel, Braunschweig, Düsseldorf, München, Dresden
    with engine.begin() as conn:
        conn.execute(sa.text("""INSERT INTO comparison_group (id, level_code, name_de, area_keys, created_by)
                                VALUES ('staedte', 'kreis', 'Großstädte', :keys, 'test')"""), {"keys": ring})
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        profile = client.get("/areas/kreis/01001.json", params={"group": "staedte"}).json()
        assert [(c["kind"], c.get("level"), c.get("key")) for c in profile["within"]] == [
            ("area", "land", "01"), ("group", None, None)]
        item = next(i for i in profile["indicators"] if i["code"] == "BEV")
        latest = item["periods"][0]
        items = client.get("/collections/kreis/items", params={"period": latest["period"], "limit": 1000}).json()
    values = {f["properties"]["key"]: f["properties"].get("BEV") for f in items["features"]}
    values = {key: value for key, value in values.items() if value is not None}
    own = values["01001"]
    land = [v for k, v in values.items() if k.startswith("01")]
    group = [v for k, v in values.items() if k in set(ring) | {"01001"}]
    assert latest["within"][0]["rank"] == 1 + sum(v > own for v in land) and latest["within"][0]["n"] == len(land)
    assert latest["within"][1]["rank"] == 1 + sum(v > own for v in group) and latest["within"][1]["n"] == 6
    assert latest["within"][1]["median"] == pytest.approx(sorted(group)[2:4][0] / 2 + sorted(group)[2:4][1] / 2)
    assert latest["within"][0]["value"] == latest["parent_value"]  # the Land's own (rolled-up) population


def test_a_kreis_is_ranked_among_the_kreise_of_its_type(germany):
    """A group the manifest declares by an attribute of the boundary file: VG5000's BEZ makes Flensburg a
    "Kreisfreie Stadt", ranked among the kreisfreie Städte of Germany; an attribute no Kreis carries is refused
    naming those that exist; the set-up's groups are audited like an editor's."""
    engine, _summary = germany
    with engine.connect() as conn:
        audited = conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE target_type = 'comparison_group' "
                                       "AND target_id = 'kreise-gleichen-typs' AND action = 'create'")).scalar_one()
    assert audited == 1
    with engine.connect() as conn:
        types = dict(conn.execute(sa.text("SELECT key, attributes ->> 'BEZ' FROM area WHERE level_code = 'kreis'")).all())
    assert types["01001"] == "Kreisfreie Stadt" and types["01051"] == "Kreis"
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        from tests.conftest import bearer

        editor = bearer(engine, "editor")
        declared = client.get("/api/comparison-groups", params={"level": "kreis"}).json()["groups"]
        [stored] = [g for g in declared if g["id"] == "kreise-gleichen-typs"]  # the manifest declares it
        assert (stored["same_attribute"], stored["name_en"]) == ("BEZ", "Districts of the same type")
        assert client.get("/api/comparison-groups/gemeinden-gleichen-typs").status_code == 404  # level not loaded
        refused = client.put("/api/comparison-groups/typ2", headers=editor, json={
            "level": "kreis", "name_de": "Typ", "same_attribute": "KREISTYP"})
        assert refused.status_code == 422 and "BEZ" in refused.json()["available"]
        both = client.put("/api/comparison-groups/typ3", headers=editor, json={
            "level": "kreis", "name_de": "Typ", "same_attribute": "BEZ", "area_keys": ["01001", "01002"]})
        assert both.status_code == 422
        profile = client.get("/areas/kreis/01001.json", params={"group": "kreise-gleichen-typs"}).json()
        page = client.get("/areas/kreis/01001", params={"group": "kreise-gleichen-typs"}).text
        latest = next(i for i in profile["indicators"] if i["code"] == "BEV")["periods"][0]
        # the population of that year as a reader maps it: on the Kreise it was published on (Eisenach included)
        mapped = client.get("/explorer", params={"indicator": "BEV", "level": "kreis", "period": latest["period"],
                                                 "f": "json"}).json()
    assert profile["within"][-1]["attribute_value"] == "Kreisfreie Stadt"
    assert "Median Kreise gleichen Typs" in page and "(Kreisfreie Stadt)" in page
    values = {area["key"]: area["count"] for area in mapped["areas"]}
    cities = [v for k, v in values.items() if v is not None and types.get(k) == "Kreisfreie Stadt"]
    own = values["01001"]
    cell = latest["within"][-1]
    assert (cell["rank"], cell["n"]) == (1 + sum(v > own for v in cities), len(cities))
    assert cell["n"] > 60  # the kreisfreie Städte with a population that year, not all 400 Kreise


# -- territorial changes (data/demo/germany/territorial_changes_*.csv, docs/history.md) ---------------------------
def kreis_rows(conn, *keys: str) -> list[tuple]:
    return [tuple(r) for r in conn.execute(sa.text("""
        SELECT key, name, valid_from, valid_to, area_m2 FROM area WHERE level_code = 'kreis' AND key = ANY (:keys)
        ORDER BY key, valid_from"""), {"keys": list(keys)})]


def test_eisenachs_merger_ends_both_kreise_and_begins_the_enlarged_wartburgkreis(germany):
    """The list of changes ends Eisenach and the old Wartburgkreis on 01.07.2021 and makes the new one from
    both outlines; INKAR's values (delivered on the status after the merger) lie on it, and the relations say
    which versions became which."""
    engine, summary = germany
    [report] = [r for r in summary.reports if r.kind == "territorial_changes"]
    assert report.ok and report.rows_written == 3  # one area begun, two relations
    with engine.connect() as conn:
        (eisenach, old, new) = kreis_rows(conn, "16056", "16063")
        at_merger = conn.execute(sa.text("""SELECT count(*) FROM area WHERE level_code = 'kreis'
            AND valid_from <= '2021-07-01' AND (valid_to IS NULL OR valid_to > '2021-07-01')""")).scalar_one()
        relations = conn.execute(sa.text("""
            SELECT p.key, s.key, r.change, r.effective FROM area_succession r
            JOIN area p ON p.id = r.predecessor_id JOIN area s ON s.id = r.successor_id ORDER BY 1""")).all()
        inkar_rows = dict(conn.execute(sa.text("""
            SELECT a.valid_from, count(*) FROM observation o JOIN area a ON a.id = o.area_id
            WHERE a.key = '16063' AND o.indicator_code = 'q_SGBII' GROUP BY 1""")).all())
    assert eisenach[3] == old[3] == date(2021, 7, 1) and new[2] == date(2021, 7, 1) and new[3] is None
    assert new[4] == pytest.approx(eisenach[4] + old[4], rel=1e-6) and at_merger == 400
    assert [tuple(r) for r in relations] == [("16056", "16063", "merger", date(2021, 7, 1)),
                                            ("16063", "16063", "merger", date(2021, 7, 1))]
    assert set(inkar_rows) == {date(2021, 7, 1)} and inkar_rows[date(2021, 7, 1)] > 10


def test_the_series_on_the_new_territory_sums_counts_and_never_averages_rates(germany):
    """The Regionalstatistik (2001-2016) has Eisenach and the old Wartburgkreis: on the enlarged Wartburgkreis
    the population is their sum (share estimated 0: both lie whole in it), the unemployment rate, which has no
    numerator and denominator here, is not made up from the two rates; the profile says where the area came
    from, in German and English, and the old Eisenach's profile where it went."""
    engine, _ = germany
    eisenach, old = genesis_row("12411-01-01-4_00.csv", "16056"), genesis_row("12411-01-01-4_00.csv", "16063")
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        profile = client.get("/areas/kreis/16063", params={"f": "json"}).json()
        assert profile["area"]["valid_from"] == "2021-07-01"
        assert [(p["key"], p["change"]) for p in profile["territory"]["predecessors"]] == [
            ("16056", "merger"), ("16063", "merger")]
        items = {i["code"]: i for i in profile["indicators"]}
        bev = {p["period"]: p for p in items["BEV"]["periods"]}
        assert bev["2015-12-31"]["value"] == float(eisenach[2]) + float(old[2])
        assert bev["2015-12-31"]["estimated"]["share"] == 0
        assert "ALQ" not in items or all(p["estimated"] is None for p in items["ALQ"]["periods"])
        page = client.get("/areas/kreis/16063", headers={"Accept": "text/html"}).text
        assert "Entstanden am 01.07.2021 durch Zusammenschluss aus" in page and "16056 Eisenach" in page
        assert "Anzahlen als Summe der Vorgänger" in page
        gone = client.get("/areas/kreis/16056", headers={"Accept": "text/html"}).text
        assert "Besteht seit 01.07.2021 nicht mehr: Zusammenschluss zu" in gone and "16063 Wartburgkreis" in gone
        english = client.get("/areas/kreis/16063", params={"lang": "en"}).text
        assert "by Zusammenschluss (merger) of" in english and "counts as the sum of its predecessors" in english


def changes_file(tmp_path, *rows: str, name: str = "changes.csv"):
    path = tmp_path / name
    path.write_text("effective;change;from_key;to_key;to_name;to_parent_key;share\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    return path


def run_changes(engine, path, level: str = "kreis", dry_run: bool = False):
    from indicators.ingest.kinds import import_kind

    kind = import_kind("territorial_changes")
    with engine.connect() as conn:
        return kind.run(conn, path, kind.parse({"level": [level]}), dry_run=dry_run, created_by="test")


def test_a_key_that_ended_is_named_with_its_successor_when_values_arrive_on_it(germany, tmp_path):
    """Values delivered for Eisenach on a day after the merger: refused, naming the Wartburgkreis it went into
    and the fix, in English and German."""
    engine, _ = germany
    from indicators.ingest.kinds import import_kind

    path = tmp_path / "werte.csv"
    path.write_text("area;indicator;period;value\n16063;BEV;2022-12-31;160000\n16056;BEV;2022-12-31;42000\n",
                    encoding="utf-8")
    kind = import_kind("observations")
    with engine.connect() as conn:
        report = kind.run(conn, path, kind.parse({"level": ["kreis"]}), dry_run=True)
    [problem] = [p for p in report.errors if p.value == "16056" and "merger" in p.message]
    assert "merger into 16063 Wartburgkreis on 2021-07-01" in problem.message and problem.row == 3  # file line
    assert "Zusammenschluss zu 16063 Wartburgkreis am 01.07.2021" in problem.message_de
    assert "--boundaries-at" in problem.fix


def test_a_list_of_changes_is_checked_row_by_row_and_a_refused_one_writes_nothing(germany, tmp_path):
    engine, _ = germany
    before = table_counts(engine)
    cases = [
        (("2030-01-01;key_change;1001;01099;Flensburg;;",), "from_key", "01001"),  # lost its leading zero
        (("2030-01-01;Neugründung;01001;01099;;;",), "change", None),
        (("2030-01-01;merger;01001;01002;Kiel;;",), "change", None),  # a merger of one
        (("2030-01-01;split;01001;01098;A;;", "2030-01-01;split;01001;01099;B;;"), "to_key", None),  # not imported
        (("1.7.2021;merger;01001;01002;;;",), "effective", None),
        (("2030-01-01;key_change;01001;01099;;;0",), "share", None),
        (("2030-01-01;key_change;01001;01099;;99;",), "to_parent_key", None),
    ]
    for rows, column, hint in cases:
        report = run_changes(engine, changes_file(tmp_path, *rows))
        assert not report.ok and report.batch_id is None, rows
        problem = report.errors[0]
        assert problem.column == column and problem.row == 1 and problem.fix and problem.fix_de, (rows, problem)
        if hint:
            assert hint in problem.message
    wrong_header = tmp_path / "wrong.csv"
    wrong_header.write_text("Datum;Art;alt;neu\n2030-01-01;merger;01001;01002\n", encoding="utf-8")
    report = run_changes(engine, wrong_header)
    assert not report.ok and "effective" in report.errors[0].fix and report.errors[0].message_de
    assert table_counts(engine) == before


def table_counts(engine) -> tuple:
    with engine.connect() as conn:
        return tuple(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                     for table in ("area", "area_succession", "area_change", "import_batch"))


def test_a_key_change_is_applied_once_and_can_be_undone(germany, tmp_path):
    """Flensburg under a new key from 2030 (a made-up change): a dry run writes nothing; the import ends the old
    version and begins the new one with the same outline; loading the list again changes nothing; undoing the
    batch restores the areas as they were and removes the relation."""
    engine, _ = germany
    from indicators.import_undo import undo_batch

    before = table_counts(engine)
    path = changes_file(tmp_path, "01.01.2030;Schlüsseländerung;01001;01099;;;")
    assert run_changes(engine, path, dry_run=True).ok and table_counts(engine) == before
    report = run_changes(engine, path)
    assert report.ok and report.batch_id is not None, [p.as_text() for p in report.errors]
    with engine.connect() as conn:
        (old,), (new,) = kreis_rows(conn, "01001"), kreis_rows(conn, "01099")
    assert old[3] == new[2] == date(2030, 1, 1) and new[1] == "Flensburg" and new[4] == pytest.approx(old[4])
    again = run_changes(engine, path)
    assert again.ok and again.batch_id is None and any("nothing changed" in n for n in again.notes)
    with engine.begin() as conn:
        result = undo_batch(conn, report.batch_id, "test")
    assert (result.areas_removed, result.areas_reopened) == (1, 1)
    with engine.connect() as conn:
        assert kreis_rows(conn, "01001")[0][3] is None and kreis_rows(conn, "01099") == []
    counts = table_counts(engine)
    assert counts[:2] == before[:2]  # the batch stays listed (undone), its area changes are gone


def test_a_list_of_changes_is_imported_over_http_by_the_statistics_office(germany):
    engine, _ = germany
    from tests.conftest import bearer

    path = DEMOS["germany"].parent / "territorial_changes_kreise.csv"
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        anonymous = client.post("/api/imports/territorial-changes", data={"level": "kreis"},
                                files={"file": (path.name, path.read_bytes(), "text/csv")})
        assert anonymous.status_code in (401, 403)
        answer = client.post("/api/imports/territorial-changes", headers=bearer(engine, "statistics_office"),
                             data={"level": "kreis", "dry_run": "true"},
                             files={"file": (path.name, path.read_bytes(), "text/csv")})
        assert answer.status_code == 200, answer.text
        assert answer.json()["ok"] and answer.json()["rows_read"] == 2


def test_every_level_names_its_population_so_polygon_estimates_carry_one(germany):
    """The manifest declares the Regionalstatistik's population as the population of each level (no share names
    a weight there, so before it no level had one): a polygon around Flensburg estimates its inhabitants from the
    Kreise and applies the minimum population; a catchment counts it by default."""
    from indicators.catalogue import population_indicator
    from tests.test_aggregation_polygon import geometry_of

    engine, _ = germany
    with engine.connect() as conn:
        declared = dict(conn.execute(sa.text("SELECT code, population_indicator FROM area_level")).all())
        assert population_indicator(conn, "kreis") == "BEV"
    assert declared == {"staat": "BEV", "land": "BEV", "rbz": None, "kreis": "BEV", "gemeinde": "BEV"}
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        answer = client.post("/api/aggregate/polygon", params={"level": "kreis"},
                             json=geometry_of(engine, "kreis", "01001"))
        assert answer.status_code == 200, answer.text
        result = answer.json()
    population = result["population"]
    flensburg = genesis_row("12411-01-01-4_00.csv", "01001")
    assert population["indicator"] == "BEV" and population["period"] == "2015-12-31"
    assert population["value"] == pytest.approx(float(flensburg[2]), rel=0.005)
