"""Static charts and maps drawn server-side with matplotlib: trend lines, locator maps, small choropleths.

Used by area profiles and the integration report (HTML and PDF alike), so they need no JavaScript.
Every function takes plain data (numbers, GeoJSON geometries, colours) and returns SVG text or PNG bytes.
The object-oriented Figure API is used (not pyplot): it keeps no global state, so requests can draw in
parallel threads.
"""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Sequence
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING

from indicators.notation import format_day, format_number
from web.i18n import translator

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.path import Path as MplPath

SERIES_STYLES = [  # area, parent, city: colour-blind safe (Okabe-Ito) and distinguishable without colour
    {"color": "#b2182b", "linewidth": 2.2, "marker": "o", "linestyle": "-"},
    {"color": "#0072b2", "linewidth": 1.5, "marker": "s", "linestyle": "--"},
    {"color": "#555555", "linewidth": 1.5, "marker": "^", "linestyle": ":"},
]


@cache
def configure_matplotlib() -> None:
    """Import and configure matplotlib once, on first use (it takes about a second to import, and the app starts
    without it): the Agg backend (no display), and the house style."""
    import matplotlib

    matplotlib.use("Agg")
    # text.parse_math off: names are text; a name with two "$" would otherwise be parsed as TeX and fail the chart
    matplotlib.rcParams.update({"svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 9,
                                "axes.spines.top": False, "axes.spines.right": False, "text.parse_math": False})


def data_uri(content: bytes | str, media_type: str) -> str:
    raw = content.encode() if isinstance(content, str) else content
    return f"data:{media_type};base64,{base64.b64encode(raw).decode()}"


MAX_DATE_TICKS = 4  # date labels of a trend chart: more overlap at its width and cost drawing time


def trend_svg(series: Sequence[tuple[str, Sequence[tuple[date, float | None]]]], unit: str, decimals: int = 1,
              target: tuple[int, float] | None = None, breaks: Sequence[tuple[date, str]] = (),
              lang: str = "de", estimated: Sequence[tuple[date, float]] = (),
              boundary_change: tuple[date, str] | None = None) -> str:
    """A line per series (label, [(period, value)]) over the periods; gaps where a value is missing.
    `target` (year, value) draws the indicator's target as a horizontal line; each of `breaks` (date, note), a
    break in the series (a census, a new definition), as a dashed vertical line with its note, and no line
    joins the values on either side of it; a break outside the values' periods is left out. `estimated`: the
    first series' values estimated for its boundaries from an earlier boundary version (indicators.estimates),
    drawn in its colour as a dotted line with open markers and named so in the legend; `boundary_change` (date,
    note) marks where its own boundaries begin, as a dotted vertical line (the other series go on across it)."""
    configure_matplotlib()
    from matplotlib import ticker
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.2, 2.2), dpi=100)
    axes = figure.add_subplot()
    periods = sorted({p for _label, points in series for p, v in points if v is not None}
                     | {p for p, v in estimated if v is not None})
    # a break before the first or after the last value separates nothing this chart shows (and would stretch it)
    breaks = [(at, note) for at, note in breaks if periods and periods[0] < at <= periods[-1]]
    cuts = sorted(at for at, _note in breaks)
    for (label, points), style in zip(series, SERIES_STYLES):
        known = sorted((p, v) for p, v in points if v is not None)
        for i, segment in enumerate(_segments(known, cuts)):
            axes.plot([p for p, _v in segment], [v for _p, v in segment], label=label if i == 0 else None,
                      markersize=4, **style)
    _ = translator(lang)
    if estimated and series:
        known = sorted((p, v) for p, v in estimated if v is not None)
        own = sorted((p, v) for p, v in series[0][1] if v is not None)
        if own and known and own[0][0] > known[-1][0]:
            known.append(own[0])  # the dotted line leads to the first published value
        axes.plot([p for p, _v in known], [v for _p, v in known], color=SERIES_STYLES[0]["color"], linewidth=1.6,
                  linestyle=":", marker="o", markersize=4, markerfacecolor="white",
                  label=f"{series[0][0]} ({_('geschätzt')})")
    if boundary_change is not None and periods and periods[0] < boundary_change[0] <= periods[-1]:
        axes.axvline(boundary_change[0], color="#555555", linewidth=0.9, linestyle=":")
        axes.annotate(boundary_change[1], xy=(boundary_change[0], 1), xycoords=("data", "axes fraction"),
                      xytext=(-3, -2), textcoords="offset points", va="top", ha="right", fontsize=6.5,
                      color="#333333")  # on the side of the estimates, at the top like a break's note
    for at, note in breaks:
        axes.axvline(at, color="#555555", linewidth=0.9, linestyle=(0, (4, 3)))
        axes.annotate(note, xy=(at, 1), xycoords=("data", "axes fraction"), xytext=(3, -2),
                      textcoords="offset points", va="top", fontsize=6.5, color="#333333")
    if target is not None:
        word = translator(lang)("Ziel")  # the profile's word for it, from the catalogue (web/locale)
        axes.axhline(target[1], color="#009e73", linewidth=1, linestyle="-.", label=f"{word} {target[0]}")
    axes.set_ylabel(unit)
    axes.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _p: format_number(v, decimals, lang)))
    # long series (the register every half year): evenly spread dates, the first and the latest always labelled
    count = min(len(periods), MAX_DATE_TICKS)
    shown = [periods[round(i * (len(periods) - 1) / max(count - 1, 1))] for i in range(count)]
    axes.set_xticks(shown, [format_day(p, lang) for p in shown], fontsize=7)
    if len(periods) == 1:
        axes.set_xlim(periods[0] - timedelta(days=365), periods[0] + timedelta(days=365))
    axes.grid(axis="y", color="#e0e0e0", linewidth=0.6)
    axes.legend(loc="best", fontsize=7, frameon=False)
    # margins from the longest tick label instead of tight_layout, which draws the whole figure once more to
    # measure it (half of a chart's time; a profile draws one chart per indicator)
    longest = max((len(format_number(v, decimals, lang)) for v in axes.get_yticks()), default=4)
    left = 0.1 + longest * 9 * 0.62 / 72 + (0.22 if unit else 0)  # inches: tick labels of 9 pt, the unit's label
    figure.subplots_adjust(left=left / 4.2, right=0.9, top=0.96, bottom=0.16)  # right: half a date label
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    return buffer.getvalue()


