"""Where the geometries of a delivery may lie, and what repairing them may change.

Checked before anything is stored, by the boundary, point and polygon imports alike: every coordinate is a
finite number; every feature lies where the file's CRS puts it inside the expected region (the parent
areas, or the configured extent for a first import); an invalid outline is repaired only when the repair
keeps its area. A file in the wrong CRS or with swapped axes is refused with the likely fix, found by trying
the coordinate reference systems used for German data on the coordinates as written.
Must not know about indicators or the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geo.crs import source_crs_name
from geo.import_report import ImportLimits, ImportReport, de_number

if TYPE_CHECKING:
    import geopandas as gpd  # annotations only: GeoPandas is slow to import

# CRSs German statistics offices and surveying authorities deliver in: WGS 84, ETRS89/UTM 32N and 33N (also with
# the zone number before the easting), Gauss-Krüger zones 2-5, ETRS89-LAEA, Web Mercator
CANDIDATE_EPSG = (4326, 25832, 25833, 4647, 5650, 31466, 31467, 31468, 31469, 3035, 3857)
REPAIR_AREA_TOLERANCE = 0.001  # a repair may change an outline's area by at most this share
MAX_FEATURES_LISTED = 20


@dataclass(frozen=True)
class Region:
    """Where a delivery's features must lie: longitude/latitude bounds and what they are, in both languages."""

    bounds: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    name_en: str
    name_de: str

    def described(self) -> str:
        west, south, east, north = self.bounds
        return f"{self.name_en} ({west:.2f}-{east:.2f} E, {south:.2f}-{north:.2f} N)"


def configured_extent(limits: ImportLimits) -> Region:
    """The region of a first import: the configured extent (default: Germany with a margin)."""
    return Region(limits.extent, "the configured extent (DM_IMPORT_EXTENT)",
                  "des eingestellten Gebiets (DM_IMPORT_EXTENT)")


def assign_crs(frame: gpd.GeoDataFrame, crs: str | None, report: ImportReport) -> gpd.GeoDataFrame | None:
    """The frame with the CRS its coordinates are in: the file's, or `crs` when given (which overrides what
    the file says: a GeoJSON without a "crs" member is read as WGS 84, whatever its coordinates are).
    None, with the error reported, when neither is known."""
    if crs is None:
        if frame.crs is None:
            report.error("the file declares no coordinate reference system",
                         "add a .prj / crs member, or give the CRS explicitly (--crs EPSG:25833)", column="crs",
                         message_de="die Datei nennt kein Koordinatenreferenzsystem",
                         fix_de="eine .prj-Datei bzw. ein crs-Element ergänzen oder das System angeben "
                                "(--crs EPSG:25833)")
            return None
        return frame
    try:
        given = CRS.from_user_input(source_crs_name(crs))  # the API's CRS vocabulary, any EPSG code
    except CRSError:
        report.error(f"unknown CRS {crs!r}", "give an EPSG code such as EPSG:25833", column="crs",
                     message_de=f"unbekanntes Koordinatenreferenzsystem {crs!r}",
                     fix_de="einen EPSG-Code wie EPSG:25833 angeben")
        return None
    if frame.crs is None:
        report.notes.append(f"no CRS in the file; assumed {crs} as requested")
    elif not frame.crs.equals(given):
        report.notes.append(f"the file says {_crs_name(frame.crs)}; read as {crs} as requested (--crs)")
    return frame.set_crs(given, allow_override=True)


def _non_finite_rows(geometry: gpd.GeoSeries) -> np.ndarray:
    """Positions of the geometries with a coordinate that is infinite or not a number."""
    coordinates, index = shapely.get_coordinates(geometry.values, return_index=True)
    return np.unique(index[~np.isfinite(coordinates).all(axis=1)])


def check_finite(geometry: gpd.GeoSeries, rows: Sequence[int], keys: Sequence[str], report: ImportReport,
                 reprojected: bool = False) -> bool:
    """Report every feature with a coordinate that is infinite or not a number (as written, or after
    reprojection into the storage CRS); True when there is none."""
    bad = _non_finite_rows(geometry)
    when_en, when_de = ((" after reprojection into the storage CRS", " nach der Umprojektion") if reprojected
                        else ("", ""))
    for i in bad[:MAX_FEATURES_LISTED]:
        report.error(f"the geometry has coordinates that are not finite numbers (infinite or NaN){when_en}",
                     "check the coordinates and the CRS of the file; every coordinate must be a number",
                     row=int(rows[i]), keys=(str(keys[i]),),
                     message_de=f"die Geometrie hat Koordinaten, die keine endlichen Zahlen sind{when_de}",
                     fix_de="Koordinaten und Koordinatenreferenzsystem der Datei prüfen; jede Koordinate muss "
                            "eine Zahl sein")
    return len(bad) == 0


