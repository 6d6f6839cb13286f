"""The map explorer ("Kartenexplorer") for planners: one indicator, period, level and class scheme on a map,
optionally as the change between two periods, with borough outlines, attention areas of an index and search.

The whole state lives in the URL's query parameters (shareable), including an optional Empirical Bayes
smoothing of a share or rate for the map (`smooth`: indicators.uncertainty's, labelled as smoothed).
`resolve_state` checks a request's parameters against what exists and answers unknown names with a `Choices`
(message + valid links); `build_explorer` assembles values, classes and simplified geometry through `geo` and
`indicators` and renders. This module runs no SQL of its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date
from urllib.parse import quote, urlencode

import folium
import pandas as pd
from sqlalchemy.engine import Connection

from geo.areas import area_sizes
from geo.features import level_extent
from geo.levels import Level, get_level, grouping_level, list_levels
from indicators.catalogue import (
    get_indicator,
    indicators_with_values,
    latest_period,
    list_indicators,
    list_periods,
    series_break_text,
    series_breaks_between,
)
from indicators.classify import SCHEMES, Classification, classify, schemes_for
from indicators.estimates import estimated_values
from indicators.harmonise import stand_in_of
from indicators.notation import format_day
from indicators.uncertainty import (
    SMOOTHED_DE,
    SMOOTHED_EN,
    SMOOTHING,
    RateRequest,
    read_rates,
    smoothed,
    value_intervals,
)
from indicators.values import boundary_date_for, indicator_values, published_on
from indicators.version_memo import VersionMemo, per_data_version
from web import indices
from web.i18n import N_, localised_name, translator
from web.maps import (
    GEOMETRY_DETAILS,
    MISSING_COLOUR,
    RawHtml,
    base_map,
    control_label,
    diverging_colours,
    drawn_features,
    map_page,
    palette,
    script_json,
)
from web.templates import environment
from web.values import decimals_for, flag_text, value_text

SCHEME_LABELS = {  # the German names are msgids (web/locale): the explorer shows them in the page's language
    "quantiles": (N_("Quantile (gleich viele Gebiete je Klasse)"), "quantiles"),
    "fisher_jenks": (N_("Natürliche Brüche (Fisher-Jenks)"), "natural breaks (Fisher-Jenks)"),
    "std_mean": (N_("Standardabweichungen (wie im MSS)"), "standard deviations (as in the MSS)"),
    "equal_interval": (N_("Gleiche Intervalle"), "equal intervals"),
    "mss_sd": (N_("MSS-Indexklassen (±1 / 1,5 SD)"), "MSS index classes (±1 / 1.5 SD)"),
}
# where the class limits come from: this period's values, or those of every period of the indicator on the level
# (one legend for the whole series: the same colour means the same values in every year, e.g. while it plays)
LIMITS = {"period": N_("aus diesem Zeitpunkt"), "series": N_("aus allen Zeitpunkten")}
# Empirical Bayes smoothing of a share or rate for the map (indicators.uncertainty.SMOOTHING): the choice's name,
# and what the legend says it does
SMOOTHING_LABELS = {"eb": ("Empirical Bayes", N_("Geglättet mit Empirical Bayes: Werte kleiner Gebiete sind zum "
                                                "Mittel aller Gebiete gezogen, umso stärker, je kleiner ihr Nenner.")),
                    "spatial_eb": (N_("räumliches Empirical Bayes"),
                                   N_("Geglättet mit räumlichem Empirical Bayes: Werte kleiner Gebiete sind zum "
                                      "Mittel des Gebiets und seiner Nachbarn gezogen, umso stärker, je kleiner "
                                      "ihr Nenner."))}
MAX_ZOOM = 16
PER_KM2 = N_("je km²")  # a count mapped as a density (web.values.decimals_for knows both languages' suffix)
# Tooltip and popup of an area: (property set by dmMaps.areas from area_columns, German label; English from web/locale)
DETAIL_ROWS = [("name", N_("Name")), ("key", N_("Schlüssel")), ("wert", N_("Wert")),
               ("veroeffentlicht", N_("veröffentlicht")), ("intervall", N_("95-%-Intervall")),
               ("anzahl", N_("Anzahl")),
               ("rang", N_("Rang")), ("klasse", N_("Klasse")), ("index", N_("Index"))]


def detail_rows(state: ExplorerState) -> list[tuple[str, str]]:
    """The tooltip's rows of a state (German labels): a smoothed map names its value so and shows the published
    value beneath it."""
    if not state.smooth:
        return [row for row in DETAIL_ROWS if row[0] != "veroeffentlicht"]
    return [(name, N_("geglätteter Wert") if name == "wert" else label) for name, label in DETAIL_ROWS]


@dataclass(frozen=True)
class ExplorerState:
    """Everything the explorer shows, as it appears in the URL."""

    indicator: str
    level: str
    period: date
    scheme: str = "quantiles"
    k: int = 5
    compare: date | None = None  # change map: value(period) - value(compare)
    index: str | None = None  # attention areas of this composite index
    detail: str = "map"  # "map" = simplified geometry; "full" = stored geometry (for comparisons)
    limits: str = "period"  # class limits from this period's values, or "series": from every period's
    smooth: str | None = None  # the map shows Empirical Bayes smoothed values: "eb" or "spatial_eb"
    notices: tuple[str, ...] = ()  # choices of the URL that could not be kept, in the page's language (not in the URL)

    def query(self, **changes) -> str:
        state = replace(self, **changes)
        params = {"indicator": state.indicator, "level": state.level, "period": state.period.isoformat(),
                  "scheme": state.scheme, "k": state.k}
        if state.compare:
            params["compare"] = state.compare.isoformat()
        if state.index:
            params["index"] = state.index
        if state.detail != "map":
            params["detail"] = state.detail
        if state.limits != "period":
            params["limits"] = state.limits
        if state.smooth:
            params["smooth"] = state.smooth
        return urlencode(params)


@dataclass(frozen=True)
class Choices:
    """An unknown name in the URL: a message in the page's language and links to what exists (a 404 page)."""

    message: str
    choices: list[tuple[str, str]]


