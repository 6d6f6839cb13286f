"""Folium choropleths of one indicator: classified colours, German legend and tooltips, missing values explained.

Receives a GeoJSON FeatureCollection and a classification; draws nothing from the database itself.
Leaflet is served from /static (vendored), so maps work without internet access.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import folium
from branca.element import Element

LEAFLET_JS = [("leaflet", "/static/vendor/leaflet/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", "/static/vendor/leaflet/leaflet.css")]
# ColorBrewer YlOrRd / PuBu (colour-blind safe). Dark red = worse, whatever the indicator's direction.
WORSE_IS_DARK = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]
NEUTRAL = ["#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"]
MISSING_COLOUR = "#d9d9d9"
BERLIN_CENTRE = (52.51, 13.40)


@dataclass(frozen=True)
class Legend:
    title: str
    labels: list[str]
    colours: list[str]
    counts: list[int]
    missing_count: int


def palette(direction: str, k: int) -> list[str]:
    """k colours from light to dark; for `higher_is_better` the order is reversed so that worse stays dark."""
    base = NEUTRAL if direction == "neutral" else WORSE_IS_DARK
    chosen = [base[round(i * (len(base) - 1) / max(k - 1, 1))] for i in range(k)]
    return list(reversed(chosen)) if direction == "higher_is_better" else chosen


def choropleth(feature_collection: dict, *, value_label: str, legend: Legend, class_colour: dict[str, str | None],
               tile_url: str | None, bounds: list[float] | None = None) -> str:
    """A complete HTML page with the map. `class_colour` maps feature id -> fill colour (None = missing);
    `bounds` (minLon, minLat, maxLon, maxLat) is the extent shown first."""
    fmap = folium.Map(location=BERLIN_CENTRE, zoom_start=10, tiles=None, control_scale=True, prefer_canvas=False)
    if bounds:
        fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    fmap.default_js = LEAFLET_JS
    fmap.default_css = LEAFLET_CSS
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr="© OpenStreetMap-Mitwirkende", name="Hintergrundkarte").add_to(fmap)

    def style(feature: dict) -> dict:
        colour = class_colour.get(feature["id"])
        return {"fillColor": colour or MISSING_COLOUR, "color": "#555555", "weight": 0.5,
                "fillOpacity": 0.8 if colour else 0.5, "dashArray": None if colour else "3"}

    folium.GeoJson(
        feature_collection,
        name=value_label,
        style_function=style,
        highlight_function=lambda _f: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=["name", "key", "wert"], aliases=["Name", "Schlüssel", value_label],
                                      sticky=True),
        popup=folium.GeoJsonPopup(fields=["name", "key", "wert"], aliases=["Name", "Schlüssel", value_label]),
    ).add_to(fmap)
    fmap.get_root().html.add_child(Element(_legend_html(legend)))
    fmap.get_root().header.add_child(Element(f"<title>{escape(legend.title)}</title>"))
    return fmap.get_root().render()


def _legend_html(legend: Legend) -> str:
    rows = "".join(
        f'<div><span class="swatch" style="background:{colour}"></span>{escape(label)} '
        f'<span class="count">({count})</span></div>'
        for label, colour, count in zip(legend.labels, legend.colours, legend.counts)
    )
    if legend.missing_count:
        rows += (f'<div><span class="swatch" style="background:{MISSING_COLOUR}"></span>kein Wert '
                 f'<span class="count">({legend.missing_count})</span></div>')
    return f"""
<style>
  #legend {{ position: absolute; z-index: 1000; bottom: 24px; right: 12px; background: rgba(255,255,255,.92);
            padding: 8px 10px; font: 13px/1.4 system-ui, sans-serif; border-radius: 4px;
            box-shadow: 0 1px 4px rgba(0,0,0,.3); }}
  #legend .swatch {{ display: inline-block; width: 14px; height: 14px; margin-right: 6px; vertical-align: -2px;
                    border: 1px solid #777; }}
  #legend .count {{ color: #666; }}
</style>
<div id="legend" role="region" aria-label="Legende"><strong>{escape(legend.title)}</strong>{rows}</div>"""
