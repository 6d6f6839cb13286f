"""Computing index definitions on the stored data, with provenance, and reading the results back.

A run (index_run) records the definition version, the SHA-256 of everything read (definition, level, period,
boundary version, every input value and flag), who and when; index_result holds per area the value, class,
participation and its reason, the attention flag and, in `details`, each input value with its z-value or
percentile rank and its contribution, the sums and the thresholds used. Computing again with unchanged
inputs reuses the run, so results are identical.

Confidentiality (docs/trust.md): inputs are read with statistical confidentiality applied, so an index value,
its means, SDs and class limits are derived from public cells only; a hidden cell is a missing input (the
area takes no part, the reason says so) and is never read as zero. When disclosure control later hides a
cell a stored run read, that run is computed again in the same transaction
(`recompute_runs_reading_hidden_cells`). Unpublished indicators are read (unpublishing is editorial), but
explanations and summaries withhold their numbers from readers (`explain`, `public_summary`).
The index maths is in indicators.composite; this module reads, hashes, persists and reads back.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import orjson
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from indicators.classify import classify, format_number
from indicators.composite import (
    DYNAMICS_LABELS,
    STATUS_LABELS,
    SUM_KEY,
    IndexDefinitionError,
    classify_dynamics,
    classify_status,
    explain_areas,
    gesamtindex_groups,
    mss_index,
    percentile_rank_index,
    weighted_index,
)
from indicators.index_definitions import (
    IndexDefinition,
    dependent_indices,
    get_definition,
    install_shipped,
    list_definitions,
)
from indicators.values import boundary_date_for

NO_CLASS = {"de": "ohne Zuordnung", "en": "without class"}
DISCLOSURE_ACTOR = "system: disclosure control"  # computed_by of runs recomputed because a cell became hidden
NO_CLASS_PLR = {"de": "Planungsraum ohne Zuordnung", "en": "planning area without class"}
VERSION_FILTER = "a.level_code = :level AND a.valid_from <= :at AND (a.valid_to IS NULL OR a.valid_to > :at)"


class IndexNotFound(LookupError):
    def __init__(self, index_id: str):
        super().__init__(f"there is no index {index_id!r}")
        self.index_id = index_id


@dataclass
class Evaluation:
    """An index computed in memory for one level and period, not yet stored."""

    definition: IndexDefinition
    level: str
    period: date
    at: date
    inputs_hash: str
    frame: pd.DataFrame  # index key; area_id, name, value, class, participating, reason, attention
    details: dict[str, dict]
    labels: dict[str, dict[str, str]]
    summary: dict[str, Any]
    parameters: dict[str, Any] = field(default_factory=dict)


# --- reading inputs ----------------------------------------------------------------------------------------


def _input_codes(definition: IndexDefinition) -> list[str]:
    codes = [item.indicator for item in definition.inputs]
    population = definition.participation.min_population
    if population is not None and population.indicator not in codes:
        codes.append(population.indicator)
    return codes


def read_inputs(conn: Connection, codes: list[str], level: str, period: date) -> tuple[date, pd.DataFrame]:
    """Every area of the boundary version the period is attached to, with value and flag per input code;
    cells statistical confidentiality hides are read as missing (flag 'suppressed')."""
    at = boundary_date_for(conn, level, period)
    rows = conn.execute(sa.text(f"""
        SELECT a.id AS area_id, a.key, a.name, o.indicator_code AS code,
               CASE WHEN d.observation_id IS NULL THEN o.value END AS value,
               CASE WHEN d.observation_id IS NULL THEN o.flag ELSE 'suppressed' END AS flag,
               CASE WHEN d.observation_id IS NULL THEN o.flag_reason ELSE d.reason END AS flag_reason
        FROM area a
        LEFT JOIN observation_current o ON o.area_id = a.id AND o.period = :period AND o.indicator_code = ANY(:codes)
        LEFT JOIN disclosure d ON d.observation_id = o.id AND d.indicator_code = o.indicator_code
        WHERE {VERSION_FILTER}
        ORDER BY a.key, o.indicator_code"""), {"level": level, "at": at, "period": period, "codes": codes}).all()
    return at, pd.DataFrame(rows, columns=["area_id", "key", "name", "code", "value", "flag", "flag_reason"])


def computable_periods(conn: Connection, definition: IndexDefinition, level: str) -> list[date]:
    """Periods (newest first) at which every input indicator has current observations on the level."""
    if definition.method == "combination":
        periods = None
        for component_id in (definition.components.status, definition.components.dynamics):
            component = _definition(conn, component_id)
            found = set(computable_periods(conn, component, level))
            periods = found if periods is None else periods & found
        return sorted(periods or (), reverse=True)
    codes = [item.indicator for item in definition.inputs]
    rows = conn.execute(sa.text("""
        SELECT o.period FROM observation_current o JOIN area a ON a.id = o.area_id
        WHERE a.level_code = :level AND o.indicator_code = ANY(:codes)
        GROUP BY o.period HAVING count(DISTINCT o.indicator_code) = :n ORDER BY o.period DESC"""),
        {"level": level, "codes": codes, "n": len(codes)})
    return [row[0] for row in rows]


def input_periods(conn: Connection, codes: list[str], level: str) -> dict[str, list[date]]:
    rows = conn.execute(sa.text("""
        SELECT o.indicator_code, o.period FROM observation_current o JOIN area a ON a.id = o.area_id
        WHERE a.level_code = :level AND o.indicator_code = ANY(:codes)
        GROUP BY 1, 2 ORDER BY 1, 2 DESC"""), {"level": level, "codes": codes})
    found: dict[str, list[date]] = {code: [] for code in codes}
    for code, period in rows:
        found[code].append(period)
    return found


def check_against_data(conn: Connection, definition: IndexDefinition) -> None:
    """The definition must be computable on the stored data of each of its levels: the inputs share a period,
    and at that (latest) period at least 3 areas take part. Errors name the field."""
    for position, level in enumerate(definition.levels):
        periods = computable_periods(conn, definition, level)
        if not periods:
            if definition.method == "combination":
                raise IndexDefinitionError("components", f"the components share no period with data on level {level!r}")
            found = input_periods(conn, [item.indicator for item in definition.inputs], level)
            for index, item in enumerate(definition.inputs):
                if not found[item.indicator]:
                    raise IndexDefinitionError(f"inputs.{index}.indicator",
                                               f"{item.indicator} has no data on level {level!r}")
            listed = "; ".join(f"{code}: {', '.join(p.isoformat() for p in dates)}" for code, dates in found.items())
            raise IndexDefinitionError("inputs", f"the inputs mix periods and share none on level {level!r} ({listed})")
        evaluate(conn, definition, level, periods[0])


# --- computing ---------------------------------------------------------------------------------------------


def _definition(conn: Connection, index_id: str) -> IndexDefinition:
    stored = get_definition(conn, index_id)
    if stored is None:
        raise IndexNotFound(index_id)
    return IndexDefinition.model_validate(stored["definition"])


def _hash(payload: Any) -> str:
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


def _participation(definition: IndexDefinition, level: str, wide: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Flag and reason per area from the participation rules (missing inputs are judged by the method)."""
    given = pd.Series(True, index=wide.index)
    reasons = pd.Series(None, index=wide.index, dtype=object)
    population = definition.participation.min_population
    if population is not None:
        people = wide[population.indicator] if population.indicator in wide else pd.Series(math.nan, index=wide.index)
        limit = format_number(population.minimum, 0 if float(population.minimum).is_integer() else 1, "de")
        too_few = people < population.minimum
        unknown = people.isna()
        reasons[too_few] = f"{population.indicator} unter {limit}"
        reasons[unknown] = f"{population.indicator} fehlt"
        given &= ~(too_few | unknown)
    for exclusion in definition.participation.exclusions:
        if exclusion.level in (None, level) and exclusion.area in wide.index:
            given[exclusion.area] = False
            reasons[exclusion.area] = exclusion.reason
    return given, reasons


