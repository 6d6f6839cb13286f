"""The area profile ("Quartiersprofil") for neighbourhood management teams: every indicator of one area
against its parent area and the city, with rank, percentile, trend, target progress, index classes and
the editors' notes, as HTML, JSON, CSV and PDF.

`area_profile` assembles the data (the JSON twin) through `geo` and `indicators`; the render functions
turn it into pages. This module runs no SQL of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, urlencode

from sqlalchemy.engine import Connection

from geo.areas import find_areas, get_parent, last_version, list_children, same_territory
from geo.levels import Level, ancestry, get_level, list_levels
from indicators.catalogue import list_indicators, series_break_text, series_breaks_between
from indicators.comparison import ComparisonGroup, standing_within
from indicators.composite import DYNAMICS_LABELS, NO_CLASS_LABEL, STATUS_LABELS
from indicators.editions import edition_classes_for_area
from indicators.estimates import area_estimates
from indicators.findings import list_findings
from indicators.notation import format_day
from geo.territorial import successions
from indicators.notes import NOTE_KINDS, list_notes
from indicators.standing import area_standing
from indicators.targets import list_targets
from indicators.typology import (
    TypologyInputError,
    TypologyRequest,
    default_period,
    kept_typology,
    nearest_areas,
    read_matrix,
)
from indicators.uncertainty import value_interval
from indicators.version_memo import VersionMemo
from indicators.values import area_values
from web import indices
from web.charts import data_uri, locator_svg, trend_svg
from web.maps import drawn_features
from web.i18n import translator
from web.templates import environment, page_context
from web.typology_page import position as typology_position
from web.typology_page import profile_link
from web.typology_page import reason as typology_reason
from web.values import COUNT_UNITS, decimals_for, flag_text, value_text

LOCATOR_GEOMETRY = {"simplify_m": 10.0, "precision": 4}
MAX_KEY_LENGTH = 60


@dataclass(frozen=True)
class Missing:
    """An unknown level or area in the URL: German message and links to what exists."""

    message: str
    choices: list[tuple[str, str]]


def find_profile_area(conn: Connection, level: str, key: str) -> dict | Missing:
    lvl = get_level(conn, level)
    if lvl is None:
        return Missing(f"Die Raumebene „{level}“ gibt es nicht.",
                       [(lv.plural_de, f"/areas?level={lv.code}") for lv in list_levels(conn)])
    usable = key.isprintable() and len(key) <= MAX_KEY_LENGTH  # no NUL bytes or novels into SQL
    found = find_areas(conn, key, level) if usable else []
    ended = last_version(conn, key, level) if usable and not found else None
    if ended is not None:  # an area that no longer exists: its last boundaries, and what it became
        return ended
    if not found:
        others = [a for a in find_areas(conn, key) if a["level_code"] != level] if usable else []
        choices = [(f"{a['name']} ({a['key']}, {a['level_code']})", f"/areas/{a['level_code']}/{a['key']}")
                   for a in others]
        choices.append((f"Alle {lvl.plural_de}", f"/areas?level={level}"))
        return Missing(f"Auf der Ebene {lvl.plural_de} gibt es kein Gebiet mit dem Schlüssel „{key}“.", choices)
    return found[0]


def _ancestors(conn: Connection, levels: dict[str, Level], areas: list[dict]) -> list[dict]:
    """The parents of the first of `areas` that has any, nearest first."""
    for start in areas:
        chain, current = [], start
        while (parent := get_parent(conn, current, levels[current["level_code"]].parent_code)) is not None:
            chain.append(parent)
            current = parent
        if chain:
            return chain
    return []


def _area_summary(area: dict, levels: dict[str, Level]) -> dict:
    level = levels.get(area["level_code"])
    return {"level": area["level_code"], "level_name_de": level and level.name("de"),
            "level_name_en": level and level.name("en"), "key": area["key"], "name": area["name"]}


def area_profile(conn: Connection, area: dict, unsuppressed: bool,
                 group: ComparisonGroup | None = None, typology: bool = True) -> dict:
    """Everything the profile shows, as plain data (the JSON twin). `group`: a comparison group of the area's
    level whose median and the area's rank in it each period shows (indicators.comparison). `typology` False:
    without the area's type and similar areas (a report's digest of many profiles does not show them)."""
    levels = {lv.code: lv for lv in list_levels(conn)}
    chain = _ancestors(conn, levels, [area])
    parent = chain[0] if chain else None
    city = chain[-1] if chain else None
    # the same territory in another hierarchy (Berlin's city is the Gemeinde 11000000): navigation goes on above
    # the top and down into the other hierarchy's children; ranks and comparisons stay within the area's own
    same = same_territory(conn, area)
    beyond = _ancestors(conn, levels, same_territory(conn, city) if city else same)
    own = _by_indicator(area_values(conn, area["id"], unsuppressed))
    parent_values = _by_indicator(area_values(conn, parent["id"], unsuppressed)) if parent else {}
    city_values = _by_indicator(area_values(conn, city["id"], unsuppressed)) if city else {}
    # every ancestor below the top (whose territory is the level's ranking): its value and the rank within it
    within_areas = chain[:-1]
    ancestor_values = {a["id"]: parent_values if a is parent
                       else _by_indicator(area_values(conn, a["id"], unsuppressed)) for a in within_areas}
    within = standing_within(conn, area, within_areas, group, unsuppressed)
    standing = {(s["indicator"], s["period"]): s for s in area_standing(conn, area["level_code"], area["key"],
                                                                         unsuppressed, area["valid_to"])}
    # the older periods of a reformed level estimated for this area's boundaries (indicators.estimates)
    estimates = area_estimates(conn, area["id"])

    def around(code: str, period: date) -> dict:  # the area's surroundings at a period, published or estimated
        return {"parent_value": _value_at(parent_values, code, period),
                "city_value": _value_at(city_values, code, period),
                "within": _within(code, period, within_areas, ancestor_values, within, group)}

    items = []
    for indicator in list_indicators(conn):
        code = indicator["code"]
        rows = own.get(code, [])
        published = {row["period"] for row in rows}
        estimated = [e for e in estimates.get(code, ()) if e["period"] not in published and e["value"] is not None]
        if not rows and not estimated:
            continue
        periods = []
        for row in rows:
            rank = standing.get((code, row["period"]), {})
            periods.append({
                "period": row["period"], "value": row["value"], "flag": row["flag"],
                "reason": None if row["value"] is not None else flag_text(row["flag"], row["flag_reason"]),
                **around(code, row["period"]), "rank": rank.get("rank"), "n": rank.get("n"),
                "percentile": None if rank.get("percentile") is None else round(float(rank["percentile"]), 4),
                "estimated": None,
                # a share or rate delivered with its numerator and denominator: its 95 % interval and reliability
                "interval": value_interval(row["value"], row["numerator"], row["denominator"],
                                           indicator["design_effect"])
                if indicator["kind"] in ("share", "rate") else None,
            })
        for row in estimated:  # no rank: the other areas' values of that period lie on other boundaries
            periods.append({
                "period": row["period"], "value": row["value"], "flag": None, "reason": None,
                **around(code, row["period"]), "rank": None, "n": None, "percentile": None,
                "interval": None,
                "estimated": {"share": round(float(row["share_estimated"]), 3), "method": row["method"],
                              "source_version": row["source_version"]},
            })
        periods.sort(key=lambda p: p["period"], reverse=True)  # newest first
        items.append({
            "code": indicator["code"], "name_de": indicator["name_de"], "name_en": indicator["name_en"],
            # "": no topic (the page writes "Ohne Handlungsfeld"; None would not sort among the names)
            "topic": indicator["topic_code"], "topic_name_de": indicator["topic_name_de"] or "",
            "unit": indicator["unit"], "direction": indicator["direction"], "source": indicator["source"],
            "value_type": indicator["value_type"], "design_effect": indicator["design_effect"],
            "description_de": indicator["description_de"],
            "target": target_progress(indicator, [p for p in periods if p["estimated"] is None]),
            "series_breaks": indicator["series_breaks"],
            "periods": periods,
        })
    return {
        "area": {**_area_summary(area, levels), "valid_from": area["valid_from"],
                 "area_km2": None if area["area_m2"] is None else round(area["area_m2"] / 1e6, 3)},
        "parent": _area_summary(parent, levels) if parent else None,
        "city": _area_summary(city, levels) if city else None,
        "chain": [_area_summary(a, levels) for a in chain],
        "within": [{"kind": "area", **_area_summary(a, levels)} for a in within_areas]
                  + ([{"kind": "group", "id": group.id, "name": group.name_de, "name_en": group.name_en,
                       **_group_members(group, area)}] if group else []),
        "children": [{"level": c["level_code"], "key": c["key"], "name": c["name"]}
                     for c in [*list_children(conn, area), *(c for o in same for c in list_children(conn, o))]],
        "same_territory": [_area_summary(o, levels) for o in same],
        "beyond": [_area_summary(a, levels) for a in beyond],  # ancestors of the same territory elsewhere
        "territory": successions(conn, area["id"]),  # territorial changes that made or ended this version
        "indicators": items,
        "estimated_values": sum(p["estimated"] is not None for item in items for p in item["periods"]),
        "indices": _index_results(conn, area, unsuppressed),
        "editions": edition_classes_for_area(conn, area["id"]),
        "notes": [{**n, "kind_de": NOTE_KINDS.get(n["kind"], (n["kind"],))[0],
                   "kind_en": NOTE_KINDS.get(n["kind"], (n["kind"], n["kind"]))[1]}
                  for n in list_notes(conn, area["level_code"], area["key"])],
        # qualitative findings and targets (docs/reports.md)
        "findings": list_findings(conn, area["level_code"], [area["key"]]),
        "targets": list_targets(conn, area["level_code"], [area["key"]]),
        # its type among the areas of its level and the areas most like it (docs/integration.md §4)
        "typology": area_typology(conn, area, unsuppressed) if typology else None,
    }


SIMILAR_AREAS = 5
# a level's default typology and the matrix it was computed on, per data version and reader's visibility: read
# once for all profiles of the level (the matrix alone is 0.15 s on the Berlin planning areas)
TYPOLOGIES = VersionMemo(kept=32)


def _level_typology(conn: Connection, level: str, unsuppressed: bool) -> tuple | None:
    """(request, typology, matrix) of the level's default typology (what /api/typology answers without
    parameters), or None where the level has none (no period with two shares or rates, too few areas)."""
    def compute() -> tuple | None:
        period = default_period(conn, level, unsuppressed)
        if period is None:
            return None
        request = TypologyRequest(level=level, period=period, unsuppressed=unsuppressed)
        try:  # the page's connection may be the read replica: the route stores, the profile only reads
            return request, kept_typology(conn, request, store=False), read_matrix(conn, request)
        except TypologyInputError:
            return None

    return TYPOLOGIES.get(conn, ("typology", level, unsuppressed), compute)


def area_typology(conn: Connection, area: dict, unsuppressed: bool) -> dict | None:
    """The area's type in its level's default typology with the type's distinctive indicators, and the areas most
    like it with the indicators that make them alike (the answers of /api/typology and
    /api/typology/{key}/similar without parameters, as the reader may see them); an area that takes no part
    (a hidden or missing value) has the reason instead; None where the level has no types."""
    found = _level_typology(conn, area["level_code"], unsuppressed)
    if found is None:
        return None
    request, body, matrix = found
    catalogue = {i["code"]: i for i in list_indicators(conn)}

    def named(code: str) -> dict:
        item = catalogue.get(code, {})
        return {"indicator": code, "name_de": item.get("name_de", code), "name_en": item.get("name_en"),
                "unit": item.get("unit")}

    level, key = area["level_code"], area["key"]
    result = {"level": level, "period": body["period"], "k": body["k"], "seed": body["seed"],
              "indicators": body["indicators"], "areas": len(body["areas"]),
              "page": "/api/typology?" + urlencode({"level": level, "f": "html"}),
              "type": None, "type_areas": None, "distinctive": [], "similar": [], "reason": None}
    own = next((a["type"] for a in body["areas"] if a["key"] == key), None)
    if own is None:
        result["reason"] = body["dropped"].get(key, "no values")  # no values on the boundaries typed
        return result
    kind = body["types"][own - 1]
    similar = nearest_areas(matrix, request, key, SIMILAR_AREAS)["similar"]
    return {**result, "type": own, "type_areas": kind["areas"],
            "distinctive": [{**named(e["indicator"]), "z": e["z"], "mean_value": kind["mean_value"][e["indicator"]]}
                            for e in kind["profile"]],
            "similar": [{**s, "profile": profile_link(level, s["key"]),
                         "similar_in": [{**named(w["indicator"]), **w} for w in s["similar_in"]]} for s in similar]}


def _group_members(group: ComparisonGroup, area: dict) -> dict:
    """How a group chooses its areas: their number, or the attribute and the profiled area's value of it."""
    if group.same_attribute is None:
        return {"areas": len(group.area_keys)}
    return {"same_attribute": group.same_attribute,
            "attribute_value": (area.get("attributes") or {}).get(group.same_attribute)}


