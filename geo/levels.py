"""Area levels ("Raumebenen") and their hierarchy, e.g. Planungsraum -> Bezirksregion -> ... -> Stadt."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class Level:
    code: str
    name_de: str
    name_en: str
    plural_de: str
    plural_en: str
    rank: int
    parent_code: str | None
    description: str | None = None


def upsert_levels(conn: Connection, levels: list[Level]) -> None:
    """Create or update levels, parents first (ranks descending)."""
    for level in sorted(levels, key=lambda lv: -lv.rank):
        conn.execute(
            sa.text("""
                INSERT INTO area_level (code, name_de, name_en, plural_de, plural_en, rank, parent_code, description)
                VALUES (:code, :name_de, :name_en, :plural_de, :plural_en, :rank, :parent_code, :description)
                ON CONFLICT (code) DO UPDATE SET name_de = EXCLUDED.name_de, name_en = EXCLUDED.name_en,
                    plural_de = EXCLUDED.plural_de, plural_en = EXCLUDED.plural_en, rank = EXCLUDED.rank,
                    parent_code = EXCLUDED.parent_code, description = EXCLUDED.description"""),
            level.__dict__,
        )


def list_levels(conn: Connection) -> list[Level]:
    rows = conn.execute(sa.text(
        "SELECT code, name_de, name_en, plural_de, plural_en, rank, parent_code, description FROM area_level ORDER BY rank"))
    return [Level(**row._mapping) for row in rows]


def get_level(conn: Connection, code: str) -> Level | None:
    return next((level for level in list_levels(conn) if level.code == code), None)