def resolve_state(conn: Connection, *, indicator: str | None, level: str, period: str | None, scheme: str, k: int,
                  compare: str | None, index: str | None, detail: str, unsuppressed: bool,
                  lang: str = "de", nearest: bool = False, limits: str = "period",
                  smooth: str | None = None) -> ExplorerState | Choices:
    """Check the URL's parameters; defaults: first status indicator, finest level, latest period. What cannot be
    kept is said in `lang` (the page's language), with the choices that work. `nearest` (the explorer's own
    controls send it): a period or comparison date the indicator has no values for is moved to its nearest
    period, and said so on the page, instead of a page of choices (another indicator chosen at a date that
    only the first one had must not end the walk). `smooth` is kept where the map can be smoothed
    (`smoothing_unavailable`), else dropped and said why."""
    _ = translator(lang)
    catalogue = list_indicators(conn)
    code = indicator or _first_status(catalogue)["code"]
    chosen_indicator = get_indicator(conn, code)
    if chosen_indicator is None:
        return Choices(_("Den Indikator „%(code)s“ gibt es nicht.") % {"code": code},
                       [(f"{i['code']} – {localised_name(i, lang)}", _link(indicator=i["code"])) for i in catalogue])
    lvl = get_level(conn, level)
    if lvl is None:
        return Choices(_("Die Raumebene „%(level)s“ gibt es nicht.") % {"level": level},
                       [(lv.plural(lang), _link(indicator=code, level=lv.code)) for lv in list_levels(conn)])
    notices: list[str] = []
    if (nearest or indicator is None) and not list_periods(conn, level, code, unsuppressed):
        # another level chosen in the explorer's own controls (or no indicator named): the walk goes on with an
        # indicator of that level, said so, as it does with a period (`nearest`); a link naming both keeps its
        # page of choices
        with_values = indicators_with_values(conn, level, unsuppressed)
        instead = _first_status([i for i in catalogue if i["code"] in with_values])
        if instead is not None:
            if indicator is not None:
                notices.append(_("Für „%(code)s“ gibt es auf der Ebene %(levels)s keine Werte; die Karte zeigt "
                                 "stattdessen „%(instead)s“.")
                               % {"code": code, "levels": lvl.plural(lang),
                                  "instead": localised_name(instead, lang)})
            code, chosen_indicator = instead["code"], get_indicator(conn, instead["code"])
    if scheme not in SCHEMES:
        return Choices(_("Das Klassifikationsverfahren „%(scheme)s“ gibt es nicht.") % {"scheme": scheme},
                       [(_(SCHEME_LABELS[s][0]), _link(indicator=code, level=level, scheme=s)) for s in SCHEMES])
    if scheme not in schemes_for(chosen_indicator["kind"]):
        notices.append(_("„%(scheme)s“ passt nur zu Indexwerten (z-Werten); die Karte zeigt stattdessen "
                         "%(instead)s.") % {"scheme": _(SCHEME_LABELS[scheme][0]),
                                            "instead": _(SCHEME_LABELS["quantiles"][0])})
        scheme = "quantiles"
    if limits not in LIMITS:
        return Choices(_("Die Klassengrenzen „%(limits)s“ gibt es nicht (period oder series).") % {"limits": limits},
                       [(_(LIMITS[kind]), _link(indicator=code, level=level, limits=kind)) for kind in LIMITS])
    if smooth and smooth not in SMOOTHING:
        return Choices(_("Die Glättung „%(smooth)s“ gibt es nicht (eb oder spatial_eb).") % {"smooth": smooth},
                       [(_(SMOOTHING_LABELS[method][0]), _link(indicator=code, level=level, smooth=method))
                        for method in SMOOTHING] + [(_("ohne Glättung"), _link(indicator=code, level=level))])
    if detail not in ("map", "full"):
        return Choices(_("Die Geometriestufe „%(detail)s“ gibt es nicht (map oder full).") % {"detail": detail},
                       [(_("vereinfacht (map)"), _link(indicator=code, level=level))])
    available = list_periods(conn, level, code, unsuppressed)
    if not available:
        with_data = [lv for lv in list_levels(conn) if list_periods(conn, lv.code, code, unsuppressed)]
        return Choices(_("Für „%(code)s“ gibt es auf der Ebene %(levels)s noch keine Werte.")
                       % {"code": code, "levels": lvl.plural(lang)},
                       [(lv.plural(lang), _link(indicator=code, level=lv.code)) for lv in with_data])
    latest = latest_period(conn, level, code, unsuppressed)
    chosen = _pick_period(period, available, latest)
    moved = _nearest_period(period, available) if chosen is None and nearest else None
    if moved is not None:
        notices.append(_("Für „%(code)s“ gibt es zum %(wanted)s keine Werte; die Karte zeigt den nächsten "
                         "Zeitpunkt, %(date)s.") % {"code": code, "wanted": _shown_period(period, lang),
                                                      "date": format_day(moved, lang)})
        chosen = moved
    if chosen is None:
        return Choices(_("Für „%(code)s“ gibt es auf der Ebene %(levels)s keine Werte zum Zeitpunkt „%(period)s“.")
                       % {"code": code, "levels": lvl.plural(lang), "period": period},
                       [(format_day(p, lang), _link(indicator=code, level=level, period=p.isoformat()))
                        for p in available])
    compared = None
    if compare:
        compared = _pick_period(compare, available, latest)
        if compared is None and nearest and _requested_day(compare) is not None:
            # another indicator or level, or the period moved: the nearest other period, or none at all
            compared = _nearest_period(compare, [p for p in available if p != chosen])
            if compared is not None:
                notices.append(_("Für „%(code)s“ gibt es zum %(wanted)s keine Werte; die Veränderung wird seit "
                                 "dem nächsten Zeitpunkt gezeigt, %(date)s.")
                               % {"code": code, "wanted": _shown_period(compare, lang),
                                  "date": format_day(compared, lang)})
            else:
                notices.append(_("„%(code)s“ hat hier nur einen Zeitpunkt; die Karte zeigt ihn ohne Veränderung.")
                               % {"code": code})
                compare = None
        if compared == chosen:  # the period was moved onto the comparison: a map of that period, said so
            notices.append(_("Ein Zeitpunkt lässt sich nicht mit sich selbst vergleichen; die Karte zeigt "
                             "%(date)s ohne Veränderung.") % {"date": format_day(chosen, lang)})
            compared = None
        elif compared is None and compare:
            return Choices(_("Mit dem Zeitpunkt „%(compare)s“ lässt sich %(code)s nicht vergleichen.")
                           % {"compare": compare, "code": code},
                           [(f"{format_day(p, lang)} → {format_day(chosen, lang)}",
                             _link(indicator=code, level=level, period=chosen.isoformat(), compare=p.isoformat()))
                            for p in available if p != chosen])
    if compared is not None:
        compared = _across_reform(conn, level, code, chosen, compared, notices, lang)
    if compared is not None:  # a break in the series between the two periods: the change is shown, and said so
        earlier, later = sorted((compared, chosen))
        for brk in series_breaks_between(chosen_indicator, earlier, later):
            note = series_break_text(brk, lang, long=True)
            notices.append(_("Zwischen %(earlier)s und %(later)s ist die Reihe unterbrochen (%(note)s): die "
                             "Veränderung enthält diesen Bruch und ist keine Entwicklung vor Ort.")
                           % {"earlier": format_day(earlier, lang), "later": format_day(later, lang), "note": note})
    if limits == "series" and compared is not None:  # a change has its own classes, centred on no change
        notices.append(_("Gemeinsame Klassengrenzen aller Zeitpunkte gelten für Werte, nicht für Veränderungen; "
                         "die Veränderung wird für sich klassifiziert."))
        limits = "period"
    if index:
        shipped = indices.available(conn)
        if index not in {i["id"] for i in shipped}:
            return Choices(_("Den Index „%(index)s“ gibt es nicht.") % {"index": index},
                           [(localised_name(i, lang), _link(indicator=code, level=level, index=i["id"]))
                            for i in shipped])
    state = ExplorerState(indicator=code, level=level, period=chosen, scheme=scheme, k=k, compare=compared,
                          index=index, detail=detail, limits=limits)
    if smooth:
        _indicator, _at, table = _values_of(conn, state, unsuppressed, lang)
        reason = smoothing_unavailable(chosen_indicator, state, table, lang)
        if reason is None:
            state = replace(state, smooth=smooth)
        else:
            notices.append(_("Keine Glättung: %(reason)s. Die Karte zeigt die veröffentlichten Werte.")
                           % {"reason": reason})
    return replace(state, notices=tuple(notices))


