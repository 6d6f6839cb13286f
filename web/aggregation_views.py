"""Presentation of aggregation results: the supply map (Folium, vendored Leaflet) and the programme evaluation
chart (matplotlib SVG). Receives finished results; the supply map reads its area geometries through
`geo.features` (the one GeoJSON builder) and writes no SQL of its own beyond the empty properties fragment.
"""

from __future__ import annotations

import io
from datetime import date
from html import escape

import folium
import orjson
import pandas as pd
from sqlalchemy.engine import Connection

from geo.features import FeatureQuery, feature_texts, level_extent
from geo.points import list_point_layers, points_feature_collection
from indicators.catalogue import get_indicator
from indicators.classify import classify

from web.charts import configure_matplotlib
from web.maps import MISSING_COLOUR, RawHtml, base_map, control_label, feature_details, map_page, palette
from indicators.notation import format_number

GROUP_LABELS = {"programme": "Programmgebiet", "rest": "übrige Stadt", "matched": "Vergleichsgebiete"}
GROUP_COLOURS = {"programme": "#bd0026", "rest": "#777777", "matched": "#2b8cbe"}


# Titles of well-known supply ratios (layer, capacity, population, per); any other gets a generic title.
NO_PROPERTIES = "SELECT NULL::bigint AS area_id, NULL::jsonb AS properties WHERE false"


def supply_map_page(conn: Connection, result: dict, *, tile_url: str | None) -> str:
    """The map page of a supply result (`indicators.supply.supply_per_area`, with the layer, capacity, population
    and level it resolved): areas coloured by quintile of the ratio, the facilities as dots, German labels named
    after the layer and the population it serves."""
    level, layer, capacity = result["level"], result["layer"], result["capacity_field"]
    population, per = result["population_indicator"], result["per"]
    at = date.fromisoformat(result["boundary_version"])
    by_key = {item["key"]: item for item in result["items"]}
    texts = feature_texts(conn, FeatureQuery(level=level, at=at, limit=100_000, precision=5, simplify_m=5.0),
                          NO_PROPERTIES)
    features = []
    for text in texts:
        feature = orjson.loads(text)
        item = by_key.get(feature["id"], {})
        value = item.get("supply")
        feature["properties"].update({
            "supply": value, "wert": "kein Wert" if value is None else f"{value:.1f}".replace(".", ","),
            "plaetze": f"{item.get('capacity', 0):.0f}", "personen": "–" if item.get("population") is None
            else f"{item['population']:.0f}"})
        features.append(feature)
    values = pd.Series([i["supply"] for i in result["items"] if i["supply"] is not None], dtype=float)
    breaks = list(classify(values, "quantiles", k=5).bins[:-1]) if len(values) >= 5 else []
    points = points_feature_collection(conn, layer, capacity)
    reference = date.fromisoformat(result["population_period"]).strftime("%d.%m.%Y")
    layer_name = next((item["name_de"] for item in list_point_layers(conn) if item["code"] == layer), layer)
    served = (get_indicator(conn, population) or {}).get("name_de") or population
    title = f"Plätze ({layer_name}) je {per:g} {served}"
    return supply_map({"type": "FeatureCollection", "features": features}, title=f"{title}, {reference}",
                      breaks=breaks, points=points, tile_url=tile_url, bounds=level_extent(conn, level, at))


