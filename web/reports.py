"""The integration report ("Integrationsbericht") for one period: city summary, maps per topic
(Handlungsfeld), attention areas and their changes since the previous period, profiles of selected
areas, editors' notes and the indicator definitions as an appendix. HTML for the browser, A4 PDF for print.

`integration_report` assembles the data (the JSON twin) through `geo` and `indicators`; `report_maps`
draws the static maps (SVG); `web.report_document` writes the document. This module runs no SQL of its own.
"""

from __future__ import annotations

import math
import statistics
import warnings
from datetime import UTC, date, datetime
from html import escape

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.area_list import list_areas
from geo.areas import area_sizes
from geo.features import area_features
from geo.levels import Level, grouping_chain, grouping_level, list_levels
from geo.levels import finest_level as loaded_finest_level
from indicators.catalogue import list_indicators, list_periods
from indicators.classify import classify
from indicators.editions import previous_edition_classes
from indicators.notation import format_day
from indicators.notes import NOTE_KINDS, list_notes
from indicators.observation_source import observation_source
from indicators.standing import level_period_values
from indicators.values import boundary_date_for
from web import indices
from web.charts import data_uri
from web.explorer import density_unit
from web.i18n import N_, localised_name, translator
from web.maps import MISSING_COLOUR, palette
from web.profiles import Missing, area_profile, find_profile_area
from web.values import decimals_for

REPORT_GEOMETRY = {"simplify_m": 40.0, "precision": 4}  # the Gesamtindex map, 15 cm wide: 40 m is 0.15 mm
SMALL_MAP_UNITS = 320.0  # the maps per topic, 8 cm wide: one unit of the drawing is 0.25 mm
OUTLINE_GEOMETRY = {"simplify_m": 40.0, "precision": 4}
DEFAULT_PROFILES = 3
ATTENTION_TERM = ("Gebiete mit besonderem Aufmerksamkeitsbedarf", "Areas requiring special attention")


def parent_names(conn: Connection, level: str) -> dict[str, str]:
    """key -> name of the area's ancestor on the grouping level (geo.levels.grouping_chain), walked up by parent
    keys; {} when the level has no such ancestor."""
    chain = [lv.code for lv in grouping_chain(conn, level)]
    if len(chain) < 2:
        return {}
    lookup = {code: {a["key"]: a for a in list_areas(conn, code)} for code in chain}
    result = {}
    for key in lookup[level]:
        current = key
        for code in chain[:-1]:
            current = lookup[code].get(current, {}).get("parent_key")
            if current is None:
                break
        if current is not None and current in lookup[chain[-1]]:
            result[key] = lookup[chain[-1]][current]["name"]
    return result


def sentences(*parts: str | None) -> str:
    """Parts joined as sentences: each ends with exactly one full stop (no "..", none added after "?" or "!")."""
    out = []
    for part in parts:
        text = (part or "").strip()
        if not text:
            continue
        text = text.rstrip(".").rstrip() if text.endswith(".") and not text.endswith("...") else text
        out.append(text if text[-1] in "?!…" else text + ".")
    return " ".join(out)


def _level_names(level: Level | None) -> dict | None:
    return None if level is None else {"code": level.code, "name_de": level.name_de, "name_en": level.name_en}


def finest_level(conn: Connection) -> Level:
    """The level a report is about: the finest level of the loaded data (`geo.levels.finest_level`, the one
    definition: the lowest rank among levels with areas), as a Level."""
    code = loaded_finest_level(conn)
    return next(lv for lv in list_levels(conn) if lv.code == code)


def report_periods(conn: Connection, unsuppressed: bool) -> list[date]:
    return list_periods(conn, finest_level(conn).code, None, unsuppressed)


def _previous_period(conn: Connection, level: str, period: date, codes: set[str], earlier: list[date],
                     unsuppressed: bool) -> date | None:
    """The latest earlier period that holds at least half of this report's indicators: the previous edition (a
    half-yearly register count between two MSS editions is not the report's previous period)."""
    if not codes or not earlier:
        return None
    counts = dict(conn.execute(sa.text(f"""
        SELECT o.period, count(DISTINCT o.indicator_code) FROM {observation_source(unsuppressed)} o
        JOIN area a ON a.id = o.area_id AND a.level_code = :level
        WHERE o.indicator_code = ANY(:codes) AND o.period < :period AND o.value IS NOT NULL
        GROUP BY o.period"""), {"level": level, "codes": sorted(codes), "period": period}).all())
    return next((p for p in earlier if 2 * counts.get(p, 0) >= len(codes)), None)


