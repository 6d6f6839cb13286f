"""Spatial clusters: local Moran's I (LISA) of an indicator or a numeric index, as data and as a map.

Public requests are held to `public_max_permutations` and the default seed, so each public result is
computed once per data version and cached.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from sqlalchemy.engine import Connection
from starlette.responses import HTMLResponse

from geo.aggregation import cache_key, cached
from geo.features import level_extent
from indicators.catalogue import get_indicator, require_indicator
from indicators.clusters import ClusterInputError, ClusterRequest, analyse
from indicators.clusters import feature_texts as cluster_feature_texts
from indicators.composite import IndexDefinitionError
from indicators.index_definitions import get_definition
from indicators.values import resolve_period
from service.auth import Principal
from service.errors import ProblemError, bad_request
from service.formats import offers
from service.http import json_response
from service.params import Level, Period
from service.routes.index_lookup import (MAP_PRECISION, MAP_SIMPLIFY_M, Caller, Conn, definition_or_404,
                                         feature_collection, index_period, map_tiles)
from web.index_maps import hotspot_map

router = APIRouter(tags=["indices"])
DEFAULT_SEED = 12345


def _public_limits(request: Request, caller: Principal, permutations: int, seed: int) -> None:
    """Without a token: at most `public_max_permutations`, and the default seed (a fresh seed per request would
    force a fresh computation each time; with it fixed, every public result is computed once and cached)."""
    if caller.role != "anonymous":
        return
    most = request.app.state.settings.public_max_permutations
    if permutations > most:
        raise bad_request(f"permutations={permutations}: at most {most} without a token", parameter="permutations",
                          limit="permutations", maximum=most)
    if seed != DEFAULT_SEED:
        raise bad_request(f"seed={seed}: without a token the seed is fixed at {DEFAULT_SEED} (same request, same "
                          "result)", parameter="seed", limit="seed", allowed=DEFAULT_SEED)


def _cluster_request(conn: Connection, caller: Principal, indicator: str | None, index: str | None, level: str,
                     period: str | None, permutations: int, alpha: float, seed: int) -> ClusterRequest:
    if (indicator is None) == (index is None):
        raise bad_request("give exactly one of indicator= or index=")
    if indicator is not None:
        require_indicator(conn, indicator, caller.sees_drafts)
        chosen = resolve_period(conn, level, period, indicator, caller.sees_unsuppressed)
    else:
        definition_or_404(conn, caller, index)
        chosen = index_period(conn, index, level, period)
    return ClusterRequest(level=level, period=chosen, indicator=indicator, index_id=index, permutations=permutations,
                          alpha=alpha, seed=seed, unsuppressed=caller.sees_unsuppressed)


def _analyse(conn: Connection, cluster: ClusterRequest) -> dict:
    """The analysis, computed once per request and data version (aggregation cache, committed at once)."""
    try:
        body, _hit = cached(conn, cache_key("hotspots", **cluster.__dict__), lambda: analyse(conn, cluster))
        conn.commit()
        return {**body, "period": date.fromisoformat(body["period"]),
                "boundaries_at": date.fromisoformat(body["boundaries_at"])}
    except (ClusterInputError, IndexDefinitionError):  # domain errors: the error table answers them
        raise
    except ValueError as error:  # what the statistics library refuses (e.g. too few neighbours)
        raise ProblemError(422, "Unprocessable Content", f"Moran's I cannot be computed: {error}") from None


@router.get("/api/hotspots", summary="Local Moran's I (LISA) of an indicator or index: hot and cold spots")
def hotspots(request: Request, conn: Conn, caller: Caller, level: Level,
             indicator: Annotated[str | None, Query(description="Indicator code, e.g. S1.")] = None,
             index: Annotated[str | None, Query(description="Index id with numeric values.")] = None,
             period: Period = None,
             permutations: Annotated[int, Query(ge=99, le=9999, description="Conditional permutations.")] = 999,
             alpha: Annotated[float, Query(gt=0, lt=1, description="Significance level.")] = 0.05,
             seed: Annotated[int, Query(ge=0, le=2**32 - 1, description="Random seed (same seed, same result); "
                                                                         "fixed without a token.")] = DEFAULT_SEED,
             fmt: Annotated[str, offers("json", "geojson")] = "json"):
    _public_limits(request, caller, permutations, seed)
    cluster = _cluster_request(conn, caller, indicator, index, level, period, permutations, alpha, seed)
    body = _analyse(conn, cluster)
    if fmt == "geojson":
        head = {key: value for key, value in body.items() if key != "areas"}
        at = body["boundaries_at"]
        return feature_collection(cluster_feature_texts(conn, level, at, body["areas"]), orjson.loads(
            orjson.dumps(head, default=str)))
    return json_response(body)


@router.get("/maps/hotspots", summary="Map of hot and cold spots (local Moran's I) (HTML)",
            response_class=HTMLResponse)
def hotspot_map_page(request: Request, conn: Conn, caller: Caller, level: Level,
                     indicator: Annotated[str | None, Query(description="Indicator code, e.g. S1.")] = None,
                     index: Annotated[str | None, Query(description="Index id with numeric values.")] = None,
                     period: Period = None,
                     permutations: Annotated[int, Query(ge=99, le=9999)] = 999,
                     alpha: Annotated[float, Query(gt=0, lt=1)] = 0.05,
                     seed: Annotated[int, Query(ge=0, le=2**32 - 1)] = DEFAULT_SEED):
    _public_limits(request, caller, permutations, seed)
    cluster = _cluster_request(conn, caller, indicator, index, level, period, permutations, alpha, seed)
    body = _analyse(conn, cluster)
    features = [orjson.loads(text) for text in cluster_feature_texts(
        conn, level, body["boundaries_at"], body["areas"], precision=MAP_PRECISION, simplify_m=MAP_SIMPLIFY_M)]
    if indicator:
        name = get_indicator(conn, indicator)["name_de"]
    else:
        name = get_definition(conn, index).name_de
    moran = f"{body['global']['I']:.3f}".replace(".", ",")
    title = (f"Räumliche Cluster (lokales Moran's I): {name}, {cluster.period.strftime('%d.%m.%Y')}; "
             f"globales I = {moran}, α = " + f"{alpha:g}".replace(".", ","))
    html = hotspot_map({"type": "FeatureCollection", "features": features}, title=title, counts=body["counts"],
                       excluded_count=len(body["excluded"]),
                       bounds=level_extent(conn, level, body["boundaries_at"]), tile_url=map_tiles(request))
    return HTMLResponse(html)
