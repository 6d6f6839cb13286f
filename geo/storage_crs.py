"""The projected CRS geometries are stored in: fixed per database when it is first migrated (`dm_setting`, set
by migration 0001 from `Settings.storage_srid`, or from the `storage_crs` of the set-up manifest that creates the
database, docs/setup.md). Everything else reads it from the database, never from a constant."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection


def storage_srid(conn: Connection) -> int:
    """The SRID geometries are stored in, as fixed when the database was migrated."""
    return int(conn.execute(text("SELECT value FROM dm_setting WHERE key = 'storage_srid'")).scalar_one())
