"""Response helpers shared by the routers: orjson bodies, CSV downloads, content negotiation, links, connections."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson
from fastapi import Request
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from web.tabular_export import STANDARD, CsvStyle, csv_text

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html; charset=utf-8"


def json_response(data: Any, status: int = 200, media_type: str = JSON, headers: dict | None = None) -> Response:
    return Response(orjson.dumps(data, default=str, option=orjson.OPT_NON_STR_KEYS), status_code=status,
                    media_type=media_type, headers=headers)


def csv_response(rows: Iterable[Mapping[str, Any]], fields: Sequence[str], filename: str,
                 style: CsvStyle = STANDARD) -> Response:
    """Rows as a CSV download; every CSV answer goes through here (cells neutralised by web.tabular_export)."""
    return Response(csv_text(rows, fields, style).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def wants_html(request: Request, f: str | None) -> bool:
    """`f=html|json` wins; otherwise a browser's Accept header (text/html before JSON) asks for HTML."""
    if f:
        return f.lower() == "html"
    accept = request.headers.get("accept", "")
    if "text/html" not in accept:
        return False
    html_at = accept.find("text/html")
    json_at = min((accept.find(t) for t in ("application/json", "application/geo+json") if t in accept),
                  default=len(accept) + 1)
    return html_at < json_at


def base_url(request: Request) -> str:
    """The service's public base URL without trailing slash, as PublicOriginMiddleware decided it (configured,
    or from a trusted proxy, or the address the request arrived on; never from the client's Host header)."""
    return request.state.public_base_url


def link(href: str, rel: str, type_: str, title: str | None = None) -> dict:
    item = {"href": href, "rel": rel, "type": type_}
    if title:
        item["title"] = title
    return item


async def caller(request: Request):
    """FastAPI dependency: the caller, without a worker-thread hop for anonymous requests (the hot path)."""
    from service.auth import ANONYMOUS, current_principal

    if "authorization" not in request.headers:
        return ANONYMOUS
    return await run_in_threadpool(current_principal, request)


def connection(request: Request) -> Iterator[Connection]:
    """FastAPI dependency: one pooled connection of the primary per request (routes that also write, e.g. caches)."""
    with request.app.state.engine.connect() as conn:
        yield conn


def reads_from_replica(request: Request) -> bool:
    """Anonymous reads go to the read replica if one is configured; a caller with a token (a steward checking
    their own writes) always reads the primary."""
    return request.app.state.replica_engine is not None and "authorization" not in request.headers


def read_engine(request: Request) -> Engine:
    return request.app.state.replica_engine if reads_from_replica(request) else request.app.state.engine


def read_connection(request: Request) -> Iterator[Connection]:
    """FastAPI dependency: one pooled connection per request for work that only reads (replica if public)."""
    with read_engine(request).connect() as conn:
        yield conn
