"""The indicator catalogue: reviewable YAML definitions (indicators/catalogues/*.yaml) loaded into the database.

Each indicator carries its meaning (description, rationale = "Begründung"), its topic ("Handlungsfeld"),
unit, numerator/denominator, direction, aggregation rule, disclosure thresholds, an optional target and the
breaks of its series.
A data steward edits single definitions through the API; those edits are validated with the same pydantic
model as the YAML files (`IndicatorDefinition`), so a definition valid in one place is valid in the other.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.engine import Connection

from indicators.observation_source import observation_source
from indicators.version_memo import per_data_version

CATALOGUES = Path(__file__).resolve().parent / "catalogues"


class CatalogueError(ValueError):
    """A catalogue file that cannot be loaded; the message names the file and the field."""


class DefinitionError(ValueError):
    """One indicator definition that cannot be stored; `errors` name each field and what is wrong."""

    def __init__(self, errors: list[dict[str, str]], conflict: bool = False):
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors
        self.conflict = conflict


class Topic(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z0-9_]+$")
    name_de: str
    name_en: str


class PopulationGroup(BaseModel):
    """A population group indicators are broken down by: its code, the dimension it belongs to (nationality,
    migration background, sex, age group, generation, residence status, ...) and its names."""
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z0-9_]+$", max_length=40)
    dimension: str = Field(pattern=r"^[a-z0-9_]+$", max_length=40)
    name_de: str
    name_en: str


class Disclosure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_numerator: int | None = Field(default=3, ge=1)
    min_denominator: int | None = Field(default=30, ge=1)


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: float
    year: int = Field(ge=2000, le=2100)
    note_de: str | None = None


class SeriesBreak(BaseModel):
    """A break in the series: values before `at` and after it are not comparable as they stand (the 2011 census
    reset the population figures; a definition changed). Charts break their lines there, change maps across it
    say so."""
    model_config = ConfigDict(extra="forbid")
    at: date
    label_de: str = Field(min_length=1, max_length=30)  # what a chart writes beside the break: "Zensus 2011"
    label_en: str | None = Field(default=None, max_length=30)
    note_de: str | None = None  # what a text says about it
    note_en: str | None = None


class IndicatorDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=40)
    name_de: str
    name_en: str
    topic: str | None
    role: Literal["status", "dynamics", "context", "population"]
    kind: Literal["share", "change", "count", "rate"]
    unit: str
    change_of: str | None = None
    description_de: str | None = None
    description_en: str | None = None
    rationale_de: str | None = None
    rationale_en: str | None = None
    numerator_de: str | None = None
    denominator_de: str | None = None
    direction: Literal["higher_is_worse", "higher_is_better", "neutral"]
    aggregation: Literal["sum", "ratio", "weighted_mean", "none"]
    weight_indicator: str | None = None
    source: str | None = None
    reference_date: date | None = None
    disclosure: Disclosure | None = None
    target: Target | None = None
    series_breaks: list[SeriesBreak] = []
    published: bool = True  # unpublished indicators are hidden from readers (view observation_public)
    # register: every person counted; survey: a share estimated from a sample, delivered with its sample size
    # (the denominator), whose interval widens by the design effect of a weighted or clustered sample
    value_type: Literal["register", "survey"] = "register"
    design_effect: float | None = Field(default=None, ge=1)
    # a group's part of another count: `group_of` the whole (EW), `group` the population group (auslaender)
    group_of: str | None = None
    group: str | None = None

    @model_validator(mode="after")
    def _survey_is_a_share(self) -> IndicatorDefinition:
        if self.value_type == "survey" and self.kind != "share":
            raise ValueError(f"indicator {self.code}: a survey value is a share of the respondents (kind: share), "
                             f"not a {self.kind}")
        if self.design_effect is not None and self.value_type != "survey":
            raise ValueError(f"indicator {self.code}: design_effect is for survey values (value_type: survey)")
        if (self.group_of is None) != (self.group is None):
            raise ValueError(f"indicator {self.code}: a group breakdown names both the whole (group_of) and the "
                             "population group (group)")
        if self.group_of is not None and self.kind != "count":
            raise ValueError(f"indicator {self.code}: a group's part is a count (kind: count), not a {self.kind}; "
                             "the group's share or rate is formed from its counts")
        return self


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    catalogue: str
    version: int
    source_default: str | None = None
    topics: list[Topic]
    groups: list[PopulationGroup] = []
    indicators: list[IndicatorDefinition]

    @model_validator(mode="after")
    def _references_resolve(self) -> Catalogue:
        codes = [i.code for i in self.indicators]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"indicator codes occur twice: {duplicates}")
        topics = {t.code for t in self.topics}
        for item in self.indicators:
            if item.topic is not None and item.topic not in topics:
                raise ValueError(f"indicator {item.code}: unknown topic {item.topic!r}")
            for ref in (item.change_of, item.weight_indicator):
                if ref is not None and ref not in codes:
                    raise ValueError(f"indicator {item.code}: refers to unknown indicator {ref!r}")
        # a part's whole and group may come from another catalogue: they are checked when loading
        seen: dict[tuple[str, str], str] = {}
        for item in self.indicators:
            if item.group is None:
                continue
            if item.group_of == item.code:
                raise ValueError(f"indicator {item.code}: group_of must name another count indicator")
            other = seen.setdefault((item.group_of, item.group), item.code)
            if other != item.code:
                raise ValueError(f"indicators {other} and {item.code} are both the group {item.group!r} of "
                                 f"{item.group_of}")
        return self


# what an indicator's values mean: a change of one of these, while values are stored, starts another series
DEFINING_FIELDS = ("kind", "unit", "numerator_de", "denominator_de", "change_of", "value_type")


def redefinition_problems(conn: Connection, item: IndicatorDefinition) -> list[dict[str, str]]:
    """Why `item` may not replace the stored definition of its code: it changes what the values mean (a field of
    DEFINING_FIELDS that was set) while values are stored, and declares no new series break where the two
    definitions meet, so one series would mix two definitions. [] when it may (also for a new code, a changed
    name or description, or a field set for the first time)."""
    stored = conn.execute(sa.text(f"SELECT {', '.join(DEFINING_FIELDS)}, series_breaks FROM indicator "
                                  "WHERE code = :code"), {"code": item.code}).mappings().first()
    if stored is None:
        return []
    changed = [name for name in DEFINING_FIELDS
               if stored[name] is not None and stored[name] != getattr(item, name)]
    known_breaks = {str(b.get("at")) for b in stored["series_breaks"] or []}
    if not changed or any(b.at.isoformat() not in known_breaks for b in item.series_breaks):
        return []
    count, first, last = conn.execute(sa.text("""
        SELECT count(*), min(period), max(period) FROM observation_current WHERE indicator_code = :code"""),
        {"code": item.code}).one()
    if count == 0:
        return []
    return [{"field": name,
             "message": f"{item.code}: {name} changes from {stored[name]!r} to {getattr(item, name)!r} while "
                        f"{count} values from {first} to {last} follow the stored definition: the series would mix "
                        "two definitions. Declare where they meet (series_breaks: [{at: YYYY-MM-DD, label_de: ..., "
                        "label_en: ...}]) or give the new definition a code of its own",
             "message_de": f"{item.code}: {name} ändert sich von {stored[name]!r} zu {getattr(item, name)!r}, "
                           f"während {count} Werte vom {first:%d.%m.%Y} bis {last:%d.%m.%Y} der gespeicherten "
                           "Definition folgen: die Reihe würde zwei Definitionen mischen. Den Bruch angeben "
                           "(series_breaks: [{at: JJJJ-MM-TT, label_de: ...}]) oder der neuen Definition einen "
                           "eigenen Code geben"}
            for name in changed]


def read_catalogue(path: Path) -> Catalogue:
    return parse_catalogue(path.read_text(encoding="utf-8"), path.name)


def parse_catalogue(text: str, name: str) -> Catalogue:
    """A catalogue from its YAML text; CatalogueError naming `name` (the file) and the field otherwise."""
    try:
        data = yaml.safe_load(text)
        return Catalogue.model_validate(data)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{name}: not valid YAML ({exc})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CatalogueError(f"{name}: {where}: {first['msg']}") from exc


def load_catalogue(conn: Connection, catalogue: Catalogue, updated_by: str = "catalogue") -> int:
    """Upsert topics and indicators of a catalogue; returns the number of indicators.

    `published` is set only when an indicator is created: reloading the YAML does not undo a steward's
    decision to withdraw an indicator."""
    for sort, item in enumerate(catalogue.topics):
        conn.execute(sa.text("""
            INSERT INTO topic (code, name_de, name_en, sort) VALUES (:code, :name_de, :name_en, :sort)
            ON CONFLICT (code) DO UPDATE SET name_de = EXCLUDED.name_de, name_en = EXCLUDED.name_en,
                sort = EXCLUDED.sort"""), {**item.model_dump(), "sort": sort})
    for group in catalogue.groups:
        conn.execute(sa.text("""
            INSERT INTO population_group (code, dimension, name_de, name_en)
            VALUES (:code, :dimension, :name_de, :name_en)
            ON CONFLICT (code) DO UPDATE SET dimension = EXCLUDED.dimension, name_de = EXCLUDED.name_de,
                name_en = EXCLUDED.name_en"""), group.model_dump())
    mixed = [problem for item in catalogue.indicators for problem in redefinition_problems(conn, item)]
    if mixed:
        raise DefinitionError(mixed, conflict=True)
    for sort, item in enumerate(catalogue.indicators):
        conn.execute(sa.text("""
            INSERT INTO indicator (code, name_de, name_en, topic_code, role, kind, unit, change_of, description_de,
                description_en, rationale_de, rationale_en, numerator_de, denominator_de, direction, aggregation,
                weight_indicator, source, reference_date, min_numerator, min_denominator, target_value,
                target_year, target_note, series_breaks, catalogue, sort, published, value_type, design_effect,
                updated_at, updated_by)
            VALUES (:code, :name_de, :name_en, :topic, :role, :kind, :unit, :change_of, :description_de,
                :description_en, :rationale_de, :rationale_en, :numerator_de, :denominator_de, :direction,
                :aggregation, :weight_indicator, :source, :reference_date, :min_numerator, :min_denominator,
                :target_value, :target_year, :target_note, CAST(:series_breaks AS jsonb), :catalogue, :sort, :published,
                :value_type, :design_effect, now(), :updated_by)
            ON CONFLICT (code) DO UPDATE SET name_de = EXCLUDED.name_de, name_en = EXCLUDED.name_en,
                topic_code = EXCLUDED.topic_code, role = EXCLUDED.role, kind = EXCLUDED.kind, unit = EXCLUDED.unit,
                change_of = EXCLUDED.change_of, description_de = EXCLUDED.description_de,
                description_en = EXCLUDED.description_en, rationale_de = EXCLUDED.rationale_de,
                rationale_en = EXCLUDED.rationale_en, numerator_de = EXCLUDED.numerator_de,
                denominator_de = EXCLUDED.denominator_de, direction = EXCLUDED.direction,
                aggregation = EXCLUDED.aggregation, weight_indicator = EXCLUDED.weight_indicator,
                source = EXCLUDED.source, reference_date = EXCLUDED.reference_date,
                min_numerator = EXCLUDED.min_numerator, min_denominator = EXCLUDED.min_denominator,
                target_value = EXCLUDED.target_value, target_year = EXCLUDED.target_year,
                target_note = EXCLUDED.target_note, series_breaks = EXCLUDED.series_breaks,
                catalogue = EXCLUDED.catalogue, sort = EXCLUDED.sort, value_type = EXCLUDED.value_type,
                design_effect = EXCLUDED.design_effect, updated_at = now(), updated_by = EXCLUDED.updated_by"""),
            {**item.model_dump(exclude={"disclosure", "target", "series_breaks"}),
             "series_breaks": json.dumps([b.model_dump(mode="json") for b in item.series_breaks]),
             "source": item.source or catalogue.source_default,
             "min_numerator": item.disclosure.min_numerator if item.disclosure else None,
             "min_denominator": item.disclosure.min_denominator if item.disclosure else None,
             "target_value": item.target.value if item.target else None,
             "target_year": item.target.year if item.target else None,
             "target_note": item.target.note_de if item.target else None,
             "catalogue": catalogue.catalogue, "sort": sort, "updated_by": updated_by})
    _set_breakdowns(conn, catalogue.indicators)
    return len(catalogue.indicators)


def _set_breakdowns(conn: Connection, items: list[IndicatorDefinition]) -> None:
    """Which group of which whole each indicator is, set once all of them exist (a part may come before its
    whole in the file); cleared first, so that two indicators can swap their groups."""
    codes = [item.code for item in items]
    conn.execute(sa.text("UPDATE indicator SET group_of = NULL, population_group = NULL WHERE code = ANY(:codes)"),
                 {"codes": codes})
    parts = [{"code": item.code, "whole": item.group_of, "group": item.group} for item in items if item.group_of]
    kinds = dict(conn.execute(sa.text("SELECT code, kind FROM indicator WHERE code = ANY(:codes)"),
                              {"codes": [p["whole"] for p in parts]}).all())
    groups = set(conn.execute(sa.text("SELECT code FROM population_group")).scalars())
    errors = [{"field": f"indicators.{p['code']}.group_of", "message": f"{p['whole']!r} is not a count indicator "
               "(a group's part is part of a count; load its catalogue first)"}
              for p in parts if kinds.get(p["whole"]) != "count"]
    errors += [{"field": f"indicators.{p['code']}.group", "message": f"unknown population group {p['group']!r}; "
                f"declare it under groups: (declared: {sorted(groups)})"} for p in parts if p["group"] not in groups]
    if errors:
        raise DefinitionError(errors)
    taken = conn.execute(sa.text("""
        SELECT i.code, p.code FROM indicator i JOIN unnest(CAST(:codes AS text[]), CAST(:wholes AS text[]),
                                                     CAST(:groups AS text[])) AS p(code, whole, grp)
          ON i.group_of = p.whole AND i.population_group = p.grp AND i.code <> ALL(CAST(:codes AS text[]))"""),
        {"codes": [p["code"] for p in parts], "wholes": [p["whole"] for p in parts],
         "groups": [p["group"] for p in parts]}).first() if parts else None
    if taken is not None:
        raise DefinitionError([{"field": f"indicators.{taken[1]}.group", "message": f"{taken[0]} is already this "
                                "group's part of the same whole"}])
    if parts:
        conn.execute(sa.text("UPDATE indicator SET group_of = :whole, population_group = :group WHERE code = :code"),
                     parts)


def list_indicators(conn: Connection, published_only: bool = False) -> list[dict]:
    """The catalogue in topic order; `published_only` for readers. Kept per data_version (writes to indicator
    and topic move it): a map page asks for it four times, 3.5 ms each with both demos' catalogues. Each caller
    gets its own dicts."""
    def read() -> list[dict]:
        rows = conn.execute(sa.text("""
            SELECT i.*, t.name_de AS topic_name_de, t.name_en AS topic_name_en
            FROM indicator i LEFT JOIN topic t ON t.code = i.topic_code
            WHERE i.published OR NOT :published_only
            ORDER BY t.sort NULLS LAST, i.sort, i.code"""), {"published_only": published_only})
        return [dict(r._mapping) for r in rows]

    return [dict(item) for item in per_data_version(conn, ("indicators", published_only), read)]


def series_break_text(brk: dict, lang: str, long: bool = False) -> str:
    """A break's label in `lang` ("Zensus 2011"), with its note where `long` and it has one."""
    english = lang == "en"
    label = (brk.get("label_en") if english else None) or brk["label_de"]
    note = ((brk.get("note_en") if english else None) or brk.get("note_de")) if long else None
    return f"{label}: {note}" if note else label


