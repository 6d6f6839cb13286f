"""Hygiene of what the service says about itself: error messages on uploaded files name the file as the user
sent it, never the server's temporary path or a library's advice to programmers; absolute links and redirects
come from the configured base URL or a trusted proxy, never from the Host header a client chose."""

from __future__ import annotations

import tempfile

import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from tests.conftest import bearer, make_settings, private_engine, serving
from tests.test_catalogue_api import new_definition

FORGED = "evil.example"
SERVER_INTERNALS = [tempfile.gettempdir() + "/", "dm-upload", "/vsizip", "It might help", "Traceback", "pyogrio",
                    "openpyxl", "DataSourceError"]
BOUNDARY_FIELDS = {"level": "plr", "key_field": "PLR_ID", "name_field": "PLR_NAME", "valid_from": "2024-01-01",
                   "dry_run": "true"}
# (endpoint, form fields, uploaded file name, content)
BROKEN_UPLOADS = [
    ("/api/imports/boundaries", BOUNDARY_FIELDS, "grenzen.gpkg", b"SQLite format 3\x00 but not really"),
    ("/api/imports/boundaries", BOUNDARY_FIELDS, "grenzen.geojson", b'{"type": "FeatureCollection", "features": ['),
    ("/api/imports/observations", {"level": "plr", "dry_run": "true"}, "werte.xlsx", b"PK\x03\x04 not a workbook"),
    ("/api/layers/points/spielplaetze", {"key_field": "nr", "dry_run": "true"}, "spielplaetze.gpkg", b"garbage" * 20),
]
# Every place that builds absolute links or redirects: OGC landing page, collections, items (with paging
# links), an item, tiles, indices, an area, the slash redirect, and the HTML views of them.
LINKING_PAGES = ["/", "/?f=html", "/collections", "/collections?f=html", "/collections/plr",
                 "/collections/plr/items?limit=2", "/collections/plr/items?limit=2&f=html",
                 "/collections/plr/items/01100101", "/collections/plr/queryables", "/conformance",
                 "/collections/plr/tiles", "/api/indices", "/api/indices/mss_2021_gesamtindex",
                 "/api/areas/01100101?level=plr", "/api/notes?level=plr&area_key=01100101", "/collections/"]


@pytest.fixture(scope="module")
def engine(pg_server, demo_template):
    with private_engine(pg_server, demo_template, "dm_test_hygiene") as engine:
        yield engine


@pytest.mark.parametrize("endpoint,fields,name,content", BROKEN_UPLOADS, ids=[u[2] for u in BROKEN_UPLOADS])
def test_an_unreadable_upload_is_named_as_sent_without_server_paths(engine, endpoint, fields, name, content):
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        response = client.post(endpoint, files={"file": (name, content)}, data=fields,
                               headers=bearer(engine, "statistics_office"))
    assert 400 <= response.status_code < 500 and response.status_code not in (401, 403), response.text[:300]
    body = response.json()
    problems = body.get("report", body)["problems"]  # imports answer a problem with the report, layers the report
    assert any(name in p["message"] or p["file"] == name for p in problems)
    leaked = [marker for marker in SERVER_INTERNALS if marker in response.text]
    assert not leaked, f"{name}: the answer shows {leaked}: {response.text[:400]}"


def assert_not_forged(response: httpx.Response, where: str) -> None:
    assert FORGED not in response.text, f"{where}: the forged host is in the body"
    assert FORGED not in response.headers.get("location", ""), f"{where}: the forged host is in Location"


@pytest.mark.parametrize("path", LINKING_PAGES)
def test_a_forged_host_header_reaches_no_link_and_no_redirect(client, path):
    response = client.get(path, headers={"Host": FORGED, "X-Forwarded-Host": FORGED, "Forwarded": f"host={FORGED}"},
                          follow_redirects=False)
    assert response.status_code < 400, response.text[:300]
    assert_not_forged(response, path)
    if path == "/collections/":
        assert response.headers["location"] == "http://testserver/collections"


def test_created_resources_are_located_without_the_forged_host(engine):
    with TestClient(create_app(make_settings(), engine=engine)) as client:
        created = client.post("/api/indicators", headers={**bearer(engine, "data_steward"), "Host": FORGED},
                              json=new_definition("HYG1"))
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "http://testserver/api/indicators/HYG1"
    assert_not_forged(created, "POST /api/indicators")


def test_links_follow_the_configured_base_url_whatever_the_request_says(demo_engine):
    settings = {"public_base_url": "https://www.example.de/monitor/", "trusted_proxies": "0.0.0.0/0"}
    with TestClient(create_app(make_settings(**settings), engine=demo_engine)) as client:
        body = client.get("/", headers={"Host": FORGED, "X-Forwarded-Host": FORGED}).json()
    hrefs = [link["href"] for link in body["links"]]
    assert hrefs and all(h.startswith("https://www.example.de/monitor/") for h in hrefs)


@pytest.mark.parametrize("headers", [
    {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "monitor.example.de", "X-Forwarded-Prefix": "/sozial"},
    {"Forwarded": 'for=192.0.2.7;proto=https;host="monitor.example.de"', "X-Forwarded-Prefix": "/sozial/"},
], ids=["x-forwarded", "forwarded"])
def test_a_trusted_proxy_sets_the_public_url_and_nobody_else_does(demo_engine, headers):
    with serving(demo_engine, trusted_proxies="127.0.0.1") as trusted_url:
        links = httpx.get(trusted_url + "/", headers={**headers, "Host": FORGED}).json()["links"]
    hrefs = [link["href"] for link in links]
    assert all(h.startswith("https://monitor.example.de/sozial/") for h in hrefs), hrefs[:3]
    with serving(demo_engine, trusted_proxies="10.0.0.1") as untrusted_url:
        response = httpx.get(untrusted_url + "/", headers={**headers, "Host": FORGED})
    hrefs = [link["href"] for link in response.json()["links"]]
    assert all(h.startswith(untrusted_url + "/") for h in hrefs), hrefs[:3]
    assert "monitor.example.de" not in response.text
    assert_not_forged(response, "untrusted proxy headers")
