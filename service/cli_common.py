"""What every command of the `district-monitor` command line shares: the console, one-line errors, the
database (DATABASE_URL or the embedded cluster, migrations applied) and progress bars.

Its own module so that the command modules (`service.cli`, `service.import_cli`, `service.aggregation_cli`)
import it and never each other.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import Engine

from service.db import DatabaseUnavailable, check_connection, create_engine, upgrade
from service.embedded import EmbeddedCluster, EmbeddedError
from service.settings import Settings

console = Console(stderr=True)


class UserError(Exception):
    """Something the user can fix; printed as one line."""


def fail(message: str) -> NoReturn:
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


@contextmanager
def database(settings: Settings, *, stop_embedded: bool = False, migrate: bool = True) -> Iterator[tuple[Engine, str]]:
    """An engine for DATABASE_URL, or for the embedded cluster (started if needed); migrations applied unless
    `migrate` is false."""
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
        if migrate:
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
