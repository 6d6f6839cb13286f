"""The address register: imported like every delivery (validated, atomic, reported by row and column), and
found by the search box by street and number ("Ackerstraße 1A" -> its Planungsraum)."""

import gzip
from pathlib import Path

import sqlalchemy as sa

from geo.addresses import register_size
from indicators.ingest.kinds import import_kind

ADDRESSES = import_kind("addresses")


def register(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT level_code, area_key, street, house_number, suffix, postcode "
                                    "FROM address ORDER BY 1, 2, 3, 4, 5, 6")).all()


def run(engine, path: Path, dry_run: bool = False, **fields: str):
    options = ADDRESSES.parse({"level": ["plr"], **{name: [value] for name, value in fields.items()}})
    with engine.connect() as conn:
        return ADDRESSES.run(conn, path, options, dry_run=dry_run)


def test_the_demo_register_holds_every_berlin_address(demo_engine):
    with demo_engine.connect() as conn:
        assert register_size(conn) == {"plr": 401_032}


def test_the_search_finds_an_address_and_the_area_it_lies_in(client):
    hits = client.get("/api/search", params={"q": "Ackerstr. 1a"}).json()["hits"]
    assert hits[0] == {**hits[0], "kind": "address", "label": "Ackerstraße 1A, 10115 Mitte", "level": "plr",
                       "key": "01100309", "exact": True}
    same_number = client.get("/api/search", params={"q": "Ackerstraße 10"}).json()["hits"]
    assert {(h["label"], h["key"]) for h in same_number} == {("Ackerstraße 10, 10115 Mitte", "01100415"),
                                                              ("Ackerstraße 10, 13585 Spandau", "05100315")}
    street = client.get("/api/search", params={"q": "Ackerstrasse"}).json()["hits"]
    assert {h["kind"] for h in street} == {"address"} and len({h["key"] for h in street}) == len(street) >= 4
    place = client.get("/api/search", params={"q": "Neukölln"}).json()["hits"]
    assert place[0]["kind"] == "area", "a place name finds the place before its streets"


def test_a_bad_register_is_refused_by_row_and_column_and_nothing_is_written(fresh_engine, tmp_path):
    before = register(fresh_engine)
    bad = tmp_path / "register.csv"
    bad.write_text("strasse;hnr;plr\n"
                   "Ackerstraße;1;01100309\n"
                   ";2;01100309\n"                      # no street
                   "Ackerstraße;3;99999999\n"           # no such area
                   "Gartenstraße;4;01100309\n"
                   "Gartenstraße;4;01100415\n",          # one address, two areas
                   encoding="utf-8")
    fields = {"street_field": "strasse", "number_field": "hnr", "area_field": "plr", "separator": ";"}
    report = run(fresh_engine, bad, **fields)
    assert not report.ok and report.batch_id is None
    found = {(p.row, p.column, p.value) for p in report.errors}
    assert (2, "street", None) in found
    assert (4, None, "Gartenstraße 4") in found
    assert (3, "area_key", "99999999") in found, "every problem in one report"
    keys = tmp_path / "keys.csv"
    keys.write_text("strasse;hnr;plr\nAckerstraße;3;99999999\n", encoding="utf-8")
    unknown = run(fresh_engine, keys, **fields)
    assert [(p.row, p.column, p.value) for p in unknown.errors] == [(1, "area_key", "99999999")]
    missing = run(fresh_engine, keys, street_field="str_name", number_field="hnr", area_field="plr", separator=";")
    assert missing.errors[0].column == "str_name" and "strasse" in missing.errors[0].message
    assert register(fresh_engine) == before, "a refused register leaves the stored one as it was"


def test_a_register_replaces_the_level_atomically_and_the_same_file_again_changes_nothing(fresh_engine, tmp_path):
    small = tmp_path / "register.csv.gz"
    small.write_bytes(gzip.compress("street,house_number,suffix,area_key\n"
                                    "Ackerstraße,1,A,01100309\nPappelplatz,,,01100415\n"
                                    "Ackerstraße,1,A,01100309\n".encode()))
    dry = run(fresh_engine, small, dry_run=True, suffix_field="suffix")
    assert dry.ok and len(register(fresh_engine)) == 401_032, "a dry run writes nothing"
    assert [w.value for w in dry.problems if w.severity == "warning"] == ["Ackerstraße 1A"]
    applied = run(fresh_engine, small, suffix_field="suffix")
    assert applied.ok and applied.batch_id is not None and applied.rows_written == 2
    assert applied.rows_superseded == 401_032, "the stored register had postcodes: every row differs"
    assert register(fresh_engine) == [("plr", "01100309", "Ackerstraße", "1", "A", ""),
                                      ("plr", "01100415", "Pappelplatz", "", "", "")]
    with fresh_engine.connect() as conn:
        version = conn.execute(sa.text("SELECT value FROM dm_setting WHERE key = 'data_version'")).scalar_one()
    again = run(fresh_engine, small, suffix_field="suffix")
    assert again.ok and again.batch_id is None and again.rows_written == 0 and "nothing changed" in again.notes[0]
    with fresh_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT value FROM dm_setting WHERE key = 'data_version'")).scalar_one() == version


def test_a_data_steward_uploads_a_register_over_http_and_reads_the_dry_run(fresh_engine, tmp_path):
    from fastapi.testclient import TestClient

    from service.app import create_app
    from tests.conftest import bearer, make_settings

    body = "strasse,hnr,plr\nAckerstraße,1,01100309\nAckerstraße,3,99999999\n".encode()
    with TestClient(create_app(make_settings(), engine=fresh_engine)) as http:
        fields = {"level": "plr", "street_field": "strasse", "number_field": "hnr", "area_field": "plr",
                  "dry_run": "true"}
        refused = http.post("/api/imports/addresses", data=fields, files={"file": ("register.csv", body, "text/csv")},
                            headers=bearer(fresh_engine, "data_steward"))
        assert refused.status_code == 422, refused.text
        problem = refused.json()["report"]["problems"][0]
        assert (problem["row"], problem["column"], problem["value"]) == (2, "area_key", "99999999")
        anonymous = http.post("/api/imports/addresses", data=fields, files={"file": ("r.csv", body, "text/csv")})
        assert anonymous.status_code == 401
    assert len(register(fresh_engine)) == 401_032