def _segments(points: list[tuple[date, float]], cuts: Sequence[date]) -> list[list[tuple[date, float]]]:
    """The points split at each break date (a point on the date belongs to the part after it)."""
    parts: list[list[tuple[date, float]]] = [[]]
    remaining = list(cuts)
    for point in points:
        while remaining and point[0] >= remaining[0]:
            remaining.pop(0)
            if parts[-1]:
                parts.append([])
        parts[-1].append(point)
    return [part for part in parts if part]


def _polygon_path(geometry: dict) -> MplPath | None:
    """A matplotlib path (holes included) from a GeoJSON Polygon/MultiPolygon."""
    configure_matplotlib()
    from matplotlib.path import Path as MplPath

    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry.get("coordinates", [])
    vertices, codes = [], []
    for polygon in polygons:
        for ring in polygon:
            if len(ring) < 3:
                continue
            vertices.extend(ring)
            codes.extend([MplPath.MOVETO] + [MplPath.LINETO] * (len(ring) - 2) + [MplPath.CLOSEPOLY])
    return MplPath(vertices, codes) if vertices else None


def lon_lat_aspect(paths: Sequence[MplPath | None]) -> float:
    """The axes aspect that draws lon/lat without distortion where the paths lie: one degree of longitude is
    cos(latitude) of a degree of latitude (0.61 in Berlin, 0.69 in Munich, 0.57 in Flensburg)."""
    import math

    latitudes = [p.vertices[:, 1].mean() for p in paths if p is not None and len(p.vertices)]
    middle = sum(latitudes) / len(latitudes) if latitudes else 51.0
    return 1 / math.cos(math.radians(middle))


def _map_axes(figure: Figure, paths: Sequence[MplPath | None]):
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    axes.set_aspect(lon_lat_aspect(paths))
    return axes


def locator_svg(background: Sequence[dict], highlight: dict, size_in: float = 2.4) -> str:
    """Small map: background geometries as grey outlines, the highlighted geometry filled dark red."""
    configure_matplotlib()
    from matplotlib.collections import PatchCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import PathPatch

    figure = Figure(figsize=(size_in, size_in * 0.8), dpi=100)
    paths = [p for p in (_polygon_path(g) for g in background) if p is not None]
    axes = _map_axes(figure, paths)
    axes.add_collection(PatchCollection([PathPatch(p) for p in paths], facecolor="#f2f2f2", edgecolor="#888888",
                                        linewidth=0.5))
    own = _polygon_path(highlight)
    if own is not None:
        axes.add_patch(PathPatch(own, facecolor="#b2182b", edgecolor="#000000", linewidth=0.8))
    axes.autoscale_view()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", transparent=True)
    return buffer.getvalue()


