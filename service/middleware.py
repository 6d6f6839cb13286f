"""Request-level protection: request ids, the public origin of links (never the client's Host header),
security headers (including the Content-Security-Policy of every answer), body size limits and read deadline,
the rate limit (`service.ratelimit`), and CORS (open read-only for any origin by default, writes closed). Everything refused here answers RFC 9457
problem+json.

Pure ASGI middleware (no BaseHTTPMiddleware), so streamed responses stay streamed. Starlette has a
body-limit middleware, but it answers in plain text and with one limit for every path; uploads need a
larger limit than JSON writes, so the small limiter below keeps both in one place.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio
from fastapi import FastAPI, HTTPException
from fastapi.routing import APIRoute
from sqlalchemy.engine import Engine
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.http import LANG_COOKIE, requested_language
from service.errors import problem_response
from service.ratelimit import RateLimitMiddleware
from service.settings import Settings

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"cross-origin-resource-policy", b"same-site"),
]
# JSON, GeoJSON, CSV, tiles: nothing in them may ever run as a page
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
# An inline <script> without src (Folium writes its map as one); its text is what the browser hashes.
_SCRIPT_SRC = re.compile(rb"\bsrc\s*=")  # in a (lower-cased) <script ...> tag: not an inline script
# What a forwarded host, scheme and path prefix may look like; anything else is ignored.
_FORWARDED_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")
_FORWARDED_PREFIX = re.compile(r"^(?:/[A-Za-z0-9._~-]+)+$")
READ_METHODS = ["GET", "HEAD", "OPTIONS"]
WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


class RequestContextMiddleware:
    """Gives every request an id (the caller's X-Request-ID if it is sane, else a new one), exposes it to
    logs and the audit log through `REQUEST_ID`, and adds it and the security headers to the response. It also
    settles the page language (`request.state.lang`, service.http.requested_language) and remembers an explicit
    `?lang=` choice in a cookie."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"") or b"\x00" in scope.get(
                "query_string", b""):
            response = problem_response(400, "Bad Request", "the URL contains a NUL character (%00); remove it",
                                        instance=scope["path"].replace("\x00", ""))
            await response(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        request_id = incoming if _REQUEST_ID_OK.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        request_headers = Headers(scope=scope)
        query = scope.get("query_string", b"").decode("latin-1")
        language = scope["state"]["lang"] = requested_language(query, request_headers)
        remember_language = f"lang={language}" in query.lower() and f"{LANG_COOKIE}={language}" not in \
            request_headers.get("cookie", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["x-request-id"] = request_id
                if remember_language:  # an explicit choice holds for the following pages
                    headers.append("set-cookie", f"{LANG_COOKIE}={language}; Path=/; Max-Age=31536000; "
                                                 "SameSite=Lax")
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name.decode(), value.decode())
                # Answers made by the middleware (problems) get the API policy. A 304 gets none here: browsers
                # apply a 304's headers to the cached page, so only the page's own policy may go with it
                # (ConditionalGetMiddleware replays it).
                if "content-security-policy" not in headers and message["status"] != 304:
                    headers["content-security-policy"] = API_CSP.decode()
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            REQUEST_ID.reset(token)


@dataclass(frozen=True)
class Origin:
    scheme: str
    netloc: str
    prefix: str = ""  # path the service is mounted under, without trailing slash

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.netloc}{self.prefix}"


class PublicOriginMiddleware:
    """Decides once per request where the service is reached publicly, from trusted sources only: the configured
    base URL (DM_PUBLIC_BASE_URL); else, for a request from a proxy named in DM_TRUSTED_PROXIES, its Forwarded or
    X-Forwarded-Proto/-Host/-Prefix headers; else the address the connection arrived on. Never the Host header:
    the client chooses it, and links or redirects built from it would send people (and anything cached) to the
    client's host. The request's Host header and scheme are replaced by that origin, so nothing downstream
    (Starlette's slash redirects, request.url) sees the client's; `service.http.base_url` reads the result.

    Hand-written: uvicorn's and Werkzeug's proxy fixes honour X-Forwarded-For/-Proto (and -Host) but not the
    standard Forwarded header, the path prefix, or a configured base URL."""

    def __init__(self, app: ASGIApp, public_base_url: str | None, trusted_proxies: str):
        self.app = app
        self.configured = _configured_origin(public_base_url) if public_base_url else None
        self.trusted = _networks(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = self.configured or self._forwarded(scope) or _arrival(scope)
        scope["scheme"] = origin.scheme
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"host"] + [(b"host", origin.netloc.encode())]
        scope.setdefault("state", {})["public_base_url"] = origin.base_url
        await self.app(scope, receive, send)

    def _forwarded(self, scope: Scope) -> Origin | None:
        client = (scope.get("client") or ("", 0))[0]
        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            return None
        if not any(address in network for network in self.trusted):
            return None
        headers = Headers(scope=scope)
        first = _forwarded_element(headers.get("forwarded", ""))
        proto = first.get("proto") or _first_value(headers.get("x-forwarded-proto", ""))
        host = first.get("host") or _first_value(headers.get("x-forwarded-host", ""))
        prefix = _first_value(headers.get("x-forwarded-prefix", "")).rstrip("/")
        if not host or not _FORWARDED_HOST.match(host):
            return None
        arrival = _arrival(scope)
        return Origin(scheme=proto.lower() if proto.lower() in ("http", "https") else arrival.scheme, netloc=host,
                      prefix=prefix if _FORWARDED_PREFIX.match(prefix) else "")