def series_breaks_between(indicator: dict, earlier: date, later: date) -> list[dict]:
    """The breaks of an indicator's series that lie between two periods (after `earlier`, at or before `later`)."""
    return [b for b in indicator.get("series_breaks") or ()
            if earlier < date.fromisoformat(str(b["at"])) <= later]


def get_indicator(conn: Connection, code: str) -> dict | None:
    return next((i for i in list_indicators(conn) if i["code"] == code), None)


class UnknownIndicator(LookupError):
    """An indicator code that does not exist, or that the reader may not see (unpublished, no draft rights)."""

    def __init__(self, code: str):
        super().__init__(f"no indicator {code!r}; /api/indicators lists them")
        self.code = code


def require_indicator(conn: Connection, code: str, drafts: bool = True) -> dict:
    """The indicator `code` as `get_indicator` reads it; UnknownIndicator if it is missing, or unpublished and
    the reader sees no drafts."""
    item = get_indicator(conn, code)
    if item is None or not (item["published"] or drafts):
        raise UnknownIndicator(code)
    return item


def list_groups(conn: Connection) -> list[dict]:
    """The declared population groups with the count indicators that are their parts of a whole."""
    rows = conn.execute(sa.text("""
        SELECT g.code, g.dimension, g.name_de, g.name_en,
               coalesce(jsonb_agg(jsonb_build_object('indicator', i.code, 'group_of', i.group_of)
                                  ORDER BY i.group_of, i.code) FILTER (WHERE i.code IS NOT NULL), '[]') AS parts
        FROM population_group g LEFT JOIN indicator i ON i.population_group = g.code
        GROUP BY g.code ORDER BY g.dimension, g.code"""))
    return [dict(r._mapping) for r in rows]


