"""Editors' notes API: read for everyone, write for editors and above (audited in the same transaction).

Notes are stored as the plain text that was sent; every page escapes them when it shows them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection
from starlette.responses import Response

from geo.areas import find_areas
from geo.levels import get_level, list_levels
from indicators.notes import create_note, delete_note, get_note, list_notes, update_note
from service.audit import record
from service.auth import Principal, require_role
from service.errors import bad_request, not_found
from service.http import base_url, connection, json_response
from service.params import NO_NUL, OptionalLevel

router = APIRouter(prefix="/api/notes", tags=["notes"])
Conn = Annotated[Connection, Depends(connection)]
Editor = Annotated[Principal, Depends(require_role("editor"))]
Kind = Literal["finding", "event", "programme"]
NoteId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: str = Field(min_length=1, max_length=40, pattern=NO_NUL, description="Area level code, e.g. plr.")
    area_key: str = Field(min_length=1, max_length=40, pattern=NO_NUL, description="Key of the area on that level.")
    title: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    body: str = Field(min_length=1, max_length=20_000, pattern=NO_NUL,
                      description="Plain text; shown escaped, never as HTML.")
    kind: Kind = "finding"
    period: date | None = Field(default=None, description="Reference date the note belongs to, if any.")


class NoteChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=200, pattern=NO_NUL)
    body: str | None = Field(default=None, min_length=1, max_length=20_000, pattern=NO_NUL)
    kind: Kind | None = None
    period: date | None = None


def _with_links(request: Request, note: dict) -> dict:
    base = base_url(request)
    return {**note, "links": [
        {"href": f"{base}/api/notes/{note['id']}", "rel": "self", "type": "application/json"},
        {"href": f"{base}/areas/{note['level']}/{note['area_key']}", "rel": "related", "type": "text/html",
         "title": "Quartiersprofil"},
    ]}


@router.get("", summary="Editors' notes, filtered by area and period")
def notes(request: Request, conn: Conn, level: OptionalLevel,
          area_key: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
          period: Annotated[date | None, Query(description="Notes of this period and undated notes.")] = None):
    items = [_with_links(request, n) for n in list_notes(conn, level, area_key, period)]
    return json_response({"notes": items, "count": len(items)})


@router.get("/{note_id}", summary="One note")
def note(request: Request, conn: Conn, note_id: NoteId):
    found = get_note(conn, note_id)
    if found is None:
        raise not_found(f"no note with id {note_id}")
    return json_response(_with_links(request, found))


@router.post("", status_code=201, summary="Write a note (editor)")
def add_note(request: Request, payload: NoteIn, caller: Editor):
    with request.app.state.engine.begin() as conn:
        if get_level(conn, payload.level) is None:
            raise bad_request(f"unknown level {payload.level!r}", available=[lv.code for lv in list_levels(conn)])
        if not find_areas(conn, payload.area_key, payload.level):
            raise bad_request(f"there is no area {payload.area_key!r} on level {payload.level!r}")
        created = create_note(conn, **payload.model_dump(), author=caller.name)
        record(conn, caller, "create", "note", str(created["id"]), None, created)
    body = _with_links(request, created)
    return json_response(body, status=201, headers={"Location": body["links"][0]["href"]})


@router.put("/{note_id}", summary="Change a note (editor)")
def change_note(request: Request, note_id: NoteId, payload: NoteChange, caller: Editor):
    changes = payload.model_dump(exclude_unset=True)
    if any(changes.get(k) is None for k in ("title", "body", "kind") if k in changes):
        raise bad_request("title, body and kind cannot be emptied; leave them out to keep them")
    with request.app.state.engine.begin() as conn:
        before = get_note(conn, note_id)
        if before is None:
            raise not_found(f"no note with id {note_id}")
        after = update_note(conn, note_id, changes)
        record(conn, caller, "update", "note", str(note_id), before, after)
    return json_response(_with_links(request, after))


@router.delete("/{note_id}", status_code=204, summary="Delete a note (editor)")
def remove_note(request: Request, note_id: NoteId, caller: Editor):
    with request.app.state.engine.begin() as conn:
        before = get_note(conn, note_id)
        if before is None or not delete_note(conn, note_id):
            raise not_found(f"no note with id {note_id}")
        record(conn, caller, "delete", "note", str(note_id), before, None)
    return Response(status_code=204)
