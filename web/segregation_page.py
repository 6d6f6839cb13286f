"""The German page of the segregation measures (`/api/segregation?f=html`): per period and group one table,
the whole municipality first and then each area of `within`, the measures named and explained in German. The
numbers are the JSON twin's (`indicators.segregation.segregation`); this module only arranges them."""

from __future__ import annotations

from datetime import date

import pandas as pd

# (name, one-line explanation) per measure in German and English, in the order of the table's columns
LABELS = {
    "dissimilarity": ("Dissimilarität D", "Anteil der Gruppe, der umziehen müsste, damit sie sich wie alle übrigen "
                      "verteilt (0 = gleich verteilt, 1 = völlig getrennt).",
                      "Dissimilarity D", "Share of the group that would have to move to be spread like everyone "
                      "else (0 = even, 1 = completely apart)."),
    "isolation": ("Isolation", "Anteil der Gruppe im Gebiet des durchschnittlichen Gruppenmitglieds.",
                  "Isolation", "The group's share in the area of the average member of the group."),
    "exposure": ("Kontakt", "Anteil der übrigen Bevölkerung im Gebiet des durchschnittlichen Gruppenmitglieds "
                 "(Kontakt und Isolation ergeben zusammen 1).",
                 "Exposure", "The others' share in the area of the average member of the group (exposure and "
                 "isolation add up to 1)."),
    "entropy": ("Theil H", "Wie stark die Mischung der Gebiete von der Mischung des Ganzen abweicht (0 bis 1).",
                "Theil H", "How far the mix of the areas differs from the mix of the whole (0 to 1)."),
    "adjusted_dissimilarity": ("D(adj)", "D nach Morrill: abzüglich der Unterschiede zwischen benachbarten "
                               "Gebieten (räumlich bereinigt).",
                               "D(adj)", "Morrill's D: minus the differences between neighbouring areas."),
    "spatial_dissimilarity": ("D räumlich", "D über Nachbarschaften (Gebiet und angrenzende Gebiete).",
                              "spatial D", "D over neighbourhoods (the area and the areas next to it)."),
    "multi_dissimilarity": ("D mehrere Gruppen", "Dissimilarität über alle genannten Gruppen zugleich.",
                            "multigroup D", "Dissimilarity over all named groups at once."),
    "multi_theil": ("H mehrere Gruppen", "Theil-Index über alle genannten Gruppen zugleich.",
                    "multigroup H", "Theil's index over all named groups at once."),
}


def page_context(body: dict, level_name: str, within_name: str | None, whole_name: str) -> dict:
    """Rows of the JSON body arranged as tables: [(period, [(group, [row...])...])...], each row
    {name, areas, population, measures: {measure: value}}; only measures with a German label, in their order."""
    tables: dict[str, dict[str, dict[tuple, dict]]] = {}
    present = set()
    for row in body["rows"]:
        if row["measure"] not in LABELS:
            continue
        present.add(row["measure"])
        scope = (row["scope_key"] is not None, row["scope_key"] or "")
        by_group = tables.setdefault(str(row["period"])[:10], {}).setdefault(row["group"], {})
        line = by_group.setdefault(scope, {"name": row["scope_name"] or whole_name, "areas": row["areas"],
                                           "population": row["population"], "measures": {}})
        line["measures"][row["measure"]] = row["value"]
    periods = [(date.fromisoformat(period), [(group, [lines[s] for s in sorted(lines)])
                                            for group, lines in groups.items()])
               for period, groups in sorted(tables.items(), reverse=True)]
    return {"periods": periods, "columns": [code for code in LABELS if code in present],
            "labels": {code: LABELS[code] for code in LABELS if code in present},  # the page picks by its language
            "level_name": level_name, "within_name": within_name, "dropped": body.get("dropped", {})}


# -- the map of the local measures (one period) ----------------------------------------------------------------
# Location quotient classes around 1 (share in the area / share in the whole): upper limits, mapclassify's
# UserDefined (a last class above 2 when some area lies above it). Diverging ColorBrewer PuOr, purple below 1,
# orange above, grey-white around 1 (no valuation: neither side is better).
LQ_LIMITS = (0.5, 0.8, 1.25, 2.0)
LQ_COLOURS = ("#5e3c99", "#b2abd2", "#f7f7f7", "#fdb863", "#e66101")
ENTROPY_RAMP = "YlGnBu"  # sequential: light = one group dominates, dark = the groups mixed evenly
ENTROPY_CLASSES = 5
DROPPED_COLOUR = "#969696"  # areas left out (a hidden or missing cell): grey, "geheim/keine Angabe"
DECIMALS = 2  # LQ and local entropy are classified as the page shows them: rounded to two decimals


