"""Database engine, migrations and the resolution of which database to use (DATABASE_URL or embedded)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from service.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be reached; the message says what to do."""


def normalise_url(url: str) -> str:
    """Accept libpq-style URLs (postgres://, postgresql://) and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def create_engine(url: str, settings: Settings) -> Engine:
    """A pooled engine that survives a database restart: every checkout is pinged (a connection broken by the
    restart is replaced, not handed to a request), connecting gives up after 5 s, waiting for a free
    connection after `pool_timeout_s` (then the request answers 503), and no statement or idle transaction
    can hold a connection for longer than the timeouts."""
    options = (f"-c statement_timeout={settings.statement_timeout_ms}"
               f" -c idle_in_transaction_session_timeout={max(settings.statement_timeout_ms * 2, 60_000)}")
    return sa.create_engine(
        normalise_url(url),
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        pool_pre_ping=True,
        pool_timeout=settings.pool_timeout_s,
        connect_args={"options": options, "connect_timeout": 5, "application_name": "district-monitor",
                      "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3},
    )


def check_connection(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"cannot connect to the database ({reason}): check DATABASE_URL, or unset it to use the embedded PostGIS."
        ) from exc


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, storage_srid: int) -> None:
    """Apply all Alembic migrations (idempotent). When a migration was applied to a database that had a schema
    already, roll-ups and disclosure are recomputed in the same transaction: a migration may change what the
    disclosure model sees, and readers must never see a state in which a rule is not applied.

    `storage_srid` reaches the migrations as an option (`service.migrations.options`); it only matters for a new
    database, an existing one keeps the SRID it was created with."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        config.attributes["storage_srid"] = storage_srid
        before = set(MigrationContext.configure(conn).get_current_heads())
        command.upgrade(config, "heads")  # feature branches of the schema may have separate heads
        if before and set(MigrationContext.configure(conn).get_current_heads()) != before:
            # imported here: the roll-ups pull in the whole computing stack (~1 s), which every command-line
            # call would otherwise load at start, also `--help` and `db upgrade` on an up-to-date database
            from indicators.refresh import refresh_after_write

            refresh_after_write(conn)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to `revision` (a revision id such as "0009", or "base": no project table left), in
    one transaction. Nothing is recomputed: the code of this release expects the newest schema, a downgraded
    database is for the older release that matches it (whose own upgrade then refreshes what it derives)."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def current_revisions(conn: Connection) -> tuple[str, ...]:
    """The revisions the database is at (empty before the first migration and after a downgrade to base)."""
    return MigrationContext.configure(conn).get_current_heads()


def is_up_to_date(conn: Connection) -> bool:
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    return set(MigrationContext.configure(conn).get_current_heads()) == heads


def accepts_changes(engine: Engine) -> bool:
    """Whether the database takes writes (a replica or a read-only maintenance mode does not); raises if it
    cannot be reached."""
    with engine.connect() as conn:
        return not conn.execute(sa.text("SELECT current_setting('transaction_read_only') = 'on'")).scalar_one()


def refresh_statistics(engine: Engine) -> None:
    """ANALYZE the tables imports fill, after an import has committed (maintenance, outside its transaction).

    Autovacuum keeps the statistics of ordinary tables and of each partition, but never of the partitioned
    `observation` as a whole, which the planner needs for joins over all indicators; and right after a big
    import, before autovacuum wakes up, the next import's roll-ups would be planned on stale numbers."""
    with engine.connect() as conn:
        conn.execute(sa.text("SET statement_timeout = '15min'"))
        conn.execute(sa.text("ANALYZE area, observation"))
        conn.commit()

