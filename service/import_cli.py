"""`district-monitor import boundaries|territorial-changes|observations|points|grid|polygons|undo`: the command
line of the one import entry point (`indicators.ingest.kinds`).

Each command only names its options; they are handed on as text fields under the same names as over HTTP, so
the same parser checks them, the same import runs, and the same report is printed. A command-line import is
recorded and audited as the operating-system user (`cli:<user>`), inside the import's transaction.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.table import Table

from geo.import_report import ImportReport, begin_import, de_number
from service.audit import import_audit, record
from service.auth import cli_principal
from service.cli_common import console, database, fail, progress_bar
from service.db import refresh_statistics
from service.settings import get_settings

if TYPE_CHECKING:
    from indicators.ingest.options import Fields

import_app = typer.Typer(help="Import boundaries, territorial changes, observations, point, grid and polygon layers "
                              "and the address register "
                              "(validated, atomic), "
                              "or take a batch back.",
                         no_args_is_help=True)


def as_fields(given: dict[str, Any]) -> Fields:
    """Command-line options as the text fields the option parser reads (lists for repeatable options)."""
    return {name: [str(v) for v in value] if isinstance(value, list) else [str(value)]
            for name, value in given.items() if value is not None and value != []}


def run_import(kind_name: str, files: list[Path], given: dict[str, Any], dry_run: bool) -> None:
    """Parse the options like the HTTP API does, import each file in its own transaction, print the reports;
    exit code 1 when any file was refused, 2 when an option cannot be used."""
    # imported here: the importers pull in geopandas, pyogrio and the computing stack (~1 s), which the other
    # commands (and `--help`) do not need
    from indicators.ingest.kinds import import_kind
    from indicators.ingest.options import OptionError

    kind = import_kind(kind_name)
    fields = as_fields(given)
    try:
        options = kind.parse(fields)
    except OptionError as exc:
        fail(f"--{exc.field.replace('_', '-')}: {exc.message}")
    settings = get_settings()
    principal = cli_principal()
    audit = import_audit(principal, kind.name, fields)
    failed = False
    with database(settings, stop_embedded=True) as (engine, _where):
        for path in files:
            with progress_bar() as bar:
                task = bar.add_task(f"{path.name}", total=None)
                with engine.connect() as conn:
                    report = kind.run(conn, path, options, dry_run=dry_run, created_by=principal.name,
                                      before_commit=audit, limits=settings.import_limits(),
                                      progress=lambda what, done, total: bar.update(
                                          task, completed=done, total=total, description=f"{path.name}: {what}"))
            print_report(report)
            failed |= not report.ok
            if report.ok and report.batch_id is not None:  # committed: planner statistics, outside its transaction
                refresh_statistics(engine)
    if failed:
        raise typer.Exit(code=1)


REPORT_LANG_ENV = "DM_REPORT_LANG"  # "de": the problem table in German (the import's own text, message_de/fix_de)
_TABLE_DE = {"title": "{count} Problem(e) in {file}", "error": "Fehler", "warning": "Warnung",
             "columns": ("Art", "Zeile", "Spalte", "Wert", "Problem", "Lösung")}


def report_lang() -> str:
    """The language of printed problems: DM_REPORT_LANG=de for German, English otherwise."""
    return "de" if os.environ.get(REPORT_LANG_ENV, "").strip().lower().startswith("de") else "en"


def print_report(report: ImportReport, lang: str | None = None) -> None:
    german = (lang or report_lang()) == "de"
    if report.problems:
        title = (_TABLE_DE["title"].format(count=len(report.problems), file=report.file) if german
                 else f"{len(report.problems)} problem(s) in {report.file}")
        table = Table(title=title, show_lines=False)
        for column in (_TABLE_DE["columns"] if german else ("severity", "row", "column", "value", "problem", "fix")):
            table.add_column(column, overflow="fold")
        for p in report.problems:
            table.add_row(_TABLE_DE[p.severity] if german else p.severity, "" if p.row is None else str(p.row),
                          p.column or "", p.value or "", (p.message_de or p.message) if german else p.message,
                          (p.fix_de or p.fix) if german else p.fix)
        console.print(table)
    for note in report.notes:
        console.print(f"note: {note}")
    if german:
        verdict = "[green]ok[/]" if report.ok else "[red]abgelehnt, nichts geschrieben[/]"
        mode = "Probelauf, nichts geschrieben" if report.dry_run else (
            f"Lieferung {report.batch_id}" if report.batch_id else "keine Änderung")
        counts = [de_number(n) for n in (report.rows_read, report.rows_written, report.rows_unchanged,
                                         report.rows_superseded)]
        console.print(f"{report.file}: {verdict}; {counts[0]} Zeilen gelesen, {counts[1]} geschrieben, "
                      f"{counts[2]} unverändert, {counts[3]} ersetzt ({mode})")
        return
    verdict = "[green]ok[/]" if report.ok else "[red]refused, nothing written[/]"
    mode = "dry run, nothing written" if report.dry_run else (
        f"batch {report.batch_id}" if report.batch_id else "no change")
    console.print(f"{report.file}: {verdict}; {report.rows_read:,} rows read, {report.rows_written:,} written, "
                  f"{report.rows_unchanged:,} unchanged, {report.rows_superseded:,} superseded ({mode})")


DRY_RUN = typer.Option(False, "--dry-run", help="Validate and report; write nothing.")


@import_app.command("boundaries")
def import_boundaries_command(
    files: list[Path] = typer.Argument(..., help="GeoJSON, GeoPackage, FlatGeobuf or zipped Shapefile."),
    level: str = typer.Option(..., help="Area level code (`district-monitor level list`)."),
    key_field: str = typer.Option(..., help="Field holding the official key (text)."),
    name_field: str = typer.Option(..., help="Field holding the area name."),
    valid_from: str = typer.Option(..., help="First day the boundaries are valid (YYYY-MM-DD)."),
    parent_field: Optional[str] = typer.Option(None, help="Field holding the parent key."),
    parent_key_length: Optional[int] = typer.Option(None, help="Parent key = first N characters of the key."),
    parent_key: Optional[str] = typer.Option(None, help="One parent key for all areas."),
    crs: Optional[str] = typer.Option(None, help="CRS for files that declare none, e.g. EPSG:25832."),
    layer: Optional[str] = typer.Option(None, help="Layer of a multi-layer file."),
    encoding: Optional[str] = typer.Option(None, help="Attribute encoding of a shapefile without .cpg, e.g. UTF-8."),
    allow_overlaps: bool = typer.Option(False, "--allow-overlaps", help="Accept siblings that overlap and areas "
                                        "beyond their parent (reported as warnings)."),
    allow_gaps: bool = typer.Option(False, "--allow-gaps", help="Accept parents their areas do not cover "
                                    "(reported as warnings)."),
    dry_run: bool = DRY_RUN,
):
    """Import area boundaries as a new boundary version."""
    run_import("boundaries", files, {
        "level": level, "key_field": key_field, "name_field": name_field, "valid_from": valid_from,
        "parent_field": parent_field, "parent_key_length": parent_key_length, "parent_key": parent_key, "crs": crs,
        "layer": layer, "encoding": encoding, "allow_overlaps": allow_overlaps, "allow_gaps": allow_gaps}, dry_run)


@import_app.command("territorial-changes")
def import_territorial_changes_command(
    files: list[Path] = typer.Argument(..., help="CSV: effective;change;from_key;to_key"
                                                 "[;to_name;to_parent_key;share]."),
    level: str = typer.Option(..., help="Area level whose areas changed (`district-monitor level list`)."),
    separator: Optional[str] = typer.Option(None, help="Force the column separator."),
    encoding: Optional[str] = typer.Option(None, help="Force an encoding (default: UTF-8, else cp1252)."),
    dry_run: bool = DRY_RUN,
):
    """Import a list of territorial changes (Gebietsänderungen: mergers, splits, key changes, transfers): the
    areas before the change end on its day, mergers and key changes get their new outline, and the relations
    between the versions are kept (docs/history.md)."""
    run_import("territorial_changes", files, {"level": level, "separator": separator, "encoding": encoding}, dry_run)


@import_app.command("observations")
def import_observations_command(
    files: list[Path] = typer.Argument(..., help="CSV (any separator, decimal comma or point) or XLSX."),
    level: str = typer.Option(..., help="Area level the keys belong to (`district-monitor level list`)."),
    layout: str = typer.Option("long", help="long (area, indicator, period, value), wide (a column per indicator), "
                                            "genesis (a GENESIS/Regionalstatistik export as downloaded) or ffcsv "
                                            "(a GENESIS flat file, CSV or its ZIP, as downloaded)."),
    key_column: str = typer.Option("area", help="Column holding the area key."),
    indicator_column: str = typer.Option("indicator", help="long layout: column holding the indicator code."),
    period_column: str = typer.Option("period", help="Column holding the period."),
    period: Optional[str] = typer.Option(None, help="One period for the whole file (e.g. 2020-12-31)."),
    value_column: str = typer.Option("value", help="long layout: column holding the value."),
    column: list[str] = typer.Option([], help="wide, genesis and ffcsv layouts: SOURCE=CODE mapping, repeatable."),
    missing: list[str] = typer.Option([], help="TOKEN=FLAG for publisher codes of missing values, e.g. -9999=not_assessed."),
    flag_reason_column: Optional[str] = typer.Option(None, help="Column explaining flagged values."),
    boundaries_at: Optional[str] = typer.Option(None, help="Boundary version the keys refer to (YYYY-MM-DD)."),
    encoding: Optional[str] = typer.Option(None, help="Force an encoding (default: detect UTF-8/BOM/cp1252)."),
    separator: Optional[str] = typer.Option(None, help="Force the column separator."),
    decimal: Optional[str] = typer.Option(None, help="The decimal separator (',' or '.'); needed when the file "
                                          "shows none and has numbers like 1.709."),
    thousands: Optional[str] = typer.Option(None, help="The thousands separator ('.', ',' or 'none'); implies the "
                                            "decimal separator."),
    sheet: Optional[str] = typer.Option(None, help="XLSX: sheet name."),
    allow_future_periods: bool = typer.Option(False, "--allow-future-periods",
                                              help="Accept periods after today (forecasts)."),
    dry_run: bool = DRY_RUN,
):
    """Import indicator values (observations) from CSV or XLSX."""
    run_import("observations", files, {
        "level": level, "layout": layout, "key_column": key_column, "indicator_column": indicator_column,
        "period_column": period_column, "period": period, "value_column": value_column, "column": column,
        "missing": missing, "flag_reason_column": flag_reason_column, "boundaries_at": boundaries_at,
        "encoding": encoding, "separator": separator, "decimal": decimal, "thousands": thousands, "sheet": sheet,
        "allow_future_periods": allow_future_periods}, dry_run)


@import_app.command("points")
def import_points_command(
    files: list[Path] = typer.Argument(..., help="GeoJSON, GeoPackage, FlatGeobuf or zipped Shapefile of points."),
    layer: str = typer.Option(..., help="Code of the point layer, e.g. kitas."),
    key_field: str = typer.Option(..., help="Field holding the facility's key (text)."),
    name_field: Optional[str] = typer.Option(None, help="Field holding the facility's name."),
    name_de: Optional[str] = typer.Option(None, help="German name of the layer, e.g. Kindertagesstätten."),
    crs: Optional[str] = typer.Option(None, help="CRS for files that declare none, e.g. EPSG:25832."),
    capacity_field: Optional[str] = typer.Option(None, help="Attribute holding each facility's capacity (places)."),
    serves: Optional[str] = typer.Option(None, help="Count indicator of the population served, e.g. EW_U6."),
    dry_run: bool = DRY_RUN,
):
    """Import a point layer (facilities), validated and atomic; features missing from the file are removed."""
    run_import("points", files, {"layer": layer, "key_field": key_field, "name_field": name_field,
                                 "name_de": name_de, "crs": crs, "capacity_field": capacity_field,
                                 "serves": serves}, dry_run)


@import_app.command("grid")
def import_grid_command(
    files: list[Path] = typer.Argument(..., help="CSV with INSPIRE grid ids (CRS3035RES100mN...E...) and counts."),
    layer: str = typer.Option(..., help="Code of the grid layer, e.g. zensus_100m."),
    id_column: Optional[str] = typer.Option(None, help="Column of the grid ids (default: the one named *id*)."),
    variable: list[str] = typer.Option([], help="Value column to import, repeatable (default: all)."),
    dry_run: bool = DRY_RUN,
):
    """Import a Zensus-style grid table; replaces the layer's cells."""
    run_import("grid", files, {"layer": layer, "id_column": id_column, "variable": variable}, dry_run)


