"""Setting a municipality up from a manifest (docs/setup.md): the command line into a new database, a manifest
with errors (clear messages, nothing written), the admin API (ZIP upload, unpacked safely), levels and catalogues
one at a time."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from fastapi.testclient import TestClient

from service.app import create_app
from service.db import create_engine
from tests.conftest import bearer, make_settings, table_fingerprint
from tests.test_cli import run_cli


def cli(url: str, *args: str):
    """The command line in this process (a subprocess costs seconds of imports): exit code and what it printed."""
    import os

    from typer.testing import CliRunner

    from service.cli import app
    from service.settings import get_settings

    from service.cli_common import console

    before = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    width = console._width  # the console was made when service.cli was first imported, maybe by another test
    console.width = 300  # wide, so that no table cell wraps a message
    try:
        result = CliRunner().invoke(app, list(args), env={"COLUMNS": "300"})
    finally:
        console._width = width
        if before is None:
            del os.environ["DATABASE_URL"]
        else:
            os.environ["DATABASE_URL"] = before
        get_settings.cache_clear()
    return result

X0, Y0 = 13.05, 52.38  # a small town near Potsdam, in the default import extent (Germany)


def square(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def features(items: list[tuple[str, str, dict]]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"key": key, "name": name}, "geometry": geometry}
        for key, name, geometry in items]})


CATALOGUE = {
    "catalogue": "kleinstadt", "version": 1,
    "topics": [{"code": "bevoelkerung", "name_de": "Bevölkerung", "name_en": "Population"}],
    "indicators": [{"code": "EINW", "name_de": "Einwohner", "name_en": "Inhabitants", "topic": "bevoelkerung",
                    "role": "population", "kind": "count", "unit": "Personen", "direction": "neutral",
                    "aggregation": "sum"}],
}
MANIFEST = {
    "name": "kleinstadt",
    "title_de": "Kleinstadt",
    "storage_crs": "EPSG:25833",
    "levels": [
        {"code": "gemeinde", "name_de": "Gemeinde", "name_en": "Municipality", "plural_de": "Gemeinden",
         "plural_en": "Municipalities", "rank": 10, "parent_code": None, "key_length": 8},
        {"code": "ortsteil", "name_de": "Ortsteil", "name_en": "Locality", "plural_de": "Ortsteile",
         "plural_en": "Localities", "rank": 5, "parent_code": "gemeinde", "key_length": 11},
    ],
    "catalogues": ["katalog.yaml"],
    "boundaries": [
        {"file": "gemeinde.geojson", "level": "gemeinde", "key_field": "key", "name_field": "name",
         "valid_from": "2024-01-01"},
        {"file": "ortsteile.geojson", "level": "ortsteil", "key_field": "key", "name_field": "name",
         "parent_key_length": 8, "valid_from": "2024-01-01"},
    ],
    "observations": [
        {"file": "einwohner.csv", "level": "ortsteil", "layout": "wide", "key_column": "schluessel",
         "period": "2024-12-31", "columns": {"Einwohner": "EINW"}},
    ],
}


def write_town(folder: Path, manifest: dict = MANIFEST, key: str = "12054999", dx: float = 0.0,
               people: tuple[int, int] = (1200, 850)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    x0 = X0 + dx
    (folder / "gemeinde.geojson").write_text(features([
        (key, "Kleinstadt", square(x0, Y0, x0 + 0.04, Y0 + 0.02))]), encoding="utf-8")
    (folder / "ortsteile.geojson").write_text(features([
        (f"{key}001", "Altstadt", square(x0, Y0, x0 + 0.02, Y0 + 0.02)),
        (f"{key}002", "Neustadt", square(x0 + 0.02, Y0, x0 + 0.04, Y0 + 0.02))]), encoding="utf-8")
    (folder / "einwohner.csv").write_text(f"schluessel;Einwohner\n{key}001;{people[0]}\n{key}002;{people[1]}\n",
                                          encoding="utf-8")
    (folder / "katalog.yaml").write_text(yaml.safe_dump(CATALOGUE, allow_unicode=True), encoding="utf-8")
    path = folder / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def town_db(pg_server, tmp_path_factory):
    """A new, empty database set up from the small manifest by `district-monitor load` (once per module)."""
    name = "dm_test_setup_town"
    url = pg_server.create(name)
    manifest = write_town(tmp_path_factory.mktemp("town"))
    dry = cli(url, "load", str(manifest), "--dry-run")
    loaded = run_cli("load", str(manifest), env={"DATABASE_URL": url}, timeout=180)
    engine = create_engine(url, make_settings())
    yield engine, url, manifest, dry, loaded
    engine.dispose()
    pg_server.drop(name)


def test_the_command_line_sets_a_new_database_up_from_a_manifest(town_db):
    engine, _url, _manifest, dry, loaded = town_db
    assert dry.exit_code == 0, dry.output
    assert "dry run, nothing written" in dry.stderr
    assert loaded.returncode == 0, loaded.stderr
    assert "Traceback" not in loaded.stderr and "loaded;" in loaded.stderr
    with engine.connect() as conn:
        areas = dict(conn.execute(sa.text("SELECT key, parent_key FROM area ORDER BY key")).all())
        levels = dict(conn.execute(sa.text("SELECT code, parent_code FROM area_level")).all())
        values = dict(conn.execute(sa.text("""
            SELECT a.key, o.value FROM observation o JOIN area a ON a.id = o.area_id
            WHERE o.indicator_code = 'EINW' AND o.superseded_at IS NULL""")).all())
        srid = conn.execute(sa.text("SELECT value FROM dm_setting WHERE key = 'storage_srid'")).scalar_one()
        audited = conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE action LIKE 'import.%' "
                                       "OR action = 'setup.definitions'")).scalar_one()
    assert levels == {"gemeinde": None, "ortsteil": "gemeinde"}
    assert areas == {"12054999": None, "12054999001": "12054999", "12054999002": "12054999"}
    assert values["12054999001"] == 1200 and values["12054999002"] == 850
    assert values["12054999"] == 2050  # rolled up by the ordinary roll-up rule (sum)
    assert int(srid) == 25833  # the manifest's storage CRS for the new database
    assert audited == 4  # definitions and three files


def test_loading_the_manifest_again_changes_nothing(town_db):
    engine, url, manifest, _dry, _loaded = town_db
    before = table_fingerprint(engine)
    again = cli(url, "load", str(manifest))
    assert again.exit_code == 0, again.output
    after = table_fingerprint(engine)
    assert {k: v for k, v in after.items() if k != "indicator"} == {k: v for k, v in before.items() if k != "indicator"}
    assert "0 rows written" in again.stderr  # definitions are upserted again (their updated_at), nothing else


def test_a_manifest_with_errors_names_key_and_fix_and_writes_nothing(town_db, tmp_path):
    engine, url, _manifest, _dry, _loaded = town_db
    broken = json.loads(json.dumps(MANIFEST))
    broken["levels"][1]["code"] = "ortsteile_neu"
    broken["boundaries"][1]["file"] = "fehlt.geojson"  # missing file
    broken["boundaries"][1]["level"] = "quartier"  # unknown level
    broken["observations"][0]["columns"] = {"Einwohner": "UNBEKANNT"}  # unknown indicator
    broken["boundary"] = []  # a typo of a top-level key
    path = write_town(tmp_path / "broken", broken)
    before = table_fingerprint(engine)
    result = cli(url, "load", str(path))
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    out = " ".join(result.stderr.split())  # Rich wraps at the terminal's width (longer tmp paths under xdist)
    assert "boundary" in out and "remove it or use one of" in out
    assert table_fingerprint(engine) == before
    del broken["boundary"]
    path.write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")
    result = run_cli("load", str(path), env={"DATABASE_URL": url, "COLUMNS": "400"}, timeout=180)
    out = result.stderr
    assert result.returncode == 1 and "Traceback" not in out
    for expected in ("boundaries[1].file", "file not found", "boundaries[1].level", "unknown level 'quartier'",
                     "declare it under levels:", "observations[0].columns", "unknown indicator 'UNBEKANNT'",
                     "refused, nothing written"):
        assert expected in out, (expected, out)
    assert table_fingerprint(engine) == before


def test_the_check_reports_in_german_too(tmp_path):
    from service.setup import check_manifest

    broken = json.loads(json.dumps(MANIFEST))
    broken["boundaries"][0]["valid_from"] = "gestern"
    checked, report = check_manifest(None, write_town(tmp_path, broken))
    assert checked is None
    problem = report.errors[0]
    assert problem.column == "boundaries[0].valid_from" and "YYYY-MM-DD" in problem.message
    assert problem.message_de and problem.fix_de


def zipped(folder: Path, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def admin_client(town_db):
    engine = town_db[0]
    with TestClient(create_app(make_settings(max_upload_bytes=2 << 20), engine=engine)) as client:
        yield client, engine


ZIP = {"Content-Type": "application/zip"}


def second_town(folder: Path) -> Path:
    """The neighbouring town delivered as a partial set-up: same levels, its own areas (complete: false keeps the
    first town's areas current)."""
    manifest = json.loads(json.dumps(MANIFEST))
    for item in manifest["boundaries"]:
        item["complete"] = False
    return write_town(folder, manifest, key="12054998", dx=0.04, people=(300, 400))


def test_an_admin_sets_up_over_http_from_a_zip(admin_client, tmp_path):
    client, engine = admin_client
    body = zipped(second_town(tmp_path / "town2").parent)
    assert client.post("/api/admin/setup", content=body, headers=ZIP).status_code == 401
    steward = bearer(engine, "data_steward")
    assert client.post("/api/admin/setup", content=body, headers={**ZIP, **steward}).status_code == 403
    admin = {**ZIP, **bearer(engine, "admin")}
    dry = client.post("/api/admin/setup?dry_run=true", content=body, headers=admin)
    assert dry.status_code == 200, dry.text
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM area WHERE key LIKE '12054998%'")).scalar_one() == 0
    done = client.post("/api/admin/setup", content=body, headers=admin)
    assert done.status_code == 201, done.text
    assert done.json()["rows_written"] > 0
    with engine.connect() as conn:
        current = conn.execute(sa.text("SELECT count(*) FROM area WHERE level_code = 'ortsteil' "
                                       "AND valid_to IS NULL")).scalar_one()
    assert current == 4
    area = client.get("/api/areas/12054998", headers=bearer(engine, "reader"))
    assert area.status_code == 200 and area.json()["level"] == "gemeinde"
    assert {v["value"] for v in area.json()["values"] if v.get("indicator", v.get("code")) == "EINW"} == {700}


@pytest.mark.parametrize("member", ["../boese.yaml", "/etc/boese.yaml", "sub/../../boese.yaml", "C:\\boese.yaml"])
def test_an_archive_with_paths_leading_outside_is_refused(admin_client, tmp_path, member):
    client, engine = admin_client
    body = zipped(write_town(tmp_path / "town").parent, {member: b"x: 1\n"})
    answer = client.post("/api/admin/setup", content=body, headers={**ZIP, **bearer(engine, "admin")})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_manifest_naming_files_outside_the_archive_is_refused(admin_client, tmp_path):
    client, engine = admin_client
    outside = json.loads(json.dumps(MANIFEST))
    outside["boundaries"][0]["file"] = "../../../../etc/passwd"
    outside["catalogues"] = ["berlin_mss_2021"]  # shipped catalogues by name: command line only
    before = table_fingerprint(engine)
    body = zipped(write_town(tmp_path / "town", outside).parent)
    answer = client.post("/api/admin/setup", content=body, headers={**ZIP, **bearer(engine, "admin")})
    assert answer.status_code == 422
    columns = {p["column"] for p in answer.json()["report"]["problems"]}
    assert {"boundaries[0].file", "catalogues[0]"} <= columns
    assert table_fingerprint(engine) == before


def test_an_archive_above_the_upload_limit_is_refused(admin_client, tmp_path):
    client, engine = admin_client
    big = zipped(write_town(tmp_path / "town").parent, {"gross.bin": bytes(3 << 20)})
    answer = client.post("/api/admin/setup", content=big, headers={**ZIP, **bearer(engine, "admin")})
    assert answer.status_code == 413
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.yaml", b"levels: []\n")
        archive.writestr("bombe.csv", bytes(1 << 20))  # within the limit, but 1000-fold compressed
    answer = client.post("/api/admin/setup", content=bomb.getvalue(), headers={**ZIP, **bearer(engine, "admin")})
    assert answer.status_code == 400 and "ZIP bomb" in answer.json()["detail"]


def test_levels_and_catalogues_one_at_a_time(admin_client):
    client, engine = admin_client
    admin = bearer(engine, "admin")
    level = {"name_de": "Wohnblock", "name_en": "Block", "plural_de": "Wohnblöcke", "rank": -1}
    assert client.put("/api/admin/levels/block", json=level, headers=admin).status_code == 400  # rank >= 0
    level["rank"], level["parent_code"] = 0, "gibtsnicht"
    answer = client.put("/api/admin/levels/block", json=level, headers=admin)
    assert answer.status_code == 422 and "unknown parent level" in answer.json()["detail"]
    level["parent_code"], level["rank"] = "ortsteil", 7
    answer = client.put("/api/admin/levels/block", json=level, headers=admin)
    assert answer.status_code == 422 and "lower rank" in answer.json()["detail"]  # ortsteil has rank 5
    level["parent_code"], level["rank"] = "gemeinde", 5
    answer = client.put("/api/admin/levels/block", json=level, headers=admin)
    assert answer.status_code == 422 and "rank 5 is taken by level 'ortsteil'" in answer.json()["detail"]
    level["parent_code"] = "ortsteil"
    level["rank"] = 3
    assert client.put("/api/admin/levels/wohnblock", json=level, headers=admin).status_code == 200
    levels = client.get("/api/admin/levels", headers=admin).json()["levels"]
    assert {row["code"]: row["key_length"] for row in levels}["ortsteil"] == 11  # from the data
    catalogue = yaml.safe_dump(CATALOGUE, allow_unicode=True).encode()
    assert client.post("/api/admin/catalogues?dry_run=true", content=catalogue, headers=admin).status_code == 200
    done = client.post("/api/admin/catalogues", content=catalogue, headers=admin)
    assert done.status_code == 201 and done.json()["indicators"] == ["EINW"]
    assert client.get("/api/indicators/EINW").status_code == 200
    bad = client.post("/api/admin/catalogues", content=b"catalogue: x\nversion: 1\ntopics: []\nindicators: [{}]\n",
                      headers=admin)
    assert bad.status_code == 422 and "indicators.0" in bad.json()["detail"]


def test_level_and_catalogue_commands(town_db, tmp_path):
    _engine, url, _manifest, _dry, _loaded = town_db
    added = cli(url, "level", "add", "block", "--name-de", "Baublock", "--name-en", "Block", "--rank", "1",
                "--parent", "ortsteil", "--key-length", "14")
    assert added.exit_code == 0, added.output
    wrong = cli(url, "level", "add", "hof", "--name-de", "Hof", "--name-en", "Yard", "--rank", "0",
                "--parent", "ortsteil", "--key-length", "4")
    assert wrong.exit_code == 2 and "key_length" in wrong.stderr
    taken = cli(url, "level", "add", "hof", "--name-de", "Hof", "--name-en", "Yard", "--rank", "1",
                "--parent", "ortsteil")
    assert taken.exit_code == 2 and "rank 1 is taken by level 'block'" in taken.stderr
    listed = cli(url, "level", "list")
    assert "block" in listed.stderr and "ortsteil" in listed.stderr
    path = tmp_path / "katalog.yaml"
    path.write_text(yaml.safe_dump({**CATALOGUE, "version": 2}, allow_unicode=True), encoding="utf-8")
    assert cli(url, "catalogue", "add", str(path)).exit_code == 0
    path.write_text("catalogue: x\n", encoding="utf-8")
    refused = cli(url, "catalogue", "add", str(path))
    assert refused.exit_code == 2 and "version" in refused.stderr


def test_keys_of_the_wrong_length_are_found_before_anything_is_imported(tmp_path):
    from service.setup import check_manifest

    path = write_town(tmp_path)
    (tmp_path / "einwohner.csv").write_text("schluessel;Einwohner\n12054999001;1200\n2054999002;850\n",
                                            encoding="utf-8")
    checked, report = check_manifest(None, path)
    assert checked is None
    problem = report.errors[0]
    assert problem.column == "observations[0]" and problem.row == 2 and problem.value == "2054999002"
    assert "leading zero" in problem.fix and "führende Null" in problem.fix_de


def test_comparison_groups_of_the_manifest_are_checked_with_the_manifest(tmp_path):
    from service.setup import check_manifest

    broken = json.loads(json.dumps(MANIFEST))
    broken["comparison_groups"] = [
        {"id": "nachbarn", "level": "quartier", "name_de": "Nachbarn", "area_keys": ["1", "2"]},
        {"id": "beides", "level": "ortsteil", "name_de": "Beides", "area_keys": ["1", "2"], "same_attribute": "BEZ"}]
    checked, report = check_manifest(None, write_town(tmp_path, broken))
    assert checked is None
    where = {problem.column: problem.message for problem in report.errors}
    assert "either area_keys or same_attribute" in where["comparison_groups[1]"]
    broken["comparison_groups"].pop()
    checked, report = check_manifest(None, write_town(tmp_path, broken))
    assert checked is None and [p.column for p in report.errors] == ["comparison_groups[0].level"]
    assert "unknown level 'quartier'" in report.errors[0].message


def test_a_manifest_keeps_its_comparison_groups_and_refuses_keys_that_name_no_area(town_db, tmp_path):
    from service.demo import DEMO
    from service.setup import ManifestRefused, load_manifest

    engine, _url, _manifest, _dry, _loaded = town_db
    with_group = json.loads(json.dumps(MANIFEST))
    with_group["comparison_groups"] = [{"id": "ortsteile", "level": "ortsteil", "name_de": "Alle Ortsteile",
                                        "area_keys": ["12054999001", "12054999009"]}]
    path = write_town(tmp_path / "gruppe", with_group)
    with pytest.raises(ManifestRefused) as refused:
        load_manifest(engine, path, principal=DEMO)
    [problem] = refused.value.report.errors
    assert problem.column == "area_keys" and "12054999009" in problem.message
    assert "comparison_groups[0]" in problem.message
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM comparison_group")).scalar_one() == 0
    with_group["comparison_groups"][0]["area_keys"][1] = "12054999002"
    path = write_town(tmp_path / "gruppe", with_group)
    load_manifest(engine, path, principal=DEMO)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT id, level_code, area_keys, updated_at FROM comparison_group")).all()
    assert [tuple(row)[:3] for row in stored] == [("ortsteile", "ortsteil", ["12054999001", "12054999002"])]
    load_manifest(engine, path, principal=DEMO)  # again: the group is as declared, nothing is written
    with engine.connect() as conn:
        again = conn.execute(sa.text("SELECT id, level_code, area_keys, updated_at FROM comparison_group")).all()
        audited = conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE target_type = :type"),
                               {"type": "comparison_group"}).scalar_one()
    assert again == stored and audited == 1


