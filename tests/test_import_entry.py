"""The one import entry point: the shipped Kita layer (1.9 MB, more than the 1 MiB limit of a JSON body)
uploads over real HTTP to `POST /api/layers/points/{layer}` and is stored; every upload route is held to the
one upload limit (DM_MAX_UPLOAD_BYTES), by the body-size middleware and by the route; every kind is in the
registry that the CLI and the HTTP API share, with one option parser."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from indicators.ingest.kinds import IMPORT_KINDS
from indicators.ingest.options import OptionError
from service.settings import PROJECT_ROOT
from tests.conftest import bearer, serving

KITAS = PROJECT_ROOT / "data" / "demo" / "berlin" / "facilities" / "kitas.geojson"
KITA_FIELDS = {"key_field": "e_nr", "name_field": "e_name", "name_de": "Kindertagesstätten"}


def test_the_shipped_kita_file_uploads_over_http_and_its_points_are_stored(fresh_engine):
    assert KITAS.stat().st_size > 1024 * 1024  # larger than a JSON body may be: the limit that answered 413
    with fresh_engine.connect() as conn:
        shipped = conn.execute(sa.text("SELECT count(*) FROM point_feature WHERE layer_code = 'kitas'")).scalar_one()
    assert shipped > 1000
    headers = bearer(fresh_engine, "data_steward")
    with serving(fresh_engine, rate_limit_per_minute=0) as url, httpx.Client(base_url=url, timeout=120) as http:
        with KITAS.open("rb") as handle:
            response = http.post("/api/layers/points/kitas_upload", headers=headers, data=KITA_FIELDS,
                                 files={"file": ("kitas.geojson", handle, "application/geo+json")})
    assert response.status_code == 200, response.text[:500]
    report = response.json()
    assert report["ok"] and report["batch_id"] is not None and report["rows_written"] == shipped
    with fresh_engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*), count(DISTINCT key) FROM point_feature "
                                      "WHERE layer_code = 'kitas_upload'")).one()
        audited = conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = 'import.points' "
                                       "AND target_id = :batch"), {"batch": str(report["batch_id"])}).scalar_one()
    assert tuple(stored) == (shipped, shipped)
    assert audited == 1


@pytest.mark.parametrize("path, fields", [
    ("/api/layers/points/kitas_upload", KITA_FIELDS),
    ("/api/layers/grid/zensus_upload", {}),
    ("/api/imports/observations", {"level": "plr"}),
    ("/api/imports/boundaries", {"level": "plr", "key_field": "a", "name_field": "b", "valid_from": "2024-01-01"}),
])
def test_every_upload_route_has_the_one_upload_limit(fresh_engine, path, fields):
    """Below the limit a 1.9 MB upload gets through to the import; above it, 413 from the middleware (declared
    length) as from the route (streamed)."""
    headers = bearer(fresh_engine, "statistics_office")
    limit = KITAS.stat().st_size - 1
    with serving(fresh_engine, rate_limit_per_minute=0, max_upload_bytes=limit) as url, \
            httpx.Client(base_url=url, timeout=120) as http:
        refused = http.post(path, headers=headers, data={**fields, "dry_run": "true"},
                            files={"file": ("kitas.geojson", KITAS.read_bytes(), "application/geo+json")})
        assert refused.status_code == 413, refused.text[:300]
        assert refused.headers["content-type"] == "application/problem+json"

        def chunks():  # no Content-Length: the limit holds while the body streams in
            data = KITAS.read_bytes()
            for start in range(0, len(data), 64 * 1024):
                yield data[start:start + 64 * 1024]

        streamed = http.post(path, headers=headers, params={**fields, "dry_run": "true", "filename": "k.geojson"},
                             content=chunks())
        assert streamed.status_code == 413, streamed.text[:300]
    with serving(fresh_engine, rate_limit_per_minute=0) as url, httpx.Client(base_url=url, timeout=120) as http:
        accepted = http.post(path, headers=headers, data={**fields, "dry_run": "true"},
                             files={"file": ("kitas.geojson", KITAS.read_bytes(), "application/geo+json")})
    assert accepted.status_code in (200, 422), accepted.text[:300]  # read and reported, never refused by size


def test_json_writes_keep_the_small_body_limit(fresh_engine):
    headers = bearer(fresh_engine, "admin")
    with serving(fresh_engine, rate_limit_per_minute=0) as url, httpx.Client(base_url=url, timeout=60) as http:
        response = http.post("/api/aggregate/polygon", headers={**headers, "Content-Type": "application/json"},
                             content=b"[" + b"0," * (600 * 1024) + b"0]")
    assert response.status_code == 413


def test_the_registry_knows_every_kind_with_one_option_parser():
    assert set(IMPORT_KINDS) == {"boundaries", "territorial_changes", "observations", "points", "grid", "polygons",
                                 "addresses"}
    assert {k.role for k in IMPORT_KINDS.values()} <= {"statistics_office", "data_steward"}
    for kind in IMPORT_KINDS.values():
        with pytest.raises(OptionError) as refused:
            kind.parse({"no_such_option": ["1"]})
        assert refused.value.field == "no_such_option"
    options = IMPORT_KINDS["observations"].parse({"level": ["plr"], "decimal": [","], "thousands": ["."],
                                                  "column": ["Arbeitslose=S1", "Kinder=S2"]})
    assert (options.decimal, options.thousands, options.columns) == (",", ".", {"Arbeitslose": "S1", "Kinder": "S2"})
    with pytest.raises(OptionError) as same:
        IMPORT_KINDS["observations"].parse({"level": ["plr"], "decimal": ["."], "thousands": ["."]})
    assert same.value.field == "thousands"
    with pytest.raises(OptionError) as flag:
        IMPORT_KINDS["boundaries"].parse({"level": ["plr"], "key_field": ["k"], "name_field": ["n"],
                                          "valid_from": ["2024-01-01"], "allow_gaps": ["vielleicht"]})
    assert flag.value.field == "allow_gaps"
    grid = IMPORT_KINDS["grid"].parse({"layer": ["zensus"], "variable": ["EW", "HH"]})
    assert grid.variables == ("EW", "HH")
