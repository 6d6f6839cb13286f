"""The HTTP/1.1 connection protocol `district-monitor serve` runs: uvicorn's httptools protocol plus a header
timeout and a cap of open connections per client address.

Why by hand: uvicorn times out idle keep-alive connections, but not a connection that never completes its
request headers (slowloris: thousands of half-open connections exhausted the file descriptors and new clients
failed). `limit_concurrency` alone would only turn the flood into 503s for everyone. Here every connection
must complete its headers within `DM_HEADER_TIMEOUT_S` (from connecting, and from the first byte of each
further request), and one client address may hold at most `DM_MAX_CONNECTIONS_PER_CLIENT` connections per
worker; above that, new connections from that address are closed at once, so other clients are still served.

Behind a reverse proxy every connection comes from the proxy's address: there set the cap to 0 and let the
proxy limit connections per client. Must not know about the application.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service.settings import get_settings


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a request-header deadline and a per-address connection cap."""

    open_per_client: Counter = Counter()  # per worker process (the event loop is single-threaded)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.header_timeout = settings.header_timeout_s
        self.max_per_client = settings.max_connections_per_client
        self.header_deadline: asyncio.TimerHandle | None = None
        self.counted: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        address = self.client[0] if self.client else ""
        if self.max_per_client and self.open_per_client[address] >= self.max_per_client:
            transport.close()  # connection_lost follows and undoes connection_made
            return
        self.open_per_client[address] += 1
        self.counted = address
        self._arm_header_deadline()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.header_deadline is None:  # the next request on a kept-alive connection
            self._arm_header_deadline()

    def on_headers_complete(self) -> None:
        self._disarm_header_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        if self.counted is not None:
            self.open_per_client[self.counted] -= 1
            if self.open_per_client[self.counted] <= 0:
                del self.open_per_client[self.counted]
            self.counted = None
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        if self.header_timeout > 0:
            self.header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm_header_deadline(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def _headers_too_slow(self) -> None:
        self.header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()
