"""The audit log: who changed what, when, with the state before and after. Written in the same transaction.

The log is append-only in the database and hash-chained (migration 0012: each entry stores its own hash and
the previous entry's; a trigger draws ids and hashes under a lock on the chain head, so concurrent writers
never fork it). `verify_chain` recomputes the chain and names the first entry that does not fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.import_report import BeforeCommit, ImportReport
from service.auth import Principal
from service.middleware import REQUEST_ID

GENESIS = "0" * 64  # the previous hash of the first entry (migration 0012)


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, default=str).decode()


def record(conn: Connection, principal: Principal, action: str, target_type: str, target_id: str | None,
           before: Any = None, after: Any = None, request_id: str | None = None) -> None:
    """One audit entry; `request_id` defaults to the id of the HTTP request being served (X-Request-ID)."""
    request_id = request_id or REQUEST_ID.get()
    conn.execute(sa.text("""
        INSERT INTO audit_log (actor, role, action, target_type, target_id, before, after, request_id)
        VALUES (:actor, :role, :action, :type, :id, CAST(:before AS jsonb), CAST(:after AS jsonb), :request_id)"""),
        {"actor": principal.name, "role": principal.role, "action": action, "type": target_type, "id": target_id,
         "before": _json(before), "after": _json(after), "request_id": request_id})


def import_audit(principal: Principal, kind: str, options: dict[str, Any]) -> BeforeCommit:
    """The audit record of an import (HTTP, command line, demo), written last inside the import's transaction:
    import and audit commit or fail together."""
    def audit(conn: Connection, report: ImportReport) -> None:
        record(conn, principal, f"import.{kind}", "import_batch", str(report.batch_id),
               after={"file_name": report.file, "sha256": report.sha256, "rows_read": report.rows_read,
                      "rows_written": report.rows_written, "rows_unchanged": report.rows_unchanged,
                      "rows_superseded": report.rows_superseded, "options": options})
    return audit


@dataclass(frozen=True)
class ChainCheck:
    """The result of `verify_chain`: the entries checked, the chain head, and the first entry that breaks it."""

    entries: int
    head: str
    broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(conn: Connection, noted_heads: tuple[str, ...] = ()) -> ChainCheck:
    """Recompute every entry's hash in id order (the chain's order) and compare it, the link to the entry
    before and the chain head with what is stored; the first mismatch is reported. `noted_heads` are chain
    heads written down earlier outside the database: a chain rewritten since no longer contains them."""
    broken = conn.execute(sa.text("""
        SELECT id, changed FROM (
            SELECT id, hash IS DISTINCT FROM audit_entry_hash(id, at, actor, role, action, target_type, target_id,
                                                              before, after, request_id, prev_hash) AS changed,
                   prev_hash IS DISTINCT FROM coalesce(lag(hash) OVER (ORDER BY id), :genesis) AS unlinked
            FROM audit_log) entries
        WHERE changed OR unlinked ORDER BY id LIMIT 1"""), {"genesis": GENESIS}).one_or_none()
    count, last_id, last_hash = conn.execute(sa.text(
        "SELECT count(*), max(id), (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1) FROM audit_log")).one()
    head_id, head_hash, head_entries = conn.execute(sa.text(
        "SELECT last_id, last_hash, entries FROM audit_chain")).one()
    if broken is not None:
        entry, changed = broken
        problem = (f"entry {entry} was changed after it was written: its content no longer matches its hash"
                   if changed else f"entry {entry} does not follow the entry before it: an entry between them was "
                                   "removed, or this one was inserted out of the chain")
        return ChainCheck(count, head_hash, entry, problem)
    if (last_id, last_hash or GENESIS, count) != (head_id, head_hash, head_entries):
        return ChainCheck(count, head_hash, last_id,
                          f"the newest entry is {last_id} of {count}, but the chain head records entry {head_id} "
                          f"of {head_entries}: entries at the end were removed or the head was changed")
    for noted in noted_heads:
        if conn.execute(sa.text("SELECT NOT EXISTS (SELECT 1 FROM audit_log WHERE hash = :h)"),
                        {"h": noted}).scalar_one():
            return ChainCheck(count, head_hash, None, f"the chain no longer contains the head {noted} noted "
                                                      "earlier: it was rewritten since")
    return ChainCheck(count, head_hash)


def list_entries(conn: Connection, limit: int = 100, offset: int = 0, target_type: str | None = None,
                 target_id: str | None = None, actor: str | None = None) -> tuple[list[dict], int]:
    """Newest first, optionally filtered; returns (entries, number matched)."""
    where = """WHERE (CAST(:type AS text) IS NULL OR target_type = :type)
                 AND (CAST(:target AS text) IS NULL OR target_id = :target)
                 AND (CAST(:actor AS text) IS NULL OR actor = :actor)"""
    params = {"type": target_type, "target": target_id, "actor": actor, "limit": limit, "offset": offset}
    rows = conn.execute(sa.text(f"""
        SELECT id, at, actor, role, action, target_type, target_id, before, after, request_id FROM audit_log
        {where} ORDER BY id DESC LIMIT :limit OFFSET :offset"""), params)
    matched = conn.execute(sa.text(f"SELECT count(*) FROM audit_log {where}"), params).scalar_one()
    return [dict(r._mapping) for r in rows], matched
