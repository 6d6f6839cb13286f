"""The integration report ("Integrationsbericht") for one period: city summary, maps per topic
(Handlungsfeld), attention areas and their changes since the previous period, profiles of selected
areas, editors' notes and the indicator definitions as an appendix. HTML for the browser, A4 PDF for print.

`integration_report` assembles the data (the JSON twin) through `geo` and `indicators`; `report_maps`
draws the static maps; `render_report` writes the page. This module runs no SQL of its own.
"""

from __future__ import annotations

import statistics
import warnings
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy.engine import Connection

from geo.features import area_features
from geo.levels import Level, list_levels
from indicators.catalogue import list_indicators, list_periods
from indicators.classify import classify
from indicators.notes import NOTE_KINDS, list_notes
from indicators.standing import level_period_values
from indicators.values import boundary_date_for
from web import indices
from web.charts import choropleth_png, data_uri, map_paths
from web.maps import MISSING_COLOUR, palette
from web.profiles import Missing, area_profile, find_profile_area
from web.templates import environment
from web.values import decimals_for

REPORT_GEOMETRY = {"simplify_m": 25.0, "precision": 4}
OUTLINE_GEOMETRY = {"simplify_m": 40.0, "precision": 4}
DEFAULT_PROFILES = 3


def finest_level(conn: Connection) -> Level:
    return min(list_levels(conn), key=lambda lv: lv.rank)


def report_periods(conn: Connection, unsuppressed: bool) -> list[date]:
    return list_periods(conn, finest_level(conn).code, None, unsuppressed)


