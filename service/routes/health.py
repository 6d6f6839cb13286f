"""Liveness (/healthz: the process) and readiness (/readyz: the database)."""

from fastapi import APIRouter, Request
from sqlalchemy import text

from service.http import json_response

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz():
    return json_response({"status": "ok"})


@router.get("/readyz", summary="The database answers")
def readyz(request: Request):
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # any database failure means: not ready
        return json_response({"status": "unavailable", "database": "down"}, status=503, headers={"Retry-After": "5"})
    return json_response({"status": "ok", "database": "up"})
