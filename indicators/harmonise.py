"""Harmonised series: values published on older boundary versions estimated for the areas of another version
(issue 15: Berlin's 447 and 448 planning areas onto today's 542).

Areal interpolation with the PySAL `tobler` package: its area table (`_area_tables_binning`, the intersection
area of every source with every target area, sparse) is the one piece of geometry; the weights are built here
because tobler offers area weighting only, and target-density weighting (Schroeder 2007) needs the target's
population inside each intersection:

- `area` (tobler's area weighting): a source area's count goes to the targets in proportion to the area of the
  intersection; assumes people spread evenly over a planning area (parks, rail yards and lakes included).
- `population` (target-density weighting): the population of an intersection piece is estimated as the
  target's population (the register on the target boundaries) times the piece's share of the target's area; a
  source's count goes to its pieces in proportion to these populations. Where a source holds no register
  population the area weights are used.

Counts (extensive) are moved; rates are never averaged: the numerator (rate x denominator) and the
denominator are moved separately and the rate is rebuilt from them. Each estimate carries `share_estimated`,
the part of it that comes from source areas split between targets (0 = a sum of whole source areas, exact).

Confidentiality: inputs are read through `observation_source(False)`, the public view, so an estimate is
derived from public values only; a hidden source cell is a missing input, and a target whose value would
need it gets no value rather than a sum without it (nothing suppressed can be recovered by differencing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.versions import level_valid_at
from indicators.catalogue import population_indicator
from indicators.observation_source import observation_source

METHODS = ("area", "population")
WHOLE = 0.999  # a source area with at least this share of itself inside one target counts as whole there


@dataclass(frozen=True)
class Crosswalk:
    """Weights from the source areas (rows) to the target areas (columns) of two boundary versions."""

    source_keys: pd.Index
    target_keys: pd.Index
    weights: np.ndarray  # dense (n_source, n_target); each row sums to the part of the source inside the targets
    whole: np.ndarray  # bool (n_source, n_target): the source lies (almost) entirely in that target
    method: str


def version_areas(conn: Connection, level: str, at: date):
    """The areas of `level` valid at `at` as a GeoDataFrame (key, id, geometry in the storage CRS)."""
    import geopandas as gpd

    rows = conn.execute(sa.text(f"""
        SELECT a.id, a.key, ST_AsBinary(a.geom) AS wkb, ST_SRID(a.geom) AS srid FROM area a
        WHERE {level_valid_at("a")} ORDER BY a.key"""), {"level": level, "at": at}).all()
    if not rows:
        return gpd.GeoDataFrame({"id": [], "key": []}, geometry=[])
    return gpd.GeoDataFrame({"id": [r.id for r in rows], "key": [r.key for r in rows]},
                            geometry=gpd.GeoSeries.from_wkb([bytes(r.wkb) for r in rows]), crs=rows[0].srid)


def crosswalk(source, target, method: str = "population", target_population: pd.Series | None = None) -> Crosswalk:
    """Weights from `source` to `target` (GeoDataFrames with `key`); `target_population` by target key for the
    population method."""
    from tobler.area_weighted import _area_tables_binning

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; one of {METHODS}")
    pieces = _area_tables_binning(source, target, "auto").toarray()  # m² of source i inside target j
    source_area = source.geometry.area.to_numpy()
    area_weights = pieces / source_area[:, None]
    weights = area_weights
    if method == "population":
        if target_population is None:
            raise ValueError("the population method needs the target areas' population")
        density = (target_population.reindex(target["key"]).fillna(0).to_numpy()
                   / target.geometry.area.to_numpy())
        piece_population = pieces * density[None, :]
        total = piece_population.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            weights = np.where(total[:, None] > 0, piece_population / total[:, None], area_weights)
    whole = area_weights >= WHOLE
    # a source lying whole in one target goes there whole: a weight of exactly 1, not the 0.9999... of two
    # outlines digitised apart (a merged Kreis is the sum of its parts, to the person)
    weights = np.where(whole.any(axis=1)[:, None], whole.astype(float), weights)
    return Crosswalk(pd.Index(source["key"]), pd.Index(target["key"]), weights, whole, method)


def move_counts(walk: Crosswalk, counts: pd.Series) -> pd.DataFrame:
    """Counts by source key -> estimate and share_estimated by target key. A target that receives anything from
    a source without a value gets no estimate (it would be too low, and a difference could reveal the cell)."""
    x = counts.reindex(walk.source_keys).to_numpy(dtype=float)
    missing = np.isnan(x)
    touched_by_missing = (walk.weights[missing] > 1e-9).any(axis=0)
    x0 = np.where(missing, 0.0, x)
    estimate = x0 @ walk.weights
    split = x0 @ np.where(walk.whole, 0.0, walk.weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(estimate > 0, split / estimate, 0.0)
    estimate = np.where(touched_by_missing, np.nan, estimate)
    return pd.DataFrame({"value": estimate, "share_estimated": np.where(touched_by_missing, np.nan, share)},
                        index=walk.target_keys)


def move_rate(walk: Crosswalk, rate: pd.Series, denominator: pd.Series, per: float = 100.0) -> pd.DataFrame:
    """A rate (per `per`) rebuilt on the targets from its moved numerator and denominator."""
    numerator = rate * denominator.reindex(rate.index) / per
    num = move_counts(walk, numerator)
    den = move_counts(walk, denominator.reindex(rate.index))
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(den["value"] > 0, num["value"] / den["value"] * per, np.nan)
    return pd.DataFrame({"value": value, "numerator": num["value"], "denominator": den["value"],
                         "share_estimated": np.fmax(num["share_estimated"], den["share_estimated"])},
                        index=walk.target_keys)


def public_values(conn: Connection, level: str, at: date, codes: list[str], period: date) -> pd.DataFrame:
    """Public values (readers' view) of `codes` at `period` on the boundary version valid at `at`: key x code."""
    rows = conn.execute(sa.text(f"""
        SELECT a.key, o.indicator_code, o.value FROM {observation_source(False)} o JOIN area a ON a.id = o.area_id
        WHERE {level_valid_at("a")} AND o.period = :period AND o.indicator_code = ANY(:codes)"""),
        {"level": level, "at": at, "period": period, "codes": codes}).all()
    frame = pd.DataFrame(rows, columns=["key", "code", "value"])
    return frame.pivot(index="key", columns="code", values="value").reindex(columns=codes)


def denominator_codes(conn: Connection, indicator: str, declared: dict | None = None) -> tuple[str, ...]:
    """The count indicators whose sum is the denominator of a share or rate: as declared (the set-up manifest's
    `harmonise.denominators`, e.g. the age groups 15-65 for an unemployment share), else the indicator's weight
    in the catalogue (`weight_indicator`); () without either. Nothing here knows an indicator code."""
    if declared and declared.get(indicator):
        return tuple(declared[indicator])
    weight = conn.execute(sa.text("SELECT weight_indicator FROM indicator WHERE code = :code"),
                          {"code": indicator}).scalar()
    return (weight,) if weight else ()


# how an estimate's method names a stand-in denominator ("denominator EW instead of A+B"), written and read here
STAND_IN = re.compile(r"denominator (\S+)(?: instead of (\S+))?")


def stand_in_label(used: str, declared: tuple[str, ...]) -> str:
    return f"denominator {used}" + (f" instead of {'+'.join(declared)}" if declared else "")


def stand_in_of(method: str) -> tuple[str, tuple[str, ...]] | None:
    """The stand-in denominator an estimate's method names and the counts it stands in for; None without one."""
    match = STAND_IN.fullmatch(method.partition(", ")[2])
    if match is None:
        return None
    used, declared = match.groups()
    return used, tuple(declared.split("+")) if declared else ()


def indicator_kind(conn: Connection, code: str) -> str:
    return conn.execute(sa.text("SELECT kind FROM indicator WHERE code = :code"), {"code": code}).scalar_one()


def periods_by_version(conn: Connection, level: str, code: str) -> list[tuple[date, date]]:
    """(period, valid_from of the version its public values lie on) for every period of `code` on `level`."""
    return [(p, v) for p, v in conn.execute(sa.text(f"""
        SELECT DISTINCT o.period, a.valid_from FROM {observation_source(False)} o JOIN area a ON a.id = o.area_id
        WHERE a.level_code = :level AND o.indicator_code = :code ORDER BY 1, 2"""), {"level": level, "code": code})]


def nearest_register_period(conn: Connection, level: str, version_from: date, period: date,
                            code: str | None) -> date | None:
    """The period of the count `code` on the boundary version starting `version_from` nearest to `period` (for
    denominators and the target's population); None without values (or without a code)."""
    if code is None:
        return None
    return conn.execute(sa.text(f"""
        SELECT o.period FROM {observation_source(False)} o JOIN area a ON a.id = o.area_id
        WHERE a.level_code = :level AND a.valid_from = :from AND o.indicator_code = :code AND o.value IS NOT NULL
        GROUP BY o.period ORDER BY abs(o.period - CAST(:period AS date)), o.period DESC LIMIT 1"""),
        {"level": level, "from": version_from, "period": period, "code": code}).scalar()


class Harmoniser:
    """`harmonise` for any number of indicators onto one boundary version: the target's areas, its population
    and the crosswalk from each other version are computed once (each crosswalk intersects every source with
    every target area)."""

    def __init__(self, conn: Connection, level: str, target_at: date, method: str = "population",
                 population_period: date | None = None, population: str | None = None,
                 denominators: dict[str, list[str]] | None = None):
        """`population`: the count that weights (default: `population_indicator`); `denominators`: per share or
        rate the counts that sum to its denominator (default: its `weight_indicator`, else `population`)."""
        self.conn, self.level = conn, level
        self.target = version_areas(conn, level, target_at)
        self.target_from = conn.execute(sa.text(f"SELECT min(valid_from) FROM area a WHERE {level_valid_at('a')}"),
                                        {"level": level, "at": target_at}).scalar_one()
        self.population_code = population or population_indicator(conn, level)
        self.denominators = denominators or {}
        self.population = None
        if method == "population":
            code = self.population_code
            when = population_period or nearest_register_period(conn, level, self.target_from, target_at, code)
            self.population = public_values(conn, level, target_at, [code], when)[code] if when else None
            if self.population is None:
                method = "area"
        self.method = method
        self._walks: dict[date, Crosswalk | None] = {}
        self._sources: dict[date, object] = {}
        self._shared: dict[date, set[int]] = {}

    def _source(self, version_from: date):
        if version_from not in self._sources:
            self._sources[version_from] = version_areas(self.conn, self.level, version_from)
        return self._sources[version_from]

    def _shared_ids(self, version_from: date) -> set[int]:
        """Ids of the area rows valid both at `version_from` and on the target: the same territory (a territorial
        change replaces only the areas it touches)."""
        if version_from not in self._shared:
            self._shared[version_from] = set(self._source(version_from)["id"].tolist()) & set(
                self.target["id"].tolist())
        return self._shared[version_from]

    def _walk(self, version_from: date) -> Crosswalk | None:
        """The crosswalk from the areas valid at `version_from` to the target's, over the areas that differ: an
        area row valid on both sides is the same territory, and the others partition what is left, so only they
        are intersected (a territorial change of one Gemeinde intersects two areas, not 11,000 with 11,000)."""
        if version_from not in self._walks:
            source = self._source(version_from)
            shared = self._shared_ids(version_from)
            if len(shared) == len(source):  # nothing of the source differs: nothing to move from it
                self._walks[version_from] = None
                return None
            self._walks[version_from] = crosswalk(source[~source["id"].isin(shared)],
                                                  self.target[~self.target["id"].isin(shared)], self.method,
                                                  self.population)
        return self._walks[version_from]

    def _shared_keys(self, version_from: date) -> pd.Index:
        """Target keys whose area row is also valid at `version_from`: their values there are published on the
        target's boundaries. A territorial change (geo.territorial) replaces only the areas it touches, so a
        level's areas at a date can begin on different days: the unchanged Kreise keep their 2021-01-01 rows
        beside the Wartburgkreis enlarged on 2021-07-01."""
        return pd.Index(self.target.loc[self.target["id"].isin(self._shared_ids(version_from)), "key"])

    def _denominator(self, code: str, version_from: date, period: date) -> tuple[pd.Series | None, str]:
        """The denominator of a share or rate on a source version, by area key, from the register period nearest
        to `period`, and what the estimate's method says about it: "" for the declared one; the stand-in named
        ("denominator <population> instead of <the declared counts>") when those have no values on that version."""
        declared = denominator_codes(self.conn, code, self.denominators)
        choices = [declared] if declared else []
        if self.population_code and (self.population_code,) != declared:
            choices.append((self.population_code,))
        for parts in choices:
            when = nearest_register_period(self.conn, self.level, version_from, period, parts[0])
            if when is not None:
                label = "" if parts == declared else stand_in_label(parts[0], declared)
                return public_values(self.conn, self.level, version_from, list(parts), when).sum(
                    axis=1, min_count=len(parts)), label
        return None, ""

    def series(self, code: str) -> pd.DataFrame:
        """Every period of `code` on the target version: published values where they lie on it (share_estimated
        0, method "published"), estimates from every other version otherwise. Long frame: key, period, value,
        share_estimated, method, source_version."""
        conn, level = self.conn, self.level
        kind = indicator_kind(conn, code)
        out = []
        for period, version_from in periods_by_version(conn, level, code):
            values = public_values(conn, level, version_from, [code], period)[code]
            shared = self._shared_keys(version_from)
            if len(shared):  # hidden and missing cells too: published there, so never estimated from elsewhere
                out.append(pd.DataFrame({"key": shared, "period": period,
                                         "value": values.reindex(shared).to_numpy(dtype=float),
                                         "share_estimated": 0.0, "method": "published",
                                         "source_version": version_from}))
                if len(shared) == len(self.target):
                    continue
            label = ""  # counts are moved as they are; a rate's denominator may be a stand-in
            if kind == "count":
                walk = self._walk(version_from)
                if walk is None:
                    continue
                moved = move_counts(walk, values)
            elif kind in ("share", "rate"):
                denominator, label = self._denominator(code, version_from, period)
                if denominator is None:
                    continue  # no denominator on that version: no estimate rather than an average of rates
                walk = self._walk(version_from)
                if walk is None:
                    continue
                moved = move_rate(walk, values, denominator)
            else:
                continue  # changes are differences on the same boundaries: not interpolated
            method = f"tobler {walk.method}-weighted" + (f", {label}" if label else "")
            moved = moved[~moved.index.isin(shared)]
            out.append(pd.DataFrame({"key": moved.index, "period": period, "value": moved["value"].to_numpy(),
                                     "share_estimated": moved["share_estimated"].to_numpy(),
                                     "method": method, "source_version": version_from}))
        if not out:
            return pd.DataFrame(columns=["key", "period", "value", "share_estimated", "method", "source_version"])
        return pd.concat(out, ignore_index=True)


def harmonise(conn: Connection, code: str, *, level: str, target_at: date, method: str = "population",
              population_period: date | None = None, population: str | None = None,
              denominators: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """Every period of `code` on `level` on the boundary version valid at `target_at` (`Harmoniser.series`)."""
    return Harmoniser(conn, level, target_at, method, population_period, population, denominators).series(code)
