"""Routes for exports (filled in by its issue)."""

from fastapi import APIRouter

router = APIRouter()
