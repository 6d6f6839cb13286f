"""The command line imports through the same functions and option checks as the HTTP API: a dry run reports and
writes nothing, a refused file lists row, column and fix, a malformed option is one clear line; never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from service.db import create_engine
from tests.conftest import make_settings, table_fingerprint

BAD = Path(__file__).resolve().parent / "data" / "bad"


@pytest.fixture(scope="module")
def database(pg_server, demo_template):
    name = f"dm_test_cli_imp_{uuid.uuid4().hex[:8]}"
    url = pg_server.create(name, template=demo_template)
    engine = create_engine(url, make_settings())
    yield url, engine
    engine.dispose()
    pg_server.drop(name)


def cli(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service", "import", *args], capture_output=True, text=True, check=False,
                          timeout=300, env={**os.environ, "DATABASE_URL": url, "COLUMNS": "200"})


def test_a_dry_run_on_the_command_line_reports_and_writes_nothing(database, tmp_path):
    url, engine = database
    path = tmp_path / "s1.csv"
    path.write_text("area;indicator;period;value\n01100101;S1;2024-12-31;5,0\n01100102;S1;2024-12-31;-\n")
    before = table_fingerprint(engine)
    result = cli(url, "observations", str(path), "--level", "plr", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "2 rows read, 2 written" in result.stderr and "dry run, nothing written" in result.stderr
    assert table_fingerprint(engine) == before


def test_a_refused_file_lists_row_column_and_fix(database):
    url, engine = database
    before = table_fingerprint(engine)
    result = cli(url, "observations", str(BAD / "share_above_100.csv"), "--level", "plr")
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout
    assert "share outside 0-100" in result.stderr and "refused, nothing written" in result.stderr
    assert "112,5" in result.stderr
    assert table_fingerprint(engine) == before


@pytest.mark.parametrize("args, words", [
    (["--missing", "-9999=vielleicht"], "--missing"),
    (["--layout", "schraeg"], "--layout"),
    (["--boundaries-at", "morgen"], "--boundaries-at"),
])
def test_a_malformed_option_is_one_clear_line(database, args, words):
    url, _engine = database
    result = cli(url, "observations", str(BAD / "share_above_100.csv"), "--level", "plr", *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and words in errors[0]


def test_boundaries_on_the_command_line(database, tmp_path):
    url, engine = database
    result = cli(url, "boundaries", str(BAD / "shapefile_without_crs.zip"), "--level", "bez", "--key-field", "id",
                 "--name-field", "name", "--parent-key", "11", "--valid-from", "2030-01-01", "--dry-run")
    assert result.returncode == 1 and "--crs EPSG:25833" in result.stderr
    result = cli(url, "boundaries", str(BAD / "shapefile_without_crs.zip"), "--level", "bez", "--key-field", "id",
                 "--name-field", "name", "--parent-key", "11", "--valid-from", "2030-13-01")
    assert result.returncode == 2 and "--valid-from" in result.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM area WHERE valid_from >= '2030-01-01'")).scalar_one() == 0
