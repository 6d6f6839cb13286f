"""Index definitions as data: pydantic-validated YAML (indicators/indices/*.yaml) and a versioned database copy.

A definition says which method builds the index (`mss`, `percentile_rank`, `weighted`, or `combination` of a
Status-Index and a Dynamik-Index into the 12 groups of the Gesamtindex), which indicators enter with which
direction, weight and theme, which areas take part (minimum population, explicit exclusions with a stated
reason), how the index is classed and which classes need attention ("Gebiete mit besonderem
Aufmerksamkeitsbedarf"). Every change bumps the version; all versions are kept in index_definition_version.
Validation errors are `IndexDefinitionError(field, message)` with a dotted field path ("inputs.0.weight").
This module does not compute indices (indicators.index_runs does).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Literal

import orjson
import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.engine import Connection

from indicators.classify import SCHEMES as MAPCLASSIFY_SCHEMES
from indicators.composite import (
    DYNAMICS_CLASSES,
    GESAMTINDEX_GROUPS,
    STATUS_CLASSES,
    DynamicsThresholds,
    IndexDefinitionError,
    StatusThresholds,
    attention_rule_default,
)

SHIPPED_DIR = Path(__file__).resolve().parent / "indices"
METHODS = ("mss", "percentile_rank", "weighted", "combination")
ClassSchemeName = Literal["mss_status", "mss_dynamics", "breaks", "quantiles", "fisher_jenks", "equal_interval",
                          "std_mean"]
DEFAULT_ATTENTION_GROUPS = tuple(
    group for group in GESAMTINDEX_GROUPS if attention_rule_default(int(group[0]), group[1:])
)
"""The MSS rule as data: status niedrig/sehr niedrig (3, 4), or mittel (2) with negative dynamics."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputSpec(Strict):
    """One input indicator: direction +1 = higher is worse, -1 = higher is better."""

    indicator: str = Field(min_length=1, max_length=40)
    direction: Literal[1, -1] = 1
    weight: float = Field(default=1.0, ge=0, allow_inf_nan=False)
    theme: str | None = None


class MinimumPopulation(Strict):
    """Areas take part only when `indicator` (same level and period) is at least `minimum`."""

    indicator: str = "EW"
    minimum: float = Field(default=300, ge=0, allow_inf_nan=False)


class Exclusion(Strict):
    """An area left out by the data steward, with the reason stated (e.g. "Ausreißer")."""

    area: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    level: str | None = None


class Participation(Strict):
    min_population: MinimumPopulation | None = None
    exclusions: list[Exclusion] = []


class ClassScheme(Strict):
    """How the index value is classed.

    mss_status / mss_dynamics: the SD limits of the MSS (thresholds named as in StatusThresholds /
    DynamicsThresholds); breaks: fixed ascending upper limits (class i holds values <= breaks[i], the last class
    the rest) with optional labels; quantiles, fisher_jenks, equal_interval, std_mean: mapclassify with k.
    """

    scheme: ClassSchemeName
    thresholds: dict[str, float] | None = None
    breaks: list[float] | None = None
    labels_de: list[str] | None = None
    labels_en: list[str] | None = None
    k: int = Field(default=5, ge=2, le=12)


class Attention(Strict):
    """Which areas need attention: by class code and/or by an index value above a limit."""

    classes: list[str] | None = None
    value_above: float | None = Field(default=None, allow_inf_nan=False)
    description_de: str | None = None
    description_en: str | None = None


class Components(Strict):
    status: str
    dynamics: str


