"""Goals per indicator and area (Berlin's district-region profiles, part two): a base value and year, a target
value and year, a direction, and the progress computed from the published data. A target for an indicator
without data in that area is refused: progress could never be shown. No HTTP, no rendering here.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from indicators.observation_source import observation_source

DIRECTIONS = {"decrease": ("senken", "decrease"), "increase": ("erhöhen", "increase")}
COLUMNS = ("t.id, t.indicator_code AS indicator, i.name_de, i.name_en, i.unit, t.level_code AS level, t.area_key, "
           "t.base_value, t.base_year, t.target_value, t.target_year, t.direction, t.created_by, t.created_at")


class TargetError(ValueError):
    def __init__(self, message: str, field: str, de: str, status: int = 422):
        super().__init__(message)
        self.field = field
        self.de = de
        self.status = status


def _series(conn: Connection, indicator: str, level: str, area_key: str) -> list[tuple]:
    """(period, value) of the area's published values, oldest first."""
    return [tuple(r) for r in conn.execute(sa.text(f"""
        SELECT o.period, o.value FROM {observation_source(False)} o
        JOIN area a ON a.id = o.area_id AND a.level_code = :level AND a.key = :key
        WHERE o.indicator_code = :indicator AND o.value IS NOT NULL
        ORDER BY o.period"""), {"indicator": indicator, "level": level, "key": area_key})]


def create_target(conn: Connection, *, indicator: str, level: str, area_key: str, base_value: float, base_year: int,
                  target_value: float, target_year: int, direction: str, created_by: str) -> dict:
    if direction not in DIRECTIONS:
        raise TargetError("direction must be 'decrease' or 'increase'", "direction", "Richtung: senken oder erhöhen.")
    if target_year <= base_year:
        raise TargetError("target_year must lie after base_year", "target_year",
                          "Das Zieljahr muss nach dem Basisjahr liegen.")
    if (direction == "decrease") != (target_value < base_value):
        raise TargetError(f"a target to {direction} must be {'below' if direction == 'decrease' else 'above'} the "
                          "base value", "target_value",
                          f"Ein Ziel zum {DIRECTIONS[direction][0]} muss {'unter' if direction == 'decrease' else 'über'} "
                          "dem Basiswert liegen.")
    if not _series(conn, indicator, level, area_key):
        raise TargetError(f"indicator {indicator!r} has no published data for area {area_key!r} on level {level!r}: "
                          "progress toward a target could never be shown", "indicator",
                          f"Für den Indikator {indicator} liegen im Gebiet {area_key} keine veröffentlichten Daten vor; "
                          "ein Ziel ließe sich nie verfolgen.")
    target_id = conn.execute(sa.text("""
        INSERT INTO target (indicator_code, level_code, area_key, base_value, base_year, target_value, target_year,
                            direction, created_by)
        VALUES (:indicator, :level, :key, :base, :base_year, :target, :target_year, :direction, :by) RETURNING id"""),
        {"indicator": indicator, "level": level, "key": area_key, "base": base_value, "base_year": base_year,
         "target": target_value, "target_year": target_year, "direction": direction, "by": created_by}).scalar_one()
    return next(t for t in list_targets(conn, level, [area_key]) if t["id"] == target_id)


def list_targets(conn: Connection, level: str | None = None, area_keys: list[str] | None = None) -> list[dict]:
    """Targets with their progress: the latest published value, and the share of the way from the base value to
    the target value covered so far (1 = reached; negative = moved away)."""
    rows = conn.execute(sa.text(f"""
        SELECT {COLUMNS} FROM target t JOIN indicator i ON i.code = t.indicator_code
        WHERE (CAST(:level AS text) IS NULL OR t.level_code = :level)
          AND (CAST(:keys AS text[]) IS NULL OR t.area_key = ANY(:keys))
        ORDER BY t.area_key, t.indicator_code, t.target_year"""), {"level": level, "keys": area_keys}).mappings()
    found = []
    for row in rows:
        target = dict(row)
        series = _series(conn, target["indicator"], target["level"], target["area_key"])
        latest = series[-1] if series else None
        progress = None
        if latest is not None and target["target_value"] != target["base_value"]:
            progress = (float(latest[1]) - target["base_value"]) / (target["target_value"] - target["base_value"])
        target |= {"latest_period": latest[0] if latest else None, "latest_value": float(latest[1]) if latest else None,
                   "progress": None if progress is None else round(progress, 3),
                   "reached": progress is not None and progress >= 1,
                   "direction_de": DIRECTIONS[target["direction"]][0]}
        found.append(target)
    return found