def read_and_hash(conn: Connection, definition: IndexDefinition, level: str, period: date
                  ) -> tuple[date, pd.DataFrame, str]:
    """The inputs of a (non-combination) index and the SHA-256 of everything a computation would read."""
    at, long = read_inputs(conn, _input_codes(definition), level, period)
    rows = long[["area_id", "key", "code", "value", "flag"]].astype(object).where(long.notna(), None).values.tolist()
    inputs_hash = _hash({"definition": definition.as_json(), "level": level, "period": period, "at": at, "rows": rows})
    return at, long, inputs_hash


def evaluate(conn: Connection, definition: IndexDefinition, level: str, period: date,
             prepared: tuple[date, pd.DataFrame, str] | None = None) -> Evaluation:
    """Compute one index for one level and period in memory (no writes)."""
    if definition.method == "combination":
        return _evaluate_combination(conn, definition, level, period)
    at, long, inputs_hash = prepared or read_and_hash(conn, definition, level, period)
    codes = _input_codes(definition)
    areas = long.drop_duplicates("key").set_index("key")[["area_id", "name"]]
    observed = long.dropna(subset=["code"])
    wide = observed.pivot(index="key", columns="code", values="value").reindex(index=areas.index, columns=codes)
    wide = wide.astype(float)
    flags = observed.set_index(["key", "code"])[["flag", "flag_reason"]]
    given, stated = _participation(definition, level, wide)
    directions = {item.indicator: item.direction for item in definition.inputs}
    values = wide[list(directions)]
    if definition.method == "mss":
        result = mss_index(values, directions, given, exclusion_reasons=stated)
    elif definition.method == "percentile_rank":
        themes: dict[str, list[str]] = {}
        for item in definition.inputs:
            themes.setdefault(item.theme, []).append(item.indicator)
        result = percentile_rank_index(values, directions, themes, definition.flag_threshold, participating=given,
                                       exclusion_reasons=stated)
    else:
        weights = {item.indicator: item.weight for item in definition.inputs}
        result = weighted_index(values, directions, weights, definition.standardise, definition.restandardise,
                                participating=given, exclusion_reasons=stated)
    classes, labels, thresholds, class_info = _classes(definition, result.index.where(result.participating))
    frame = areas.assign(value=result.index.where(result.participating), participating=result.participating,
                         reason=result.reason, **{"class": classes})
    frame["attention"] = _attention(definition, frame)
    if thresholds is not None and definition.method == "mss":
        # explain_area could add these per area, but classing one area at a time costs ~15 ms each.
        mean, sd = result.mean[SUM_KEY], result.sd[SUM_KEY]
        class_info["thresholds_on_sum_scale"] = {name: float(mean + limit * sd)
                                                 for name, limit in asdict(thresholds).items()}
    details = explain_areas(result)
    for key, explanation in details.items():
        for duplicate in ("key", "index", "participating", "reason"):  # stored in their own columns
            explanation.pop(duplicate)
        explanation["classes"] = class_info
        if pd.notna(result.reason[key]) and str(result.reason[key]).startswith("missing input"):
            explanation["missing_inputs"] = [
                {"code": code, "flag": _flag(flags, key, code)[0], "flag_reason": _flag(flags, key, code)[1]}
                for code in directions if pd.isna(values.at[key, code])
            ]
    population = definition.participation.min_population
    summary = _summary(frame, labels) | {
        "inputs": list(directions),
        "missing_inputs": {code: int(values[code].isna().sum()) for code in directions if values[code].isna().any()},
        "classes": class_info,
    }
    if population is not None:
        summary["min_population"] = {"indicator": population.indicator, "minimum": population.minimum}
    if hasattr(result, "mean"):
        summary["mean"] = {name: _number(v) for name, v in result.mean.items()}
        summary["sd"] = {name: _number(v) for name, v in result.sd.items()}
    return Evaluation(definition, level, period, at, inputs_hash, frame, details, labels, summary)