def resolve_report_period(conn: Connection, text: str, unsuppressed: bool, lang: str = "de") -> date | Missing:
    """The period a report's URL names ("2020-12-31" or "2020"), or what exists instead, said in `lang`."""
    available = report_periods(conn, unsuppressed)
    wanted = None
    if len(text) == 4 and text.isdigit():
        wanted = next((p for p in available if p.year == int(text)), None)
    else:
        try:
            wanted = date.fromisoformat(text)
        except ValueError:
            wanted = None
        if wanted not in available:
            wanted = None
    if wanted is None:
        _ = translator(lang)
        return Missing(_("Für den Zeitpunkt „%(period)s“ gibt es keinen Bericht: es liegen keine Daten vor.")
                       % {"period": text},
                       [(_("Bericht zum %(date)s") % {"date": format_day(p, lang)}, f"/reports/{p.isoformat()}")
                        for p in available])
    return wanted


def integration_report(conn: Connection, period: date, unsuppressed: bool,
                       selected: list[str] | None = None) -> dict:
    """Everything the report shows, as plain data (the JSON twin). `selected`: keys of the areas to profile
    (default: the attention areas with the highest index values, else the areas with the highest value of
    the first status indicator)."""
    level = finest_level(conn)
    levels = {lv.code: lv for lv in list_levels(conn)}
    top = max(levels.values(), key=lambda lv: lv.rank)
    available = report_periods(conn, unsuppressed)
    values = pd.DataFrame(level_period_values(conn, level.code, period, unsuppressed))
    present = set(values["indicator"]) if not values.empty else set()
    previous = _previous_period(conn, level.code, period, present, [p for p in available if p < period],
                                unsuppressed)
    city_values = pd.DataFrame(level_period_values(conn, top.code, period, unsuppressed))
    catalogue = [i for i in list_indicators(conn) if i["code"] in present]
    by_indicator = dict(tuple(values.groupby("indicator"))) if not values.empty else {}
    summary = []
    for indicator in catalogue:
        rows = by_indicator[indicator["code"]]
        observed = rows["value"].dropna().astype(float)
        city = city_values[city_values["indicator"] == indicator["code"]]["value"] if not city_values.empty else []
        summary.append({
            "code": indicator["code"], "name_de": indicator["name_de"], "name_en": indicator["name_en"],
            "unit": indicator["unit"], "topic": indicator["topic_code"], "topic_name_de": indicator["topic_name_de"],
            "topic_name_en": indicator["topic_name_en"],
            "city_value": None if len(city) == 0 or pd.isna(city.iloc[0]) else float(city.iloc[0]),
            "areas": len(rows), "missing": int(rows["value"].isna().sum()),
            "min": float(observed.min()) if len(observed) else None,
            "median": float(statistics.median(observed)) if len(observed) else None,
            "max": float(observed.max()) if len(observed) else None,
            "total": float(observed.sum()) if indicator["kind"] == "count" and len(observed) else None,
        })
    attention = _attention_changes(conn, level.code, period)
    keys = selected if selected is not None else _default_selection(attention, values, catalogue)
    profiles = []
    index_names = {ix["id"]: ix for ix in indices.available(conn)}
    for key in keys:
        area = find_profile_area(conn, level.code, key)
        if not isinstance(area, Missing):
            profiles.append(_profile_digest(area_profile(conn, area, unsuppressed, typology=False), period,
                                            index_names))
    notes = list_notes(conn, period=period)
    area_names = {(lv, a["key"]): a["name"] for lv in {n["level"] for n in notes} for a in list_areas(conn, lv)}
    return {
        "period": period, "previous_period": previous,
        "level": {"code": level.code, "name_de": level.plural_de, "name_en": level.plural_en},
        "grouping_level": _level_names(grouping_level(conn, level.code)),
        "generated_at": datetime.now(UTC).replace(microsecond=0),
        "summary": summary, "topics": _topics(summary), "attention": attention,
        "profiles": profiles, "profile_selection": "given" if selected is not None else "automatic",
        "notes": [{**n, "kind_de": NOTE_KINDS.get(n["kind"], (n["kind"],))[0],
                   "kind_en": NOTE_KINDS.get(n["kind"], (n["kind"], n["kind"]))[1],
                   "area_name": area_names.get((n["level"], n["area_key"]), n["area_key"])}
                  for n in notes],
        "appendix": [_appendix_item(i) for i in catalogue],
    }


APPENDIX_FIELDS = ("code", "name_de", "name_en", "topic_name_de", "unit", "description_de", "description_en",
                   "rationale_de", "rationale_en", "numerator_de", "denominator_de", "direction", "source",
                   "target_value", "target_year")


