"""What every Folium map of the service shares: the base map, colours, geometry for drawing, and the details
shown on hover and click, which are always built as text, never as HTML.

Every value on a map (area, facility and indicator names, class labels, exclusion reasons) came from a
delivery or a definition and may contain markup. Folium's GeoJsonTooltip/GeoJsonPopup put values into
innerHTML and Leaflet's layer control writes layer names as HTML, so the maps here never use them:
`feature_details` binds tooltips and popups through /static/maps.js (textContent), `control_label` escapes
layer names, and JSON in inline scripts goes through `script_json`. Leaflet is served from /static
(vendored), so maps work without internet access. Draws nothing from the database itself: the geometry of
every map comes from `geo.features` (the one builder, with the one simplification).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from html import escape
from typing import Any

import folium
import orjson
from branca.element import Element, MacroElement
from branca.utilities import color_brewer
from folium.utilities import JsCode
from sqlalchemy.engine import Connection

from geo.features import area_features

# Leaflet, then the text-only details of every map (dmMaps), before the map's own inline script runs.
LEAFLET_JS = [("leaflet", "/static/vendor/leaflet/leaflet.js"), ("dm_maps", "/static/maps.js")]
LEAFLET_CSS = [("leaflet_css", "/static/vendor/leaflet/leaflet.css"), ("dm_maps_css", "/static/maps.css")]
# Colour ramps are ColorBrewer's (Brewer, Harrower 2003), read from branca (Folium's own dependency, which
# ships the ColorBrewer tables) so that every k from 1 to 9 gets its own distinct, colour-blind safe shades.
# Sequential: YlOrRd (dark red = worse, whatever the indicator's direction) and PuBu (no direction).
WORSE_RAMP, NEUTRAL_RAMP = "YlOrRd", "PuBu"
MISSING_COLOUR = "#d9d9d9"
# Change maps: single-hue halves, light near zero to dark: red = change for the worse, blue = for the
# better; purple/orange when the indicator has no direction; grey-white for a class around zero.
WORSE_SIDE, BETTER_SIDE, NEUTRAL_DOWN, NEUTRAL_UP = "Reds", "Blues", "Purples", "Oranges"
AROUND_ZERO = "#f7f7f7"
GERMANY_CENTRE = (51.16, 10.45)  # only until a map without bounds is fitted; maps show their own data's extent
TILE_ATTRIBUTION = "© OpenStreetMap-Mitwirkende"


# Folium's Map template hard-codes `maximum-scale=1.0, user-scalable=no`: phones could not pinch-zoom the
# page (WCAG 1.4.4). Folium has no option for it, so the one place that turns a map into a page replaces it.
FOLIUM_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*user-scalable=no[^>]*>')
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


class RawHtml(Element):
    """Finished HTML (or script) placed into a Folium page as it is. branca's own `Element(text)` compiles its
    text as a Jinja template on every page: slow for a large panel, and an area or indicator name containing
    "{{ ... }}" would be evaluated on the server (template injection). Everything the service adds to a map
    page is already rendered and escaped, so it goes in through this class."""

    def __init__(self, html: str):
        super().__init__("")
        self.html = html

    def render(self, **kwargs) -> str:
        return self.html


def _render_macro_once(self: MacroElement, **kwargs) -> None:
    """branca's MacroElement.render, except that the rendered header, html and script parts go into the page as
    they are. branca wraps each part in `Element(text)`, which compiles the finished text (with the GeoJSON,
    layer names and tooltips in it) as a Jinja template a second time: an area or indicator named
    "{{ 7*7 }}" became "49" on the page, and any Jinja in a name ran on the server; the second compilation of
    a 600 KB GeoJSON also cost a third of a map page's time. branca offers no switch for it (0.8), so the one
    method is replaced here, where every map page of the service is made."""
    figure = self.get_root()
    parts = self._template.module.__dict__
    for part in ("header", "html", "script"):
        macro = parts.get(part)
        if macro is not None:
            getattr(figure, part).add_child(RawHtml(macro(self, kwargs)), name=self.get_name())
    for element in self._children.values():
        element.render(**kwargs)


MacroElement.render = _render_macro_once


def map_page(fmap: folium.Map, lang: str = "de") -> str:
    """The complete HTML document of a map page (every map page is rendered here), with the page's language
    (Folium's template has none; screen readers need it)."""
    page = FOLIUM_VIEWPORT.sub(VIEWPORT, fmap.get_root().render())
    return page.replace("<html>", f'<html lang="{escape(lang)}">', 1)


def base_map(bounds: list[float] | None, tile_url: str | None, *, title: str | None = None, fit: bool = True,
             **options: Any) -> folium.Map:
    """An empty Folium map on vendored Leaflet showing `bounds` (minLon, minLat, maxLon, maxLat), with the
    configured background tiles (none by default, so that no page asks a third party for anything) and the
    page title (escaped). `options` go to folium.Map (e.g. max_zoom)."""
    centre = ((bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2) if bounds else GERMANY_CENTRE
    fmap = folium.Map(location=centre, zoom_start=10 if bounds else 6, tiles=None, control_scale=True, **options)
    fmap.default_js = LEAFLET_JS
    fmap.default_css = LEAFLET_CSS
    if bounds and fit:  # fit=False: the page's own script sets the view (see explorer.js)
        fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr=TILE_ATTRIBUTION, name="Hintergrundkarte",
                         max_zoom=options.get("max_zoom", 18)).add_to(fmap)
    if title is not None:
        fmap.get_root().header.add_child(RawHtml(f"<title>{escape(title)}</title>"))
    return fmap


# what `script_json` escapes: jinja2's htmlsafe_json_dumps set, and the two line separators that older parsers took
# for line breaks (orjson writes them as they are)
_SCRIPT_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"), (b"'", b"\\u0027"),
                   ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


def script_json(value: Any) -> str:
    """JSON that can stand inside an inline <script>: `<`, `>`, `&` and `'` escaped (no `</script>` or `<!--`
    can end or bend the element), U+2028/U+2029 escaped (not line breaks for older parsers); NaN as null.
    orjson, not jinja2's htmlsafe_json_dumps (the standard json module): for the explorer's 10,997 Gemeinden
    2 ms instead of 4, and 368 KB instead of 423 (letters such as ü as they are, not as \\u escapes)."""
    text = orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)
    for raw, escaped in _SCRIPT_ESCAPES:
        text = text.replace(raw, escaped)
    return text.decode()


