"""The FastAPI application factory: settings, engine, routers, error handlers, middleware."""

from __future__ import annotations

import gc
import logging
import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine

from service.caching import install_http_caching
from service.db import create_engine
from service.disconnects import DisconnectGuard, registry_for
from service.errors import document_problems, install_error_handlers
from service.middleware import ContentSecurityPolicyMiddleware, install_middleware, tile_origins
from service.jobs import JobRunner
from service.openapi import install_openapi
from service.report_jobs import REPORT_JOBS
from service.routes import integration as integration_routes
from service.routes import (admin, aggregation, comparison, exports, health, imports, indicators, indices,
                            map_geometry, notes, ogc, pages, search, tiles)
from service.routes import import_page
from service.routes import jobs as job_routes
from service.routes import reports as report_routes
from service.routes import session as session_routes
from service.routes import setup as setup_routes
from service.attribution import SiteAttribution
from service.settings import Settings
from web.templates import STATIC_DIR


log = logging.getLogger("district_monitor.app")
_warm_up_started = threading.Event()  # once per process: compiled kernels are shared by every app in it


def start_warm_up() -> None:
    """Compile the cluster analysis' kernels in a daemon thread (indicators.hotspots.warm_up), once per process;
    requests are served meanwhile. A failure only costs the first hot-spot map its compile time."""
    if _warm_up_started.is_set():
        return
    _warm_up_started.set()

    def run() -> None:
        from indicators.hotspots import warm_up

        try:
            warm_up()
        except Exception as exc:  # noqa: BLE001 -- an optimisation; the analysis compiles on first use instead
            log.warning("warming up the cluster analysis failed: %s", exc)

    threading.Thread(target=run, name="warm-up-analyses", daemon=True).start()


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """Build the app; without `engine` it connects to settings.database_url (which must then be set)."""
    owns_engine = engine is None
    if engine is None:
        if not settings.database_url:
            raise ValueError("create_app needs an engine or settings.database_url")
        engine = create_engine(settings.database_url, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.warm_up_analyses:
            start_warm_up()
        if settings.run_jobs:
            app.state.jobs.start()
        yield
        app.state.jobs.stop(settings.shutdown_grace_s)
        app.state.data_version.stop()
        if replica is not None:
            app.state.replica_version.stop()
            registry_for(replica).cancel_everything()
            replica.dispose()
        if owns_engine:  # shutting down after the grace period: no statement may keep the process alive
            registry_for(engine).cancel_everything()
            engine.dispose()

    app = FastAPI(
        title="district-monitor",
        summary="Kleinräumiges Sozial- und Integrationsmonitoring: indicators, indices and maps for small areas.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # service.routes.pages.api_docs: Swagger UI from /static, not from a CDN
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    # public reads from a streaming replica, if one is configured (service.http.read_engine)
    replica = create_engine(settings.replica_url, settings) if settings.replica_url else None
    app.state.replica_engine = replica
    for known in (engine, replica) if replica is not None else (engine,):
        registry_for(known)  # from now on, every checkout is known (cancelled on disconnect and at shutdown)
    app.state.jobs = JobRunner(engine, settings, REPORT_JOBS)  # report PDFs and publications with progress
    app.state.site_attribution = SiteAttribution(app)  # the footer's publishers and licences, from the data
    install_error_handlers(app)
    # inside gzip: it reads each page as written; outside it the ETag cache replays the policy with a 304
    app.add_middleware(ContentSecurityPolicyMiddleware, image_origins=tile_origins(settings.map_tiles))
    # level 4: the 380 KB explorer page of the Gemeinden in 6 ms, 5 % larger than level 5 in 11.6 ms (9: 3x, 2 % less)
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=4)
    app.add_middleware(DisconnectGuard)  # a client that goes away cancels its statements
    install_http_caching(app, engine, settings.response_cache_mb << 20, replica)  # outside gzip and routing: 304s and
    # cached answers skip both
    install_middleware(app, settings, engine)  # request ids, security headers, CORS, rate and body limits
    document_problems(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in (health.router, ogc.router, indicators.router, imports.router, indices.router, tiles.router,
                   exports.router, aggregation.router, notes.router, admin.router, pages.router, map_geometry.router,
                   search.router, setup_routes.router, session_routes.router, import_page.router, report_routes.router,
                   job_routes.router, integration_routes.router, comparison.router):
        app.include_router(router)
    install_openapi(app)  # per-collection paths with their queryables, media type of OpenAPI 3.1
    return app


def app_from_environment() -> FastAPI:
    """The app of one worker process of `district-monitor serve` (uvicorn factory): settings and DATABASE_URL
    from the environment, an engine of its own. Settings are read afresh: `serve` sets DATABASE_URL (the
    embedded cluster it started) after it read the settings once, in this very process when it runs one worker."""
    app = create_app(Settings())
    settle_worker()
    return app


def settle_worker() -> None:
    """Keeps what a worker has built before its first request (the modules, the app, its routes and schemas:
    some 225,000 objects) out of the sight of Python's cycle collector, which visited all of them on every full
    collection: 0.13 s of some request's time, many times an hour. Collected first, so that no garbage is kept;
    once per worker process (a test process creates many apps and does not call this)."""
    gc.collect()
    gc.freeze()