class IndexDefinition(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    name_de: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    description_de: str | None = None
    description_en: str | None = None
    source: str | None = None
    method: Literal["mss", "percentile_rank", "weighted", "combination"]
    levels: list[str] = Field(default=["plr"], min_length=1)
    inputs: list[InputSpec] = []
    components: Components | None = None
    standardise: Literal["zscore", "minmax"] = "zscore"
    restandardise: bool = False
    flag_threshold: float = Field(default=0.9, ge=0, le=1)
    participation: Participation = Participation()
    classes: ClassScheme | None = None
    attention: Attention | None = None
    published: bool = True

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    def status_thresholds(self) -> StatusThresholds:
        return StatusThresholds(**(self.classes.thresholds or {})) if self.classes else StatusThresholds()

    def dynamics_thresholds(self) -> DynamicsThresholds:
        return DynamicsThresholds(**(self.classes.thresholds or {})) if self.classes else DynamicsThresholds()

    def attention_classes(self) -> tuple[str, ...]:
        """Class codes flagged for attention; a combination without a rule uses the MSS default."""
        if self.attention is None:
            return DEFAULT_ATTENTION_GROUPS if self.method == "combination" else ()
        return tuple(self.attention.classes or ())


class DefinitionConflict(ValueError):
    """A definition with this id exists already (create) or does not exist (update)."""


def parse_definition(data: Any) -> IndexDefinition:
    """Validate a definition's shape and its internal consistency; errors name the field."""
    if not isinstance(data, dict):
        raise IndexDefinitionError("definition", "must be an object (JSON) or a mapping (YAML)")
    try:
        definition = IndexDefinition.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "definition"
        raise IndexDefinitionError(field, first["msg"]) from exc
    check_consistency(definition)
    return definition


def check_consistency(definition: IndexDefinition) -> None:
    """Rules that need more than one field: inputs vs. method, weights, themes, class scheme, attention."""
    method = definition.method
    if method == "combination":
        if definition.components is None:
            raise IndexDefinitionError("components", "a combination needs components.status and components.dynamics")
        if definition.inputs:
            raise IndexDefinitionError("inputs", "a combination takes no inputs of its own; its components have them")
    else:
        if definition.components is not None:
            raise IndexDefinitionError("components", f"only a combination has components, not method {method!r}")
        if not definition.inputs:
            raise IndexDefinitionError("inputs", "at least one input indicator is needed")
        codes = [item.indicator for item in definition.inputs]
        for position, code in enumerate(codes):
            if codes.index(code) != position:
                raise IndexDefinitionError(f"inputs.{position}.indicator", f"{code} is given twice")
        if sum(item.weight for item in definition.inputs) == 0:
            raise IndexDefinitionError("inputs.weight", "the weights sum to zero")
        if method != "weighted":
            for position, item in enumerate(definition.inputs):
                if item.weight != 1:
                    raise IndexDefinitionError(f"inputs.{position}.weight",
                                               f"the {method} method weighs all inputs equally; use method 'weighted'")
    if method == "percentile_rank":
        for position, item in enumerate(definition.inputs):
            if not item.theme:
                raise IndexDefinitionError(f"inputs.{position}.theme", "every input of a percentile-rank index needs a theme")
    _check_classes(definition)
    _check_attention(definition)
    for position, exclusion in enumerate(definition.participation.exclusions):
        if exclusion.level is not None and exclusion.level not in definition.levels:
            raise IndexDefinitionError(f"participation.exclusions.{position}.level",
                                       f"level {exclusion.level!r} is not one of the index's levels {definition.levels}")


def _check_classes(definition: IndexDefinition) -> None:
    scheme = definition.classes
    if definition.method == "combination":
        if scheme is not None:
            raise IndexDefinitionError("classes", "the Gesamtindex groups follow from its components; give no classes")
        return
    if scheme is None:
        return
    if scheme.scheme in ("mss_status", "mss_dynamics"):
        if definition.method != "mss":
            raise IndexDefinitionError("classes.scheme", f"{scheme.scheme} classes belong to the mss method")
        limits = StatusThresholds if scheme.scheme == "mss_status" else DynamicsThresholds
        try:
            limits(**(scheme.thresholds or {}))
        except TypeError as exc:
            raise IndexDefinitionError("classes.thresholds", f"unknown threshold name ({exc})") from exc
        except IndexDefinitionError as exc:
            raise IndexDefinitionError("classes.thresholds", exc.message) from exc
    elif scheme.thresholds is not None:
        raise IndexDefinitionError("classes.thresholds", f"thresholds belong to mss_status/mss_dynamics, not {scheme.scheme}")
    if scheme.scheme == "breaks":
        breaks = scheme.breaks or []
        if not breaks:
            raise IndexDefinitionError("classes.breaks", "give at least one break")
        if any(upper <= lower for lower, upper in itertools.pairwise(breaks)):
            raise IndexDefinitionError("classes.breaks", "breaks must be strictly ascending")
        for name in ("labels_de", "labels_en"):
            labels = getattr(scheme, name)
            if labels is not None and len(labels) != len(breaks) + 1:
                raise IndexDefinitionError(f"classes.{name}", f"give {len(breaks) + 1} labels for {len(breaks)} breaks")
    elif scheme.breaks is not None:
        raise IndexDefinitionError("classes.breaks", f"breaks belong to the scheme 'breaks', not {scheme.scheme}")
    if scheme.scheme not in ("mss_status", "mss_dynamics", "breaks") and scheme.scheme not in MAPCLASSIFY_SCHEMES:
        raise IndexDefinitionError("classes.scheme", f"unknown scheme {scheme.scheme!r}")


def _check_attention(definition: IndexDefinition) -> None:
    if definition.attention is None or not definition.attention.classes:
        return
    codes = class_codes(definition)
    if codes is None:
        return
    for position, code in enumerate(definition.attention.classes):
        if code not in codes:
            raise IndexDefinitionError(f"attention.classes.{position}", f"{code!r} is not a class; classes: {list(codes)}")


def class_codes(definition: IndexDefinition) -> tuple[str, ...] | None:
    """The possible class codes, or None where they depend on the data (mapclassify may give fewer than k)."""
    if definition.method == "combination":
        return GESAMTINDEX_GROUPS
    scheme = definition.classes
    if scheme is None:
        return ()
    if scheme.scheme == "mss_status":
        return tuple(str(c) for c in STATUS_CLASSES)
    if scheme.scheme == "mss_dynamics":
        return DYNAMICS_CLASSES
    if scheme.scheme == "breaks":
        return tuple(str(i) for i in range(1, len(scheme.breaks or []) + 2))
    if scheme.scheme == "std_mean":
        return tuple(str(i) for i in range(1, 6))
    return tuple(str(i) for i in range(1, scheme.k + 1))


def check_references(conn: Connection, definition: IndexDefinition) -> None:
    """Every indicator, level, component and excluded area the definition names must exist."""
    known = {row[0] for row in conn.execute(sa.text("SELECT code FROM indicator"))}
    for position, item in enumerate(definition.inputs):
        if item.indicator not in known:
            raise IndexDefinitionError(f"inputs.{position}.indicator", f"unknown indicator {item.indicator!r}")
    population = definition.participation.min_population
    if population is not None and population.indicator not in known:
        raise IndexDefinitionError("participation.min_population.indicator", f"unknown indicator {population.indicator!r}")
    levels = {row[0] for row in conn.execute(sa.text("SELECT code FROM area_level"))}
    for position, level in enumerate(definition.levels):
        if level not in levels:
            raise IndexDefinitionError(f"levels.{position}", f"unknown level {level!r}; levels: {sorted(levels)}")
    for position, exclusion in enumerate(definition.participation.exclusions):
        exists = conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM area WHERE key = :key AND level_code = ANY(:levels))"),
                              {"key": exclusion.area, "levels": [exclusion.level] if exclusion.level else definition.levels}
                              ).scalar_one()
        if not exists:
            raise IndexDefinitionError(f"participation.exclusions.{position}.area",
                                       f"no area {exclusion.area!r} on the level(s) {exclusion.level or definition.levels}")
    if definition.components is not None:
        expected = {"status": "mss_status", "dynamics": "mss_dynamics"}
        for role, component_id in definition.components.model_dump().items():
            component = get_definition(conn, component_id)
            if component is None:
                raise IndexDefinitionError(f"components.{role}", f"unknown index {component_id!r}")
            parsed = IndexDefinition.model_validate(component["definition"])
            if parsed.method != "mss" or parsed.classes is None or parsed.classes.scheme != expected[role]:
                raise IndexDefinitionError(f"components.{role}",
                                           f"{component_id!r} must be an mss index with {expected[role]} classes")


