"""OGC API - Features Part 3: CQL2 filters (text and JSON) and sortby, checked against the unfiltered features,
with suppressed cells behaving as null for callers who may not see them, and malformed filters as 400s."""

from urllib.parse import quote

import orjson
import pytest
import sqlalchemy as sa
from shapely.geometry import box, shape

from geo.cql2 import FilterError, compile_filter
from tests.conftest import client_as

BOX = (13.36, 52.50, 13.42, 52.53)


@pytest.fixture(scope="module")
def every_plr(client) -> list[dict]:
    body = orjson.loads(client.get("/collections/plr/items?datetime=2020&limit=10000").content)
    assert body["numberReturned"] == 542
    return body["features"]


def ids(client, query: str, **params) -> list[str]:
    extra = "".join(f"&{k.replace('_', '-')}={quote(str(v))}" for k, v in params.items())
    response = client.get(f"/collections/plr/items?datetime=2020&limit=10000&filter={quote(query)}{extra}")
    assert response.status_code == 200, response.text
    body = orjson.loads(response.content)
    assert body["numberMatched"] == body["numberReturned"]
    return [f["id"] for f in body["features"]]


def expected(features: list[dict], predicate) -> list[str]:
    return [f["id"] for f in features if predicate(f["properties"])]


@pytest.mark.parametrize("text, predicate", [
    ("S1 > 5", lambda p: p["S1"] is not None and p["S1"] > 5),
    ("S1 <= 2.5 AND EW >= 5000", lambda p: None not in (p["S1"], p["EW"]) and p["S1"] <= 2.5 and p["EW"] >= 5000),
    ("S1 BETWEEN 3 AND 4", lambda p: p["S1"] is not None and 3 <= p["S1"] <= 4),
    ("parent_key IN ('011001', '011002', '020101')", lambda p: p["parent_key"] in ("011001", "011002", "020101")),
    ("name LIKE 'Alt%'", lambda p: p["name"].startswith("Alt")),
    ("name LIKE '%straße' OR name LIKE '%park'", lambda p: p["name"].endswith(("straße", "park"))),
    ("S1 IS NULL", lambda p: p["S1"] is None),
    ("NOT (S1 > 5) AND S1 IS NOT NULL", lambda p: p["S1"] is not None and not p["S1"] > 5),
    ("key <> '01100101' AND parent_key = '011001'", lambda p: p["parent_key"] == "011001" and p["key"] != "01100101"),
])
def test_cql2_text_selects_what_the_predicate_selects(client, every_plr, text, predicate):
    wanted = expected(every_plr, predicate)
    assert wanted, "the case should select something"
    assert ids(client, text) == wanted


def test_cql2_json_selects_the_same_as_text(client, every_plr):
    document = {"op": "and", "args": [
        {"op": ">", "args": [{"property": "S1"}, 3]},
        {"op": "in", "args": [{"property": "parent_key"}, ["011001", "011002", "020101", "040101"]]}]}
    as_json = ids(client, orjson.dumps(document).decode(), filter_lang="cql2-json")
    as_text = ids(client, "S1 > 3 AND parent_key IN ('011001', '011002', '020101', '040101')")
    assert as_json == as_text and as_json


def test_s_intersects_matches_the_bbox_parameter_and_shapely(client, every_plr):
    west, south, east, north = BOX
    polygon = f"POLYGON(({west} {south}, {east} {south}, {east} {north}, {west} {north}, {west} {south}))"
    by_filter = ids(client, f"S_INTERSECTS(geometry, {polygon})")
    by_bbox_function = ids(client, f"S_INTERSECTS(geometry, BBOX({west}, {south}, {east}, {north}))")
    body = orjson.loads(client.get(f"/collections/plr/items?datetime=2020&limit=1000&bbox={west},{south},{east},"
                                   f"{north}").content)
    by_shapely = [f["id"] for f in every_plr if shape(f["geometry"]).intersects(box(*BOX))]
    assert by_filter == by_bbox_function == [f["id"] for f in body["features"]] == by_shapely
    combined = ids(client, f"S_INTERSECTS(geometry, {polygon}) AND S1 > 4")
    s1 = {f["id"]: f["properties"]["S1"] for f in every_plr}
    assert combined == [i for i in by_filter if (s1[i] or 0) > 4] and 0 < len(combined) < len(by_filter)
    as_json = ids(client, orjson.dumps({"op": "s_intersects", "args": [
        {"property": "geometry"}, {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north],
                                                                       [west, north], [west, south]]]}]}).decode(),
        filter_lang="cql2-json")
    assert as_json == by_filter