def _flag(flags: pd.DataFrame, key: str, code: str) -> tuple[str | None, str | None]:
    if (key, code) not in flags.index:
        return "no observation", None
    row = flags.loc[(key, code)]
    return (None if pd.isna(row["flag"]) else row["flag"]), (None if pd.isna(row["flag_reason"]) else row["flag_reason"])


def _classes(definition: IndexDefinition, index: pd.Series):
    """Class code per area, labels per code, thresholds for explain_area, and a JSON description of the scheme."""
    scheme = definition.classes
    empty = pd.Series(None, index=index.index, dtype=object)
    if scheme is None:
        return empty, {}, None, {"scheme": None}
    if scheme.scheme == "mss_status":
        thresholds = definition.status_thresholds()
        codes = classify_status(index, thresholds)
        classes = pd.Series([None if pd.isna(c) else str(int(c)) for c in codes], index=index.index, dtype=object)
        labels = {str(c): dict(label) for c, label in STATUS_LABELS.items()}
        return classes, labels, thresholds, {"scheme": "mss_status", "thresholds": scheme.thresholds or {}}
    if scheme.scheme == "mss_dynamics":
        thresholds = definition.dynamics_thresholds()
        labels = {c: dict(label) for c, label in DYNAMICS_LABELS.items()}
        return (classify_dynamics(index, thresholds), labels, thresholds,
                {"scheme": "mss_dynamics", "thresholds": scheme.thresholds or {}})
    observed = index.dropna()
    if scheme.scheme == "breaks":
        breaks = scheme.breaks
        positions = [None if pd.isna(x) else next((i for i, b in enumerate(breaks) if x <= b), len(breaks))
                     for x in index]
        classes = pd.Series([None if p is None else str(p + 1) for p in positions], index=index.index, dtype=object)
        auto = {lang: [f"≤ {format_number(breaks[0], 2, lang)}"]
                + [f"{format_number(lo, 2, lang)} – {format_number(hi, 2, lang)}" for lo, hi in itertools.pairwise(breaks)]
                + [f"> {format_number(breaks[-1], 2, lang)}"] for lang in ("de", "en")}
        de, en = scheme.labels_de or auto["de"], scheme.labels_en or auto["en"]
        labels = {str(i + 1): {"de": de[i], "en": en[i]} for i in range(len(breaks) + 1)}
        return classes, labels, None, {"scheme": "breaks", "breaks": breaks}
    if observed.empty:
        return empty, {}, None, {"scheme": scheme.scheme}
    result = classify(index, scheme.scheme, k=scheme.k, decimals=2)
    classes = pd.Series([None if pd.isna(c) else str(int(c) + 1) for c in result.yb], index=index.index, dtype=object)
    labels = {str(i + 1): {"de": result.labels_de[i], "en": result.labels_en[i]} for i in range(result.k)}
    return classes, labels, None, {"scheme": scheme.scheme, "k": result.k, "bins": list(result.bins)}