def _configured_origin(url: str) -> Origin:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"DM_PUBLIC_BASE_URL {url!r} is not a base URL; write it like "
                         "https://monitor.example.de or https://www.example.de/monitor")
    return Origin(parts.scheme, parts.netloc, parts.path.rstrip("/"))


def _networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"DM_TRUSTED_PROXIES: {entry!r} is not an IP address or network; write e.g. "
                             "10.0.0.5 or 10.0.0.0/24") from None
    return tuple(networks)


def _arrival(scope: Scope) -> Origin:
    """The address and scheme the connection arrived on (the server socket), as the fallback origin."""
    host, port = scope.get("server") or ("localhost", None)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    scheme = scope.get("scheme", "http")
    default = 443 if scheme == "https" else 80
    return Origin(scheme, host if port in (None, default) else f"{host}:{port}")


def _first_value(header: str) -> str:
    """The first (client-side) entry of a comma-separated X-Forwarded-* header."""
    return header.split(",")[0].strip()


def _forwarded_element(header: str) -> dict[str, str]:
    """The first (client-side) element of an RFC 7239 Forwarded header as {parameter: value}."""
    pairs = {}
    for pair in header.split(",")[0].split(";"):
        name, _, value = pair.partition("=")
        if value:
            pairs[name.strip().lower()] = value.strip().strip('"')
    return pairs