def _within(code: str, period: date, ancestors: list[dict], values: dict, within: dict,
            group: ComparisonGroup | None) -> list[dict]:
    """Per comparison of `p.within` (same order): the ancestor's value or the group's median, rank and n."""
    cells = []
    for ancestor in ancestors:
        found = within.get(f"{ancestor['level_code']}:{ancestor['key']}", {}).get((code, period), {})
        cells.append({"value": _value_at(values.get(ancestor["id"], {}), code, period),
                      "rank": found.get("rank"), "n": found.get("n")})
    if group is not None:
        found = within.get("group", {}).get((code, period), {})
        cells.append({"median": found.get("median"), "rank": found.get("rank"), "n": found.get("n")})
    return cells


def _by_indicator(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["indicator"], []).append(row)
    return grouped


def _value_at(values: dict[str, list[dict]], code: str, period: date) -> float | None:
    return next((r["value"] for r in values.get(code, []) if r["period"] == period), None)


def target_progress(indicator: dict, periods: list[dict]) -> dict | None:
    """Progress toward the catalogue's target (target_value by target_year): the gap now and, with an
    earlier value, the share of the way covered since then (1 = reached; negative = moved away)."""
    if indicator.get("target_value") is None:
        return None
    target = float(indicator["target_value"])
    observed = [p for p in periods if p["value"] is not None]
    result = {"value": target, "year": indicator["target_year"], "note": indicator.get("target_note"),
              "latest": None, "gap": None, "progress_share": None, "since": None}
    if not observed:
        return {**result, "status_de": target_status(result, translator("de"))}
    latest, first = observed[0], observed[-1]
    result["latest"] = latest["value"]
    result["gap"] = round(latest["value"] - target, 4)
    wants_lower = indicator["direction"] != "higher_is_better"
    reached = latest["value"] <= target if wants_lower else latest["value"] >= target
    if reached:
        result["progress_share"] = 1.0
    elif len(observed) >= 2 and first["value"] != target:
        share = (first["value"] - latest["value"]) / (first["value"] - target)
        result["progress_share"] = round(share, 3)
        result["since"] = first["period"]
    result["reached"] = reached
    result["status_de"] = target_status(result, translator("de"))
    return result


