"""Indicator sets as templates (indicators/templates.py, /api/templates...): the shipped sets and mappings are
valid, the coverage of the Berlin demo, adoption of a mapping and its refusals naming the field."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
import yaml
from fastapi.testclient import TestClient

from indicators.catalogue import read_catalogue
from indicators.templates import COMPATIBLE, MAPPINGS, get_template, list_templates, read_mapping, shipped_mappings
from tests.conftest import client_as, private_engine

KGST = "kgst_integrationsmonitoring_2020"
ROOT = MAPPINGS.parents[3]
CATALOGUES = {"berlin": ROOT / "indicators/catalogues/berlin_mss_2021.yaml",
              "germany": ROOT / "data/demo/germany/catalogue_inkar_2021.yaml"}


def test_shipped_templates_and_mappings_fit_each_other_and_their_catalogues():
    names = {t.template for t in list_templates()}
    assert names == {KGST, "laender_integrationsmonitoring"}
    assert {"diskriminierung"} <= {f.code for f in get_template(KGST).fields}  # the field new in 13/2020
    mappings = shipped_mappings()
    assert {"berlin_kgst", "berlin_laender", "germany_laender"} <= set(mappings)
    for stem, path in mappings.items():
        template = get_template(yaml.safe_load(path.read_text())["template"])
        mapping = read_mapping(stem, template.template)
        catalogue = read_catalogue(CATALOGUES[mapping.municipality])
        kinds = {i.code: i.kind for i in catalogue.indicators}
        targets = {i.code: i.kind for i in template.indicators}
        for entry in mapping.entries:
            assert entry.template_indicator in targets, (stem, entry)
            assert kinds[entry.indicator] in COMPATIBLE[targets[entry.template_indicator]], (stem, entry)


def test_coverage_of_the_berlin_demo(client: TestClient):
    body = client.get(f"/api/templates/{KGST}/coverage").json()
    assert body["mapping"] == "berlin_kgst"  # the only shipped mapping whose indicators exist here
    rows = {r["template_indicator"]: r for r in body["coverage"]}
    assert body["reported"] + body["mapped_without_data"] + body["missing"] == body["indicators"] == len(rows)
    foreigners = rows["KGST_02"]
    assert foreigners["indicator"] == "KI_16" and foreigners["status"] == "reported"
    plr = next(lv for lv in foreigners["levels"] if lv["level"] == "plr")
    # MSS 2015-2021 (KI_16 since the 2015 edition), the most areas in one period: the 542 of today
    assert plr["periods"] == ["2014-12-31", "2016-12-31", "2018-12-31", "2020-12-31"] and plr["areas"] == 542
    assert rows["KGST_19"]["status"] == "missing" and rows["KGST_19"]["indicator"] is None
    assert {lv["level"] for lv in rows["KGST_05"]["levels"]} >= {"plr", "bez"}  # EW_AUSL, rolled up
    table = list(csv.DictReader(io.StringIO(client.get(f"/api/templates/{KGST}/coverage?f=csv").text)))
    assert {r["template_indicator"] for r in table} == set(rows)
    page = client.get(f"/api/templates/{KGST}/coverage?f=html")
    assert page.status_code == 200 and "berichtbar" in page.text and "fehlt" in page.text


@pytest.fixture(scope="module")
def own_engine(pg_server, demo_template):
    """One private copy for the module: the refusals write nothing, the adoption runs last."""
    with private_engine(pg_server, demo_template) as engine:
        yield engine


@pytest.mark.parametrize(("entries", "field"), [
    ([{"indicator": "KI_16", "template_indicator": "KGST_02"}, {"indicator": "S1", "template_indicator": "NOPE"}],
     "entries[1].template_indicator"),
    ([{"indicator": "EW", "template_indicator": "KGST_01"}], "entries[0].indicator"),  # a count cannot report a share
    ([{"indicator": "KI_16", "template_indicator": "KGST_05"}], "entries[0].indicator"),  # a share cannot report a count
    ([{"indicator": "NOPE", "template_indicator": "KGST_05"}], "entries[0].indicator"),
    ([{"indicator": "KI_16"}], "entries.0.template_indicator"),
])
def test_a_bad_mapping_is_refused_naming_the_field(own_engine: sa.Engine, entries: list, field: str):
    with client_as(own_engine, "data_steward") as client:
        response = client.put(f"/api/templates/{KGST}/mapping", json={"template": KGST, "entries": entries})
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field


def test_adopting_a_mapping(own_engine: sa.Engine):
    entries = [{"indicator": "KI_16", "template_indicator": "KGST_02"},
               {"indicator": "EW_AUSL", "template_indicator": "KGST_05"}]
    with client_as(own_engine, "data_steward") as client:
        assert client.get(f"/api/templates/{KGST}/coverage").json()["mapping"] == "berlin_kgst"  # cached, then
        assert client.put(f"/api/templates/{KGST}/mapping", json={"template": KGST, "entries": entries}).status_code == 200
        body = client.get(f"/api/templates/{KGST}/coverage").json()
    assert body["mapping"] == "adopted" and body["reported"] == 2
    with client_as(own_engine, "reader") as reader:
        assert reader.put(f"/api/templates/{KGST}/mapping", json={"template": KGST, "entries": entries}).status_code == 403


def test_the_integration_page_links_what_the_data_can_say(client: TestClient):
    """/integration (reached from the start page) links segregation for every declared group part with values,
    the types of the levels that have some and every set's coverage; each link opens a page."""
    from html.parser import HTMLParser

    class Links(HTMLParser):
        def __init__(self):
            super().__init__()
            self.hrefs: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag == "a":
                self.hrefs.append(dict(attrs).get("href", ""))

    assert 'href="/integration"' in client.get("/", params={"lang": "de"}, headers={"Accept": "text/html"}).text
    page = client.get("/integration", params={"lang": "de"})
    assert page.status_code == 200, page.text
    parser = Links()
    parser.feed(page.text)
    parts = {p["indicator"]: p["group_of"] for g in client.get("/api/groups").json()["groups"] for p in g["parts"]}
    assert parts  # the demo declares its groups (EW_AUSL and EW_MH of EW)
    segregation = [h for h in parser.hrefs if h.startswith("/api/segregation?")]
    assert {h.split("groups=")[1].split("&")[0] for h in segregation} == set(parts)
    types = [h for h in parser.hrefs if h.startswith("/api/typology?")]
    coverage = [h for h in parser.hrefs if h.startswith("/api/templates/")]
    assert types and len(coverage) == len(list_templates())
    for href in [*segregation, *types, *coverage]:
        response = client.get(href + "&lang=de")  # params= would replace the query (HTMLParser unescaped &amp;)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html"), href
    assert "Integration monitoring" in client.get("/integration", params={"lang": "en"}).text