def smoothing_unavailable(indicator: dict, state: ExplorerState, table: pd.DataFrame, lang: str = "de") -> str | None:
    """Why the map of `state` cannot be smoothed, in `lang`; None if it can: a share or rate delivered with its
    numerator and denominator on the level in the period (the values whose tooltips show an interval,
    `_value_table`), and no change map (a difference of two periods is no rate)."""
    _ = translator(lang)
    if state.compare:
        return _("nicht für Veränderungskarten")
    if indicator["kind"] not in ("share", "rate"):
        return _("nur für Anteile und Quoten")
    if "ci_low" not in table.columns or not table["ci_low"].notna().any():
        return _("nur für Werte mit Zähler und Nenner, und die fehlen hier")
    if table["ci_low"].notna().sum() < 2:  # one area (the city) has no others to be pulled towards
        return _("nur für Ebenen mit mehreren Gebieten")
    return None


def _across_reform(conn: Connection, level: str, code: str, chosen: date, compared: date, notices: list[str],
                   lang: str) -> date | None:
    """The comparison period, if a change can be mapped: on the same boundary version as the period, or on an
    earlier one whose values are kept as estimates for the period's areas (indicators.estimates, marked "≈");
    otherwise None, and the notice says why (values on two boundary versions are never joined by key)."""
    _ = translator(lang)
    at, then = boundary_date_for(conn, level, chosen, code), boundary_date_for(conn, level, compared, code)
    if at == then or published_on(conn, level, at, code, compared):
        return compared
    estimates = estimated_values(conn, level, at, code, compared) if compared < chosen else None
    if estimates is None or estimates.empty:
        notices.append(_("%(compare)s und %(date)s liegen auf verschiedenen Gebietsständen (%(then)s und %(at)s), "
                         "und für %(compare)s sind keine Schätzungen auf die Grenzen ab %(at)s gespeichert; die Karte "
                         "zeigt %(date)s ohne Veränderung.")
                       % {"compare": format_day(compared, lang), "date": format_day(chosen, lang),
                          "then": format_day(then, lang), "at": format_day(at, lang)})
        return None
    method = method_text(estimates["method"].dropna().iloc[0], lang)
    notices.append(_("Die Werte zum %(compare)s wurden auf dem Gebietsstand vom %(then)s veröffentlicht; für den "
                     "Vergleich sind sie für die Grenzen ab %(at)s geschätzt (≈; Flächenverschneidung, gewichtet mit "
                     "der Einwohnerzahl des Melderegisters, wo sie vorliegt; Verfahren: %(method)s). Die "
                     "Veränderung enthält diesen Schätzfehler.")
                   % {"compare": format_day(compared, lang), "then": format_day(then, lang),
                      "at": format_day(at, lang), "method": method})
    return compared


def method_text(method: str, lang: str) -> str:
    """The stored method of estimates ("tobler population-weighted, denominator EW instead of A+B", written by
    indicators.harmonise) as a page says it: the denominator's stand-in in `lang`, its parts spaced so that a
    narrow column can wrap the line."""
    stand_in = stand_in_of(method)
    if stand_in is None:
        return method
    _ = translator(lang)
    used, declared = stand_in
    said = (_("Nenner %(used)s statt %(declared)s") % {"used": used, "declared": " + ".join(declared)}
            if declared else _("Nenner %(used)s") % {"used": used})
    return f"{method.partition(', ')[0]}; {said}"


def _first_status(indicators: list[dict]) -> dict | None:
    """The indicator a map starts with, of `indicators` (in catalogue order): the first status indicator, else the
    first one; None if there are none."""
    return next((i for i in indicators if i["role"] == "status"), indicators[0] if indicators else None)


def _link(**params) -> str:
    """An explorer URL with these query parameters (a choice offered instead of an impossible one)."""
    return "/explorer?" + urlencode(params)


def _requested_day(text: str | None) -> date | None:
    """The date a period parameter names: '2020-12-31', or a year ('2020': its last day); None if it names none."""
    text = (text or "").strip()
    if len(text) == 4 and text.isdigit():
        return date(int(text), 12, 31) if 1 <= int(text) <= 9999 else None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _nearest_period(text: str | None, available: list[date]) -> date | None:
    """The period of `available` nearest to the date `text` names (the later one of two as near), None if it
    names none or nothing is available."""
    wanted = _requested_day(text)
    if wanted is None or not available:
        return None
    return min(available, key=lambda p: (abs((p - wanted).days), -p.toordinal()))


def _shown_period(text: str | None, lang: str) -> str:
    """A requested period as the page writes dates (a year as it was given)."""
    wanted = _requested_day(text)
    return text.strip() if wanted is None or len(text.strip()) == 4 else format_day(wanted, lang)