def _appendix_item(indicator: dict) -> dict:
    item = {k: indicator[k] for k in APPENDIX_FIELDS}
    return item | {"text_de": definition_text(item, "de")}


def definition_text(item: dict, lang: str) -> str:
    """An indicator's definition for the appendix: description, numerator, denominator and rationale as sentences,
    the labels in `lang`; the catalogue's English description and rationale where it has them, else its German."""
    _ = translator(lang)

    def part(label: str, text: str | None) -> str | None:
        return f"{_(label)}: {text}" if text else None

    english = lang == "en"
    return sentences((english and item.get("description_en")) or item["description_de"],
                     part(N_("Zähler"), item["numerator_de"]), part(N_("Nenner"), item["denominator_de"]),
                     part(N_("Begründung"), (english and item.get("rationale_en")) or item["rationale_de"]))


def _topics(summary: list[dict]) -> list[dict]:
    """The report's topics (Handlungsfelder) in catalogue order with their indicators; indicators without a topic
    under "Ohne Handlungsfeld" (a msgid: the document shows it in its language)."""
    topics: dict[str, dict] = {}
    for item in summary:
        name = item["topic_name_de"] or N_("Ohne Handlungsfeld")
        topic = topics.setdefault(name, {"name_de": name, "name_en": item["topic_name_en"], "indicators": []})
        topic["indicators"].append(item["code"])
    return list(topics.values())


def _attention_changes(conn: Connection, level: str, period: date) -> list[dict]:
    """Per index with results at `period`: attention areas now, and what changed since its previous run."""
    found = []
    parents = parent_names(conn, level)
    for index in indices.available(conn):
        periods = indices.periods(conn, index["id"], level)
        if period not in periods:
            continue
        now = indices.results(conn, index["id"], level, period)
        earlier_period = next((p for p in periods if p < period), None)
        before = indices.results(conn, index["id"], level, earlier_period) if earlier_period else {}
        edition = None  # an index computed once per edition (the MSS): its previous edition, on today's areas
        if earlier_period is None:
            edition = previous_edition_classes(conn, index["id"], level, period)
            if edition is not None:
                earlier_period, before = edition.period, edition.by_key
        areas = []
        for key, result in sorted(now.items()):
            was = before.get(key)
            if result["attention"]:  # the change words are msgids: the document shows them in its language
                change = N_("weiterhin") if was and was["attention"] else (N_("neu") if earlier_period else None)
            elif was and was["attention"]:
                change = N_("nicht mehr")
            else:
                continue
            areas.append({"key": key, "name": result["name"], "value": result["value"], "class": result["class"],
                          "class_label_de": result["class_label_de"], "class_label_en": result["class_label_en"],
                          "attention": result["attention"], "parent": parents.get(key),
                          "previous_class_label_de": was["class_label_de"] if was else None,
                          "previous_class": was["class"] if was else None, "change": change})
        groups: dict[str, list[str]] = {}
        for area in areas:
            groups.setdefault(area["parent"] or "–", []).append(area["key"])
        gesamtindex = index["method"] == "combination"
        found.append({"id": index["id"], "name_de": index["name_de"], "name_en": index["name_en"],
                      "gesamtindex": gesamtindex, "previous_period": earlier_period,
                      "previous_edition": None if edition is None else {
                          "name_de": edition.name_de, "name_en": edition.name_en,
                          "across_boundaries": edition.across_boundaries},
                      # the MSS reserves the term for the Gesamtindex rule; other indices flag "auffällige Gebiete"
                      "term_de": ATTENTION_TERM[0] if gesamtindex else f"Auffällige Gebiete im {index['name_de']}",
                      "term_en": ATTENTION_TERM[1] if gesamtindex else f"Areas flagged by {index['name_en']}",
                      "count": sum(1 for a in areas if a["attention"]), "areas": areas,
                      "groups": [{"parent": p, "keys": k} for p, k in sorted(groups.items())]})
    return found


def class_severity(code: str | None) -> tuple[int, int]:
    """How unfavourable a Gesamtindex group is: status 4 before 1, within a status "-" before "+/-" before "+"
    (the index value alone is not the class: a high Dynamik value can sit in "Status mittel")."""
    if not code or not code[0].isdigit():
        return (0, 0)
    return (int(code[0]), {"-": 2, "+/-": 1, "+": 0}.get(code[1:], 0))


