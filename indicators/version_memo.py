"""Answers of metadata queries (the periods of a level, the indicators with values on it, the boundary version
a period is drawn on) kept per database and data_version.

Each of them scans a level's observations (100-300 ms with the Berlin history or the 10,997 Gemeinden), and a map
page asks them several times, while their answer changes only with the data. Every write that could change it
bumps `dm_setting.data_version` in its own transaction (the triggers of service/migrations; the HTTP caches of
service/caching.py rely on the same number), so an answer read at a version stays the answer at that version.

The version is read before the answer, by the caller's connection: an answer read after a newer commit is only
ever newer than its version says. A transaction that has written (its own uncommitted version, which a rollback
would give to another write) neither reads nor keeps answers here.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

T = TypeVar("T")


class VersionMemo:
    """Answers kept per database and data_version, the least recently used dropped first beyond `kept`."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self._answers: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, conn: Connection, key: tuple, compute: Callable[[], T]) -> T:
        """`compute()`, or a copy of its answer for `key` at this database's current data_version."""
        version, database, written = conn.execute(STATE_SQL).one()
        if version is None or written:
            return compute()
        full = (conn.engine.url.render_as_string(hide_password=True), database, version, *key)
        with self._lock:
            if full in self._answers:
                self._answers.move_to_end(full)
                return copy.copy(self._answers[full])
        answer = compute()
        with self._lock:
            self._answers[full] = copy.copy(answer)
            while len(self._answers) > self.kept:
                self._answers.popitem(last=False)
        return answer


# the data_version, this database (a database dropped and created again under the same name gets another oid)
# and whether this transaction has written
STATE_SQL = sa.text("""
    SELECT (SELECT value FROM dm_setting WHERE key = 'data_version'),
           (SELECT oid FROM pg_database WHERE datname = current_database()),
           txid_current_if_assigned() IS NOT NULL""")
METADATA = VersionMemo(kept=1024)  # answers per worker (each is a few dates or codes)


def per_data_version(conn: Connection, key: tuple, compute: Callable[[], T]) -> T:
    """`compute()`, or a copy of its answer for `key` at this database's current data_version (METADATA)."""
    return METADATA.get(conn, key, compute)
