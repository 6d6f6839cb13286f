"""What the feature, tile and download routes share: a collection (area level) resolved for one request.

Metadata (levels, periods, boundary dates, counts, property lists) is memoised until data_version changes
(`service.caching.VersionedCache`), so a request whose metadata is known runs exactly one SQL statement: the
one that writes the page. Connections are opened only on a cache miss.
"""

from __future__ import annotations

import math
from array import array
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import Request
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from geo.crs import ACCEPTED_FORMS, BadBbox, Crs, UnknownCrs, crs_uris, parse_bbox, parse_crs
from geo.features import boundary_versions, level_extent
from geo.levels import Level, list_levels
from geo.simplify import ladder_tolerance
from geo.storage_crs import storage_srid
from indicators.catalogue import list_indicators, list_periods
from indicators.values import (PeriodNotFound, boundary_date_for, cached_properties_sql, ensure_properties_cache,
                               ensure_properties_text, period_properties_sql, property_schema, resolve_period)
from service.errors import ProblemError, bad_request, not_found
from service.http import read_engine, reads_from_replica

WEB_MERCATOR_METRES_PER_PIXEL = 156_543.033928  # at zoom 0 on the equator, 256-pixel tiles
BASE_QUERYABLES = (("key", "Schlüssel / key"), ("name", "Name"), ("level", "Raumebene / level"),
                   ("parent_key", "Schlüssel der übergeordneten Ebene / parent key"), ("period", "Zeitpunkt / period"))
FILTERED_COUNTS = 1024  # numberMatched of filtered queries kept per data_version
# The matching areas of the most recent filtered queries, for their pages (`filtered_matches`): at most
# 64 results of at most 20,000 areas, 8 bytes each, so at most ~10 MB per worker.
FILTERED_ID_LISTS = 64
MEMOISED_MATCHES = 20_000
_TOO_MANY = array("q")  # marks a result too large to keep (so that its ids are not fetched again)
CANNOT_WRITE = {"25006", "53100"}  # read-only transaction, disk full: reads must go on without the cache


@dataclass(frozen=True)
class Selection:
    """A collection at one period for one kind of caller, with the cached properties ready to join."""

    level: Level
    period: date | None
    at: date  # boundary version
    unsuppressed: bool
    storage_srid: int
    cached: bool = True  # False when the database refuses writes: values are read live instead

    @property
    def properties_sql(self) -> str | None:
        if self.period is None:
            return None
        return cached_properties_sql() if self.cached else period_properties_sql(self.unsuppressed)

    @property
    def params(self) -> dict:
        return {"period": self.period, "unsuppressed": self.unsuppressed}


