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
    population: str | None = None  # the level's population count (an indicator code), as the set-up declares it

    def name(self, lang: str) -> str:
        """One area's level in the language `lang` ("en": English, else German): "Planungsraum"."""
        return self.name_en if lang == "en" else self.name_de

    def plural(self, lang: str) -> str:
        """The level's areas in the language `lang` ("en": English, else German): "Planungsräume"."""
        return self.plural_en if lang == "en" else self.plural_de

    def plural_in_sentence(self, lang: str) -> str:
        """`plural` inside a sentence: "show the planning areas within" (English lower case; German nouns keep
        their capital)."""
        return self.plural_en.lower() if lang == "en" else self.plural_de


def upsert_levels(conn: Connection, levels: list[Level]) -> None:
    """Create or update levels, parents first (ranks descending)."""
    for level in sorted(levels, key=lambda lv: -lv.rank):
        conn.execute(
            sa.text("""
                INSERT INTO area_level (code, name_de, name_en, plural_de, plural_en, rank, parent_code, description,
                                        population_indicator)
                VALUES (:code, :name_de, :name_en, :plural_de, :plural_en, :rank, :parent_code, :description,
                        :population)
                ON CONFLICT (code) DO UPDATE SET name_de = EXCLUDED.name_de, name_en = EXCLUDED.name_en,
                    plural_de = EXCLUDED.plural_de, plural_en = EXCLUDED.plural_en, rank = EXCLUDED.rank,
                    parent_code = EXCLUDED.parent_code, description = EXCLUDED.description,
                    population_indicator = EXCLUDED.population_indicator"""),
            level.__dict__,
        )


def list_levels(conn: Connection) -> list[Level]:
    rows = conn.execute(sa.text(
        "SELECT code, name_de, name_en, plural_de, plural_en, rank, parent_code, description, "
        "population_indicator AS population FROM area_level ORDER BY rank"))
    return [Level(**row._mapping) for row in rows]


def get_level(conn: Connection, code: str) -> Level | None:
    return next((level for level in list_levels(conn) if level.code == code), None)


class UnknownLevel(LookupError):
    """A level code that is not in `area_level`; `available` lists the codes that are."""

    def __init__(self, code: str, available: list[str]):
        super().__init__(f"unknown level {code!r}")
        self.code = code
        self.available = available


def require_level(conn: Connection, code: str) -> Level:
    """The level `code`, or UnknownLevel naming the levels that exist."""
    levels = list_levels(conn)
    found = next((level for level in levels if level.code == code), None)
    if found is None:
        raise UnknownLevel(code, [level.code for level in levels])
    return found


def finest_level(conn: Connection) -> str | None:
    """The finest level of the loaded data: the lowest rank among levels that have areas (a level declared
    without boundaries is skipped), else the lowest rank declared; None without any level. This is the
    default level of every request that names none: no code is written into the service."""
    return conn.execute(sa.text("""
        SELECT code FROM area_level l
        ORDER BY NOT EXISTS (SELECT 1 FROM area a WHERE a.level_code = l.code), rank, code
        LIMIT 1""")).scalar()


def ancestry(levels: dict[str, Level], level: str) -> list[Level]:
    """`level` and its ancestors up to the root of its own hierarchy, finest first. Two hierarchies can share a
    database (the Berlin and the Germany demo): the root is the one `level` leads to, not the highest level of
    the database."""
    chain = [levels[level]]
    while chain[-1].parent_code in levels and all(lv.code != chain[-1].parent_code for lv in chain):
        chain.append(levels[chain[-1].parent_code])
    return chain


def grouping_chain(conn: Connection, level: str) -> list[Level]:
    """`level` and its ancestors up to the level just below its whole territory (Berlin: the Bezirk; a Land's
    data: the Kreis or Regierungsbezirk), finest first: the level by which maps draw outlines and reports group
    areas, found by following the hierarchy of `level` (`ancestry`), not by picking any child of the top."""
    chain = ancestry({lv.code: lv for lv in list_levels(conn)}, level)
    return chain[:-1] if len(chain) > 1 else chain


def grouping_level(conn: Connection, level: str) -> Level | None:
    """The last of `grouping_chain`, when it lies above `level` (None for that level itself and the top)."""
    chain = grouping_chain(conn, level)
    return chain[-1] if len(chain) > 1 else None
