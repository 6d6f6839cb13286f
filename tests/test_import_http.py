"""Imports over HTTP use the CLI's code path: dry run reports and writes nothing, an import is one audited batch
(file name, sha256, who, when, row counts), re-importing changes nothing, a corrected file supersedes and the
superseded values stay retrievable in the area's history."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.app import create_app
from tests.conftest import bearer, make_settings, private_engine, table_fingerprint

FIRST = ("area;indicator;period;value;numerator;denominator\n"
         "01100101;S1;2023-12-31;5,0;10;200\n01100102;S1;2023-12-31;2,5;5;200\n01100103;S1;2023-12-31;.;;\n")
CORRECTED = FIRST.replace("01100102;S1;2023-12-31;2,5;5;200", "01100102;S1;2023-12-31;3,0;6;200")


@pytest.fixture(scope="module")
def engine(pg_server, demo_template):
    with private_engine(pg_server, demo_template, "dm_test_http") as engine:
        yield engine


@pytest.fixture(scope="module")
def api(engine):
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        yield client


@pytest.fixture(scope="module")
def steward(engine) -> dict[str, str]:
    return bearer(engine, "statistics_office", "statistikstelle")


def upload(api, steward, text: str, name: str = "s1_2023.csv", dry_run: bool = False, **options):
    return api.post(f"/api/imports/observations?dry_run={str(dry_run).lower()}",
                    files={"file": (name, text.encode("utf-8"), "text/csv")}, data={"level": "plr", **options},
                    headers=steward)


def test_the_whole_life_of_an_import(api, steward, engine):
    # 1. dry run: the full report, nothing written
    before = table_fingerprint(engine)
    response = upload(api, steward, FIRST, dry_run=True)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["ok"] and report["dry_run"] and report["rows_written"] == 3 and report["batch_id"] is None
    assert table_fingerprint(engine) == before

    # 2. the import: one batch with file name, sha256, who and counts, and an audit record
    response = upload(api, steward, FIRST)
    assert response.status_code == 201, response.text
    first_batch = response.json()["batch_id"]
    batch = api.get(response.headers["location"], headers=steward).json()
    assert batch["file_name"] == "s1_2023.csv" and batch["created_by"] == "statistikstelle"
    assert batch["sha256"] == hashlib.sha256(FIRST.encode()).hexdigest()
    assert (batch["rows_read"], batch["rows_written"], batch["rows_superseded"]) == (3, 3, 0)
    with engine.connect() as conn:
        audit = conn.execute(sa.text("SELECT action, actor, after FROM audit_log WHERE target_type = 'import_batch' "
                                     "AND target_id = :id"), {"id": str(first_batch)}).one()
    assert audit.action == "import.observations" and audit.actor == "statistikstelle"
    assert audit.after["sha256"] == batch["sha256"]

    # 3. the same file again changes nothing, not even a batch
    unchanged = table_fingerprint(engine)
    response = upload(api, steward, FIRST)
    assert response.status_code == 200 and response.json()["rows_unchanged"] == 3
    assert response.json()["batch_id"] is None
    assert table_fingerprint(engine) == unchanged

    # 4. a corrected file supersedes exactly the changed value
    response = upload(api, steward, CORRECTED, name="s1_2023_korrigiert.csv")
    assert response.status_code == 201
    corrected = response.json()
    assert (corrected["rows_written"], corrected["rows_superseded"], corrected["rows_unchanged"]) == (1, 1, 2)
    assert api.get("/api/areas/01100102", headers=steward).json()["values"][0]["period"] == "2023-12-31"

    # 5. the history keeps both versions with their batches
    history = api.get("/api/areas/01100102/history?indicator=S1&period=2023-12-31", headers=steward).json()["history"]
    assert [(h["value"], h["status"], h["file_name"]) for h in history] == [
        (3.0, "current", "s1_2023_korrigiert.csv"), (2.5, "superseded", "s1_2023.csv")]
    assert history[1]["superseded_by_batch"] == corrected["batch_id"]
    assert history[1]["superseded_by_file"] == "s1_2023_korrigiert.csv"
    csv_text = api.get("/api/areas/01100102/history?indicator=S1&period=2023-12-31&f=csv", headers=steward).text
    assert csv_text.splitlines()[0].startswith("indicator,period,value") and len(csv_text.splitlines()) == 3


def test_history_for_readers_hides_who_imported(api, steward):
    upload(api, steward, FIRST)
    history = api.get("/api/areas/01100101/history?indicator=S1").json()["history"]
    assert history and all(h["imported_by"] is None for h in history)


def test_history_of_an_unknown_area_or_indicator_is_a_404(api):
    assert api.get("/api/areas/99999999/history").status_code == 404
    assert api.get("/api/areas/01100101/history?indicator=NOPE").status_code == 404


def test_a_refused_import_over_http_lists_every_problem_with_row_column_value_and_fix(api, steward, engine):
    before = table_fingerprint(engine)
    bad = FIRST + "01100104;S1;2023-12-31;zwölf;;\n99999999;S1;2023-12-31;1,0;;\n"
    response = upload(api, steward, bad)
    assert response.status_code == 422
    problems = response.json()["report"]["problems"]
    assert {(p["row"], p["column"], p["value"]) for p in problems} >= {(5, "value", "zwölf"), (6, "area", "99999999")}
    assert all(p["fix"] for p in problems)
    assert table_fingerprint(engine) == before


def test_the_raw_body_with_a_filename_works_like_a_multipart_upload(api, steward):
    response = api.post("/api/imports/observations?level=plr&dry_run=true&filename=roh.csv",
                        content=FIRST.encode(), headers={**steward, "Content-Type": "text/csv"})
    assert response.status_code == 200 and response.json()["file"] == "roh.csv"


def test_a_path_in_the_uploaded_file_name_is_dropped(api, steward):
    response = api.post("/api/imports/observations?dry_run=true", files={"file": ("../../etc/s1.csv", FIRST.encode())},
                        data={"level": "plr"}, headers=steward)
    assert response.status_code == 200 and response.json()["file"] == "s1.csv"


def test_import_batches_are_listed_for_editors(api, steward):
    listing = api.get("/api/imports?kind=observations", headers=steward).json()["batches"]
    assert listing and {"file_name", "sha256", "created_by", "created_at", "rows_written"} <= set(listing[0])
    assert api.get("/api/imports").status_code == 401
    assert api.get("/api/imports/999999", headers=steward).status_code == 404
