"""GET /api/search: areas of every level by name or key, and addresses, best first (the pages' search box)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.engine import Connection

from geo.search import MAX_HITS, search_everything
from service.http import json_response, read_connection
from service.params import NO_NUL

router = APIRouter(tags=["areas"])
Conn = Annotated[Connection, Depends(read_connection)]


@router.get("/api/search", summary="Find areas of every level by name or key, or by address (best first)")
def search(conn: Conn, q: Annotated[str, Query(min_length=1, max_length=100, pattern=NO_NUL, description=(
               "Part of a name, the start of a key, or an address (street and number)."))],
           limit: Annotated[int, Query(ge=1, le=MAX_HITS, description="Hits at most.")] = 20):
    hits = search_everything(conn, q, limit)
    return json_response({"query": q, "hits": hits})
