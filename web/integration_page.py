"""The integration office's start page (`/integration`): what the service can say about integration with the
data loaded, as links to the pages that say it. Segregation for every population group the catalogue declares
(its part of a whole: docs/integration.md §5) on the finest level holding it, grouped by the level its maps
outline; the area types of every level that has some; the coverage of every shipped indicator set. The links
come from the data, never from one city's codes."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy.engine import Connection

from geo.levels import grouping_level, list_levels
from indicators.catalogue import indicators_with_values, list_groups, list_indicators
from indicators.templates import list_templates
from indicators.typology import default_period
from web.i18n import localised_name


def overview(conn: Connection, lang: str, unsuppressed: bool = False) -> dict:
    """The page's sections: `segregation` (per declared group part with values: names and the page's link),
    `types` (levels with area types), `templates` (each set's coverage page), `groups` (the declared groups)."""
    levels = list_levels(conn)  # finest first
    names = {i["code"]: localised_name(i, lang) for i in list_indicators(conn, published_only=not unsuppressed)}
    segregation = []
    groups = list_groups(conn)
    # which counts have values on each level: one query per level, asked only when a group is declared
    with_values = {lv.code: indicators_with_values(conn, lv.code, unsuppressed) for lv in levels} if groups else {}
    for group in groups:
        for part in group["parts"]:
            code, whole = part["indicator"], part["group_of"]
            if code not in names or whole not in names:
                continue  # an unpublished count: not on a reader's page
            level = next((lv for lv in levels if {code, whole} <= with_values[lv.code]), None)
            if level is None:
                continue
            within = grouping_level(conn, level.code)
            query = {"groups": code, "total": whole, "level": level.code, "period": "all",
                     **({"within": within.code} if within else {}), "f": "html"}
            segregation.append({"group": group["name_en" if lang == "en" else "name_de"], "code": code,
                                "name": names[code], "whole": names[whole],
                                "level": _in_sentence(level.name(lang), lang),
                                "within": _in_sentence(within.name(lang), lang) if within else None,
                                "href": "/api/segregation?" + urlencode(query)})
    types = [{"level": lv.plural(lang), "href": "/api/typology?" + urlencode({"level": lv.code, "f": "html"})}
             for lv in levels if lv.parent_code is not None and default_period(conn, lv.code, unsuppressed)]
    templates = [{"title": t.title_en if lang == "en" else t.title_de, "publisher": t.publisher,
                  "indicators": len(t.indicators),
                  "href": f"/api/templates/{t.template}/coverage?f=html"} for t in list_templates()]
    return {"segregation": segregation, "types": types, "templates": templates, "groups": groups}


def _in_sentence(name: str, lang: str) -> str:
    """A level's name inside a sentence: German nouns keep their capital, English ones lose it."""
    return name.lower() if lang == "en" else name