def test_values_are_bound_parameters_never_sql_text():
    hostile = "x' OR '1'='1"
    document = {"op": "and", "args": [{"op": "=", "args": [{"property": "name"}, hostile]},
                                      {"op": ">", "args": [{"property": "S1"}, 1000]}]}
    compiled = compile_filter(orjson.dumps(document).decode(), "cql2-json", {"name": "string", "S1": "number"})
    assert hostile in compiled.params.values() and 1000.0 in compiled.params.values() and "S1" in compiled.params.values()
    assert "OR" not in compiled.sql and "1000" not in compiled.sql and "'" not in compiled.sql


def test_a_hostile_string_is_just_a_string(client):
    document = {"op": "=", "args": [{"property": "name"}, "x' OR '1'='1"]}
    assert ids(client, orjson.dumps(document).decode(), filter_lang="cql2-json") == []
    assert ids(client, "name = 'x OR 1=1; DROP TABLE area'") == []
    assert ids(client, "name = 'Stülerstraße'") == ["01100101"]


@pytest.mark.parametrize("query, fragment", [
    ("S1 >", "column 4"),
    ("S1 = = 3", "column 6"),
    ("name = 'unclosed", "cannot be read"),
    ("nope = 3", "unknown property 'nope'"),
    ("S1 = 'abc'", "cannot be compared"),
    ("name > 3", "cannot be compared"),
    ("upper(name) = 'X'", "function 'upper' is not supported"),
    ("S_INTERSECTS(S1, POINT(13 52))", "not a geometry"),
    ("geometry = 3", "spatial predicate"),
    ("name LIKE 3", "LIKE"),
])
def test_malformed_filters_are_400_problems_naming_the_error(client, query, fragment):
    response = client.get(f"/collections/plr/items?filter={quote(query)}")
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert fragment in body["description"] and body["parameter"] == "filter"


def test_syntax_errors_carry_their_position(client):
    body = client.get(f"/collections/plr/items?filter={quote('S1 > 5 AND S3 < < 2')}").json()
    assert body["position"] == 17 and body["line"] == 1 and body["column"] == 17
    broken = quote('{"op": ')
    bad_json = client.get(f"/collections/plr/items?filter-lang=cql2-json&filter={broken}").json()
    assert bad_json["status"] == 400 and bad_json["position"] == 8


@pytest.mark.parametrize("query", ["filter-lang=cql-text&filter=S1>1", "filter-lang=cql2-text",
                                   "filter=S1>1&filter-crs=EPSG:99999", "sortby=nope", "sortby=geometry",
                                   "sortby=,", "filter-lang=cql2-json&filter=" + quote('{"op": "nope", "args": []}')])
def test_other_bad_filter_parameters_are_400(client, query):
    assert client.get(f"/collections/plr/items?{query}").status_code == 400


def test_sortby_orders_by_queryables_with_nulls_last(client, every_plr):
    body = orjson.loads(client.get("/collections/plr/items?datetime=2020&limit=10000&sortby=-S1,name").content)
    values = [f["properties"]["S1"] for f in body["features"]]
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=True) and values[len(present):] == [None] * (len(values) - len(present))
    ascending = orjson.loads(client.get("/collections/plr/items?datetime=2020&limit=5&sortby=%2BS1").content)
    assert [f["properties"]["S1"] for f in ascending["features"]] == sorted(present)[:5]
    page = orjson.loads(client.get("/collections/plr/items?datetime=2020&limit=5&offset=5&sortby=name").content)
    names = sorted((f["properties"]["name"], f["id"]) for f in every_plr)
    assert [f["id"] for f in page["features"]] == [key for _, key in names[5:10]]


