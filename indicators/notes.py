"""Editors' notes: qualitative knowledge about an area (findings, events, programmes) kept next to the numbers.

The monitoring "Dreiklang" (data, reporting, interpretation) needs the interpretation stored where the
data is. Notes are plain text: this module never interprets or sanitises markup, pages escape it on output.
Deleting a note sets `deleted_at` (the audit log keeps its content). No HTTP, no rendering here.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

NOTE_KINDS = {
    "finding": ("Befund", "finding"),
    "event": ("Ereignis", "event"),
    "programme": ("Programm", "programme"),
}
NOTE_COLUMNS = "id, level_code AS level, area_key, period, kind, title, body, author, created_at, updated_at"


def list_notes(conn: Connection, level: str | None = None, area_key: str | None = None,
               period: date | None = None, include_undated: bool = True, limit: int = 500) -> list[dict]:
    """Live notes, newest first; filtered by level, area and period (undated notes match every period
    unless `include_undated` is false)."""
    rows = conn.execute(sa.text(f"""
        SELECT {NOTE_COLUMNS} FROM note
        WHERE deleted_at IS NULL
          AND (CAST(:level AS text) IS NULL OR level_code = :level)
          AND (CAST(:key AS text) IS NULL OR area_key = :key)
          AND (CAST(:period AS date) IS NULL OR period = :period OR (:undated AND period IS NULL))
        ORDER BY coalesce(period, created_at::date) DESC, id DESC
        LIMIT :limit"""),
        {"level": level, "key": area_key, "period": period, "undated": include_undated, "limit": limit})
    return [dict(r._mapping) for r in rows]


def get_note(conn: Connection, note_id: int) -> dict | None:
    row = conn.execute(sa.text(f"SELECT {NOTE_COLUMNS} FROM note WHERE id = :id AND deleted_at IS NULL"),
                       {"id": note_id}).one_or_none()
    return None if row is None else dict(row._mapping)


def create_note(conn: Connection, *, level: str, area_key: str, title: str, body: str, author: str,
                kind: str = "finding", period: date | None = None) -> dict:
    row = conn.execute(sa.text(f"""
        INSERT INTO note (level_code, area_key, period, kind, title, body, author)
        VALUES (:level, :key, :period, :kind, :title, :body, :author)
        RETURNING {NOTE_COLUMNS}"""),
        {"level": level, "key": area_key, "period": period, "kind": kind, "title": title, "body": body,
         "author": author}).one()
    return dict(row._mapping)


def update_note(conn: Connection, note_id: int, changes: dict) -> dict | None:
    """Change title, body, kind or period of a live note; returns the new state (None if there is no such note)."""
    allowed = {k: v for k, v in changes.items() if k in ("title", "body", "kind", "period")}
    if not allowed:
        return get_note(conn, note_id)
    assignments = ", ".join(f"{column} = :{column}" for column in allowed)  # column names from the fixed list above
    row = conn.execute(sa.text(f"""
        UPDATE note SET {assignments}, updated_at = now()
        WHERE id = :id AND deleted_at IS NULL
        RETURNING {NOTE_COLUMNS}"""), {**allowed, "id": note_id}).one_or_none()
    return None if row is None else dict(row._mapping)


def delete_note(conn: Connection, note_id: int) -> bool:
    return conn.execute(sa.text("UPDATE note SET deleted_at = now() WHERE id = :id AND deleted_at IS NULL"),
                        {"id": note_id}).rowcount == 1