def _attention(definition: IndexDefinition, frame: pd.DataFrame) -> pd.Series:
    flagged = frame["class"].isin(definition.attention_classes())
    if definition.attention is not None and definition.attention.value_above is not None:
        flagged |= frame["value"] > definition.attention.value_above
    return (flagged & frame["participating"]).astype(bool)


def _summary(frame: pd.DataFrame, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    counts = frame.loc[frame["participating"], "class"].value_counts()
    return {
        "n_areas": len(frame),
        "n_participating": int(frame["participating"].sum()),
        "n_attention": int(frame["attention"].sum()),
        "class_counts": {code: int(counts.get(code, 0)) for code in labels},
        "not_participating": {str(reason): int(n) for reason, n in
                              frame.loc[~frame["participating"], "reason"].value_counts().items()},
        "class_labels": labels,
    }


def _evaluate_combination(conn: Connection, definition: IndexDefinition, level: str, period: date) -> Evaluation:
    """The Gesamtindex: status class digit + dynamics class sign per area (MSS 2021 booklet p. 50)."""
    status = evaluate(conn, _definition(conn, definition.components.status), level, period)
    dynamics = evaluate(conn, _definition(conn, definition.components.dynamics), level, period)
    return _combine(definition, level, period, status, dynamics)


def _combine(definition: IndexDefinition, level: str, period: date, status: Evaluation, dynamics: Evaluation,
             component_runs: dict[str, int] | None = None) -> Evaluation:
    s, d = status.frame, dynamics.frame.reindex(status.frame.index)
    groups = gesamtindex_groups(s["class"].map(lambda c: None if pd.isna(c) else int(c)), d["class"])
    participating = s["participating"] & d["participating"].fillna(False).astype(bool) & groups.notna()
    reason = s["reason"].where(s["reason"].notna(), d["reason"])
    frame = s[["area_id", "name"]].assign(value=math.nan, participating=participating, reason=reason,
                                          **{"class": groups.where(participating, None)})
    frame["attention"] = _attention(definition, frame)
    labels = {
        group: {"de": f"Status {STATUS_LABELS[int(group[0])]['de']}, Dynamik {DYNAMICS_LABELS[group[1:]]['de']}",
                "en": f"{STATUS_LABELS[int(group[0])]['en']} status, {DYNAMICS_LABELS[group[1:]]['en']} dynamics"}
        for group in ("1+", "1+/-", "1-", "2+", "2+/-", "2-", "3+", "3+/-", "3-", "4+", "4+/-", "4-")
    }
    rule = {"classes": list(definition.attention_classes())}
    status_rows, dynamics_rows = s.to_dict("index"), d.to_dict("index")
    details = {
        key: {
            "method": "combination",
            "status": {"index": status.definition.id, "class": _text(status_rows[key]["class"]),
                       "value": _number(status_rows[key]["value"])},
            "dynamics": {"index": dynamics.definition.id, "class": _text(dynamics_rows[key]["class"]),
                         "value": _number(dynamics_rows[key]["value"])},
            "group": _text(group),
            "attention_rule": rule,
        }
        for key, group in frame["class"].items()
    }
    inputs_hash = _combination_hash(definition, level, period, status.inputs_hash, dynamics.inputs_hash)
    summary = _summary(frame, labels) | {"attention_rule": rule, "components": {
        "status": status.definition.id, "dynamics": dynamics.definition.id}}
    parameters = {"components": component_runs} if component_runs else {}
    return Evaluation(definition, level, period, status.at, inputs_hash, frame, details, labels, summary, parameters)


def _combination_hash(definition: IndexDefinition, level: str, period: date, status_hash: str,
                      dynamics_hash: str) -> str:
    return _hash({"definition": definition.as_json(), "level": level, "period": period, "status": status_hash,
                  "dynamics": dynamics_hash})


def compute_index(conn: Connection, index_id: str, level: str, period: date, computed_by: str) -> int:
    """Compute and store one index for one level and period; returns the run id.

    A run with the same definition version and the same inputs hash is reused (its `confirmed_at` is set),
    so recomputing unchanged inputs gives the identical stored results. A combination computes its
    components first. Raises IndexNotFound, or IndexDefinitionError(field, message) when the data do not allow
    the computation (e.g. fewer than 3 participating areas).
    """
    stored = get_definition(conn, index_id)
    if stored is None:
        raise IndexNotFound(index_id)
    definition = IndexDefinition.model_validate(stored["definition"])
    version = stored["version"]
    if definition.method == "combination":
        runs = {role: compute_index(conn, component_id, level, period, computed_by)
                for role, component_id in definition.components.model_dump().items()}
        status = _evaluation_from_run(conn, runs["status"])
        dynamics = _evaluation_from_run(conn, runs["dynamics"])
        reused = _reuse(conn, index_id, version, level, period,
                        _combination_hash(definition, level, period, status.inputs_hash, dynamics.inputs_hash))
        if reused is not None:
            return reused
        evaluation = _combine(definition, level, period, status, dynamics, runs)
    else:
        prepared = read_and_hash(conn, definition, level, period)
        reused = _reuse(conn, index_id, version, level, period, prepared[2])
        if reused is not None:
            return reused
        evaluation = evaluate(conn, definition, level, period, prepared)
    return _store(conn, version, evaluation, computed_by)


def _reuse(conn: Connection, index_id: str, version: int, level: str, period: date, inputs_hash: str) -> int | None:
    """The run with identical definition version and inputs, marked as confirmed now; None if there is none."""
    return conn.execute(sa.text("""
        UPDATE index_run SET confirmed_at = now()
        WHERE index_id = :index_id AND definition_version = :version AND level_code = :level AND period = :period
          AND inputs_hash = :hash RETURNING id"""),
        {"index_id": index_id, "version": version, "level": level, "period": period, "hash": inputs_hash}).scalar()


def _store(conn: Connection, version: int, evaluation: Evaluation, computed_by: str) -> int:
    key = {"index_id": evaluation.definition.id, "version": version, "level": evaluation.level,
           "period": evaluation.period, "hash": evaluation.inputs_hash}
    parameters = {"definition": evaluation.definition.as_json(), "boundaries_at": evaluation.at,
                  **evaluation.parameters}
    run_id = conn.execute(sa.text("""
        INSERT INTO index_run (index_id, definition_version, level_code, period, inputs_hash, computed_by, parameters,
                               summary)
        VALUES (:index_id, :version, :level, :period, :hash, :by, CAST(:parameters AS jsonb), CAST(:summary AS jsonb))
        RETURNING id"""),
        {**key, "by": computed_by, "parameters": _json(parameters), "summary": _json(evaluation.summary)}).scalar_one()
    rows = [
        {"run": run_id, "area_id": int(row["area_id"]), "value": _number(row["value"]),
         "class": None if pd.isna(row["class"]) else row["class"], "participating": bool(row["participating"]),
         "reason": None if pd.isna(row["reason"]) else str(row["reason"]),
         "attention": bool(row["attention"]), "details": _json(evaluation.details[key])}
        for key, row in evaluation.frame.to_dict("index").items()
    ]
    conn.execute(sa.text("""
        INSERT INTO index_result (run_id, area_id, value, class, participating, reason, attention, details)
        VALUES (:run, :area_id, :value, :class, :participating, :reason, :attention, CAST(:details AS jsonb))"""), rows)
    return run_id


def _evaluation_from_run(conn: Connection, run_id: int) -> Evaluation:
    """A stored run in the shape of an Evaluation (for combining components)."""
    run = conn.execute(sa.text("SELECT * FROM index_run WHERE id = :id"), {"id": run_id}).one()._mapping
    rows = conn.execute(sa.text("""
        SELECT a.key, r.area_id, a.name, r.value, r.class, r.participating, r.reason, r.attention
        FROM index_result r JOIN area a ON a.id = r.area_id WHERE r.run_id = :id ORDER BY a.key"""),
        {"id": run_id}).all()
    frame = pd.DataFrame(rows, columns=["key", "area_id", "name", "value", "class", "participating", "reason",
                                        "attention"]).set_index("key")
    frame["value"] = frame["value"].astype(float)
    definition = IndexDefinition.model_validate(run["parameters"]["definition"])
    return Evaluation(definition, run["level_code"], run["period"], date.fromisoformat(run["parameters"]["boundaries_at"]),
                      run["inputs_hash"], frame, {}, run["summary"].get("class_labels", {}), run["summary"])


def recompute_existing(conn: Connection, index_id: str, computed_by: str) -> list[int]:
    """Recompute every level and period that has a run of this index (after its definition changed)."""
    pairs = conn.execute(sa.text("""
        SELECT DISTINCT level_code, period FROM index_run WHERE index_id = :id ORDER BY 1, 2"""), {"id": index_id}).all()
    return [compute_index(conn, index_id, level, period, computed_by) for level, period in pairs]


# --- reading results ---------------------------------------------------------------------------------------

RUN_COLUMNS = """r.id, r.index_id, r.definition_version, r.level_code AS level, r.period, r.inputs_hash, r.computed_at,
                 r.computed_by, r.confirmed_at, r.summary, r.parameters"""


def latest_run(conn: Connection, index_id: str, level: str, period: date) -> dict | None:
    """The run last computed or confirmed for this index, level and period (None if never computed)."""
    row = conn.execute(sa.text(f"""
        SELECT {RUN_COLUMNS} FROM index_run r
        WHERE r.index_id = :id AND r.level_code = :level AND r.period = :period
        ORDER BY greatest(r.computed_at, coalesce(r.confirmed_at, r.computed_at)) DESC, r.id DESC LIMIT 1"""),
        {"id": index_id, "level": level, "period": period}).one_or_none()
    return None if row is None else dict(row._mapping)


def list_index_periods(conn: Connection, index_id: str, level: str) -> list[date]:
    """Periods with a stored run of this index on the level, newest first."""
    rows = conn.execute(sa.text("""
        SELECT DISTINCT period FROM index_run WHERE index_id = :id AND level_code = :level ORDER BY period DESC"""),
        {"id": index_id, "level": level})
    return [row[0] for row in rows]


def provenance(run: dict) -> dict:
    """What a client needs to trace a result: run id, definition version, inputs hash, when and by whom."""
    return {"run_id": run["id"], "definition_version": run["definition_version"], "inputs_hash": run["inputs_hash"],
            "computed_at": run["computed_at"], "computed_by": run["computed_by"], "confirmed_at": run["confirmed_at"],
            "boundaries_at": run["parameters"].get("boundaries_at")}


def _label(run: dict, code: str | None, participating: bool) -> dict[str, str | None]:
    if code is None:
        if participating:
            return {"de": None, "en": None}
        return NO_CLASS_PLR if run["level"] == "plr" else NO_CLASS
    return run["summary"].get("class_labels", {}).get(code, {"de": code, "en": code})


def _rows(conn: Connection, run: dict, only_attention: bool = False) -> list[dict]:
    rows = conn.execute(sa.text("""
        SELECT a.key, a.name, r.value, r.class, r.participating, r.reason, r.attention
        FROM index_result r JOIN area a ON a.id = r.area_id
        WHERE r.run_id = :run AND (r.attention OR NOT :only_attention)
        ORDER BY a.key"""), {"run": run["id"], "only_attention": only_attention})
    items = []
    for row in rows:
        item = dict(row._mapping)
        label = _label(run, item["class"], item["participating"])
        items.append({"key": item["key"], "name": item["name"], "value": item["value"], "class": item["class"],
                      "class_label_de": label["de"], "class_label_en": label["en"],
                      "participating": item["participating"], "reason": item["reason"], "attention": item["attention"]})
    return items


def results(conn: Connection, index_id: str, level: str, period: date) -> list[dict]:
    """Per area of the latest run: key, name, value, class, class_label_de, class_label_en, participating, reason,
    attention. Empty when the index was never computed for this level and period."""
    run = latest_run(conn, index_id, level, period)
    return [] if run is None else _rows(conn, run)


def attention_areas(conn: Connection, index_id: str, level: str, period: date) -> list[dict]:
    """The areas flagged by the index's attention rule, with their classes (same fields as `results`)."""
    run = latest_run(conn, index_id, level, period)
    return [] if run is None else _rows(conn, run, only_attention=True)


def explain(conn: Connection, index_id: str, area_key: str, level: str, period: date,
            unsuppressed: bool = False) -> dict:
    """How one area's class came about: each input value, its standardised value (z or percentile rank), its
    contribution, the sums, the thresholds used and the class; for a combination the explanation of both
    components. Readers (`unsuppressed` False) get the numbers of unpublished or hidden inputs withheld
    (`withhold_inputs`). Raises LookupError when the index was not computed there or the area is not in the run."""
    run = latest_run(conn, index_id, level, period)
    if run is None:
        raise LookupError(f"index {index_id!r} was not computed for level {level!r} and period {period}")
    row = conn.execute(sa.text("""
        SELECT a.key, a.name, r.value, r.class, r.participating, r.reason, r.attention, r.details
        FROM index_result r JOIN area a ON a.id = r.area_id WHERE r.run_id = :run AND a.key = :key"""),
        {"run": run["id"], "key": area_key}).one_or_none()
    if row is None:
        raise LookupError(f"no area {area_key!r} in the {level!r} results of {index_id!r} for {period}")
    item = dict(row._mapping)
    label = _label(run, item["class"], item["participating"])
    definition = run["parameters"]["definition"]
    explanation = {
        "index": {"id": index_id, "name_de": definition["name_de"], "name_en": definition["name_en"],
                  "method": definition["method"]},
        "level": level, "period": period, "key": item["key"], "name": item["name"], "value": item["value"],
        "class": item["class"], "class_label_de": label["de"], "class_label_en": label["en"],
        "participating": item["participating"], "reason": item["reason"], "attention": item["attention"],
        "attention_rule": definition.get("attention") or {"classes": list(IndexDefinition.model_validate(
            definition).attention_classes())},
        "provenance": provenance(run),
        **(item["details"] if unsuppressed else withhold_inputs(conn, item["details"], level, period, area_key)),
    }
    if definition["method"] == "combination":
        components = run["parameters"].get("components", {})
        for role in ("status", "dynamics"):
            component_run = conn.execute(sa.text(f"SELECT {RUN_COLUMNS} FROM index_run r WHERE r.id = :id"),
                                         {"id": components.get(role)}).one_or_none()
            if component_run is not None:
                component = dict(component_run._mapping)
                explanation[role] = explain_run_area(conn, component, area_key, unsuppressed)
    return explanation


def explain_run_area(conn: Connection, run: dict, area_key: str, unsuppressed: bool = False) -> dict:
    """One area of one stored run: value, class, labels, participation, provenance and the stored details
    (for readers with the numbers of unpublished or hidden inputs withheld)."""
    row = conn.execute(sa.text("""
        SELECT r.value, r.class, r.participating, r.reason, r.details
        FROM index_result r JOIN area a ON a.id = r.area_id WHERE r.run_id = :run AND a.key = :key"""),
        {"run": run["id"], "key": area_key}).one()
    item = dict(row._mapping)
    label = _label(run, item["class"], item["participating"])
    details = item["details"] if unsuppressed else withhold_inputs(conn, item["details"], run["level"], run["period"],
                                                                    area_key)
    return {"index": run["index_id"], "value": item["value"], "class": item["class"], "class_label_de": label["de"],
            "class_label_en": label["en"], "participating": item["participating"], "reason": item["reason"],
            "provenance": provenance(run), **details}


WITHHELD_PER_AREA = ("value", "z", "standardised", "contribution", "rank", "flag")
WITHHELD_PER_INPUT = ("mean", "sd", "min", "max")


def withhold_inputs(conn: Connection, details: dict, level: str, period: date, area_key: str) -> dict:
    """An explanation's details as readers may see them. An input of an unpublished indicator loses every
    number (its value, standardised value and contribution here, its mean, SD, minimum and maximum over all
    areas); an input whose cell is hidden in this area loses its value, standardised value and contribution.
    Sums that would give a withheld contribution back by subtraction (the area's sum, a theme's sum and rank,
    the flag count) are withheld too. Inputs keep their code and say `"withheld": true`."""
    inputs = [item for theme in details.get("themes", []) for item in theme["inputs"]] + details.get("inputs", [])
    codes = [item["code"] for item in inputs]
    unpublished = set(conn.execute(sa.text("SELECT code FROM indicator WHERE code = ANY(:codes) AND NOT published"),
                                   {"codes": codes}).scalars())
    hidden = set(conn.execute(sa.text("""
        SELECT o.indicator_code FROM observation o
        JOIN area a ON a.id = o.area_id AND a.level_code = :level AND a.key = :key
        JOIN disclosure d ON d.observation_id = o.id AND d.indicator_code = o.indicator_code
        WHERE o.indicator_code = ANY(:codes) AND o.period = :period AND o.superseded_at IS NULL"""),
        {"codes": codes, "level": level, "key": area_key, "period": period}).scalars())
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


def recompute_runs_reading_hidden_cells(conn: Connection) -> list[int]:
    """Compute again, from public cells, the latest run of every index, level and period that read an input
    cell disclosure control now hides, and the combinations built on it; returns the new run ids."""
    stale = conn.execute(sa.text("""
        WITH latest AS (
            SELECT DISTINCT ON (index_id, level_code, period) id, index_id, level_code, period FROM index_run
            ORDER BY index_id, level_code, period, greatest(computed_at, coalesce(confirmed_at, computed_at)) DESC,
                     id DESC
        ), used AS (
            SELECT DISTINCT l.index_id, l.level_code, l.period, r.area_id, x ->> 'code' AS code
            FROM latest l JOIN index_result r ON r.run_id = l.id,
                 LATERAL jsonb_path_query(r.details, 'lax $.**.inputs[*] ? (@.value != null)') x
        )
        SELECT DISTINCT u.index_id, u.level_code, u.period FROM used u
        JOIN observation o ON o.indicator_code = u.code AND o.area_id = u.area_id AND o.period = u.period
             AND o.superseded_at IS NULL
        JOIN disclosure d ON d.observation_id = o.id AND d.indicator_code = o.indicator_code
        ORDER BY 1, 2, 3""")).all()
    recomputed = []
    for index_id, level, period in stale:
        recomputed.append(compute_index(conn, index_id, level, period, DISCLOSURE_ACTOR))
        for combination in dependent_indices(conn, index_id):
            if latest_run(conn, combination, level, period) is not None:
                recomputed.append(compute_index(conn, combination, level, period, DISCLOSURE_ACTOR))
    return recomputed


def result_feature_texts(conn: Connection, run: dict, *, only_attention: bool = False, precision: int = 6,
                         simplify_m: float | None = None) -> Iterator[str]:
    """GeoJSON Feature texts (built in PostGIS) of a run's areas, on the boundary version the run used."""
    geometry = ("ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(a.geom, :tolerance), 4326), :precision)::json"
                if simplify_m else "ST_AsGeoJSON(a.geom_4326, :precision)::json")
    labels = _json(run["summary"].get("class_labels", {}))
    no_class = NO_CLASS_PLR if run["level"] == "plr" else NO_CLASS
    sql = f"""
        SELECT json_build_object(
            'type', 'Feature', 'id', a.key, 'geometry', {geometry},
            'properties', json_build_object(
                'key', a.key, 'name', a.name, 'level', a.level_code, 'index', CAST(:index_id AS text), 'period', CAST(:period AS text),
                'value', r.value, 'class', r.class,
                'class_label_de', coalesce(CAST(:labels AS jsonb) -> r.class ->> 'de',
                                           CASE WHEN NOT r.participating THEN CAST(:no_de AS text) END),
                'class_label_en', coalesce(CAST(:labels AS jsonb) -> r.class ->> 'en',
                                           CASE WHEN NOT r.participating THEN CAST(:no_en AS text) END),
                'participating', r.participating, 'reason', r.reason, 'attention', r.attention))::text
        FROM index_result r JOIN area a ON a.id = r.area_id
        WHERE r.run_id = :run AND (r.attention OR NOT :only_attention)
        ORDER BY a.key"""
    params = {"run": run["id"], "only_attention": only_attention, "precision": precision, "tolerance": simplify_m,
              "labels": labels, "no_de": no_class["de"], "no_en": no_class["en"], "index_id": run["index_id"],
              "period": run["period"].isoformat()}
    for (text,) in conn.execute(sa.text(sql), params):
        yield text


def _number(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)


def _text(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def compute_demo_indices(conn: Connection, items: list[dict], computed_by: str = "demo") -> list[int]:
    """Install the shipped definitions (keeping a steward's edits) and compute the listed index runs.

    `items`: {index, level, period} mappings as written in a demo manifest.
    """
    install_shipped(conn, created_by=computed_by)
    return [compute_index(conn, item["index"], item["level"], _as_date(item["period"]), computed_by) for item in items]


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def plan_runs(conn: Connection, index_id: str | None = None, level: str | None = None,
              period: date | None = None) -> list[tuple[str, str, date]]:
    """(index, level, period) triples to compute: the given index or all (components before combinations), the
    given level or each definition's levels, the given period or every period at which the inputs have data.
    Raises IndexNotFound, or LookupError naming the periods that exist when `period` cannot be computed."""
    stored = list_definitions(conn)
    if index_id is not None:
        stored = [item for item in stored if item["id"] == index_id]
        if not stored:
            raise IndexNotFound(index_id)
    definitions = sorted((IndexDefinition.model_validate(item["definition"]) for item in stored),
                         key=lambda d: (d.method == "combination", d.id))
    plan = []
    for definition in definitions:
        for chosen_level in [level] if level else definition.levels:
            possible = computable_periods(conn, definition, chosen_level)
            if period is not None:
                if period not in possible:
                    if index_id is None:
                        continue
                    raise LookupError(f"the inputs of {definition.id} have no data on level {chosen_level!r} at "
                                      f"{period}; periods with data: {', '.join(p.isoformat() for p in possible) or 'none'}")
                plan.append((definition.id, chosen_level, period))
            else:
                plan.extend((definition.id, chosen_level, p) for p in possible)
    return plan