def control_label(text: str) -> str:
    """A layer's name for Leaflet's layer control, which writes names as HTML: the text escaped."""
    return escape(text)


def feature_details(tooltip: list[tuple[str, str]], popup: list[tuple[str, str]] | None = None,
                    profile_level: str | None = None) -> JsCode:
    """`on_each_feature` of a folium.GeoJson: a tooltip (and on click a popup) listing the feature's
    properties as (property, label) rows, built as text by /static/maps.js; with `profile_level`, the popup
    links to the area's profile."""
    options = {"popup": popup, "profileLevel": profile_level}
    return JsCode(f"function (feature, layer) {{ dmMaps.bindDetails(feature, layer, {script_json(tooltip)}, "
                  f"{script_json(options)}); }}")


def brewer(ramp: str, k: int) -> list[str]:
    """k distinct colours of a ColorBrewer ramp, light to dark (1 or 2 classes: taken from the 3-class ramp,
    the darker end first, so that one class is never near-white)."""
    if k >= 3:
        return color_brewer(ramp, k)
    three = color_brewer(ramp, 3)
    return three[2:] if k == 1 else three[1:]


def palette(direction: str, k: int) -> list[str]:
    """k colours from light to dark; for `higher_is_better` the order is reversed so that worse stays dark."""
    chosen = brewer(NEUTRAL_RAMP if direction == "neutral" else WORSE_RAMP, k)
    return list(reversed(chosen)) if direction == "higher_is_better" else chosen


def diverging_colours(lowest: float, bins: tuple[float, ...], direction: str) -> list[str]:
    """Colours for the classes of a change (upper limits `bins`, first class from `lowest`): classes wholly
    below zero take the "down" shades, wholly above zero the "up" shades, darker the further from zero;
    a class containing zero is grey-white. For `higher_is_worse` up is worse (red), for `higher_is_better`
    down is worse (red)."""
    down, up = BETTER_SIDE, WORSE_SIDE
    if direction == "higher_is_better":
        down, up = WORSE_SIDE, BETTER_SIDE
    elif direction == "neutral":
        down, up = NEUTRAL_DOWN, NEUTRAL_UP
    lowers = [lowest, *bins[:-1]]
    below = [i for i, upper in enumerate(bins) if upper <= 0]
    above = [i for i, lower in enumerate(lowers) if lower >= 0 and i not in below]
    colours = [AROUND_ZERO] * len(bins)
    if below:
        shades = brewer(down, len(below))
        for rank, i in enumerate(reversed(below)):  # nearest to zero first = lightest
            colours[i] = shades[rank]
    if above:
        shades = brewer(up, len(above))
        for rank, i in enumerate(above):
            colours[i] = shades[rank]
    return colours


