"""Abuse of the import endpoints: oversized and malicious uploads are refused with problem+json, write
nothing, and never touch files outside the upload's own working directory."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import create_token
from tests.conftest import make_settings, table_fingerprint

LIMIT = 64 * 1024


@pytest.fixture
def steward(fresh_engine):
    with fresh_engine.begin() as conn:
        _id, token = create_token(conn, "steward", "statistics_office", created_by="test")
    settings = make_settings(max_upload_bytes=LIMIT, rate_limit_per_minute=0)
    with TestClient(create_app(settings, engine=fresh_engine)) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def refused(response, *statuses: int) -> dict:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text and "psycopg" not in response.text
    return response.json()


def test_an_upload_over_the_limit_is_refused_by_length_and_while_streaming(steward, fresh_engine):
    before = table_fingerprint(fresh_engine)
    big = b"area;indicator;period;value\n" + b"01100101;EW;2030-12-31;1\n" * (LIMIT // 20)
    body = refused(steward.post("/api/imports/observations", params={"level": "plr", "filename": "big.csv"},
                                content=big), 413)
    assert "larger than" in body["detail"]

    def chunks():
        for start in range(0, len(big), 8192):
            yield big[start:start + 8192]

    refused(steward.post("/api/imports/observations", params={"level": "plr", "filename": "big.csv"},
                         content=chunks()), 413)
    refused(steward.post("/api/imports/observations", params={"level": "plr"},
                         files={"file": ("big.csv", big, "text/csv")}), 413)
    assert table_fingerprint(fresh_engine) == before


@pytest.mark.parametrize("name, content", [
    ("garbage.csv", bytes(range(256)) * 40),
    ("formula.csv", b"area;indicator;period;value\n=cmd|' /C calc'!A0;EW;2030-12-31;1\n"),
    ("inject.csv", b"area;indicator;period;value\n01100101';DROP TABLE observation;--;EW;2030-12-31;1\n"),
    ("huge_field.csv", b"area;indicator;period;value\n" + b"9" * 60_000 + b";EW;2030-12-31;1\n"),
    ("empty.csv", b""),
])
def test_malicious_tables_are_refused_and_write_nothing(steward, fresh_engine, name, content):
    before = table_fingerprint(fresh_engine)
    body = refused(steward.post("/api/imports/observations", params={"level": "plr"},
                                files={"file": (name, content, "text/csv")}), 400, 422)
    assert body["detail"]
    assert table_fingerprint(fresh_engine) == before


def test_path_traversal_in_file_names_stays_inside_the_upload_directory(steward, fresh_engine, tmp_path):
    target = Path("/tmp/dm_traversal_probe.csv")
    target.unlink(missing_ok=True)
    before = table_fingerprint(fresh_engine)
    response = steward.post("/api/imports/observations", params={"level": "plr"},
                            files={"file": ("../../../../tmp/dm_traversal_probe.csv", b"area;indicator;period;value\n"
                                            b"nope;EW;2030-12-31;1\n", "text/csv")})
    assert response.status_code < 500
    assert not target.exists()
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../../../tmp/dm_traversal_probe.shp", b"not a shapefile")
        archive.writestr("../../../../tmp/dm_traversal_probe.csv", b"x")
    response = steward.post("/api/imports/boundaries", params={"level": "plr", "key_field": "id", "name_field": "n",
                                                              "valid_from": "2031-01-01"},
                            files={"file": ("evil.zip", evil.getvalue(), "application/zip")})
    refused(response, 400, 422)
    assert not target.exists() and not Path("/tmp/dm_traversal_probe.shp").exists()
    assert table_fingerprint(fresh_engine) == before


def test_a_zip_bomb_is_refused_without_unpacking_it(steward, fresh_engine):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("bomb.shp", b"\0" * (50 * 1024 * 1024))
    assert len(bomb.getvalue()) < LIMIT
    before = table_fingerprint(fresh_engine)
    response = steward.post("/api/imports/boundaries", params={"level": "plr", "key_field": "id", "name_field": "n",
                                                              "valid_from": "2031-01-01"},
                            files={"file": ("bomb.zip", bomb.getvalue(), "application/zip")})
    refused(response, 400, 413, 422)
    assert table_fingerprint(fresh_engine) == before
