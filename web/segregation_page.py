"""The German page of the segregation measures (`/api/segregation?f=html`): per period and group one table,
the whole municipality first and then each area of `within`, the measures named and explained in German. The
numbers are the JSON twin's (`indicators.segregation.segregation`); this module only arranges them."""

from __future__ import annotations

from datetime import date

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