def list_topics(conn: Connection) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(sa.text("SELECT code, name_de, name_en FROM topic ORDER BY sort"))]


# -- editing single definitions (API) ------------------------------------------------------------
def definition_of(row: dict) -> dict:
    """The stored indicator as the input of `IndicatorDefinition` (the shape of one YAML entry)."""
    disclosure = None
    if row["min_numerator"] is not None or row["min_denominator"] is not None:
        disclosure = {"min_numerator": row["min_numerator"], "min_denominator": row["min_denominator"]}
    target = None
    if row["target_value"] is not None and row["target_year"] is not None:
        target = {"value": row["target_value"], "year": row["target_year"], "note_de": row["target_note"]}
    fields = set(IndicatorDefinition.model_fields) - {"topic", "disclosure", "target", "group"}
    return {**{f: row[f] for f in fields}, "topic": row["topic_code"], "disclosure": disclosure, "target": target,
            "group": row["population_group"]}


def validate_definition(data: object) -> IndicatorDefinition:
    """Validate a definition from the API with the YAML's model; errors name the field (dotted path)."""
    if not isinstance(data, dict):
        raise DefinitionError([{"field": "(body)", "message": "expected a JSON object with the indicator's fields"}])
    try:
        return IndicatorDefinition.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError([{"field": ".".join(str(p) for p in e["loc"]) or "(body)", "message": e["msg"]}
                               for e in exc.errors()]) from None


