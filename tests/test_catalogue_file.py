"""Static checks of the shipped indicator catalogue (no database needed)."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "indicators" / "catalogues" / "berlin_mss_2021.yaml"
DEMO = ROOT / "data" / "demo" / "berlin" / "indicators"
MSS_TABLES = [
    DEMO / "mss_2021_index_indicators_plr.csv",
    DEMO / "mss_2021_context_indicators_plr.csv",
]
POPULATION_2022 = DEMO / "einwohner_2022-06_plr.csv"

TOP_LEVEL_KEYS = {"catalogue", "version", "source_default", "topics", "groups", "indicators"}
TOPIC_KEYS = {"code", "name_de", "name_en"}
INDICATOR_KEYS = {
    "code", "name_de", "name_en", "topic", "role", "kind", "unit", "change_of",
    "description_de", "description_en", "rationale_de", "rationale_en",
    "numerator_de", "denominator_de", "direction", "aggregation",
    "weight_indicator", "source", "reference_date", "disclosure", "target",
}
OPTIONAL_INDICATOR_KEYS = {"group_of", "group"}  # a group's part of a whole (EW_AUSL of EW)
ROLES = {"status", "dynamics", "context", "population"}
KINDS = {"share", "change", "count", "rate"}
DIRECTIONS = {"higher_is_worse", "higher_is_better", "neutral"}
AGGREGATIONS = {"sum", "ratio", "weighted_mean", "none"}
TEXT_KEYS = ("name_de", "name_en", "description_de", "description_en",
             "rationale_de", "rationale_en", "unit", "source")

INDICATOR_COLUMN = re.compile(r"^(S\d+|D\d+|KI_\d+)$")
# einwohner_2022-06_plr.csv column -> catalogue code
POPULATION_COLUMNS = {
    "Gesamt": "EW", "unter6": "EW_U6", "6-15": "EW_6_15", "15-18": "EW_15_18",
    "18-27": "EW_18_27", "27-45": "EW_27_45", "45-55": "EW_45_55",
    "55-65": "EW_55_65", "65undmehr": "EW_65PLUS", "weiblich": "EW_W",
    "ausländer": "EW_AUSL",
}


@pytest.fixture(scope="module")
def catalogue() -> dict:
    with CATALOGUE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def indicators(catalogue) -> list[dict]:
    return catalogue["indicators"]


@pytest.fixture(scope="module")
def by_code(indicators) -> dict[str, dict]:
    return {ind["code"]: ind for ind in indicators}


def _header(path: Path, delimiter: str = ",") -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh, delimiter=delimiter))


def test_top_level(catalogue):
    assert set(catalogue) == TOP_LEVEL_KEYS
    assert catalogue["catalogue"] == "berlin-mss-2021"
    assert isinstance(catalogue["version"], int)
    assert catalogue["source_default"].strip()
    assert catalogue["topics"] and catalogue["indicators"]


def test_topics_well_formed(catalogue):
    codes = [t["code"] for t in catalogue["topics"]]
    assert len(codes) == len(set(codes)), "duplicate topic codes"
    for topic in catalogue["topics"]:
        assert set(topic) == TOPIC_KEYS, topic
        assert re.fullmatch(r"[a-z][a-z0-9_]*", topic["code"]), topic["code"]
        assert topic["name_de"].strip() and topic["name_en"].strip()


def test_every_indicator_has_exactly_the_required_keys(indicators):
    for ind in indicators:
        missing = INDICATOR_KEYS - set(ind)
        extra = set(ind) - INDICATOR_KEYS - OPTIONAL_INDICATOR_KEYS
        assert not missing, f"{ind.get('code')}: missing {sorted(missing)}"
        assert not extra, f"{ind.get('code')}: unexpected {sorted(extra)}"


def test_codes_unique(indicators):
    codes = [ind["code"] for ind in indicators]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    assert not duplicates, duplicates


def test_topics_referenced_exist(catalogue, indicators):
    topic_codes = {t["code"] for t in catalogue["topics"]}
    for ind in indicators:
        assert ind["topic"] in topic_codes, f"{ind['code']}: unknown topic {ind['topic']}"


def test_enumerations(indicators):
    for ind in indicators:
        assert ind["role"] in ROLES, ind["code"]
        assert ind["kind"] in KINDS, ind["code"]
        assert ind["direction"] in DIRECTIONS, ind["code"]
        assert ind["aggregation"] in AGGREGATIONS, ind["code"]


def test_texts_are_non_empty_strings(indicators):
    for ind in indicators:
        for key in TEXT_KEYS:
            assert isinstance(ind[key], str) and ind[key].strip(), f"{ind['code']}.{key}"


@pytest.mark.parametrize("path", MSS_TABLES, ids=lambda p: p.name)
def test_every_mss_table_column_has_an_entry(path, by_code):
    columns = [c for c in _header(path) if INDICATOR_COLUMN.match(c)]
    assert columns, f"no indicator columns found in {path.name}"
    missing = [c for c in columns if c not in by_code]
    assert not missing, f"{path.name}: no catalogue entry for {missing}"
    assert "EW" in _header(path) and "EW" in by_code


def test_every_population_column_has_an_entry(by_code):
    header = _header(POPULATION_2022, delimiter=";")
    for column in header:
        if column == "PLR-ID":
            continue
        assert column in POPULATION_COLUMNS, f"unmapped population column {column!r}"
        code = POPULATION_COLUMNS[column]
        assert code in by_code, code
        assert by_code[code]["kind"] == "count" and by_code[code]["role"] == "population"
    assert "EW_2022" not in by_code


def test_change_of(by_code):
    for code, ind in by_code.items():
        if ind["kind"] == "change":
            target = ind["change_of"]
            assert target in by_code, f"{code}: change_of {target!r} does not exist"
            assert target != code
            assert by_code[target]["kind"] == "share", f"{code}: change_of must point to a share"
            assert ind["unit"] == "Prozentpunkte", code
            assert ind["aggregation"] == "none", code
        else:
            assert ind["change_of"] is None, f"{code}: change_of set on a {ind['kind']}"
    assert {c: by_code[c]["change_of"] for c in ("D1", "D3", "D4", "KI_06")} == {
        "D1": "S1", "D3": "S3", "D4": "S4", "KI_06": "KI_16"}


def test_kind_consistency(by_code):
    for code, ind in by_code.items():
        kind = ind["kind"]
        if kind == "share":
            assert ind["unit"] == "%", code
            assert ind["numerator_de"] and ind["denominator_de"], code
        if kind == "count":
            assert ind["numerator_de"] is None and ind["denominator_de"] is None, code
            assert ind["aggregation"] == "sum", code
        if ind["aggregation"] == "sum":
            assert kind == "count", code
        if ind["aggregation"] == "none":
            assert kind == "change", code
        if ind["aggregation"] == "ratio":
            assert ind["numerator_de"] and ind["denominator_de"], code


def test_weight_indicator(by_code):
    for code, ind in by_code.items():
        weight = ind["weight_indicator"]
        if ind["aggregation"] == "weighted_mean":
            assert weight in by_code, f"{code}: weight {weight!r} does not exist"
            assert by_code[weight]["role"] == "population", code
            assert by_code[weight]["kind"] == "count", code
        else:
            assert weight is None, f"{code}: weight set without weighted_mean"


def test_roles(by_code):
    for code, ind in by_code.items():
        if ind["role"] == "dynamics":
            assert ind["kind"] == "change", code
        if ind["role"] == "population":
            assert ind["kind"] == "count", code
    assert {c for c, i in by_code.items() if i["role"] == "status"} == {"S1", "S3", "S4"}
    assert {c for c, i in by_code.items() if i["role"] == "dynamics"} == {"D1", "D3", "D4"}


def test_reference_dates(indicators):
    for ind in indicators:
        value = ind["reference_date"]
        assert isinstance(value, str), f"{ind['code']}: quote the date"
        dt.date.fromisoformat(value)


def test_disclosure(indicators):
    for ind in indicators:
        disclosure = ind["disclosure"]
        if disclosure is None:
            continue
        assert set(disclosure) == {"min_numerator", "min_denominator"}, ind["code"]
        for value in disclosure.values():
            assert isinstance(value, int) and value >= 0, ind["code"]


def test_no_shipped_targets(indicators):
    assert all(ind["target"] is None for ind in indicators)


def test_directions_of_sensitive_indicators(by_code):
    # Index indicators and their changes measure disadvantage.
    for code in ("S1", "S3", "S4", "D1", "D3", "D4"):
        assert by_code[code]["direction"] == "higher_is_worse", code
    # Population groups are never labelled "worse".
    for code in ("KI_04", "KI_05", "KI_16", "KI_06", "KI_17"):
        assert by_code[code]["direction"] == "neutral", code
    for code, ind in by_code.items():
        if ind["role"] == "population":
            assert ind["direction"] == "neutral", code
    assert by_code["KI_10"]["direction"] == "higher_is_better"