# --- shipped YAML ------------------------------------------------------------------------------------------


def read_definition_file(path: Path) -> IndexDefinition:
    """One shipped or user-written YAML file; errors name the file and the field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return parse_definition(data)
    except yaml.YAMLError as exc:
        raise IndexDefinitionError("definition", f"{path.name}: not valid YAML ({exc})") from exc
    except IndexDefinitionError as exc:
        raise IndexDefinitionError(exc.field, f"{path.name}: {exc.message}") from exc


def shipped_definitions(directory: Path = SHIPPED_DIR) -> list[IndexDefinition]:
    """The shipped definitions, components before the combinations that use them."""
    definitions = [read_definition_file(path) for path in sorted(directory.glob("*.yaml"))]
    return sorted(definitions, key=lambda d: d.method == "combination")


def install_shipped(conn: Connection, created_by: str = "shipped", directory: Path = SHIPPED_DIR) -> list[str]:
    """Store every shipped definition that the database does not hold yet (a steward's edits are kept)."""
    installed = []
    for definition in shipped_definitions(directory):
        if get_definition(conn, definition.id) is None:
            check_references(conn, definition)
            create_definition(conn, definition, created_by)
            installed.append(definition.id)
    return installed


# --- database ----------------------------------------------------------------------------------------------

DEFINITION_COLUMNS = "id, version, name_de, name_en, method, definition, published, updated_at, updated_by"


def list_definitions(conn: Connection) -> list[dict]:
    rows = conn.execute(sa.text(f"SELECT {DEFINITION_COLUMNS} FROM index_definition ORDER BY id"))
    return [dict(row._mapping) for row in rows]


def get_definition(conn: Connection, index_id: str, version: int | None = None) -> dict | None:
    """The current definition, or one stored version of it."""
    if version is None:
        row = conn.execute(sa.text(f"SELECT {DEFINITION_COLUMNS} FROM index_definition WHERE id = :id"),
                           {"id": index_id}).one_or_none()
        return None if row is None else dict(row._mapping)
    row = conn.execute(sa.text("""
        SELECT d.id, v.version, d.name_de, d.name_en, d.method, v.definition, d.published, v.created_at AS updated_at,
               v.created_by AS updated_by
        FROM index_definition_version v JOIN index_definition d ON d.id = v.index_id
        WHERE v.index_id = :id AND v.version = :version"""), {"id": index_id, "version": version}).one_or_none()
    return None if row is None else dict(row._mapping)


def list_versions(conn: Connection, index_id: str) -> list[dict]:
    rows = conn.execute(sa.text("""
        SELECT version, created_at, created_by FROM index_definition_version WHERE index_id = :id ORDER BY version DESC"""),
        {"id": index_id})
    return [dict(row._mapping) for row in rows]


def create_definition(conn: Connection, definition: IndexDefinition, created_by: str) -> dict:
    """Store a new definition as version 1."""
    if get_definition(conn, definition.id) is not None:
        raise DefinitionConflict(f"index {definition.id!r} exists already; change it with PUT")
    payload = orjson.dumps(definition.as_json()).decode()
    conn.execute(sa.text("""
        INSERT INTO index_definition (id, version, name_de, name_en, method, definition, published, updated_by)
        VALUES (:id, 1, :name_de, :name_en, :method, CAST(:definition AS jsonb), :published, :by)"""),
        {"id": definition.id, "name_de": definition.name_de, "name_en": definition.name_en,
         "method": definition.method, "definition": payload, "published": definition.published, "by": created_by})
    _store_version(conn, definition.id, 1, payload, created_by)
    return get_definition(conn, definition.id)


def update_definition(conn: Connection, definition: IndexDefinition, updated_by: str) -> tuple[dict, dict]:
    """Replace the current definition with a new version (the old one stays in index_definition_version).

    Returns (before, after). An update that changes nothing keeps the version.
    """
    before = conn.execute(sa.text(f"SELECT {DEFINITION_COLUMNS} FROM index_definition WHERE id = :id FOR UPDATE"),
                          {"id": definition.id}).one_or_none()
    if before is None:
        raise DefinitionConflict(f"there is no index {definition.id!r}; create it with POST")
    before = dict(before._mapping)
    if before["definition"] == definition.as_json():
        return before, before
    version = before["version"] + 1
    payload = orjson.dumps(definition.as_json()).decode()
    conn.execute(sa.text("""
        UPDATE index_definition SET version = :version, name_de = :name_de, name_en = :name_en, method = :method,
            definition = CAST(:definition AS jsonb), published = :published, updated_at = now(), updated_by = :by
        WHERE id = :id"""),
        {"id": definition.id, "version": version, "name_de": definition.name_de, "name_en": definition.name_en,
         "method": definition.method, "definition": payload, "published": definition.published, "by": updated_by})
    _store_version(conn, definition.id, version, payload, updated_by)
    return before, get_definition(conn, definition.id)


def dependent_indices(conn: Connection, index_id: str) -> list[str]:
    """Combinations that use `index_id` as a component."""
    rows = conn.execute(sa.text("""
        SELECT id FROM index_definition
        WHERE definition -> 'components' ->> 'status' = :id OR definition -> 'components' ->> 'dynamics' = :id
        ORDER BY id"""), {"id": index_id})
    return [row[0] for row in rows]


def _store_version(conn: Connection, index_id: str, version: int, payload: str, created_by: str) -> None:
    conn.execute(sa.text("""
        INSERT INTO index_definition_version (index_id, version, definition, created_by)
        VALUES (:id, :version, CAST(:definition AS jsonb), :by)"""),
        {"id": index_id, "version": version, "definition": payload, "by": created_by})
