"""Two maps side by side ("Kartenvergleich"): one indicator at two periods, or two indicators at one period, on
the same level, with linked pans (/static/compare.js).

Two periods of one indicator are classified together: the class limits come from the values of both maps, so
that one colour means the same range on the left and on the right (classified apart, a district that did not
change could change colour only because the others did). Two different indicators keep their own classes and
legends (their units differ). Each side is an ordinary explorer state (`web.explorer.resolve_state`), so the
checks, defaults and "no dead end" answers are the explorer's; this module runs no SQL of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from geo.features import level_extent
from geo.levels import grouping_level, list_levels
from indicators.catalogue import list_periods
from web.explorer import (
    SCHEME_LABELS,
    Choices,
    ExplorerData,
    ExplorerState,
    _mappable,
    classify_pooled,
    explorer_data,
    explorer_drawing,
    legend_rows,
    map_title,
    resolve_state,
)
from web.i18n import translator
from web.maps import MISSING_COLOUR, palette, script_json
from web.values import decimals_for


@dataclass
class Comparison:
    left: ExplorerData
    right: ExplorerData
    shared_classes: bool  # one legend for both maps (same indicator)

    def as_json(self) -> dict:
        return {"shared_classes": self.shared_classes,
                "left": self.left.as_json(), "right": self.right.as_json()}


def resolve_comparison(conn: Connection, *, indicator: str | None, indicator_right: str | None, level: str,
                       left: str | None, right: str | None, scheme: str, k: int,
                       unsuppressed: bool, lang: str = "de",
                       nearest: bool = False) -> tuple[ExplorerState, ExplorerState] | Choices:
    """Both sides' states. Defaults: the right map shows the latest period, the left one the period before it
    (for two indicators: both at the right map's period). An impossible choice is said in `lang`; with
    `nearest` (the page's form sends it) a date without values moves to the indicator's nearest period, as in
    the explorer (web.explorer.resolve_state)."""
    right_state = resolve_state(conn, indicator=indicator_right or indicator, level=level, period=right,
                                scheme=scheme, k=k, compare=None, index=None, detail="map", unsuppressed=unsuppressed,
                                lang=lang, nearest=nearest)
    if isinstance(right_state, Choices):
        return right_state
    code = indicator or right_state.indicator
    if left is None:
        earlier = [p for p in list_periods(conn, level, code, unsuppressed) if p < right_state.period]
        left = (earlier[0] if earlier and code == right_state.indicator else right_state.period).isoformat()
    left_state = resolve_state(conn, indicator=code, level=level, period=left, scheme=scheme, k=k, compare=None,
                               index=None, detail="map", unsuppressed=unsuppressed, lang=lang, nearest=nearest)
    if isinstance(left_state, Choices):
        return left_state
    return left_state, right_state


def comparison_data(conn: Connection, left: ExplorerState, right: ExplorerState, unsuppressed: bool,
                    lang: str = "de") -> Comparison:
    """Both sides' data (`lang`: the language of the reasons for a missing value), classified together for one
    indicator."""
    left_data = explorer_data(conn, left, unsuppressed, lang)
    right_data = explorer_data(conn, right, unsuppressed, lang)
    shared = left.indicator == right.indicator
    if shared:
        _classify_together(left_data, right_data)
    return Comparison(left_data, right_data, shared)


def _classify_together(left: ExplorerData, right: ExplorerData) -> None:
    """One classification over the values of both maps, split back onto each side (same limits, same colours)."""
    sides = {"L": left, "R": right}
    if not any(data.table["value"].notna().any() for data in sides.values()):
        return
    split = classify_pooled({side: data.table["value"] for side, data in sides.items()}, left.state.scheme,
                            left.state.k, decimals_for(left.indicator["unit"]))
    colours = palette(left.indicator["direction"], split["L"].k)
    for side, data in sides.items():
        data.classes = split[side]
        data.table["klass"] = data.classes.yb
        data.colours = colours


def _side_notices(left: ExplorerState, right: ExplorerState, lang: str) -> list[str]:
    """What was adjusted on either side (a period moved, a scheme that does not fit), in `lang`: a notice of
    both sides once, one of one side with that side's name."""
    _ = translator(lang)
    both = [n for n in left.notices if n in right.notices]
    return (both + [f"{_('Linke Karte')}: {n}" for n in left.notices if n not in both]
            + [f"{_('Rechte Karte')}: {n}" for n in right.notices if n not in both])


def comparison_page_context(conn: Connection, comparison: Comparison, data_version: int | None,
                            lang: str = "de") -> dict:
    """What templates/compare.html renders: both sides' drawings (fills and details per area, geometry URLs),
    legends, titles and the choices of the form; the texts in `lang`."""
    left, right = comparison.left, comparison.right
    outline_level = grouping_level(conn, left.state.level)
    sides = []
    for name, data in (("left", left), ("right", right)):
        # the drawing reads the fills from `data`, so a shared classification (_classify_together) is drawn as is
        drawing = explorer_drawing(conn, data, outline_level, data_version, lang)
        sides.append({"name": name, "data": data, "title": map_title(data, lang), "drawing_json": script_json(drawing),
                      "legend": legend_rows(data, lang),
                      "explorer": "/explorer?" + data.state.query()})
    extent = level_extent(conn, right.state.level, right.at)
    state = right.state
    bounds = [[extent[1], extent[0]], [extent[3], extent[2]]] if extent else None
    return {
        "sides": sides, "shared_classes": comparison.shared_classes, "missing_colour": MISSING_COLOUR,
        "bounds_json": script_json(bounds),
        "same_boundaries": left.at == right.at,
        "state": state, "left_state": left.state, "scheme_labels": SCHEME_LABELS,
        "notices": _side_notices(left.state, right.state, lang),
        "indicators": _mappable(conn, state, False), "levels": list_levels(conn),
        "periods_left": list_periods(conn, state.level, left.state.indicator),
        "periods_right": list_periods(conn, state.level, state.indicator),
    }

