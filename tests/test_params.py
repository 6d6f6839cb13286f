"""Shared parameters and the one error table: the default level comes from the data (the finest loaded level),
never from a code in the service; a format is picked from f= or Accept the same way everywhere; every domain
error becomes a 4xx problem through one table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from geo.levels import UnknownLevel, ancestry, finest_level, grouping_level, list_levels, require_level
from service.errors import domain_errors, domain_problem

ROOT = Path(__file__).resolve().parent.parent


def test_the_default_level_of_the_demo_is_its_finest_level(demo_engine, client):
    with demo_engine.connect() as conn:
        assert finest_level(conn) == "plr"
    assert client.get("/api/aggregate/points", params={"layer": "kitas"}).json()["level"] == "plr"
    assert client.get("/areas", params={"f": "json"}).json()["level"] == "plr"


def test_the_finest_level_follows_the_data(demo_engine):
    """A finer level without areas is not the default; once it has areas it is."""
    with demo_engine.connect() as conn, conn.begin() as transaction:
        conn.execute(sa.text("""
            INSERT INTO area_level (code, name_de, name_en, plural_de, plural_en, rank, parent_code)
            VALUES ('blk', 'Block', 'block', 'Blöcke', 'blocks', (SELECT min(rank) - 1 FROM area_level), 'plr')"""))
        assert finest_level(conn) == "plr"
        conn.execute(sa.text("""
            INSERT INTO area (level_code, key, name, parent_key, valid_from, geom, area_m2, import_batch_id)
            SELECT 'blk', key || '01', name, key, valid_from, geom, area_m2, import_batch_id
            FROM area WHERE level_code = 'plr' AND valid_to IS NULL LIMIT 1"""))
        assert finest_level(conn) == "blk"
        transaction.rollback()
    with demo_engine.connect() as conn:
        assert finest_level(conn) == "plr"


def test_outlines_and_groups_follow_the_levels_own_hierarchy_when_a_second_one_shares_the_database(demo_engine):
    """Two demos in one database (Berlin's levels, Germany's Staat and Land above them in rank): the finest level
    still groups by the level below its own whole territory, not by a child of the database's highest level."""
    with demo_engine.connect() as conn, conn.begin() as transaction:
        finest = finest_level(conn)
        before = grouping_level(conn, finest).code
        root = ancestry({lv.code: lv for lv in list_levels(conn)}, finest)[-1].code
        conn.execute(sa.text("""
            INSERT INTO area_level (code, name_de, name_en, plural_de, plural_en, rank, parent_code) VALUES
              ('zz_staat', 'Staat', 'Country', 'Staat', 'Country', (SELECT max(rank) + 20 FROM area_level), NULL),
              ('zz_land', 'Land', 'State', 'Länder', 'States', (SELECT max(rank) + 10 FROM area_level), 'zz_staat')"""))
        levels = {lv.code: lv for lv in list_levels(conn)}
        assert grouping_level(conn, finest).code == before
        assert ancestry(levels, finest)[-1].code == root
        assert [lv.code for lv in ancestry(levels, "zz_land")] == ["zz_land", "zz_staat"]
        assert grouping_level(conn, "zz_land") is None
        transaction.rollback()


def test_an_unknown_level_names_the_levels_that_exist(demo_engine, client):
    with demo_engine.connect() as conn, pytest.raises(UnknownLevel) as raised:
        require_level(conn, "nope")
    assert "plr" in raised.value.available
    body = client.get("/api/aggregate/points", params={"layer": "kitas", "level": "nope"}).json()
    assert body["status"] == 404 and body["detail"] == "unknown level 'nope'" and "plr" in body["available"]


def test_no_route_names_a_level_or_the_city():
    for path in sorted((ROOT / "service").rglob("*.py")):
        if "migrations" in path.parts or path.name in ("demo.py", "cli.py"):
            continue  # the demo loader and its command are about the shipped demo data by name
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"[\"']plr[\"']|Berlin", text), f"{path.relative_to(ROOT)} names plr or Berlin"


@pytest.mark.parametrize(("accept", "f", "expected"), [
    ("", None, "json"),
    ("text/html,application/xhtml+xml,*/*;q=0.8", None, "html"),
    ("text/csv", None, "csv"),
    (f"{'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'}", None, "xlsx"),
    ("text/html", "csv-de", "csv-de"),
])
def test_one_format_choice(client, accept, f, expected):
    response = client.get("/api/indicators", params={"f": f} if f else {}, headers={"Accept": accept})
    assert response.status_code == 200
    kind = {"json": "application/json", "html": "text/html", "csv": "text/csv", "csv-de": "text/csv",
            "xlsx": "application/vnd.openxmlformats"}[expected]
    assert response.headers["content-type"].startswith(kind)


def test_a_format_a_route_does_not_offer_is_a_400(client):
    response = client.get("/api/areas/01100101/history", params={"level": "plr", "f": "html"})
    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"


def test_every_domain_error_in_the_table_is_a_client_error():
    samples = {cls: cls.__new__(cls) for cls in domain_errors()}
    for cls, exc in samples.items():  # attributes as the constructors set them
        exc.__dict__.update(field="x", message="m", status=422, extra={}, available=[], errors=[
            {"field": "x", "message": "m"}], conflict=False, requested="2020", indicator=None, level=None, code="c",
            de="d")
        Exception.__init__(exc, "message")
        problem = domain_problem(exc)
        assert 400 <= problem.status < 500, cls


@pytest.mark.parametrize(("path", "accept", "expected"), [
    ("/api/indicators", "text/csv;q=0.5, application/json", "application/json"),
    ("/api/indicators", "application/json;q=0.5, text/csv", "text/csv"),
    ("/api/indicators", "application/json, text/plain, */*", "application/json"),
    ("/areas", "*/*", "text/html"),
    ("/areas", "application/json", "application/json"),
    ("/api/indices/mss_2021_gesamtindex/results", "application/geo+json", "application/geo+json"),
])
def test_accept_q_values_choose_among_the_offered_formats(client, path, accept, expected):
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(expected)
