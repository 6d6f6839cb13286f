"""HTTP caching: an in-process copy of data_version, caches keyed by it, and ETag / 304 / Cache-Control.

Every data write bumps `dm_setting.data_version` (statement triggers) and NOTIFYs `dm_data_version`
(migration 0005). `DataVersion` listens on one dedicated connection and keeps the number in memory; it also
re-reads it every few seconds in case a notification was lost with a broken connection. With that number:

- `ConditionalGetMiddleware` (pure ASGI, outside gzip and routing) gives every successful GET a weak ETag derived from
  (data_version, method, full URL, Accept, caller's role, process start) and answers If-None-Match with 304
  before routing: no database query for anonymous callers (a token is still checked, since its role is part
  of the ETag and revocation must bite). Before any non-GET request answers, the version is re-read, so
  a client that writes and then reads never gets a stale 304. A 304 carries the Content-Security-Policy
  its 200 was sent with (browsers apply a 304's headers to the cached page), so it is only answered for an
  ETag whose policy this process remembers; otherwise the application answers in full.
- `ResponseCache` keeps complete anonymous answers (as sent: compressed, with their headers) by ETag, so the
  hottest requests (tiles, map pages, profiles) are answered without routing, SQL or gzip. Per worker, within
  `DM_RESPONSE_CACHE_MB`; an ETag names its data_version, so no entry outlives the data it was made from.
- `VersionedCache` memoises metadata (levels, periods, counts, extents) until the version changes.

If the listener cannot reach the database, the version is unknown: no ETags are issued and every request
goes to the application (correct, just uncached).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import anyio
import psycopg
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.auth import carries_credentials
from service.http import requested_language

log = logging.getLogger("district_monitor.caching")
CHANNEL = "dm_data_version"
VERSION_SQL = "SELECT value::bigint FROM dm_setting WHERE key = 'data_version'"
# A restart (new code) invalidates every ETag; the worker processes of one `serve` share the tag its parent set
# (DM_SERVER_TAG), or a client revalidating against another worker would always get the whole answer again.
PROCESS_TAG = os.environ.get("DM_SERVER_TAG") or f"{time.time_ns():x}"
PUBLIC_CACHE = "public, no-cache"  # may be stored, must be revalidated (a 304 is cheap)
PRIVATE_CACHE = "private, no-cache"
NO_STORE = "no-store"
UNCACHED_PREFIXES = ("/healthz", "/readyz", "/api/admin", "/static")


def libpq_conninfo(engine: Engine) -> str:
    """The engine's URL as a libpq connection string (psycopg), password included."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class DataVersion:
    """The current data_version, kept current by LISTEN/NOTIFY on a dedicated connection (plus a slow poll)."""

    def __init__(self, engine: Engine, poll_seconds: float = 5.0, listen: bool = True):
        """`listen=False` for a read replica: a standby cannot LISTEN, so the version is polled (each
        `poll_seconds`) and is never newer than the data the replica has replayed."""
        self.engine = engine
        self.conninfo = libpq_conninfo(engine)
        self.poll_seconds = poll_seconds
        self.listen = listen
        self.value: int | None = None
        self._stop = threading.Event()
        self._started = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._started:
            if self._thread is not None:
                return
            self.refresh()
            self._thread = threading.Thread(target=self._listen, name="dm-data-version", daemon=True)
            self._thread.start()

    @property
    def started(self) -> bool:
        return self._thread is not None

    def stop(self) -> None:
        self._stop.set()

    def refresh(self) -> int | None:
        """Read the version now (after writes through this process, and when the listener starts)."""
        try:
            with self.engine.connect() as conn:
                self.value = conn.exec_driver_sql(VERSION_SQL).scalar_one()
        except sa.exc.SQLAlchemyError as exc:
            log.warning("cannot read data_version (%s); HTTP caching is off until it can", exc)
            self.value = None
        return self.value

    def _listen(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as conn:
                    if self.listen:
                        conn.execute(f"LISTEN {CHANNEL}")
                    self.value = conn.execute(VERSION_SQL).fetchone()[0]
                    backoff = 1.0
                    while not self._stop.is_set():
                        if self.listen:
                            for notice in conn.notifies(timeout=self.poll_seconds):
                                self.value = max(self.value or 0, int(notice.payload))
                        else:
                            self._stop.wait(self.poll_seconds)
                        self.value = conn.execute(VERSION_SQL).fetchone()[0]
            except psycopg.errors.InvalidCatalogName:
                self.value = None
                return  # the database was dropped: nothing left to watch
            except (psycopg.Error, ValueError) as exc:
                self.value = None
                if self._stop.is_set():
                    return  # shutting down: the server going away is expected
                log.warning("data_version listener lost its connection (%s); retrying in %.0f s", exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 60.0)


class VersionedCache:
    """A dict that empties itself whenever data_version changes (or is unknown: then nothing is kept).

    Requests that miss the same key at once compute it once: the first computes, the others wait for its
    answer (without holding a pooled connection: `compute` opens its own). Ten cold requests for one item page
    each ran the same metadata queries and properties-cache write in parallel, waited on each other's locks
    for 13 s and starved a pool of eight (503 after the pool timeout, tests/test_disconnects.py)."""

    def __init__(self, version: DataVersion):
        self.version = version
        self._seen: int | None = None
        self._items: dict[Any, Any] = {}
        self._computing: dict[Any, threading.RLock] = {}  # per key being computed: who waits for it
        self._lock = threading.Lock()

    def _kept(self, key: Any, current: int | None) -> tuple[bool, Any]:
        with self._lock:
            if current != self._seen:
                self._items.clear()
                self._seen = current
            if current is not None and key in self._items:
                return True, self._items[key]
            return False, None

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        current = self.version.value
        found, value = self._kept(key, current)
        if found:
            return value
        if current is None:
            return compute()
        with self._lock:
            flight = self._computing.setdefault((current, key), threading.RLock())
        with flight:  # a failed computation lets the next waiter try (errors are not kept)
            found, value = self._kept(key, current)
            if found:
                return value
            try:
                value = compute()
                with self._lock:
                    if self._seen == current:
                        self._items[key] = value
            finally:
                with self._lock:
                    self._computing.pop((current, key), None)
        return value


def etag_for(version: int, scope: Scope, headers: Headers, role: str) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    material = "\x1f".join((PROCESS_TAG, str(version), role, scope["method"], headers.get("host", ""),
                            scope.get("root_path", "") + scope["path"], query, headers.get("accept", ""),
                            requested_language(query, headers)))
    return 'W/"' + hashlib.blake2b(material.encode(), digest_size=12).hexdigest() + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    opaque = etag[2:]
    return any(candidate.strip().removeprefix("W/") == opaque for candidate in if_none_match.split(","))


class ReplayedHeaders:
    """The headers a 304 must repeat from its 200 (the Content-Security-Policy), per ETag, most recent first."""

    REPLAYED = ("content-security-policy",)

    def __init__(self, size: int = 8192):
        self.size = size
        self._items: OrderedDict[str, list[tuple[bytes, bytes]]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, etag: str, headers: MutableHeaders) -> None:
        replayed = [(name.encode(), headers[name].encode()) for name in self.REPLAYED if name in headers]
        with self._lock:
            self._items[etag] = replayed
            self._items.move_to_end(etag)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def recall(self, etag: str) -> list[tuple[bytes, bytes]] | None:
        with self._lock:
            return self._items.get(etag)


class ResponseCache:
    """Complete anonymous answers (status 200, headers and body as sent, compressed or not) by ETag and
    Accept-Encoding, least recently used first out, within a byte budget. The ETag names the data_version,
    so an entry is never served for other data; entries of older versions simply age out."""

    MAX_ENTRY_BYTES = 4 << 20

    def __init__(self, budget_bytes: int):
        self.budget = budget_bytes
        self.used = 0
        self._items: OrderedDict[tuple[str, bool], tuple[list, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, bool]) -> tuple[list, bytes] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[str, bool], headers: list, body: bytes) -> None:
        if len(body) > min(self.MAX_ENTRY_BYTES, self.budget):
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = (headers, body)
            self.used += len(body)
            while self.used > self.budget:
                _, (_, dropped) = self._items.popitem(last=False)
                self.used -= len(dropped)