def save_indicator(conn: Connection, definition: IndicatorDefinition, updated_by: str, *,
                   create: bool, catalogue: str = "api") -> dict:
    """Insert (create=True) or replace one definition; checks references against the stored catalogue.

    Returns the stored row. Runs inside the caller's transaction, so that the caller can audit it there."""
    existing = get_indicator(conn, definition.code)
    if create and existing is not None:
        raise DefinitionError([{"field": "code", "message": f"indicator {definition.code!r} exists already; "
                                "change it with PUT or PATCH /api/indicators/" + definition.code}], conflict=True)
    if not create and existing is None:
        raise LookupError(definition.code)
    errors = []
    topics = {t["code"] for t in list_topics(conn)}
    if definition.topic is not None and definition.topic not in topics:
        errors.append({"field": "topic", "message": f"unknown topic {definition.topic!r}; use one of {sorted(topics)}"})
    codes = {r[0] for r in conn.execute(sa.text("SELECT code FROM indicator"))} | {definition.code}
    for name in ("change_of", "weight_indicator", "group_of"):
        ref = getattr(definition, name)
        if ref is not None and ref not in codes:
            errors.append({"field": name, "message": f"refers to unknown indicator {ref!r}"})
    if definition.group is not None:
        groups = set(conn.execute(sa.text("SELECT code FROM population_group")).scalars())
        if definition.group not in groups:
            errors.append({"field": "group", "message": f"unknown population group {definition.group!r}; declared: "
                                                        f"{sorted(groups)} (a catalogue's groups:)"})
    if errors:
        raise DefinitionError(errors)
    sort = existing["sort"] if existing else conn.execute(sa.text(
        "SELECT coalesce(max(sort), -1) + 1 FROM indicator")).scalar_one()
    load_catalogue(conn, Catalogue.model_construct(
        catalogue=existing["catalogue"] if existing and existing["catalogue"] else catalogue, version=1,
        source_default=None, topics=[], indicators=[definition]), updated_by=updated_by)
    conn.execute(sa.text("UPDATE indicator SET published = :published, sort = :sort WHERE code = :code"),
                 {"published": definition.published, "sort": sort, "code": definition.code})
    return get_indicator(conn, definition.code)


