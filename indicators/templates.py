"""Indicator sets as templates (docs/integration.md §3): the KGSt key figures and the Länder integration
monitoring shipped as data (indicators/catalogues/templates/*.yaml), adopted by a municipality through a mapping
(its indicator code -> the template's indicator, indicators/catalogues/templates/mappings/*.yaml or a request
body), and the coverage of the set: which template indicators the municipality can report, on which levels,
for which periods, and which are missing.

A mapping is validated as a whole against the template and the stored catalogue; every error names its field
(`entries[2].template_indicator`): an unknown template indicator, an unknown municipal indicator, or kinds that
do not fit (a count cannot report a share, a share cannot report a count). The coverage per level and period is
`indicators.coverage.coverage_summary`, read through the caller's view (readers count public values only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.engine import Connection

from indicators.catalogue import CATALOGUES
from indicators.coverage import CoverageQuery, coverage_summary

TEMPLATES = CATALOGUES / "templates"
MAPPINGS = TEMPLATES / "mappings"
LOWEST_LEVELS = {"teilraum": "unterhalb der Gemeinde (Teilräume, Stadtteile)", "gemeinde": "Gemeinde",
                 "kreis": "Kreis / kreisfreie Stadt", "land": "Land", "bund": "Bund"}
# which kinds of a municipal indicator can report a template indicator of a kind
COMPATIBLE = {"share": {"share", "rate"}, "rate": {"share", "rate"}, "count": {"count"}, "change": {"change"},
              "index": set()}


class TemplateError(ValueError):
    """A template or mapping that cannot be used; `errors` name each field and what is wrong."""

    def __init__(self, errors: list[dict[str, str]], status: int = 422) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors
        self.status = status


class TemplateField(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    name_de: str
    name_en: str


class TemplateIndicator(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    field: str
    kind: Literal["share", "rate", "count", "change", "index"]
    name_de: str
    name_en: str
    definition_de: str | None = None
    numerator_de: str | None = None
    denominator_de: str | None = None
    source_statistic: str
    lowest_level: Literal["teilraum", "gemeinde", "kreis", "land", "bund"]
    direction: Literal["higher_is_worse", "higher_is_better", "neutral"]
    value_type: Literal["register", "survey"] = "register"  # survey: a sample, reported with n and interval
    by_group: list[str] = []


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template: str = Field(pattern=r"^[a-z0-9_]+$")
    title_de: str
    title_en: str
    publisher: str
    reference: str
    groups_de: str | None = None
    fields: list[TemplateField]
    indicators: list[TemplateIndicator]

    @model_validator(mode="after")
    def _consistent(self) -> Template:
        codes = [i.code for i in self.indicators]
        if len(codes) != len(set(codes)):
            raise ValueError("indicator codes occur twice")
        fields = {f.code for f in self.fields}
        for item in self.indicators:
            if item.field not in fields:
                raise ValueError(f"indicator {item.code}: unknown field {item.field!r}")
            if item.kind in ("share", "rate") and not (item.numerator_de and item.denominator_de):
                raise ValueError(f"indicator {item.code}: a {item.kind} needs numerator_de and denominator_de")
        return self


class MappingEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicator: str
    template_indicator: str
    note_de: str | None = None


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template: str
    municipality: str | None = None
    entries: list[MappingEntry]


def _read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def list_templates() -> list[Template]:
    return [Template.model_validate(_read(path)) for path in sorted(TEMPLATES.glob("*.yaml"))]


def get_template(name: str) -> Template:
    path = TEMPLATES / f"{name}.yaml"
    if len(name) > 100 or not name.replace("_", "").isalnum() or not path.is_file():  # no file system error
        # for a name no template can have
        raise TemplateError([{"field": "template", "message": f"no template {name!r}; shipped: "
                              f"{', '.join(t.template for t in list_templates())}"}], 404)
    return Template.model_validate(_read(path))


def shipped_mappings(template: str | None = None) -> dict[str, Path]:
    """The shipped mappings by name (file stem), optionally of one template only."""
    return {path.stem: path for path in sorted(MAPPINGS.glob("*.yaml"))
            if template is None or (_read(path) or {}).get("template") == template}


def parse_mapping(data: Any, where: str = "mapping") -> Mapping:
    """A mapping from its parsed YAML/JSON; TemplateError naming the field otherwise."""
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        raise TemplateError([{"field": ".".join(str(p) for p in e["loc"]) or where, "message": e["msg"]}
                             for e in exc.errors()]) from None


def read_mapping(name: str, template: str) -> Mapping:
    found = shipped_mappings(template)
    if name not in found:
        raise TemplateError([{"field": "mapping", "message": f"no shipped mapping {name!r} for {template}; shipped: "
                              f"{', '.join(found) or 'none'}"}], 404)
    return parse_mapping(_read(found[name]), name)


def validate_mapping(conn: Connection, template: Template, mapping: Mapping, drafts: bool = False) -> None:
    """Check every entry against the template and the stored catalogue; TemplateError with all errors."""
    errors: list[dict[str, str]] = []
    if mapping.template != template.template:
        errors.append({"field": "template", "message": f"the mapping is for {mapping.template!r}, not "
                       f"{template.template!r}"})
    by_code = {i.code: i for i in template.indicators}
    kinds = {r.code: r for r in conn.execute(sa.text("SELECT code, kind, published FROM indicator"))}
    seen: dict[str, int] = {}
    for n, entry in enumerate(mapping.entries):
        where = f"entries[{n}]"
        target = by_code.get(entry.template_indicator)
        own = kinds.get(entry.indicator)
        if target is None:
            errors.append({"field": f"{where}.template_indicator", "message": f"{entry.template_indicator!r} is not "
                           f"an indicator of {template.template}"})
        if own is None or not (own.published or drafts):
            errors.append({"field": f"{where}.indicator", "message": f"no indicator {entry.indicator!r} in the "
                           "catalogue (/api/indicators lists them)"})
        if target is not None and own is not None and own.kind not in COMPATIBLE[target.kind]:
            errors.append({"field": f"{where}.indicator", "message": f"{entry.indicator} is a {own.kind}, "
                           f"{entry.template_indicator} a {target.kind}: a {own.kind} cannot report it"})
        if entry.template_indicator in seen:
            errors.append({"field": f"{where}.template_indicator", "message": f"{entry.template_indicator} is "
                           f"mapped twice (also entries[{seen[entry.template_indicator]}])"})
        seen.setdefault(entry.template_indicator, n)
    if errors:
        raise TemplateError(errors)


def template_coverage(conn: Connection, template: Template, mapping: Mapping, unsuppressed: bool = False
                      ) -> dict[str, Any]:
    """Per template indicator: the municipal indicator reporting it, the levels with values (areas with a value
    of how many, per period), and a status: `reported` (values on a level), `mapped_without_data`, `missing`."""
    validate_mapping(conn, template, mapping, drafts=unsuppressed)
    by_target = {e.template_indicator: e for e in mapping.entries}
    fields = {f.code: f for f in template.fields}
    rows = []
    for item in template.indicators:
        entry = by_target.get(item.code)
        levels: dict[str, dict] = {}
        if entry is not None:
            for row in coverage_summary(conn, CoverageQuery(indicator=entry.indicator, unsuppressed=unsuppressed)):
                if row["with_value"] and row["period"] is not None:
                    level = levels.setdefault(row["level"], {"level": row["level"], "periods": [], "areas": 0,
                                                             "with_value": 0})
                    level["periods"].append(row["period"])
                    level["areas"] = max(level["areas"], row["areas"])
                    level["with_value"] = max(level["with_value"], row["with_value"])
        status = "missing" if entry is None else "reported" if levels else "mapped_without_data"
        rows.append({"template_indicator": item.code, "name_de": item.name_de, "field": item.field,
                     "field_name_de": fields[item.field].name_de, "kind": item.kind,
                     "lowest_level": item.lowest_level, "value_type": item.value_type, "by_group": item.by_group,
                     "indicator": entry.indicator if entry else None, "note_de": entry.note_de if entry else None,
                     "status": status,
                     "levels": [{**lv, "periods": sorted(lv["periods"])} for lv in levels.values()]})
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("reported", "mapped_without_data", "missing")}
    return {"template": template.template, "title_de": template.title_de, "reference": template.reference,
            "municipality": mapping.municipality, "indicators": len(rows), **counts,
            "share_reported": round(counts["reported"] / len(rows), 4) if rows else None, "coverage": rows}


def coverage_table(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The coverage as flat rows (one per template indicator and level) for CSV and XLSX."""
    flat = []
    for row in body["coverage"]:
        base = {k: row[k] for k in ("template_indicator", "name_de", "field_name_de", "kind", "lowest_level",
                                    "indicator", "status", "note_de")}
        for level in row["levels"] or [None]:
            flat.append({**base, "level": level["level"] if level else None,
                         "periods": "; ".join(p.isoformat() for p in level["periods"]) if level else None,
                         "areas": level["areas"] if level else None,
                         "with_value": level["with_value"] if level else None})
    return flat