def _default_selection(attention: list[dict], values: pd.DataFrame, catalogue: list[dict]) -> list[str]:
    """The attention areas of the Gesamtindex, most unfavourable group first (then by key); without a Gesamtindex
    the first index with attention areas by class; without index results the highest values of the first
    status indicator."""
    for index in sorted(attention, key=lambda ix: not ix["gesamtindex"]):
        flagged = [a for a in index["areas"] if a["attention"]]
        if flagged:
            ordered = sorted(flagged, key=lambda a: (tuple(-v for v in class_severity(a["class"])), a["key"]))
            return [a["key"] for a in ordered[:DEFAULT_PROFILES]]
    status = next((i["code"] for i in catalogue if i["role"] == "status"), None)
    if status is None:
        return []
    rows = values[(values["indicator"] == status) & values["value"].notna()]
    return list(rows.sort_values("value", ascending=False)["key"].head(DEFAULT_PROFILES))


def _profile_digest(profile: dict, period: date, index_names: dict[str, dict]) -> dict:
    """The part of an area profile the report prints: values at the period, indices (with their English names from
    `index_names`, id -> published definition) and notes."""
    rows = []
    for item in profile["indicators"]:
        at = next((p for p in item["periods"] if p["period"] == period), None)
        if at is not None:
            rows.append({"code": item["code"], "name_de": item["name_de"], "name_en": item["name_en"],
                         "unit": item["unit"], **at})
    return {"area": profile["area"], "parent": profile["parent"], "city": profile["city"], "values": rows,
            "indices": [{k: ix[k] for k in ("name_de", "period", "class_label_de", "attention", "reason")}
                        | {"name_en": index_names.get(ix["id"], {}).get("name_en")} for ix in profile["indices"]],
            "notes": profile["notes"], "findings": profile.get("findings", []), "targets": profile.get("targets", [])}


class SvgCanvas:
    """The areas of one level as SVG path data, projected once (lon scaled by cos(latitude), y downwards) and
    reused by every map of a report; each map is then only a fill per area. Written by hand because drawing
    twenty matplotlib figures of 500 areas took 7 s per report; the result is vector graphics at any print size."""

    def __init__(self, geometries: list[dict], outlines: list[dict], width: float = 1000.0):
        self.WIDTH = width
        rings = [ring for g in geometries + outlines for ring in _rings(g)]
        lons = [x for ring in rings for x, _y in ring] or [0.0, 1.0]
        lats = [y for ring in rings for _x, y in ring] or [0.0, 1.0]
        self.kx = math.cos(math.radians((min(lats) + max(lats)) / 2))
        self.x0, self.y1 = min(lons), max(lats)
        span = max((max(lons) - self.x0) * self.kx, 1e-9)
        self.scale = self.WIDTH / span
        self.height = (self.y1 - min(lats)) * self.scale
        self.paths = [self._d(g) for g in geometries]
        self.outlines = "".join(self._d(g) for g in outlines)

    def _d(self, geometry: dict) -> str:
        parts = []
        for ring in _rings(geometry):
            points: list[str] = []
            # whole units; repeated points after rounding are dropped: a coarser canvas is a cheap simplification that
            # keeps the shared edges of neighbours identical (both round the same vertices the same way)
            for x, y in ring[:-1]:
                point = f"{round((x - self.x0) * self.kx * self.scale)},{round((self.y1 - y) * self.scale)}"
                if not points or points[-1] != point:
                    points.append(point)
            if len(points) >= 3:
                parts.append(f"M{' '.join(points)}Z")
        return "".join(parts)

    def svg(self, fills: list[str], highlight: list[bool] | None = None, title: str = "") -> str:
        by_fill: dict[str, list[str]] = {}  # one element per colour: the PDF renderer draws elements one by one
        for d, fill in zip(self.paths, fills):
            if d:
                by_fill.setdefault(fill, []).append(d)
        body = [f'<path d="{"".join(ds)}" fill="{fill}"/>' for fill, ds in by_fill.items()]
        marked = "".join(d for d, on in zip(self.paths, highlight or []) if on and d)
        k = self.WIDTH / 1000  # line widths in units of the drawing
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{-4 * k:.1f} {-4 * k:.1f} {self.WIDTH + 8 * k:.0f} {self.height + 8 * k:.0f}" '
                f'role="img"><title>{escape(title)}</title>'
                f'<g stroke="#8c8c8c" stroke-width="{0.6 * k:.2f}" stroke-linejoin="round">{"".join(body)}</g>'
                f'<path d="{self.outlines}" fill="none" stroke="#222" stroke-width="{1.8 * k:.2f}"/>'
                + (f'<path d="{marked}" fill="none" stroke="#000" stroke-width="{2.6 * k:.2f}"/>' if marked else "")
                + "</svg>")


