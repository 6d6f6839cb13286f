"""Setting up a municipality from data: the set-up manifest (YAML, docs/setup.md), checked, then applied through
the ordinary validated imports.

A manifest declares the levels and their hierarchy (with their key length), the catalogues, complementary counts
for disclosure control, the boundary, observation, point, polygon and grid files and the composite indices to
compute. `check_manifest` reads and checks it without writing anything: the schema (pydantic), every file named
(exists, inside the manifest's folder where it must be, not above the upload limit), every import's options (the
one option parser of `indicators.ingest.options`, the same as the CLI's and the API's), levels and indicators
referenced (declared in the manifest or stored), key lengths against parent key lengths. Its findings are an
`ImportReport` like every import's (file, key, value, fix; English and German).

`load_manifest` applies a checked manifest in its order: definitions (levels, catalogues, partitions) in one
transaction, then each file through the import registry (`indicators.ingest.kinds`), each all-or-nothing, audited
like any import; then the indices and the harmonised estimates (indicators.estimates). A dry run checks the
manifest and dry-runs every file that can be checked against what is stored. The shipped demos are manifests
(`service.demo`); the command line (`district-monitor load`) and the admin API (`POST /api/admin/setup`) call
this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.engine import Connection, Engine

from geo.import_report import ImportLimits, ImportReport
from geo.levels import Level, list_levels, upsert_levels
from geo.storage_crs import storage_srid
from indicators.catalogue import (
    CATALOGUES,
    Catalogue,
    CatalogueError,
    load_catalogue,
    read_catalogue,
    redefinition_problems,
)
from indicators.comparison import (
    GROUP_ID_PATTERN,
    ComparisonError,
    find_group,
    save_group,
)
from indicators.disclosure import set_partition
from indicators.estimates import store_estimates
from indicators.index_runs import compute_demo_indices
from indicators.ingest.kinds import import_kind
from indicators.ingest.options import Fields, OptionError
from indicators.refresh import refresh_after_write
from indicators.values import fill_properties_caches
from service.audit import import_audit, record
from service.auth import Principal
from service.db import refresh_statistics

FILE_KINDS = ("boundaries", "territorial_changes", "observations", "points", "polygons", "grid",
              "addresses")  # the order they are applied in
CODE = r"^[a-z][a-z0-9_]*$"
Progress = Callable[[str, int, int], None]


# -- the manifest -------------------------------------------------------------------------------------------
class LevelSpec(BaseModel):
    """One area level. `key_length`: how many characters its official keys have (AGS Kreis: 5)."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=CODE, max_length=40)
    name_de: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    plural_de: str = Field(min_length=1)
    plural_en: str = Field(min_length=1)
    rank: int = Field(ge=0, le=1000, description="Higher = coarser; a parent ranks above its children.")
    parent_code: str | None = None
    description: str | None = None
    key_length: int | None = Field(default=None, ge=1, le=40)
    population: str | None = Field(default=None, description="The count that is the level's population (an "
                                   "indicator code, e.g. BEV): weights shares without a weight of their own, "
                                   "harmonised and polygon estimates; default: the weight most shares name.")

    def as_level(self) -> Level:
        return Level(self.code, self.name_de, self.name_en, self.plural_de, self.plural_en, self.rank,
                     self.parent_code, self.description, self.population)


class PartitionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=CODE)
    total: str
    parts: list[str] = Field(min_length=2)


class IndexSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    index: str
    level: str
    period: date


class HarmoniseSpec(BaseModel):
    """Older periods of a level's indicators estimated for the areas of one boundary version and kept
    (indicators.estimates): `target` a date inside that version (default: the current one), `indicators` those
    to estimate (default: every one with values on another version of the level)."""

    model_config = ConfigDict(extra="forbid")
    level: str
    target: date | None = None
    method: Literal["population", "area"] = "population"
    indicators: list[str] | None = None
    population: str | None = Field(default=None, description="The count that weights (default: the weight most "
                                   "of the level's shares and rates name in the catalogue).")
    denominators: dict[str, list[str]] = Field(default_factory=dict, description="Per share or rate the counts "
                                               "whose sum is its denominator (default: its weight_indicator).")


