"""Liveness (/healthz: the process answers) and readiness (/readyz: the database answers, and whether it
accepts changes). Neither is cached, neither needs a token."""

from fastapi import APIRouter, Request

from service.db import accepts_changes
from service.http import json_response

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz():
    return json_response({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get("/readyz", summary="The database answers (503 while it does not)")
def readyz(request: Request):
    try:
        writable = accepts_changes(request.app.state.engine)
    except Exception:  # any database failure means: not ready
        return json_response({"status": "unavailable", "database": "down"}, status=503,
                             headers={"Retry-After": "5", "Cache-Control": "no-store"})
    return json_response({"status": "ok", "database": "up", "writable": writable},
                         headers={"Cache-Control": "no-store"})
