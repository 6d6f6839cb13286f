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
    assert counts == {"staat": 1, "land": 16, "kreis": 401}  # VG5000 01.01.2021: Eisenach still a Kreis
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


def inkar(code: str, key: str, year: int) -> float:
    path = DEMOS["germany"].parent / "derived" / "inkar2021_sozialleistungen_kreise.csv"
    with open(path, encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle, delimiter=";") if r["krs"] == key and r["zeitbezug"] == str(year))
    return float(row[code])


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


def test_the_explorer_maps_the_kreise_and_their_change_although_eisenach_has_no_values(germany):
    """Eisenach (16056) has no INKAR values: its table cells are empty (NaN), and the change map answered 500."""
    engine, _ = germany
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        for params in ({"indicator": "q_SGBII", "level": "kreis"},
                       {"indicator": "q_SGBII", "level": "kreis", "period": "2020-12-31", "compare": "2015-12-31"}):
            answer = client.get("/explorer", params={**params, "f": "json"})
            assert answer.status_code == 200, answer.text[:500]
            areas = {area["key"]: area for area in answer.json()["areas"]}
            assert len(areas) == 401 and areas["16056"]["value"] is None
            page = client.get("/explorer", params=params)
            assert page.status_code == 200 and "Wartburgkreis" in page.text


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
        items = client.get("/collections/kreis/items", params={"period": latest["period"], "limit": 1000}).json()
    assert profile["within"][-1]["attribute_value"] == "Kreisfreie Stadt"
    assert "Median Kreise gleichen Typs" in page and "(Kreisfreie Stadt)" in page
    values = {f["properties"]["key"]: f["properties"].get("BEV") for f in items["features"]}
    cities = [v for k, v in values.items() if v is not None and types.get(k) == "Kreisfreie Stadt"]
    own = values["01001"]
    cell = latest["within"][-1]
    assert (cell["rank"], cell["n"]) == (1 + sum(v > own for v in cities), len(cities))
    assert cell["n"] > 60  # the kreisfreie Städte with a population that year, not all 400 Kreise