class Catalog:
    """Cached metadata of the collections, read through the app's engine only on a miss."""

    def __init__(self, request: Request):
        self.engine: Engine = read_engine(request)  # public reads: the replica, if configured
        replica = reads_from_replica(request)
        self.cache = request.app.state.replica_cache if replica else request.app.state.versioned_cache

    def _cached(self, key: Any, compute: Callable[[Connection], Any], write: bool = False) -> Any:
        def run() -> Any:
            with (self.engine.begin() if write else self.engine.connect()) as conn:
                return compute(conn)

        return self.cache.get(key, run)

    def levels(self) -> dict[str, Level]:
        return self._cached("levels", lambda conn: {lv.code: lv for lv in list_levels(conn)})

    def level(self, code: str) -> Level:
        levels = self.levels()
        if code not in levels:
            raise not_found(f"unknown collection {code!r}", available=list(levels))
        return levels[code]

    def storage_srid(self) -> int:
        return self._cached("srid", storage_srid)

    def periods(self, level: str, unsuppressed: bool) -> list[date]:
        return self._cached(("periods", level, unsuppressed),
                            lambda conn: list_periods(conn, level, unsuppressed=unsuppressed))

    def boundary_versions(self, level: str) -> list[date]:
        return self._cached(("versions", level), lambda conn: boundary_versions(conn, level))

    def extent(self, level: str, at: date) -> list[float] | None:
        return self._cached(("extent", level, at), lambda conn: level_extent(conn, level, at))

    def select(self, level_code: str, requested: str | None, unsuppressed: bool) -> Selection:
        """The level at the requested period (OGC `datetime`), properties cache filled. 400 if no such period."""
        level = self.level(level_code)
        period = self._cached(("period", level.code, requested, unsuppressed),
                              lambda conn: _resolve(conn, level.code, requested, unsuppressed))
        if isinstance(period, PeriodNotFound):
            raise bad_request(f"no data for datetime {period.requested!r} on collection {level.code!r}",
                              parameter="datetime", available_periods=[p.isoformat() for p in period.available])
        at = self._cached(("at", level.code, period), lambda conn: boundary_date_for(conn, level.code, period))
        cached = True
        if period is not None:
            try:
                self._cached(("properties", level.code, period, unsuppressed),
                             lambda conn: ensure_properties_cache(conn, level.code, period, at, unsuppressed),
                             write=True)
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) not in CANNOT_WRITE:
                    raise
                cached = False
        return Selection(level, period, at, unsuppressed, self.storage_srid(), cached)

    def write_properties_text(self, selection: Selection, keys: tuple[str, ...] | None) -> bool:
        """Whether the cached properties of the selection are written as text in the order `keys` (written now if
        not yet: once per data version and order); False where the cache is not used or cannot be written."""
        if not selection.cached or selection.period is None or keys is None:
            return False
        try:
            self._cached(("properties text", selection.level.code, selection.period, selection.unsuppressed, keys),
                         lambda conn: ensure_properties_text(conn, selection.level.code, selection.period,
                                                             selection.unsuppressed, keys), write=True)
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) not in CANNOT_WRITE:
                raise
            return False
        return True

    def queryables(self, selection: Selection) -> list[dict]:
        """The properties of the collection (name, JSON type, title), the same for every period: every property
        any period has (a feature of a period without it carries null), in the order key, name, level,
        parent_key, period, then the catalogue's order (each indicator followed by its flag), then index
        classes. Counts are integers."""
        return self._cached(("collection schema", selection.level.code, selection.unsuppressed),
                            lambda conn: self._collection_schema(conn, selection.level.code, selection.unsuppressed))

    def _collection_schema(self, conn: Connection, level: str, unsuppressed: bool) -> list[dict]:
        found: dict[str, dict] = {name: {"name": name, "type": "string", "title": title}
                                  for name, title in BASE_QUERYABLES}
        for period in self.periods(level, unsuppressed):
            selection = self.select(level, period.isoformat(), unsuppressed)
            for row in property_schema(conn, level, selection.period, unsuppressed) if selection.cached else []:
                known = found.setdefault(row["name"], dict(row))
                if row["type"] == "number":
                    known["type"] = "number"
                known["title"] = known["title"] or row["title"]
        catalogue = {row["code"]: (index, row["kind"]) for index, row in enumerate(list_indicators(conn))}
        for name, entry in found.items():
            if catalogue.get(name, (0, ""))[1] == "count" and entry["type"] == "number":
                entry["type"] = "integer"
        fixed = [name for name, _ in BASE_QUERYABLES]

        def order(name: str) -> tuple:
            if name in fixed:
                return (0, fixed.index(name), 0, name)
            code, flag = (name[:-5], 1) if name.endswith("_flag") else (name, 0)
            if code in catalogue:
                return (1, catalogue[code][0], flag, name)
            return (2, 0, 0, name)

        return [found[name] for name in sorted(found, key=order)]

    def property_names(self, selection: Selection) -> list[str]:
        """Every property a feature of the collection carries, in the order written."""
        return [q["name"] for q in self.queryables(selection)]

    def cached_count(self, selection: Selection, compute: Callable[[Connection], int]) -> int:
        return self._cached(("count", selection.level.code, selection.at, selection.period, selection.unsuppressed),
                            compute)

    def filtered_count(self, selection: Selection, condition: tuple, compute: Callable[[Connection], int]) -> int:
        """numberMatched of a filtered query (bbox, equality filters, CQL2), memoised like the other metadata
        until data_version changes, for the most recent FILTERED_COUNTS conditions (a client paging through a
        filtered result pays the count once; a client sending ever new filters cannot fill the memory)."""
        counts = self.cache.get(("filtered counts",), lambda: _Recent(FILTERED_COUNTS))
        key = (selection.level.code, selection.at, selection.period, selection.unsuppressed, condition)
        found = counts.get(key)
        if found is None:
            found = self.run(compute)
            counts.put(key, found)
        return found

    def filtered_matches(self, selection: Selection, condition: tuple,
                         matching: Callable[[Connection, int], list[int] | None],
                         count: Callable[[Connection], int]) -> tuple[int, Sequence[int] | None]:
        """(numberMatched, the ids of every match in page order) of a filtered query, memoised like
        `filtered_count`; the ids only for results of at most MEMOISED_MATCHES areas (else None, and the page is
        cut by the database as before). A client paging through a filtered result then pays the filter once:
        each page is a slice of the ids, as fast as an unfiltered page (bench/bench_cql2.py)."""
        lists = self.cache.get(("filtered ids",), lambda: _Recent(FILTERED_ID_LISTS))
        key = (selection.level.code, selection.at, selection.period, selection.unsuppressed, condition)
        found = lists.get(key)
        if found is None:
            ids = self.run(lambda conn: matching(conn, MEMOISED_MATCHES))
            found = _TOO_MANY if ids is None else array("q", ids)
            lists.put(key, found)
        if found is _TOO_MANY:
            return self.filtered_count(selection, condition, count), None
        return len(found), found

    def run(self, compute: Callable[[Connection], Any]) -> Any:
        with self.engine.connect() as conn:
            return compute(conn)


class _Recent:
    """The most recently used `size` entries (thread-safe)."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key: Any) -> Any:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def _resolve(conn: Connection, level: str, requested: str | None, unsuppressed: bool) -> date | None | PeriodNotFound:
    try:
        return resolve_period(conn, level, requested, unsuppressed=unsuppressed)
    except PeriodNotFound as exc:
        if not exc.available and requested is None:
            return None  # a level without any values: geometries only
        return exc


def crs_param(value: str | None, parameter: str) -> Crs:
    try:
        return parse_crs(value)
    except UnknownCrs as exc:
        raise ProblemError(400, "Bad Request", str(exc), parameter=parameter,
                           supported=crs_uris(), accepted_forms=list(ACCEPTED_FORMS)) from None


def bbox_param(value: str | None, crs: Crs) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    try:
        return parse_bbox(value, crs)
    except BadBbox as exc:
        raise bad_request(str(exc), parameter="bbox") from None


def simplification_m(zoom: float | None, simplify: float | None, latitude: float = 52.5) -> float | None:
    """Simplification tolerance in storage metres (geo.simplify): `simplify` as given, or half a screen pixel
    at web-map `zoom`."""
    if simplify is not None:
        return ladder_tolerance(simplify)
    if zoom is None:
        return None
    return ladder_tolerance(WEB_MERCATOR_METRES_PER_PIXEL * math.cos(math.radians(latitude)) / 2 ** zoom / 2)
