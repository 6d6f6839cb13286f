"""The aggregation commands of the CLI: JSON/CSV results, and one clear error line on bad input."""

import csv
import json
import os
import subprocess
import sys
import uuid

import pytest

CLI = [sys.executable, "-m", "service"]


@pytest.fixture(scope="module")
def database_url(pg_server, demo_template):
    name = f"dm_test_cli_{uuid.uuid4().hex[:8]}"
    url = pg_server.create(name, template=demo_template)
    yield url
    pg_server.drop(name)


def run(url, *args):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200", "DATABASE_URL": url})


def test_radius_prints_estimates_as_json(database_url):
    result = run(database_url, "aggregate", "radius", "--x", "13.405", "--y", "52.52", "--radius", "1000")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["population"]["value"] > 1000
    assert any(e["indicator"] == "S1" for e in body["estimates"])


def test_a_radius_above_50_km_is_one_clear_error_line(database_url):
    result = run(database_url, "aggregate", "radius", "--x", "13.405", "--y", "52.52", "--radius", "60000")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: radius:")


def test_supply_writes_a_csv(database_url, tmp_path):
    out = tmp_path / "supply.csv"
    result = run(database_url, "aggregate", "supply", "--level", "bez", "--csv", str(out))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 12 and all(float(r["supply"]) > 0 for r in rows)


def test_importing_points_without_the_key_field_names_it(database_url, tmp_path):
    path = tmp_path / "p.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"nr": "1"}, "geometry": {"type": "Point", "coordinates": [13.4, 52.5]}}]}))
    result = run(database_url, "import", "points", str(path), "--layer", "probe", "--key-field", "id", "--dry-run")
    assert result.returncode == 1
    assert "the key field 'id' is missing" in result.stderr


def test_programme_create_and_evaluate_writes_csv_and_svg(database_url, tmp_path):
    created = run(database_url, "aggregate", "programme-create", "--id", "qm-cli", "--name", "QM CLI",
                  "--start", "2019-06-30", "--area", "01100101", "--area", "01100102")
    assert created.returncode == 0, created.stderr
    out, svg = tmp_path / "did.csv", tmp_path / "did.svg"
    result = run(database_url, "aggregate", "programme-evaluate", "qm-cli", "--csv", str(out), "--svg", str(svg))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {"S1", "S3", "S4"} <= {r["indicator"] for r in rows}
    assert "<svg" in svg.read_text(encoding="utf-8")
    assert "descriptive" in result.stderr.lower()
