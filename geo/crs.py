"""Coordinate reference systems offered to clients (OGC API - Features Part 2, CRS by reference).

A CRS is named by its OGC URI; each maps to an EPSG code, an axis order and a sensible coordinate precision.
EPSG:4326 is latitude/longitude by definition, CRS84 is longitude/latitude (GeoJSON's default): the only
difference between the two is the axis order, and getting it wrong puts Berlin into Somalia.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"


@dataclass(frozen=True)
class Crs:
    uri: str
    srid: int  # the PostGIS SRID holding the coordinates
    lat_first: bool  # axis order northing/latitude first (EPSG:4326)
    precision: int  # decimals written: 7 for degrees (1 cm), 2 for metres (1 cm)
    title: str

    @property
    def projected(self) -> bool:
        return self.precision < 5


CRS84 = Crs(CRS84_URI, 4326, False, 7, "WGS 84 longitude/latitude (CRS84)")
SUPPORTED: tuple[Crs, ...] = (
    CRS84,
    Crs(EPSG_URI.format(code=4326), 4326, True, 7, "WGS 84 latitude/longitude"),
    Crs(EPSG_URI.format(code=25832), 25832, False, 2, "ETRS89 / UTM zone 32N"),
    Crs(EPSG_URI.format(code=25833), 25833, False, 2, "ETRS89 / UTM zone 33N"),
    Crs(EPSG_URI.format(code=3035), 3035, True, 2, "ETRS89-extended / LAEA Europe (northing, easting)"),
)
_BY_URI = {crs.uri: crs for crs in SUPPORTED}
_SHORT = re.compile(r"^\[?(?:EPSG:(\d+)|OGC:CRS84)\]?$", re.IGNORECASE)


class UnknownCrs(ValueError):
    """A CRS a client asked for that is not offered."""

    def __init__(self, requested: str):
        super().__init__(f"CRS {requested!r} is not offered; use one of: " + ", ".join(c.uri for c in SUPPORTED))
        self.requested = requested


def crs_uris() -> list[str]:
    return [crs.uri for crs in SUPPORTED]


def storage_crs_uri(srid: int) -> str:
    return EPSG_URI.format(code=srid)


def parse_crs(text: str | None) -> Crs:
    """The CRS named by an OGC URI (or the safe CURIE `[EPSG:25833]` / `EPSG:25833`); None means CRS84."""
    if text is None or text == "":
        return CRS84
    value = text.strip()
    if value in _BY_URI:
        return _BY_URI[value]
    short = _SHORT.match(value)
    if short:
        uri = CRS84_URI if short.group(1) is None else EPSG_URI.format(code=short.group(1))
        if uri in _BY_URI:
            return _BY_URI[uri]
    raise UnknownCrs(text)


class BadBbox(ValueError):
    """A bbox parameter that cannot mean a rectangle."""


def parse_bbox(text: str, crs: Crs) -> tuple[float, float, float, float]:
    """`bbox` as (minx, miny, maxx, maxy) in the CRS's x/y (easting/longitude first), validated.

    The text lists coordinates in the CRS's axis order (lat/lon for EPSG:4326); 6 numbers (3D) are accepted
    and their heights ignored. Raises BadBbox with a message that says what is wrong.
    """
    parts = text.split(",")
    if len(parts) not in (4, 6):
        raise BadBbox(f"bbox needs 4 numbers (or 6 with heights), got {len(parts)}")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise BadBbox(f"bbox {text!r} contains something that is not a number") from None
    if not all(math.isfinite(v) for v in values):
        raise BadBbox("bbox contains NaN or infinity")
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    a1, b1, a2, b2 = values
    if a1 > a2 or b1 > b2:
        raise BadBbox("bbox corners are in the wrong order: lower corner first, then upper corner")
    minx, miny, maxx, maxy = (b1, a1, b2, a2) if crs.lat_first else (a1, b1, a2, b2)
    if crs.srid == 4326 and not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        order = "lat,lon" if crs.lat_first else "lon,lat"
        raise BadBbox(f"bbox is outside the range of {crs.title} ({order})")
    return minx, miny, maxx, maxy