def test_the_harmonise_step_of_a_manifest_is_checked_with_the_manifest(tmp_path):
    """A `harmonise` step naming a level or an indicator the set-up does not know is refused before anything is
    written, with where it is and the fix; an unknown method is refused by the schema."""
    from service.setup import check_manifest

    broken = json.loads(json.dumps(MANIFEST))
    broken["harmonise"] = [{"level": "quartier"}, {"level": "ortsteil", "indicators": ["NOPE"]}]
    checked, report = check_manifest(None, write_town(tmp_path, broken))
    assert checked is None
    where = {problem.column: problem for problem in report.errors}
    assert set(where) == {"harmonise[0].level", "harmonise[1].indicators"}
    assert "unknown level 'quartier'" in where["harmonise[0].level"].message
    assert where["harmonise[1].indicators"].value == "NOPE" and where["harmonise[1].indicators"].fix_de
    broken["harmonise"] = [{"level": "ortsteil", "method": "dasymetric"}]
    checked, report = check_manifest(None, write_town(tmp_path, broken))
    assert checked is None and report.errors[0].column.startswith("harmonise")
    broken["harmonise"] = [{"level": "ortsteil", "population": "EW", "denominators": {"NOPE": ["EINW"]}}]
    checked, report = check_manifest(None, write_town(tmp_path, broken))
    where = {problem.column: problem.value for problem in report.errors}
    assert checked is None and where == {"harmonise[0].population": "EW", "harmonise[0].denominators.NOPE": "NOPE"}


