"""Index classes of areas whose inputs are statistisch unsicher are marked (issue 16, docs/integration.md §2):
an input delivered with numerator and denominator whose value the reliability rule marks is listed with the
area's class, in the run's details, its summary, the combined index built from it, the explanation and the
profile; an input of an unpublished indicator is not listed for readers."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from indicators.uncertainty import unreliable, wilson_interval

PERIOD = date(2020, 12, 31)


@pytest.fixture(scope="module")
def marked(pg_server, demo_template, tmp_path_factory):
    """A private demo database in which two Planungsräume received S1 with its counts for 2020-12-31 (3 of 40:
    statistisch unsicher; 300 of 4,000: not), and the MSS 2021 Gesamtindex recomputed."""
    from indicators.index_runs import compute_index
    from indicators.ingest.kinds import import_kind
    from tests.conftest import private_engine

    with private_engine(pg_server, demo_template) as engine:
        with engine.connect() as conn:
            keys = conn.execute(sa.text("""
                SELECT a.key FROM index_result r JOIN index_run x ON x.id = r.run_id JOIN area a ON a.id = r.area_id
                WHERE x.index_id = 'mss_2021_status' AND x.period = :p AND r.participating
                ORDER BY a.key LIMIT 2"""), {"p": PERIOD}).scalars().all()
        path = tmp_path_factory.mktemp("reliability") / "s1.csv"
        path.write_text("area;indicator;period;value;numerator;denominator\n"
                        f"{keys[0]};S1;{PERIOD};7.5;3;40\n{keys[1]};S1;{PERIOD};7.5;300;4000\n", encoding="utf-8")
        kind = import_kind("observations")
        with engine.connect() as conn:
            report = kind.run(conn, path, kind.parse({"level": ["plr"], "boundaries_at": ["2021-01-01"]}),
                              created_by="test")
        assert report.ok, [p.as_text() for p in report.errors]
        with engine.begin() as conn:
            run = compute_index(conn, "mss_2021_gesamtindex", "plr", PERIOD, "test")
        yield engine, keys, run


def test_the_class_of_an_area_with_an_unreliable_input_is_marked(marked):
    from indicators.index_results import explain, get_run

    engine, (small, large), run = marked
    assert bool(unreliable(3, 40)) and not bool(unreliable(300, 4000))  # what the rule says of the two inputs
    low, high = wilson_interval(3, 40)
    with engine.connect() as conn:
        status = explain(conn, "mss_2021_status", small, "plr", PERIOD, unsuppressed=False)
        other = explain(conn, "mss_2021_status", large, "plr", PERIOD, unsuppressed=False)
        whole = explain(conn, "mss_2021_gesamtindex", small, "plr", PERIOD, unsuppressed=False)
        summary = get_run(conn, run).summary
        status_summary = conn.execute(sa.text(
            "SELECT summary FROM index_run WHERE index_id = 'mss_2021_status' AND period = :p "
            "ORDER BY id DESC LIMIT 1"), {"p": PERIOD}).scalar()
    assert status["participating"]
    [entry] = status["unreliable_inputs"]
    assert entry["code"] == "S1" and entry["denominator"] == 40
    assert (entry["ci_low"], entry["ci_high"]) == (pytest.approx(100 * float(low)), pytest.approx(100 * float(high)))
    assert "unreliable_inputs" not in other  # 300 of 4,000 is reliable; inputs without counts are not judged
    assert whole["unreliable_inputs"] == status["unreliable_inputs"]  # the Gesamtindex rests on the status index
    assert status_summary["unreliable"]["areas"] == 1 and summary["unreliable"]["areas"] == 1
    assert "statistisch unsicher" in summary["unreliable"]["rule"]


def test_the_profile_says_the_class_rests_on_small_numbers(marked):
    from service.app import create_app
    from tests.conftest import make_settings

    engine, (small, large), _run = marked
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        page = client.get(f"/areas/plr/{small}", params={"lang": "de"}).text
        other = client.get(f"/areas/plr/{large}", params={"lang": "de"}).text
        english = client.get(f"/areas/plr/{small}", params={"lang": "en"}).text
        twin = client.get(f"/areas/plr/{small}", params={"f": "json"}).json()
        query = {"level": "plr", "period": str(PERIOD)}
        features = client.get("/api/indices/mss_2021_gesamtindex/results", params={**query, "f": "geojson"}).json()
        index_map = client.get("/maps/indices/mss_2021_gesamtindex", params=query).text
    assert "die Klasse beruht auf Werten kleiner Fallzahlen" in page and "S1 (Nenner 40)" in page and "S1 (denominator 40)" not in page
    assert "die Klasse beruht auf Werten kleiner Fallzahlen" not in other
    assert "the class rests on values of small numbers" in english
    marks = {f["properties"]["key"]: f["properties"]["unreliable_inputs"] for f in features["features"]}
    assert marks[small] == "S1" and marks[large] is None  # the map's data and its tooltip row
    assert "statistisch unsicher" in index_map
    marked_indices = {ix["id"] for ix in twin["indices"] if (ix["explanation"] or {}).get("unreliable_inputs")}
    assert "mss_2021_gesamtindex" in marked_indices


def test_readers_do_not_see_the_counts_of_an_unpublished_input(marked):
    from indicators.index_results import withhold

    details = {"inputs": [{"code": "S1", "value": 7.5}], "unreliable_inputs": [
        {"code": "S1", "denominator": 40.0, "ci_low": 2.6, "ci_high": 19.9}]}
    assert withhold(details, {"S1"}, set())["unreliable_inputs"] == []
    assert withhold(details, set(), set())["unreliable_inputs"] == details["unreliable_inputs"]