def _cacheable(headers: MutableHeaders) -> bool:
    """Not what must not be stored, and not what has an exact cache of its own (X-Cache: aggregations and hot
    spots check the database's data_version on every request, which the listener only learns a moment later)."""
    control = headers.get("cache-control", "")
    return not ({"set-cookie", "x-cache"} & set(headers.keys())) and "no-store" not in control \
        and "private" not in control


class ConditionalGetMiddleware:
    """ETag + Cache-Control on every GET, 304 on a matching If-None-Match without calling the application, and
    anonymous answers from the response cache (also without calling the application)."""

    def __init__(self, app: ASGIApp, version: DataVersion, resolve_role: Callable[[Scope], str],
                 cache_bytes: int = 0, replica_version: DataVersion | None = None):
        self.app = app
        self.version = version
        self.replica_version = replica_version  # anonymous reads come from the replica: its version names them
        self.resolve_role = resolve_role  # blocking (may query the token table); run in a worker thread
        self.replayed = ReplayedHeaders()
        self.responses = ResponseCache(cache_bytes) if cache_bytes > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.version.started:
            await anyio.to_thread.run_sync(self.version.start)
        if self.replica_version is not None and not self.replica_version.started:
            await anyio.to_thread.run_sync(self.replica_version.start)
        if scope["method"] not in ("GET", "HEAD"):
            await self._write(scope, receive, send)
            return
        path = scope["path"]
        if path.startswith(UNCACHED_PREFIXES):
            await self.app(scope, receive, _with_cache_headers(send, None, NO_STORE))
            return
        headers = Headers(scope=scope)
        anonymous = not carries_credentials(headers)
        version = (self.replica_version if anonymous and self.replica_version else self.version).value
        if version is None:
            await self.app(scope, receive, _with_cache_headers(send, None, NO_STORE))
            return
        if not anonymous:
            role = await anyio.to_thread.run_sync(self.resolve_role, scope)
            cache_control = PRIVATE_CACHE
        else:
            role, cache_control = "anonymous", PUBLIC_CACHE
        etag = etag_for(version, scope, headers, role)
        if_none_match = headers.get("if-none-match")
        replayed = self.replayed.recall(etag) if if_none_match and _matches(if_none_match, etag) else None
        if replayed is not None:
            await send({"type": "http.response.start", "status": 304,
                        "headers": [(b"etag", etag.encode()), (b"cache-control", cache_control.encode()),
                                    (b"vary", b"Accept, Accept-Encoding, Accept-Language, Authorization, Cookie"),
                                    *replayed]})
            await send({"type": "http.response.body", "body": b""})
            return
        send = _with_cache_headers(send, etag, cache_control, self.replayed)
        if self.responses is None or role != "anonymous":
            await self.app(scope, receive, send)
            return
        key = (etag, "gzip" in headers.get("accept-encoding", ""))
        stored = self.responses.get(key)
        if stored is not None:
            await send({"type": "http.response.start", "status": 200, "headers": list(stored[0])})
            await send({"type": "http.response.body", "body": stored[1]})
            return
        await self.app(scope, receive, _storing(send, self.responses, key))


    async def _write(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A non-GET request: the version is re-read *before* its answer starts (the application has committed
        by then). A client reads only after its write has answered (a page reloads itself when its DELETE is
        done); re-reading after the answer was sent let that read overtake the re-read and get a 304 for the
        page as it was before the write."""
        refreshed = False

        async def send_after_refresh(message: Message) -> None:
            nonlocal refreshed
            if message["type"] == "http.response.start" and not refreshed:
                refreshed = True
                await anyio.to_thread.run_sync(self.version.refresh)
            await send(message)

        try:
            await self.app(scope, receive, send_after_refresh)
        finally:
            if not refreshed:  # the application failed before it finished an answer
                await anyio.to_thread.run_sync(self.version.refresh)


def _with_cache_headers(send: Send, etag: str | None, cache_control: str,
                        replayed: ReplayedHeaders | None = None) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            status = message["status"]
            if 200 <= status < 300 and etag:
                headers["ETag"] = etag  # replaces e.g. FileResponse's, which names a temporary file
                headers.add_vary_header("Accept")
                headers.add_vary_header("Accept-Language")  # pages follow the browser (http.requested_language)
                headers.add_vary_header("Authorization")
                headers.add_vary_header("Cookie")
                if replayed is not None:
                    replayed.remember(etag, headers)
            if "cache-control" not in headers:
                headers["Cache-Control"] = cache_control if 200 <= status < 300 else NO_STORE
        await send(message)

    return wrapped


def _storing(send: Send, cache: ResponseCache, key: tuple[str, bool]) -> Send:
    """Passes the answer on and keeps a copy of a complete, cacheable 200 of at most MAX_ENTRY_BYTES: its headers
    as the application made them (the outer layers add theirs to every answer, the replayed one too: ETag,
    CORS, request id), and its body."""
    headers: list | None = None
    chunks: list[bytes] = []
    size = 0

    async def wrapped(message: Message) -> None:
        nonlocal headers, size
        if message["type"] == "http.response.start":
            if message["status"] == 200 and _cacheable(MutableHeaders(scope=message)):
                headers = [tuple(h) for h in message["headers"]]
        elif headers is not None and message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > ResponseCache.MAX_ENTRY_BYTES:
                headers = None
                chunks.clear()
            else:
                chunks.append(chunk)
                if not message.get("more_body", False):
                    cache.put(key, headers, b"".join(chunks))
        await send(message)

    return wrapped


def install_http_caching(app: FastAPI, engine: Engine, response_cache_bytes: int = 0,
                         replica: Engine | None = None) -> None:
    """Register the middleware (after gzip, so that it runs before it) and the caches; with a read replica
    also its version (polled) and a metadata cache of its own."""
    from service.auth import current_principal
    from service.errors import ProblemError
    from starlette.requests import Request

    def resolve_role(scope: Scope) -> str:
        """The caller as the ETag sees it: the role, and for a browser session also whose session it is (its
        pages show the person and carry the session's CSRF token, so another session must not revalidate them)."""
        request = Request(scope)
        try:
            principal = current_principal(request)
        except ProblemError:
            return "invalid-token"  # the application answers 401 itself
        session = getattr(request.state, "session_csrf", None)
        return principal.role if session is None else f"{principal.role}:{session[:16]}"

    version = DataVersion(engine)
    app.state.data_version = version
    app.state.versioned_cache = VersionedCache(version)
    replica_version = DataVersion(replica, poll_seconds=1.0, listen=False) if replica is not None else None
    app.state.replica_version = replica_version
    app.state.replica_cache = VersionedCache(replica_version) if replica_version is not None else None
    app.add_middleware(ConditionalGetMiddleware, version=version, resolve_role=resolve_role,
                       cache_bytes=response_cache_bytes, replica_version=replica_version)
