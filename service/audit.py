"""The audit log: who changed what, when, with the state before and after. Written in the same transaction."""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from service.auth import Principal
from service.middleware import REQUEST_ID


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
