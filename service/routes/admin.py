"""Administration API: API tokens and the audit log (admin), confidentiality settings (statistics office).

Every change is audited in the same transaction. A new token is shown once, in the answer to its creation;
the database keeps only its hash.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection
from starlette.responses import Response

from indicators.disclosure import disclosure_summary, list_partitions, set_partition
from indicators.refresh import refresh_after_write
from service.audit import list_entries, record
from service.auth import Principal, create_token, list_tokens, require_role, revoke_token
from service.errors import not_found
from service.http import connection, json_response

router = APIRouter(prefix="/api/admin", tags=["admin"])
Conn = Annotated[Connection, Depends(connection)]
Admin = Annotated[Principal, Depends(require_role("admin"))]
StatisticsOffice = Annotated[Principal, Depends(require_role("statistics_office"))]
TokenId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, description="Who or what uses the token.")
    role: Literal["reader", "editor", "data_steward", "statistics_office", "admin"]
    valid_days: int | None = Field(default=365, ge=1, le=3650, description="Days until it expires; null = never.")


class TokenOut(BaseModel):
    id: int
    name: str
    role: str
    created_at: str
    created_by: str
    expires_at: str | None
    revoked_at: str | None
    last_used_at: str | None


class TokenList(BaseModel):
    tokens: list[TokenOut]
    count: int


class NewToken(TokenOut):
    token: str = Field(description="The token itself: shown only in this answer, store it safely.")


class AuditEntry(BaseModel):
    id: int
    at: str
    actor: str
    role: str
    action: str
    target_type: str
    target_id: str | None
    before: dict | list | str | int | float | bool | None
    after: dict | list | str | int | float | bool | None
    request_id: str | None


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    count: int
    numberMatched: int
    offset: int
    limit: int


class PartitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    total: Code = Field(description="Indicator code of the total, e.g. EW.")
    parts: list[Code] = Field(min_length=2, max_length=200, description="Indicator codes that sum to the total.")


class Partition(BaseModel):
    name: str
    total: str
    parts: list[str]


class SuppressionCount(BaseModel):
    indicator_code: str
    period: date
    level_code: str
    primary: int
    secondary: int


class DisclosureOverview(BaseModel):
    partitions: list[Partition]
    suppressed: list[SuppressionCount]


def _token_out(row: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


@router.get("/tokens", summary="API tokens (never the tokens themselves)", response_model=TokenList)
def tokens(conn: Conn, caller: Admin):
    rows = [_token_out(r) for r in list_tokens(conn)]
    return json_response({"tokens": rows, "count": len(rows)}, headers={"Cache-Control": "no-store"})


@router.post("/tokens", status_code=201, summary="Create a token; the answer shows it once", response_model=NewToken)
def add_token(request: Request, payload: TokenIn, caller: Admin):
    with request.app.state.engine.begin() as conn:
        token_id, token = create_token(conn, payload.name, payload.role, created_by=caller.name,
                                       valid_days=payload.valid_days)
        row = next(r for r in list_tokens(conn) if r["id"] == token_id)
        record(conn, caller, "create", "api_token", str(token_id), None, _token_out(row))
    return json_response({**_token_out(row), "token": token}, status=201,
                         headers={"Cache-Control": "no-store", "Location": f"/api/admin/tokens/{token_id}"})


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke a token at once")
def remove_token(request: Request, token_id: TokenId, caller: Admin):
    with request.app.state.engine.begin() as conn:
        before = next((r for r in list_tokens(conn) if r["id"] == token_id), None)
        if before is None or not revoke_token(conn, token_id):
            raise not_found(f"no active token with id {token_id}")
        after = next(r for r in list_tokens(conn) if r["id"] == token_id)
        record(conn, caller, "revoke", "api_token", str(token_id), _token_out(before), _token_out(after))
    return Response(status_code=204)


@router.get("/audit", summary="The audit log, newest first", response_model=AuditPage)
def audit(conn: Conn, caller: Admin,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100,
          offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
          target_type: Annotated[str | None, Query(max_length=40, description="e.g. note, api_token")] = None,
          target_id: Annotated[str | None, Query(max_length=100)] = None,
          actor: Annotated[str | None, Query(max_length=100)] = None):
    entries, matched = list_entries(conn, limit, offset, target_type, target_id, actor)
    entries = [{**e, "at": e["at"].isoformat()} for e in entries]
    return json_response({"entries": entries, "count": len(entries), "numberMatched": matched, "offset": offset,
                          "limit": limit}, headers={"Cache-Control": "no-store"})


@router.get("/disclosure", summary="Confidentiality: complementary counts and suppressed cells",
            response_model=DisclosureOverview)
def disclosure(conn: Conn, caller: StatisticsOffice):
    return json_response({"partitions": list_partitions(conn), "suppressed": disclosure_summary(conn)},
                         headers={"Cache-Control": "no-store"})


@router.put("/disclosure/partitions/{name}", summary="Declare indicators that sum to a total (statistics office)",
            response_model=Partition)
def put_partition(request: Request, name: Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[a-z0-9_]+$")],
                  payload: PartitionIn, caller: StatisticsOffice):
    with request.app.state.engine.begin() as conn:
        before = next((p for p in list_partitions(conn) if p["name"] == name), None)
        set_partition(conn, name, payload.total, payload.parts)  # a PartitionError answers 400
        refresh_after_write(conn)
        after = next(p for p in list_partitions(conn) if p["name"] == name)
        record(conn, caller, "update" if before else "create", "indicator_partition", name, before, after)
    return json_response(after)
