"""The data's attribution in every page's footer: the `attribution` of each loaded manifest (dm_setting
`attribution.<name>`), read once per data_version. Publishers and licences come with the data, not the code."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from fastapi import FastAPI


class SiteAttribution:
    def __init__(self, app: FastAPI):
        self.app = app
        self._kept: tuple[int | None, str] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str:
        holder = getattr(self.app.state, "data_version", None)
        version = getattr(holder, "value", None)
        with self._lock:
            if self._kept is not None and version is not None and self._kept[0] == version:
                return self._kept[1]
        with self.app.state.engine.connect() as conn:
            text = conn.execute(sa.text("""
                SELECT coalesce(string_agg(value, ' · ' ORDER BY key), '') FROM dm_setting
                WHERE key LIKE 'attribution.%'""")).scalar_one()
        with self._lock:
            self._kept = (version, text)
        return text
