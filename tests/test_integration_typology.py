"""Area typology and "areas like this one" (indicators/typology.py, GET /api/typology, /api/typology/{key}/similar)."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

CODES = ("S1", "S3", "S4", "KI_05", "KI_16")
QUERY = f"level=plr&period=2020-12-31&indicators={','.join(CODES)}"


def public_z(engine: sa.Engine) -> dict[str, np.ndarray]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("""
            SELECT a.key, o.indicator_code, o.value FROM observation_public o JOIN area a ON a.id = o.area_id
            WHERE a.level_code = 'plr' AND o.period = '2020-12-31' AND o.indicator_code = ANY(:codes)"""),
            {"codes": list(CODES)}).all()
    values: dict[str, dict] = {}
    for key, code, value in rows:
        values.setdefault(key, {})[code] = value
    keys = sorted(k for k, v in values.items() if all(v.get(c) is not None for c in CODES))
    matrix = np.array([[float(values[k][c]) for c in CODES] for k in keys])
    z = (matrix - matrix.mean(axis=0)) / matrix.std(axis=0)
    return dict(zip(keys, z))


def test_types_are_reproducible_and_each_area_is_nearest_its_type(client: TestClient, demo_engine: sa.Engine):
    body = client.get(f"/api/typology?{QUERY}&k=4").json()
    again = client.get(f"/api/typology?{QUERY}&k=4&seed=12345").json()
    assert body["areas"] == again["areas"] and body["indicators"] == list(CODES)
    sizes = [t["areas"] for t in body["types"]]
    assert sizes == sorted(sizes, reverse=True) and sum(sizes) == len(body["areas"])
    z = public_z(demo_engine)
    assert {a["key"] for a in body["areas"]} == set(z)
    centres = np.array([[t["mean_z"][c] for c in CODES] for t in body["types"]])
    for area in body["areas"]:
        nearest = int(np.argmin(((centres - z[area["key"]]) ** 2).sum(axis=1))) + 1
        assert nearest == area["type"], area  # k-means converged: every area sits with its nearest centre
    rows = client.get(f"/api/typology?{QUERY}&k=4&f=csv").text.splitlines()
    assert rows[0] == "key,name,type" and len(rows) == len(body["areas"]) + 1


def test_areas_like_this_one(client: TestClient, demo_engine: sa.Engine):
    z = public_z(demo_engine)
    key = sorted(z)[0]
    body = client.get(f"/api/typology/{key}/similar?{QUERY}&n=4").json()
    distances = {k: float(np.sqrt(((v - z[key]) ** 2).sum())) for k, v in z.items() if k != key}
    expected = sorted(distances, key=distances.get)[:4]
    assert [s["key"] for s in body["similar"]] == expected
    for item in body["similar"]:
        assert item["distance"] == pytest.approx(distances[item["key"]], abs=1e-3)
        gaps = [w["z_difference"] for w in item["similar_in"]]
        assert gaps == sorted(gaps) and len(gaps) == 3


@pytest.mark.parametrize(("query", "status", "field"), [
    ("/api/typology?level=plr&indicators=S1,EW", 422, "indicators"),  # a count
    ("/api/typology?level=plr&indicators=S1", 422, "indicators"),  # one is not enough
    ("/api/typology/nope/similar?level=plr", 404, "key"),
])
def test_refusals_name_the_field(client: TestClient, query: str, status: int, field: str):
    response = client.get(query)
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
