"""The `district-monitor` command line (Typer + Rich): serve, db upgrade, demo load, import ...

Errors a user can fix are printed as one line that says what to do, never as a traceback.
"""

from __future__ import annotations

import errno
import socket
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.engine import Engine

from geo.boundaries import boundary_options
from geo.import_report import ImportReport, OptionError, begin_import
from indicators.observations import import_observations, observation_options
from indicators.refresh import import_boundaries
from service.audit import import_audit, record
from service.auth import cli_principal
from service.db import DatabaseUnavailable, check_connection, create_engine, refresh_statistics, upgrade
from service.embedded import EmbeddedCluster, EmbeddedError
from service.settings import Settings, get_settings

app = typer.Typer(help="district-monitor: small-area social monitoring (Sozialmonitoring) on PostGIS.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The shipped Berlin demo data.", no_args_is_help=True)
import_app = typer.Typer(help="Import boundaries and observations (validated, atomic), or take a batch back.",
                         no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
tokens_app = typer.Typer(help="API tokens (roles: reader, editor, data_steward, statistics_office = Statistikstelle, "
                               "admin).", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(tokens_app, name="tokens")
compute_app = typer.Typer(help="Compute derived results (composite indices).", no_args_is_help=True)
app.add_typer(compute_app, name="compute")
audit_app = typer.Typer(help="The audit log (append-only, hash-chained).", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
console = Console(stderr=True)


class UserError(Exception):
    """Something the user can fix; printed as one line."""


def fail(message: str) -> None:
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


@contextmanager
def database(settings: Settings, *, stop_embedded: bool = False) -> Iterator[tuple[Engine, str]]:
    """An engine for DATABASE_URL, or for the embedded cluster (started if needed); migrations applied."""
    cluster = None
    started = False
    try:
        if settings.database_url:
            url = settings.database_url
            where = "DATABASE_URL"
        else:
            cluster = EmbeddedCluster(settings.data_dir)
            with console.status("starting the embedded PostGIS cluster ..."):
                started = cluster.ensure_running()
            url = cluster.url()
            where = f"embedded PostGIS in {cluster.root}"
            if cluster.relocated_from:
                where += f" (the postgres user cannot enter {cluster.relocated_from})"
        engine = create_engine(url, settings)
        check_connection(engine)
        upgrade(engine, settings.storage_srid)
    except (EmbeddedError, DatabaseUnavailable) as exc:
        fail(str(exc))
    try:
        yield engine, where
    finally:
        engine.dispose()
        if cluster is not None and started and stop_embedded:
            with console.status("stopping the embedded PostGIS cluster ..."):
                cluster.stop()


def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), console=console, transient=False)


@app.command()
def serve(host: str = typer.Option(None, help="Interface to bind (default 127.0.0.1)."),
          port: int = typer.Option(None, help="TCP port (default 8000)."),
          load_demo: bool = typer.Option(None, "--demo/--no-demo", help="Load the demo data into an empty database."),
          workers: int = typer.Option(None, min=1, help="Worker processes (default DM_WORKERS, 1); with more than "
                                                        "one, the rate limit is shared through the database.")):
    """Start the web service; without DATABASE_URL on a private PostGIS cluster under .data/."""
    import os

    import uvicorn

    from service.demo import database_is_empty
    from service.http_protocol import GuardedHttpProtocol

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    _check_port_free(host, port)
    with database(settings, stop_embedded=True) as (engine, where):
        if (settings.load_demo if load_demo is None else load_demo) and database_is_empty(engine):
            _load_demo_with_progress(engine)
        console.print(f"database: {where}")
        console.print(f"[bold green]district-monitor[/] on http://{host}:{port}/  ({workers} worker process"
                      f"{'es' if workers > 1 else ''}; Ctrl-C stops)")
        # every worker builds its app from the environment: the same database, and how many workers share it
        os.environ["DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
        os.environ["DM_WORKERS"] = str(workers)
        uvicorn.run("service.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                    http=GuardedHttpProtocol, limit_concurrency=settings.max_connections,
                    timeout_graceful_shutdown=settings.shutdown_grace_s, log_level="warning", proxy_headers=False)


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(f"port {port} on {host} is already in use: stop the other program or choose --port {port + 1}")
            fail(f"cannot listen on {host}:{port} ({exc.strerror}): choose another --host/--port")


@db_app.command("upgrade")
def db_upgrade():
    """Apply all schema migrations to the configured database."""
    with database(get_settings(), stop_embedded=True) as (_engine, where):
        console.print(f"schema is up to date ({where})")


@demo_app.command("load")
def demo_load():
    """Load the Berlin demo data into the configured database (idempotent)."""
    with database(get_settings(), stop_embedded=True) as (engine, _where):
        _load_demo_with_progress(engine)


def _load_demo_with_progress(engine: Engine) -> None:
    from service.demo import DemoLoadFailed, load_demo

    with progress_bar() as bar:
        task = bar.add_task("loading the Berlin demo data", total=None)

        def step(what: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"demo: {what}")

        try:
            summary = load_demo(engine, progress=step)
        except DemoLoadFailed as exc:
            fail(str(exc))
    written = sum(r.rows_written for r in summary.reports)
    console.print(f"demo data loaded: {written:,} rows written from {len(summary.reports)} files")


def _print_report(report: ImportReport) -> None:
    if report.problems:
        table = Table(title=f"{len(report.problems)} problem(s) in {report.file}", show_lines=False)
        for column in ("severity", "row", "column", "value", "problem", "fix"):
            table.add_column(column, overflow="fold")
        for p in report.problems:
            table.add_row(p.severity, "" if p.row is None else str(p.row), p.column or "", p.value or "",
                          p.message, p.fix)
        console.print(table)
    for note in report.notes:
        console.print(f"note: {note}")
    verdict = "[green]ok[/]" if report.ok else "[red]refused, nothing written[/]"
    mode = "dry run, nothing written" if report.dry_run else (
        f"batch {report.batch_id}" if report.batch_id else "no change")
    console.print(f"{report.file}: {verdict}; {report.rows_read:,} rows read, {report.rows_written:,} written, "
                  f"{report.rows_unchanged:,} unchanged, {report.rows_superseded:,} superseded ({mode})")


def cli_import(kind: str, options: dict) -> dict:
    """Who a command-line import is recorded as (the operating-system user, as for tokens) and its audit
    record, written inside the import's transaction like an upload's."""
    principal = cli_principal()
    return {"created_by": principal.name, "before_commit": import_audit(principal, kind, options)}


def _run_import(files: list[Path], run_one) -> None:
    settings = get_settings()
    failed = False
    with database(settings, stop_embedded=True) as (engine, _where):
        for path in files:
            with progress_bar() as bar:
                task = bar.add_task(f"{path.name}", total=None)
                with engine.connect() as conn:
                    report = run_one(conn, path, lambda what, done, total: bar.update(
                        task, completed=done, total=total, description=f"{path.name}: {what}"))
            _print_report(report)
            failed |= not report.ok
            if report.ok and report.batch_id is not None:  # committed: planner statistics, outside its transaction
                refresh_statistics(engine)
    if failed:
        raise typer.Exit(code=1)


@import_app.command("boundaries")
def import_boundaries_command(
    files: list[Path] = typer.Argument(..., help="GeoJSON, GeoPackage, FlatGeobuf or zipped Shapefile."),
    level: str = typer.Option(..., help="Area level code, e.g. plr."),
    key_field: str = typer.Option(..., help="Field holding the official key (text)."),
    name_field: str = typer.Option(..., help="Field holding the area name."),
    valid_from: str = typer.Option(..., help="First day the boundaries are valid (YYYY-MM-DD)."),
    parent_field: Optional[str] = typer.Option(None, help="Field holding the parent key."),
    parent_key_length: Optional[int] = typer.Option(None, help="Parent key = first N characters of the key."),
    parent_key: Optional[str] = typer.Option(None, help="One parent key for all areas."),
    crs: Optional[str] = typer.Option(None, help="CRS for files that declare none, e.g. EPSG:25833."),
    layer: Optional[str] = typer.Option(None, help="Layer of a multi-layer file."),
    encoding: Optional[str] = typer.Option(None, help="Attribute encoding of a shapefile without .cpg, e.g. UTF-8."),
    allow_overlaps: bool = typer.Option(False, "--allow-overlaps", help="Accept siblings that overlap and areas "
                                        "beyond their parent (reported as warnings)."),
    allow_gaps: bool = typer.Option(False, "--allow-gaps", help="Accept parents their areas do not cover "
                                    "(reported as warnings)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and report; write nothing."),
):
    """Import area boundaries as a new boundary version."""
    given = {"level": level, "key_field": key_field, "name_field": name_field, "valid_from": valid_from,
             "parent_field": parent_field, "parent_key_length": parent_key_length, "parent_key": parent_key,
             "crs": crs, "layer": layer, "encoding": encoding, "allow_overlaps": allow_overlaps,
             "allow_gaps": allow_gaps}
    try:  # the HTTP API validates its form fields with the same function
        options = boundary_options({k: [str(v)] for k, v in given.items() if v is not None})
    except OptionError as exc:
        fail(f"--{exc.field.replace('_', '-')}: {exc.message}")
    limits = get_settings().import_limits()
    _run_import(files, lambda conn, path, step: import_boundaries(
        conn, path, options, dry_run=dry_run, progress=step, limits=limits, **cli_import("boundaries", given)))


@import_app.command("observations")
def import_observations_command(
    files: list[Path] = typer.Argument(..., help="CSV (any separator, decimal comma or point) or XLSX."),
    level: str = typer.Option(..., help="Area level the keys belong to, e.g. plr."),
    layout: str = typer.Option("long", help="long (area, indicator, period, value) or wide (a column per indicator)."),
    key_column: str = typer.Option("area", help="Column holding the area key."),
    indicator_column: str = typer.Option("indicator", help="long layout: column holding the indicator code."),
    period_column: str = typer.Option("period", help="Column holding the period."),
    period: Optional[str] = typer.Option(None, help="One period for the whole file (e.g. 2020-12-31)."),
    value_column: str = typer.Option("value", help="long layout: column holding the value."),
    column: list[str] = typer.Option([], help="wide layout: SOURCE=CODE mapping, repeatable."),
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
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and report; write nothing."),
):
    """Import indicator values (observations) from CSV or XLSX."""
    given = {"level": level, "layout": layout, "key_column": key_column, "indicator_column": indicator_column,
             "period_column": period_column, "period": period, "value_column": value_column,
             "flag_reason_column": flag_reason_column, "boundaries_at": boundaries_at, "encoding": encoding,
             "separator": separator, "decimal": decimal, "thousands": thousands, "sheet": sheet,
             "allow_future_periods": str(allow_future_periods)}
    fields = {k: [v] for k, v in given.items() if v is not None}
    fields.update({"column": column, "missing": missing})
    try:  # the HTTP API validates its form fields with the same function
        options = observation_options(fields)
    except OptionError as exc:
        fail(f"--{exc.field.replace('_', '-')}: {exc.message}")
    limits = get_settings().import_limits()
    _run_import(files, lambda conn, path, step: import_observations(
        conn, path, options, dry_run=dry_run, progress=step, limits=limits, **cli_import("observations", fields)))


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


@audit_app.command("verify")
def audit_verify_command(noted: list[str] = typer.Option([], "--contains", help="A chain head printed earlier "
                                                         "and noted outside the database; repeatable.")):
    """Check the audit log's hash chain: OK, or the first entry that was changed, removed or inserted."""
    from service.audit import verify_chain

    with database(get_settings(), stop_embedded=True) as (engine, _where):
        with engine.connect() as conn, console.status("verifying the audit log ..."):
            check = verify_chain(conn, tuple(noted))
    if not check.ok:
        console.print(f"[bold red]audit log broken:[/] {check.problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1)
    console.print(f"audit log OK: {check.entries:,} entries, chain head {check.head}")


@tokens_app.command("create")
def tokens_create(name: str = typer.Option(..., help="Who or what uses the token."),
                  role: str = typer.Option(..., help="reader, editor, data_steward, statistics_office "
                                                     "(Statistikstelle: sees unsuppressed values, imports) or admin."),
                  valid_days: int = typer.Option(365, help="Days until the token expires (0 = never).")):
    """Create an API token and print it once; only its hash is stored."""
    from service.auth import ROLE_LABELS_DE, ROLES, create_token, list_tokens

    if role not in ROLES[1:]:
        fail(f"--role {role!r} is unknown: use one of {', '.join(ROLES[1:])}")
    with database(get_settings(), stop_embedded=True) as (engine, _where):
        with engine.begin() as conn:
            token_id, token = create_token(conn, name, role, created_by="cli", valid_days=valid_days or None)
            after = next(r for r in list_tokens(conn) if r["id"] == token_id)
            record(conn, cli_principal(), "create", "api_token", str(token_id), None, after)
    console.print(f"token {token_id} for {name} ({role}: {ROLE_LABELS_DE[role]}); shown only now, store it safely:")
    print(token)


@tokens_app.command("list")
def tokens_list():
    """List tokens (never the tokens themselves)."""
    from service.auth import list_tokens

    with database(get_settings(), stop_embedded=True) as (engine, _where):
        with engine.connect() as conn:
            rows = list_tokens(conn)
    table = Table("id", "name", "role", "created", "expires", "revoked", "last used")
    for r in rows:
        table.add_row(str(r["id"]), r["name"], r["role"], f"{r['created_at']:%Y-%m-%d}",
                      f"{r['expires_at']:%Y-%m-%d}" if r["expires_at"] else "never",
                      f"{r['revoked_at']:%Y-%m-%d}" if r["revoked_at"] else "", str(r["last_used_at"] or ""))
    console.print(table)


@tokens_app.command("revoke")
def tokens_revoke(token_id: int = typer.Argument(..., help="Id from `tokens list`.")):
    """Revoke a token at once."""
    from service.auth import list_tokens, revoke_token

    with database(get_settings(), stop_embedded=True) as (engine, _where):
        with engine.begin() as conn:
            before = next((r for r in list_tokens(conn) if r["id"] == token_id), None)
            if not revoke_token(conn, token_id):
                fail(f"no active token with id {token_id}: see `district-monitor tokens list`")
            after = next(r for r in list_tokens(conn) if r["id"] == token_id)
            record(conn, cli_principal(), "revoke", "api_token", str(token_id), before, after)
    console.print(f"token {token_id} revoked")


@compute_app.command("indices")
def compute_indices_command(
    index: Optional[str] = typer.Option(None, "--index", help="Index id (default: every index definition)."),
    level: Optional[str] = typer.Option(None, help="Area level, e.g. plr (default: the definition's levels)."),
    period: Optional[str] = typer.Option(None, help="Reference date YYYY-MM-DD (default: every period with data)."),
):
    """Compute composite indices with provenance; unchanged inputs reuse the stored run. Audited as
    cli:<os user>, like the same computation over HTTP."""
    from indicators.composite import IndexDefinitionError
    from indicators.index_definitions import get_definition, install_shipped
    from indicators.index_results import latest_run
    from indicators.index_runs import compute_index, plan_runs

    try:
        wanted = date.fromisoformat(period) if period else None
    except ValueError:
        fail(f"--period {period!r} is not a date: write it as YYYY-MM-DD, e.g. 2020-12-31")
    failed = False
    principal = cli_principal()
    with database(get_settings(), stop_embedded=True) as (engine, _where):
        with engine.begin() as conn:
            try:
                installed = install_shipped(conn, created_by=principal.name)
                plan = plan_runs(conn, index, level, wanted)
            except (IndexDefinitionError, LookupError) as exc:
                fail(f"{exc}; see GET /api/indices for the definitions")
            for index_id in installed:
                record(conn, principal, "create", "index_definition", index_id, None,
                       get_definition(conn, index_id).as_record())
        if installed:
            console.print(f"installed shipped index definitions: {', '.join(installed)}")
        if not plan:
            fail("nothing to compute: no index has input data on the chosen level and period")
        table = Table("index", "level", "period", "run", "participating", "attention", "classes")
        with progress_bar() as bar:
            task = bar.add_task("computing indices", total=len(plan))
            for index_id, chosen_level, chosen_period in plan:
                bar.update(task, description=f"{index_id} {chosen_level} {chosen_period}")
                try:
                    with engine.begin() as conn:
                        run_id = compute_index(conn, index_id, chosen_level, chosen_period, principal.name)
                        run = latest_run(conn, index_id, chosen_level, chosen_period)
                        record(conn, principal, "compute", "index_run", str(run_id), None,
                               {"index_id": index_id, "level": chosen_level, "period": chosen_period,
                                "inputs_hash": run.inputs_hash})
                    summary = run.summary
                except IndexDefinitionError as exc:
                    console.print(f"[red]{index_id} {chosen_level} {chosen_period}:[/] {exc}: change the definition "
                                  f"with PUT /api/indices/{index_id}")
                    failed = True
                else:
                    counts = ", ".join(f"{code}: {n}" for code, n in summary["class_counts"].items())
                    table.add_row(index_id, chosen_level, str(chosen_period), str(run_id),
                                  f"{summary['n_participating']}/{summary['n_areas']}", str(summary["n_attention"]),
                                  counts)
                bar.advance(task)
        console.print(table)
    if failed:
        raise typer.Exit(code=1)


from service.aggregation_cli import register as _register_aggregation  # noqa: E402

_register_aggregation(app, import_app)


def main() -> None:  # pragma: no cover - console entry point
    app()