def _rings(geometry: dict | None) -> list[list[list[float]]]:
    if not geometry:
        return []
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry.get("coordinates", [])
    return [ring for polygon in polygons for ring in polygon if len(ring) >= 4]


def report_maps(conn: Connection, report: dict, storage_srid: int, data_version: int | None,
                unsuppressed: bool, lang: str = "de") -> dict[str, dict]:
    """The report's maps as SVG (vector; `svg` inline for pages, `src` a data URI for print) with their legends, keyed by indicator code, plus
    "gesamtindex" (groups of the Gesamtindex, attention areas outlined) when there is such an index at the period.
    Counts are never mapped as such: they are mapped as densities (per km²). `data_version` is accepted for the
    callers (geo.simplify keys its cache by the rows). Titles and legends in `lang`."""
    from web.index_maps import (
        GESAMTINDEX_COLOURS,
        NO_CLASS_COLOUR,
        LegendEntry,
        gesamtindex_grid,
    )

    _ = translator(lang)
    level = report["level"]["code"]
    period = report["period"]
    at = boundary_date_for(conn, level, period)
    features = area_features(conn, level, at, storage_srid, **REPORT_GEOMETRY)
    outline = grouping_level(conn, level)
    outline_geometries = []
    if outline is not None:
        outline_at = boundary_date_for(conn, outline.code, None)
        outline_geometries = [f["geometry"] for f in area_features(conn, outline.code, outline_at, storage_srid,
                                                                    **OUTLINE_GEOMETRY)]
    keys = [f["id"] for f in features]
    canvas = SvgCanvas([f["geometry"] for f in features], outline_geometries, width=SMALL_MAP_UNITS)
    large = SvgCanvas([f["geometry"] for f in features], outline_geometries)
    values = pd.DataFrame(level_period_values(conn, level, period, unsuppressed))
    catalogue = {i["code"]: i for i in list_indicators(conn)}
    sizes = area_sizes(conn, level, at)
    maps: dict[str, dict] = {}
    for item in report["summary"]:
        rows = values[values["indicator"] == item["code"]].set_index("key")["value"].astype(float)
        density = catalogue[item["code"]]["kind"] == "count"
        unit = item["unit"] or ""
        if density:  # a count on a choropleth shows the size of the areas, not the phenomenon
            rows = rows / pd.Series(sizes).reindex(rows.index)
            unit = density_unit(None, lang)
        if rows.notna().sum() < 2:
            continue
        with warnings.catch_warnings():  # few distinct values: mapclassify forms fewer classes and says so
            warnings.simplefilter("ignore", UserWarning)
            classes = classify(rows, "quantiles", k=5, decimals=0 if density else (decimals_for(item["unit"]) or 1))
        colours = palette(catalogue[item["code"]]["direction"], classes.k)
        fills = [MISSING_COLOUR if key not in classes.yb.index or pd.isna(classes.yb.get(key))
                 else colours[int(classes.yb[key])] for key in keys]
        legend = list(zip(classes.labels(lang), colours))
        if classes.n_missing:
            legend.append((_("kein Wert"), MISSING_COLOUR))
        title = f"{item['code']} {localised_name(item, lang)}" + (" (" + _("Dichte") + ")" if density else "")
        drawing = canvas.svg(fills, title=title)
        maps[item["code"]] = {"src": data_uri(drawing, "image/svg+xml"), "svg": drawing, "title": title,
                              "unit": unit, "legend": legend, "density": density}
    gesamt = next((ix for ix in report["attention"] if ix["gesamtindex"]), None)
    if gesamt is not None:
        classes_by_key = indices.results(conn, gesamt["id"], level, period)
        fills = [GESAMTINDEX_COLOURS.get((classes_by_key.get(k) or {}).get("class"), NO_CLASS_COLOUR) for k in keys]
        flagged = [bool((classes_by_key.get(k) or {}).get("attention")) for k in keys]
        counts: dict[str, int] = {}
        for result in classes_by_key.values():
            if result["class"] in GESAMTINDEX_COLOURS:
                counts[result["class"]] = counts.get(result["class"], 0) + 1
        entries = [LegendEntry(code, colour, counts.get(code, 0)) for code, colour in GESAMTINDEX_COLOURS.items()]
        drawing = large.svg(fills, flagged, localised_name(gesamt, lang))
        maps["gesamtindex"] = {"src": data_uri(drawing, "image/svg+xml"), "svg": drawing,
                               "title": localised_name(gesamt, lang), "grid": gesamtindex_grid(entries, lang),
                               "no_class": sum(1 for f in fills if f == NO_CLASS_COLOUR),
                               "attention": sum(flagged)}
    return maps
