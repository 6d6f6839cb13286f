"""Downloads of a whole collection (area level) at one period: GeoJSON, GeoPackage, FlatGeobuf, CSV, XLSX.

GeoJSON is streamed straight from PostgreSQL. GeoPackage and FlatGeobuf are written by pyogrio (GDAL) to a
temporary file, which is deleted once sent. The tables (CSV, German CSV, XLSX: service.formats) carry the
attributes only; `format=csv-de` (or `format=csv&csv_style=de`) makes the CSV open correctly in a German
spreadsheet: `;` as separator, decimal comma, UTF-8 with byte order mark.
"""

from __future__ import annotations

import os
import tempfile
from typing import Annotated

import pandas as pd
import shapely
from fastapi import APIRouter, Depends, Query, Request
from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response

from geo.features import FeatureQuery, feature_records, stream_feature_collection
from service.auth import Principal
from service.collections import Catalog, crs_param
from service.disconnects import database_stream_response
from service.formats import RENDERERS, TABLE_FORMATS, table_response
from service.http import GEOJSON, caller

router = APIRouter(tags=["Downloads"])
Caller = Annotated[Principal, Depends(caller)]
ALL = 100_000_000
FILE_FORMATS = {"gpkg": ("GPKG", "application/geopackage+sqlite3"), "fgb": ("FlatGeobuf", "application/flatgeobuf")}
FORMATS = ("geojson", *FILE_FORMATS, *TABLE_FORMATS)


@router.get("/collections/{collection_id}/download", summary="Download a collection at one period",
            response_class=Response,
            responses={200: {"content": {GEOJSON: {}, **{media: {} for _, media in FILE_FORMATS.values()},
                                         **{r.media_type.split(";")[0]: {} for r in RENDERERS.values()}}}})
def download(
    request: Request,
    who: Caller,
    collection_id: str,
    format: Annotated[str, Query(pattern="^(" + "|".join(FORMATS) + ")$", description="File format.")] = "geojson",
    datetime: Annotated[str | None, Query(description="Period of the values; default latest.")] = None,
    crs: Annotated[str | None, Query(description="CRS of the geometries (URI); default CRS84.")] = None,
    csv_style: Annotated[str, Query(pattern="^(standard|de)$",
                                    description="'de': ';' separator, decimal comma, UTF-8 BOM.")] = "standard",
):
    catalog = Catalog(request)
    output_crs = crs_param(crs, "crs")
    selection = catalog.select(collection_id, datetime, who.sees_unsuppressed)
    query = FeatureQuery(level=selection.level.code, at=selection.at, storage_srid=selection.storage_srid,
                         limit=ALL, crs=output_crs)
    stem = f"{collection_id}_{selection.period.isoformat() if selection.period else 'geometrie'}"
    if format == "geojson":  # streamed from PostgreSQL; released at once if the client goes away
        return database_stream_response(request, catalog.engine, lambda conn: stream_feature_collection(
            conn, query, selection.properties_sql, {"type": "FeatureCollection"}, selection.params),
            media_type=GEOJSON, headers={
            "Content-Disposition": f'attachment; filename="{stem}.geojson"', "Content-Crs": f"<{output_crs.uri}>"})
    records = catalog.run(lambda conn: list(feature_records(conn, query, selection.properties_sql, selection.params)))
    columns = ["key"] + [name for name in catalog.property_names(selection) if name != "key"]
    rows = [props for _, props, _ in records]
    if format in TABLE_FORMATS:
        return table_response("csv-de" if format == "csv" and csv_style == "de" else format, rows, columns, stem)
    import geopandas as gpd  # imported on first use: slow to import, and only file downloads need it

    table = pd.DataFrame(rows, columns=columns)
    driver, media_type = FILE_FORMATS[format]
    frame = gpd.GeoDataFrame(table, geometry=shapely.from_wkb([wkb for _, _, wkb in records]),
                             crs=f"EPSG:{output_crs.srid}")
    handle, path = tempfile.mkstemp(suffix=f".{format}", prefix="dm-export-")
    os.close(handle)
    os.unlink(path)  # GDAL creates the file itself
    # GeoPackage 1.3: the wheel's newer GDAL writes 1.4, which Debian 12's GDAL 3.6 (and QGIS on it) warns about
    options = {"dataset_options": {"VERSION": "1.3"}} if driver == "GPKG" else {}
    frame.to_file(path, driver=driver, layer=collection_id, engine="pyogrio", **options)
    return FileResponse(path, media_type=media_type, filename=f"{stem}.{format}",
                        background=BackgroundTask(os.unlink, path))