def resolve_report_period(conn: Connection, text: str, unsuppressed: bool) -> date | Missing:
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
        return Missing(f"Für den Zeitpunkt „{text}“ gibt es keinen Bericht: es liegen keine Daten vor.",
                       [(f"Bericht zum {p.strftime('%d.%m.%Y')}", f"/reports/{p.isoformat()}") for p in available])
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
    previous = next((p for p in available if p < period), None)
    values = pd.DataFrame(level_period_values(conn, level.code, period, unsuppressed))
    city_values = pd.DataFrame(level_period_values(conn, top.code, period, unsuppressed))
    catalogue = [i for i in list_indicators(conn) if not values.empty and i["code"] in set(values["indicator"])]
    summary = []
    for indicator in catalogue:
        rows = values[values["indicator"] == indicator["code"]]
        observed = rows["value"].dropna().astype(float)
        city = city_values[city_values["indicator"] == indicator["code"]]["value"] if not city_values.empty else []
        summary.append({
            "code": indicator["code"], "name_de": indicator["name_de"], "unit": indicator["unit"],
            "topic": indicator["topic_code"], "topic_name_de": indicator["topic_name_de"],
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
    for key in keys:
        area = find_profile_area(conn, level.code, key)
        if not isinstance(area, Missing):
            profiles.append(_profile_digest(area_profile(conn, area, unsuppressed), period))
    return {
        "period": period, "previous_period": previous, "level": {"code": level.code, "name_de": level.plural_de},
        "generated_at": datetime.now(UTC).replace(microsecond=0),
        "summary": summary, "topics": _topics(summary), "attention": attention,
        "profiles": profiles, "profile_selection": "given" if selected is not None else "automatic",
        "notes": [{**n, "kind_de": NOTE_KINDS.get(n["kind"], (n["kind"],))[0]}
                  for n in list_notes(conn, period=period)],
        "appendix": [{k: i[k] for k in ("code", "name_de", "name_en", "topic_name_de", "unit", "description_de",
                                         "rationale_de", "numerator_de", "denominator_de", "direction", "source",
                                         "target_value", "target_year")} for i in catalogue],
    }


def _topics(summary: list[dict]) -> list[dict]:
    topics: dict[str, dict] = {}
    for item in summary:
        name = item["topic_name_de"] or "Ohne Handlungsfeld"
        topics.setdefault(name, {"name_de": name, "indicators": []})["indicators"].append(item["code"])
    return list(topics.values())


def _attention_changes(conn: Connection, level: str, period: date) -> list[dict]:
    """Per index with results at `period`: attention areas now, and what changed since its previous run."""
    found = []
    for index in indices.available(conn):
        periods = indices.periods(conn, index["id"], level)
        if period not in periods:
            continue
        now = indices.results(conn, index["id"], level, period)
        earlier_period = next((p for p in periods if p < period), None)
        before = indices.results(conn, index["id"], level, earlier_period) if earlier_period else {}
        areas = []
        for key, result in sorted(now.items()):
            was = before.get(key)
            if result["attention"]:
                change = "weiterhin" if was and was["attention"] else ("neu" if earlier_period else "–")
            elif was and was["attention"]:
                change = "nicht mehr"
            else:
                continue
            areas.append({"key": key, "name": result["name"], "value": result["value"],
                          "class_label_de": result["class_label_de"], "attention": result["attention"],
                          "previous_class_label_de": was["class_label_de"] if was else None, "change": change})
        found.append({"id": index["id"], "name_de": index["name_de"], "previous_period": earlier_period,
                      "count": sum(1 for a in areas if a["attention"]), "areas": areas})
    return found


def _default_selection(attention: list[dict], values: pd.DataFrame, catalogue: list[dict]) -> list[str]:
    for index in attention:
        flagged = [a for a in index["areas"] if a["attention"] and a["value"] is not None]
        if flagged:
            return [a["key"] for a in sorted(flagged, key=lambda a: -a["value"])[:DEFAULT_PROFILES]]
    status = next((i["code"] for i in catalogue if i["role"] == "status"), None)
    if status is None:
        return []
    rows = values[(values["indicator"] == status) & values["value"].notna()]
    return list(rows.sort_values("value", ascending=False)["key"].head(DEFAULT_PROFILES))


def _profile_digest(profile: dict, period: date) -> dict:
    """The part of an area profile the report prints: values at the period, indices and notes."""
    rows = []
    for item in profile["indicators"]:
        at = next((p for p in item["periods"] if p["period"] == period), None)
        if at is not None:
            rows.append({"code": item["code"], "name_de": item["name_de"], "unit": item["unit"], **at})
    return {"area": profile["area"], "parent": profile["parent"], "city": profile["city"], "values": rows,
            "indices": [{k: ix[k] for k in ("name_de", "period", "class_label_de", "attention", "reason")}
                        for ix in profile["indices"]],
            "notes": profile["notes"]}


def report_maps(conn: Connection, report: dict, storage_srid: int, data_version: int | None,
                unsuppressed: bool) -> dict[str, str]:
    """One small quantile map per indicator of the period (PNG data URIs), keyed by indicator code.
    `data_version` is no longer needed (geo.simplify keys its cache by the rows); accepted for the callers."""
    level = report["level"]["code"]
    period = report["period"]
    at = boundary_date_for(conn, level, period)
    features = area_features(conn, level, at, storage_srid, **REPORT_GEOMETRY)
    levels = list_levels(conn)
    top = max(levels, key=lambda lv: lv.rank)
    outline = next((lv for lv in levels if lv.parent_code == top.code), None)
    outlines = []
    if outline is not None and outline.code != level:
        outline_at = boundary_date_for(conn, outline.code, None)
        outline_features = area_features(conn, outline.code, outline_at, storage_srid, **OUTLINE_GEOMETRY)
        outlines = map_paths([f["geometry"] for f in outline_features])
    paths = map_paths([f["geometry"] for f in features])
    values = pd.DataFrame(level_period_values(conn, level, period, unsuppressed))
    directions = {i["code"]: i["direction"] for i in list_indicators(conn)}
    maps = {}
    for item in report["summary"]:
        rows = values[values["indicator"] == item["code"]].set_index("key")["value"].astype(float)
        if rows.notna().sum() < 2:
            continue
        with warnings.catch_warnings():  # few distinct values: mapclassify forms fewer classes and says so
            warnings.simplefilter("ignore", UserWarning)
            classes = classify(rows, "quantiles", k=5, decimals=decimals_for(item["unit"]) or 1)
        colours = palette(directions[item["code"]], classes.k)
        fill = [MISSING_COLOUR if f["id"] not in classes.yb.index or pd.isna(classes.yb.get(f["id"]))
                else colours[int(classes.yb[f["id"]])] for f in features]
        legend = list(zip(classes.labels_de, colours))
        if classes.n_missing:
            legend.append(("kein Wert", MISSING_COLOUR))
        unit = f" ({item['unit']})" if item["unit"] else ""
        png = choropleth_png(paths, fill, outlines, f"{item['code']} {item['name_de']}"
                             f"{unit}", legend)
        maps[item["code"]] = data_uri(png, "image/png")
    return maps


def render_report(report: dict, maps: dict[str, str], *, for_print: bool = False) -> str:
    return environment.get_template("report.html").render(
        page_title=f"Integrationsbericht {report['period'].strftime('%d.%m.%Y')}", r=report, maps=maps,
        for_print=for_print, decimals_for=decimals_for)
