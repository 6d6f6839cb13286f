"""Regenerate the files in derived/ from the published files (run: python data/demo/berlin/derive.py).

- derived/berlin_stadt.geojson: the city outline, the union of the 12 Bezirke (CRS84).
- derived/mss_2018_shares_plr.csv: the MSS status shares of 31.12.2018, recovered from the 2020 shares
  and their two-year changes (S1 - D1, S3 - D3, S4 - D4), rounded to the publisher's 5 decimals.
"""

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

HERE = Path(__file__).resolve().parent


def derive_city_outline() -> None:
    boroughs = gpd.read_file(HERE / "geometry/bezirke.geojson")
    outline = shapely.union_all(boroughs.to_crs(25833).geometry.values)
    city = gpd.GeoDataFrame({"id": ["11"], "name": ["Berlin"]}, geometry=[outline], crs=25833).to_crs(4326)
    city.to_file(HERE / "derived/berlin_stadt.geojson", driver="GeoJSON", COORDINATE_PRECISION=7)


def derive_2018_shares() -> None:
    mss = pd.read_csv(HERE / "indicators/mss_2021_index_indicators_plr.csv", dtype={"PLR_ID": str})
    rows = []
    for share, change in (("S1", "D1"), ("S3", "D3"), ("S4", "D4")):
        missing = (mss[share] == -9999) | (mss[change] == -9999)
        value = (mss[share] - mss[change]).round(5).where(~missing, -9999)
        rows.append(pd.DataFrame({"area": mss["PLR_ID"], "indicator": share, "period": "2018-12-31",
                                  "value": value, "reason": mss["KOM"].where(missing, "")}))
    pd.concat(rows).to_csv(HERE / "derived/mss_2018_shares_plr.csv", index=False)


if __name__ == "__main__":
    derive_city_outline()
    derive_2018_shares()