def target_status(target: dict, _) -> str:
    """How far an area is on the way to its target, in the language of the translator `_` (web.i18n)."""
    if target["latest"] is None:
        return _("kein aktueller Wert")
    if target.get("reached"):
        return _("Ziel erreicht")
    if target["since"] is not None:
        words = {"since": target["since"].strftime("%d.%m.%Y"), "share": round(target["progress_share"] * 100)}
        return (_("seit %(since)s %(share)s %% des Weges zum Ziel") if target["progress_share"] > 0
                else _("seit %(since)s vom Ziel entfernt")) % words
    return _("Ziel noch nicht erreicht")


# English names of the index classes of the MSS methods (indicators.composite), for the profile in English
INDEX_CLASSES_EN = {
    **{label["de"]: label["en"] for label in (*STATUS_LABELS.values(), *DYNAMICS_LABELS.values(), NO_CLASS_LABEL)},
    **{f"Status {status['de']}, Dynamik {dynamics['de']}": f"{status['en']} status, {dynamics['en']} dynamics"
       for status in STATUS_LABELS.values() for dynamics in DYNAMICS_LABELS.values()},
}


def class_label(label_de: str | None, lang: str) -> str | None:
    """An index class's label in the page's language (German where no English is known)."""
    if lang != "en" or label_de is None:
        return label_de
    return INDEX_CLASSES_EN.get(label_de, label_de)


