"""Regenerate the files in derived/ from the published files (run: python data/demo/berlin/derive.py).

- derived/berlin_stadt.geojson: the city outline, the union of the 12 Bezirke (CRS84).
- derived/mss_2018_shares_plr.csv: the MSS status shares of 31.12.2018, recovered from the 2020 shares
  and their two-year changes (S1 - D1, S3 - D3, S4 - D4), rounded to the publisher's 5 decimals.
- derived/history_plr.csv: one long table (area, indicator, period, value, reason) of
  * the published MSS 2013-2019 tables (history/mss_index_plr_2013_2019.csv, history/mss_context_plr_2013_2019.csv),
    values unchanged, context codes K01 -> KI_01 as in MSS 2021; an indicator an edition did not publish at all
    (S2/D2 in 2019, K10-K13 after 2013, ...) is left out instead of being stored as 447 missing values; the areas
    not assessed get -9999 with the reason (KOM);
  * the register every half year (history/einwohner_plr_2015_2024_halbjahr.csv): total, foreigners and
    migration background (the age groups and female counts: derived/history_plr_register_detail.csv, not loaded
    by the demo, see REGISTER_LOADED), columns renamed to the catalogue's codes, without 30.06.2022: that period is imported from the publisher's own table
    (indicators/einwohner_2022-06_plr.csv, identical counts, with its "–" for nil).
  One file, so that the demo load recomputes roll-ups and disclosure once for all of it (each import does).
- derived/planungsraeume_447.geojson: the 447 planning areas of the old LOR system as used by MSS 2013-2019
  and the register until 31.12.2018, rebuilt from the 448-area file (geometry/planungsraeume_until_2020_corrected)
  by undoing the 2019 re-cut in Treptow-Köpenick: 09041403 ("Allende II", new in 2019) is dissolved back into
  09041301 (Kietzer Feld/Nachtheide). Evidence (register, history/einwohner_plr_2015_2024_halbjahr.csv):
  09041301 had 14,701 inhabitants on 31.12.2018 and 10,088 on 30.06.2019, 09041403 started with 4,596; 09041402
  kept its ~1,550 inhabitants (1,558 -> 1,550) but its name changed from "Allende II" to "Siedlung
  Kämmereiheide", so the key "changed meaning" by name, not by territory. The 2019 shapes of 09041301 / 09041403
  each lie inside one 2021 planning area (09401329 / 09401433) whose 2021 counts match (10,128 / 4,334).
- derived/bezirksregionen_447.geojson: the 138 old district regions before 2019, the dissolve of the 447
  planning areas by their first 6 key digits (090413 regains Allende II from 090414); names from the
  2019-2020 file (geometry/bezirksregionen_until_2020.geojson), which is the dissolve of the 448 areas.
- derived/prognoseraeume_until_2020.geojson: the 60 old forecast areas, the dissolve of the old district
  regions by their first 4 key digits (no file of them is published with the old LOR); names from the 2021
  forecast area an old one became (geometry/lor_old_new_matches.json), else "Prognoseraum <key>".
"""

import json
import re
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


MSS_INDEX_COLUMNS = ["EW", "S1", "S2", "S3", "S4", "D1", "D2", "D3", "D4"]


REGISTER_COLUMNS = {"EW": "EW", "EW_weiblich": "EW_W", "EW_unter6": "EW_U6", "EW_6_15": "EW_6_15",
                    "EW_15_18": "EW_15_18", "EW_18_27": "EW_18_27", "EW_27_45": "EW_27_45", "EW_45_55": "EW_45_55",
                    "EW_55_65": "EW_55_65", "EW_65plus": "EW_65PLUS", "Auslaender": "EW_AUSL", "EW_mit_MH": "EW_MH"}
REGISTER_PERIOD_FROM_OWN_TABLE = "2022-06-30"
# Loaded by the demo: the totals the trends, the segregation measures and the integration indicators read. The
# age groups and the female count of the 19 half-years (82,458 values, a disclosure partition of eight parts per
# area and period) go to derived/history_plr_register_detail.csv, which the demo does not load: with them every
# write of the demo recomputed roll-ups and the partition's disclosure over 20 periods, and the test suite ran
# twice as long. Load them with `district-monitor import observations` (docs/history.md).
REGISTER_LOADED = ("EW", "EW_AUSL", "EW_MH")