def list_periods(conn: Connection, level: str, indicator_code: str | None = None,
                 unsuppressed: bool = False, with_values: bool = False) -> list[date]:
    """Periods with current observations on a level (newest first), optionally for one indicator (kept per
    data_version: indicators.version_memo). `with_values`: only periods in which at least one of them has a
    value the caller may see (not every one missing or suppressed)."""
    def read() -> list[date]:
        rows = conn.execute(sa.text(f"""
            SELECT DISTINCT o.period FROM {observation_source(unsuppressed)} o JOIN area a ON a.id = o.area_id
            WHERE a.level_code = :level
              AND (CAST(:code AS text) IS NULL OR o.indicator_code = :code)
              AND (NOT :with_values OR o.value IS NOT NULL)
            ORDER BY o.period DESC"""), {"level": level, "code": indicator_code, "with_values": with_values})
        return [r[0] for r in rows]

    return per_data_version(conn, ("periods", level, indicator_code, unsuppressed, with_values), read)


def latest_period(conn: Connection, level: str, indicator_code: str | None = None,
                  unsuppressed: bool = False) -> date | None:
    """What "latest" means wherever no period is asked for: the newest period with a value on the level, else
    the newest period with observations. A source may deliver its newest year with every value missing (INKAR's
    2022 of the SGB II rate on the Kreise): as the default, that period gave an empty map."""
    shown = list_periods(conn, level, indicator_code, unsuppressed, with_values=True)
    if shown:
        return shown[0]
    available = list_periods(conn, level, indicator_code, unsuppressed)
    return available[0] if available else None


