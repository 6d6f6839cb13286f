"""Every error as RFC 9457 problem+json; no stack traces or SQL ever reach a client."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
import psycopg
import sqlalchemy as sa
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from fastapi import FastAPI

    from indicators.catalogue import DefinitionError
    from indicators.values import PeriodNotFound

log = logging.getLogger("district_monitor")
PROBLEM_TYPE = "https://district-monitor.invalid/problems/"


class ProblemError(Exception):
    """Raised by routes: becomes a problem+json response with `status`."""

    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers
        self.extra = extra


def not_found(detail: str, **extra: Any) -> ProblemError:
    return ProblemError(404, "Not Found", detail, **extra)


def bad_request(detail: str, **extra: Any) -> ProblemError:
    return ProblemError(400, "Bad Request", detail, **extra)


TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
          406: "Not Acceptable", 408: "Request Timeout", 409: "Conflict", 412: "Precondition Failed",
          413: "Content Too Large",
          415: "Unsupported Media Type", 422: "Unprocessable Content", 429: "Too Many Requests",
          503: "Service Unavailable"}

@dataclass(frozen=True)
class DomainProblem:
    """How one domain exception becomes a problem: its status (fixed or read from the exception), the detail
    (default: the exception's message) and the extra members (e.g. `field`, `available`)."""

    status: int | Callable[[Any], int]
    detail: Callable[[Any], str] = str
    extra: Callable[[Any], dict[str, Any]] = field(default=lambda exc: {})

    def problem(self, exc: Exception) -> ProblemError:
        status = self.status(exc) if callable(self.status) else self.status
        return ProblemError(status, TITLES.get(status, "Bad Request"), self.detail(exc), **self.extra(exc))


def _period_detail(exc: PeriodNotFound) -> str:
    if exc.indicator and exc.level:
        return f"{exc.indicator} has no data on level {exc.level!r} for period {exc.requested!r}"
    return str(exc)


def _definition_status(exc: DefinitionError) -> int:
    return 409 if exc.conflict else 422


def _definition_detail(exc: DefinitionError) -> str:
    if exc.conflict:
        return str(exc)
    return f"invalid indicator definition ({', '.join(sorted({e['field'] for e in exc.errors}))}): {exc}"


# THE error table: every domain exception of geo/ and indicators/ a route may let through, and the problem it
# becomes. Routers raise or let these pass and write no `except` for them; a new domain error is one line here.
@functools.cache
def domain_errors() -> dict[type[Exception], DomainProblem]:
    # The domain modules are imported when the table is first used (the app's start, a failing job), not when
    # this module is: `service.auth` needs ProblemError, and every command-line call imports it; the domain
    # modules pull in pandas and the computing stack, a second of start-up for `district-monitor --help`.
    from geo.aggregation import AggregationInputError
    from geo.levels import UnknownLevel
    from indicators.catalogue import DefinitionError, UnknownIndicator
    from indicators.comparison import ComparisonError
    from indicators.composite import IndexDefinitionError
    from indicators.disclosure import PartitionError
    from indicators.findings import FindingError
    from indicators.import_undo import BatchNotFound, UndoRefused
    from indicators.index_definitions import DefinitionConflict, IndexNotFound
    from indicators.ingest.options import OptionError
    from indicators.input_errors import FieldInputError
    from indicators.report_lifecycle import ReportError
    from indicators.targets import TargetError
    from indicators.templates import TemplateError
    from indicators.values import PeriodNotFound

    return {
        UnknownLevel: DomainProblem(404, extra=lambda e: {"field": "level", "available": e.available}),
        UnknownIndicator: DomainProblem(404, extra=lambda e: {"field": "indicator"}),
        PeriodNotFound: DomainProblem(404, _period_detail,
                                      lambda e: {"available": [p.isoformat() for p in e.available]}),
        AggregationInputError: DomainProblem(lambda e: e.status, extra=lambda e: {"field": e.field, **e.extra}),
        FieldInputError: DomainProblem(lambda e: e.status, extra=lambda e: {"field": e.field, **e.extra}),
        IndexDefinitionError: DomainProblem(422, extra=lambda e: {"field": e.field, "errors": [
            {"field": e.field, "message": e.message}]}),
        IndexNotFound: DomainProblem(404),
        DefinitionConflict: DomainProblem(409),
        DefinitionError: DomainProblem(_definition_status, _definition_detail, lambda e: {
            "errors": e.errors, **({"detail_de": "; ".join(x["message_de"] for x in e.errors if x.get("message_de"))}
                                   if any(x.get("message_de") for x in e.errors) else {})}),
        OptionError: DomainProblem(400, lambda e: f"option {e.field!r}: {e.message}", lambda e: {"field": e.field}),
        PartitionError: DomainProblem(400),
        BatchNotFound: DomainProblem(404),
        UndoRefused: DomainProblem(409),
        TemplateError: DomainProblem(lambda e: e.status, extra=lambda e: {"field": e.errors[0]["field"],
                                                                         "errors": e.errors}),
        ReportError: DomainProblem(lambda e: e.status, extra=lambda e: {"detail_de": e.de, **e.extra}),
        FindingError: DomainProblem(422, extra=lambda e: {"field": e.field, "detail_de": e.de}),
        TargetError: DomainProblem(lambda e: e.status, extra=lambda e: {"field": e.field, "detail_de": e.de}),
        ComparisonError: DomainProblem(lambda e: e.status, extra=lambda e: {"field": e.field, "detail_de": e.de,
                                                                             **e.extra}),
    }


def domain_problem(exc: Exception) -> ProblemError:
    """The problem a domain exception becomes (by the table, most specific class first)."""
    table = domain_errors()
    for cls in type(exc).__mro__:
        if cls in table:
            return table[cls].problem(exc)
    raise KeyError(type(exc).__name__)


# SQLSTATE classes and codes -> (status, title, message for the client, Retry-After seconds).
# The client never sees the database's own message: it may contain SQL or data.
_READ_ONLY = (503, "Service Unavailable", "the database accepts no changes at the moment (read-only for maintenance, "
              "or its disk is full): reading works, this change was not made; try again later", 60)
_UNAVAILABLE = (503, "Service Unavailable", "the database is not reachable; try again shortly", 5)
_SQLSTATES = {
    "25006": _READ_ONLY,  # read_only_sql_transaction
    "53100": _READ_ONLY,  # disk_full
    "53200": (503, "Service Unavailable", "the database is out of memory; try again shortly", 10),
    "53300": (503, "Service Unavailable", "the database has no free connection; try again shortly", 5),
    "57014": (503, "Service Unavailable", "the request took longer than the statement timeout and was cancelled; "
              "narrow it down (bbox, limit, period) or try again later", 5),
    "40001": (503, "Service Unavailable", "a concurrent change got in the way; repeat the request", 1),
    "40P01": (503, "Service Unavailable", "a concurrent change got in the way; repeat the request", 1),
    "23505": (409, "Conflict", "the change conflicts with existing data (it exists already)", None),
    "23503": (409, "Conflict", "the change refers to something that does not exist (or is still referred to)", None),
    "55P03": (503, "Service Unavailable", "the data is locked by a running change; repeat the request", 2),
}
_CLASSES = {
    "08": _UNAVAILABLE,  # connection exception
    "57": _UNAVAILABLE,  # operator intervention: shutdown, restart, crash recovery
    "58": _UNAVAILABLE,  # system error (I/O)
    "22": (400, "Bad Request", "a value in the request is not valid for this resource (wrong type or out of range)",
           None),
}


def database_problem(error: BaseException | None, connection_invalidated: bool) -> tuple[int, str, str, int | None]:
    """What a client is told about a driver error; without a SQLSTATE the connection broke (503)."""
    sqlstate = getattr(error, "sqlstate", None) or ""
    if sqlstate in _SQLSTATES:
        return _SQLSTATES[sqlstate]
    if sqlstate[:2] in _CLASSES:
        return _CLASSES[sqlstate[:2]]
    if connection_invalidated or isinstance(error, (psycopg.OperationalError, psycopg.InterfaceError)):
        return _UNAVAILABLE
    if isinstance(error, psycopg.DataError):  # refused by the driver before it reached the server (e.g. NUL)
        return _CLASSES["22"]
    return (500, "Internal Server Error", "an unexpected error occurred; it has been logged", None)


def problem_body(status: int, title: str, detail: str, instance: str | None = None, **extra: Any) -> dict:
    """The RFC 9457 members of a problem (also kept as the error of a failed background job)."""
    body = {"type": PROBLEM_TYPE + title.lower().replace(" ", "-"), "title": title, "status": status,
            "detail": detail, **({"instance": instance} if instance else {}), **extra}
    # OGC API exception body members (code/description) alongside RFC 9457
    body.setdefault("code", title.replace(" ", ""))
    body.setdefault("description", detail)
    return body


def problem_response(status: int, title: str, detail: str, instance: str | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> Response:
    return Response(orjson.dumps(problem_body(status, title, detail, instance, **extra), default=str),
                    status_code=status, media_type="application/problem+json", headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    # fastapi imported here: this module is also imported by every command-line call (service.auth), which
    # need not load the web framework (0.3 s)
    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> Response:
        return problem_response(exc.status, exc.title, exc.detail, instance=request.url.path, headers=exc.headers,
                                **exc.extra)

    async def _domain(request: Request, exc: Exception) -> Response:
        problem = domain_problem(exc)
        return problem_response(problem.status, problem.title, problem.detail, instance=request.url.path,
                                **problem.extra)

    for domain_error in domain_errors():
        app.add_exception_handler(domain_error, _domain)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        title = TITLES.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no resource at {request.url.path}; the landing page / lists what exists"
        if exc.status_code == 405 and detail == "Method Not Allowed":
            detail = f"{request.method} is not allowed on {request.url.path}; see the Allow header"
        return problem_response(exc.status_code, title, detail, instance=request.url.path,
                                headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"parameter": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]),
                   "in": str(e["loc"][0]), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors)
        return problem_response(400, "Bad Request", detail, instance=request.url.path, errors=errors)

    @app.exception_handler(sa.exc.DBAPIError)
    async def _database(request: Request, exc: sa.exc.DBAPIError) -> Response:
        status, title, detail, retry_after = database_problem(exc.orig, exc.connection_invalidated)
        if status >= 500 and not retry_after:
            log.exception("unexpected database error on %s %s", request.method, request.url.path)
        else:
            log.warning("database error on %s %s: %s", request.method, request.url.path,
                        str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__)
        return problem_response(status, title, detail, instance=request.url.path,
                                headers={"Retry-After": str(retry_after)} if retry_after else None)

    @app.exception_handler(psycopg.Error)
    async def _driver(request: Request, exc: psycopg.Error) -> Response:  # psycopg used without SQLAlchemy
        status, title, detail, retry_after = database_problem(exc, False)
        log.warning("database error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return problem_response(status, title, detail, instance=request.url.path,
                                headers={"Retry-After": str(retry_after)} if retry_after else None)

    @app.exception_handler(sa.exc.DisconnectionError)
    async def _disconnected(request: Request, exc: sa.exc.DisconnectionError) -> Response:  # pool gave up re-pinging
        log.warning("database connection lost on %s %s", request.method, request.url.path)
        status, title, detail, retry_after = _UNAVAILABLE
        return problem_response(status, title, detail, instance=request.url.path,
                                headers={"Retry-After": str(retry_after)})

    @app.exception_handler(sa.exc.TimeoutError)
    async def _pool_exhausted(request: Request, exc: sa.exc.TimeoutError) -> Response:
        log.warning("no free database connection for %s", request.url.path)
        return problem_response(503, "Service Unavailable", "the service is busy; try again shortly",
                                instance=request.url.path, headers={"Retry-After": "2"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(500, "Internal Server Error", "an unexpected error occurred; it has been logged",
                                instance=request.url.path)


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details (with the OGC API exception members code/description).",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "instance": {"type": "string"}, "code": {"type": "string"},
        "description": {"type": "string"},
    },
    "additionalProperties": True,
}
PROBLEM_STATUSES = {400: "The request is malformed (which parameter and why: `detail`, `errors`).",
                    401: "A token is needed, or the token is unknown, expired or revoked.",
                    403: "The token's role may not do this.",
                    404: "No such resource.",
                    405: "Method not allowed.",
                    406: "None of the accepted formats can be served.",
                    409: "The change conflicts with the current state.",
                    413: "The request body is too large.",
                    429: "Too many requests; see Retry-After.",
                    503: "The database is unavailable or refuses changes; see Retry-After."}


def document_problems(app: FastAPI) -> None:
    """Describe the error answers in the OpenAPI document as they are: problem+json for every operation,
    and no FastAPI 422 (validation errors answer 400)."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        for name in ("HTTPValidationError", "ValidationError"):
            schema["components"]["schemas"].pop(name, None)
        problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                responses = operation["responses"]
                responses.pop("422", None)
                for status, description in PROBLEM_STATUSES.items():
                    responses.setdefault(str(status), {"description": description, "content": problem})
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
