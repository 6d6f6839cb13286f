"""Composite-index results as pages need them (classes, attention areas, explanations), read through
`indicators.index_results`. Every function answers "nothing" when an index has no results for a level and
period, so maps, profiles and reports show what exists.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Connection

from indicators import index_results
from indicators.index_definitions import list_definitions
from indicators.index_results import AreaIndexResult
from web.i18n import localised_name


def available(conn: Connection) -> list[dict]:
    """Published index definitions: id, name_de, name_en, method."""
    return [{"id": d.id, "name_de": d.name_de, "name_en": d.name_en, "method": d.method}
            for d in list_definitions(conn) if d.published]


def name(conn: Connection, index_id: str, lang: str = "de") -> str | None:
    """The index's name in `lang` (English where the definition has one)."""
    return next((localised_name(d, lang) for d in available(conn) if d["id"] == index_id), None)


def periods(conn: Connection, index_id: str, level: str) -> list[date]:
    """Periods with results on a level, newest first."""
    return sorted(index_results.list_index_periods(conn, index_id, level), reverse=True)


def results(conn: Connection, index_id: str, level: str, period: date) -> dict[str, dict]:
    """key -> result (value, class, class_label_de, participating, reason, attention); {} without a run."""
    if period not in periods(conn, index_id, level):
        return {}
    return {r["key"]: r for r in index_results.results(conn, index_id, level, period)}


def attention(conn: Connection, index_id: str, level: str, period: date) -> list[dict]:
    """Areas with "besonderer Aufmerksamkeitsbedarf" under this index, level and period ([] without a run)."""
    if period not in periods(conn, index_id, level):
        return []
    return list(index_results.attention_areas(conn, index_id, level, period))


def explain(conn: Connection, index_id: str, area_key: str, level: str, period: date,
            unsuppressed: bool) -> dict | None:
    """How the area's class came about (inputs, z-values, contributions, sums, components), with the numbers of
    unpublished or hidden inputs withheld unless `unsuppressed`; None if not computed."""
    try:
        return index_results.explain(conn, index_id, area_key, level, period, unsuppressed)
    except LookupError:
        return None


def for_area(conn: Connection, level: str, area_key: str, unsuppressed: bool) -> list[AreaIndexResult]:
    """The latest result of every published index for one area, with its explanation as the caller may see it
    (reads the area's rows only, in a few queries)."""
    return index_results.area_index_results(conn, level, area_key, unsuppressed)
