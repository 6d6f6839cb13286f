"""Releasing database work when its client goes away, and when the service shuts down.

- `ConnectionRegistry` knows every pooled connection that is checked out, and which request checked it out
  (pool checkout/checkin events; the request is carried into worker threads by a context variable).
- `DisconnectGuard` (pure ASGI, GET/HEAD) notices `http.disconnect` while a request is being answered and
  cancels the statements of that request's connections at once (a PostgreSQL cancel request), so the route's
  thread fails fast, its connection goes back to the pool and the thread is free.
- `DatabaseStream` produces a streamed body on one pooled connection, chunk by chunk in worker threads, and
  closes it deterministically: when the client disconnects, stops reading for longer than the send timeout,
  or the server shuts down, the running statement is cancelled, the cursor closed and the connection returned.

Why by hand: Starlette cancels a streamed response on disconnect but leaves a synchronous body generator to
the garbage collector. An abandoned COPY then kept its backend in `ClientWrite`, its pooled connection and
psycopg's connection lock forever, and the pool's finaliser, run by a later collection on the event loop,
blocked the whole process in `rollback` on that lock.

Must not know about routes, SQL or formats.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from typing import Any

import anyio
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from starlette.exceptions import HTTPException
from sqlalchemy.engine import Connection, Engine
from starlette.responses import StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import TITLES, problem_response

log = logging.getLogger("district_monitor.disconnects")
CANCEL_TIMEOUT_S = 5.0
# The connections a request has checked out (pool connection records); None outside a guarded request.
_REQUEST_CONNECTIONS: ContextVar[set | None] = ContextVar("dm_request_connections", default=None)
_REQUEST_KEY = "dm_request_connections"


# Connections the service sent a cancel request for. PostgreSQL may hold a cancel pending (a backend blocked
# writing to its client defers it) and deliver it to the next statement on that connection, which in the pool
# would be another request's: such a connection is not handed out again (ConnectionRegistry._checkout).
_CANCELLED: weakref.WeakSet = weakref.WeakSet()
_CANCELLED_LOCK = threading.Lock()


def cancel_statement(raw: Any) -> None:
    """Ask PostgreSQL to cancel what this psycopg connection is running (nothing happens if it is idle); the
    connection is not used for another request afterwards."""
    if raw is None or raw.closed:
        return
    with _CANCELLED_LOCK:
        _CANCELLED.add(raw)
    try:
        raw.cancel_safe(timeout=CANCEL_TIMEOUT_S)
    except Exception as exc:  # the server may be gone already; nothing left to cancel then
        log.warning("could not cancel a statement (%s)", type(exc).__name__)


def _cancel_all(connections: list) -> None:
    for raw in connections:
        cancel_statement(raw)


class ConnectionRegistry:
    """The checked-out connections of one engine: per request (for disconnects) and all (for shutdown).
    One per engine (`registry_for`), however many apps share the engine."""

    def __init__(self, engine: Engine):
        self._checked_out: set = set()
        self._lock = threading.Lock()
        event.listen(engine, "checkout", self._checkout)
        event.listen(engine, "checkin", self._checkin)

    def _checkout(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        with _CANCELLED_LOCK:
            cancelled = dbapi_connection in _CANCELLED
            _CANCELLED.discard(dbapi_connection)
        if cancelled:  # the pool discards it and checks out (or opens) another one
            raise DisconnectionError("a cancel request may still be pending on this connection")
        with self._lock:
            self._checked_out.add(record)
        request = _REQUEST_CONNECTIONS.get()
        if request is not None:
            request.add(record)
            record.info[_REQUEST_KEY] = request

    def _checkin(self, _dbapi_connection: Any, record: Any) -> None:
        with self._lock:
            self._checked_out.discard(record)
        request = record.info.pop(_REQUEST_KEY, None)
        if request is not None:
            request.discard(record)

    def cancel_everything(self) -> int:
        """Cancel every running statement (shutdown: after the grace period, nothing may wait on a client)."""
        with self._lock:
            connections = [record.dbapi_connection for record in self._checked_out]
        _cancel_all(connections)
        return len(connections)


_REGISTRIES: weakref.WeakKeyDictionary[Engine, ConnectionRegistry] = weakref.WeakKeyDictionary()
_REGISTRIES_LOCK = threading.Lock()


def registry_for(engine: Engine) -> ConnectionRegistry:
    with _REGISTRIES_LOCK:
        if engine not in _REGISTRIES:
            _REGISTRIES[engine] = ConnectionRegistry(engine)
        return _REGISTRIES[engine]


async def cancel_in_thread(connections: list) -> None:
    """Cancel statements from a thread of its own: the cancel request is a blocking network round trip, and the
    shared worker threads may all be busy with the very statements to cancel."""
    if connections:
        await anyio.to_thread.run_sync(_cancel_all, connections, limiter=anyio.CapacityLimiter(1))


class DisconnectGuard:
    """For GET and HEAD: buffers the (empty) request body, then watches the connection; on `http.disconnect`
    before the response is complete, it cancels the statements of the request's connections and tells the
    application (its `receive` returns `http.disconnect`, which stops a streamed response)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        buffered: list[Message] = []
        try:
            while True:  # a GET body is empty or tiny; the body limit and read deadline apply to `receive`
                message = await receive()
                buffered.append(message)
                if message["type"] != "http.request" or not message.get("more_body", False):
                    break
        except HTTPException as refused:  # too large or too slow: answered like the application would
            response = problem_response(refused.status_code, TITLES.get(refused.status_code, "Error"),
                                        str(refused.detail), instance=scope["path"])
            await response(scope, receive, send)
            return
        if buffered[-1]["type"] == "http.disconnect":
            return
        connections: set = set()
        gone = anyio.Event()
        complete = False

        async def app_receive() -> Message:
            if buffered:
                return buffered.pop(0)
            await gone.wait()
            return {"type": "http.disconnect"}

        async def tracking_send(message: Message) -> None:
            nonlocal complete
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                complete = True

        async def watch() -> None:
            message = await receive()
            while message["type"] != "http.disconnect":
                message = await receive()
            if not complete:
                gone.set()
                await cancel_in_thread([record.dbapi_connection for record in list(connections)])

        token = _REQUEST_CONNECTIONS.set(connections)
        try:
            async with anyio.create_task_group() as watcher:
                watcher.start_soon(watch)
                try:
                    await self.app(scope, app_receive, tracking_send)
                finally:
                    watcher.cancel_scope.cancel()
        finally:
            _REQUEST_CONNECTIONS.reset(token)


