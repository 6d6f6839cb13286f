"""Index definitions as data: pydantic-validated YAML (indicators/indices/*.yaml) and a versioned database copy.

A definition says which method builds the index (a name registered in indicators.index_methods, e.g. `mss`,
`percentile_rank`, `weighted`, or `combination` of a Status-Index and a Dynamik-Index into the 12 groups of the
Gesamtindex), which indicators enter with which
direction, weight and theme, which areas take part (minimum population, explicit exclusions with a stated
reason), how the index is classed and which classes need attention ("Gebiete mit besonderem
Aufmerksamkeitsbedarf"). Every change bumps the version; all versions are kept in index_definition_version.
Validation errors are `IndexDefinitionError(field, message)` with a dotted field path ("inputs.0.weight").
A definition is parsed once, where it is read (YAML file, request body, database row): every reader gets a
typed `IndexDefinition` (inside a `StoredDefinition` with its version when read from the database) and never
the JSON. Rules that depend on the method are asked of the method (`method_for(definition)`).
This module does not compute indices (indicators.index_runs does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import orjson
import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.engine import Connection

from indicators.composite import GESAMTINDEX_GROUPS, IndexDefinitionError, attention_rule_default
from indicators.index_methods import GENERIC_CLASS_SCHEMES, ComponentMethod, all_own_schemes, method_for, method_names

SHIPPED_DIR = Path(__file__).resolve().parent / "indices"
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

    indicator: str = Field(min_length=1, max_length=40)  # a count of the level, e.g. its inhabitants
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

    scheme: str
    thresholds: dict[str, float] | None = None
    breaks: list[float] | None = None
    labels_de: list[str] | None = None
    labels_en: list[str] | None = None
    k: int = Field(default=5, ge=2, le=12)

    @field_validator("scheme")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        known = GENERIC_CLASS_SCHEMES + all_own_schemes()
        if value not in known:
            raise ValueError(f"unknown class scheme {value!r}; schemes: {', '.join(known)}")
        return value


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
    method: str
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
    # the same index of the edition before (the MSS of two years earlier): reports compare attention areas with
    # it, also across a change of the boundaries (indicators.editions.previous_edition_classes)
    previous_edition: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,62}$")

    @field_validator("method")
    @classmethod
    def _registered_method(cls, value: str) -> str:
        if value not in method_names():
            raise ValueError(f"unknown method {value!r}; methods: {', '.join(method_names())}")
        return value

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    def attention_classes(self) -> tuple[str, ...]:
        """Class codes flagged for attention; without a rule, the method's default (e.g. the MSS rule)."""
        if self.attention is None:
            return method_for(self).default_attention()
        return tuple(self.attention.classes or ())

    def attention_rule(self) -> dict[str, Any]:
        """The attention rule as stated, or the method's default as {"classes": [...]}."""
        return self.attention.model_dump(mode="json", exclude_none=True) if self.attention else {
            "classes": list(self.attention_classes())}

    def component_ids(self) -> dict[str, str]:
        """role -> index id of each component (empty for a method built from inputs)."""
        return self.components.model_dump() if self.components is not None else {}


@dataclass(frozen=True)
class StoredDefinition:
    """A definition as stored: its current (or a requested) version, who changed it when, and the parsed
    definition. `as_record()` gives the JSON form for API bodies and the audit log."""

    id: str
    version: int
    name_de: str
    name_en: str
    method: str
    definition: IndexDefinition
    published: bool
    updated_at: datetime
    updated_by: str

    def as_record(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "name_de": self.name_de, "name_en": self.name_en,
                "method": self.method, "definition": self.definition.as_json(), "published": self.published,
                "updated_at": self.updated_at, "updated_by": self.updated_by}


