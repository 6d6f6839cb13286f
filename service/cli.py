"""The `district-monitor` command line (Typer + Rich): serve, db upgrade, load, demo load, level, catalogue, import ...

Errors a user can fix are printed as one line that says what to do, never as a traceback.
"""

from __future__ import annotations

import errno
import socket
import time
from datetime import date
from typing import Optional

import typer
from rich.table import Table
from sqlalchemy.engine import Engine

from service.aggregation_cli import aggregate_app
from service.audit import record
from service.auth import cli_principal
from service.cli_common import console, database, fail, progress_bar
from service.import_cli import import_app
from service.report_cli import jobs_command, report_command
from service.setup_cli import catalogue_app, level_app, load_command, load_with_progress, settings_for
from service.settings import get_settings

app = typer.Typer(help="district-monitor: small-area social monitoring (Sozialmonitoring) on PostGIS.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The shipped demo data (one manifest per folder of data/demo/).", no_args_is_help=True)
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
app.add_typer(aggregate_app, name="aggregate")
app.command("load")(load_command)
app.command("report")(report_command)
app.command("jobs")(jobs_command)
app.add_typer(level_app, name="level")
app.add_typer(catalogue_app, name="catalogue")


@app.command()
def serve(host: str = typer.Option(None, help="Interface to bind (default 127.0.0.1)."),
          port: int = typer.Option(None, help="TCP port (default 8000)."),
          load_demo: bool = typer.Option(None, "--demo/--no-demo", help="Load the demo data into an empty database."),
          demo_name: str = typer.Option(None, "--demo-name", help="Which demo: a folder of data/demo/ "
                                                                   "(default DM_DEMO)."),
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
    name = demo_name or settings.demo
    wants_demo = settings.load_demo if load_demo is None else load_demo
    if wants_demo:
        settings = settings_for(_demo_manifest(name))  # a new database stores in the demo's CRS
    with database(settings, stop_embedded=True) as (engine, where):
        if wants_demo and database_is_empty(engine):
            _load_demo_with_progress(engine, name)
        console.print(f"database: {where}")
        console.print(f"[bold green]district-monitor[/] on http://{host}:{port}/  ({workers} worker process"
                      f"{'es' if workers > 1 else ''}; Ctrl-C stops)")
        # every worker builds its app from the environment: the same database, and how many workers share it
        os.environ["DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
        os.environ["DM_WORKERS"] = str(workers)
        os.environ["DM_SERVER_TAG"] = f"{time.time_ns():x}"  # one ETag generation for all workers (service.caching)
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


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help='Revision to go back to, e.g. "0009", or "base" (no '
                                                           'project table left; every row is lost).')):
    """Undo schema migrations down to REVISION (for going back to an older release); `db upgrade` goes forward."""
    from alembic.util import CommandError

    from service.db import current_revisions, downgrade

    with database(get_settings(), stop_embedded=True, migrate=False) as (engine, where):
        try:
            downgrade(engine, revision)
        except CommandError as exc:
            fail(f"cannot downgrade to {revision!r}: {exc}")
        with engine.connect() as conn:
            now = ", ".join(current_revisions(conn)) or "base"
        console.print(f"schema is at {now} ({where})")


@demo_app.command("load")
def demo_load(name: str = typer.Argument(None, help="A folder of data/demo/ (default DM_DEMO).")):
    """Load a shipped demo into the configured database (idempotent); the same as `load data/demo/NAME/...`."""
    name = name or get_settings().demo
    manifest = _demo_manifest(name)
    with database(settings_for(manifest), stop_embedded=True) as (engine, _where):
        _load_demo_with_progress(engine, name)


def _demo_manifest(name: str):
    from service.demo import demo_manifest

    try:
        return demo_manifest(name)
    except KeyError as exc:
        fail(f"{exc.args[0]}: choose one of them")


def _load_demo_with_progress(engine: Engine, name: str) -> None:
    from service.demo import DEMO

    load_with_progress(engine, _demo_manifest(name), DEMO)


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
    level: Optional[str] = typer.Option(None, help="Area level code (default: the definition's levels)."),
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


@compute_app.command("estimates")
def compute_estimates_command(
    level: str = typer.Argument(..., help="Area level code whose older boundary versions are estimated."),
    at: Optional[str] = typer.Option(None, "--at", help="A date of the target boundary version YYYY-MM-DD "
                                                        "(default: the current one)."),
    method: str = typer.Option("population", help="population (target-density weighting) or area."),
    indicator: list[str] = typer.Option([], "--indicator", help="Indicator code (repeatable; default: every one "
                                                                "with values on another boundary version)."),
    population: Optional[str] = typer.Option(None, help="The count that weights (default: the weight most of the "
                                                        "level's shares and rates name in the catalogue)."),
    denominator: list[str] = typer.Option([], "--denominator", help="SHARE=COUNT+COUNT: the counts whose sum is a "
                                                                    "share's denominator (repeatable; default: its "
                                                                    "weight_indicator), e.g. S4=EW_U6+EW_6_15."),
):
    """Estimate the older periods of a level's indicators for the areas of one boundary version and keep them
    (the set-up manifest's `harmonise` step, by hand after new data): profiles show them, marked as estimates.
    Replaces the estimates stored before for these indicators, all in one transaction. Audited as cli:<os user>."""
    from indicators.estimates import store_estimates
    from indicators.harmonise import METHODS

    try:
        target = date.fromisoformat(at) if at else None
    except ValueError:
        fail(f"--at {at!r} is not a date: write it as YYYY-MM-DD, e.g. 2021-01-01")
    if method not in METHODS:
        fail(f"--method {method!r}: use {' or '.join(METHODS)}")
    denominators = {}
    for item in denominator:
        share, equals, parts = item.partition("=")
        if not equals or not share.strip() or not parts.strip():
            fail(f"--denominator {item!r}: write SHARE=COUNT+COUNT, e.g. S4=EW_U6+EW_6_15")
        denominators[share.strip()] = [p.strip() for p in parts.split("+") if p.strip()]
    principal = cli_principal()
    with database(get_settings(), stop_embedded=True) as (engine, _where):
        with progress_bar() as bar, engine.begin() as conn:
            task = bar.add_task(f"estimating on {level}", total=None)

            def advance(code: str, done: int, total: int) -> None:
                bar.update(task, description=f"estimated {code}", completed=done, total=total)

            try:
                summary = store_estimates(conn, level, target_at=target, codes=indicator or None, method=method,
                                          computed_by=principal.name, population=population,
                                          denominators=denominators, progress=advance)
            except ValueError as exc:
                fail(f"{exc}: see `district-monitor level list` for the levels")
            record(conn, principal, "compute", "estimate", level, None,
                   {"level": level, "target_at": summary.target_at, "method": summary.method,
                    "stored": summary.stored})
    table = Table("indicator", "estimated values", "periods")
    for code, count in summary.stored.items():
        table.add_row(code, str(count), ", ".join(str(p) for p in summary.periods[code]))
    console.print(table)
    console.print(f"{summary.total} estimates on {level} for the boundaries valid at {summary.target_at} "
                  f"({summary.method} weighting)")


def main() -> None:  # pragma: no cover - console entry point
    app()
