"""Folium maps of composite indices and spatial clusters: Gesamtindex groups with attention areas outlined,
index classes, and LISA hot spots (High-High / Low-Low / outliers / not significant).

Receives GeoJSON FeatureCollections whose properties already carry class and flags; runs no SQL. Leaflet is
served from /static (vendored), so the maps work without internet access. Labels are German first. Tooltips
and popups come from `web.maps.feature_details` (text, never HTML).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import folium

from indicators.composite import DYNAMICS_LABELS, STATUS_LABELS
from web.i18n import translator
from web.maps import RawHtml, base_map, control_label, feature_details, map_page, palette

# 12 Gesamtindex groups ordered from the most favourable (1+: high status, positive dynamics) to the least
# favourable (4-: very low status, negative dynamics) on ColorBrewer RdBu (colour-blind safe, diverging):
# blue = favourable, near-white = the typical group 2+/-, red = disadvantaged. Two tones between RdBu's
# steps (#e7826a, #c43c3c) give the 12th class; the ramp stays monotone in lightness on each side.
GESAMTINDEX_COLOURS = {
    "1+": "#053061", "1+/-": "#2166ac", "1-": "#4393c3",
    "2+": "#92c5de", "2+/-": "#f7f7f7", "2-": "#fddbc7",
    "3+": "#f4a582", "3+/-": "#e7826a", "3-": "#d6604d",
    "4+": "#c43c3c", "4+/-": "#b2182b", "4-": "#67001f",
}
STATUS_COLOURS = {"1": "#2166ac", "2": "#f7f7f7", "3": "#f4a582", "4": "#b2182b"}
DYNAMICS_COLOURS = {"+": "#2166ac", "+/-": "#f7f7f7", "-": "#b2182b"}
# GeoDa's LISA colours: hot spots red, cold spots blue, outliers in lighter tones.
QUADRANT_COLOURS = {"High-High": "#d7191c", "Low-Low": "#2c7bb6", "High-Low": "#fdae61", "Low-High": "#abd9e9",
                    "not significant": "#eeeeee"}
QUADRANT_LABELS_DE = {"High-High": "Hot Spot: hoch, Nachbarn hoch (High-High)",
                      "Low-Low": "Cold Spot: niedrig, Nachbarn niedrig (Low-Low)",
                      "High-Low": "Ausreißer: hoch, Nachbarn niedrig (High-Low)",
                      "Low-High": "Ausreißer: niedrig, Nachbarn hoch (Low-High)",
                      "not significant": "nicht signifikant"}
NO_CLASS_COLOUR = "#bdbdbd"
ATTENTION_OUTLINE = "#000000"


@dataclass(frozen=True)
class LegendEntry:
    label: str
    colour: str
    count: int


def class_colours(scheme: str | None, codes: list[str]) -> dict[str, str]:
    """Fill colour per class code for an index's class scheme."""
    if scheme == "combination":
        return dict(GESAMTINDEX_COLOURS)
    if scheme == "mss_status":
        return dict(STATUS_COLOURS)
    if scheme == "mss_dynamics":
        return dict(DYNAMICS_COLOURS)
    return dict(zip(codes, palette("higher_is_worse", len(codes))))


