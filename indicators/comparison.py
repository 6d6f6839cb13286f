"""Comparing an area within groups of areas of its level: its ancestors' territories (the Planungsräume of its
Bezirk, the Gemeinden of its Kreis and of its Land) and comparison groups (stored in `comparison_group`): a named
list of areas chosen by the municipality, such as a comparison ring of towns of similar size, or the areas of the
level of the same type as the profiled one, by an attribute of the boundary file (`same_attribute`; VG5000's
BEZ: "Kreisfreie Stadt", "Landkreis", "Stadt", "Markt").

For every indicator and period with a public value of the area: its rank in the group (1 = highest value), the
number of ranked areas `n` and the group's median. The ranked set is the group's areas with a value plus the
area itself; missing and confidential values take no rank and do not enter the median (everything is read
through `observation_source`, so a reader's ranks and medians come from public cells only). An ancestor's own
value (its roll-up) is what the profile shows beside it; the median is of the group's areas, not a roll-up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.levels import require_level
from geo.versions import valid_at
from indicators.observation_source import observation_source

GROUP_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,59}$"
MAX_GROUP_AREAS = 20_000


class ComparisonError(ValueError):
    """A comparison group that cannot be stored or found (German text in `de`)."""

    def __init__(self, message: str, field: str, de: str, status: int = 422, **extra):
        super().__init__(message)
        self.field = field
        self.de = de
        self.status = status
        self.extra = extra


@dataclass(frozen=True)
class ComparisonGroup:
    id: str
    level: str
    name_de: str
    name_en: str | None
    area_keys: tuple[str, ...] | None
    same_attribute: str | None
    created_by: str
    updated_at: datetime

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_de

    def as_dict(self) -> dict:
        return {"id": self.id, "level": self.level, "name_de": self.name_de, "name_en": self.name_en,
                "area_keys": None if self.area_keys is None else list(self.area_keys),
                "same_attribute": self.same_attribute, "created_by": self.created_by, "updated_at": self.updated_at}


_COLUMNS = "id, level_code, name_de, name_en, area_keys, same_attribute, created_by, updated_at"


def _group(row) -> ComparisonGroup:
    return ComparisonGroup(row.id, row.level_code, row.name_de, row.name_en,
                           None if row.area_keys is None else tuple(row.area_keys), row.same_attribute,
                           row.created_by, row.updated_at)


def list_groups(conn: Connection, level: str | None = None) -> list[ComparisonGroup]:
    rows = conn.execute(sa.text(f"""
        SELECT {_COLUMNS} FROM comparison_group WHERE CAST(:level AS text) IS NULL OR level_code = :level
        ORDER BY level_code, name_de, id"""), {"level": level})
    return [_group(row) for row in rows]


def find_group(conn: Connection, group_id: str) -> ComparisonGroup | None:
    row = conn.execute(sa.text(f"SELECT {_COLUMNS} FROM comparison_group WHERE id = :id"), {"id": group_id}).first()
    return None if row is None else _group(row)


def get_group(conn: Connection, group_id: str) -> ComparisonGroup:
    """The group `group_id`, or ComparisonError (404) naming the groups that exist."""
    group = find_group(conn, group_id)
    if group is None:
        known = [group.id for group in list_groups(conn)]
        raise ComparisonError(f"there is no comparison group {group_id!r}", "group",
                              f"Die Vergleichsgruppe „{group_id}“ gibt es nicht.", status=404, available=known)
    return group


def comparison_group_for(conn: Connection, group_id: str, level: str) -> ComparisonGroup:
    """The group `group_id`, which must be a group of `level` (else ComparisonError naming the groups that are)."""
    group = get_group(conn, group_id)
    if group.level != level:
        fitting = [g.id for g in list_groups(conn, level)]
        raise ComparisonError(f"comparison group {group_id!r} holds areas of level {group.level!r}, not {level!r}",
                              "group", f"Die Vergleichsgruppe „{group_id}“ enthält Gebiete der Ebene „{group.level}“, "
                              f"nicht „{level}“", status=400, available=fitting)
    return group


def save_group(conn: Connection, group_id: str, level: str, name_de: str, name_en: str | None,
               area_keys: Sequence[str] | None, created_by: str, same_attribute: str | None = None) -> ComparisonGroup:
    """Create or replace a group, in the caller's transaction: either `area_keys` (every key must name an area of
    the level valid today; a key given twice or fewer than two areas are refused, with the keys concerned) or
    `same_attribute` (an attribute that areas of the level carry)."""
    if not re.match(GROUP_ID_PATTERN, group_id):
        raise ComparisonError(f"group id {group_id!r}: use 1-60 lower-case letters, digits, '-' or '_'", "id",
                              f"Kennung „{group_id}“: 1-60 Kleinbuchstaben, Ziffern, „-“ oder „_“ verwenden")
    require_level(conn, level)
    if (area_keys is None) == (same_attribute is None):
        raise ComparisonError("give either area_keys or same_attribute", "area_keys",
                              "entweder area_keys oder same_attribute angeben")
    if same_attribute is not None:
        return _store(conn, group_id, level, name_de, name_en, None, same_attribute, created_by)
    keys = [key.strip() for key in area_keys]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ComparisonError(f"keys given more than once: {', '.join(repeated)}", "area_keys",
                              f"mehrfach angegebene Schlüssel: {', '.join(repeated)}", keys=repeated)
    if not 2 <= len(keys) <= MAX_GROUP_AREAS:
        raise ComparisonError(f"a comparison group has 2 to {MAX_GROUP_AREAS:,} areas, not {len(keys)}", "area_keys",
                              f"Eine Vergleichsgruppe hat 2 bis {MAX_GROUP_AREAS:,} Gebiete, nicht {len(keys)}")
    known = set(conn.execute(sa.text(f"""
        SELECT a.key FROM area a WHERE a.level_code = :level AND a.key = ANY(:keys)
          AND {valid_at("a", "CURRENT_DATE")}"""), {"level": level, "keys": keys}).scalars())
    unknown = [key for key in keys if key not in known]
    if unknown:
        shown = ", ".join(unknown[:20]) + (" …" if len(unknown) > 20 else "")
        raise ComparisonError(f"{len(unknown)} keys name no current area of level {level!r}: {shown}; use the "
                              f"keys of /collections/{level}/items", "area_keys",
                              f"{len(unknown)} Schlüssel bezeichnen kein aktuelles Gebiet der Ebene „{level}“: "
                              f"{shown}", keys=unknown[:100])
    return _store(conn, group_id, level, name_de, name_en, keys, None, created_by)


def _store(conn: Connection, group_id: str, level: str, name_de: str, name_en: str | None, keys: list[str] | None,
           same_attribute: str | None, created_by: str) -> ComparisonGroup:
    if same_attribute is not None:
        carried = conn.execute(sa.text("""
            SELECT count(*) FROM area WHERE level_code = :level AND attributes ? :attribute"""),
            {"level": level, "attribute": same_attribute}).scalar_one()
        if not carried:
            known = sorted(conn.execute(sa.text("""
                SELECT DISTINCT jsonb_object_keys(attributes) FROM area
                WHERE level_code = :level AND jsonb_typeof(attributes) = 'object'"""), {"level": level}).scalars())
            raise ComparisonError(f"no area of level {level!r} carries the attribute {same_attribute!r}; the "
                                  f"boundary files gave {', '.join(known) or 'none'}", "same_attribute",
                                  f"kein Gebiet der Ebene „{level}“ hat das Merkmal „{same_attribute}“",
                                  available=known)
    row = conn.execute(sa.text(f"""
        INSERT INTO comparison_group (id, level_code, name_de, name_en, area_keys, same_attribute, created_by)
        VALUES (:id, :level, :name_de, :name_en, :keys, :same, :by)
        ON CONFLICT (id) DO UPDATE SET level_code = EXCLUDED.level_code, name_de = EXCLUDED.name_de,
            name_en = EXCLUDED.name_en, area_keys = EXCLUDED.area_keys, same_attribute = EXCLUDED.same_attribute,
            created_by = EXCLUDED.created_by, updated_at = now()
        RETURNING {_COLUMNS}"""), {"id": group_id, "level": level, "name_de": name_de, "name_en": name_en,
                                   "keys": keys, "same": same_attribute, "by": created_by}).one()
    return _group(row)


def delete_group(conn: Connection, group_id: str) -> ComparisonGroup:
    group = get_group(conn, group_id)
    conn.execute(sa.text("DELETE FROM comparison_group WHERE id = :id"), {"id": group_id})
    return group


GroupStanding = dict[tuple[str, date], dict]


def standing_within(conn: Connection, area: dict, ancestors: Sequence[dict], group: ComparisonGroup | None,
                    unsuppressed: bool = False) -> dict[str, GroupStanding]:
    """Rank, n and median of the area's values within each ancestor's territory (label `level:key`: the areas
    of the area's level below that ancestor, on the area's boundary version) and within `group` (label
    `group`). One query for all groups; rows only where the area has a value."""
    if not ancestors and group is None:
        return {}
    source = observation_source(unsuppressed)
    members = []
    if ancestors:
        members.append("SELECT d.label, d.id FROM down d WHERE d.level_code = :level")
    if group is not None:
        chosen = ("a.key = ANY(:keys)" if group.same_attribute is None else
                  "a.attributes ->> :attribute = (SELECT o.attributes ->> :attribute FROM area o"
                  " WHERE o.id = :area_id)")
        members.append(f"""
            SELECT 'group', a.id FROM area a WHERE a.level_code = :level AND {chosen}
              AND {valid_at("a", ":at")}
            UNION SELECT 'group', CAST(:area_id AS bigint)""")
    rows = conn.execute(sa.text(f"""
        WITH RECURSIVE down (label, id, key, level_code) AS (
            SELECT a.level_code || ':' || a.key, a.id, a.key, a.level_code FROM area a WHERE a.id = ANY(:ancestors)
            UNION ALL
            SELECT d.label, c.id, c.key, c.level_code FROM down d
            JOIN area_level l ON l.parent_code = d.level_code
            JOIN area c ON c.level_code = l.code AND c.parent_key = d.key AND {valid_at("c", ":at")}
        ), members (label, id) AS ({" UNION ALL ".join(members)}),
        own AS (SELECT o.indicator_code, o.period, o.value FROM {source} o
                WHERE o.area_id = :area_id AND o.value IS NOT NULL)
        SELECT m.label, own.indicator_code, own.period,
               1 + count(*) FILTER (WHERE v.value > own.value) AS rank, count(*) AS n,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY v.value) AS median
        FROM own
        JOIN {source} v ON v.indicator_code = own.indicator_code AND v.period = own.period AND v.value IS NOT NULL
        JOIN members m ON m.id = v.area_id
        GROUP BY m.label, own.indicator_code, own.period"""),
        {"ancestors": [a["id"] for a in ancestors], "at": area["valid_from"], "level": area["level_code"],
         "area_id": area["id"], "keys": list(group.area_keys or ()) if group else [],
         "attribute": group.same_attribute if group else None})
    found: dict[str, GroupStanding] = {}
    for label, indicator, period, rank, n, median in rows:
        found.setdefault(label, {})[(indicator, period)] = {"rank": rank, "n": n, "median": median}
    return found
