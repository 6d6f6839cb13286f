"""Programme evaluation (e.g. a Quartiersmanagement area): how did each indicator develop inside the programme
compared with the rest of the city and with matched comparison areas of the same starting status?

A programme is a set of areas (any level) or a polygon, and a start date. Evaluation happens on the finest
level: its areas belong to the programme when their representative point (ST_PointOnSurface) lies inside.
For each share/rate indicator with a period at or before the start ("pre") and a later one ("post"):

- group values are population-weighted means (weight: the level's population count, indicators.catalogue.
  population_indicator, of the period nearest to "pre", held fixed for both
  periods so that only the indicator, not the weights, changes), over areas with values in both periods;
- rest of the city: every other area; matched comparison: for each programme area the k areas outside the
  programme with the nearest starting value of the same indicator (nearest-neighbour matching with replacement);
- difference in differences (DiD) = (post - pre) inside minus (post - pre) in the comparison group.

This is descriptive: it does not prove that the programme caused a difference (selection, spill-overs and other
programmes are not controlled). Every result carries that caveat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.aggregation import AggregationInputError, current_version, finest_level
from geo.versions import valid_at
from indicators.catalogue import population_indicator
from indicators.observation_source import observation_source

CAVEAT_DE = ("Deskriptiver Vergleich: Die Differenz der Differenzen zeigt, wie sich das Programmgebiet anders "
             "entwickelt hat als die Vergleichsgebiete. Sie belegt keine Wirkung des Programms (Auswahl der Gebiete, "
             "Ausstrahlung auf Nachbargebiete und andere Programme sind nicht kontrolliert).")
CAVEAT_EN = ("Descriptive comparison: the difference in differences shows how the programme area developed "
             "differently from the comparison areas. It does not prove an effect of the programme (selection of "
             "areas, spill-overs and other programmes are not controlled for).")
MATCHES_PER_AREA = 3
PROGRAMME_ID = r"^[a-z0-9][a-z0-9_-]{0,59}$"
PROGRAMME_POLYGON_LAYER = "programme_areas"


@dataclass(frozen=True)
class ProgrammeDefinition:
    id: str
    name: str
    start_date: date
    level: str | None = None
    area_keys: tuple[str, ...] | None = None
    polygon_layer: str | None = None
    polygon_key: str | None = None


def create_programme(conn: Connection, definition: ProgrammeDefinition, created_by: str,
                     polygon_wkb: bytes | None = None, polygon_srid: int | None = None) -> dict:
    """Store a programme (validated). A polygon given as WKB is stored in the polygon layer 'programme_areas'."""
    if not re.fullmatch(PROGRAMME_ID, definition.id):
        raise AggregationInputError(f"programme id {definition.id!r} is not allowed: use a-z, 0-9, _ and -", "id")
    if not definition.name.strip():
        raise AggregationInputError("the programme needs a name", "name")
    if conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM programme WHERE id = :id)"), {"id": definition.id}).scalar():
        raise AggregationInputError(f"programme {definition.id!r} exists already", "id", status=409)
    polygon_layer, polygon_key = definition.polygon_layer, definition.polygon_key
    if polygon_wkb is not None:
        polygon_layer, polygon_key = PROGRAMME_POLYGON_LAYER, definition.id
        conn.execute(sa.text("""
            INSERT INTO polygon_layer (code, name_de, name_en) VALUES (:l, 'Programmgebiete', 'Programme areas')
            ON CONFLICT (code) DO NOTHING"""), {"l": polygon_layer})
        conn.execute(sa.text("""
            INSERT INTO polygon_feature (layer_code, key, name, geom)
            VALUES (:l, :k, :name, ST_Multi(ST_SetSRID(ST_GeomFromWKB(:wkb), :srid)))
            ON CONFLICT (layer_code, key) DO UPDATE SET geom = EXCLUDED.geom, name = EXCLUDED.name"""),
            {"l": polygon_layer, "k": polygon_key, "name": definition.name, "wkb": polygon_wkb, "srid": polygon_srid})
    elif definition.area_keys:
        level = definition.level or finest_level(conn)
        at = current_version(conn, level)
        known = {r[0] for r in conn.execute(sa.text(f"""
            SELECT key FROM area WHERE level_code = :level AND key = ANY(:keys)
              AND {valid_at(None, ":at")}"""),
            {"level": level, "keys": list(definition.area_keys), "at": at})}
        unknown = [k for k in definition.area_keys if k not in known]
        if unknown:
            raise AggregationInputError(f"unknown area keys on level {level!r}: {unknown[:10]}", "area_keys")
        definition = ProgrammeDefinition(definition.id, definition.name, definition.start_date, level,
                                         tuple(definition.area_keys))
    elif polygon_layer and polygon_key:
        if not conn.execute(sa.text("""SELECT EXISTS (SELECT 1 FROM polygon_feature
                                       WHERE layer_code = :l AND key = :k)"""),
                            {"l": polygon_layer, "k": polygon_key}).scalar():
            raise AggregationInputError(f"no feature {polygon_key!r} in polygon layer {polygon_layer!r}",
                                        "polygon_key", status=404)
    else:
        raise AggregationInputError("define the programme by area_keys (with level) or by a polygon", "area_keys")
    conn.execute(sa.text("""
        INSERT INTO programme (id, name, start_date, level_code, area_keys, polygon_layer, polygon_key, created_by)
        VALUES (:id, :name, :start, :level, :keys, :pl, :pk, :by)"""),
        {"id": definition.id, "name": definition.name, "start": definition.start_date,
         "level": definition.level if definition.area_keys else None,
         "keys": list(definition.area_keys) if definition.area_keys else None,
         "pl": polygon_layer if not definition.area_keys else None,
         "pk": polygon_key if not definition.area_keys else None, "by": created_by})
    return get_programme(conn, definition.id)


PROGRAMME_COLUMNS = ("id, name, start_date, level_code AS level, area_keys, polygon_layer, polygon_key, created_by, "
                     "created_at, responsible_office, end_date, budget_eur::float8 AS budget_eur, indicators")


def get_programme(conn: Connection, programme_id: str) -> dict:
    row = conn.execute(sa.text(f"SELECT {PROGRAMME_COLUMNS} FROM programme WHERE id = :id"),
                       {"id": programme_id}).mappings().one_or_none()
    if row is None:
        raise AggregationInputError(f"no programme {programme_id!r}", "id", status=404)
    return dict(row)


def list_programmes(conn: Connection) -> list[dict]:
    rows = conn.execute(sa.text(f"SELECT {PROGRAMME_COLUMNS} FROM programme ORDER BY id"))
    return [dict(r._mapping) for r in rows]


def update_register(conn: Connection, programme_id: str, *, responsible_office: str | None, end_date: date | None,
                    budget_eur: float | None, indicators: list[str]) -> dict:
    """The register fields of a programme as a measure: responsible office, end (not before the start), budget,
    the indicators it targets (each must exist)."""
    programme = get_programme(conn, programme_id)
    if end_date is not None and end_date < programme["start_date"]:
        raise AggregationInputError(f"end_date {end_date} lies before start_date {programme['start_date']}: the dates "
                                    "are reversed", "end_date", status=422,
                                    detail_de="Das Ende liegt vor dem Beginn: die Daten sind vertauscht.")
    if budget_eur is not None and budget_eur < 0:
        raise AggregationInputError("budget_eur must not be negative", "budget_eur", status=422)
    known = {r[0] for r in conn.execute(sa.text("SELECT code FROM indicator WHERE code = ANY(:codes)"),
                                        {"codes": indicators})}
    unknown = [code for code in indicators if code not in known]
    if unknown:
        raise AggregationInputError(f"unknown indicators: {unknown}", "indicators", status=422)
    conn.execute(sa.text("""
        UPDATE programme SET responsible_office = :office, end_date = :end, budget_eur = :budget, indicators = :codes
        WHERE id = :id"""), {"office": responsible_office, "end": end_date, "budget": budget_eur,
                             "codes": indicators, "id": programme_id})
    return get_programme(conn, programme_id)


def programme_areas(conn: Connection, programme: dict, level: str, at: date) -> list[int]:
    """Ids of the areas of `level` whose representative point lies inside the programme's areas or polygon."""
    if programme["area_keys"]:
        sql = f"""
            WITH p AS (SELECT ST_Union(geom) AS geom FROM area WHERE level_code = :plevel AND key = ANY(:keys)
                         AND {valid_at(None, ":pat")})"""
        params = {"plevel": programme["level"], "keys": programme["area_keys"],
                  "pat": current_version(conn, programme["level"])}
    else:
        sql = "WITH p AS (SELECT geom FROM polygon_feature WHERE layer_code = :pl AND key = :pk)"
        params = {"pl": programme["polygon_layer"], "pk": programme["polygon_key"]}
    rows = conn.execute(sa.text(sql + f"""
        SELECT a.id FROM area a, p
        WHERE a.level_code = :level AND {valid_at("a", ":at")}
          AND ST_Intersects(p.geom, ST_PointOnSurface(a.geom))
        ORDER BY a.key"""), params | {"level": level, "at": at})
    return [r[0] for r in rows]