def check_region(frame: gpd.GeoDataFrame, region: Region, rows: Sequence[int], keys: Sequence[str],
                 report: ImportReport) -> bool:
    """True when every feature's bounding box, in the frame's CRS, meets the region. Otherwise the problem is
    reported: for the whole file with the likely fix when another CRS or swapped axes would put every
    feature there, else per feature."""
    raw = shapely.bounds(frame.geometry.values)  # minx, miny, maxx, maxy as written
    inside = _meets(_lonlat_boxes(raw, frame.crs), region)
    if inside.all():
        return True
    outside = np.flatnonzero(~inside)
    if len(outside) < len(raw):
        for i in outside[:MAX_FEATURES_LISTED]:
            report.error(f"the feature lies outside {region.described()}, unlike the others",
                         "correct its coordinates", row=int(rows[i]), keys=(str(keys[i]),),
                         value=f"{raw[i][0]:,.6g} / {raw[i][1]:,.6g}",
                         message_de=f"das Objekt liegt außerhalb {region.name_de}, anders als die übrigen",
                         fix_de="seine Koordinaten korrigieren")
        return False
    where = f"{raw[0][0]:,.6g} / {raw[0][1]:,.6g}"
    fits = _fitting_candidates(raw, frame.crs, region)
    declared = _crs_name(frame.crs)
    declared_de = declared
    if frame.crs.is_geographic:
        declared += " (longitude/latitude; also what a GeoJSON without a \"crs\" member means)"
        declared_de += " (Länge/Breite; so gilt auch ein GeoJSON ohne \"crs\"-Element)"
    if fits == ["swapped"]:
        axes = "latitude/longitude" if frame.crs.is_geographic else "x and y (easting/northing)"
        axes_de = "Breite/Länge" if frame.crs.is_geographic else "x und y (Rechts-/Hochwert)"
        report.error(f"{axes} look swapped: exchanged, the features lie in {region.described()}, as written "
                     f"({declared}) they do not",
                     "write x = longitude (easting) first and y = latitude (northing) second, as GeoJSON requires",
                     value=where, column="crs",
                     message_de=f"{axes_de} scheinen vertauscht: getauscht lägen die Objekte innerhalb "
                                f"{region.name_de}, so wie geschrieben ({declared_de}) nicht",
                     fix_de="x = Länge (Rechtswert) zuerst, y = Breite (Hochwert) danach schreiben, wie GeoJSON "
                            "es verlangt")
    elif fits:
        options = " or ".join(f"--crs {f}" for f in fits)
        report.error(f"coordinates look like {'/'.join(fits)}, but the file's CRS is {declared}; read so, the "
                     f"features lie outside {region.described()}",
                     f"give the CRS of the coordinates: {options} (HTTP: crs=...); it overrides what the file says",
                     value=where, column="crs",
                     message_de=f"die Koordinaten sehen nach {'/'.join(fits)} aus, die Datei nennt aber "
                                f"{declared_de}; so gelesen liegen die Objekte außerhalb {region.name_de}",
                     fix_de=f"das Koordinatenreferenzsystem der Koordinaten angeben: "
                            f"{' oder '.join(f'--crs {f}' for f in fits)} (HTTP: crs=...); es ersetzt die "
                            "Angabe der Datei")
    else:
        report.error(f"every feature lies outside {region.described()} where the file's CRS {declared} puts them",
                     "check the coordinates and the CRS (--crs overrides the file's CRS); the region is the "
                     "parent areas, or for a first import DM_IMPORT_EXTENT", value=where, column="crs",
                     message_de=f"alle Objekte liegen außerhalb {region.name_de}, wenn man sie im "
                                f"Koordinatenreferenzsystem der Datei ({declared_de}) liest",
                     fix_de="Koordinaten und Koordinatenreferenzsystem prüfen (--crs ersetzt das der Datei); das "
                            "Gebiet sind die Elterngebiete oder, beim ersten Import, DM_IMPORT_EXTENT")
    return False


