"""Aggregation over HTTP, one concept per module, gathered into one router (the app includes this one):

- `rollups`: how the values of a level were derived (roll-up rules)
- `estimates`: any polygon, a radius, catchments (areal interpolation, cost limits)
- `layers`: point and grid layers and their counts and sums per area
- `supply`: supply ratios per area and their map
- `programmes`: programmes and their evaluation

Thin routers: parse (service.params), call one domain function, answer in the chosen format (service.formats);
every domain error answers 4xx problem+json through the one table in service/errors.py, naming the field.
Expensive results are cached per data version (service.routes.cached).
"""

from __future__ import annotations

from fastapi import APIRouter

from service.routes import estimates, layers, programmes, rollups, supply

router = APIRouter()
for module in (rollups, estimates, layers, supply, programmes):
    router.include_router(module.router)