class IndexNotFound(LookupError):
    def __init__(self, index_id: str):
        super().__init__(f"there is no index {index_id!r}")
        self.index_id = index_id


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
    """Rules that need more than one field: the method's own (inputs, weights, themes, components, class
    scheme), then attention classes and exclusions."""
    method_for(definition).check()
    _check_attention(definition)
    if definition.previous_edition == definition.id:
        raise IndexDefinitionError("previous_edition", "an index cannot be its own previous edition")
    for position, exclusion in enumerate(definition.participation.exclusions):
        if exclusion.level is not None and exclusion.level not in definition.levels:
            raise IndexDefinitionError(f"participation.exclusions.{position}.level",
                                       f"level {exclusion.level!r} is not one of the index's levels {definition.levels}")


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
    return method_for(definition).class_codes()


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
    method = method_for(definition)
    if isinstance(method, ComponentMethod):
        for role, component_id in definition.component_ids().items():
            component = get_definition(conn, component_id)
            if component is None:
                raise IndexDefinitionError(f"components.{role}", f"unknown index {component_id!r}")
            method.check_component(role, component.definition)
    if definition.previous_edition is not None and get_definition(conn, definition.previous_edition) is None:
        raise IndexDefinitionError("previous_edition", f"unknown index {definition.previous_edition!r}")


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
    return sorted(definitions, key=lambda d: method_for(d).uses_components())


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


def _stored(row: Any) -> StoredDefinition:
    """The one place a stored definition's JSON becomes a typed definition."""
    item = dict(row._mapping)
    return StoredDefinition(**{**item, "definition": IndexDefinition.model_validate(item["definition"])})


def list_definitions(conn: Connection) -> list[StoredDefinition]:
    rows = conn.execute(sa.text(f"SELECT {DEFINITION_COLUMNS} FROM index_definition ORDER BY id"))
    return [_stored(row) for row in rows]


def get_definition(conn: Connection, index_id: str, version: int | None = None) -> StoredDefinition | None:
    """The current definition, or one stored version of it."""
    if version is None:
        row = conn.execute(sa.text(f"SELECT {DEFINITION_COLUMNS} FROM index_definition WHERE id = :id"),
                           {"id": index_id}).one_or_none()
        return None if row is None else _stored(row)
    row = conn.execute(sa.text("""
        SELECT d.id, v.version, d.name_de, d.name_en, d.method, v.definition, d.published, v.created_at AS updated_at,
               v.created_by AS updated_by
        FROM index_definition_version v JOIN index_definition d ON d.id = v.index_id
        WHERE v.index_id = :id AND v.version = :version"""), {"id": index_id, "version": version}).one_or_none()
    return None if row is None else _stored(row)


def require_definition(conn: Connection, index_id: str) -> StoredDefinition:
    """The current definition; IndexNotFound if there is none."""
    stored = get_definition(conn, index_id)
    if stored is None:
        raise IndexNotFound(index_id)
    return stored


def list_versions(conn: Connection, index_id: str) -> list[dict]:
    rows = conn.execute(sa.text("""
        SELECT version, created_at, created_by FROM index_definition_version WHERE index_id = :id ORDER BY version DESC"""),
        {"id": index_id})
    return [dict(row._mapping) for row in rows]


def create_definition(conn: Connection, definition: IndexDefinition, created_by: str) -> StoredDefinition:
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


def update_definition(conn: Connection, definition: IndexDefinition, updated_by: str
                      ) -> tuple[StoredDefinition, StoredDefinition]:
    """Replace the current definition with a new version (the old one stays in index_definition_version).

    Returns (before, after). An update that changes nothing keeps the version.
    """
    row = conn.execute(sa.text(f"SELECT {DEFINITION_COLUMNS} FROM index_definition WHERE id = :id FOR UPDATE"),
                       {"id": definition.id}).one_or_none()
    if row is None:
        raise DefinitionConflict(f"there is no index {definition.id!r}; create it with POST")
    before = _stored(row)
    if before.definition.as_json() == definition.as_json():
        return before, before
    version = before.version + 1
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
    """Indices that use `index_id` as a component (in any role)."""
    rows = conn.execute(sa.text("""
        SELECT id FROM index_definition
        WHERE jsonb_typeof(definition -> 'components') = 'object'
          AND EXISTS (SELECT 1 FROM jsonb_each_text(definition -> 'components') c WHERE c.value = :id)
        ORDER BY id"""), {"id": index_id})
    return [row[0] for row in rows]


def _store_version(conn: Connection, index_id: str, version: int, payload: str, created_by: str) -> None:
    conn.execute(sa.text("""
        INSERT INTO index_definition_version (index_id, version, definition, created_by)
        VALUES (:id, :version, CAST(:definition AS jsonb), :by)"""),
        {"id": index_id, "version": version, "definition": payload, "by": created_by})