# Geometry for drawing, by detail: simplified in the storage CRS (metres), coordinates rounded. At zoom 15 (the
# most a small-area map needs) one pixel is ~3 m at German latitudes, so 5 m tolerance and 1e-5 degrees (~1 m)
# cannot be seen; outlines drawn over a finer level take 20 m; "full" is the stored geometry (comparisons).
GEOMETRY_DETAILS = {"map": {"simplify_m": 5.0, "precision": 5},
                    "full": {"simplify_m": None, "precision": 7},
                    "outline": {"simplify_m": 20.0, "precision": 4}}


# Drawn features per worker: a map page embeds its level's geometry, and reading and parsing it again for every
# indicator, class scheme or profile cost more than the rest of the page. Kept while the data_version stays (an
# import or a boundary change moves it); a handful of levels and tolerances at most.
_DRAWN: OrderedDict[tuple, Any] = OrderedDict()
_DRAWN_LOCK = threading.Lock()
DRAWN_KEPT = 24


def _remembered(key: tuple, version: int | None, compute: Callable[[], Any]) -> Any:
    """This worker's copy of `compute()` for `key` while `version` (the data_version) is unchanged, the least
    recently used dropped first; None computes anew."""
    if version is None:
        return compute()
    key = (*key, version)
    with _DRAWN_LOCK:
        kept = _DRAWN.get(key)
        if kept is not None:
            _DRAWN.move_to_end(key)
            return kept
    kept = compute()
    with _DRAWN_LOCK:
        _DRAWN[key] = kept
        while len(_DRAWN) > DRAWN_KEPT:
            _DRAWN.popitem(last=False)
    return kept


def drawn_geometry(conn: Connection, level: str, at: date, storage_srid: int, detail: str,
                   version: int | None) -> bytes:
    """A level's drawn geometry as a GeoJSON FeatureCollection (id = key, properties: name), serialised once per
    worker and data_version: the map pages load it separately (/maps/geometry/...), so that a browser keeps it
    while the indicator, period or classes change and a page carries only its values and colours."""
    def serialise() -> bytes:
        features = drawn_features(conn, level, at, storage_srid, **GEOMETRY_DETAILS[detail], version=version)
        return orjson.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": f["id"], "geometry": f["geometry"],
             "properties": {"name": f["properties"]["name"]}} for f in features]})

    return _remembered(("bytes", level, at, storage_srid, detail), version, serialise)


def drawn_features(conn: Connection, level: str, at: date, storage_srid: int, *, simplify_m: float | None,
                   precision: int, version: int | None) -> list[dict]:
    """`geo.features.area_features` for drawing, from this worker's copy while `version` (the data_version) is
    unchanged; None reads anew. Each caller gets its own feature dicts (it may replace their properties)."""
    kept = _remembered(("features", level, at, storage_srid, simplify_m, precision), version,
                       lambda: _untracked(area_features(conn, level, at, storage_srid, simplify_m, precision)))
    return [{**feature, "properties": dict(feature["properties"])} for feature in kept]


def _untracked(features: list[dict]) -> list[dict]:
    """The features with their coordinates as nested tuples instead of lists, for keeping. Python's cycle
    collector visits every list on each full collection but stops tracking a tuple of numbers: the lists of the
    10,997 Gemeinden were 220,000 objects, and a full collection of a worker that had drawn them took 0.3-0.45 s
    of some request's time (about every third change of the explorer's map); as tuples they cost nothing there.
    The conversion takes 90 ms, once per level and data_version; readers take tuples as they took lists."""
    def frozen(value: Any) -> Any:
        return tuple(map(frozen, value)) if isinstance(value, list) else value

    return [{**feature, "geometry": {**feature["geometry"], "coordinates": frozen(feature["geometry"]["coordinates"])}}
            if feature.get("geometry") else feature for feature in features]