def _limit(value: float, lang: str) -> str:
    """0.5 -> "0,5", 1.25 -> "1,25", 2.0 -> "2" (as few decimals as the limit has)."""
    text = f"{value:g}"
    return text.replace(".", ",") if lang != "en" else text


def _lq_labels(lang: str) -> list[str]:
    limits = [_limit(v, lang) for v in LQ_LIMITS]
    return [f"≤ {limits[0]}", *(f"{a} – {b}" for a, b in zip(limits, limits[1:])), f"> {limits[-1]}"]


def _dropped_reason(reason: str) -> tuple[str, str]:
    """("confidential" or "missing", the codes) of a reason of `local_measures` ("confidential: EW_AUSL")."""
    kind, _sep, codes = reason.partition(":")
    return ("confidential" if kind.strip() == "confidential" else "missing"), codes.strip()


def map_context(local: dict) -> dict:
    """The map of the local measures of one period (`indicators.segregation.local_measures`' body): per area its
    class of the first group's location quotient and of the local entropy (computed here, with mapclassify, so
    that the page's legend and the map's colours are one classification), the legends in German and English with
    their counts, and the areas left out with the kind of their reason. Shapes and the numbers of the tooltips
    come from the GeoJSON twin (`/api/segregation/local?f=geojson`)."""
    import mapclassify  # slow to import (matplotlib, scikit-learn): on first use

    from indicators.classify import classify
    from web.maps import MISSING_COLOUR, TILE_ATTRIBUTION, brewer

    first = local["groups"][0]
    keys = [area["key"] for area in local["areas"]]
    lq = pd.Series([area.get(f"{first}_lq") for area in local["areas"]], index=keys, dtype=float).round(DECIMALS)
    # an area without inhabitants (total 0) has no composition: the library's MultiLocalEntropy sums its 0/0
    # shares away and gives 0 ("one group only"); it gets no class, as its location quotient
    entropy = pd.Series([area.get("local_entropy") if area.get("total") else None for area in local["areas"]],
                        index=keys, dtype=float)
    lq_class = pd.Series(pd.NA, index=keys, dtype="Int64")
    observed = lq.dropna()
    if not observed.empty:
        lq_class[observed.index] = mapclassify.UserDefined(observed.to_numpy(), bins=list(LQ_LIMITS)).yb
    lq_legend = [{"colour": colour, "label_de": de, "label_en": en, "count": int((lq_class == i).sum())}
                 for i, (colour, de, en) in enumerate(zip(LQ_COLOURS, _lq_labels("de"), _lq_labels("en")))]
    entropy_class = pd.Series(pd.NA, index=keys, dtype="Int64")
    entropy_legend = []
    if entropy.notna().any():
        classes = classify(entropy, "quantiles", k=ENTROPY_CLASSES, decimals=DECIMALS)
        entropy_class = classes.yb
        entropy_legend = [{"colour": colour, "label_de": de, "label_en": en, "count": count}
                          for colour, de, en, count in zip(brewer(ENTROPY_RAMP, classes.k), classes.labels_de,
                                                           classes.labels_en, classes.counts)]

    def number(value) -> int | None:
        return None if pd.isna(value) else int(value)

    return {
        "period": date.fromisoformat(str(local["period"])[:10]), "group": first, "areas": len(keys),
        "lq_legend": lq_legend, "entropy_legend": entropy_legend,
        "lq_missing": int(lq_class.isna().sum()), "entropy_missing": int(entropy_class.isna().sum()),
        "missing_colour": MISSING_COLOUR, "dropped_colour": DROPPED_COLOUR, "tile_attribution": TILE_ATTRIBUTION,
        "dropped": {key: _dropped_reason(reason) for key, reason in local.get("dropped", {}).items()},
        # per area [class of the location quotient, class of the local entropy]; null: no value (total 0)
        "classes": {key: [number(lq_class[key]), number(entropy_class[key])] for key in keys},
        "colours": {"lq": [row["colour"] for row in lq_legend], "entropy": [row["colour"] for row in entropy_legend]},
    }