def _pick_period(text: str | None, available: list[date], latest: date | None) -> date | None:
    """'2020-12-31', '2020' (latest of that year) or empty (`latest`, see indicators.catalogue.latest_period) ->
    one of `available` (newest first)."""
    if not text or text == "latest":
        return latest
    text = text.strip()
    if len(text) == 4 and text.isdigit():
        return next((p for p in available if p.year == int(text)), None)
    wanted = _requested_day(text)
    return wanted if wanted in available else None


@dataclass
class ExplorerData:
    """The explorer's data twin: values, ranks and classes per area plus the legend."""

    state: ExplorerState
    indicator: dict
    level: Level
    at: date
    table: pd.DataFrame  # index key; name, value, flag, flag_reason, rank, n, klass, (compare_value, base_value;
    # smoothed: the value the map shows with `state.smooth`)
    classes: Classification | None
    colours: list[str]
    index_results: dict[str, dict]  # key -> result of the chosen index ({} without a run)
    index_name: str | None

    @property
    def attention(self) -> list[dict]:
        return [r for r in self.index_results.values() if r.get("attention")]

    @property
    def mapped(self) -> pd.Series:
        """The values the map classifies and colours: the published values, or with smoothing the smoothed ones
        (NaN where an area has none: no value, a hidden one, or no counts to smooth)."""
        return (self.table["smoothed"] if self.state.smooth else self.table["value"]).astype(float)

    @property
    def missing(self) -> int:
        """Areas the map shows without a value ("kein Wert")."""
        return int(self.mapped.isna().sum())

    def as_json(self) -> dict:
        state = asdict(self.state)
        legend = []
        if self.classes is not None:
            lows = [None, *self.classes.bins[:-1]]
            legend = [{"class": i, "label_de": self.classes.labels_de[i], "label_en": self.classes.labels_en[i],
                       "lower": lows[i], "upper": self.classes.bins[i], "colour": self.colours[i],
                       "count": self.classes.counts[i]} for i in range(self.classes.k)]
        return {"state": state, "indicator": {k: self.indicator[k] for k in ("code", "name_de", "name_en", "unit",
                                                                              "direction")},
                "title_de": map_title(self), "legend": legend,
                "smoothing": {"method": self.state.smooth, "label_de": SMOOTHED_DE, "label_en": SMOOTHED_EN,
                              "description": SMOOTHING[self.state.smooth]} if self.state.smooth else None,
                "missing": self.missing,
                "areas": table_records(self),
                "index": {"id": self.state.index, "name_de": self.index_name,
                          "attention": [{"key": r["key"], "name": r["name"], "class": r["class"],
                                         "class_label_de": r["class_label_de"]} for r in self.attention]}
                if self.state.index else None}


def table_records(data: ExplorerData) -> list[dict]:
    records = []
    for key, row in data.table.iterrows():
        item = {"key": key, "name": row["name"], "value": _num(row["value"]),
                **({"count": _num(row["count"])} if "count" in row.index else {}), "flag": row["flag"],
                "reason": row["missing_text"] if pd.isna(row["value"]) else None, "rank": _int(row["rank"]),
                "n": _int(row["n"]), "class": _int(row["klass"])}
        if data.state.smooth:  # the map's value; `value` stays the published one
            item["smoothed"] = _num(row["smoothed"])
        if "ci_low" in row.index and not pd.isna(row["ci_low"]):
            item["interval"] = {"low": _num(row["ci_low"]), "high": _num(row["ci_high"]),
                                "unreliable": bool(row["unreliable"])}
        result = data.index_results.get(key)
        if result is not None:
            item["index_class"] = result["class_label_de"]
            item["attention"] = bool(result["attention"])
        if data.state.compare:
            item["value_" + data.state.period.isoformat()] = _num(row["base_value"])
            item["value_" + data.state.compare.isoformat()] = _num(row["compare_value"])
            if "compare_estimated" in row.index:  # estimated for these boundaries: the share that is estimated
                item["estimated_" + data.state.compare.isoformat()] = _num(row["compare_estimated"])
        records.append(item)
    return records


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def map_title(data: ExplorerData, lang: str = "de") -> str:
    """The map's title in `lang`: the indicator's catalogue name (English where the catalogue has it), unit and
    period(s)."""
    _ = translator(lang)
    ind, state = data.indicator, data.state
    name, unit = localised_name(ind, lang), ind["unit"]
    if state.compare:
        change = _("Veränderung") + (" in " + change_unit(unit, lang) if unit else "")
        return f"{name} ({change}), {format_day(state.compare, lang)} → {format_day(state.period, lang)}"
    return f"{name}{' in ' + unit if unit else ''}, {format_day(state.period, lang)}{smoothing_label(state, lang)}"


def smoothing_label(state: ExplorerState, lang: str = "de") -> str:
    """", geglättet (Empirical Bayes), nur für Karten" (indicators.uncertainty's label, in `lang`) after the
    title of a smoothed map; empty without smoothing."""
    if not state.smooth:
        return ""
    return ", " + (SMOOTHED_EN if lang == "en" else SMOOTHED_DE)


def change_unit(unit: str, lang: str = "de") -> str:
    """The unit of a change: percentage points for a percentage (the words in `lang`), else the unit itself."""
    return translator(lang)("Prozentpunkten") if unit == "%" else unit


def density_unit(unit: str | None, lang: str = "de") -> str:
    """A count's unit on a map: per km² of the area ("Personen je km²"; the unit is data, "je km²" in `lang`)."""
    per_km2 = translator(lang)(PER_KM2)
    return f"{unit} {per_km2}" if unit else per_km2


# the values, ranks and texts of recent states (indicator, period, level, comparison, language), without their
# classes: a change of the class scheme or the number of classes, the commonest change on a map, reads and
# formats nothing again (for the 10,997 Gemeinden a table is about 3 MB; bench/bench_pages.py)
VALUE_TABLES = VersionMemo(kept=24)