def _index_results(conn: Connection, area: dict, unsuppressed: bool) -> list[dict]:
    """The latest result of every published index for this area, with its explanation (as the caller may see it).
    Reads this area's rows only: the profile is on the hot path and a level has hundreds of areas per index."""
    return [{"id": found.index_id, "name_de": found.name_de, "period": found.period, "value": found.value,
             "class": found.class_code, "class_label_de": found.class_label_de, "participating": found.participating,
             "reason": found.reason, "attention": found.attention, "explanation": found.explanation}
            for found in indices.for_area(conn, area["level_code"], area["key"], unsuppressed)]


def profile_csv_rows(profile: dict) -> list[dict]:
    """One row per indicator and period: the profile as a flat table."""
    rows = []
    for item in profile["indicators"]:
        for p in item["periods"]:
            rows.append({"level": profile["area"]["level"], "key": profile["area"]["key"],
                         "name": profile["area"]["name"], "indicator": item["code"], "indicator_name_de": item["name_de"],
                         "unit": item["unit"], "period": p["period"], "value": p["value"], "flag": p["flag"],
                         "reason": p["reason"], "parent_key": (profile["parent"] or {}).get("key"),
                         "parent_value": p["parent_value"], "city_value": p["city_value"], "rank": p["rank"],
                         "n": p["n"], "percentile": p["percentile"],
                         "estimated": p["estimated"] is not None,
                         "share_estimated": p["estimated"]["share"] if p["estimated"] else None,
                         "estimate_method": p["estimated"]["method"] if p["estimated"] else None,
                         "ci_low": p["interval"]["low"] if p["interval"] else None,
                         "ci_high": p["interval"]["high"] if p["interval"] else None,
                         "unreliable": p["interval"]["unreliable"] if p["interval"] else None,
                         **_within_columns(profile["within"], p)})
    return rows