class DatabaseStream:
    """The chunks `produce(conn)` yields, on one pooled connection of its own, pulled in worker threads.

    Created in the route's thread: the connection is checked out and the first chunk produced there, so a
    database outage becomes a problem answer before any 200 is sent. Iterating it (once) yields the chunks;
    however the iteration ends, the statement is cancelled if unfinished and the connection returned."""

    def __init__(self, engine: Engine, produce: Callable[[Connection], Iterator[bytes]]):
        self._conn = engine.connect()
        self._busy = threading.Lock()  # held while a worker thread advances the generator
        self._closed = False
        self._finished = False
        try:
            self._chunks = produce(self._conn)
            self._first = next(self._chunks, None)
        except BaseException:
            self._conn.close()
            raise

    def _next(self) -> bytes | None:
        with self._busy:
            if self._closed:
                return None
            chunk = next(self._chunks, None)
            if chunk is None:
                self._finished = True
            return chunk

    def _close(self) -> None:
        with self._busy:  # waits for an abandoned `_next` (its statement was cancelled, so it ends soon)
            if self._closed:
                return
            self._closed = True
            try:
                self._chunks.close()
            finally:
                self._conn.close()

    async def aclose(self) -> None:
        """Cancel the statement unless it finished, close the cursor, return the connection. Idempotent."""
        if self._closed:
            return
        with anyio.CancelScope(shield=True):
            if not self._finished:
                await cancel_in_thread([self._conn.connection.driver_connection])
            await anyio.to_thread.run_sync(self._close, limiter=anyio.CapacityLimiter(1))

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        try:
            if self._first is not None:
                yield self._first
            while True:
                chunk = await anyio.to_thread.run_sync(self._next, abandon_on_cancel=True)
                if chunk is None:
                    return
                yield chunk
        finally:
            await self.aclose()


class DatabaseStreamingResponse(StreamingResponse):
    """A streamed response over a `DatabaseStream` that always releases it, also when the body was never sent,
    and gives up on a client that accepts nothing for `send_timeout` seconds (it stopped reading)."""

    def __init__(self, stream: DatabaseStream, send_timeout: float, **kwargs: Any):
        super().__init__(stream, **kwargs)
        self.stream = stream
        self.send_timeout = send_timeout

    async def stream_response(self, send: Send) -> None:
        async def send_or_give_up(message: Message) -> None:
            with anyio.fail_after(self.send_timeout):
                await send(message)

        await super().stream_response(send_or_give_up)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except TimeoutError:
            log.warning("%s: the client accepted nothing for %.0f s; the response was abandoned", scope["path"],
                        self.send_timeout)
        finally:
            await self.stream.aclose()


def database_stream_response(request: Any, engine: Engine, produce: Callable[[Connection], Iterator[bytes]],
                             **kwargs: Any) -> DatabaseStreamingResponse:
    """A streamed response for a route: `produce(conn)` on a connection of `engine`."""
    stream = DatabaseStream(engine, produce)
    return DatabaseStreamingResponse(stream, request.app.state.settings.send_timeout_s, **kwargs)
