"""Survey values as a value type (issue 16, docs/integration.md §2): a share estimated from a sample is declared
`value_type: survey` in the catalogue, imported with its sample size, and shown with the sample's 95 % interval
(widened by the design effect) and "Befragung, n = ..." in the profile; a survey value without its sample size is
refused with row, column and fix in English and German, and nothing is written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import ValidationError

from indicators.catalogue import Catalogue, IndicatorDefinition, load_catalogue
from indicators.uncertainty import unreliable, wilson_interval
from tests.conftest import make_settings, private_engine

PERIOD = "2024-12-31"


def _survey(code: str, **fields) -> IndicatorDefinition:
    return IndicatorDefinition(code=code, name_de=f"Befragung {code}", name_en=f"Survey {code}", topic=None,
                               role="context", kind=fields.pop("kind", "share"), unit="%", direction="neutral",
                               aggregation="none", value_type="survey", **fields)


@pytest.fixture(scope="module")
def surveyed(pg_server, demo_template, tmp_path_factory):
    from indicators.ingest.kinds import import_kind

    with private_engine(pg_server, demo_template) as engine:
        with engine.begin() as conn:
            load_catalogue(conn, Catalogue(catalogue="test_survey", version=1, topics=[], indicators=[
                _survey("UMF_SICHER"), _survey("UMF_DISKR", design_effect=2.0)]))
            keys = conn.execute(sa.text("SELECT key FROM area WHERE level_code = 'plr' AND valid_to IS NULL "
                                        "ORDER BY key LIMIT 2")).scalars().all()
        folder = tmp_path_factory.mktemp("survey")
        good = folder / "survey.csv"
        good.write_text("area;indicator;period;value;sample_size\n"
                        f"{keys[0]};UMF_SICHER;{PERIOD};42.5;400\n{keys[0]};UMF_DISKR;{PERIOD};12.5;400\n"
                        f"{keys[1]};UMF_SICHER;{PERIOD};50;24\n", encoding="utf-8")
        kind = import_kind("observations")
        with engine.connect() as conn:
            report = kind.run(conn, good, kind.parse({"level": ["plr"]}), created_by="test")
        assert report.ok, [p.as_text() for p in report.errors]
        with TestClient(create_app_for(engine)) as client:
            yield engine, client, keys, folder


def create_app_for(engine):
    from service.app import create_app

    return create_app(make_settings(), engine=engine)


def test_a_survey_value_is_stored_with_its_sample_and_shown_with_its_interval(surveyed):
    engine, client, (first, second), _folder = surveyed
    with engine.connect() as conn:
        stored = {code: (numerator, denominator) for code, numerator, denominator in conn.execute(sa.text("""
            SELECT o.indicator_code, o.numerator, o.denominator FROM observation_current o
            JOIN area a ON a.id = o.area_id WHERE a.key = :k AND o.indicator_code LIKE 'UMF%'"""), {"k": first})}
    assert stored["UMF_SICHER"] == (pytest.approx(170.0), 400.0)  # 42.5 % of 400 respondents
    profile = client.get(f"/areas/plr/{first}", params={"f": "json"}).json()
    items = {i["code"]: i for i in profile["indicators"]}
    assert items["UMF_SICHER"]["value_type"] == "survey"
    plain = items["UMF_SICHER"]["periods"][0]["interval"]
    low, high = wilson_interval(170, 400)
    assert (plain["low"], plain["high"]) == (pytest.approx(100 * float(low)), pytest.approx(100 * float(high)))
    assert plain["denominator"] == 400 and plain["unreliable"] is False
    # the design effect 2 halves the effective sample: the interval is that of 25 of 200
    weighted = items["UMF_DISKR"]["periods"][0]["interval"]
    low, high = wilson_interval(25, 200)
    assert (weighted["low"], weighted["high"]) == (pytest.approx(100 * float(low)), pytest.approx(100 * float(high)))
    small = next(i for i in client.get(f"/areas/plr/{second}", params={"f": "json"}).json()["indicators"]
                 if i["code"] == "UMF_SICHER")["periods"][0]["interval"]
    assert small["unreliable"] is bool(unreliable(12, 24)) is True  # 24 respondents: below the rule's 30
    page = client.get(f"/areas/plr/{first}", params={"lang": "de"}).text
    assert "Befragung, n = 400" in page and "Designeffekt 2,0" in page
    english = client.get(f"/areas/plr/{first}", params={"lang": "en"}).text
    assert "Survey, n = 400" in english
    # indicators without a topic (as these) are listed under "Ohne Handlungsfeld" on every page that groups
    for path in ("/explorer", "/api/indicators"):
        response = client.get(path, params={"indicator": "UMF_SICHER", "level": "plr", "f": "html", "lang": "de"})
        assert response.status_code == 200, (path, response.text[:300])
        assert path == "/api/indicators" or "Ohne Handlungsfeld" in response.text


def test_a_survey_value_without_its_sample_size_is_refused_and_nothing_is_written(surveyed):
    from indicators.ingest.kinds import import_kind

    engine, _client, (first, _second), folder = surveyed
    bad = folder / "no_sample.csv"
    bad.write_text(f"area;indicator;period;value\n{first};UMF_SICHER;2023-12-31;40\n", encoding="utf-8")
    kind = import_kind("observations")
    count = sa.text("SELECT count(*) FROM observation WHERE indicator_code = 'UMF_SICHER'")
    with engine.connect() as conn:
        before = conn.execute(count).scalar()
    with engine.connect() as conn:
        report = kind.run(conn, bad, kind.parse({"level": ["plr"]}), created_by="test")
    with engine.connect() as conn:
        after = conn.execute(count).scalar()
    assert not report.ok and before == after
    [problem] = report.errors
    assert problem.row == 2 and "sample size" in problem.message and "sample_size" in problem.fix
    assert "Stichprobengröße" in problem.message_de and "Befragten" in problem.fix_de


def test_a_survey_indicator_must_be_a_share():
    with pytest.raises(ValidationError, match="survey value is a share"):
        _survey("UMF_N", kind="count")
    with pytest.raises(ValidationError, match="design_effect is for survey values"):
        IndicatorDefinition(code="X", name_de="X", name_en="X", topic=None, role="context", kind="share", unit="%",
                            direction="neutral", aggregation="none", design_effect=1.5)
