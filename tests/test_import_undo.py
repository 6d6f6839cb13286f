"""Every import can be taken back: `district-monitor import undo BATCH` and `POST /api/imports/{id}/undo` restore
what readers and the statistics office saw before the batch (current values on every level, roll-ups and
disclosure included; boundary versions and corrected outlines), in one audited transaction. Undoing twice, or a
batch that later batches built on, is refused with what to do instead."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import geopandas as gpd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from shapely.geometry import box

from geo.boundaries import BoundaryImportOptions, import_boundaries
from geo.levels import Level, upsert_levels
from indicators.ingest.observations import ObservationImportOptions, import_observations
from service.app import create_app
from tests.conftest import bearer, client_as, make_settings, private_engine

X0, Y0 = 389_000.0, 5_818_000.0  # Berlin-Mitte in EPSG:25833


@pytest.fixture(scope="module")
def database(pg_server, demo_template):
    with private_engine(pg_server, demo_template, "dm_test_undo") as engine:
        with engine.begin() as conn:
            upsert_levels(conn, [Level("tund", "Test Rücknahme", "Test undo", "Test", "Test", 60, None)])
        yield engine


@pytest.fixture(scope="module")
def steward(database):
    with client_as(database, "statistics_office", "statistikstelle") as client:
        yield client


def state(engine) -> dict:
    """What readers and the statistics office see: every current value on every level (roll-ups included),
    the public view after disclosure control, and the boundary versions with their outlines."""
    with engine.connect() as conn:
        def rows(query: str) -> set:
            return {tuple(r) for r in conn.execute(sa.text(query))}
        return {
            "current": rows("""SELECT indicator_code, area_id, period, round(value::numeric, 9), numerator, denominator,
                                      flag, flag_reason FROM observation_current"""),
            "public": rows("""SELECT indicator_code, area_id, period, round(value::numeric, 9), flag, flag_reason
                              FROM observation_public"""),
            "areas": rows("""SELECT id, level_code, key, name, valid_from, valid_to, md5(ST_AsBinary(geom))
                             FROM area"""),
        }


def observations(engine, tmp_path: Path, text: str, name: str = "werte.csv") -> int:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with engine.connect() as conn:
        report = import_observations(conn, path, ObservationImportOptions(level="plr"), created_by="test")
    assert report.ok and report.batch_id, [p.as_text() for p in report.errors]
    return report.batch_id


def undo(client, batch_id: int):
    return client.post(f"/api/imports/{batch_id}/undo")


def test_undoing_an_observation_batch_restores_every_level_and_the_public_view(database, steward, tmp_path):
    before = state(database)
    batch = observations(database, tmp_path, "area;indicator;period;value\n01100101;EW;2022-06-30;3600\n"
                         "01100102;EW;2022-06-30;2000\n01100101;EW;2023-09-30;3650\n")
    changed = state(database)
    assert changed["current"] != before["current"] and changed["public"] != before["public"]
    response = undo(steward, batch)
    assert response.status_code == 200, response.text
    assert response.json() | {"index_runs_removed": []} == {
        "batch_id": batch, "kind": "observations", "file_name": "werte.csv", "rows_removed": 3, "rows_restored": 2,
        "areas_removed": 0, "areas_reopened": 0, "areas_restored": 0, "index_runs_removed": []}
    assert state(database) == before  # roll-ups (Bezirksregion ... Stadt) and disclosure recomputed with it
    with database.connect() as conn:
        audit = conn.execute(sa.text("SELECT actor, role, after FROM audit_log WHERE action = 'import.undone' "
                                     "AND target_id = :id"), {"id": str(batch)}).one()
        listed = conn.execute(sa.text("SELECT undone_at IS NOT NULL, undone_by FROM import_batch WHERE id = :id"),
                              {"id": batch}).one()
    assert audit.actor == "statistikstelle" and audit.after["rows_restored"] == 2
    assert tuple(listed) == (True, "statistikstelle")
    again = undo(steward, batch)
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    assert "undone already" in again.json()["detail"] and "by statistikstelle" in again.json()["detail"]
    assert state(database) == before


def test_a_batch_that_later_batches_built_on_is_refused_until_they_are_undone(database, steward, tmp_path):
    first = observations(database, tmp_path, "area;indicator;period;value\n01100103;EW;2024-06-30;100\n", "a.csv")
    second = observations(database, tmp_path, "area;indicator;period;value\n01100103;EW;2024-06-30;110\n", "b.csv")
    refused = undo(steward, first)
    assert refused.status_code == 409
    assert f"later imports replaced values it brought (batch {second}); undo those first" in refused.json()["detail"]
    assert undo(steward, second).status_code == 200
    with database.connect() as conn:
        value = conn.execute(sa.text("""SELECT o.value FROM observation_current o JOIN area a ON a.id = o.area_id
                                        WHERE a.key = '01100103' AND o.indicator_code = 'EW'
                                          AND o.period = '2024-06-30'""")).scalar()
    assert value == 100.0
    assert undo(steward, first).status_code == 200


def test_undo_needs_the_statistics_office_and_an_existing_undoable_batch(database, steward):
    with TestClient(create_app(make_settings(), engine=database)) as anonymous:
        assert anonymous.post("/api/imports/1/undo").status_code == 401
        for role in ("editor", "data_steward"):
            assert anonymous.post("/api/imports/1/undo", headers=bearer(database, role)).status_code == 403
    missing = undo(steward, 987654)
    assert missing.status_code == 404 and "no import batch 987654" in missing.json()["detail"]
    with database.connect() as conn:
        points = conn.execute(sa.text("SELECT min(id) FROM import_batch WHERE kind = 'points'")).scalar()
    refused = undo(steward, points)
    assert refused.status_code == 409 and "import the previous file again" in refused.json()["detail"]


def squares(path: Path, boxes: list) -> Path:
    frame = gpd.GeoDataFrame({"key": [f"U{i + 1}" for i in range(len(boxes))],
                              "name": [f"Gebiet {i + 1}" for i in range(len(boxes))]}, geometry=boxes, crs="EPSG:25833")
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def boundaries(engine, path: Path, valid_from: date) -> int:
    with engine.connect() as conn:
        report = import_boundaries(conn, path, BoundaryImportOptions(level="tund", key_field="key", name_field="name",
                                                                     valid_from=valid_from), created_by="test")
    assert report.ok and report.batch_id, [p.as_text() for p in report.errors]
    return report.batch_id


def test_undoing_boundary_batches_restores_versions_and_corrected_outlines(database, steward, tmp_path):
    v2020 = boundaries(database, squares(tmp_path / "v2020.geojson", [box(X0, Y0, X0 + 1000, Y0 + 1000)]),
                       date(2020, 1, 1))
    values = tmp_path / "ew.csv"
    values.write_text("area;indicator;period;value\nU1;EW;2020-12-31;100\n")
    with database.connect() as conn:
        attached = import_observations(conn, values, ObservationImportOptions(level="tund"), created_by="test")
    assert attached.ok
    before_new_version = state(database)
    v2024 = boundaries(database, squares(tmp_path / "v2024.geojson", [box(X0, Y0, X0 + 1500, Y0 + 1000)]),
                       date(2024, 1, 1))
    before_correction = state(database)
    corrected = boundaries(database, squares(tmp_path / "v2024b.geojson", [box(X0, Y0, X0 + 1400, Y0 + 1000)]),
                           date(2024, 1, 1))
    refused = undo(steward, v2024)
    assert refused.status_code == 409 and "later boundary imports changed its areas" in refused.json()["detail"]
    restored = undo(steward, corrected)
    assert restored.status_code == 200, restored.text
    assert restored.json()["areas_restored"] == 1
    assert state(database) == before_correction  # the 2024 outline as it was
    result = undo(steward, v2024).json()
    assert (result["areas_removed"], result["areas_reopened"]) == (1, 1)
    assert state(database) == before_new_version  # 2020 open again, its value still attached
    refused = undo(steward, v2020)
    assert refused.status_code == 409
    assert f"values are attached to areas it created (batch {attached.batch_id})" in refused.json()["detail"]


def test_the_command_line_undoes_a_batch_and_is_audited_as_the_os_user(pg_server, demo_template, tmp_path):
    with private_engine(pg_server, demo_template, "dm_test_undo_cli") as engine:
        before = state(engine)
        batch = observations(engine, tmp_path, "area;indicator;period;value\n01100101;EW;2022-06-30;3700\n")
        url = engine.url.render_as_string(hide_password=False)

        def cli(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "-m", "service", "import", "undo", *args], capture_output=True,
                                  text=True, timeout=300, env={**os.environ, "DATABASE_URL": url, "COLUMNS": "200"})

        done = cli(str(batch))
        assert done.returncode == 0, done.stderr
        assert f"batch {batch} (werte.csv) undone: 1 values removed, 1 restored" in done.stderr
        assert state(engine) == before
        twice = cli(str(batch))
        assert twice.returncode == 2 and "undone already" in twice.stderr and "Traceback" not in twice.stderr
        with engine.connect() as conn:
            actors = conn.execute(sa.text("SELECT actor FROM audit_log WHERE action = 'import.undone'")).scalars().all()
        assert actors == [f"cli:{getpass.getuser()}"]