def _crs_name(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def _lonlat_boxes(raw: np.ndarray, crs: CRS) -> np.ndarray:
    """The boxes `raw` (in `crs`) as longitude/latitude boxes; NaN where they cannot be transformed."""
    transformer = Transformer.from_crs(crs, 4326, always_xy=True)
    xs = raw[:, [0, 2, 0, 2]].ravel()
    ys = raw[:, [1, 1, 3, 3]].ravel()
    with np.errstate(invalid="ignore"):
        lon, lat = transformer.transform(xs, ys, errcheck=False)
    lon = np.where(np.isfinite(lon), lon, np.nan).reshape(-1, 4)
    lat = np.where(np.isfinite(lat), lat, np.nan).reshape(-1, 4)
    return np.column_stack([lon.min(axis=1), lat.min(axis=1), lon.max(axis=1), lat.max(axis=1)])


def _meets(boxes: np.ndarray, region: Region) -> np.ndarray:
    west, south, east, north = region.bounds
    with np.errstate(invalid="ignore"):
        return ((boxes[:, 0] <= east) & (boxes[:, 2] >= west) & (boxes[:, 1] <= north) & (boxes[:, 3] >= south))


def _fitting_candidates(raw: np.ndarray, declared: CRS, region: Region) -> list[str]:
    """'swapped' if exchanging x and y puts every box into the region, else the candidate CRSs that do."""
    if _meets(_lonlat_boxes(raw[:, [1, 0, 3, 2]], declared), region).all():
        return ["swapped"]
    fits = []
    for epsg in CANDIDATE_EPSG:
        candidate = CRS.from_epsg(epsg)
        if candidate.equals(declared):
            continue
        if _meets(_lonlat_boxes(raw, candidate), region).all():
            fits.append(f"EPSG:{epsg}")
    return fits


def repair_outlines(geometry: gpd.GeoSeries, rows: Sequence[int], keys: Sequence[str],
                    report: ImportReport) -> gpd.GeoSeries:
    """Valid outlines as they are; invalid ones repaired (`make_valid`, structure method) and reported as a
    warning when the repair keeps their area (spikes, rings touching themselves), refused when it does not
    (a bow-tie: its two loops cancel in the outline's area and add up after repair) or leaves no area."""
    invalid = ~geometry.is_valid
    if not invalid.any():
        return geometry
    repaired = geometry.copy()
    repaired[invalid] = shapely.make_valid(geometry[invalid].values, method="structure", keep_collapsed=False)
    repaired = repaired.apply(_polygonal_part)
    for position in np.flatnonzero(invalid.to_numpy()):
        before, after = geometry.iloc[position], repaired.iloc[position]
        reason = shapely.is_valid_reason(before)
        where = {"row": int(rows[position]), "keys": (str(keys[position]),)}
        if after.is_empty or after.geom_type not in ("Polygon", "MultiPolygon") or after.area == 0:
            report.error("the polygon intersects itself so that no area is left after repair",
                         "redraw the outline in a GIS (it folds onto itself)",
                         message_de="das Polygon schneidet sich selbst so, dass nach einer Reparatur keine Fläche "
                                    "bleibt", fix_de="den Umriss im GIS neu zeichnen (er faltet sich auf sich selbst)",
                         **where)
            continue
        change = abs(after.area - before.area) / max(after.area, before.area)
        if change > REPAIR_AREA_TOLERANCE:
            report.error(f"invalid outline ({reason}); repairing it would change its area by {change:.0%} "
                         f"({before.area:,.6g} -> {after.area:,.6g}), so it is not repaired silently",
                         "redraw the outline in a GIS so that its ring does not cross itself (e.g. a bow-tie)",
                         message_de=f"ungültiger Umriss ({reason}); eine Reparatur würde seine Fläche um "
                                    f"{de_number(change, '.0%')} ändern ({de_number(before.area, ',.6g')} -> "
                                    f"{de_number(after.area, ',.6g')}), daher wird er nicht stillschweigend repariert",
                         fix_de="den Umriss im GIS so neu zeichnen, dass sich sein Ring nicht selbst kreuzt (z. B. "
                                "eine Acht)", **where)
        else:
            report.warning(f"invalid geometry repaired ({reason})", "check the repaired outline in a GIS",
                           message_de=f"ungültige Geometrie repariert ({reason})",
                           fix_de="den reparierten Umriss im GIS prüfen", **where)
    return repaired


def _polygonal_part(geometry):
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [g for g in getattr(geometry, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else geometry