def map_paths(geometries: Sequence[dict]) -> list[MplPath | None]:
    """Matplotlib paths of GeoJSON polygons, built once and reused by every map of a report."""
    return [_polygon_path(g) for g in geometries]


def _draw_areas(axes, paths: Sequence[MplPath | None], colours: Sequence[str], outlines: Sequence[MplPath | None],
                *, edge: tuple[str, float], outline_width: float) -> None:
    """Filled areas (thin edges) and the outlines of a coarser level on top: the body of every choropleth."""
    from matplotlib.collections import PathCollection

    drawn = [(path, colour) for path, colour in zip(paths, colours) if path is not None]
    axes.add_collection(PathCollection([p for p, _c in drawn], facecolors=[c for _p, c in drawn],
                                       edgecolors=edge[0], linewidths=edge[1], transform=axes.transData))
    axes.add_collection(PathCollection([p for p in outlines if p is not None], facecolors="none",
                                       edgecolors="#222222", linewidths=outline_width, transform=axes.transData))


def choropleth_png(paths: Sequence[MplPath | None], colours: Sequence[str], outlines: Sequence[MplPath | None],
                   title: str, legend: Sequence[tuple[str, str]], width_in: float = 3.4, dpi: int = 100) -> bytes:
    """A small static choropleth for print: filled areas, thicker outlines on top, legend below."""
    configure_matplotlib()
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    figure = Figure(figsize=(width_in, width_in * 0.95), dpi=dpi)
    axes = figure.add_axes((0, 0.22, 1, 0.70))
    axes.set_axis_off()
    axes.set_aspect(lon_lat_aspect(paths))
    _draw_areas(axes, paths, colours, outlines, edge=("#777777", 0.15), outline_width=0.6)
    axes.autoscale_view()
    figure.suptitle(textwrap.fill(title, 52), fontsize=7.5, y=0.99, va="top")
    handles = [Patch(facecolor=colour, edgecolor="#777777", label=label) for label, colour in legend]
    figure.legend(handles=handles, loc="lower center", ncol=2, fontsize=6.5, frameon=False,
                  bbox_to_anchor=(0.5, 0.0))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def map_sheet(paths: Sequence[MplPath | None], colours: Sequence[str], outlines: Sequence[MplPath | None],
              highlighted: Sequence[MplPath | None], title: str, legend_title: str,
              legend: Sequence[tuple[str, str, str]], footer: Sequence[str], fmt: str) -> bytes:
    """A map to hand on (A4 landscape): title, the filled areas with outlines and highlighted areas (dashed),
    the legend (label, colour, line style: "fill", "line" or "dashed"), and a footer (source, Gebietsstand,
    classification, date). `fmt` "png" (200 dpi) or "pdf" (vector)."""
    configure_matplotlib()
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    figure = Figure(figsize=(11.69, 8.27), dpi=200)
    figure.text(0.03, 0.965, textwrap.fill(title, 95), fontsize=15, fontweight="bold", va="top")
    axes = figure.add_axes((0.02, 0.11, 0.68, 0.78))
    axes.set_axis_off()
    axes.set_aspect(lon_lat_aspect(paths))
    _draw_areas(axes, paths, colours, outlines, edge=("#666666", 0.2), outline_width=0.9)
    axes.add_collection(PathCollection([p for p in highlighted if p is not None], facecolors="none",
                                       edgecolors="#000000", linewidths=1.8, linestyles=(0, (4, 2)),
                                       transform=axes.transData))
    axes.autoscale_view()
    handles = []
    for label, colour, style in legend:
        label = textwrap.fill(label, 42)
        if style == "fill":
            handles.append(Patch(facecolor=colour, edgecolor="#666666", label=label))
        else:
            handles.append(Line2D([0], [0], color=colour, linewidth=1.8 if style == "dashed" else 1.0,
                                  linestyle=(0, (4, 2)) if style == "dashed" else "-", label=label))
    figure.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.72, 0.88), frameon=False, fontsize=9.5,
                  title=textwrap.fill(legend_title, 40), title_fontsize=10, alignment="left")
    figure.text(0.03, 0.025, "\n".join(textwrap.fill(line, 150) for line in footer), fontsize=7.5, va="bottom",
                color="#333333")
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, metadata={"Title": title} if fmt == "pdf" else None)
    return buffer.getvalue()
