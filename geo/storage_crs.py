"""The projected CRS geometries are stored in: fixed per database when it is first migrated (`dm_setting`,
default EPSG:25833, set from `Settings.storage_srid` by migration 0001)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection


def storage_srid(conn: Connection) -> int:
    """The SRID geometries are stored in, as fixed when the database was migrated."""
    return int(conn.execute(text("SELECT value FROM dm_setting WHERE key = 'storage_srid'")).scalar_one())