def test_sortby_and_filter_follow_the_next_links(client):
    url = "/collections/plr/items?datetime=2020&limit=50&sortby=-EW&filter=" + quote("S1 > 2")
    seen, values = [], []
    while url:
        body = orjson.loads(client.get(url).content)
        seen += [f["id"] for f in body["features"]]
        values += [f["properties"]["EW"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == body["numberMatched"] > 50
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=True)


@pytest.fixture(scope="module")
def strict(pg_server, demo_template):
    """A private demo copy in which small counts of children under 6 are suppressed; yields (anonymous client,
    engine, (area key, indicator, period, true value) of one suppressed plr cell)."""
    from fastapi.testclient import TestClient

    from indicators.disclosure import refresh_disclosure
    from service.app import create_app
    from tests.conftest import make_settings, private_engine

    with private_engine(pg_server, demo_template, "dm_test_filter") as engine:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE indicator SET min_numerator = 5, min_denominator = NULL "
                                 "WHERE code = 'EW_U6'"))
            refresh_disclosure(conn)
            row = conn.execute(sa.text("""
                SELECT a.key, o.indicator_code, o.period, c.value FROM observation_public o
                JOIN observation_current c ON c.id = o.id JOIN area a ON a.id = o.area_id
                WHERE o.flag = 'suppressed' AND a.level_code = 'plr' AND c.value IS NOT NULL
                ORDER BY a.key LIMIT 1""")).one()
        with TestClient(create_app(make_settings(), engine=engine)) as anonymous:
            yield anonymous, engine, (row[0], row[1], row[2].isoformat(), float(row[3]))


def period_ids(client, period: str, query: str) -> list[str]:
    response = client.get(f"/collections/plr/items?datetime={period}&limit=10000&filter={quote(query)}")
    assert response.status_code == 200, response.text
    return [f["id"] for f in orjson.loads(response.content)["features"]]


def test_a_suppressed_cell_behaves_as_null_for_readers(strict):
    client, engine, (key, code, period, value) = strict
    around = f"{code} BETWEEN {value - 1e-6} AND {value + 1e-6}"
    assert key not in period_ids(client, period, around)
    assert key not in period_ids(client, period, f"{code} >= {value - 1e-6} AND {code} <= {value + 1e-6}")
    assert key not in period_ids(client, period, f"NOT ({code} < {value - 1e-6})")
    assert key in period_ids(client, period, f"{code} IS NULL")
    ordered = orjson.loads(client.get(f"/collections/plr/items?datetime={period}&limit=10000&sortby=-{code}").content)
    position = [f["id"] for f in ordered["features"]].index(key)
    assert all(f["properties"][code] is None for f in ordered["features"][position:])
    with client_as(engine, "statistics_office") as office:
        assert key in period_ids(office, period, around)
        assert key not in period_ids(office, period, f"{code} IS NULL")


def test_filter_on_a_level_without_values_uses_the_area_columns(client):
    response = client.get(f"/collections/plr/items?limit=3&filter={quote('parent_key = ' + repr('011001'))}")
    assert response.status_code == 200


def test_a_quote_inside_a_string_is_written_twice_as_cql2_text_says(client, every_plr):
    name = every_plr[0]["properties"]["name"]
    doubled = name.replace("'", "''")
    assert ids(client, f"name = '{doubled}' OR name = 'O''Brien'") == [every_plr[0]["id"]]
    assert ids(client, "name LIKE '%''%'") == expected(every_plr, lambda p: "'" in p["name"])
    compiled = compile_filter("name IN ('a''b', '''')", None, {"name": "string"})
    assert sorted(compiled.params.values()) == ["'", "a'b"]
    with pytest.raises(FilterError) as caught:
        compile_filter("name = 'it''s", None, {"name": "string"})  # the string never ends
    assert caught.value.position == 8


def test_filter_error_has_a_position_in_the_library_too():
    with pytest.raises(FilterError) as caught:
        compile_filter("S1 >> 2", None, {"S1": "number"})
    assert caught.value.position == 5