def explorer_data(conn: Connection, state: ExplorerState, unsuppressed: bool, lang: str = "de") -> ExplorerData:
    """Values, ranks, classes and index results of a state; `lang` is the language of the reasons for a
    missing value (the data twins are German)."""
    indicator, at, table = _values_of(conn, state, unsuppressed, lang)
    indicator, table = dict(indicator), table.copy()  # the memo's answer stays as it was (copy.copy of a tuple)
    level = get_level(conn, state.level)
    if state.smooth:  # the map classifies the smoothed values; the published ones stay in `value`
        table["smoothed"] = _smoothed_of(conn, state, unsuppressed, at).reindex(table.index)
    values = (table["smoothed"] if state.smooth else table["value"]).astype(float)
    # classified as shown in tooltips and tables (web.values.decimals_for): no shown value outside its class
    decimals = decimals_for(change_unit(indicator["unit"]) if state.compare else indicator["unit"])
    if not values.notna().any():
        classes = None
    elif state.limits == "series":
        classes = _series_classes(conn, state, unsuppressed, lang, decimals, values)
    else:
        classes = classify(values, state.scheme, k=state.k, decimals=decimals)
    if classes is None:
        colours: list[str] = []
        table["klass"] = pd.NA
    elif state.compare:
        colours = diverging_colours(float(values.min()), classes.bins, indicator["direction"])
        table["klass"] = classes.yb
    else:
        colours = palette(indicator["direction"], classes.k)
        table["klass"] = classes.yb
    index_results, index_name = {}, None
    if state.index:
        index_name = indices.name(conn, state.index, lang)
        index_results = indices.results(conn, state.index, state.level, state.period)
    return ExplorerData(state=state, indicator=indicator, level=level, at=at, table=table, classes=classes,
                        colours=colours, index_results=index_results, index_name=index_name)


def _values_of(conn: Connection, state: ExplorerState, unsuppressed: bool,
               lang: str) -> tuple[dict, date, pd.DataFrame]:
    """`_value_table` of the state, kept per data version (VALUE_TABLES)."""
    return VALUE_TABLES.get(
        conn, ("explorer values", state.level, state.indicator, state.period, state.compare, unsuppressed, lang),
        lambda: _value_table(conn, state, unsuppressed, lang))


def _smoothed_of(conn: Connection, state: ExplorerState, unsuppressed: bool, at: date) -> pd.Series:
    """The state's values smoothed by indicators.uncertainty (`read_rates`, `smoothed`: public cells only, so a
    hidden cell has none and adds nothing to the means), by area key; spatial smoothing with the queen neighbours
    on the boundary version `at` the map draws. Kept per data version, as the values are."""
    def compute() -> pd.Series:
        scale, frame = read_rates(conn, RateRequest(level=state.level, period=state.period, indicator=state.indicator,
                                                    unsuppressed=unsuppressed))
        if not (frame["numerator"].notna() & (frame["denominator"] > 0)).any():
            return pd.Series(dtype=float)  # no counts in this period (another period of a series)
        geometries = None
        if state.smooth == "spatial_eb":
            from indicators.clusters import read_geometries

            geometries = read_geometries(conn, state.level, at)
        return smoothed(frame, scale, state.smooth, geometries)

    return VALUE_TABLES.get(conn, ("explorer smoothed", state.level, state.indicator, state.period, state.smooth,
                                   unsuppressed, at), compute)


def _series_classes(conn: Connection, state: ExplorerState, unsuppressed: bool, lang: str, decimals: int,
                    values: pd.Series) -> Classification:
    """The state's classes with limits from the values of every period of its indicator on its level (each on
    its own boundary version, counts as densities as mapped): one classification of all of them, of which this
    period's areas keep their part, as the side-by-side comparison does for two periods. A smoothed map pools
    the smoothed values of every period that has counts to smooth."""
    parts = {}
    for p in list_periods(conn, state.level, state.indicator, unsuppressed):
        if p != state.period:
            _indicator, at, table = _values_of(conn, replace(state, period=p), unsuppressed, lang)
            parts[p] = (_smoothed_of(conn, replace(state, period=p), unsuppressed, at).reindex(table.index)
                        if state.smooth else table["value"])
    return classify_pooled({state.period: values, **parts}, state.scheme, state.k, decimals)[state.period]


def classify_pooled(parts: dict, scheme: str, k: int, decimals: int) -> dict:
    """One classification over the values of several maps (per label a Series by area key), split back into
    each map's classes: the same limits and colours for all of them (two periods side by side, a whole series)."""
    pooled = pd.concat([values.rename(lambda key, label=label: (label, key)) for label, values in parts.items()])
    classes = classify(pooled.astype(float), scheme, k=k, decimals=decimals)
    split = {}
    for label, values in parts.items():
        mine = classes.yb[[key for key in classes.yb.index if key[0] == label]]
        mine.index = [key[1] for key in mine.index]
        mine = mine.reindex(values.index)
        split[label] = replace(classes, yb=mine, counts=tuple(int((mine == c).sum()) for c in range(classes.k)),
                               n_missing=int(mine.isna().sum()))
    return split


def _value_table(conn: Connection, state: ExplorerState, unsuppressed: bool,
                 lang: str) -> tuple[dict, date, pd.DataFrame]:
    """(indicator, boundary date, table): per area key its value as mapped (a count per km²), rank, the reason of
    a missing value, and as shown in tooltips in `lang` (`value_text`: the number, or for a change the whole text;
    `count_text`: a density's count), without unit (`area_columns` names it once)."""
    _ = translator(lang)
    indicator = get_indicator(conn, state.indicator)
    at = boundary_date_for(conn, state.level, state.period, state.indicator)
    table = indicator_values(conn, state.level, at, state.indicator, state.period, unsuppressed)
    # why a value is missing, where one is (.tolist() first: iterating a column of pandas' Arrow strings costs a
    # Python object per cell, 0.15 s per Gemeinde map)
    table["missing_text"] = [None if value == value and value is not None else flag_text(f, r, lang)
                             for value, f, r in zip(table["value"].tolist(), table["flag"].tolist(),
                                                    table["flag_reason"].tolist())]
    if state.compare:
        if published_on(conn, state.level, at, state.indicator, state.compare, unsuppressed):
            before = indicator_values(conn, state.level, at, state.indicator, state.compare, unsuppressed)
        else:  # published on earlier boundaries: the estimates for these areas (resolve_state said so)
            before = estimated_values(conn, state.level, at, state.indicator, state.compare)
            before = before.assign(flag=None, flag_reason=_("kein geschätzter Wert"))
            table["compare_estimated"] = before["share_estimated"]
        before = before.reindex(table.index)
        table["base_value"] = table["value"]
        table["compare_value"] = before["value"]
        table["value"] = table["base_value"] - table["compare_value"]
        table["missing_text"] = [
            text if pd.isna(now) else (_("kein Wert am %(date)s") % {"date": state.compare.strftime('%d.%m.%Y')}
                                       + f": {flag_text(f, r, lang)}")
            for text, now, f, r in zip(table["missing_text"].tolist(), table["base_value"].tolist(),
                                       before["flag"].tolist(), before["flag_reason"].tolist())]
    if indicator["kind"] == "count":  # counts as densities: a large area would otherwise look like a high value
        sizes = pd.Series(per_data_version(conn, ("area sizes", state.level, at),
                                           lambda: area_sizes(conn, state.level, at)), dtype=float).reindex(table.index)
        table["count"] = table["value"]
        table["value"] = (table["value"].astype(float) / sizes).round(1)
        indicator = {**indicator, "unit": density_unit(indicator["unit"], lang), "density_of": indicator["unit"]}
    if indicator["kind"] in ("share", "rate") and not state.compare and table["numerator"].notna().any():
        # delivered with numerator and denominator: the 95 % interval and reliability (indicators.uncertainty)
        table["ci_low"], table["ci_high"], table["unreliable"] = value_intervals(
            table["value"], table["numerator"], table["denominator"])
    values = table["value"].astype(float)
    table["rank"] = values.rank(ascending=False, method="min")
    table["n"] = int(values.notna().sum())
    table["value_text"] = _value_texts(table, indicator, state, lang)
    return indicator, at, table