def index_map(feature_collection: dict, *, title: str, fill: dict[str, str], entries: list[LegendEntry],
              no_class_count: int, attention_count: int, attention_label: str, bounds: list[float] | None,
              tile_url: str | None) -> str:
    """Areas filled by class code (property `class`, colours from `class_colours`); areas with `attention`
    outlined thick black; areas without class grey and dashed."""

    def style(feature: dict) -> dict:
        properties = feature["properties"]
        colour = fill.get(properties.get("class"))
        flagged = bool(properties.get("attention"))
        return {"fillColor": colour or NO_CLASS_COLOUR, "fillOpacity": 0.85 if colour else 0.5,
                "color": ATTENTION_OUTLINE if flagged else "#666666", "weight": 2.5 if flagged else 0.4,
                "dashArray": None if colour else "3"}

    fmap = base_map(bounds, tile_url, title=title)
    for feature in feature_collection["features"]:
        properties = feature["properties"]
        properties["klasse"] = properties.get("class_label_de") or "–"
        properties["aufmerksamkeit"] = "ja" if properties.get("attention") else "nein"
        properties["grund"] = properties.get("reason") or ""
    rows = [("name", "Name"), ("key", "Schlüssel"), ("class", "Gruppe"), ("klasse", "Klasse"),
            ("aufmerksamkeit", "Aufmerksamkeitsbedarf")]
    if any(f["properties"].get("unreliable_inputs") for f in feature_collection["features"]):
        for feature in feature_collection["features"]:  # docs/integration.md §2: classes resting on small numbers
            feature["properties"]["unsicher"] = feature["properties"].get("unreliable_inputs") or "–"
        rows.append(("unsicher", "statistisch unsicher"))
    folium.GeoJson(
        feature_collection, name=control_label(title), style_function=style,
        highlight_function=lambda _f: {"weight": 3, "color": "#ffbf00"},
        on_each_feature=feature_details(rows, rows + [("grund", "ohne Zuordnung weil")]),
    ).add_to(fmap)
    extra = [(f'<div><span class="swatch" style="background:#fff;border:2.5px solid {ATTENTION_OUTLINE}"></span>'
             f'{escape(attention_label)} <span class="count">({attention_count})</span></div>')]
    if no_class_count:
        extra.append(f'<div><span class="swatch" style="background:{NO_CLASS_COLOUR};border-style:dashed"></span>'
                     f'ohne Zuordnung <span class="count">({no_class_count})</span></div>')
    if set(fill) == set(GESAMTINDEX_COLOURS):
        fmap.get_root().html.add_child(RawHtml(legend_html(title, [], [gesamtindex_grid(entries), *extra])))
    else:
        fmap.get_root().html.add_child(RawHtml(legend_html(title, entries, extra)))
    return map_page(fmap)




def _dark(colour: str) -> bool:
    """Whether white text reads better than black on `colour` (#rrggbb; relative luminance below 0.18)."""
    red, green, blue = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2] < 0.18


def gesamtindex_grid(entries: list[LegendEntry], lang: str = "de") -> str:
    """The Gesamtindex legend as the MSS draws it: status (rows, 1 high to 4 very low) by dynamics (columns,
    positive, stable, negative), each cell its colour and count, the full label as the cell's title; the words in
    `lang`."""
    _ = translator(lang)
    colour_code = {colour: code for code, colour in GESAMTINDEX_COLOURS.items()}
    by_code = {colour_code[entry.colour]: entry for entry in entries if entry.colour in colour_code}
    head = "".join(f'<th scope="col">{escape(sign)}<br><span class="count">{escape(words[lang])}</span></th>'
                   for sign, words in DYNAMICS_LABELS.items())
    rows = []
    for status_class, words in STATUS_LABELS.items():
        status = str(status_class)
        cells = []
        for sign in DYNAMICS_LABELS:
            code = f"{status}{sign}"
            entry = by_code.get(code)
            label, count = (entry.label, entry.count) if entry else (code, 0)
            colour = GESAMTINDEX_COLOURS[code]
            ink = "#ffffff" if _dark(colour) else "#000000"
            cells.append(f'<td title="{escape(label)}"><span class="cell" style="background:{colour};color:{ink}">'
                         f'{escape(code)}</span> <span class="count">{count}</span></td>')
        rows.append(f'<tr><th scope="row">{escape(status)} <span class="count">{escape(words[lang])}</span></th>'
                    f'{"".join(cells)}</tr>')
    label = escape(_("Gesamtindex: Status (Zeilen) mal Dynamik (Spalten), Zahl der Gebiete"))
    corner = escape(_("Status / Dynamik"))
    return (f'<table class="grid" aria-label="{label}">'
            f'<tr><th scope="col">{corner}</th>{head}</tr>{"".join(rows)}</table>')


