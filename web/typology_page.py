"""The German page of the area types (`/api/typology?f=html`): each type's size and its most distinctive
indicators in words, the areas of each type linked to their profiles, and the areas left out with the reason; and
the words the area profile's section on the area's type uses. The numbers are the JSON twin's
(`indicators.typology.typology`, as `kept_typology` keeps it); this module only arranges them."""

from __future__ import annotations

from urllib.parse import quote

from web.i18n import N_

# how far a mean z lies from the mean of all areas (0), in words: (from |z|, above, below), furthest first
POSITIONS = (
    (1.5, N_("weit über dem Durchschnitt"), N_("weit unter dem Durchschnitt")),
    (1.0, N_("deutlich über dem Durchschnitt"), N_("deutlich unter dem Durchschnitt")),
    (0.5, N_("über dem Durchschnitt"), N_("unter dem Durchschnitt")),
    (0.2, N_("etwas über dem Durchschnitt"), N_("etwas unter dem Durchschnitt")),
)
NEAR = N_("nahe am Durchschnitt")
# the reasons `indicators.typology.read_matrix` gives for an area left out ("no value: S1, S3"), in German
REASONS = {"no value": N_("kein Wert"), "confidential": N_("gesperrt (Geheimhaltung)"),
           "no values": N_("keine Werte zu diesem Stand auf diesen Gebietsgrenzen")}


def position(z: float) -> str:
    """A type's (or an area's) mean z in German words; the page translates them with its `_`."""
    for limit, above, below in POSITIONS:
        if abs(z) >= limit:
            return above if z > 0 else below
    return NEAR


def reason(text: str) -> dict:
    """A reason of `dropped` as {"label": German words, "indicators": "S1, S3"} (the codes as given)."""
    head, _sep, codes = text.partition(": ")
    return {"label": REASONS.get(head, head), "indicators": codes}


def profile_link(level: str, key: str) -> str:
    return f"/areas/{quote(level, safe='')}/{quote(key, safe='')}"


def distinctive(entries: list[dict], mean_value: dict, indicators: dict) -> list[dict]:
    """A type's `profile` (the indicators furthest from the mean) with each one's name, unit, the type's mean
    value and the position in words. `indicators`: code -> {"name", "unit"}."""
    return [{"code": e["indicator"], "name": indicators.get(e["indicator"], {}).get("name", e["indicator"]),
             "unit": indicators.get(e["indicator"], {}).get("unit"), "z": e["z"],
             "mean_value": mean_value.get(e["indicator"]), "position": position(e["z"])} for e in entries]


def page_context(body: dict, indicators: dict, level_name: str) -> dict:
    """The JSON body of /api/typology arranged for typology.html: the types (size, distinctive indicators, areas
    by name), every indicator's mean value and z per type, and the areas left out. `indicators`: code ->
    {"name" (in the page's language), "unit"}; `level_name`: the level's plural in the page's language."""
    level = body["level"]
    members: dict[int, list[dict]] = {t["type"]: [] for t in body["types"]}
    for area in body["areas"]:
        members[area["type"]].append({"key": area["key"], "name": area["name"] or area["key"],
                                      "profile": profile_link(level, area["key"])})
    types = [{"type": t["type"], "areas": t["areas"], "distinctive": distinctive(t["profile"], t["mean_value"],
                                                                                  indicators),
              "members": sorted(members[t["type"]], key=lambda a: (a["name"].casefold(), a["key"]))}
             for t in body["types"]]
    means = [{"code": code, "name": indicators.get(code, {}).get("name", code),
              "unit": indicators.get(code, {}).get("unit"),
              "cells": [{"mean_value": t["mean_value"].get(code), "z": t["mean_z"].get(code)} for t in body["types"]]}
             for code in body["indicators"]]
    dropped = [{"key": key, "profile": profile_link(level, key), **reason(text)}
               for key, text in sorted(body["dropped"].items())]
    return {"level": level, "level_name": level_name, "period": body["period"], "k": body["k"], "seed": body["seed"],
            "typed": len(body["areas"]), "indicator_count": len(body["indicators"]), "types": types,
            "means": means, "dropped": dropped}
