"""Comparison groups API (`indicators.comparison`): read for everyone, write for editors and above (audited in
the same transaction). A profile ranks its area within a group with `/areas/{level}/{key}?group={id}`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection
from starlette.responses import Response

from indicators.comparison import (GROUP_ID_PATTERN, MAX_GROUP_AREAS, delete_group, find_group, get_group,
                                   list_groups, save_group)
from service.audit import record
from service.auth import Principal, require_role
from service.http import base_url, connection, json_response
from service.params import NO_NUL, OptionalLevel

router = APIRouter(prefix="/api/comparison-groups", tags=["comparison"])
Conn = Annotated[Connection, Depends(connection)]
Editor = Annotated[Principal, Depends(require_role("editor"))]
GroupId = Annotated[str, Path(pattern=GROUP_ID_PATTERN, description="The group's id (lower-case letters, digits, "
                                                                    "'-', '_').")]


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: str = Field(min_length=1, max_length=40, pattern=NO_NUL, description="Level code of the areas.")
    name_de: str = Field(min_length=1, max_length=200, pattern=NO_NUL, description="German name, e.g. "
                                                                                 "'Vergleichsring Mittelstädte'.")
    name_en: str | None = Field(default=None, min_length=1, max_length=200, pattern=NO_NUL)
    area_keys: list[Annotated[str, Field(min_length=1, max_length=40, pattern=NO_NUL)]] | None = Field(
        default=None, min_length=2, max_length=MAX_GROUP_AREAS, description="Keys of current areas of the level "
                                                                            "(or same_attribute).")
    same_attribute: str | None = Field(
        default=None, min_length=1, max_length=100, pattern=NO_NUL,
        description="Instead of area_keys: the areas of the level whose value of this attribute of the boundary "
                    "file equals the profiled area's (its type, e.g. VG5000's BEZ).")


def _with_links(request: Request, group: dict) -> dict:
    base = base_url(request)
    return {**group, "links": [
        {"href": f"{base}/api/comparison-groups/{group['id']}", "rel": "self", "type": "application/json"}]}


@router.get("", summary="Comparison groups, optionally of one level")
def groups(request: Request, conn: Conn, level: OptionalLevel):
    items = [_with_links(request, g.as_dict()) for g in list_groups(conn, level)]
    return json_response({"groups": items, "count": len(items)})


@router.get("/{group_id}", summary="One comparison group")
def group(request: Request, conn: Conn, group_id: GroupId):
    return json_response(_with_links(request, get_group(conn, group_id).as_dict()))


@router.put("/{group_id}", summary="Create or replace a comparison group (editor)")
def put_group(request: Request, group_id: GroupId, payload: GroupIn, caller: Editor):
    with request.app.state.engine.begin() as conn:
        found = find_group(conn, group_id)
        before = None if found is None else found.as_dict()
        saved = save_group(conn, group_id, payload.level, payload.name_de, payload.name_en, payload.area_keys,
                           caller.name, same_attribute=payload.same_attribute).as_dict()
        record(conn, caller, "update" if before else "create", "comparison_group", group_id, before, saved)
    return json_response(_with_links(request, saved), status=200 if before else 201)


@router.delete("/{group_id}", status_code=204, summary="Delete a comparison group (editor)")
def remove_group(request: Request, group_id: GroupId, caller: Editor):
    with request.app.state.engine.begin() as conn:
        removed = delete_group(conn, group_id)
        record(conn, caller, "delete", "comparison_group", group_id, removed.as_dict(), None)
    return Response(status_code=204)
