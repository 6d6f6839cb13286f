"""Response helpers shared by the routers: orjson bodies, content negotiation (q-values), links, connections."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson
from fastapi import Request
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html; charset=utf-8"


def json_response(data: Any, status: int = 200, media_type: str = JSON, headers: dict | None = None) -> Response:
    return Response(orjson.dumps(data, default=str, option=orjson.OPT_NON_STR_KEYS), status_code=status,
                    media_type=media_type, headers=headers)


def accepted_types(accept: str) -> list[tuple[str, float, int, dict]]:
    """The media ranges of an Accept header as (type, q, position, parameters); unreadable q-values count as
    0 (not acceptable)."""
    ranges = []
    for position, item in enumerate(accept.split(",")):
        parts = [part.strip() for part in item.split(";")]
        media = parts[0].lower()
        if not media:
            continue
        quality, parameters = 1.0, {}
        for parameter in parts[1:]:
            name, _, value = parameter.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"')
            if name == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
            elif name:
                parameters[name] = value
        ranges.append((media, quality, position, parameters))
    return ranges


def quality_of(media_type: str, ranges: list) -> tuple[float, int, int]:
    """(q, specificity, -position) of the most specific range matching `media_type` (RFC 9110 12.5.1: a range
    with parameters matches only a type with those parameters); q=0 if no range matches."""
    main, *rest = [part.strip() for part in media_type.lower().split(";")]
    offered = dict((p.split("=", 1) + [""])[:2] for p in rest if p)
    kind, _, sub = main.partition("/")
    best = (0.0, -1, 0)
    for media, quality, position, parameters in ranges:
        range_kind, _, range_sub = media.partition("/")
        if media == main and parameters:
            if any(offered.get(k) != v for k, v in parameters.items()):
                continue
            specificity = 3
        elif media == main:
            specificity = 2
        elif range_kind == kind and range_sub == "*":
            specificity = 1
        elif media in ("*/*", "*"):
            specificity = 0
        else:
            continue
        if specificity > best[1]:
            best = (quality, specificity, -position)
    return best if best[1] >= 0 else (0.0, -1, 0)


def preferred(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the Accept header prefers (highest q, then the more specific range, then the
    earlier in the header, then the earlier offered); None if none is acceptable. No header: the first offered."""
    if not accept or not accept.strip():
        return offered[0] if offered else None
    ranges = accepted_types(accept)
    scored = [(quality_of(media, ranges), -index, media) for index, media in enumerate(offered)]
    acceptable = [(q, order, media) for q, order, media in scored if q[0] > 0]
    if not acceptable:
        return None
    (quality, _, position), order, media = max(acceptable, key=lambda s: (s[0][0], s[0][2], s[1]))
    return media


def wants_html(request: Request, f: str | None) -> bool:
    """`f=html|json` wins; otherwise the Accept header's q-values decide between HTML and JSON (q=0 means
    not acceptable; ties go to the range named first, and to JSON when neither is named explicitly)."""
    if f:
        return f.lower() == "html"
    accept = request.headers.get("accept", "")
    if not accept.strip():
        return False
    choice = preferred(accept, ("application/json", "application/geo+json", "text/html"))
    if choice != "text/html":
        return False
    ranges = accepted_types(accept)
    return quality_of("text/html", ranges)[1] > 0  # named (text/html or text/*), not only through */*


LANGUAGES = ("de", "en")  # German first; English for every fixed text of the pages (web/locale/)
LANG_COOKIE = "dm_lang"  # the visitor's last explicit choice (?lang=), so that every following page keeps it


def requested_language(query_string: str, headers) -> str:
    """The language of a page: `?lang=de|en` wins, then the visitor's earlier choice (cookie), then the browser's
    Accept-Language, else German. English only where the browser ranks it above German (`en-US,en;q=0.9`, or
    `en;q=0.9,de;q=0.5`); German for `de-DE,de;q=0.9,en;q=0.8`, for `*`, for no header and on ties: a municipal
    site speaks German first. One function for the pages and for the ETag."""
    from urllib.parse import parse_qs

    asked = parse_qs(query_string).get("lang", [""])[-1].lower()
    if asked in LANGUAGES:
        return asked
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == LANG_COOKIE and value in LANGUAGES:
            return value
    return browser_language(headers.get("accept-language", ""))


def browser_language(accept_language: str) -> str:
    """The page language an Accept-Language header prefers (RFC 9110 12.5.4; same q-value syntax as Accept):
    "en" if some English tag has a higher q than every German one, else "de"."""
    if not accept_language.strip():
        return "de"
    best = dict.fromkeys(LANGUAGES, 0.0)
    for tag, quality, _position, _parameters in accepted_types(accept_language):
        primary = tag.split("-", 1)[0]
        if primary in best:
            best[primary] = max(best[primary], quality)
    return "en" if best["en"] > best["de"] else "de"


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
    from service.auth import ANONYMOUS, carries_credentials, current_principal

    if not carries_credentials(request.headers):
        return ANONYMOUS
    return await run_in_threadpool(current_principal, request)


def connection(request: Request) -> Iterator[Connection]:
    """FastAPI dependency: one pooled connection of the primary per request (routes that also write, e.g. caches)."""
    with request.app.state.engine.connect() as conn:
        yield conn


def reads_from_replica(request: Request) -> bool:
    """Anonymous reads go to the read replica if one is configured; a caller with a token (a steward checking
    their own writes) always reads the primary."""
    from service.auth import carries_credentials

    return request.app.state.replica_engine is not None and not carries_credentials(request.headers)


def read_engine(request: Request) -> Engine:
    return request.app.state.replica_engine if reads_from_replica(request) else request.app.state.engine


def read_connection(request: Request) -> Iterator[Connection]:
    """FastAPI dependency: one pooled connection per request for work that only reads (replica if public)."""
    with read_engine(request).connect() as conn:
        yield conn


def prefers_async(request: Request) -> bool:
    """Whether the request asks to be answered at once while the work goes on (RFC 7240 `Prefer: respond-async`)."""
    preferences = request.headers.get("prefer", "")
    return any(item.split(";")[0].split("=")[0].strip().lower() == "respond-async"
               for item in preferences.split(","))