def test_a_spatial_filter_reads_its_geometry_in_the_filter_crs_and_its_axis_order(client, demo_engine):
    """One point inside a planning area, written in CRS84 (lon lat), EPSG:4326 (lat lon) and ETRS89/UTM 33N
    (metres): the same areas every time, and a point written in the wrong axis order finds nothing here."""
    with demo_engine.connect() as conn:
        lon, lat, x, y = conn.execute(sa.text("""
            SELECT ST_X(p), ST_Y(p), ST_X(ST_Transform(p, 25833)), ST_Y(ST_Transform(p, 25833))
            FROM (SELECT ST_PointOnSurface(geom_4326) AS p FROM area
                  WHERE level_code = 'plr' AND key = '01100101' AND valid_to IS NULL) s""")).one()

    def keys(point: str, crs: str | None) -> set[str]:
        query = f"filter={quote(f'S_INTERSECTS(geometry, POINT({point}))')}&limit=100"
        if crs:
            query += f"&filter-crs={quote(crs)}"
        response = client.get(f"/collections/plr/items?{query}")
        assert response.status_code == 200, response.text
        return {f["properties"]["key"] for f in response.json()["features"]}

    found = keys(f"{lon} {lat}", None)
    assert "01100101" in found
    assert keys(f"{lon} {lat}", "http://www.opengis.net/def/crs/OGC/1.3/CRS84") == found
    assert keys(f"{lat} {lon}", "EPSG:4326") == found
    assert keys(f"{x} {y}", "http://www.opengis.net/def/crs/EPSG/0/25833") == found
    assert keys(f"{lat} {lon}", None) == set()  # latitude first read as CRS84 lies in the Indian Ocean
    # the same filter text in another CRS is another filter (the server keeps matches per filter)
    assert keys(f"{lon} {lat}", "EPSG:4326") == set()


@pytest.mark.parametrize("sortby", [None, "-S1", "name,-EW"])
def test_the_pages_of_a_filtered_result_are_slices_of_the_whole_result_in_its_order(client, sortby):
    """The server evaluates a filter once and cuts its pages from the matches it kept: every page, in any
    order, must be exactly the whole result's slice, and a page past the end is empty."""
    query = "/collections/plr/items?datetime=2020&filter=" + quote("S1 > 2 OR name LIKE 'A%'")
    query += f"&sortby={quote(sortby)}" if sortby else ""
    whole = orjson.loads(client.get(query + "&limit=10000").content)
    every = [f["id"] for f in whole["features"]]
    assert whole["numberMatched"] == len(every) > 40
    for offset in (37, 0, 14, len(every) - 3):  # out of order, as several clients would ask
        page = orjson.loads(client.get(f"{query}&limit=7&offset={offset}").content)
        assert page["numberMatched"] == len(every)
        assert [f["id"] for f in page["features"]] == every[offset:offset + 7]
        assert all(f["properties"]["key"] == f["id"] for f in page["features"])
    past = orjson.loads(client.get(f"{query}&limit=7&offset={len(every) + 5}").content)
    assert past["features"] == [] and past["numberMatched"] == len(every)


def test_a_filter_that_outlasts_the_statement_timeout_is_a_503_problem_and_is_not_remembered(demo_engine):
    """The timing is held by the test: a change holds the area table locked, so the filtered query waits and the
    service's statement timeout (1.5 s here) cancels it. The client gets a 503 problem with Retry-After, never a
    500, and the next request, once the lock is gone, gets the answer (a cancelled filter is not memoised)."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.db import create_engine
    from tests.conftest import make_settings

    impatient = create_engine(demo_engine.url.render_as_string(hide_password=False),
                              make_settings(statement_timeout_ms=1500))
    url = "/collections/plr/items?datetime=2020&limit=5&filter=" + quote("EW > 1234 AND name LIKE '%e%'")
    try:
        with TestClient(create_app(make_settings(), engine=impatient)) as client:
            assert client.get("/collections/plr/items?datetime=2020&limit=1").status_code == 200  # caches warm
            with demo_engine.connect() as holder:
                holder.execute(sa.text("LOCK TABLE area IN ACCESS EXCLUSIVE MODE"))  # held until rollback
                refused = client.get(url)
                holder.rollback()
            assert refused.status_code == 503, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert "statement timeout" in refused.json()["detail"] and int(refused.headers["retry-after"]) > 0
            answered = client.get(url)
            assert answered.status_code == 200 and answered.json()["numberMatched"] > 0
    finally:
        impatient.dispose()


def test_the_sortables_are_the_queryables_but_the_geometry_and_each_sorts(client):
    collection = client.get("/collections/plr").json()
    assert any(link["rel"].endswith("/sortables") for link in collection["links"])
    sortables = client.get("/collections/plr/sortables").json()
    queryables = client.get("/collections/plr/queryables").json()
    assert set(sortables["properties"]) == set(queryables["properties"]) - {"geometry"}
    for name in list(sortables["properties"])[:12]:
        assert client.get(f"/collections/plr/items?limit=2&sortby=-{name}").status_code == 200, name
    assert "Sortierbare Attribute" in client.get("/collections/plr/sortables?f=html").text
