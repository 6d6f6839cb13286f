"""Reading vector files for every geometry import (boundaries, points, polygons): GeoJSON, GeoPackage,
FlatGeobuf and (zipped) Shapefiles through pyogrio, with the checks every delivery needs before its features
are looked at: the file exists, is not empty, has a supported type; a ZIP is no ZIP bomb and holds a complete
shapefile (or one other geodata file); the coordinates' CRS is known (`geo.plausibility.assign_crs`); the
fields the caller names exist, and the key field is text (a number loses leading zeros).

What the file could not give is reported (file, column, fix) and None returned; the reading library's message
is shown with the file's name as the user sent it (`geo.import_report.reader_message`).
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from geo.import_report import ImportReport, de_number, reader_message
from geo.plausibility import assign_crs

if TYPE_CHECKING:
    import geopandas as gpd

SUPPORTED_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp", ".fgb")
MAX_UNZIPPED_BYTES = 2 << 30  # a shapefile of a whole Land stays far below 2 GiB
MAX_ZIP_RATIO = 200  # ZIP bomb guard: real shapefiles compress by 2-20x
# German for the content named in fixes (`what`) and for the roles of required fields
_WHAT_DE = {"layer": "die Ebene", "boundaries": "die Gebietsgrenzen"}
_ROLE_DE = {"key": "Schlüsselfeld", "name": "Namensfeld", "parent": "Feld des Elternschlüssels"}


def read_vector_file(path: Path, report: ImportReport, *, fields: Sequence[tuple[str | None, str]] = (),
                     key_field: str | None = None, layer: str | None = None, encoding: str | None = None,
                     crs: str | None = None, what: str = "layer",
                     suffixes: tuple[str, ...] = SUPPORTED_SUFFIXES) -> gpd.GeoDataFrame | None:
    """The features of `path` in their CRS (or `crs`, which overrides what the file says), or None with the
    problems reported. `fields` are (field name or None, role) pairs that must exist; `key_field` must also be
    stored as text. `what` names the content in fixes ("export the boundaries again")."""
    suffix = "".join(path.suffixes[-2:]).lower() if path.name.lower().endswith(".shp.zip") else path.suffix.lower()
    if not path.exists():
        report.error("file not found", "check the path", message_de="Datei nicht gefunden",
                     fix_de="den Pfad prüfen")
        return None
    if not suffix.endswith(suffixes):
        report.error(f"unsupported file type {path.suffix!r}",
                     "deliver GeoJSON, GeoPackage, FlatGeobuf or a zipped Shapefile (.zip with .shp, .shx, .dbf, .prj)",
                     message_de=f"nicht unterstützter Dateityp {path.suffix!r}",
                     fix_de="GeoJSON, GeoPackage, FlatGeobuf oder ein gezipptes Shapefile (.zip mit .shp, .shx, .dbf, "
                            ".prj) liefern")
        return None
    if path.stat().st_size == 0:
        report.error("the file is empty", f"export the {what} again", message_de="die Datei ist leer",
                     fix_de=f"{_WHAT_DE.get(what, what)} erneut exportieren")
        return None
    source = str(path)
    if suffix.endswith(".zip"):
        member = _zip_member(path, report, what)
        if member is None:
            return None
        source = f"/vsizip/{path}/{member}"
    try:
        import geopandas as gpd  # GeoPandas and pyogrio are imported on first use: slow to import
        import pyogrio

        info = pyogrio.read_info(source, layer=layer, encoding=encoding)
        frame = gpd.read_file(source, layer=layer, engine="pyogrio", encoding=encoding)
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, FieldError, ...
        report.error(f"cannot read the file as geodata ({reader_message(exc, path, report.file)})",
                     "check that it is valid GeoJSON, GeoPackage or a complete zipped Shapefile",
                     message_de=f"die Datei ist als Geodaten nicht lesbar ({reader_message(exc, path, report.file)})",
                     fix_de="prüfen, ob sie gültiges GeoJSON, GeoPackage oder ein vollständiges gezipptes "
                            "Shapefile ist")
        return None
    frame = assign_crs(frame, crs, report)
    if frame is None:
        return None
    for name, role in fields:
        if name is not None and name not in frame.columns:
            report.error(f"the {role} field {name!r} is missing", f"name one of the fields {list(info['fields'])}",
                         column=name, message_de=f"das {_ROLE_DE.get(role, role)} {name!r} fehlt",
                         fix_de=f"eines der Felder {list(info['fields'])} angeben")
    if key_field in frame.columns and frame[key_field].dtype.kind in "iuf":
        report.error(f"the key field {key_field!r} is stored as a number, so leading zeros are lost",
                     "store keys as text in the source file (e.g. '01100101')", column=key_field,
                     message_de=f"das Schlüsselfeld {key_field!r} ist als Zahl gespeichert, führende Nullen gehen "
                                "verloren",
                     fix_de="Schlüssel in der Quelldatei als Text speichern (z. B. '01100101')")
    return frame if report.ok else None


def _zip_member(path: Path, report: ImportReport, what: str) -> str | None:
    """The member to read from a ZIP, after guarding against ZIP bombs and incomplete shapefiles."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        report.error("the file is not a valid ZIP archive", "zip the shapefile again",
                     message_de="die Datei ist kein gültiges ZIP-Archiv", fix_de="das Shapefile erneut zippen")
        return None
    unpacked = sum(m.file_size for m in members)
    packed = max(1, sum(m.compress_size for m in members))
    if unpacked > MAX_UNZIPPED_BYTES or unpacked / packed > MAX_ZIP_RATIO:
        report.error(f"the ZIP would unpack to {unpacked:,} bytes ({unpacked / packed:.0f}x its size)",
                     f"deliver the {what} file itself; archives that expand this much are refused",
                     message_de=f"das ZIP würde sich auf {de_number(unpacked)} Bytes entpacken (das "
                                f"{unpacked / packed:.0f}-Fache seiner Größe)",
                     fix_de=f"die Datei ({_WHAT_DE.get(what, what)}) selbst liefern; Archive, die sich so stark "
                            "entpacken, werden abgelehnt")
        return None
    names = [m.filename for m in members if not m.is_dir()]
    for wanted in (".shp", ".gpkg", ".geojson", ".json", ".fgb"):
        hits = [n for n in names if n.lower().endswith(wanted) and not n.startswith("__MACOSX")]
        if hits:
            if wanted == ".shp":
                stem = hits[0][:-4]
                missing = [ext for ext in (".shx", ".dbf") if not any(n.lower() == (stem + ext).lower() for n in names)]
                if missing:
                    report.error(f"the ZIP holds {hits[0]} but not {', '.join(missing)}",
                                 "zip all parts of the shapefile (.shp, .shx, .dbf, .prj)",
                                 message_de=f"das ZIP enthält {hits[0]}, aber nicht {', '.join(missing)}",
                                 fix_de="alle Teile des Shapefiles zippen (.shp, .shx, .dbf, .prj)")
                    return None
            return hits[0]
    report.error("the ZIP contains no .shp (nor .gpkg/.geojson/.fgb)",
                 "zip all parts of the shapefile (.shp, .shx, .dbf, .prj)",
                 message_de="das ZIP enthält keine .shp (auch keine .gpkg/.geojson/.fgb)",
                 fix_de="alle Teile des Shapefiles zippen (.shp, .shx, .dbf, .prj)")
    return None