class ComparisonGroupSpec(BaseModel):
    """A comparison group (indicators.comparison) the set-up declares: the areas of a level by key, or the areas
    that share the profiled area's value of an attribute of the boundary file (VG5000's BEZ: Kreis types)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=GROUP_ID_PATTERN)
    level: str
    name_de: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    area_keys: list[str] | None = None
    same_attribute: str | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _one_rule(self) -> ComparisonGroupSpec:
        if (self.area_keys is None) == (self.same_attribute is None):
            raise ValueError("give either area_keys or same_attribute")
        return self


class SameTerritorySpec(BaseModel):
    """An area of this set-up that is the same territory as an area of another hierarchy (a city-state's own top
    area is also a Gemeinde of the federal hierarchy): by level and key, so that the other set-up may be loaded
    before or after."""

    model_config = ConfigDict(extra="forbid")
    level: str
    key: str = Field(min_length=1, max_length=40)
    as_level: str = Field(pattern=CODE, max_length=40)
    as_key: str = Field(min_length=1, max_length=40)


class FileSpec(BaseModel):
    """One file and the options of its import, under the names of the CLI's options and the API's fields."""

    model_config = ConfigDict(extra="allow")
    file: str = Field(min_length=1)


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, pattern=r"^[a-z0-9_\-]+$")
    title_de: str | None = None
    title_en: str | None = None
    attribution: str | None = None
    storage_crs: str | None = Field(default=None, description="CRS a new database stores geometries in, e.g. "
                                                              "EPSG:25832; an existing database keeps its own.")
    levels: list[LevelSpec] = []
    catalogues: list[str] = []
    disclosure_partitions: list[PartitionSpec] = []
    boundaries: list[FileSpec] = []
    territorial_changes: list[FileSpec] = []
    observations: list[FileSpec] = []
    points: list[FileSpec] = []
    polygons: list[FileSpec] = []
    grid: list[FileSpec] = []
    addresses: list[FileSpec] = []
    indices: list[IndexSpec] = []
    harmonise: list[HarmoniseSpec] = []
    comparison_groups: list[ComparisonGroupSpec] = []
    same_territory: list[SameTerritorySpec] = []

    def files(self) -> list[tuple[str, int, FileSpec]]:
        return [(kind, i, spec) for kind in FILE_KINDS for i, spec in enumerate(getattr(self, kind))]

    @property
    def storage_epsg(self) -> int | None:
        match = re.fullmatch(r"(?:EPSG:)?(\d{4,6})", (self.storage_crs or "").strip(), re.IGNORECASE)
        return int(match.group(1)) if match else None


@dataclass
class CheckedManifest:
    """A manifest that passed `check_manifest`: the model, where its files are, the parsed options per file."""

    manifest: Manifest
    base: Path
    options: dict[tuple[str, int], Any] = field(default_factory=dict)
    catalogues: list[Catalogue] = field(default_factory=list)
    levels: dict[str, Any] = field(default_factory=dict)  # code -> LevelSpec (declared) or Level (stored)

    def path(self, spec: FileSpec) -> Path:
        return self.base / spec.file


class ManifestRefused(Exception):
    """The manifest cannot be applied (its report names every problem), or one of its files was refused."""

    def __init__(self, report: ImportReport):
        lines = [p.as_text() for p in report.errors[:10]]
        more = f"\n  ... and {len(report.errors) - 10} more" if len(report.errors) > 10 else ""
        super().__init__(f"{report.file} was refused, nothing of it written:\n  " + "\n  ".join(lines) + more)
        self.report = report


@dataclass
class SetupSummary:
    manifest: ImportReport
    reports: list[ImportReport] = field(default_factory=list)
    indices: int = 0
    estimates: int = 0

    @property
    def rows_written(self) -> int:
        return sum(r.rows_written for r in self.reports)


# -- checking ----------------------------------------------------------------------------------------------
FIXES = {  # pydantic error type -> (fix, fix in German)
    "missing": ("add the key", "den Schlüssel ergänzen"),
    "extra_forbidden": ("remove it or correct its spelling (see docs/setup.md)",
                        "entfernen oder die Schreibweise korrigieren (siehe docs/setup.md)"),
    "string_pattern_mismatch": ("use lower-case letters, digits and _ only",
                                "nur Kleinbuchstaben, Ziffern und _ verwenden"),
    "date_from_datetime_parsing": ("write the date as YYYY-MM-DD", "das Datum als JJJJ-MM-TT schreiben"),
    "date_parsing": ("write the date as YYYY-MM-DD", "das Datum als JJJJ-MM-TT schreiben"),
    "list_type": ("write a list (lines starting with '- ')", "eine Liste schreiben (Zeilen mit '- ')"),
    "too_short": ("give at least two parts", "mindestens zwei Teile angeben"),
}


def read_manifest(path: Path, report: ImportReport) -> Manifest | None:
    """The manifest at `path`, or None with its problems in `report` (YAML errors with their line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        report.error("manifest not found", "check the path", message_de="Manifest nicht gefunden",
                     fix_de="den Pfad prüfen")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        report.error(f"cannot read the manifest ({exc.__class__.__name__})", "save it as UTF-8 text",
                     message_de=f"das Manifest ist nicht lesbar ({exc.__class__.__name__})",
                     fix_de="als UTF-8-Text speichern")
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        report.error(f"not valid YAML ({getattr(exc, 'problem', None) or exc})",
                     "check indentation and quotes at this line", row=mark.line + 1 if mark else None,
                     message_de=f"kein gültiges YAML ({getattr(exc, 'problem', None) or exc})",
                     fix_de="Einrückung und Anführungszeichen in dieser Zeile prüfen")
        return None
    if not isinstance(data, dict):
        report.error("the manifest is not a mapping of keys (levels:, boundaries:, ...)",
                     "start from data/demo/germany/manifest.yaml or docs/setup.md",
                     message_de="das Manifest ist keine Zuordnung von Schlüsseln (levels:, boundaries:, ...)",
                     fix_de="von data/demo/germany/manifest.yaml oder docs/setup.md ausgehen")
        return None
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            where = _key_path(error["loc"])
            fix, fix_de = FIXES.get(error["type"], ("correct the value (see docs/setup.md)",
                                                    "den Wert korrigieren (siehe docs/setup.md)"))
            if error["type"] == "extra_forbidden" and len(error["loc"]) == 1:
                fix = f"remove it or use one of {', '.join(Manifest.model_fields)}"
                fix_de = f"entfernen oder einen von {', '.join(Manifest.model_fields)} verwenden"
            value = error.get("input")
            report.error(error["msg"], fix, column=where,
                         value=None if isinstance(value, (dict, list)) or value is None else str(value)[:80],
                         message_de=f"ungültig: {error['msg']}", fix_de=fix_de)
        return None


def _key_path(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(manifest)"


def check_manifest(engine: Engine | None, path: Path, *, confine: bool = False,
                   limits: ImportLimits = ImportLimits(), only_levels: set[str] | None = None
                   ) -> tuple[CheckedManifest | None, ImportReport]:
    """Check the manifest at `path` without writing anything. `confine`: every file must lie inside the manifest's
    folder (uploads); otherwise paths may lead anywhere the caller can read (the shipped demo names the shipped
    catalogue). `engine`: the database whose stored levels and indicators count as known (None: the manifest
    alone). Returns the checked manifest (None when any error was found) and the report."""
    report = ImportReport(kind="manifest", file=path.name, dry_run=True)
    manifest = read_manifest(path, report)
    if manifest is None:
        return None, report
    base = path.resolve().parent
    checked = CheckedManifest(manifest, base)
    stored_levels: dict[str, Level] = {}
    stored_indicators: set[str] = set()
    if engine is not None:
        with engine.connect() as conn:
            stored_levels = {level.code: level for level in list_levels(conn)}
            stored_indicators = set(conn.execute(sa.text("SELECT code FROM indicator")).scalars())
            srid = storage_srid(conn)
        if manifest.storage_epsg is not None and manifest.storage_epsg != srid:
            report.warning(f"this database stores geometries in EPSG:{srid} (fixed when it was created), not "
                           f"{manifest.storage_crs}", "nothing to do: the files are transformed to EPSG:"
                           f"{srid}; for {manifest.storage_crs} set up a new database", column="storage_crs",
                           message_de=f"diese Datenbank speichert Geometrien in EPSG:{srid} (beim Anlegen "
                                      f"festgelegt), nicht in {manifest.storage_crs}",
                           fix_de=f"nichts zu tun: die Dateien werden nach EPSG:{srid} umgerechnet; für "
                                  f"{manifest.storage_crs} eine neue Datenbank einrichten")
    if manifest.storage_crs is not None and manifest.storage_epsg is None:
        report.error(f"storage_crs {manifest.storage_crs!r} is not an EPSG code", "write it as EPSG:25832",
                     column="storage_crs", value=manifest.storage_crs,
                     message_de=f"storage_crs {manifest.storage_crs!r} ist kein EPSG-Code",
                     fix_de="als EPSG:25832 schreiben")
    levels = checked.levels = _check_levels(manifest, stored_levels, report)
    indicators = stored_indicators | _check_catalogues(checked, confine, report)
    if engine is not None:  # a catalogue must not change what stored values mean without a series break
        with engine.connect() as conn:
            for i, catalogue in enumerate(checked.catalogues):
                for item in catalogue.indicators:
                    for problem in redefinition_problems(conn, item):
                        report.error(problem["message"], "declare the series break in the catalogue, or use a new "
                                     "code", column=f"catalogues[{i}].{item.code}.{problem['field']}",
                                     value=item.code, message_de=problem["message_de"],
                                     fix_de="den Bruch der Reihe im Katalog angeben oder einen neuen Code verwenden")
    for i, item in enumerate(manifest.disclosure_partitions):
        for code in sorted({item.total, *item.parts} - indicators):
            _unknown_indicator(report, f"disclosure_partitions[{i}]", code)
    for kind, i, spec in manifest.files():
        _check_file(checked, kind, i, spec, levels, indicators, confine, limits, report)
    for i, item in enumerate(manifest.indices):
        if item.level not in levels:
            _unknown_level(report, f"indices[{i}].level", item.level, levels)
    for i, spec in enumerate(manifest.levels):
        if spec.population is not None and spec.population not in indicators:
            _unknown_indicator(report, f"levels[{i}].population", spec.population)
    for i, item in enumerate(manifest.harmonise):
        if item.level not in levels:
            _unknown_level(report, f"harmonise[{i}].level", item.level, levels)
        named = [("indicators", code) for code in item.indicators or ()]
        named += [("population", item.population)] if item.population else []
        named += [(f"denominators.{share}", code) for share, parts in item.denominators.items()
                  for code in (share, *parts)]
        for column, code in named:
            if code not in indicators:
                _unknown_indicator(report, f"harmonise[{i}].{column}", code)
    for i, link in enumerate(manifest.same_territory):
        if link.level not in levels:
            _unknown_level(report, f"same_territory[{i}].level", link.level, levels)
        elif link.as_level == link.level:
            report.error("an area is the same territory as itself", "name an area of another level",
                         column=f"same_territory[{i}].as_level", value=link.as_level,
                         message_de="ein Gebiet ist dasselbe Gebiet wie es selbst",
                         fix_de="ein Gebiet einer anderen Ebene angeben")
        elif link.as_level not in levels:
            report.notes.append(f"same_territory[{i}]: level {link.as_level!r} is not loaded; the link waits for it")
    for i, group in enumerate(manifest.comparison_groups):
        if group.level not in levels:
            _unknown_level(report, f"comparison_groups[{i}].level", group.level, levels)
    for code in sorted((only_levels or set()) - set(levels)):
        _unknown_level(report, "--level", code, levels)
    return (checked if report.ok else None), report


def _unknown_indicator(report: ImportReport, where: str, code: str) -> None:
    report.error(f"unknown indicator {code!r}", "add it to a catalogue of this manifest", column=where, value=code,
                 message_de=f"unbekannter Indikator {code!r}",
                 fix_de="ihn in einem Katalog dieses Manifests definieren")


def _unknown_level(report: ImportReport, where: str, code: str, known: dict) -> None:
    report.error(f"unknown level {code!r}", f"declare it under levels: or use one of {sorted(known)}",
                 column=where, value=code, message_de=f"unbekannte Ebene {code!r}",
                 fix_de=f"unter levels: anlegen oder eine von {sorted(known)} verwenden")


def _check_levels(manifest: Manifest, stored: dict[str, Level], report: ImportReport) -> dict[str, Any]:
    """Known levels (stored and declared; declared win) after checking parents, ranks and key lengths."""
    declared = {spec.code: spec for spec in manifest.levels}
    known: dict[str, Any] = {**stored, **declared}
    codes = [spec.code for spec in manifest.levels]
    for i, spec in enumerate(manifest.levels):
        where = f"levels[{i}]"
        same_rank = sorted(code for code, level in known.items() if level.rank == spec.rank and code != spec.code)
        if same_rank:
            report.error(f"rank {spec.rank} is taken by level {same_rank[0]!r}", "give every level its own rank "
                         f"(used: {sorted({level.rank for level in known.values()})})", column=f"{where}.rank",
                         value=str(spec.rank),
                         message_de=f"Rang {spec.rank} ist schon an Ebene {same_rank[0]!r} vergeben",
                         fix_de="jeder Ebene einen eigenen Rang geben "
                                f"(vergeben: {sorted({level.rank for level in known.values()})})")
        if codes.count(spec.code) > 1:
            report.error(f"level {spec.code!r} is declared twice", "declare each level once", column=where,
                         value=spec.code, message_de=f"Ebene {spec.code!r} ist doppelt angelegt",
                         fix_de="jede Ebene nur einmal anlegen")
        if spec.parent_code is None:
            continue
        parent = known.get(spec.parent_code)
        if parent is None:
            _unknown_level(report, f"{where}.parent_code", spec.parent_code, known)
        elif parent.rank <= spec.rank:
            report.error(f"the parent {spec.parent_code!r} (rank {parent.rank}) must rank above {spec.code!r} "
                         f"(rank {spec.rank})", "give coarser levels higher ranks", column=f"{where}.rank",
                         value=str(spec.rank),
                         message_de=f"die Elternebene {spec.parent_code!r} (Rang {parent.rank}) muss einen höheren "
                                    f"Rang haben als {spec.code!r} (Rang {spec.rank})",
                         fix_de="gröberen Ebenen höhere Ränge geben")
        elif (isinstance(parent, LevelSpec) and parent.key_length and spec.key_length
              and parent.key_length > spec.key_length):
            report.error(f"keys of {spec.code!r} ({spec.key_length} characters) are shorter than its parent's "
                         f"({parent.key_length})", "check key_length of both levels", column=f"{where}.key_length",
                         value=str(spec.key_length),
                         message_de=f"die Schlüssel von {spec.code!r} ({spec.key_length} Zeichen) sind kürzer als "
                                    f"die der Elternebene ({parent.key_length})",
                         fix_de="key_length beider Ebenen prüfen")
    return known


def _check_catalogues(checked: CheckedManifest, confine: bool, report: ImportReport) -> set[str]:
    """Read every catalogue (a file, or the name of a shipped catalogue in indicators/catalogues/); their codes."""
    codes: set[str] = set()
    for i, name in enumerate(checked.manifest.catalogues):
        where = f"catalogues[{i}]"
        path = _resolve(checked.base, name, confine, report, where)
        if path is None:
            continue
        if not path.is_file() and not confine and re.fullmatch(r"[\w\-]+", name):
            path = CATALOGUES / f"{name}.yaml"  # a shipped catalogue by name
        if not path.is_file():
            _missing_file(report, where, name)
            continue
        try:
            catalogue = read_catalogue(path)
        except CatalogueError as exc:
            report.error(f"catalogue refused: {exc}", "correct the catalogue (see docs/catalogue.md)", column=where,
                         value=name, message_de=f"Katalog abgelehnt: {exc}",
                         fix_de="den Katalog korrigieren (siehe docs/catalogue.md)")
            continue
        checked.catalogues.append(catalogue)
        codes |= {item.code for item in catalogue.indicators}
    return codes


def _resolve(base: Path, name: str, confine: bool, report: ImportReport, where: str) -> Path | None:
    path = (base / name).resolve()
    if confine and not path.is_relative_to(base):
        report.error("the path leads outside the manifest's folder", "name files inside the uploaded archive",
                     column=where, value=name, message_de="der Pfad führt aus dem Ordner des Manifests heraus",
                     fix_de="nur Dateien im hochgeladenen Archiv nennen")
        return None
    return path


def _missing_file(report: ImportReport, where: str, name: str) -> None:
    report.error("file not found", "check the path (relative to the manifest) and its spelling", column=where,
                 value=name, message_de="Datei nicht gefunden",
                 fix_de="den Pfad (relativ zum Manifest) und seine Schreibweise prüfen")


def as_fields(kind: str, spec: FileSpec) -> Fields:
    """A file's options in the manifest -> the text fields of the one option parser (as the CLI and API give
    them): mappings `columns` / `missing_values` become repeated SOURCE=CODE / TOKEN=FLAG, lists repeat."""
    fields: Fields = {}
    for name, value in (spec.model_extra or {}).items():
        if value is None:
            continue
        if kind == "observations" and name in ("columns", "missing_values") and isinstance(value, dict):
            fields["column" if name == "columns" else "missing"] = [f"{k}={v}" for k, v in value.items()]
        elif kind == "grid" and name == "variables" and isinstance(value, list):
            fields["variable"] = [str(v) for v in value]
        elif isinstance(value, list):
            fields[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            fields[name] = ["true" if value else "false"]
        elif isinstance(value, (str, int, float, date)):
            fields[name] = [value.isoformat() if isinstance(value, date) else str(value)]
        else:
            fields[name] = [yaml.safe_dump(value).strip()]  # refused by the parser, which names the field
    return fields


def _check_file(checked: CheckedManifest, kind: str, i: int, spec: FileSpec, levels: dict, indicators: set[str],
                confine: bool, limits: ImportLimits, report: ImportReport) -> None:
    where = f"{kind}[{i}]"
    path = _resolve(checked.base, spec.file, confine, report, f"{where}.file")
    if path is not None:
        if not path.is_file():
            _missing_file(report, f"{where}.file", spec.file)
        elif limits.max_file_bytes is not None and path.stat().st_size > limits.max_file_bytes:
            report.error(f"the file is larger than {limits.max_file_bytes / 1048576:.0f} MB", "split it",
                         column=f"{where}.file", value=spec.file,
                         message_de=f"die Datei ist größer als {limits.max_file_bytes / 1048576:.0f} MB",
                         fix_de="sie aufteilen")
    try:
        options = import_kind(kind).parse(as_fields(kind, spec))
    except OptionError as exc:
        report.error(exc.message, "correct the option (names as in `district-monitor import " f"{kind} --help`)",
                     column=f"{where}.{exc.field}", message_de=f"Option {exc.field}: {exc.message}",
                     fix_de=f"die Option korrigieren (Namen wie in `district-monitor import {kind} --help`)")
        return
    checked.options[(kind, i)] = options
    level = getattr(options, "level", None)
    if level is not None and level not in levels:
        _unknown_level(report, f"{where}.level", level, levels)
        return
    if kind == "boundaries":
        spec_level = levels[level]
        parent = levels.get(spec_level.parent_code) if spec_level.parent_code else None
        parent_length = getattr(parent, "key_length", None)
        if options.parent_key_length and parent_length and options.parent_key_length != parent_length:
            report.error(f"parent_key_length {options.parent_key_length} does not match the key length of level "
                         f"{parent.code!r} ({parent_length})", f"write parent_key_length: {parent_length}",
                         column=f"{where}.parent_key_length", value=str(options.parent_key_length),
                         message_de=f"parent_key_length {options.parent_key_length} passt nicht zur "
                                    f"Schlüssellänge der Ebene {parent.code!r} ({parent_length})",
                         fix_de=f"parent_key_length: {parent_length} schreiben")
        if parent is None and (options.parent_key or options.parent_key_length or options.parent_field):
            report.error(f"level {level!r} has no parent level, but a parent key is given",
                         "remove parent_key / parent_key_length / parent_field, or give the level a parent_code",
                         column=where,
                         message_de=f"Ebene {level!r} hat keine Elternebene, aber ein Elternschlüssel ist angegeben",
                         fix_de="parent_key / parent_key_length / parent_field entfernen oder der Ebene einen "
                                "parent_code geben")
    spec_level = levels[level] if level is not None else None
    # a GENESIS export lists every region of its depth with its parents: its keys are matched by the import
    if (path is not None and path.is_file() and isinstance(spec_level, LevelSpec) and spec_level.key_length
            and getattr(options, "layout", None) not in ("genesis", "ffcsv")):
        _check_key_lengths(path, kind, where, options, spec_level, report)
    if kind == "observations" and options.columns:
        for code in sorted(set(options.columns.values()) - indicators):
            _unknown_indicator(report, f"{where}.columns", code)


def _check_key_lengths(path: Path, kind: str, where: str, options: Any, level: LevelSpec,
                       report: ImportReport) -> None:
    """The keys of a boundary or observation file against the level's `key_length` (only the key column is
    read): a key that lost its leading zero (1001 for 01001), a Verbandsgemeinde key where a Gemeinde is
    expected, or the wrong key field, before anything is imported."""
    if kind == "boundaries":
        import pyogrio

        try:
            keys = pyogrio.read_dataframe(path, columns=[options.key_field], read_geometry=False,
                                          layer=options.layer, encoding=options.encoding)[options.key_field]
        except Exception:  # noqa: BLE001 -- unreadable or no such field: the import reports it with its fix
            return
    elif kind == "observations":
        from indicators.ingest.tables import read_table

        table = read_table(path, ImportReport(kind="observations", file=path.name), encoding=options.encoding,
                           separator=options.separator, decimal=options.decimal, thousands=options.thousands,
                           sheet=options.sheet, text_columns=[options.key_column])
        if table is None or options.key_column not in table.frame.columns:
            return  # the import reports it with its fix
        keys = table.frame[options.key_column]
    else:
        return
    keys = keys.dropna().astype(str).str.strip()
    wrong = keys[keys.str.len() != level.key_length]
    if wrong.empty:
        return
    example = str(wrong.iloc[0])
    lost_zero = example.isdigit() and len(example) == level.key_length - 1
    hint = (f"a key that lost its leading zero ({example} for 0{example}): keep keys as text" if lost_zero else
            f"check the key column ({getattr(options, 'key_field', None) or options.key_column}) and key_length")
    report.error(f"{len(wrong)} of {len(keys)} keys do not have the {level.key_length} characters of level "
                 f"{level.code!r} (e.g. {', '.join(map(str, wrong.iloc[:3]))})", hint, column=where,
                 value=example, row=int(wrong.index[0]) + 1,
                 message_de=f"{len(wrong)} von {len(keys)} Schlüsseln haben nicht die {level.key_length} Zeichen "
                            f"der Ebene {level.code!r} (z. B. {', '.join(map(str, wrong.iloc[:3]))})",
                 fix_de=(f"ein Schlüssel hat seine führende Null verloren ({example} statt 0{example}): Schlüssel "
                         "als Text speichern" if lost_zero else
                         f"die Schlüsselspalte ({getattr(options, 'key_field', None) or options.key_column}) und "
                         "key_length prüfen"))


# -- applying ----------------------------------------------------------------------------------------------
def load_manifest(engine: Engine, path: Path, *, principal: Principal, dry_run: bool = False,
                  progress: Progress | None = None, limits: ImportLimits = ImportLimits(), confine: bool = False,
                  only_levels: set[str] | None = None) -> SetupSummary:
    """Check the manifest, then apply it (or, with `dry_run`, dry-run what can be checked against what is stored).

    Nothing is written when the manifest has an error. Each file is its own all-or-nothing import; the first one
    refused stops the load (raises ManifestRefused with its report), leaving the files before it applied: fix the
    file and load again (files already stored are unchanged and skipped). `only_levels`: load only the boundaries,
    observations and indices of these levels (e.g. Länder and Kreise first)."""
    checked, report = check_manifest(engine, path, confine=confine, limits=limits, only_levels=only_levels)
    if checked is None:
        raise ManifestRefused(report)
    manifest = checked.manifest
    summary = SetupSummary(report)
    wanted = [(kind, i, spec) for kind, i, spec in manifest.files()
              if only_levels is None or getattr(checked.options[(kind, i)], "level", None) in (only_levels | {None})]
    indices = [item for item in manifest.indices if only_levels is None or item.level in only_levels]
    harmonised = [item for item in manifest.harmonise if only_levels is None or item.level in only_levels]
    steps = 2 + len(wanted) + bool(indices) + len(harmonised)
    done = 0

    def advance(what: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(what, done, steps)

    if not dry_run:
        _apply_definitions(engine, checked, principal)
    advance("levels and catalogues")
    stored, defined = _stored_levels(engine)
    pending: set[str] = set()  # levels a dry run found new areas for: not stored, so files on them wait
    analysed = True
    for kind, i, spec in wanted:
        options = checked.options[(kind, i)]
        if dry_run and not _checkable(kind, options, stored - pending, defined, checked.levels):
            report.notes.append(f"{spec.file}: checked when it is loaded (its level or parent level is not stored yet)")
            if kind == "boundaries":
                pending.add(options.level)
            advance(spec.file)
            continue
        if kind == "observations" and not analysed:
            refresh_statistics(engine)  # the observation imports' roll-ups join the areas
            analysed = True
        with engine.connect() as conn:
            file_report = import_kind(kind).run(
                conn, checked.path(spec), options, dry_run=dry_run, created_by=principal.name,
                display_name=Path(spec.file).name, before_commit=import_audit(principal, kind, spec.model_dump()),
                limits=limits)
        if not file_report.ok:
            raise ManifestRefused(file_report)
        summary.reports.append(file_report)
        if dry_run and kind == "boundaries" and (file_report.rows_written or file_report.rows_superseded):
            pending.add(options.level)
        if file_report.batch_id is not None:
            analysed = False
        advance(spec.file)
    if not dry_run and not analysed:
        refresh_statistics(engine)
    if indices and not dry_run:
        with engine.begin() as conn:
            summary.indices = len(compute_demo_indices(conn, [item.model_dump() for item in indices],
                                                       computed_by=principal.name))
        advance("indices")
    elif indices:
        advance("indices")
    for item in harmonised:  # after the observations of every boundary version and the register counts
        if not dry_run:
            with engine.begin() as conn:
                summary.estimates += store_estimates(conn, item.level, target_at=item.target, codes=item.indicators,
                                                     method=item.method, computed_by=principal.name,
                                                     population=item.population,
                                                     denominators=item.denominators).total
        advance(f"estimates on {item.level}")
    groups = [(i, group) for i, group in enumerate(manifest.comparison_groups)
              if only_levels is None or group.level in only_levels]
    if groups and not dry_run:  # after the boundaries: a group names their keys or attributes
        _save_comparison_groups(engine, groups, principal, path.name)
    links = [link for link in manifest.same_territory if only_levels is None or link.level in only_levels]
    if links and not dry_run:
        _save_same_territory(engine, links, principal)
    elif groups:
        report.notes.append(f"{len(groups)} comparison groups: checked against the areas when they are loaded")
    if not dry_run:
        with engine.begin() as conn:
            fill_properties_caches(conn)
    advance("feature caches")
    return summary


def _save_comparison_groups(engine: Engine, groups: list[tuple[int, ComparisonGroupSpec]], principal: Principal,
                            manifest_name: str) -> None:
    """The manifest's comparison groups (with their position in it) in one transaction, audited as an editor's
    are; a group stored as declared is left alone (loading twice writes nothing), a group refused (a key that
    names no area, an attribute no area carries) stops the load with its reason."""
    with engine.begin() as conn:
        for i, spec in groups:
            found = find_group(conn, spec.id)
            if found is not None and (found.level, found.name_de, found.name_en, found.same_attribute) == (
                    spec.level, spec.name_de, spec.name_en, spec.same_attribute) and found.area_keys == (
                    None if spec.area_keys is None else tuple(key.strip() for key in spec.area_keys)):
                continue
            try:
                saved = save_group(conn, spec.id, spec.level, spec.name_de, spec.name_en, spec.area_keys,
                                   principal.name, same_attribute=spec.same_attribute)
            except ComparisonError as exc:
                report = ImportReport(kind="manifest", file=manifest_name)
                report.error(f"comparison_groups[{i}] ({spec.id}): {exc}", "correct the group's keys or attribute",
                             column=exc.field, message_de=f"comparison_groups[{i}] ({spec.id}): {exc.de}",
                             fix_de="die Schlüssel oder das Merkmal der Gruppe korrigieren")
                raise ManifestRefused(report) from exc
            record(conn, principal, "update" if found else "create", "comparison_group", spec.id,
                   None if found is None else found.as_dict(), saved.as_dict())


def _save_same_territory(engine: Engine, links: list[SameTerritorySpec], principal: Principal) -> None:
    """The manifest's links to the same territory in other hierarchies, audited; a link stored already is left
    alone (loading twice writes nothing)."""
    with engine.begin() as conn:
        for link in links:
            made = conn.execute(sa.text("""
                INSERT INTO area_same_territory (level_code, key, other_level, other_key, created_by)
                VALUES (:level, :key, :as_level, :as_key, :by) ON CONFLICT DO NOTHING"""),
                {**link.model_dump(), "by": principal.name}).rowcount
            if made:
                record(conn, principal, "create", "area_same_territory", f"{link.level}:{link.key}", None,
                       link.model_dump())


def _apply_definitions(engine: Engine, checked: CheckedManifest, principal: Principal) -> None:
    """Levels, catalogues and complementary counts in one transaction, audited; roll-ups and disclosure after."""
    manifest = checked.manifest
    with engine.begin() as conn:
        upsert_levels(conn, [spec.as_level() for spec in manifest.levels])
        for catalogue in checked.catalogues:
            load_catalogue(conn, catalogue)
        for item in manifest.disclosure_partitions:
            set_partition(conn, item.name, item.total, item.parts)
        if manifest.attribution:  # shown in every page's footer (service.attribution), one line per manifest
            conn.execute(sa.text("""
                INSERT INTO dm_setting (key, value) VALUES (:key, :text)
                ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"""),
                {"key": f"attribution.{manifest.name or 'manifest'}", "text": manifest.attribution})
        refresh_after_write(conn)
        if manifest.levels or checked.catalogues or manifest.disclosure_partitions:
            record(conn, principal, "setup.definitions", "manifest", manifest.name or "manifest", None,
                   {"levels": [spec.code for spec in manifest.levels],
                    "catalogues": [c.catalogue for c in checked.catalogues],
                    "disclosure_partitions": [item.name for item in manifest.disclosure_partitions]})


def _stored_levels(engine: Engine) -> tuple[set[str], set[str]]:
    """(levels with stored areas, levels defined in the database)."""
    with engine.connect() as conn:
        return (set(conn.execute(sa.text("SELECT DISTINCT level_code FROM area")).scalars()),
                set(conn.execute(sa.text("SELECT code FROM area_level")).scalars()))


def _checkable(kind: str, options: Any, stored: set[str], defined: set[str], levels: dict[str, Any]) -> bool:
    """Whether a dry run of the file can be checked against the database now: its level is defined there and its
    parent level's areas (a boundary file) or its own level's areas (observations) are stored."""
    level = getattr(options, "level", None)
    if level is None:
        return True
    if level not in defined:
        return False
    if kind == "boundaries":
        parent = levels[level].parent_code if level in levels else None
        return parent is None or parent in stored
    return level in stored


# -- one level or one catalogue at a time (CLI `level add`, `catalogue add`; admin API) ---------------------
def save_level(conn: Connection, spec: LevelSpec, principal: Principal) -> dict:
    """Create or change one level in the caller's transaction, audited. ValueError (saying what to do) when its
    parent is unknown, ranks below it, or the keys stored for the parent are longer than `key_length`."""
    levels = {level.code: level for level in list_levels(conn)}
    before = levels.get(spec.code)
    if spec.parent_code is not None:
        parent = levels.get(spec.parent_code)
        if parent is None:
            raise ValueError(f"unknown parent level {spec.parent_code!r}: add it first, or use one of {sorted(levels)}")
        if parent.rank <= spec.rank:
            raise ValueError(f"the parent {spec.parent_code!r} has rank {parent.rank}: give {spec.code!r} a lower rank")
        parent_length = key_length(conn, spec.parent_code)
        if spec.key_length is not None and parent_length is not None and parent_length > spec.key_length:
            raise ValueError(f"the keys of {spec.parent_code!r} have {parent_length} characters, more than "
                             f"key_length {spec.key_length}: check key_length")
    same_rank = [level.code for level in levels.values() if level.rank == spec.rank and level.code != spec.code]
    if same_rank:
        raise ValueError(f"rank {spec.rank} is taken by level {same_rank[0]!r}: give every level its own rank "
                         f"(used: {sorted(level.rank for level in levels.values())})")
    children = [level.code for level in levels.values() if level.parent_code == spec.code and level.rank >= spec.rank]
    if children:
        raise ValueError(f"levels {children} have {spec.code!r} as parent: give it a rank above theirs")
    upsert_levels(conn, [spec.as_level()])
    after = spec.model_dump()
    record(conn, principal, "update" if before else "create", "area_level", spec.code,
           before.__dict__ if before else None, after)
    return after


def key_length(conn: Connection, level: str) -> int | None:
    """How long the keys of a level's areas are (the longest), from the data; None without areas."""
    return conn.execute(sa.text("SELECT max(length(key)) FROM area WHERE level_code = :level"),
                        {"level": level}).scalar_one()


def level_overview(conn: Connection) -> list[dict]:
    """Every level, coarsest first, with its number of current areas and its key length (from the data)."""
    rows = conn.execute(sa.text("""
        SELECT l.code, l.name_de, l.name_en, l.parent_code, l.rank,
               count(a.id) FILTER (WHERE a.valid_to IS NULL) AS areas, max(length(a.key)) AS key_length
        FROM area_level l LEFT JOIN area a ON a.level_code = l.code
        GROUP BY l.code ORDER BY l.rank DESC, l.code"""))
    return [dict(row._mapping) for row in rows]


def save_catalogue(conn: Connection, catalogue: Catalogue, principal: Principal) -> int:
    """Load one catalogue (topics and indicators, upserted) in the caller's transaction, audited; recomputes
    roll-ups and disclosure (thresholds may have changed)."""
    count = load_catalogue(conn, catalogue, updated_by=principal.name)
    refresh_after_write(conn)
    record(conn, principal, "load", "catalogue", catalogue.catalogue, None,
           {"version": catalogue.version, "indicators": [item.code for item in catalogue.indicators]})
    return count
