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

# Every way a client names a CRS, all read here (one vocabulary for the whole API):
#   http://www.opengis.net/def/crs/EPSG/0/25833   OGC URI (OGC API - Features Part 2)
#   http://www.opengis.net/def/crs/OGC/1.3/CRS84  OGC URI of longitude/latitude WGS 84
#   urn:ogc:def:crs:EPSG::25833                    OGC URN (GeoJSON 2008 "crs" members, GDAL)
#   EPSG:25833, [EPSG:25833]                       CURIE and safe CURIE (as in Content-Crs headers)
#   OGC:CRS84, [OGC:CRS84], CRS84                  the same for CRS84
#   25833                                          a bare EPSG code
FORMS_TEXT = ("an OGC URI (http://www.opengis.net/def/crs/EPSG/0/25833, .../OGC/1.3/CRS84), "
              "urn:ogc:def:crs:EPSG::25833, EPSG:25833, [EPSG:25833], OGC:CRS84, CRS84 or a bare EPSG code")
ACCEPTED_FORMS = ("http://www.opengis.net/def/crs/EPSG/0/25833", CRS84_URI, "urn:ogc:def:crs:EPSG::25833",
                  "EPSG:25833", "[EPSG:25833]", "OGC:CRS84", "CRS84", "25833")
_EPSG_NAME = re.compile(
    r"^(?:https?://www\.opengis\.net/def/crs/EPSG/0/|urn:ogc:def:crs:EPSG:[\d.]*:|\[?EPSG:{1,2})?(\d{4,6})\]?$",
    re.IGNORECASE)
_CRS84_NAME = re.compile(
    r"^(?:https?://www\.opengis\.net/def/crs/OGC/1\.3/CRS84|urn:ogc:def:crs:OGC:(?:1\.3)?:CRS84"
    r"|\[?OGC:CRS84\]?|CRS84)$",
    re.IGNORECASE)


class UnknownCrs(ValueError):
    """A CRS a client asked for that is not offered, or text that names no CRS."""

    def __init__(self, requested: str, offered: list[str] | None = None):
        offered = crs_uris() if offered is None else offered
        where = f"use one of: {', '.join(offered)}" if offered else "give an EPSG code"
        super().__init__(f"CRS {requested!r} is not offered; {where}; each written as {FORMS_TEXT}")
        self.requested = requested
        self.offered = offered


def crs_name(text: str) -> str:
    """The CRS a text names, as `EPSG:<code>` or `CRS84`, in any of the ACCEPTED_FORMS; UnknownCrs if the
    text names no CRS in them. Does not say whether the CRS is offered (`parse_crs` does)."""
    value = text.strip()
    if _CRS84_NAME.match(value):
        return "CRS84"
    epsg = _EPSG_NAME.match(value)
    if epsg:
        return f"EPSG:{int(epsg.group(1))}"
    raise UnknownCrs(text, [])


def crs_uris() -> list[str]:
    return [crs.uri for crs in SUPPORTED]


def storage_crs_uri(srid: int) -> str:
    return EPSG_URI.format(code=srid)


def parse_crs(text: str | None) -> Crs:
    """The offered CRS a text names (any of the ACCEPTED_FORMS); None or empty means CRS84. UnknownCrs names
    the offered CRS and the accepted forms."""
    if text is None or not str(text).strip():
        return CRS84
    try:
        found = _BY_CODE.get(crs_name(str(text)))
    except UnknownCrs:
        found = None
    if found is None:
        raise UnknownCrs(str(text))
    return found


def short_name(crs: Crs) -> str:
    """`CRS84` or `EPSG:<code>`: how reports and results name a CRS."""
    return "CRS84" if crs.uri == CRS84_URI else f"EPSG:{crs.srid}"


_BY_CODE = {short_name(crs): crs for crs in SUPPORTED}


def source_crs_name(text: str) -> str:
    """A CRS of delivered files (any EPSG code, not only the offered ones) in a form pyproj reads: the
    ACCEPTED_FORMS become `EPSG:<code>` / `OGC:CRS84`; other text is passed on unchanged for pyproj to judge
    (WKT, PROJ strings)."""
    try:
        name = crs_name(text)
    except UnknownCrs:
        return text
    return "OGC:CRS84" if name == "CRS84" else name


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
