"""What a migration may ask of the caller that runs it: the one way options reach `upgrade()` and `downgrade()`.

Alembic calls every migration's `upgrade()` / `downgrade()` without arguments; the caller (`service.db`) puts
its options on the Alembic config's `attributes`, and a migration that needs one asks this module for it.
"""

from __future__ import annotations

from alembic import context, op

DEFAULT_STORAGE_SRID = 25833  # ETRS89 / UTM zone 33N, the Berlin default of `Settings.storage_srid`


def storage_srid() -> int:
    """The SRID geometries are stored in. Once migration 0001 has written it to `dm_setting`, the database's own
    value wins (a later run with another setting must not create tables in a second CRS); before that, the value
    the caller passed."""
    bind = op.get_bind()
    if bind.exec_driver_sql("SELECT to_regclass('dm_setting') IS NOT NULL").scalar():
        stored = bind.exec_driver_sql("SELECT value FROM dm_setting WHERE key = 'storage_srid'").scalar()
        if stored is not None:
            return int(stored)
    return int(context.config.attributes.get("storage_srid", DEFAULT_STORAGE_SRID))