def evaluate_programme(conn: Connection, programme_id: str, unsuppressed: bool = False,
                       matches: int = MATCHES_PER_AREA) -> dict:
    """The difference-in-differences table of a stored programme (see the module docstring for the method)."""
    programme = get_programme(conn, programme_id)
    level = finest_level(conn)
    at = current_version(conn, level)
    inside = programme_areas(conn, programme, level, at)
    if not inside:
        raise AggregationInputError(f"programme {programme_id!r} contains no area of level {level!r}", "id",
                                    status=422)
    population = population_indicator(conn, level)  # the weights of the group values
    values = pd.DataFrame(conn.execute(sa.text(f"""
        SELECT o.indicator_code, o.period, o.area_id, o.value, i.name_de, i.name_en, i.unit, i.direction
        FROM {observation_source(unsuppressed)} o
        JOIN indicator i ON i.code = o.indicator_code AND (i.kind IN ('share', 'rate') OR i.code = :pop)
        JOIN area a ON a.id = o.area_id AND a.level_code = :level
             AND {valid_at("a", ":at")}"""),
        {"level": level, "at": at, "pop": population}).mappings().all())
    rows = []
    skipped = []
    start = programme["start_date"]
    for code, series in values.groupby("indicator_code", sort=True) if not values.empty else []:
        if code == population:
            continue
        periods = sorted(series["period"].unique())
        pre = [p for p in periods if p <= start]
        post = [p for p in periods if p > start]
        if not pre or not post:
            skipped.append({"indicator": code, "reason": f"needs a period at or before {start} and one after it; "
                                                         f"has {[p.isoformat() for p in periods]}"})
            continue
        rows.append(_did(code, series, values, pre[-1], post[-1], set(inside), matches, population))
    return {
        "programme": programme | {"start_date": start.isoformat()},
        "level": level, "boundary_version": at.isoformat(), "areas_inside": len(inside),
        "method": {
            "group_value": f"population-weighted mean ({population} of the period nearest to 'pre', fixed for both "
                           "periods) over areas with values in both periods",
            "rest": "all other areas of the level",
            "matched": f"for each programme area the {matches} areas outside with the nearest starting value of the "
                       "same indicator (nearest neighbours, with replacement)",
            "did": "(post - pre) inside minus (post - pre) in the comparison group",
        },
        "caveat_de": CAVEAT_DE, "caveat_en": CAVEAT_EN,
        "indicators": rows, "skipped": skipped,
    }


