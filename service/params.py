"""The query parameters routes share, as FastAPI dependencies: level, period, indicator, format and language.

A route names the parameter's type (`level: Level`) and receives a checked value: an unknown level or
indicator raises the domain error (`geo.levels.UnknownLevel`, `indicators.catalogue.UnknownIndicator`), which
the one error table in service/errors.py answers. Defaults come from the data, never from a code written
here: the level a request does not name is the finest level of the loaded boundaries
(`geo.levels.finest_level`). The format parameter `f` lives with the renderers in service/formats.py
(`Format`, `PageFormat`, `offers`) and is re-exported here.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, Query
from sqlalchemy.engine import Connection

from geo.levels import UnknownLevel, finest_level, require_level
from indicators.catalogue import require_indicator
from service.auth import Principal, current_principal
from service.errors import bad_request
from service.formats import Format, PageFormat, offers
from service.http import connection, read_connection

__all__ = ["Format", "PageFormat", "offers", "Level", "OptionalLevel", "PageLevel", "DerivedLevel", "Period",
           "OptionalIndicator", "Lang", "default_level", "parse_date"]

LEVEL_TEXT = "Area level code (GET /collections lists them); default: the finest level of the loaded data."
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL bytes
LevelQuery = Annotated[str | None, Query(max_length=40, pattern=NO_NUL, description=LEVEL_TEXT)]


def default_level(conn: Connection) -> str:
    """The level of a request that names none: the finest loaded level (UnknownLevel if there is none)."""
    code = finest_level(conn)
    if code is None:
        raise UnknownLevel("(default)", [])
    return code


def _level(conn: Annotated[Connection, Depends(connection)], level: LevelQuery = None) -> str:
    if level is None:
        return default_level(conn)
    return require_level(conn, level).code


def _optional_level(conn: Annotated[Connection, Depends(connection)],
                    level: Annotated[str | None, Query(max_length=40, pattern=NO_NUL, description="Area level code; "
                                                       "default: all levels.")] = None) -> str | None:
    return None if level is None else require_level(conn, level).code


def _page_level(conn: Annotated[Connection, Depends(read_connection)], level: LevelQuery = None) -> str:
    """Pages check the level themselves (a friendly German page lists the levels), so only the default here."""
    return default_level(conn) if level is None else level


def _derived_level(conn: Annotated[Connection, Depends(connection)],
                   level: Annotated[str | None, Query(max_length=40, pattern=NO_NUL, description="Area level code; default: the "
                                                     "level above the finest (the first derived one).")] = None
                   ) -> str:
    if level is not None:
        return require_level(conn, level).code
    finest = require_level(conn, default_level(conn))
    return finest.parent_code or finest.code


Level = Annotated[str, Depends(_level)]  # checked; default the finest level
OptionalLevel = Annotated[str | None, Depends(_optional_level)]  # checked if given; None means all levels
PageLevel = Annotated[str, Depends(_page_level)]  # default the finest level; the page checks it
DerivedLevel = Annotated[str, Depends(_derived_level)]  # checked; default the first level derived by roll-up
Period = Annotated[str | None, Query(max_length=40, pattern=NO_NUL, description="Reference date (2020-12-31) or year (2020); "
                                                                "default: the latest.")]


def _indicator(conn: Annotated[Connection, Depends(connection)],
               caller: Annotated[Principal, Depends(current_principal)],
               indicator: Annotated[str | None, Query(max_length=40, pattern=NO_NUL, description="Indicator code, "
                                                                                         "e.g. S1.")] = None
               ) -> str | None:
    if indicator is not None:
        require_indicator(conn, indicator, caller.sees_drafts)
    return indicator


OptionalIndicator = Annotated[str | None, Depends(_indicator)]  # checked (and visible to the caller) if given
Lang = Annotated[Literal["de", "en"], Query(description="Language of names and labels: de (default) or en.")]


def parse_date(text: str | None, field: str) -> date | None:
    """A YYYY-MM-DD text of a query or body member as a date; 400 naming `field` if it is none."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise bad_request(f"{field} {text!r} is not a date: write YYYY-MM-DD", field=field) from None