def indicators_with_values(conn: Connection, level: str, unsuppressed: bool = False) -> set[str]:
    """Codes of the indicators with current observations on a level (what a map of that level can show; kept per
    data_version: indicators.version_memo)."""
    def read() -> set[str]:
        rows = conn.execute(sa.text(f"""
            SELECT DISTINCT o.indicator_code FROM {observation_source(unsuppressed)} o JOIN area a ON a.id = o.area_id
            WHERE a.level_code = :level"""), {"level": level})
        return {r[0] for r in rows}

    return per_data_version(conn, ("indicators with values", level, unsuppressed), read)


def population_indicator(conn: Connection, level: str) -> str | None:
    """The level's population count: as the level declares it (`population` in the set-up manifest; the
    Regionalstatistik's population in the Germany demo), else the weight most of the shares and rates with values
    on `level` name in the catalogue (`weight_indicator`; the register's inhabitants in the Berlin demo). The one
    answer for every user that needs "the population" of a level
    (harmonised estimates, polygon estimates and their minimum population, programme evaluations); None when no
    share names a weight. Kept per data_version."""
    def read() -> str | None:
        declared = conn.execute(sa.text("SELECT population_indicator FROM area_level WHERE code = :level"),
                                {"level": level}).scalar()
        if declared is not None:
            return declared
        return conn.execute(sa.text("""
            SELECT i.weight_indicator FROM indicator i
            WHERE i.weight_indicator IS NOT NULL AND EXISTS (
                SELECT 1 FROM observation_current o JOIN area a ON a.id = o.area_id
                WHERE o.indicator_code = i.code AND a.level_code = :level)
            GROUP BY i.weight_indicator ORDER BY count(*) DESC, i.weight_indicator LIMIT 1"""),
            {"level": level}).scalar()

    return per_data_version(conn, ("population indicator", level), read)