def _did(code: str, series: pd.DataFrame, values: pd.DataFrame, pre: date, post: date, inside: set[int],
         matches: int, population_code: str | None) -> dict:
    wide = series.pivot_table(index="area_id", columns="period", values="value")
    panel = wide[[pre, post]].dropna()
    population = values[values["indicator_code"] == population_code]
    weight_period = (min(population["period"].unique(), key=lambda p: (abs((p - pre).days), -p.toordinal()))
                     if not population.empty else None)
    weights = (population[population["period"] == weight_period].set_index("area_id")["value"]
               if weight_period is not None else pd.Series(dtype=float))
    panel = panel.assign(weight=weights.reindex(panel.index).fillna(0.0))
    panel = panel[panel["weight"] > 0]
    treated = panel[panel.index.isin(inside)]
    rest = panel[~panel.index.isin(inside)]
    matched_ids: list[int] = []
    for _area, row in treated.iterrows():
        distance = (rest[pre] - row[pre]).abs().sort_values(kind="stable")
        matched_ids.extend(distance.index[:matches])
    matched = rest.loc[matched_ids]  # with replacement: an area matched twice counts twice

    def group(frame: pd.DataFrame) -> dict:
        if frame.empty:
            return {"areas": 0, "pre": None, "post": None, "change": None}
        before = float(np.average(frame[pre], weights=frame["weight"]))
        after = float(np.average(frame[post], weights=frame["weight"]))
        return {"areas": int(frame.index.nunique()), "pre": before, "post": after, "change": after - before}

    inside_g, rest_g, matched_g = group(treated), group(rest), group(matched)
    meta = series.iloc[0]

    def did(other: dict) -> float | None:
        if inside_g["change"] is None or other["change"] is None:
            return None
        return inside_g["change"] - other["change"]

    return {"indicator": code, "name_de": meta["name_de"], "name_en": meta["name_en"], "unit": meta["unit"],
            "direction": meta["direction"], "pre_period": pre.isoformat(), "post_period": post.isoformat(),
            "weight_period": weight_period.isoformat() if weight_period else None,
            "programme": inside_g, "rest": rest_g, "matched": matched_g,
            "did_rest": did(rest_g), "did_matched": did(matched_g)}


EVALUATION_CSV_FIELDS = ["indicator", "name_de", "unit", "pre_period", "post_period", "programme_areas",
                         "programme_pre", "programme_post", "programme_change", "rest_areas", "rest_pre", "rest_post",
                         "rest_change", "matched_areas", "matched_pre", "matched_post", "matched_change", "did_rest",
                         "did_matched"]


def evaluation_rows(result: dict) -> list[dict]:
    """The evaluation as flat rows (for CSV)."""
    rows = []
    for item in result["indicators"]:
        row = {k: item[k] for k in ("indicator", "name_de", "unit", "pre_period", "post_period", "did_rest",
                                    "did_matched")}
        for group in ("programme", "rest", "matched"):
            row[f"{group}_areas"] = item[group]["areas"]
            for part in ("pre", "post", "change"):
                row[f"{group}_{part}"] = item[group][part]
        rows.append(row)
    return rows
