"""Published MSS editions against the service's own computation (issue 15): per edition, the class counts of
the status and dynamics index as published and as reproduced by the stored index runs, and the areas whose
class differs. And an index's previous edition carried onto its areas (`previous_edition_classes`), for the
report's changes since then.

The published classes of MSS 2013-2019 are columns of the published tables (data/demo/berlin/history/
mss_index_plr_2013_2019.csv: `status_index` 1-4, `dynamik_index` + / +/- / -); MSS 2021 publishes them in
its report only as counts (docs/indices.md), so that edition is compared by counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from indicators.harmonise import crosswalk, version_areas
from indicators.index_definitions import get_definition
from indicators.index_results import list_index_periods, results
from indicators.values import boundary_date_for
from indicators.version_memo import per_data_version

# edition -> (data date, status index id, dynamics index id)
EDITIONS = {
    "MSS2013": ("2012-12-31", "mss_2013_status", "mss_2013_dynamics"),
    "MSS2015": ("2014-12-31", "mss_2015_status", "mss_2015_dynamics"),
    "MSS2017": ("2016-12-31", "mss_2017_status", "mss_2017_dynamics"),
    "MSS2019": ("2018-12-31", "mss_2019_status", "mss_2019_dynamics"),
    "MSS2021": ("2020-12-31", "mss_2021_status", "mss_2021_dynamics"),
}
# MSS 2021 report (Tabelle 3/4): status hoch, mittel, niedrig, sehr niedrig; dynamics positiv, stabil, negativ
PUBLISHED_2021_COUNTS = {"status": {"1": 75, "2": 366, "3": 46, "4": 49}, "dynamics": {"+": 48, "+/-": 436, "-": 52}}


@dataclass(frozen=True)
class EditionComparison:
    edition: str
    kind: str  # status | dynamics
    published: dict[str, int]
    reproduced: dict[str, int]
    differing: int | None  # areas whose class differs (None: the edition publishes counts only)
    compared: int  # areas with a class in either


def stored_classes(conn: Connection, index_id: str, period: str, level: str = "plr") -> pd.Series:
    """Class per area key of the latest run of `index_id` for (level, period); empty when there is none."""
    rows = conn.execute(sa.text("""
        WITH run AS (SELECT id FROM index_run WHERE index_id = :index AND level_code = :level AND period = :period
                     ORDER BY greatest(computed_at, confirmed_at) DESC, id DESC LIMIT 1)
        SELECT a.key, r.class FROM index_result r JOIN run ON run.id = r.run_id JOIN area a ON a.id = r.area_id
        WHERE r.class IS NOT NULL"""), {"index": index_id, "level": level, "period": period}).all()
    return pd.Series({key: cls for key, cls in rows}, dtype=object)


def published_classes(path: Path) -> pd.DataFrame:
    """edition, key, status ("1".."4"), dynamics ("+", "+/-", "-") of the assessed areas of MSS 2013-2019."""
    table = pd.read_csv(path, dtype={"PLR_ID": str, "status_index": str, "dynamik_index": str})
    table = table[table["status_index"].notna()]
    return pd.DataFrame({"edition": table["edition"], "key": table["PLR_ID"],
                         "status": table["status_index"].str.replace(".0", "", regex=False),
                         "dynamics": table["dynamik_index"]})


def _counts(classes: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in sorted(classes.value_counts().items())}


def compare_editions(conn: Connection, published_path: Path) -> list[EditionComparison]:
    published = published_classes(published_path)
    out = []
    for edition, (period, status_id, dynamics_id) in EDITIONS.items():
        for kind, index_id in (("status", status_id), ("dynamics", dynamics_id)):
            reproduced = stored_classes(conn, index_id, period)
            if edition == "MSS2021":
                out.append(EditionComparison(edition, kind, PUBLISHED_2021_COUNTS[kind], _counts(reproduced), None,
                                             len(reproduced)))
                continue
            theirs = published[published["edition"] == edition].set_index("key")[kind]
            both = pd.concat({"published": theirs, "reproduced": reproduced}, axis=1)
            differing = int((both["published"].fillna("") != both["reproduced"].fillna("")).sum())
            out.append(EditionComparison(edition, kind, _counts(theirs), _counts(reproduced), differing, len(both)))
    return out


MIN_SHARE_SHOWN = 0.05  # an earlier area covering less than this share of the area is left out of its profile


def edition_classes_for_area(conn: Connection, area_id: int) -> list[dict]:
    """The Gesamtindex class of every published edition for one area, also across boundary reforms: for each
    combination index run of the area's level (latest run per index and period), the areas of that run's
    boundary version that cover at least 5 % of this area, with the share covered (1.0: the same area).
    Classes of published indices are what readers see on the maps too; nothing else is read."""
    rows = conn.execute(sa.text(f"""
        WITH me AS (SELECT id, level_code, geom, area_m2 FROM area WHERE id = :id),
        runs AS (
            SELECT DISTINCT ON (ir.index_id, ir.period) ir.id, ir.index_id, ir.period, d.name_de
            FROM index_run ir JOIN index_definition d ON d.id = ir.index_id AND d.published
                 AND d.method = 'combination'
            WHERE ir.level_code = (SELECT level_code FROM me)
            ORDER BY ir.index_id, ir.period, greatest(ir.computed_at, ir.confirmed_at) DESC, ir.id DESC)
        SELECT runs.index_id, runs.name_de, runs.period, a.key, a.name, a.valid_from, r.class, r.attention,
               r.participating, r.reason, least(1.0, ST_Area(ST_Intersection(a.geom, me.geom)) / me.area_m2) AS share
        FROM runs JOIN index_result r ON r.run_id = runs.id JOIN area a ON a.id = r.area_id CROSS JOIN me
        WHERE a.geom && me.geom AND ST_Intersects(a.geom, me.geom)
          AND ST_Area(ST_Intersection(a.geom, me.geom)) >= {MIN_SHARE_SHOWN} * me.area_m2
        ORDER BY runs.period DESC, share DESC"""), {"id": area_id}).all()
    return [dict(r._mapping) for r in rows]


@dataclass(frozen=True)
class PreviousEdition:
    """The classes of an index's previous edition (its definition's `previous_edition`) per area of this
    edition: `by_key` maps each area key of this edition's boundaries to the class, labels and attention of the
    area of the previous edition that covers the largest part of it (`share`: that part; 1.0 on unchanged
    boundaries). `across_boundaries`: the two editions lie on different boundary versions."""

    index_id: str
    name_de: str
    name_en: str
    period: date
    across_boundaries: bool
    by_key: dict[str, dict]


def previous_edition_classes(conn: Connection, index_id: str, level: str, period: date) -> PreviousEdition | None:
    """The previous edition of `index_id` at its latest period before `period` on `level`, its classes carried
    onto this edition's areas; None when the definition names none or it has no results there. Across a
    boundary reform an area's predecessor is the one covering most of it (areal overlay with tobler, as the
    harmonised series use): a split area keeps its predecessor's class, of merged ones the larger part wins."""
    stored = get_definition(conn, index_id)
    previous_id = stored.definition.previous_edition if stored is not None else None
    previous = get_definition(conn, previous_id) if previous_id else None
    if previous is None or not previous.published:
        return None
    then = max((p for p in list_index_periods(conn, previous_id, level) if p < period), default=None)
    if then is None:
        return None
    before = {row["key"]: row for row in results(conn, previous_id, level, then)}
    now_at, then_at = boundary_date_for(conn, level, period), boundary_date_for(conn, level, then)
    if now_at == then_at:  # the same areas: each keeps its own (looked up by this edition's keys)
        carried = {key: {**row, "share": 1.0} for key, row in before.items()}
    else:
        predecessors = per_data_version(conn, ("main predecessors", level, now_at, then_at),
                                        lambda: main_predecessors(conn, level, now_at, then_at))
        carried = {key: {**before[former], "share": share} for key, (former, share) in predecessors.items()
                   if former in before}
    return PreviousEdition(index_id=previous_id, name_de=previous.name_de, name_en=previous.name_en,
                           period=then, across_boundaries=now_at != then_at, by_key=carried)


def main_predecessors(conn: Connection, level: str, now_at: date, then_at: date) -> dict[str, tuple[str, float]]:
    """Per area key of the boundary version valid at `now_at`: the key of the area of the version valid at
    `then_at` that covers the largest part of it, and that part (areal overlay with tobler's area table, as the
    harmonised series use). Areas without any overlap are left out."""
    current, former = version_areas(conn, level, now_at), version_areas(conn, level, then_at)
    if current.empty or former.empty:
        return {}
    walk = crosswalk(current, former, method="area")  # weights[i, j]: the part of current i inside former j
    best = walk.weights.argmax(axis=1)
    shares = walk.weights[np.arange(len(best)), best]
    return {key: (walk.target_keys[j], round(float(share), 3))
            for key, j, share in zip(walk.source_keys, best, shares) if share > 0}