def _within_columns(comparisons: list[dict], period: dict) -> dict:
    """The comparisons of a period as flat columns, named alike for every area of a level: <level>_key,
    <level>_value, <level>_rank, <level>_n per ancestor; group, group_median, group_rank, group_n."""
    columns = {}
    for comparison, cell in zip(comparisons, period["within"], strict=True):
        stem = comparison["level"] if comparison["kind"] == "area" else "group"
        columns[stem if stem == "group" else f"{stem}_key"] = comparison.get("key", comparison.get("id"))
        for name, value in cell.items():
            columns[f"{stem}_{name}"] = value
    return columns


def charted(profile: dict) -> list[dict]:
    """The indicators of a profile that get a trend chart: values (published or estimated) at two or more periods."""
    return [item for item in profile["indicators"] if sum(1 for p in item["periods"] if p["value"] is not None) >= 2]


def profile_chart(profile: dict, item: dict, lang: str = "de") -> str:
    """The trend chart (SVG) of one indicator of a profile: the area (its estimates dotted), its parent and the
    city, breaks and the start of the area's boundaries marked; axes in the notation of the page's language."""
    _ = translator(lang)
    area, parent, city = profile["area"], profile["parent"], profile["city"]
    series = [(area["name"], [(p["period"], p["value"]) for p in item["periods"] if p["estimated"] is None])]
    estimated = [(p["period"], p["value"]) for p in item["periods"] if p["estimated"] is not None]
    # counts of the area, its parent and the city differ by orders of magnitude (3,580 inhabitants against
    # 3.9 million): on one axis the area's own line lay flat at zero, so a count's chart shows the area alone
    # (the table keeps parent and city beside it)
    count = item["unit"] in COUNT_UNITS
    if parent and not count:
        series.append((parent["name"], [(p["period"], p["parent_value"]) for p in item["periods"]]))
    if city and not count:
        series.append((city["name"], [(p["period"], p["city_value"]) for p in item["periods"]]))
    target = item["target"]
    shown = [p["period"] for p in item["periods"]]
    breaks = [(date.fromisoformat(str(b["at"])), series_break_text(b, lang))
              for b in series_breaks_between(item, min(shown), max(shown))]  # those inside the chart
    # estimates lie before the area's boundary version began: marked on the axis, the line dotted
    reform = (area["valid_from"], _("Gebietsstand ab %(date)s") % {"date": format_day(area["valid_from"], lang)}
              ) if estimated else None
    return trend_svg(series, item["unit"], decimals=1 if decimals_for(item["unit"]) else 0,
                     target=(target["year"], target["value"]) if target else None, breaks=breaks, lang=lang,
                     estimated=estimated, boundary_change=reform)


