"""HTML pages for people: indicator maps. Unknown names in a URL give a friendly German 404 page."""

from __future__ import annotations

from typing import Annotated

import orjson
import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.engine import Connection
from starlette.responses import HTMLResponse

from geo.features import FeatureQuery, feature_texts, level_extent
from geo.levels import get_level, list_levels
from indicators.catalogue import get_indicator, list_indicators
from indicators.classify import SCHEMES, classify
from indicators.schema import OBSERVATION_FLAGS
from indicators.values import PeriodNotFound, boundary_date_for, indicator_values, resolve_period
from service.auth import Principal, current_principal
from service.http import connection
from web.maps import Legend, choropleth, palette
from web.templates import german_number, render

router = APIRouter(tags=["pages"])
Conn = Annotated[Connection, Depends(connection)]
NO_PROPERTIES_SQL = "SELECT NULL::bigint AS area_id, NULL::jsonb AS properties WHERE false"
MAP_SIMPLIFY_M = 5.0
MAP_PRECISION = 5  # 1e-5 degrees ~ 1 m


def not_found_page(request: Request, message: str, choices: list[tuple[str, str]]):
    return render("error.html", request, status=404, page_title="Nicht gefunden", heading="Nicht gefunden",
                  message=message, choices=choices)


@router.get("/maps/indicators/{code}", summary="Choropleth map of one indicator (HTML)")
def indicator_map(request: Request, conn: Conn, caller: Annotated[Principal, Depends(current_principal)], code: str,
                  level: Annotated[str, Query(description="Area level code.")] = "plr",
                  period: Annotated[str | None, Query(description="Reference date or year; default: latest.")] = None,
                  scheme: Annotated[str, Query(description=f"Class scheme: {', '.join(SCHEMES)}.")] = "quantiles",
                  k: Annotated[int, Query(ge=2, le=9, description="Number of classes.")] = 5):
    indicator = get_indicator(conn, code)
    if indicator is None:
        return not_found_page(request, f"Den Indikator „{code}“ gibt es nicht.",
                              [(f"{i['code']} – {i['name_de']}", f"/maps/indicators/{i['code']}")
                               for i in list_indicators(conn)])
    lvl = get_level(conn, level)
    if lvl is None:
        return not_found_page(request, f"Die Raumebene „{level}“ gibt es nicht.",
                              [(lv.plural_de, f"/maps/indicators/{code}?level={lv.code}") for lv in list_levels(conn)])
    if scheme not in SCHEMES:
        return not_found_page(request, f"Das Klassifikationsverfahren „{scheme}“ gibt es nicht.",
                              [(s, f"/maps/indicators/{code}?scheme={s}") for s in SCHEMES])
    try:
        chosen = resolve_period(conn, level, period, code, caller.sees_unsuppressed)
    except PeriodNotFound as exc:
        return not_found_page(request, f"Für {code} gibt es auf der Ebene {lvl.plural_de} keine Daten zum Zeitpunkt "
                                       f"„{exc.requested}“.",
                              [(p.isoformat(), f"/maps/indicators/{code}?level={level}&period={p.isoformat()}")
                               for p in exc.available])
    at = boundary_date_for(conn, level, chosen)
    rows = pd.DataFrame(indicator_values(conn, level, at, code, chosen, caller.sees_unsuppressed)).set_index("key")
    classes = classify(rows["value"].astype(float), scheme, k=k, decimals=1)
    colours = palette(indicator["direction"], classes.k)
    fill = {key: (None if pd.isna(c) else colours[int(c)]) for key, c in classes.yb.items()}
    query = FeatureQuery(level=level, at=at, limit=100_000, precision=MAP_PRECISION, simplify_m=MAP_SIMPLIFY_M)
    features = [orjson.loads(t) for t in feature_texts(conn, query, NO_PROPERTIES_SQL)]
    for feature in features:
        row = rows.loc[feature["id"]]
        feature["properties"]["wert"] = _value_text(row, indicator["unit"])
    unit = f" in {indicator['unit']}" if indicator["unit"] else ""
    legend = Legend(title=f"{indicator['name_de']}{unit}, {chosen.strftime('%d.%m.%Y')}", labels=list(classes.labels_de),
                    colours=colours, counts=list(classes.counts), missing_count=classes.n_missing)
    html = choropleth({"type": "FeatureCollection", "features": features}, value_label=indicator["name_de"],
                      legend=legend, class_colour=fill, tile_url=request.app.state.settings.map_tiles or None,
                      bounds=level_extent(conn, level, at))
    return HTMLResponse(html)


def _value_text(row: pd.Series, unit: str) -> str:
    if pd.isna(row["value"]):
        flag = row["flag"] or "missing"
        label = OBSERVATION_FLAGS.get(flag, (flag, flag))[0]
        reason = f" ({row['flag_reason']})" if row["flag_reason"] else ""
        return f"kein Wert: {label}{reason}"
    decimals = 0 if unit in ("Personen", "Anzahl") else 2
    return f"{german_number(float(row['value']), decimals)} {unit}".strip()