def page_policy(body: bytes, image_origins: tuple[str, ...] = ()) -> str:
    """The Content-Security-Policy of one HTML page: its own scripts and nothing else (scripts from this origin,
    plus a sha256 hash of each inline script it contains), styles from this origin and inline styles (Leaflet
    and Folium position every element with them), images from this origin, data: URIs and the configured
    background tiles, requests only to this origin, no plugins, no foreign frames, no <base>.

    Hashes rather than nonces: a page revalidated with 304 keeps its cached body, so its policy must be the one
    the body was delivered with; `ConditionalGetMiddleware` replays it."""
    hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
                     for script in _inline_scripts(body)})
    images = " ".join(("'self'", "data:", "blob:") + image_origins)
    return "; ".join((
        "default-src 'none'",
        "script-src " + " ".join(["'self'", *hashes]),
        "style-src 'self' 'unsafe-inline'",
        f"img-src {images}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ))


def _inline_scripts(body: bytes) -> Iterator[bytes]:
    """The content of every <script> element without src in an HTML page, as the browser hashes it.

    By hand with bytes.find instead of one regular expression with a lazy `(.*?)</script>`: that walked the
    explorer's 380 KB data block character by character, 4.3 ms of every Gemeinde map page; this takes a
    tenth of a millisecond. An HTML parser (html.parser) is slower still and would not give the exact bytes."""
    lower = body.lower()  # tag names are case-insensitive; lower() keeps every offset
    position = lower.find(b"<script")
    while position >= 0:
        tag_end = lower.find(b">", position)
        if tag_end < 0:
            return
        end = lower.find(b"</script", tag_end)
        if end < 0:
            return
        tag = lower[position + len(b"<script"):tag_end]
        if tag[:1] in (b">", b"", b" ", b"\t", b"\n", b"\r", b"/") and not _SCRIPT_SRC.search(tag):
            yield body[tag_end + 1:end]
        position = lower.find(b"<script", end)


def tile_origins(tile_url: str | None) -> tuple[str, ...]:
    """The origin of the configured background tiles (`https://tiles.example.de`), for the pages' img-src."""
    if not tile_url:
        return ()
    subdomains = "abc" if "{s}" in tile_url else "a"  # Leaflet's default subdomains for {s}
    parts = [urlsplit(tile_url.replace("{s}", sub)) for sub in subdomains]
    return tuple(f"{p.scheme}://{p.netloc}" for p in parts if p.scheme and p.netloc)


class ContentSecurityPolicyMiddleware:
    """Gives every answer of the application its Content-Security-Policy: HTML pages the policy of their own
    content (`page_policy`), everything else `default-src 'none'`. Runs inside gzip, so it reads the page as
    written; an HTML page is held until complete (pages are rendered whole anyway)."""

    def __init__(self, app: ASGIApp, image_origins: tuple[str, ...] = ()):
        self.app = app
        self.image_origins = image_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_with_policy(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-security-policy" in headers:
                    await send(message)
                elif headers.get("content-type", "").startswith("text/html"):
                    start = message  # held until the body is complete
                else:
                    headers["content-security-policy"] = API_CSP.decode()
                    await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            MutableHeaders(scope=start)["content-security-policy"] = page_policy(body, self.image_origins)
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, send_with_policy)


class HeadMiddleware:
    """HEAD on every GET route (RFC 9110 9.3.2): the request is answered as a GET and the body is dropped, so
    the status and headers (Content-Length, ETag, Content-Type) are those of the GET. FastAPI's routes answer
    only the methods they declare; this is the one place that gives them HEAD."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def send_without_body(message: Message) -> None:
            nonlocal finished
            if message["type"] == "http.response.start":
                await send(message)
            elif message["type"] == "http.response.body":
                if not finished and not message.get("more_body", False):
                    finished = True
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
            else:
                await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)


CORS_READ_HEADERS = ["Accept", "Accept-Language", "If-None-Match", "If-Modified-Since", "X-Request-ID"]
CORS_EXPOSED = ["ETag", "Link", "Retry-After", "X-Request-ID", "Content-Crs", "Content-Disposition",
                "OGC-Limit-Capped"]


class PublicReadCorsMiddleware:
    """Open, read-only CORS (DM_CORS_PUBLIC_READS, on by default): any origin may GET and HEAD the public
    answers (`Access-Control-Allow-Origin: *`, no credentials, so a token is never sent cross-origin), and a
    preflight for GET/HEAD is answered 204. Every other method stays closed cross-origin: its preflight is
    refused (403 problem) and its answers carry no CORS header. Origins listed in DM_CORS_ORIGINS go to the
    configured CORS middleware behind this one (which may also allow writes with a token)."""

    def __init__(self, app: ASGIApp, configured_origins: tuple[str, ...] = ()):
        self.app = app
        self.configured = set(configured_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None or origin in self.configured:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        requested = headers.get("access-control-request-method")
        if method == "OPTIONS" and requested is not None:
            await self._preflight(scope, receive, send, requested.upper(),
                                  headers.get("access-control-request-headers", ""))
            return
        if method not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers["access-control-allow-origin"] = "*"
                response_headers["access-control-expose-headers"] = ", ".join(CORS_EXPOSED)
                # a page on another origin may read (and a map draw) the answer: that is what it is for
                response_headers["cross-origin-resource-policy"] = "cross-origin"
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, scope: Scope, receive: Receive, send: Send, method: str, requested: str) -> None:
        wanted = {h.strip().lower() for h in requested.split(",") if h.strip()}
        allowed = {h.lower() for h in CORS_READ_HEADERS}
        if method not in ("GET", "HEAD") or not wanted <= allowed:
            response = problem_response(403, "Forbidden", "cross-origin requests may only read (GET, HEAD) without "
                                        "credentials; writes are not open to other origins",
                                        instance=scope["path"])
            await response(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 204, "headers": [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-methods", ", ".join(READ_METHODS).encode()),
            (b"access-control-allow-headers", ", ".join(CORS_READ_HEADERS).encode()),
            (b"access-control-max-age", b"600"),
            (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
        ]})
        await send({"type": "http.response.body", "body": b""})


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"the request body is larger than {_human(limit)}; split the upload or ask an admin "
                              "to raise DM_MAX_UPLOAD_BYTES / DM_MAX_BODY_BYTES")


class BodyTooSlow(HTTPException):
    def __init__(self, received: int):
        super().__init__(408, f"the request body arrived too slowly ({received:,} bytes so far); send it at once "
                              "or at a steadier rate")


def accepts_uploads(endpoint):
    """Mark a route's endpoint as one that takes a file: its requests are held to the upload limit
    (DM_MAX_UPLOAD_BYTES) instead of the JSON body limit."""
    endpoint.accepts_uploads = True
    return endpoint


def upload_routes(routes: list, prefix: str = "") -> Iterator[tuple[re.Pattern, frozenset[str]]]:
    """(path regex, methods) of every endpoint marked with `accepts_uploads`, also inside included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            if getattr(route.endpoint, "accepts_uploads", False):
                yield compile_path(prefix + route.path)[0], frozenset(route.methods)
        elif hasattr(route, "original_router"):
            yield from upload_routes(route.original_router.routes, prefix + route.include_context.prefix)


class BodyLimitMiddleware:
    """Refuses bodies above the limit: by Content-Length before reading, else while streaming (the route then
    fails with 413 instead of reading on). The routes marked `accepts_uploads` (every import) have the one
    upload limit; every other request the small limit of a JSON body.

    Also a read deadline: after `grace_s` the body must keep arriving at `min_bytes_per_s` on average, else 408
    (a client trickling a body would otherwise hold a worker and a connection for as long as it likes)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_upload_bytes: int, application: FastAPI,
                 grace_s: float = 30.0, min_bytes_per_s: int = 16 * 1024):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.application = application
        self._uploads: list[tuple[re.Pattern, frozenset[str]]] | None = None
        self.grace_s = grace_s
        self.min_bytes_per_s = max(min_bytes_per_s, 1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = self.max_upload_bytes if self._is_upload(scope["method"], path) else self.max_body_bytes
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                response = problem_response(400, "Bad Request", "Content-Length is not a number", instance=path)
                await response(scope, receive, send)
                return
            if too_large:
                response = problem_response(413, "Content Too Large", BodyTooLarge(limit).detail, instance=path,
                                            limit_bytes=limit)
                await response(scope, receive, send)
                return
        received = 0
        started = time.monotonic()
        complete = False  # the whole body arrived: later receives wait for a disconnect, which has no deadline

        async def limited_receive() -> Message:
            nonlocal received, complete
            if complete:
                return await receive()
            deadline = started + self.grace_s + received / self.min_bytes_per_s
            with anyio.move_on_after(max(deadline - time.monotonic(), 0)) as waited:
                message = await receive()
            if waited.cancelled_caught:
                raise BodyTooSlow(received)
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
                complete = not message.get("more_body", False)
            return message

        await self.app(scope, limited_receive, send)

    def _is_upload(self, method: str, path: str) -> bool:
        if self._uploads is None:  # the routers are included after the middleware is installed: read them now
            self._uploads = list(upload_routes(self.application.routes))
        return any(method in methods and regex.match(path) for regex, methods in self._uploads)


def install_middleware(app: FastAPI, settings: Settings, engine: Engine) -> None:
    """Register in this order; the last added runs first: request context outermost, then the public origin
    (before the HTTP cache, whose ETags include the host), HEAD as GET, CORS (open reads, configured origins), the rate limit (before the HTTP cache, so cheap
    304s count too), and the body limit. With several worker processes the rate limit's buckets live in the
    database (`engine`), so that the limit holds across them."""
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes,
                       max_upload_bytes=settings.max_upload_bytes, application=app,
                       grace_s=settings.body_timeout_s, min_bytes_per_s=settings.min_body_bytes_per_s)
    app.add_middleware(RateLimitMiddleware, per_minute=settings.rate_limit_per_minute,
                       burst=settings.rate_limit_burst, application=app,
                       shared_engine=engine if settings.workers > 1 else None)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=origins, allow_credentials=False,
            allow_methods=READ_METHODS + (WRITE_METHODS if settings.cors_allow_writes else []),
            allow_headers=CORS_READ_HEADERS + ["Content-Type"]
            + (["Authorization"] if settings.cors_allow_writes else []),
            expose_headers=CORS_EXPOSED, max_age=600)
    if settings.cors_public_reads:
        app.add_middleware(PublicReadCorsMiddleware, configured_origins=tuple(origins))
    app.add_middleware(HeadMiddleware)  # outside the HTTP cache: a HEAD has the GET's ETag
    app.add_middleware(PublicOriginMiddleware, public_base_url=settings.public_base_url,
                       trusted_proxies=settings.trusted_proxies)
    app.add_middleware(RequestContextMiddleware)


def _human(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:g} {unit}" if unit == "bytes" else f"{size:.0f} {unit}"
        size /= 1024
    return str(size)