def supply_map(feature_collection: dict, *, title: str, breaks: list[float], points: dict | None,
               tile_url: str | None, bounds: list[float] | None) -> str:
    """Choropleth of a supply ratio per area (higher = better supplied = darker blue), facilities as dots;
    tooltips as text (`web.maps.feature_details`)."""
    fmap = base_map(bounds, tile_url, title=title)
    colours = palette("neutral", len(breaks) + 1)

    def colour(value: float | None) -> str:
        if value is None:
            return MISSING_COLOUR
        return colours[sum(value > b for b in breaks)]

    folium.GeoJson(
        feature_collection, name=control_label(title),
        style_function=lambda f: {"fillColor": colour(f["properties"].get("supply")), "color": "#555555",
                                  "weight": 0.5, "fillOpacity": 0.8},
        highlight_function=lambda _f: {"weight": 2.5, "color": "#000000"},
        on_each_feature=feature_details([("name", "Name"), ("key", "Schlüssel"), ("wert", title),
                                         ("plaetze", "Plätze"), ("personen", "Personen")]),
    ).add_to(fmap)
    if points:
        folium.GeoJson(points, name=control_label("Einrichtungen"),
                       marker=folium.CircleMarker(radius=2, color="#333333", weight=0.5, fill=True,
                                                  fill_color="#ffffff", fill_opacity=0.9),
                       on_each_feature=feature_details([("name", "Einrichtung"), ("kapazitaet", "Plätze")]),
                       ).add_to(fmap)
        folium.LayerControl(collapsed=True).add_to(fmap)
    labels = _break_labels(breaks)
    rows = "".join(f'<div><span class="swatch" style="background:{c}"></span>{escape(label)}</div>'
                   for c, label in zip(colours, labels))
    rows += f'<div><span class="swatch" style="background:{MISSING_COLOUR}"></span>kein Wert</div>'
    fmap.get_root().html.add_child(RawHtml(f"""
<style>
  #legend {{ position: absolute; z-index: 1000; bottom: 24px; right: 12px; background: rgba(255,255,255,.92);
            padding: 8px 10px; font: 13px/1.4 system-ui, sans-serif; border-radius: 4px; max-width: 260px;
            box-shadow: 0 1px 4px rgba(0,0,0,.3); }}
  #legend .swatch {{ display: inline-block; width: 14px; height: 14px; margin-right: 6px; vertical-align: -2px;
                    border: 1px solid #777; }}
</style>
<div id="legend" role="region" aria-label="Legende"><strong>{escape(title)}</strong>{rows}</div>"""))
    return map_page(fmap)


def _break_labels(breaks: list[float]) -> list[str]:
    if not breaks:
        return ["alle Werte"]
    labels = [f"bis {format_number(breaks[0], 1)}"]
    labels += [f"{format_number(lo, 1)} bis {format_number(hi, 1)}" for lo, hi in zip(breaks, breaks[1:])]
    labels.append(f"über {format_number(breaks[-1], 1)}")
    return labels


def evaluation_chart(result: dict) -> str:
    """Small multiples, one per indicator: the pre and post values of programme, rest of the city and matched
    comparison areas, with the difference in differences in the title. Returns SVG text."""
    configure_matplotlib()  # the Agg backend before pyplot is imported
    import matplotlib.pyplot as plt

    items = result["indicators"]
    count = max(1, len(items))
    columns = min(3, count)
    rows = (count + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.2 * rows + 0.8), squeeze=False)
    for ax in axes.ravel()[len(items):]:
        ax.set_visible(False)
    for ax, item in zip(axes.ravel(), items):
        x = [0, 1]
        for group in ("programme", "rest", "matched"):
            values = item[group]
            if values["pre"] is None:
                continue
            ax.plot(x, [values["pre"], values["post"]], marker="o", color=GROUP_COLOURS[group],
                    label=f"{GROUP_LABELS[group]} ({values['areas']})", linewidth=2 if group == "programme" else 1.4)
        ax.set_xticks(x, [item["pre_period"], item["post_period"]])
        ax.set_xlim(-0.2, 1.2)
        did = item["did_matched"]
        did_text = "–" if did is None else format_number(did, 2)
        ax.set_title(f"{item['indicator']}: {item['name_de'][:38]}\nDiD ggü. Vergleichsgebieten: {did_text}",
                     fontsize=9, parse_math=False)  # names are text, not TeX
        ax.set_ylabel(item["unit"], fontsize=8, parse_math=False)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    programme = result["programme"]
    figure.suptitle(f"{programme['name']} (Start {programme['start_date']}): Entwicklung im Vergleich", fontsize=11,
                    parse_math=False)
    figure.text(0.01, 0.005, "Deskriptiv, kein Wirkungsnachweis / descriptive, not proof of an effect",
                fontsize=7, color="#555555")
    figure.tight_layout(rect=(0, 0.03, 1, 0.95))
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    return buffer.getvalue()