def hotspot_map(feature_collection: dict, *, title: str, counts: dict[str, int], excluded_count: int,
                bounds: list[float] | None, tile_url: str | None) -> str:
    """Areas filled by LISA quadrant (property `quadrant`); areas left out (no value, island) hatched grey."""

    def style(feature: dict) -> dict:
        quadrant = feature["properties"].get("quadrant")
        colour = QUADRANT_COLOURS.get(quadrant)
        return {"fillColor": colour or NO_CLASS_COLOUR, "fillOpacity": 0.85 if colour else 0.5, "color": "#666666",
                "weight": 0.4, "dashArray": None if colour else "3"}

    fmap = base_map(bounds, tile_url, title=title)
    for feature in feature_collection["features"]:
        properties = feature["properties"]
        quadrant = properties.get("quadrant")
        properties["cluster"] = QUADRANT_LABELS_DE.get(quadrant, properties.get("excluded") or "nicht analysiert")
        properties["p"] = "–" if properties.get("p_sim") is None else f"{properties['p_sim']:.3f}".replace(".", ",")
    rows = [("name", "Name"), ("key", "Schlüssel"), ("cluster", "Cluster"), ("p", "Pseudo-p-Wert")]
    folium.GeoJson(
        feature_collection, name=control_label(title), style_function=style,
        highlight_function=lambda _f: {"weight": 3, "color": "#000000"},
        on_each_feature=feature_details(rows, rows),
    ).add_to(fmap)
    entries = [LegendEntry(QUADRANT_LABELS_DE[q], QUADRANT_COLOURS[q], counts.get(q, 0)) for q in QUADRANT_COLOURS]
    extra = []
    if excluded_count:
        extra.append(f'<div><span class="swatch" style="background:{NO_CLASS_COLOUR};border-style:dashed"></span>'
                     f'nicht analysiert <span class="count">({excluded_count})</span></div>')
    fmap.get_root().html.add_child(RawHtml(legend_html(title, entries, extra)))
    return map_page(fmap)


def legend_html(title: str, entries: list[LegendEntry], extra: list[str]) -> str:
    rows = "".join(
        f'<div><span class="swatch" style="background:{entry.colour}"></span>{escape(entry.label)} '
        f'<span class="count">({entry.count})</span></div>'
        for entry in entries
    )
    return f"""
<style>
  #legend {{ position: absolute; z-index: 1000; bottom: 24px; right: 12px; background: rgba(255,255,255,.94);
            padding: 8px 10px; font: 13px/1.45 system-ui, sans-serif; border-radius: 4px; max-width: 340px;
            box-shadow: 0 1px 4px rgba(0,0,0,.3); }}
  #legend .swatch {{ display: inline-block; width: 14px; height: 14px; margin-right: 6px; vertical-align: -2px;
                    border: 1px solid #777; box-sizing: border-box; }}
  #legend .count {{ color: #555; }}
  #legend table.grid {{ border-collapse: collapse; margin: 4px 0; }}
  #legend table.grid th, #legend table.grid td {{ padding: 2px 4px; text-align: left; font-weight: normal;
                                                 font-size: 12px; white-space: nowrap; }}
  #legend table.grid .cell {{ display: inline-block; min-width: 30px; padding: 1px 3px; border: 1px solid #777;
                             text-align: center; font-size: 11px; }}
  #legend summary {{ cursor: pointer; }}
  @media (max-width: 600px) {{  /* phones: the legend folds to its title (maps.js) and never hides the map */
    #legend {{ left: 8px; right: 8px; bottom: 40px; max-width: none; max-height: 42vh; overflow: auto;
              font-size: 12px; padding: 6px 8px; }}
  }}
</style>
<details id="legend" open role="region" aria-label="Legende"><summary><strong>{escape(title)}</strong></summary>{rows}{"".join(extra)}</details>"""
