"""Berlin across boundary reforms (issue 15): three key systems of planning areas kept apart in one database
(447 areas until 2018, 448 in 2019-2020, 542 from 2021), every older MSS edition and the register on the version
valid for it, and the bad deliveries refused with file, row and fix while nothing is written: the real boundary
file with a duplicated key, an edition whose keys belong to another key system, a period without boundaries."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.boundaries import BoundaryImportOptions, import_boundaries
from indicators.ingest.observations import ObservationImportOptions, import_observations
from tests.conftest import table_fingerprint

BERLIN = Path(__file__).resolve().parent.parent / "data" / "demo" / "berlin"
HISTORY = BERLIN / "history" / "mss_index_plr_2013_2019.csv"


def areas_valid_at(conn, at: str) -> int:
    return conn.execute(sa.text("""
        SELECT count(*) FROM area WHERE level_code = 'plr' AND valid_from <= :at
          AND (valid_to IS NULL OR valid_to > :at)"""), {"at": at}).scalar_one()


def test_three_key_systems_of_planning_areas_follow_each_other(demo_engine):
    with demo_engine.connect() as conn:
        assert [areas_valid_at(conn, at) for at in ("2012-12-31", "2018-12-31", "2019-01-01", "2020-12-31",
                                                    "2021-01-01")] == [447, 447, 448, 448, 542]
        # 09041402 in 2018 and in 2020: two rows with different outlines (the 2019 re-cut); 09041403 only from 2019
        rows = conn.execute(sa.text("""
            SELECT key, valid_from, valid_to, round(area_m2) FROM area
            WHERE level_code = 'plr' AND key IN ('09041301', '09041402', '09041403') AND valid_from < '2021-01-01'
            ORDER BY key, valid_from""")).all()
        spans = {(k, str(f), str(t)) for k, f, t, _ in rows}
        assert spans == {("09041301", "2012-01-01", "2019-01-01"), ("09041301", "2019-01-01", "2021-01-01"),
                         ("09041402", "2012-01-01", "2019-01-01"), ("09041402", "2019-01-01", "2021-01-01"),
                         ("09041403", "2019-01-01", "2021-01-01")}
        size = {(k, str(f)): a for k, f, _t, a in rows}
        # the 447 system's 09041301 is the 2019 09041301 plus 09041403 (derive.py)
        assert size[("09041301", "2012-01-01")] == pytest.approx(
            size[("09041301", "2019-01-01")] + size[("09041403", "2019-01-01")], rel=1e-6)
        # parents follow their versions: the old district regions and forecast areas until 2020
        assert conn.execute(sa.text("""
            SELECT count(*) FROM area WHERE level_code = 'bzr' AND valid_from <= '2018-12-31'
              AND valid_to > '2018-12-31'""")).scalar_one() == 138


def test_every_edition_and_register_period_lies_on_its_own_boundary_version(demo_engine):
    with demo_engine.connect() as conn:
        rows = conn.execute(sa.text("""
            SELECT o.period, a.valid_from, count(*) FROM observation_current o JOIN area a ON a.id = o.area_id
            WHERE o.indicator_code = 'EW' AND a.level_code = 'plr' GROUP BY 1, 2 ORDER BY 1, 2""")).all()
    by_period = {}
    for period, valid_from, n in rows:
        by_period.setdefault(str(period), {})[str(valid_from)] = n
    assert by_period["2012-12-31"] == {"2012-01-01": 447}  # MSS 2013
    assert by_period["2018-12-31"] == {"2012-01-01": 447}  # MSS 2019 and the register (equal counts)
    assert by_period["2019-06-30"] == {"2019-01-01": 448}
    assert by_period["2020-12-31"] == {"2019-01-01": 448, "2021-01-01": 542}  # register vs MSS 2021, kept apart
    assert by_period["2024-12-31"] == {"2021-01-01": 542}
    half_years = [p for p in by_period if p[5:] in ("06-30", "12-31") and p >= "2015-06-30"]
    assert len(half_years) == 20


def test_the_published_changes_stay_as_published(demo_engine):
    """D of MSS 2015 (published) is not overwritten by S(2014) - S(2012) of the same areas."""
    published = pd.read_csv(HISTORY, dtype={"PLR_ID": str})
    row = published[(published.edition == "MSS2015") & (published.KOM == "gültig")].iloc[0]
    with demo_engine.connect() as conn:
        d1 = conn.execute(sa.text("""
            SELECT o.value FROM observation_current o JOIN area a ON a.id = o.area_id
            WHERE a.level_code = 'plr' AND a.key = :key AND o.indicator_code = 'D1' AND o.period = '2014-12-31'
        """), {"key": row.PLR_ID}).scalar_one()
    assert d1 == pytest.approx(row.D1, abs=1e-9)


def test_refused_history_deliveries_name_file_row_and_fix_and_write_nothing(demo_engine, tmp_path):
    """Refused imports roll back: the shared demo database is compared before and after (no private copy)."""
    fresh_engine = demo_engine
    before = table_fingerprint(fresh_engine)
    # 1. the real boundary file of the old LOR with 06010102 twice
    with fresh_engine.connect() as conn:
        report = import_boundaries(conn, BERLIN / "geometry" / "planungsraeume_until_2020.geojson",
                                   BoundaryImportOptions(level="plr", key_field="id", name_field="name",
                                                         valid_from=date(2019, 1, 1), parent_key_length=6),
                                   created_by="test")
    duplicate = [p for p in report.errors if p.value == "06010102"]
    assert duplicate and duplicate[0].file == "planungsraeume_until_2020.geojson"
    assert "occurs 2 times" in duplicate[0].message and duplicate[0].row and duplicate[0].fix and duplicate[0].fix_de
    # 2. register counts of 2019 (448 keys) declared as lying on the boundaries of 31.12.2018 (447 system)
    register = pd.read_csv(BERLIN / "history" / "einwohner_plr_2015_2024_halbjahr.csv", dtype={"PLR_ID": str})
    wrong_system = tmp_path / "einwohner_2019.csv"
    register[register.stand == "2019-06-30"][["PLR_ID", "stand", "EW"]].to_csv(wrong_system, index=False)
    options = ObservationImportOptions(level="plr", layout="wide", key_column="PLR_ID", period_column="stand",
                                       columns={"EW": "EW"}, boundaries_at=date(2018, 12, 31))
    with fresh_engine.connect() as conn:
        report = import_observations(conn, wrong_system, options, created_by="test")
    assert not report.ok
    system = report.errors[0]
    assert system.file == "einwohner_2019.csv" and system.row and system.column == "PLR_ID"
    assert "another key system" in system.message and "2019-01-01" in system.message
    assert "boundaries_at: 2019-01-01" in system.fix and system.message_de and system.fix_de
    assert any(p.value == "09041403" for p in report.errors)  # the key the 447 system does not have
    # 3. a period before any boundary version (no boundaries_at: the period picks the version)
    early = tmp_path / "einwohner_2005.csv"
    register[register.stand == "2015-06-30"][["PLR_ID", "EW"]].assign(stand="2005-12-31").to_csv(early, index=False)
    options = ObservationImportOptions(level="plr", layout="wide", key_column="PLR_ID", period_column="stand",
                                       columns={"EW": "EW"})
    with fresh_engine.connect() as conn:
        report = import_observations(conn, early, options, created_by="test")
    assert not report.ok
    problem = next(p for p in report.errors if "no boundary version valid at 2005-12-31" in p.message)
    assert problem.file == "einwohner_2005.csv" and problem.row and "--boundaries-at" in problem.fix
    assert table_fingerprint(fresh_engine) == before


def test_roll_ups_never_add_two_key_systems_of_the_same_period(demo_engine):
    """31.12.2020 has inhabitants on the 448 areas (register) and on the 542 areas (MSS 2021): the city and the
    boroughs get one of them (the newer boundaries), never the sum of both; 30.06.2019 (448 areas only) sums up."""
    with demo_engine.connect() as conn:
        def city(period):
            return conn.execute(sa.text("""
                SELECT o.value FROM observation_current o JOIN area a ON a.id = o.area_id
                WHERE a.level_code = 'stadt' AND o.indicator_code = 'EW' AND o.period = :p"""), {"p": period}).scalar_one()

        def plr_sum(period, valid_from):
            return conn.execute(sa.text("""
                SELECT sum(o.value) FROM observation_current o JOIN area a ON a.id = o.area_id
                WHERE a.level_code = 'plr' AND a.valid_from = :v AND o.indicator_code = 'EW' AND o.period = :p"""),
                {"p": period, "v": valid_from}).scalar_one()

        assert city("2020-12-31") == pytest.approx(plr_sum("2020-12-31", "2021-01-01"))
        assert 3_600_000 < city("2020-12-31") < 3_800_000
        assert city("2019-06-30") == pytest.approx(plr_sum("2019-06-30", "2019-01-01"))
        assert city("2012-12-31") == pytest.approx(plr_sum("2012-12-31", "2012-01-01"))


def test_a_catalogue_that_would_mix_two_definitions_in_one_series_is_refused(fresh_engine, tmp_path):
    """MSS editions redefine indicators (2019 has no long-term unemployment, S3 counted SGB XII differently
    before): a new definition of a code that has values must say where the two meet (a series break), or use
    its own code. Refused before anything is written, through the set-up manifest and the API alike."""
    import yaml
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.setup import check_manifest
    from tests.conftest import bearer, make_settings

    shipped = yaml.safe_load((Path(__file__).resolve().parent.parent / "indicators" / "catalogues"
                              / "berlin_mss_2021.yaml").read_text())
    s3 = next(i for i in shipped["indicators"] if i["code"] == "S3")
    redefined = {**s3, "denominator_de": "Einwohnerinnen und Einwohner ab 18 Jahren", "weight_indicator": None}
    topic = next(t for t in shipped["topics"] if t["code"] == s3["topic"])
    (tmp_path / "s3_neu.yaml").write_text(yaml.safe_dump(
        {"catalogue": "s3-neu", "version": 1, "topics": [topic], "indicators": [redefined]}, allow_unicode=True))
    (tmp_path / "manifest.yaml").write_text("catalogues: [s3_neu.yaml]\n")
    before = table_fingerprint(fresh_engine)
    checked, report = check_manifest(fresh_engine, tmp_path / "manifest.yaml")
    assert checked is None
    problem = report.errors[0]
    assert problem.column == "catalogues[0].S3.denominator_de" and problem.value == "S3"
    assert "mix two definitions" in problem.message and "series_breaks" in problem.message and problem.message_de
    with TestClient(create_app(make_settings(), engine=fresh_engine)) as api:
        steward = bearer(fresh_engine, "data_steward", "statistikstelle")
        refused = api.patch("/api/indicators/S3", json={"denominator_de": redefined["denominator_de"]},
                            headers=steward)
        assert refused.status_code == 409 and refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["errors"][0]["field"] == "denominator_de" and "Definitionen" in refused.json()["detail_de"]
        assert table_fingerprint(fresh_engine) == before
        assert api.get("/api/indicators/S3").json()["denominator_de"] == s3["denominator_de"]
        renamed = api.patch("/api/indicators/S3", json={"description_de": s3["description_de"] + " (redigiert)"},
                            headers=steward)
        assert renamed.status_code == 200  # a text that does not change what the values mean
        marked = api.patch("/api/indicators/S3", headers=steward, json={
            "denominator_de": redefined["denominator_de"],
            "series_breaks": [{"at": "2021-01-01", "label_de": "neue Definition", "label_en": "new definition"}]})
        assert marked.status_code == 200, marked.text
        assert [b["at"] for b in marked.json()["series_breaks"]] == ["2021-01-01"]
