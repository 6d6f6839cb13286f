"""Computing index definitions on the stored data, with provenance: read the inputs, hash them, compute with
the definition's method (indicators.index_methods), class, explain, and store a run.

A run (index_run) records the definition version, the SHA-256 of everything read (definition, level, period,
boundary version, every input value and flag), who and when; index_result holds per area the value, class,
participation and its reason, the attention flag and, in `details`, each input value with its z-value or
percentile rank and its contribution, the sums and the thresholds used. Computing again with unchanged
inputs reuses the run, so results are identical.

Confidentiality (docs/trust.md): inputs are read with statistical confidentiality applied, so an index value,
its means, SDs and class limits are derived from public cells only; a hidden cell is a missing input (the
area takes no part, the reason says so) and is never read as zero. When disclosure control later hides a
cell a stored run read, that run is computed again in the same transaction
(`recompute_runs_reading_hidden_cells`). Unpublished indicators are read (unpublishing is editorial); readers
get their numbers withheld by indicators.index_results, which reads runs back.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.versions import level_valid_at
from indicators.notation import format_number
from indicators.composite import IndexDefinitionError, explain_areas
from indicators.index_definitions import (
    IndexDefinition,
    IndexNotFound,
    dependent_indices,
    install_shipped,
    list_definitions,
    require_definition,
)
from indicators.index_methods import ComponentMethod, InputMethod, method_for
from indicators.index_results import get_run, latest_run
from indicators.uncertainty import RELIABILITY_RULE, value_intervals
from indicators.values import boundary_date_for

DISCLOSURE_ACTOR = "system: disclosure control"  # computed_by of runs recomputed because a cell became hidden
VERSION_FILTER = level_valid_at("a")
__all__ = ["IndexNotFound"]  # raised here, defined with the definitions


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
    """Every area of the boundary version the period is attached to, with value, flag, numerator and denominator
    per input code; cells statistical confidentiality hides are read as missing (flag 'suppressed', no counts)."""
    at = boundary_date_for(conn, level, period)
    rows = conn.execute(sa.text(f"""
        SELECT a.id AS area_id, a.key, a.name, o.indicator_code AS code,
               CASE WHEN d.observation_id IS NULL THEN o.value END AS value,
               CASE WHEN d.observation_id IS NULL THEN o.flag ELSE 'suppressed' END AS flag,
               CASE WHEN d.observation_id IS NULL THEN o.flag_reason ELSE d.reason END AS flag_reason,
               CASE WHEN d.observation_id IS NULL THEN o.numerator END AS numerator,
               CASE WHEN d.observation_id IS NULL THEN o.denominator END AS denominator
        FROM area a
        LEFT JOIN observation_current o ON o.area_id = a.id AND o.period = :period AND o.indicator_code = ANY(:codes)
        LEFT JOIN disclosure d ON d.observation_id = o.id AND d.indicator_code = o.indicator_code
        WHERE {VERSION_FILTER}
        ORDER BY a.key, o.indicator_code"""), {"level": level, "at": at, "period": period, "codes": codes}).all()
    return at, pd.DataFrame(rows, columns=["area_id", "key", "name", "code", "value", "flag", "flag_reason",
                                           "numerator", "denominator"])


def computable_periods(conn: Connection, definition: IndexDefinition, level: str) -> list[date]:
    """Periods (newest first) at which every input indicator (or every component's inputs) has current
    observations on the level."""
    if definition.components is not None:
        periods = None
        for component_id in definition.component_ids().values():
            component = require_definition(conn, component_id).definition
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
    for level in definition.levels:
        periods = computable_periods(conn, definition, level)
        if not periods:
            if definition.components is not None:
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
    """The inputs of an index built from inputs and the SHA-256 of everything a computation would read."""
    at, long = read_inputs(conn, _input_codes(definition), level, period)
    # the counts decide which classes rest on unreliable inputs; inputs delivered without them hash as before
    hashed = ["area_id", "key", "code", "value", "flag"] + (
        ["numerator", "denominator"] if long[["numerator", "denominator"]].notna().any(axis=None) else [])
    rows = long[hashed].astype(object).where(long.notna(), None).values.tolist()
    inputs_hash = _hash({"definition": definition.as_json(), "level": level, "period": period, "at": at, "rows": rows})
    return at, long, inputs_hash


def evaluate(conn: Connection, definition: IndexDefinition, level: str, period: date,
             prepared: tuple[date, pd.DataFrame, str] | None = None) -> Evaluation:
    """Compute one index for one level and period in memory (no writes)."""
    method = method_for(definition)
    if isinstance(method, ComponentMethod):
        components = {role: evaluate(conn, require_definition(conn, component_id).definition, level, period)
                      for role, component_id in method.components().items()}
        return _combine(method, level, period, components)
    return _evaluate_inputs(conn, method, level, period, prepared)


def _evaluate_inputs(conn: Connection, method: InputMethod, level: str, period: date,
                     prepared: tuple[date, pd.DataFrame, str] | None) -> Evaluation:
    definition = method.definition
    at, long, inputs_hash = prepared or read_and_hash(conn, definition, level, period)
    codes = _input_codes(definition)
    areas = long.drop_duplicates("key").set_index("key")[["area_id", "name"]]
    observed = long.dropna(subset=["code"])
    wide = observed.pivot(index="key", columns="code", values="value").reindex(index=areas.index, columns=codes)
    wide = wide.astype(float)
    flags = observed.set_index(["key", "code"])[["flag", "flag_reason"]]
    given, stated = _participation(definition, level, wide)
    directions = method.directions()
    values = wide[list(directions)]
    result = method.compute(values, given, stated)
    classes = method.classify(result.index.where(result.participating))
    class_info = dict(classes.description)
    frame = areas.assign(value=result.index.where(result.participating), participating=result.participating,
                         reason=result.reason, **{"class": classes.codes})
    frame["attention"] = _attention(definition, frame)
    if classes.thresholds is not None:
        # explain_area could add these per area, but classing one area at a time costs ~15 ms each.
        on_sum = result.thresholds_on_sum_scale(classes.thresholds)
        if on_sum is not None:
            class_info["thresholds_on_sum_scale"] = on_sum
    details = explain_areas(result)
    doubtful = unreliable_inputs(observed[observed["code"].isin(list(directions))])
    for key, explanation in details.items():
        for duplicate in ("key", "index", "participating", "reason"):  # stored in their own columns
            explanation.pop(duplicate)
        explanation["classes"] = class_info
        if key in doubtful and bool(frame.at[key, "participating"]):
            explanation["unreliable_inputs"] = doubtful[key]
        if pd.notna(result.reason[key]) and str(result.reason[key]).startswith("missing input"):
            explanation["missing_inputs"] = [
                {"code": code, "flag": _flag(flags, key, code)[0], "flag_reason": _flag(flags, key, code)[1]}
                for code in directions if pd.isna(values.at[key, code])
            ]
    population = definition.participation.min_population
    summary = _summary(frame, classes.labels) | {
        "inputs": list(directions),
        "missing_inputs": {code: int(values[code].isna().sum()) for code in directions if values[code].isna().any()},
        "classes": class_info,
    }
    summary["unreliable"] = unreliable_summary(details)
    if population is not None:
        summary["min_population"] = {"indicator": population.indicator, "minimum": population.minimum}
    if hasattr(result, "mean"):
        summary["mean"] = {name: _number(v) for name, v in result.mean.items()}
        summary["sd"] = {name: _number(v) for name, v in result.sd.items()}
    return Evaluation(definition, level, period, at, inputs_hash, frame, details, classes.labels, summary)


def unreliable_inputs(observed: pd.DataFrame) -> dict[str, list[dict]]:
    """Per area key, the inputs delivered with numerator and denominator whose value is "statistisch unsicher"
    by the reliability rule of `indicators.uncertainty` (code, denominator, the 95 % interval): a class resting
    on them is marked so in the profile and the explanation (docs/integration.md §2). Inputs without their
    counts cannot be judged and are not listed."""
    counted = observed.dropna(subset=["value", "numerator", "denominator"])
    if counted.empty:
        return {}
    low, high, doubtful = value_intervals(counted["value"], counted["numerator"], counted["denominator"])
    found: dict[str, list[dict]] = {}
    for (key, code, denominator), lo, hi in zip(
            counted.loc[doubtful, ["key", "code", "denominator"]].itertuples(index=False, name=None),
            low[doubtful], high[doubtful]):
        found.setdefault(key, []).append({"code": code, "denominator": _number(denominator),
                                          "ci_low": _number(round(float(lo), 6)),
                                          "ci_high": _number(round(float(hi), 6))})
    return found


def unreliable_summary(details: dict[str, dict]) -> dict[str, Any]:
    """How many classified areas rest on at least one unreliable input, and the rule (run summaries)."""
    return {"areas": sum(1 for item in details.values() if item.get("unreliable_inputs")),
            "rule": RELIABILITY_RULE}


def _flag(flags: pd.DataFrame, key: str, code: str) -> tuple[str | None, str | None]:
    if (key, code) not in flags.index:
        return "no observation", None
    row = flags.loc[(key, code)]
    return (None if pd.isna(row["flag"]) else row["flag"]), (None if pd.isna(row["flag_reason"]) else row["flag_reason"])


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


def _combine(method: ComponentMethod, level: str, period: date, components: dict[str, Evaluation],
             component_runs: dict[str, int] | None = None) -> Evaluation:
    """An index built from the classes of its components (e.g. the Gesamtindex: status digit + dynamics sign)."""
    definition = method.definition
    first = next(iter(components.values()))
    frames = {role: evaluation.frame.reindex(first.frame.index) for role, evaluation in components.items()}
    combined = method.combine(frames)
    frame = first.frame[["area_id", "name"]].assign(value=math.nan, participating=combined.participating,
                                                    reason=combined.reason, **{"class": combined.codes})
    frame["attention"] = _attention(definition, frame)
    rule = {"classes": list(definition.attention_classes())}
    rows = {role: component_frame.to_dict("index") for role, component_frame in frames.items()}
    details = {
        key: {
            "method": method.name,
            **{role: {"index": components[role].definition.id, "class": _text(rows[role][key]["class"]),
                      "value": _number(rows[role][key]["value"])} for role in components},
            "group": _text(code),
            "attention_rule": rule,
        }
        for key, code in frame["class"].items()
    }
    for key, item in details.items():  # a class built from component classes rests on their inputs too
        doubtful = [entry for role in components for entry in
                    components[role].details.get(key, {}).get("unreliable_inputs", ())]
        if doubtful and bool(frame.at[key, "participating"]):
            item["unreliable_inputs"] = list({entry["code"]: entry for entry in doubtful}.values())
    inputs_hash = _combination_hash(definition, level, period, components)
    summary = _summary(frame, combined.labels) | {"attention_rule": rule, "components": {
        role: evaluation.definition.id for role, evaluation in components.items()},
        "unreliable": unreliable_summary(details)}
    parameters = {"components": component_runs} if component_runs else {}
    return Evaluation(definition, level, period, first.at, inputs_hash, frame, details, combined.labels, summary,
                      parameters)


def _combination_hash(definition: IndexDefinition, level: str, period: date, components: dict[str, Evaluation]
                      ) -> str:
    return _hash({"definition": definition.as_json(), "level": level, "period": period,
                  **{role: evaluation.inputs_hash for role, evaluation in components.items()}})


def compute_index(conn: Connection, index_id: str, level: str, period: date, computed_by: str) -> int:
    """Compute and store one index for one level and period; returns the run id.

    A run with the same definition version and the same inputs hash is reused (its `confirmed_at` is set),
    so recomputing unchanged inputs gives the identical stored results. An index built from other indices
    computes its components first. Raises IndexNotFound, or IndexDefinitionError(field, message) when the data
    do not allow the computation (e.g. fewer than 3 participating areas).
    """
    stored = require_definition(conn, index_id)
    definition, version = stored.definition, stored.version
    method = method_for(definition)
    if isinstance(method, ComponentMethod):
        runs = {role: compute_index(conn, component_id, level, period, computed_by)
                for role, component_id in method.components().items()}
        components = {role: _evaluation_from_run(conn, run_id) for role, run_id in runs.items()}
        reused = _reuse(conn, index_id, version, level, period,
                        _combination_hash(definition, level, period, components))
        if reused is not None:
            return reused
        evaluation = _combine(method, level, period, components, runs)
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
    """A stored run in the shape of an Evaluation (for combining components; of the details only the unreliable
    inputs, which the combined class rests on too)."""
    run = get_run(conn, run_id)
    rows = conn.execute(sa.text("""
        SELECT a.key, r.area_id, a.name, r.value, r.class, r.participating, r.reason, r.attention,
               r.details -> 'unreliable_inputs' AS doubtful
        FROM index_result r JOIN area a ON a.id = r.area_id WHERE r.run_id = :id ORDER BY a.key"""),
        {"id": run_id}).all()
    frame = pd.DataFrame(rows, columns=["key", "area_id", "name", "value", "class", "participating", "reason",
                                        "attention", "doubtful"]).set_index("key")
    frame["value"] = frame["value"].astype(float)
    details = {key: {"unreliable_inputs": doubtful} for key, doubtful in frame.pop("doubtful").items() if doubtful}
    return Evaluation(run.definition, run.level, run.period, run.boundaries_at, run.inputs_hash, frame, details,
                      run.class_labels, run.summary)


def recompute_existing(conn: Connection, index_id: str, computed_by: str) -> list[int]:
    """Recompute every level and period that has a run of this index (after its definition changed)."""
    pairs = conn.execute(sa.text("""
        SELECT DISTINCT level_code, period FROM index_run WHERE index_id = :id ORDER BY 1, 2"""), {"id": index_id}).all()
    return [compute_index(conn, index_id, level, period, computed_by) for level, period in pairs]


def recompute_runs_reading_hidden_cells(conn: Connection) -> list[int]:
    """Compute again, from public cells, the latest run of every index, level and period that read an input
    cell disclosure control now hides, and the indices built on it; returns the new run ids."""
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
        for dependent in dependent_indices(conn, index_id):
            if latest_run(conn, dependent, level, period) is not None:
                recomputed.append(compute_index(conn, dependent, level, period, DISCLOSURE_ACTOR))
    return recomputed


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
    """(index, level, period) triples to compute: the given index or all (components before the indices built
    on them), the given level or each definition's levels, the given period or every period at which the inputs
    have data.
    Raises IndexNotFound, or LookupError naming the periods that exist when `period` cannot be computed."""
    stored = list_definitions(conn)
    if index_id is not None:
        stored = [item for item in stored if item.id == index_id]
        if not stored:
            raise IndexNotFound(index_id)
    definitions = sorted((item.definition for item in stored),
                         key=lambda d: (method_for(d).uses_components(), d.id))
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