def _value_texts(table: pd.DataFrame, indicator: dict, state: ExplorerState, lang: str) -> list:
    """Per area the value as its tooltip shows it: the number rounded as it is shown and classified (explorer.js
    writes it in the page's language; its unit is named once), for a change the whole text with its unit and
    both values ("+1,2 Prozentpunkten (3,4 % → 4,6 %)"), or why there is none.

    Numbers go to the browser as numbers: writing 10,997 values and their counts as German text took a third of
    the server's time per change of the Gemeinde map, and a tooltip needs one of them at a time."""
    absent = translator(lang)("kein Wert") + ": "
    unit = indicator["unit"]
    if not state.compare:
        return [absent + missing if value != value else value
                for value, missing in zip(_shown_numbers(table["value"], decimals_for(unit)),
                                          table["missing_text"].tolist())]
    change = change_unit(unit, lang)
    about = "≈ " if "compare_estimated" in table.columns else ""  # the earlier value is an estimate
    return [absent + missing if value != value else
            (f"{'+' if value > 0 else ''}{value_text(value, change, lang)} "
             f"({about}{value_text(before, unit, lang)} → {value_text(now, unit, lang)})")
            for value, before, now, missing in zip(_floats(table["value"]), _floats(table["compare_value"]),
                                                   _floats(table["base_value"]), table["missing_text"].tolist())]


def _shown_numbers(column: pd.Series, decimals: int) -> list[float]:
    """The column's values rounded to the decimals they are shown with (NaN: no value; never -0.0, which a
    browser would write as "-0,0")."""
    return (column.astype(float).round(decimals) + 0.0).tolist()


def build_explorer(conn: Connection, state: ExplorerState, unsuppressed: bool, tile_url: str | None,
                   storage_srid: int, data_version: int | None = None, lang: str = "de") -> str:
    """The explorer page (a complete HTML document): the panel, an empty map, and the areas' values, colours and
    details as a JSON block; /static/explorer.js draws them on the level's geometry, which it loads from
    /maps/geometry/... (the same for every indicator, period and class scheme, so the browser keeps it).
    `data_version` names the geometry's version in its URL; `lang` the language of its fixed texts (web/locale),
    German by default."""
    _ = translator(lang)
    data = explorer_data(conn, state, unsuppressed, lang)
    outline_level = grouping_level(conn, state.level)
    extent = per_data_version(conn, ("extent", state.level, data.at), lambda: level_extent(conn, state.level, data.at))
    # explorer.js sets the view: the extent of the address (#map=...) or else these bounds. A fit by Folium
    # starts a zoom animation, and Leaflet drops any other view asked for while one runs.
    fmap = base_map(extent, tile_url, title=f"{_('Kartenexplorer')}: {map_title(data, lang)} – district-monitor",
                    fit=False, max_zoom=MAX_ZOOM, prefer_canvas=False, zoom_snap=0.25)
    control = folium.LayerControl(collapsed=True)
    control.add_to(fmap)
    drawing = explorer_drawing(conn, data, outline_level, data_version, lang)
    child = next((lv for lv in list_levels(conn) if lv.parent_code == state.level), None)
    # drill-down: a click on an area offers the finer level, zoomed to the area (explorer.js)
    drawing["drill"] = ({"url": "/explorer?" + state.query(level=child.code, compare=None),
                         "label": _("%(levels)s darin zeigen") % {"levels": child.plural_in_sentence(lang)}}
                        if child is not None else None)
    drawing["bounds"] = [[extent[1], extent[0]], [extent[3], extent[2]]] if extent else None
    other = "en" if lang == "de" else "de"  # the same view in the other language (the choice is then remembered)
    panel = environment.get_template("explorer_panel.html").render(
        _=_, lang=lang, other_language={"lang": other, "label": "English" if other == "en" else "Deutsch",
                                        "href": "/explorer?" + state.query() + "&lang=" + other},
        data=data, state=state, title=map_title(data, lang), scheme_labels=SCHEME_LABELS, limit_labels=LIMITS,
        schemes=schemes_for(data.indicator["kind"]), smoothing_labels=SMOOTHING_LABELS,
        smoothing_unavailable=smoothing_unavailable(data.indicator, state, data.table, lang), missing=data.missing,
        indicators=_mappable(conn, state, unsuppressed), levels=list_levels(conn),
        periods=list_periods(conn, state.level, state.indicator, unsuppressed),
        available_indices=indices.available(conn), legend=legend_rows(data, lang), missing_colour=MISSING_COLOUR,
        outline_level=outline_level, drawing=script_json(drawing),
        suggested_names=data.table["name"].items() if len(data.table) <= NAME_SUGGESTIONS_UP_TO else ())
    root = fmap.get_root()
    root.header.add_child(RawHtml('<link rel="stylesheet" href="/static/explorer.css">'))
    root.html.add_child(RawHtml(panel))
    root.script.add_child(RawHtml(f"window.addEventListener('DOMContentLoaded', function () {{ "
                                  f"dmExplorer.ready({fmap.get_name()}, {control.get_name()}); }});"))
    root.header.add_child(RawHtml('<script src="/static/explorer.js"></script>'))
    return map_page(fmap, lang)


