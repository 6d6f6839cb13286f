"""`district-monitor load MANIFEST`, `level add|list` and `catalogue add`: setting a municipality up from data
(`service.setup`, docs/setup.md), or one level or catalogue at a time. Audited as the operating-system user
(`cli:<user>`), like every command-line write."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from geo.import_report import ImportReport
from service.auth import Principal, cli_principal
from service.cli_common import console, database, fail, progress_bar
from service.import_cli import print_report
from service.settings import Settings, get_settings

level_app = typer.Typer(help="Area levels (Raumebenen) and their hierarchy, one at a time.", no_args_is_help=True)
catalogue_app = typer.Typer(help="Indicator catalogues (YAML), one file at a time.", no_args_is_help=True)


def settings_for(manifest: Path) -> Settings:
    """The settings, with the manifest's storage CRS for a database that does not exist yet (an existing one
    keeps its own; `service.setup` says so)."""
    from service.setup import read_manifest

    settings = get_settings()
    parsed = read_manifest(manifest, ImportReport(kind="manifest", file=manifest.name))
    if parsed is not None and parsed.storage_epsg is not None:
        return settings.model_copy(update={"storage_srid": parsed.storage_epsg})
    return settings


def load_with_progress(engine, manifest: Path, principal: Principal, *, dry_run: bool = False,
                       only_levels: set[str] | None = None, limits=None) -> None:
    """Apply (or dry-run) a manifest with a progress bar; prints the reports, exits 1 when anything is refused."""
    import time

    from service.setup import ManifestRefused, load_manifest

    started = time.monotonic()
    with progress_bar() as bar:
        task = bar.add_task(f"{manifest.name}: checking", total=None)

        def step(what: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"{manifest.name}: {what}")

        try:
            summary = load_manifest(engine, manifest, principal=principal, dry_run=dry_run, progress=step,
                                    only_levels=only_levels, **({"limits": limits} if limits else {}))
        except ManifestRefused as exc:
            bar.stop()
            print_report(exc.report)
            raise typer.Exit(code=1) from None
    for problem in summary.manifest.problems:
        console.print(f"[yellow]warning:[/] {problem.as_text()}", highlight=False, soft_wrap=True)
    for note in summary.manifest.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
    mode = "dry run, nothing written" if dry_run else "loaded"
    console.print(f"{manifest.name}: {mode}; {summary.rows_written:,} rows written from {len(summary.reports)} "
                  f"files, {summary.indices} index runs, {time.monotonic() - started:.1f} s")


def load_command(
    manifest: Path = typer.Argument(..., help="The set-up manifest (YAML, docs/setup.md), e.g. "
                                              "data/demo/germany/manifest.yaml."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the manifest and every file that can be checked "
                                 "against what is stored; write nothing."),
    level: list[str] = typer.Option([], "--level", help="Load only the files and indices of this level "
                                    "(repeatable), e.g. --level land --level kreis."),
):
    """Set up a municipality (levels, catalogues, boundaries, values, layers, indices) from a manifest, through the
    ordinary validated imports: the manifest is checked first (nothing written on any error), then each file is
    imported all-or-nothing; loading again changes nothing."""
    if not manifest.is_file():
        fail(f"manifest {manifest} not found: give the path of a manifest YAML (see docs/setup.md)")
    settings = settings_for(manifest)
    with database(settings, stop_embedded=True) as (engine, _where):
        load_with_progress(engine, manifest, cli_principal(), dry_run=dry_run, only_levels=set(level) or None,
                           limits=settings.import_limits())


@level_app.command("add")
def level_add(
    code: str = typer.Argument(..., help="Code of the level, e.g. kreis (lower-case letters, digits, _)."),
    name_de: str = typer.Option(..., help="German name, e.g. Kreis."),
    name_en: str = typer.Option(..., help="English name, e.g. District."),
    plural_de: Optional[str] = typer.Option(None, help="German plural (default: the name)."),
    plural_en: Optional[str] = typer.Option(None, help="English plural (default: the name + s)."),
    rank: int = typer.Option(..., help="Higher = coarser; a parent ranks above its children."),
    parent: Optional[str] = typer.Option(None, help="Code of the parent level (none for the top level)."),
    key_length: Optional[int] = typer.Option(None, help="Characters of its official keys (checked against "
                                             "--parent's)."),
    description: Optional[str] = typer.Option(None, help="What the level is."),
):
    """Add or change one area level."""
    from pydantic import ValidationError

    from service.setup import LevelSpec, save_level

    try:
        spec = LevelSpec(code=code, name_de=name_de, name_en=name_en, plural_de=plural_de or name_de,
                         plural_en=plural_en or f"{name_en}s", rank=rank, parent_code=parent,
                         description=description, key_length=key_length)
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"--{str(first['loc'][0]).replace('_', '-')}: {first['msg']}")
    with database(get_settings(), stop_embedded=True) as (engine, _where):
        with engine.begin() as conn:
            try:
                save_level(conn, spec, cli_principal())
            except ValueError as exc:
                fail(str(exc))
    console.print(f"level {code} saved")


@level_app.command("list")
def level_list():
    """The area levels, coarsest first, with their number of current areas."""
    from service.setup import level_overview

    with database(get_settings(), stop_embedded=True) as (engine, _where):
        with engine.connect() as conn:
            rows = level_overview(conn)
    table = Table("code", "name", "parent", "rank", "areas", "key length")
    for row in rows:
        table.add_row(row["code"], row["name_de"], row["parent_code"] or "", str(row["rank"]), f"{row['areas']:,}",
                      "" if row["key_length"] is None else str(row["key_length"]))
    console.print(table)


@catalogue_app.command("add")
def catalogue_add(file: Path = typer.Argument(..., help="Catalogue YAML (format: indicators/catalogues/*.yaml)."),
                  dry_run: bool = typer.Option(False, "--dry-run", help="Check only.")):
    """Add or update the topics and indicator definitions of one catalogue file."""
    from indicators.catalogue import CatalogueError, read_catalogue
    from service.setup import save_catalogue

    try:
        catalogue = read_catalogue(file)
    except FileNotFoundError:
        fail(f"catalogue {file} not found: check the path")
    except CatalogueError as exc:
        fail(f"{exc}: correct the catalogue (format as in indicators/catalogues/*.yaml)")
    if dry_run:
        console.print(f"{file.name}: ok, {len(catalogue.indicators)} indicators (dry run, nothing written)")
        return
    with database(get_settings(), stop_embedded=True) as (engine, _where):
        with engine.begin() as conn:
            count = save_catalogue(conn, catalogue, cli_principal())
    console.print(f"catalogue {catalogue.catalogue}: {count} indicators saved")