def derive_history_long() -> None:
    index = pd.read_csv(HERE / "history/mss_index_plr_2013_2019.csv", dtype={"PLR_ID": str})
    context = pd.read_csv(HERE / "history/mss_context_plr_2013_2019.csv", dtype={"PLR_ID": str})
    context_codes = {c: "KI_" + c[1:] for c in context.columns if re.fullmatch(r"K\d\d", c)}
    rows = []
    for frame, columns in ((index, {c: c for c in MSS_INDEX_COLUMNS}), (context, context_codes)):
        long = frame.melt(id_vars=["edition", "data_date", "PLR_ID", "KOM"], value_vars=list(columns),
                          var_name="indicator", value_name="value")
        long["indicator"] = long["indicator"].map(columns)
        published = long.groupby(["edition", "indicator"])["value"].transform(lambda v: v.notna().any())
        long = long[published]
        assessed = long["KOM"].eq("gültig") | long["indicator"].eq("EW")
        long["value"] = long["value"].astype(object).where(assessed, -9999)
        long["reason"] = long["KOM"].where(~assessed, "")
        rows.append(long)
    register = pd.read_csv(HERE / "history/einwohner_plr_2015_2024_halbjahr.csv", dtype={"PLR_ID": str})
    register = register[register["stand"] != REGISTER_PERIOD_FROM_OWN_TABLE]
    counts = register.melt(id_vars=["stand", "PLR_ID"], value_vars=list(REGISTER_COLUMNS), var_name="indicator",
                           value_name="value")
    counts["indicator"] = counts["indicator"].map(REGISTER_COLUMNS)
    counts["reason"] = ""
    counts = counts.rename(columns={"stand": "data_date"})
    detail = counts[~counts["indicator"].isin(REGISTER_LOADED)].rename(columns={"PLR_ID": "area",
                                                                                "data_date": "period"})
    detail = detail.sort_values(["period", "indicator", "area"], kind="stable")
    detail[["area", "indicator", "period", "value", "reason"]].to_csv(
        HERE / "derived/history_plr_register_detail.csv", index=False)
    rows.append(counts[counts["indicator"].isin(REGISTER_LOADED)])
    out = pd.concat(rows).rename(columns={"PLR_ID": "area", "data_date": "period"})
    out = out.sort_values(["period", "indicator", "area"], kind="stable")
    out[["area", "indicator", "period", "value", "reason"]].to_csv(HERE / "derived/history_plr.csv", index=False)


SPLIT_2019 = {"09041403": "09041301"}  # 448-system key -> the 447-system area it was cut from


def _dissolve(frame: gpd.GeoDataFrame, keys: pd.Series) -> gpd.GeoSeries:
    """Union of the outlines per key, in metres (the shared borders vanish exactly: the parts are one coverage)."""
    metric = frame.to_crs(25833)
    return gpd.GeoSeries({key: shapely.union_all(group.geometry.values)
                          for key, group in metric.groupby(keys.values)}, crs=25833)


def _write(series: gpd.GeoSeries, names: dict[str, str], path: Path) -> None:
    frame = gpd.GeoDataFrame({"id": series.index, "name": [names[k] for k in series.index]},
                             geometry=series.values, crs=series.crs).to_crs(4326)
    frame.to_file(path, driver="GeoJSON", COORDINATE_PRECISION=7)


def derive_old_lor() -> None:
    plr448 = gpd.read_file(HERE / "geometry/planungsraeume_until_2020_corrected.geojson")
    plr448["id"] = plr448["id"].astype(str)
    keys447 = plr448["id"].map(lambda k: SPLIT_2019.get(k, k))
    plr447 = _dissolve(plr448, keys447)
    published = pd.read_csv(HERE / "history/mss_index_plr_2013_2019.csv", dtype={"PLR_ID": str})
    names447 = dict(zip(published["PLR_ID"], published["PLR_NAME"]))  # the names MSS 2013-2019 used
    assert set(plr447.index) == set(names447), "the 447 keys must be those of MSS 2013-2019"
    _write(plr447, names447, HERE / "derived/planungsraeume_447.geojson")
    regions = gpd.read_file(HERE / "geometry/bezirksregionen_until_2020.geojson")
    region_names = dict(zip(regions["id"].astype(str), regions["name"]))
    bzr447 = plr447.groupby(plr447.index.str[:6]).agg(lambda g: shapely.union_all(g.values))
    _write(gpd.GeoSeries(bzr447, crs=25833), region_names, HERE / "derived/bezirksregionen_447.geojson")
    matches = json.loads((HERE / "geometry/lor_old_new_matches.json").read_text())
    new_pgr = gpd.read_file(HERE / "geometry/prognoseraeume_2021.geojson")
    new_names = dict(zip(new_pgr["id"].astype(str), new_pgr["name"]))
    pgr = _dissolve(regions, regions["id"].astype(str).str[:4])
    pgr_names = {k: (new_names.get(matches[k][0]) if len(matches.get(k, [])) == 1 else None) or f"Prognoseraum {k}"
                 for k in pgr.index}
    _write(pgr, pgr_names, HERE / "derived/prognoseraeume_until_2020.geojson")


if __name__ == "__main__":
    derive_city_outline()
    derive_2018_shares()
    derive_history_long()
    derive_old_lor()
