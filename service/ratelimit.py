"""Rate limit per client over the application's real routes, with a cost per route, shared by all workers.

Routes: `RouteCosts` reads the application's own routes at start-up. Every route costs 1 unit per request,
the heavy ones more (`ROUTE_COSTS`), and only the few routes in `FREE` (no database work, or cached
metadata) nothing. A path in either table that is not a route of the application is an error at start-up,
so the table cannot drift from the routes, and a new route is limited from the start.

Budget: a token bucket per client address (and per kind of caller: a request with a token gets ten times
as much; the route still checks the token): `DM_RATE_LIMIT_PER_MINUTE` units per minute with bursts up to
`DM_RATE_LIMIT_BURST`. Over it: 429 problem+json with Retry-After.

Store: with one worker process the buckets live in the process. With several (`DM_WORKERS` > 1, set by
`district-monitor serve --workers N`) they live in PostgreSQL, in the UNLOGGED table `rate_bucket` (one
UPSERT per lease of a few requests, which also serialises two workers taking from one bucket), so the limit holds across
workers. If the database cannot be reached, each worker limits on its own until it can again.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import anyio
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.engine import Engine
from starlette.datastructures import Headers
from starlette.routing import Route, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from service.auth import carries_credentials
from service.errors import problem_response

log = logging.getLogger("district_monitor.ratelimit")
AUTHENTICATED_FACTOR = 10
# Units per request where a route is heavier than a page of features (measured: docs/trust.md "Availability").
ROUTE_COSTS = {
    "/collections/{collection_id}/items": 2,
    "/collections/{collection_id}/download": 30,
    "/areas/{level}/{key}": 3,
    "/api/areas/{key}/history": 2,
    "/explorer": 5,
    "/reports/{period}": 30,
    "/reports/documents/{report_id}": 30,  # a working copy is rendered (published versions come from storage)
    "/api/reports/{report_id}/transitions": 30,  # publishing renders the PDF
    "/api/jobs": 30,  # a report's PDF (its progress, /api/jobs/{job_id}, costs 1 per look)
    "/maps/indices/{index_id}": 5,
    "/maps/hotspots": 30,
    "/maps/supply": 10,
    "/api/hotspots": 30,
    "/api/segregation": 10,
    "/api/segregation/local": 5,
    "/api/typology": 10,
    "/api/aggregate/polygon": 20,
    "/api/aggregate/radius": 10,
    "/api/aggregate/catchments": 20,
    "/api/aggregate/supply": 5,
    "/api/aggregate/points": 5,
    "/api/aggregate/grid": 10,
    "/api/programmes/{programme_id}/evaluation": 10,
    "/api/programmes/{programme_id}/evaluation.svg": 10,
    "/api/indices/{index_id}/results": 3,
    "/api/indices/{index_id}/attention-areas": 3,
}
# No database work, or metadata answered from the process's cache: health checks, API description, OGC
# landing and collection metadata, tile matrix sets.
FREE = frozenset({"/healthz", "/readyz", "/api/openapi.json", "/api/docs", "/",
                  "/conformance", "/collections", "/collections/{collection_id}", "/tileMatrixSets",
                  "/tileMatrixSets/{tms_id}", "/collections/{collection_id}/tiles",
                  "/collections/{collection_id}/tiles/{tms_id}"})


class RouteCosts:
    """Cost of a request by the route it reaches; paths that reach no route (404s, static files) cost 1."""

    def __init__(self, app: FastAPI):
        self.routes = list(endpoint_routes(app.routes))
        paths = {path for _, _, path in self.routes} | {getattr(r, "path", None) for r in app.routes}
        stale = (set(ROUTE_COSTS) | FREE) - paths
        if stale:
            raise RuntimeError(f"the rate limit names paths that are no routes of the app: {sorted(stale)}")
        self._memo: dict[tuple[str, str], int] = {}

    def cost(self, method: str, path: str) -> int:
        key = (method, path)
        cost = self._memo.get(key)
        if cost is None:
            cost = self._lookup(method, path)
            if len(self._memo) > 100_000:
                self._memo.clear()
            self._memo[key] = cost
        return cost

    def _lookup(self, method: str, path: str) -> int:
        lookup_method = "GET" if method == "HEAD" else method
        for regex, methods, template in self.routes:
            if lookup_method in methods and regex.match(path):
                return 0 if template in FREE else ROUTE_COSTS.get(template, 1)
        return 1

    def template(self, method: str, path: str) -> str | None:
        """The route a request reaches (for the tests and the docs)."""
        for regex, methods, template in self.routes:
            if method in methods and regex.match(path):
                return template
        return None


def endpoint_routes(routes: list, prefix: str = "") -> Iterator[tuple[re.Pattern, frozenset[str], str]]:
    """(path regex, methods, path template) of every endpoint, also inside included routers (FastAPI keeps
    those as branches with the router's prefix)."""
    for route in routes:
        if isinstance(route, APIRoute):
            path = prefix + route.path
            yield compile_path(path)[0], frozenset(route.methods), path
        elif hasattr(route, "original_router"):
            yield from endpoint_routes(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Route) and route.methods:  # the app's own: OpenAPI document and docs pages
            yield route.path_regex, frozenset(route.methods), route.path


@dataclass
class _Bucket:
    tokens: float
    updated: float


class ProcessBuckets:
    """Token buckets in this process (one worker, or the fallback while the database cannot be reached)."""

    MAX_CLIENTS = 50_000

    def __init__(self) -> None:
        self.buckets: dict[str, _Bucket] = {}

    def take(self, key: str, cost: int, rate: float, capacity: float) -> float:
        """Take `cost` tokens; 0 when granted, else the seconds until they are there."""
        now = time.monotonic()
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.MAX_CLIENTS:
                self._forget_full(now, capacity / rate)
            bucket = self.buckets[key] = _Bucket(capacity, now)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return 0.0
        return (cost - bucket.tokens) / rate

    def _forget_full(self, now: float, full_after: float) -> None:
        for key in [k for k, b in self.buckets.items() if now - b.updated > full_after]:
            del self.buckets[key]
        if len(self.buckets) >= self.MAX_CLIENTS:
            self.buckets.clear()


# The bucket refilled since its last use (`available`); if it holds `cost`, up to `want` is taken (the request's
# cost plus a lease the worker spends on its own before it asks again), else nothing. `taken` says how much.
AVAILABLE = "least(%(capacity)s, b.tokens + extract(epoch FROM statement_timestamp() - b.updated) * %(rate)s)"
TAKE_SQL = f"""
INSERT INTO rate_bucket AS b (client, tokens, updated, taken)
VALUES (%(client)s, %(capacity)s - least(%(capacity)s, %(want)s), statement_timestamp(), least(%(capacity)s, %(want)s))
ON CONFLICT (client) DO UPDATE SET
    taken = CASE WHEN {AVAILABLE} >= %(cost)s THEN least(%(want)s, {AVAILABLE}) ELSE 0 END,
    tokens = {AVAILABLE} - CASE WHEN {AVAILABLE} >= %(cost)s THEN least(%(want)s, {AVAILABLE}) ELSE 0 END,
    updated = statement_timestamp()
RETURNING taken, tokens"""
# Buckets untouched for longer than a refill are full again: the same as no row.
FORGET_SQL = "DELETE FROM rate_bucket WHERE updated < statement_timestamp() - make_interval(secs => %(seconds)s)"


class DatabaseBuckets:
    """Token buckets in PostgreSQL, shared by every worker process that uses the same database.

    A worker takes a small lease (a twentieth of the burst, at least the request's cost) from its client's bucket
    and spends it on its own; it asks the database again when the lease is spent. The limit thus holds across
    workers up to one lease per worker, and the database is asked about once in twenty requests, not for each;
    a client over its budget is refused from what the last answer said (`refused_here`), not asked about again."""

    RETRY_AFTER_FAILURE_S = 5.0
    FORGET_EVERY_S = 60.0
    LEASE_SHARE = 20

    def __init__(self, engine: Engine):
        # a small pool of its own: a limit check must never wait behind the requests it limits
        self.engine = sa.create_engine(engine.url, pool_size=2, max_overflow=2, pool_timeout=1.0,
                                       pool_pre_ping=True,
                                       connect_args={"connect_timeout": 2, "application_name": "district-monitor-rl",
                                                     "options": "-c statement_timeout=1000"})
        self.fallback = ProcessBuckets()
        self.leases: dict[str, tuple[float, float]] = {}  # key -> (tokens leased, when)
        # key -> (tokens the shared bucket held at the last answer, when): the most it can hold now is that plus
        # the refill (other workers only take), so a request costing more is refused here without asking
        self.known: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()
        self.unavailable_until = 0.0
        self.forgotten_at = time.monotonic()
        self.limiter = anyio.CapacityLimiter(4)

    def take_leased(self, key: str, cost: float, rate: float, capacity: float) -> bool:
        """Spend from this worker's lease if it holds enough (no database round trip); leases expire after the
        time the bucket needs to refill, so that an idle worker's lease does not linger."""
        with self.lock:
            leased, since = self.leases.get(key, (0.0, 0.0))
            if leased >= cost and time.monotonic() - since < capacity / rate:
                self.leases[key] = (leased - cost, since)
                return True
            return False

    def refused_here(self, key: str, cost: float, rate: float, capacity: float) -> float:
        """Seconds to wait if the shared bucket certainly cannot pay `cost` (0 when it may): a client over its
        budget is refused without a database round trip per request (a loop of refused requests cost one
        UPSERT each, in every worker)."""
        with self.lock:
            tokens, when = self.known.get(key, (capacity, 0.0))
        most = min(capacity, tokens + (time.monotonic() - when) * rate)
        return 0.0 if most >= cost else (cost - most) / rate

    def take(self, key: str, cost: float, rate: float, capacity: float) -> float:
        now = time.monotonic()
        if now < self.unavailable_until:
            return self.fallback.take(key, cost, rate, capacity)
        want = max(cost, capacity / self.LEASE_SHARE)
        params = {"client": key, "cost": float(cost), "want": float(want), "rate": rate, "capacity": capacity}
        try:
            with self.engine.connect() as conn:
                taken, tokens = conn.exec_driver_sql(TAKE_SQL, params).one()
                if now - self.forgotten_at > self.FORGET_EVERY_S:
                    self.forgotten_at = now
                    conn.exec_driver_sql(FORGET_SQL, {"seconds": capacity / rate})
                conn.commit()
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            log.warning("rate limit store unavailable (%s); limiting per worker for %.0f s", type(exc).__name__,
                        self.RETRY_AFTER_FAILURE_S)
            self.unavailable_until = now + self.RETRY_AFTER_FAILURE_S
            return self.fallback.take(key, cost, rate, capacity)
        with self.lock:
            self.known[key] = (float(tokens), now)
            if len(self.known) > ProcessBuckets.MAX_CLIENTS:
                self.known.clear()
        if taken <= 0:
            return (cost - tokens) / rate
        with self.lock:
            self.leases[key] = (taken - cost, now)
            if len(self.leases) > ProcessBuckets.MAX_CLIENTS:
                self.leases.clear()
        return 0.0


class RateLimitMiddleware:
    """Charges every request the cost of its route against its client's bucket; 429 + Retry-After when empty."""

    def __init__(self, app: ASGIApp, per_minute: int, burst: int, application: FastAPI,
                 shared_engine: Engine | None = None):
        """Instantiated when the middleware stack is built (at start-up, after the routes were added):
        `application` is the FastAPI app whose routes are priced; `shared_engine` keeps the buckets in its
        database (several workers), else in this process."""
        self.app = app
        self.rate = per_minute / 60.0
        self.burst = max(burst, 1)
        self.costs = RouteCosts(application)
        self.store = DatabaseBuckets(shared_engine) if shared_engine is not None else ProcessBuckets()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.rate <= 0:
            await self.app(scope, receive, send)
            return
        cost = self.costs.cost(scope["method"], scope["path"])
        if cost == 0:
            await self.app(scope, receive, send)
            return
        authenticated = carries_credentials(Headers(scope=scope))
        factor = AUTHENTICATED_FACTOR if authenticated else 1
        client = (scope.get("client") or ("unknown", 0))[0]
        # a bucket per client, kind of caller and budget (changing the budget starts afresh)
        key = f"{client}|{'token' if authenticated else 'anonymous'}|{self.rate * factor:g}|{self.burst * factor}"
        capacity = float(self.burst * factor)
        cost = min(cost, capacity)
        if isinstance(self.store, DatabaseBuckets):
            wait = 0.0
            if not self.store.take_leased(key, cost, self.rate * factor, capacity):
                wait = self.store.refused_here(key, cost, self.rate * factor, capacity)
                if wait == 0.0:
                    wait = await anyio.to_thread.run_sync(self.store.take, key, cost, self.rate * factor, capacity,
                                                          limiter=self.store.limiter)
        else:
            wait = self.store.take(key, cost, self.rate * factor, capacity)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            response = problem_response(
                429, "Too Many Requests",
                f"too many requests from this client (this one costs {cost:g} of {capacity:g} units, refilled at "
                f"{self.rate * factor * 60:g} a minute); try again in {seconds} s (bulk users: use the downloads, "
                "or a token)", instance=scope["path"], headers={"Retry-After": str(seconds)}, cost=cost)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
