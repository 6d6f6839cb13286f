"""The audit log: who changed what, when, with the state before and after. Written in the same transaction."""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from service.auth import Principal


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, default=str).decode()


def record(conn: Connection, principal: Principal, action: str, target_type: str, target_id: str | None,
           before: Any = None, after: Any = None, request_id: str | None = None) -> None:
    conn.execute(sa.text("""
        INSERT INTO audit_log (actor, role, action, target_type, target_id, before, after, request_id)
        VALUES (:actor, :role, :action, :type, :id, CAST(:before AS jsonb), CAST(:after AS jsonb), :request_id)"""),
        {"actor": principal.name, "role": principal.role, "action": action, "type": target_type, "id": target_id,
         "before": _json(before), "after": _json(after), "request_id": request_id})


def list_entries(conn: Connection, limit: int = 100, offset: int = 0, target_type: str | None = None) -> list[dict]:
    rows = conn.execute(sa.text("""
        SELECT id, at, actor, role, action, target_type, target_id, before, after, request_id FROM audit_log
        WHERE CAST(:type AS text) IS NULL OR target_type = :type
        ORDER BY id DESC LIMIT :limit OFFSET :offset"""), {"type": target_type, "limit": limit, "offset": offset})
    return [dict(r._mapping) for r in rows]
