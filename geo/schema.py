"""Tables of the spatial core: area levels, versioned area boundaries, import batches, settings.

The shared SQLAlchemy `metadata` lives here so that `indicators.schema` can extend it; the database
itself is created and changed only by the Alembic migrations in `service/migrations`.
Geometries are stored in one projected CRS (`dm_setting.storage_srid`, default EPSG:25833).
"""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger, CheckConstraint, Column, Date, DateTime, Double, ForeignKey, Integer, MetaData,
    Table, Text, UniqueConstraint, func, text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection

metadata = MetaData()

dm_setting = Table(
    "dm_setting", metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

import_batch = Table(
    "import_batch", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("kind", Text, nullable=False),  # boundaries | observations | catalogue | points | grid
    Column("file_name", Text, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("options", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("rows_read", Integer, nullable=False, server_default=text("0")),
    Column("rows_written", Integer, nullable=False, server_default=text("0")),
    Column("rows_unchanged", Integer, nullable=False, server_default=text("0")),
    Column("rows_superseded", Integer, nullable=False, server_default=text("0")),
    Column("report", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
)

# Planungsraum (planning area) -> Bezirksregion (district region) -> Prognoseraum (forecast area)
# -> Bezirk (borough) -> Stadt (city): the Berlin LOR hierarchy ("lebensweltlich orientierte Räume").
area_level = Table(
    "area_level", metadata,
    Column("code", Text, primary_key=True),
    Column("name_de", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("plural_de", Text, nullable=False),
    Column("plural_en", Text, nullable=False),
    Column("rank", Integer, nullable=False, unique=True),  # 0 = finest level
    Column("parent_code", Text, ForeignKey("area_level.code")),
    Column("description", Text),
)

area = Table(
    "area", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("level_code", Text, ForeignKey("area_level.code"), nullable=False),
    Column("key", Text, nullable=False),  # official key as text: "01100101", never a number
    Column("name", Text, nullable=False),
    Column("parent_key", Text),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),  # exclusive end; NULL = still valid
    Column("geom", Geometry("MULTIPOLYGON", srid=25833, spatial_index=False), nullable=False),
    Column("geom_4326", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False)),  # generated: served as CRS84
    Column("area_m2", Double, nullable=False),
    Column("attributes", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("import_batch_id", BigInteger, ForeignKey("import_batch.id"), nullable=False),
    UniqueConstraint("level_code", "key", "valid_from"),
    CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="area_valid_range"),
)


def storage_srid(conn: Connection) -> int:
    """The SRID geometries are stored in, as fixed when the database was migrated."""
    return int(conn.execute(text("SELECT value FROM dm_setting WHERE key = 'storage_srid'")).scalar_one())