def geometry_url(level: str, at: date, detail: str, data_version: int | None) -> str:
    """Where a map page loads a level's drawn geometry (service.routes.map_geometry); the data_version in the
    URL keeps a browser from mixing geometry of two versions."""
    params = {"at": at.isoformat(), "detail": detail}
    if data_version is not None:
        params["v"] = str(data_version)
    return f"/maps/geometry/{quote(level, safe='')}?" + urlencode(params)


CANVAS_FROM = 3000  # areas of a level from which the explorer draws on a canvas instead of in SVG
# areas of a level up to which the search box suggests every area's name as the user types (a datalist); above,
# the search's hit list (/api/search) is the way: the 10,997 Gemeinden's names were 430 KB of every page
NAME_SUGGESTIONS_UP_TO = 3000


def explorer_drawing(conn: Connection, data: ExplorerData, outline_level: Level | None,
                     data_version: int | None, lang: str = "de") -> dict:
    """What explorer.js needs to draw the map: geometry URLs, layer names (escaped: Leaflet's layer control
    writes them as HTML), per area its fill colour and its details (shown as text), and the attention areas;
    the fixed texts in `lang`."""
    _ = translator(lang)
    state = data.state
    outline = None
    if outline_level is not None:
        at = boundary_date_for(conn, outline_level.code, None)
        outline = {"url": geometry_url(outline_level.code, at, "outline", data_version),
                   "name": control_label(outline_level.plural(lang)),
                   "style": OUTLINE_STYLE}
    attention = sorted(a["key"] for a in data.attention)
    return {
        "level": state.level, "rows": [(name, _(label)) for name, label in detail_rows(state)],
        "title": map_title(data, lang),
        "geometry": geometry_url(state.level, data.at, state.detail, data_version),
        "name": control_label(localised_name(data.indicator, lang)),
        # thousands of areas (all Gemeinden of Germany) are drawn on one canvas: as SVG, 10,997 paths with their
        # listeners took the browser over a second to build and lay out (bench/bench_pages.py)
        "canvas": len(data.table) > CANVAS_FROM,
        "styles": {"value": AREA_STYLE, "missing": MISSING_STYLE, "highlight": HIGHLIGHT_STYLE,
                   "selected": SELECTED_STYLE},
        "absent": _("kein Wert: Gebiet hat zu diesem Zeitpunkt keine Daten"),
        "colours": list(data.colours), **area_columns(data, lang),
        "outline": outline,
        "attention": {"name": control_label(_("Gebiete mit Aufmerksamkeitsbedarf")), "keys": attention,
                      "style": ATTENTION_STYLE} if attention else None,
    }


EXPORT_MEDIA = {"png": "image/png", "pdf": "application/pdf"}


def explorer_export(conn: Connection, state: ExplorerState, unsuppressed: bool, storage_srid: int,
                    data_version: int | None, fmt: str, lang: str = "de") -> bytes:
    """The map on screen as a sheet to hand on (PNG or PDF, A4 landscape): title, legend with the counts per
    class, outlines and attention areas as drawn, and a footer with source, Gebietsstand (the boundary version),
    classification, date and the service, in `lang`. The same values and colours as the page: nothing hidden on
    the page appears here."""
    from web.charts import map_paths, map_sheet

    data = explorer_data(conn, state, unsuppressed, lang)
    features = drawn_features(conn, state.level, data.at, storage_srid, **GEOMETRY_DETAILS[state.detail],
                              version=data_version)
    fill = area_fills(data)
    colours = [fill.get(f["id"]) or MISSING_COLOUR for f in features]
    outline_level = grouping_level(conn, state.level)
    outlines = []
    if outline_level is not None:
        outlines = drawn_features(conn, outline_level.code, boundary_date_for(conn, outline_level.code, None),
                                  storage_srid, **GEOMETRY_DETAILS["outline"], version=data_version)
    attention = {a["key"] for a in data.attention}
    missing = data.missing + sum(1 for f in features if f["id"] not in data.table.index)
    return map_sheet(map_paths([f["geometry"] for f in features]), colours,
                     map_paths([f["geometry"] for f in outlines]),
                     map_paths([f["geometry"] for f in features if f["id"] in attention]),
                     map_title(data, lang), export_legend_title(data, lang),
                     export_legend(data, missing, outline_level, len(attention), lang), export_footer(data, lang), fmt)


def export_legend(data: ExplorerData, missing: int, outline_level: Level | None, attention: int,
                  lang: str) -> list[tuple[str, str, str]]:
    """The exported sheet's legend rows (label, colour, line style) in `lang`: classes and missing values with
    their counts of areas, the outlines' level, the attention areas of the index."""
    _ = translator(lang)
    areas = _("%(label)s (%(count)s Gebiete)")
    legend = [(areas % {"label": row["label"], "count": row["count"]}, row["colour"], "fill")
              for row in legend_rows(data, lang)]
    if missing:
        legend.append((areas % {"label": _("kein Wert"), "count": missing}, MISSING_COLOUR, "fill"))
    if outline_level is not None:
        legend.append((_("Grenzen der %(levels)s") % {"levels": outline_level.plural_in_sentence(lang)},
                       "#222222", "line"))
    if attention:
        legend.append((_("%(index)s: Aufmerksamkeitsbedarf (%(count)s)") % {"index": data.index_name,
                                                                             "count": attention},
                       "#000000", "dashed"))
    return legend


def export_legend_title(data: ExplorerData, lang: str) -> str:
    """The indicator (and the periods of a change) above the exported sheet's legend, with its unit."""
    _ = translator(lang)
    name, unit, state = localised_name(data.indicator, lang), data.indicator["unit"], data.state
    if not state.compare:
        return name + (f" ({unit})" if unit else "") + smoothing_label(state, lang)
    return (_("%(name)s: Veränderung %(since)s → %(until)s") % {
        "name": name, "since": format_day(state.compare, lang), "until": format_day(state.period, lang)}
        + (f" ({change_unit(unit, lang)})" if unit else ""))


