"""Expensive results of the aggregation routes, cached per request and data version, and their answer.

The routes under /api/aggregate, /api/programmes and /maps/supply share these helpers and their dependencies.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.engine import Connection
from starlette.responses import Response

from geo.aggregation import cache_key, cached
from service.auth import Principal, current_principal
from service.http import connection, json_response

Conn = Annotated[Connection, Depends(connection)]
Caller = Annotated[Principal, Depends(current_principal)]


def cached_result(conn: Connection, kind: str, compute, **request: Any) -> tuple[Any, bool]:
    """Expensive results, cached per request and data_version; the cache row is committed at once."""
    result, hit = cached(conn, cache_key(kind, **request), compute)
    conn.commit()
    return result, hit


def cached_response(result: Any, hit: bool) -> Response:
    """The JSON answer of a cached result; X-Cache says whether it was computed for this request."""
    return json_response(result, headers={"X-Cache": "hit" if hit else "miss"})