def profile_charts(profile: dict, lang: str = "de") -> dict[str, str]:
    """Every trend chart of a profile as an SVG data URI, for the printed profile (a PDF carries its images)."""
    return {item["code"]: data_uri(profile_chart(profile, item, lang), "image/svg+xml") for item in charted(profile)}


def chart_urls(profile: dict, lang: str, data_version: int | None) -> dict[str, str]:
    """Where the page loads each trend chart (service.routes.pages.profile_chart_image), lazily: a profile of the
    Berlin planning areas has about 20 charts at 30-35 ms each (matplotlib), most of them below the first
    screen; drawn into the page they were 0.7 s of its 1.2 s. `data_version` in the URL keeps a browser from
    showing a chart of older data."""
    area = profile["area"]
    query = {"lang": lang, **({"v": str(data_version)} if data_version is not None else {})}
    return {item["code"]: f"/areas/{quote(area['level'], safe='')}/{quote(area['key'], safe='')}/charts/"
                          f"{quote(item['code'], safe='')}.svg?{urlencode(query)}" for item in charted(profile)}


# Profiles kept per data version, reader's visibility and area: the page and each of its chart images (fetched
# right after it) read the same profile, which takes 0.3-0.4 s to gather.
PROFILES = VersionMemo(kept=64)


def kept_profile(conn: Connection, area: dict, unsuppressed: bool) -> dict:
    """`area_profile` without a comparison group, kept per data version (PROFILES)."""
    return PROFILES.get(conn, ("profile", area["id"], unsuppressed), lambda: area_profile(conn, area, unsuppressed))


def locator_map(conn: Connection, profile: dict, area: dict, storage_srid: int, data_version: int | None) -> str | None:
    """A small map of where the area lies in the city (SVG data URI); `data_version` keys the worker's copy of
    the drawn geometry (`web.maps.drawn_features`)."""
    levels = {lv.code: lv for lv in list_levels(conn)}
    own = drawn_features(conn, area["level_code"], area["valid_from"], storage_srid, **LOCATOR_GEOMETRY,
                         version=data_version)
    geometry = next((f["geometry"] for f in own if f["id"] == area["key"]), None)
    if geometry is None:
        return None
    chain = [lv.code for lv in ancestry(levels, area["level_code"])]  # its own hierarchy, not the database's top
    background_level = chain[-2] if len(chain) > 2 else chain[-1]  # the parts of the whole, unless the area is one
    background = drawn_features(conn, background_level, area["valid_from"], storage_srid, **LOCATOR_GEOMETRY,
                                version=data_version)
    return data_uri(locator_svg([f["geometry"] for f in background], geometry), "image/svg+xml")


def render_profile(profile: dict, charts: dict[str, str], locator: str | None, *, for_print: bool = False,
                   request=None, groups: list[ComparisonGroup] | None = None) -> str:
    """The profile page in the site's frame (footer, signed-in person; `request` None: a frame for print)."""
    _ = translator(getattr(request.state, "lang", "de") if request is not None else "de")
    return environment.get_template("profile.html").render(**page_context(
        request, page_title=_("Quartiersprofil") + " " + profile["area"]["name"], p=profile, charts=charts, locator=locator,
        for_print=for_print, groups=groups or [], value_text=value_text, decimals_for=decimals_for,
        count_units=COUNT_UNITS, class_label=class_label, typology_position=typology_position,
        typology_reason=typology_reason,
        target_status=target_status))