def export_footer(data: ExplorerData, lang: str) -> list[str]:
    """The exported sheet's footer in `lang`: source, level and Gebietsstand, classification, date, how a smoothed
    map is smoothed, the view."""
    _ = translator(lang)
    source = data.indicator.get("source")
    view = "/explorer?" + data.state.query() + ("&lang=en" if lang == "en" else "")
    return [_("Quelle: %(source)s") % {"source": source} if source else _("Quelle: siehe Katalog"),
            _("Raumebene: %(levels)s, Gebietsstand %(date)s; Klassifikation: %(scheme)s, %(k)s Klassen. "
              "Erstellt am %(today)s mit district-monitor.") % {
                "levels": data.level.plural(lang), "date": format_day(data.at, lang),
                "scheme": _(SCHEME_LABELS[data.state.scheme][0]) + (
                    f" ({_('Klassengrenzen')} {_(LIMITS['series'])})" if data.state.limits == "series" else ""),
                "k": data.classes.k if data.classes else 0, "today": format_day(date.today(), lang)},
            *([_(SMOOTHING_LABELS[data.state.smooth][1])] if data.state.smooth else []),
            _("Ansicht: %(view)s") % {"view": view}]


def _mappable(conn: Connection, state: ExplorerState, unsuppressed: bool) -> list[dict]:
    """The catalogue's indicators that have values on the map's level (no choice that leads to an empty map);
    an indicator without a topic has the topic name "" (the page: Ohne Handlungsfeld; None would not sort)."""
    with_values = indicators_with_values(conn, state.level, unsuppressed)
    return [{**i, "topic_name_de": i["topic_name_de"] or ""} for i in list_indicators(conn)
            if i["code"] in with_values or i["code"] == state.indicator]


def area_fills(data: ExplorerData) -> dict[str, str | None]:
    """Fill colour per area key (None: no value), as the page and the exported sheet draw it."""
    return {key: (None if pd.isna(c) else data.colours[int(c)]) for key, c in data.table["klass"].items()}


def legend_rows(data: ExplorerData, lang: str = "de") -> list[dict]:
    if data.classes is None:
        return []
    labels = data.classes.labels(lang)
    return [{"label": labels[i], "colour": data.colours[i], "count": data.classes.counts[i]}
            for i in range(data.classes.k)]


AREA_STYLE = {"color": "#555555", "weight": 0.5, "fillOpacity": 0.8}
MISSING_STYLE = {"fillColor": MISSING_COLOUR, "color": "#666666", "weight": 0.5, "fillOpacity": 0.5, "dashArray": "3"}
HIGHLIGHT_STYLE = {"weight": 2.5, "color": "#000000"}
SELECTED_STYLE = {"weight": 4, "color": "#000000", "dashArray": None}
OUTLINE_STYLE = {"fill": False, "color": "#222222", "weight": 1.6, "opacity": 0.9, "interactive": False}
ATTENTION_STYLE = {"fill": False, "color": "#000000", "weight": 3.2, "dashArray": "6 3", "interactive": False}


def area_columns(data: ExplorerData, lang: str = "de") -> dict:
    """Tooltip and popup texts of every area in `lang` (rendered as text, never as HTML), as columns in one key
    order, read per key by dmMaps.areas (web/static/maps.js): `class` (index into `colours`, null without a
    value), `wert`, `rank` and, where the state has them, `anzahl` and `index`; what is the same for every area
    (the rank and class wording, the units, how numbers are written) once in `texts`. `wert` and `anzahl` hold
    numbers as shown (rounded) where there is one, which dmMaps writes in `texts.locale`. A dict of texts per
    area repeated the wording 10,997 times for the Gemeinden: 2.69 MB per page, which every control change
    fetched and parsed; the unit in every value still made a third of the page (bench/bench_pages.py)."""
    _ = translator(lang)
    english = lang == "en"
    unit = data.indicator["unit"]
    table = data.table
    labels = data.classes.labels(lang) if data.classes is not None else ()
    k = len(labels)
    columns: dict = {"keys": table.index.tolist(), "class": _ints(table["klass"]), "rank": _ints(table["rank"])}
    columns["wert"] = table["value_text"].tolist()  # made with the values (_value_table)
    if data.state.smooth:  # the smoothed value as the map's, the published one beneath it
        published = columns["wert"]
        columns["veroeffentlicht"] = [None if isinstance(text, str) else text for text in published]
        columns["wert"] = [value if value == value else (text if isinstance(text, str) else
                                                          _("kein geglätteter Wert (ohne Zähler und Nenner)"))
                           for value, text in zip(_shown_numbers(table["smoothed"], decimals_for(unit)), published)]
    if "count" in table.columns:
        columns["anzahl"] = [None if count != count else count
                             for count in _shown_numbers(table["count"], decimals_for(data.indicator["density_of"]))]
    if "ci_low" in table.columns:  # low, high (rounded as shown), statistisch unsicher
        decimals = decimals_for(unit)
        columns["intervall"] = [None if low != low else [low, high, bool(flag)] for low, high, flag in zip(
            _shown_numbers(table["ci_low"], decimals), _shown_numbers(table["ci_high"], decimals),
            table["unreliable"].tolist())]
    if data.index_results:
        def index_text(result: dict | None) -> str | None:
            if result is None:
                return None
            label = ((result.get("class_label_en") if english else None) or result["class_label_de"]
                     or _("ohne Zuordnung") + f" ({result['reason']})")
            return label + (" – " + _("Aufmerksamkeitsbedarf") if result["attention"] else "")

        columns["index"] = [index_text(data.index_results.get(key)) for key in table.index]
    n = int(table["n"].iloc[0]) if len(table) else 0
    rank = (_("%(rank)s von %(n)s (1 = höchster veröffentlichter Wert)") if data.state.smooth
            else _("%(rank)s von %(n)s (1 = höchster Wert)"))
    texts = {"rank": rank % {"rank": "{rank}", "n": n},
             # the unit of a value (of a change it is in each text) and of a density's count, once
             "unit": None if data.state.compare else unit, "count_unit": data.indicator.get("density_of"),
             # how explorer.js writes the numbers of `wert` and `anzahl` (Intl.NumberFormat): as indicators.notation
             "locale": "en-GB" if english else "de-DE", "decimals": decimals_for(unit),
             "count_decimals": decimals_for(data.indicator.get("density_of")), "unreliable": _("statistisch unsicher"),
             "classes": [(_("%(rank)s von %(n)s") % {"rank": c + 1, "n": k}) + f": {labels[c]}" for c in range(k)]}
    return {"columns": columns, "texts": texts}


def _floats(column: pd.Series) -> list[float]:
    """The column as Python floats, NaN where it has no value (NaN != NaN tests for it)."""
    return column.to_numpy(dtype=float, na_value=float("nan")).tolist()


def _ints(column: pd.Series) -> list[int | None]:
    return [None if value != value else int(value) for value in _floats(column)]
