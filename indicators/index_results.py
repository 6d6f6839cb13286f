"""Reading stored index runs and their results: the latest run, the results of a level, one area's
explanation, and one area's results of every published index (for the area profile), as readers may see them.

A run is read into a typed `IndexRun` (its definition snapshot parsed once, here). Explanations withhold from
readers the numbers of unpublished inputs and of inputs hidden by statistical confidentiality in the area,
and the sums that would give them back (`withhold`); summaries drop the means and SDs of unpublished inputs
(`public_summary`). Computing runs is indicators.index_runs; this module only reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.crs import CRS84
from geo.features import ALL, FeatureQuery, feature_texts
from indicators.index_definitions import IndexDefinition
from indicators.values import boundary_date_for

NO_CLASS = {"de": "ohne Zuordnung", "en": "without class"}
RUN_COLUMNS = """r.id, r.index_id, r.definition_version, r.level_code AS level, r.period, r.inputs_hash, r.computed_at,
                 r.computed_by, r.confirmed_at, r.summary, r.parameters,
                 (SELECT l.name_de FROM area_level l WHERE l.code = r.level_code) AS level_name_de,
                 (SELECT l.name_en FROM area_level l WHERE l.code = r.level_code) AS level_name_en"""
LATEST_FIRST = "greatest(r.computed_at, coalesce(r.confirmed_at, r.computed_at)) DESC, r.id DESC"
"""Order of the runs of one index, level and period: the one last computed or confirmed first."""
RUN_FIELDS = ("id", "index_id", "definition_version", "level", "period", "inputs_hash", "computed_at", "computed_by",
              "confirmed_at", "summary", "parameters")
RESULT_COLUMNS = "a.key, a.name, x.value, x.class, x.participating, x.reason, x.attention"
WITHHELD_PER_AREA = ("value", "z", "standardised", "contribution", "rank", "flag")
WITHHELD_PER_INPUT = ("mean", "sd", "min", "max")


@dataclass(frozen=True)
class IndexRun:
    """One stored computation of an index for a level and period: provenance, the summary, the definition
    it was computed with (parsed), the boundary version it read and, for an index built from other indices,
    the run id of each component by role."""

    id: int
    index_id: str
    definition_version: int
    level: str
    period: date
    inputs_hash: str
    computed_at: datetime
    computed_by: str
    confirmed_at: datetime | None
    summary: dict[str, Any]
    definition: IndexDefinition
    boundaries_at: date | None
    components: dict[str, int] = field(default_factory=dict)
    level_name_de: str | None = None  # the level's names (area_level), for labels such as "Planungsraum ohne
    level_name_en: str | None = None  # Zuordnung"

    @property
    def class_labels(self) -> dict[str, dict[str, str]]:
        return self.summary.get("class_labels", {})

    @property
    def no_class(self) -> dict[str, str]:
        """The label of an area that does not take part: named after its level, as the MSS does ("Planungsraum
        ohne Zuordnung")."""
        if not self.level_name_de or not self.level_name_en:
            return NO_CLASS
        return {"de": f"{self.level_name_de} {NO_CLASS['de']}", "en": f"{self.level_name_en.lower()} {NO_CLASS['en']}"}


def run_from_row(row: Mapping[str, Any]) -> IndexRun:
    """The one place a stored run's parameters (JSON) become typed fields (`row`: the RUN_COLUMNS of a row)."""
    item = {name: row[name] for name in RUN_FIELDS}
    parameters = item.pop("parameters")
    at = parameters.get("boundaries_at")
    return IndexRun(**item, definition=IndexDefinition.model_validate(parameters["definition"]),
                    boundaries_at=date.fromisoformat(at) if at else None,
                    level_name_de=row.get("level_name_de"), level_name_en=row.get("level_name_en"),
                    components={role: int(run_id) for role, run_id in (parameters.get("components") or {}).items()})


def latest_run(conn: Connection, index_id: str, level: str, period: date) -> IndexRun | None:
    """The run last computed or confirmed for this index, level and period (None if never computed)."""
    row = conn.execute(sa.text(f"""
        SELECT {RUN_COLUMNS} FROM index_run r
        WHERE r.index_id = :id AND r.level_code = :level AND r.period = :period
        ORDER BY {LATEST_FIRST} LIMIT 1"""), {"id": index_id, "level": level, "period": period}).one_or_none()
    return None if row is None else run_from_row(row._mapping)


def get_run(conn: Connection, run_id: int) -> IndexRun | None:
    row = conn.execute(sa.text(f"SELECT {RUN_COLUMNS} FROM index_run r WHERE r.id = :id"),
                       {"id": run_id}).one_or_none()
    return None if row is None else run_from_row(row._mapping)


def list_index_periods(conn: Connection, index_id: str, level: str) -> list[date]:
    """Periods with a stored run of this index on the level, newest first."""
    rows = conn.execute(sa.text("""
        SELECT DISTINCT period FROM index_run WHERE index_id = :id AND level_code = :level ORDER BY period DESC"""),
        {"id": index_id, "level": level})
    return [row[0] for row in rows]


def provenance(run: IndexRun) -> dict:
    """What a client needs to trace a result: run id, definition version, inputs hash, when and by whom."""
    return {"run_id": run.id, "definition_version": run.definition_version, "inputs_hash": run.inputs_hash,
            "computed_at": run.computed_at, "computed_by": run.computed_by, "confirmed_at": run.confirmed_at,
            "boundaries_at": run.boundaries_at.isoformat() if run.boundaries_at else None}


def class_label(run: IndexRun, code: str | None, participating: bool) -> dict[str, str | None]:
    if code is None:
        if participating:
            return {"de": None, "en": None}
        return run.no_class
    return run.class_labels.get(code, {"de": code, "en": code})


def _result_item(run: IndexRun, row: dict) -> dict:
    label = class_label(run, row["class"], row["participating"])
    return {"key": row["key"], "name": row["name"], "value": row["value"], "class": row["class"],
            "class_label_de": label["de"], "class_label_en": label["en"], "participating": row["participating"],
            "reason": row["reason"], "attention": row["attention"]}


def _rows(conn: Connection, run: IndexRun, only_attention: bool = False) -> list[dict]:
    rows = conn.execute(sa.text(f"""
        SELECT {RESULT_COLUMNS}
        FROM index_result x JOIN area a ON a.id = x.area_id
        WHERE x.run_id = :run AND (x.attention OR NOT :only_attention)
        ORDER BY a.key"""), {"run": run.id, "only_attention": only_attention})
    return [_result_item(run, dict(row._mapping)) for row in rows]


def results(conn: Connection, index_id: str, level: str, period: date) -> list[dict]:
    """Per area of the latest run: key, name, value, class, class_label_de, class_label_en, participating, reason,
    attention. Empty when the index was never computed for this level and period."""
    run = latest_run(conn, index_id, level, period)
    return [] if run is None else _rows(conn, run)


def attention_areas(conn: Connection, index_id: str, level: str, period: date) -> list[dict]:
    """The areas flagged by the index's attention rule, with their classes (same fields as `results`)."""
    run = latest_run(conn, index_id, level, period)
    return [] if run is None else _rows(conn, run, only_attention=True)


# --- explanations --------------------------------------------------------------------------------------------


def _area_row(conn: Connection, run_id: int, area_key: str) -> dict | None:
    row = conn.execute(sa.text(f"""
        SELECT {RESULT_COLUMNS}, x.details
        FROM index_result x JOIN area a ON a.id = x.area_id WHERE x.run_id = :run AND a.key = :key"""),
        {"run": run_id, "key": area_key}).one_or_none()
    return None if row is None else dict(row._mapping)


def _explanation(run: IndexRun, row: dict, details: dict) -> dict:
    """An area's explanation from its run, its result row and its (possibly withheld) details."""
    definition = run.definition
    return {
        "index": {"id": run.index_id, "name_de": definition.name_de, "name_en": definition.name_en,
                  "method": definition.method},
        "level": run.level, "period": run.period, **_result_item(run, row),
        "attention_rule": definition.attention_rule(),
        "provenance": provenance(run),
        **details,
    }


def _component_explanation(run: IndexRun, row: dict, details: dict) -> dict:
    label = class_label(run, row["class"], row["participating"])
    return {"index": run.index_id, "value": row["value"], "class": row["class"], "class_label_de": label["de"],
            "class_label_en": label["en"], "participating": row["participating"], "reason": row["reason"],
            "provenance": provenance(run), **details}


def explain(conn: Connection, index_id: str, area_key: str, level: str, period: date,
            unsuppressed: bool = False) -> dict:
    """How one area's class came about: each input value, its standardised value (z or percentile rank), its
    contribution, the sums, the thresholds used and the class; for an index built from other indices the
    explanation of each component (by role). Readers (`unsuppressed` False) get the numbers of unpublished or
    hidden inputs withheld (`withhold`). Raises LookupError when the index was not computed there or the area
    is not in the run."""
    run = latest_run(conn, index_id, level, period)
    if run is None:
        raise LookupError(f"index {index_id!r} was not computed for level {level!r} and period {period}")
    row = _area_row(conn, run.id, area_key)
    if row is None:
        raise LookupError(f"no area {area_key!r} in the {level!r} results of {index_id!r} for {period}")
    explanation = _explanation(run, row, row["details"] if unsuppressed else withhold_inputs(
        conn, row["details"], level, period, area_key))
    for role, component_id in run.components.items():
        component = get_run(conn, component_id)
        if component is not None:
            explanation[role] = explain_run_area(conn, component, area_key, unsuppressed)
    return explanation


def explain_run_area(conn: Connection, run: IndexRun, area_key: str, unsuppressed: bool = False) -> dict:
    """One area of one stored run: value, class, labels, participation, provenance and the stored details
    (for readers with the numbers of unpublished or hidden inputs withheld)."""
    row = _area_row(conn, run.id, area_key)
    if row is None:
        raise LookupError(f"no area {area_key!r} in run {run.id}")
    details = row["details"] if unsuppressed else withhold_inputs(conn, row["details"], run.level, run.period,
                                                                  area_key)
    return _component_explanation(run, row, details)


# --- one area, every published index (the area profile) -----------------------------------------------------


@dataclass(frozen=True)
class AreaIndexResult:
    """One published index's latest result for one area, with the area's explanation as readers may see it."""

    index_id: str
    name_de: str
    period: date
    value: float | None
    class_code: str | None
    class_label_de: str | None
    participating: bool
    reason: str | None
    attention: bool
    explanation: dict


def area_index_results(conn: Connection, level: str, area_key: str, unsuppressed: bool) -> list[AreaIndexResult]:
    """For one area: the latest run (latest period, then last computed or confirmed) of every published index
    on its level, the area's row of it and its explanation, in index id order. Selects the area's rows by key
    (never a whole level): one query for the results, one for the component rows, two for withholding."""
    rows = conn.execute(sa.text(f"""
        WITH latest AS (
            SELECT DISTINCT ON (r.index_id) {RUN_COLUMNS}
            FROM index_run r JOIN index_definition d ON d.id = r.index_id AND d.published
            WHERE r.level_code = :level
            ORDER BY r.index_id, r.period DESC, {LATEST_FIRST}
        )
        SELECT r.*, d.name_de AS index_name_de, {RESULT_COLUMNS}, x.details
        FROM latest r JOIN index_definition d ON d.id = r.index_id
        JOIN area a ON a.level_code = :level AND a.key = :key
        JOIN index_result x ON x.run_id = r.id AND x.area_id = a.id
        ORDER BY r.index_id"""), {"level": level, "key": area_key}).all()
    found = []
    for row in rows:
        item = dict(row._mapping)
        found.append((run_from_row(item), item))
    component_ids = [run_id for run, _ in found for run_id in run.components.values()]
    components: dict[int, tuple[IndexRun, dict]] = {}
    if component_ids:
        for row in conn.execute(sa.text(f"""
                SELECT {RUN_COLUMNS}, {RESULT_COLUMNS}, x.details
                FROM index_run r JOIN index_result x ON x.run_id = r.id
                JOIN area a ON a.id = x.area_id AND a.key = :key
                WHERE r.id = ANY(:ids)"""), {"ids": component_ids, "key": area_key}):
            item = dict(row._mapping)
            components[item["id"]] = (run_from_row(item), item)
    withheld = (_Withheld(set(), set()) if unsuppressed else
                _withheld_codes(conn, level, area_key,
                                [(run.period, item["details"]) for run, item in found]
                                + [(run.period, item["details"]) for run, item in components.values()]))
    answers = []
    for run, item in found:
        explanation = _explanation(run, item, withheld.apply(item["details"], run.period))
        for role, component_id in run.components.items():
            if component_id in components:
                component, component_item = components[component_id]
                explanation[role] = _component_explanation(
                    component, component_item, withheld.apply(component_item["details"], component.period))
        label = class_label(run, item["class"], item["participating"])
        answers.append(AreaIndexResult(run.index_id, item["index_name_de"], run.period, item["value"], item["class"],
                                       label["de"], item["participating"], item["reason"], item["attention"],
                                       explanation))
    return answers


# --- withholding -----------------------------------------------------------------------------------------------


def _input_codes(details: dict) -> list[str]:
    inputs = [item for theme in details.get("themes", []) for item in theme["inputs"]] + details.get("inputs", [])
    return [item["code"] for item in inputs]


@dataclass(frozen=True)
class _Withheld:
    """Inputs whose numbers readers may not see: unpublished indicators, and (code, period) cells hidden in
    the area."""

    unpublished: set[str]
    hidden: set[tuple[str, date]]

    def apply(self, details: dict, period: date) -> dict:
        return withhold(details, self.unpublished, {code for code, at in self.hidden if at == period})


def _withheld_codes(conn: Connection, level: str, area_key: str, explained: Iterable[tuple[date, dict]]
                    ) -> _Withheld:
    explained = list(explained)
    codes = sorted({code for _, details in explained for code in _input_codes(details)})
    periods = sorted({period for period, _ in explained})
    if not codes:
        return _Withheld(set(), set())
    unpublished = set(conn.execute(sa.text("SELECT code FROM indicator WHERE code = ANY(:codes) AND NOT published"),
                                   {"codes": codes}).scalars())
    hidden = {(code, period) for code, period in conn.execute(sa.text("""
        SELECT DISTINCT o.indicator_code, o.period FROM observation o
        JOIN area a ON a.id = o.area_id AND a.level_code = :level AND a.key = :key
        JOIN disclosure d ON d.observation_id = o.id AND d.indicator_code = o.indicator_code
        WHERE o.indicator_code = ANY(:codes) AND o.period = ANY(:periods) AND o.superseded_at IS NULL"""),
        {"codes": codes, "level": level, "key": area_key, "periods": periods})}
    return _Withheld(unpublished, hidden)


def withhold_inputs(conn: Connection, details: dict, level: str, period: date, area_key: str) -> dict:
    """An explanation's details as readers may see them (`withhold`), with the unpublished indicators and the
    cells hidden in this area read from the database."""
    return _withheld_codes(conn, level, area_key, [(period, details)]).apply(details, period)


def withhold(details: dict, unpublished: set[str], hidden: set[str]) -> dict:
    """An input of an unpublished indicator loses every number (its value, standardised value and contribution
    here, its mean, SD, minimum and maximum over all areas); an input whose cell is hidden in this area loses its
    value, standardised value and contribution. Sums that would give a withheld contribution back by subtraction
    (the area's sum, a theme's sum and rank, the flag count) are withheld too. Inputs keep their code and say
    `"withheld": true`."""
    codes = set(_input_codes(details))
    unpublished, hidden = unpublished & codes, hidden & codes
    withheld = unpublished | hidden
    if not withheld:
        return details

    def shown(item: dict) -> dict:
        if item["code"] not in withheld:
            return item
        fields = WITHHELD_PER_AREA + (WITHHELD_PER_INPUT if item["code"] in unpublished else ())
        return {**item, **{name: None for name in fields if name in item}, "withheld": True}

    public = {**details}
    if "inputs" in details:
        public["inputs"] = [shown(item) for item in details["inputs"]]
    if "themes" in details:
        public["themes"] = [{**theme, "inputs": [shown(item) for item in theme["inputs"]],
                             **({"sum": None, "rank": None} if withheld & {i["code"] for i in theme["inputs"]} else {})}
                            for theme in details["themes"]]
        public["flag_count"] = None
    if "unreliable_inputs" in details:  # an unpublished input's denominator is a number of it
        public["unreliable_inputs"] = [item for item in details["unreliable_inputs"] if item["code"] not in withheld]
    if isinstance(details.get("sum"), dict):
        public["sum"] = {**details["sum"], "value": None}
    elif "sum" in details:
        public["sum"] = None
    return public


def public_summary(conn: Connection, summary: dict) -> dict:
    """A run's summary as readers may see it: no mean or SD of an unpublished input."""
    unpublished = set(conn.execute(sa.text("SELECT code FROM indicator WHERE code = ANY(:codes) AND NOT published"),
                                   {"codes": list(summary.get("inputs", []))}).scalars())
    if not unpublished:
        return summary
    return {**summary, **{name: {code: v for code, v in summary[name].items() if code not in unpublished}
                          for name in ("mean", "sd") if name in summary}}


# --- GeoJSON -----------------------------------------------------------------------------------------------------


def result_feature_texts(conn: Connection, run: IndexRun, *, only_attention: bool = False, precision: int = 6,
                         simplify_m: float | None = None) -> Iterator[str]:
    """GeoJSON Feature texts of a run's areas (CRS84, `precision` decimals), on the boundary version the run
    used, written by the one feature builder (`geo.features`; simplified as a coverage with `simplify_m`)."""
    no_class = run.no_class
    properties_sql = """
        SELECT r.area_id, jsonb_build_object(
                'key', a.key, 'name', a.name, 'level', a.level_code, 'index', CAST(%(ir_index)s AS text),
                'period', CAST(%(ir_period)s AS text), 'value', r.value, 'class', r.class,
                'class_label_de', coalesce(CAST(%(ir_labels)s AS jsonb) -> r.class ->> 'de',
                                           CASE WHEN NOT r.participating THEN CAST(%(ir_no_de)s AS text) END),
                'class_label_en', coalesce(CAST(%(ir_labels)s AS jsonb) -> r.class ->> 'en',
                                           CASE WHEN NOT r.participating THEN CAST(%(ir_no_en)s AS text) END),
                'participating', r.participating, 'reason', r.reason, 'attention', r.attention,
                'unreliable_inputs', (  -- published inputs the class rests on that are statistisch unsicher
                    SELECT string_agg(e ->> 'code', ', ' ORDER BY e ->> 'code')
                    FROM jsonb_array_elements(coalesce(r.details -> 'unreliable_inputs', '[]')) e
                    JOIN indicator i ON i.code = e ->> 'code' AND i.published)) AS properties
        FROM index_result r JOIN area a ON a.id = r.area_id
        WHERE r.run_id = %(ir_run)s AND (r.attention OR NOT %(ir_only_attention)s)"""
    params = {"ir_run": run.id, "ir_only_attention": only_attention, "ir_labels": _json(run.class_labels),
              "ir_no_de": no_class["de"], "ir_no_en": no_class["en"], "ir_index": run.index_id,
              "ir_period": run.period.isoformat()}
    at = run.boundaries_at or boundary_date_for(conn, run.level, run.period)  # runs stored before it was kept
    query = FeatureQuery(level=run.level, at=at, limit=ALL, simplify_m=simplify_m, only_with_properties=True,
                         crs=replace(CRS84, precision=precision))
    for text in feature_texts(conn, query, properties_sql, params):
        yield text.decode()


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