def test_a_level_declares_its_population_and_an_unknown_count_is_refused(tmp_path):
    """`population` of a level names the count that is its population; a code no catalogue defines is refused
    where it stands, with the fix."""
    from service.setup import check_manifest

    declared = json.loads(json.dumps(MANIFEST))
    declared["levels"][1]["population"] = "EINW"
    checked, report = check_manifest(None, write_town(tmp_path / "ok", declared))
    assert checked is not None, [p.as_text() for p in report.errors]
    assert checked.manifest.levels[1].as_level().population == "EINW"
    declared["levels"][1]["population"] = "EW"
    checked, report = check_manifest(None, write_town(tmp_path / "broken", declared))
    where = {problem.column: problem for problem in report.errors}
    assert checked is None and set(where) == {"levels[1].population"}
    assert where["levels[1].population"].value == "EW" and where["levels[1].population"].fix_de


def test_a_town_is_the_same_territory_as_a_gemeinde_of_another_set_up_loaded_after_it(pg_server, tmp_path):
    """The town's own hierarchy (Gemeinde -> Ortsteile) and a county's (Kreis -> Gemeinden) hold the same
    territory twice: the town's manifest links its Gemeinde to the county's before the county is loaded. Then the
    Ortsteil's breadcrumbs go on to the Kreis, the county's Gemeinde lists the Ortsteile, and neither hierarchy
    rolls up into the other."""
    from service.auth import Principal
    from service.setup import load_manifest

    town = json.loads(json.dumps(MANIFEST))
    town["same_territory"] = [{"level": "gemeinde", "key": "12054999", "as_level": "kgem", "as_key": "12054999"}]
    county = {
        "name": "landkreis",
        "levels": [
            {"code": "kkreis", "name_de": "Kreis", "name_en": "District", "plural_de": "Kreise",
             "plural_en": "Districts", "rank": 30, "parent_code": None, "key_length": 5},
            {"code": "kgem", "name_de": "Kreisgemeinde", "name_en": "Municipality of the district",
             "plural_de": "Kreisgemeinden", "plural_en": "Municipalities of the district", "rank": 20,
             "parent_code": "kkreis", "key_length": 8},
        ],
        "boundaries": [
            {"file": "kreis.geojson", "level": "kkreis", "key_field": "key", "name_field": "name",
             "valid_from": "2024-01-01"},
            {"file": "gemeinden.geojson", "level": "kgem", "key_field": "key", "name_field": "name",
             "parent_key_length": 5, "valid_from": "2024-01-01"},
        ],
    }
    folder = tmp_path / "county"
    folder.mkdir()
    (folder / "kreis.geojson").write_text(features([("12054", "Landkreis", square(X0, Y0, X0 + 0.08, Y0 + 0.02))]),
                                          encoding="utf-8")
    (folder / "gemeinden.geojson").write_text(features([
        ("12054999", "Kleinstadt", square(X0, Y0, X0 + 0.04, Y0 + 0.02)),
        ("12054998", "Nachbardorf", square(X0 + 0.04, Y0, X0 + 0.08, Y0 + 0.02))]), encoding="utf-8")
    (folder / "manifest.yaml").write_text(yaml.safe_dump(county, allow_unicode=True), encoding="utf-8")
    name = "dm_test_same_territory"
    engine = create_engine(pg_server.create(name), make_settings())
    try:
        from service.db import upgrade

        upgrade(engine, 25833)
        admin = Principal("test", "admin")
        summary = load_manifest(engine, write_town(tmp_path / "town", town), principal=admin)
        assert any("'kgem' is not loaded; the link waits" in note for note in summary.manifest.notes)
        load_manifest(engine, folder / "manifest.yaml", principal=admin)
        load_manifest(engine, write_town(tmp_path / "town", town), principal=admin)  # again: nothing new
        with engine.connect() as conn:
            links = conn.execute(sa.text("SELECT count(*) FROM area_same_territory")).scalar_one()
            audited = conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE target_type = "
                                           "'area_same_territory'")).scalar_one()
            county_values = conn.execute(sa.text("""SELECT count(*) FROM observation o JOIN area a
                ON a.id = o.area_id WHERE a.level_code IN ('kkreis', 'kgem')""")).scalar_one()
        assert (links, audited, county_values) == (1, 1, 0)  # the town's inhabitants stay in the town's hierarchy
        with TestClient(create_app(make_settings(), engine=engine)) as client:
            ortsteil = client.get("/areas/ortsteil/12054999001", params={"f": "json"}).json()
            assert [(a["level"], a["key"]) for a in ortsteil["beyond"]] == [("kkreis", "12054")]
            page = client.get("/areas/ortsteil/12054999001").text
            assert page.index('href="/areas/kkreis/12054"') < page.index('href="/areas/gemeinde/12054999"')
            gemeinde = client.get("/areas/kgem/12054999", params={"f": "json"}).json()
            assert {(c["level"], c["key"]) for c in gemeinde["children"]} == {
                ("ortsteil", "12054999001"), ("ortsteil", "12054999002")}
            assert [(o["level"], o["key"]) for o in gemeinde["same_territory"]] == [("gemeinde", "12054999")]
            assert "Gleiches Gebiet wie" in client.get("/areas/kgem/12054999").text
    finally:
        engine.dispose()
        pg_server.drop(name)