@import_app.command("polygons")
def import_polygons_command(
    files: list[Path] = typer.Argument(..., help="Polygons such as programme areas or school catchments."),
    layer: str = typer.Option(..., help="Code of the polygon layer, e.g. qm_gebiete."),
    key_field: str = typer.Option(..., help="Field holding the key (text)."),
    name_field: Optional[str] = typer.Option(None, help="Field holding the name."),
    crs: Optional[str] = typer.Option(None, help="CRS for files that declare none."),
    dry_run: bool = DRY_RUN,
):
    """Import a polygon layer (e.g. programme areas) to aggregate to or to define programmes with."""
    run_import("polygons", files, {"layer": layer, "key_field": key_field, "name_field": name_field, "crs": crs},
               dry_run)


@import_app.command("addresses")
def import_addresses_command(
    files: list[Path] = typer.Argument(..., help="CSV (or .csv.gz) of the address register, one address per row."),
    level: str = typer.Option(..., help="Level of the area keys, e.g. the finest one."),
    street_field: str = typer.Option("street", help="Column of the street."),
    number_field: str = typer.Option("house_number", help="Column of the house number (may be empty: squares)."),
    area_field: str = typer.Option("area_key", help="Column of the key of the area the address lies in."),
    suffix_field: Optional[str] = typer.Option(None, help="Column of the house number suffix (A, B, ...)."),
    postcode_field: Optional[str] = typer.Option(None, help="Column of the postcode."),
    locality_field: Optional[str] = typer.Option(None, help="Column of the locality (Ortsteil)."),
    separator: Optional[str] = typer.Option(None, help="Column separator: ',' (default), ';', '|' or 'tab'."),
    dry_run: bool = DRY_RUN,
):
    """Import the address register (for the search box): replaces the level's addresses, validated and atomic."""
    run_import("addresses", files, {"level": level, "street_field": street_field, "number_field": number_field,
                                    "area_field": area_field, "suffix_field": suffix_field,
                                    "postcode_field": postcode_field, "locality_field": locality_field,
                                    "separator": separator}, dry_run)


@import_app.command("undo")
def import_undo_command(batch_id: int = typer.Argument(..., help="Id of the import batch (GET /api/imports).")):
    """Take an import batch back: its values or boundary versions are removed, what it replaced is current
    again, roll-ups and disclosure are recomputed; all in one transaction, audited."""
    from indicators.import_undo import BatchNotFound, UndoRefused, undo_batch

    principal = cli_principal()
    with database(get_settings(), stop_embedded=True) as (engine, _where):
        with engine.connect() as conn, console.status(f"undoing batch {batch_id} ..."):
            try:
                with begin_import(conn):
                    result = undo_batch(conn, batch_id, principal.name)
                    record(conn, principal, "import.undone", "import_batch", str(batch_id), after=result.as_dict())
            except (BatchNotFound, UndoRefused) as exc:
                fail(str(exc))
        refresh_statistics(engine)
    done = (f"{result.rows_removed:,} values removed, {result.rows_restored:,} restored"
            if result.kind == "observations" else
            f"{result.areas_removed:,} boundary versions removed, {result.areas_reopened:,} reopened, "
            f"{result.areas_restored:,} outlines restored")
    console.print(f"batch {batch_id} ({result.file_name}) undone: {done}; roll-ups and disclosure recomputed")
