"""Specification of the composite indices in indicators.composite (docs/methods.md §1-3)."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indicators.composite import (
    GESAMTINDEX_GROUPS,
    DynamicsThresholds,
    IndexDefinitionError,
    StatusThresholds,
    attention_rule_default,
    classify_dynamics,
    classify_status,
    explain_area,
    gesamtindex_group,
    gesamtindex_groups,
    mss_index,
    percentile_rank,
    percentile_rank_index,
    weighted_index,
    zscore,
)

DEMO_TABLE = Path(__file__).resolve().parents[1] / "data/demo/berlin/indicators/mss_2021_index_indicators_plr.csv"
ROOT_5 = math.sqrt(5)
ROOT_10 = math.sqrt(10)


@pytest.fixture
def four_areas() -> pd.DataFrame:
    """x1: higher = worse; x2: higher = better (direction -1)."""
    return pd.DataFrame({"x1": [10.0, 20.0, 30.0, 40.0], "x2": [8.0, 6.0, 2.0, 0.0]}, index=["A", "B", "C", "D"])


@pytest.fixture
def six_areas() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x1": [3.0, 7.5, 1.2, 9.9, 4.4, 6.1],
            "x2": [0.5, -1.0, 2.5, 0.0, 1.5, -0.5],
            "x3": [12.0, 30.0, 8.0, 25.0, 14.0, 40.0],
        },
        index=["01", "02", "03", "04", "05", "06"],
    )


def all_participate(inputs: pd.DataFrame) -> pd.Series:
    return pd.Series(True, index=inputs.index)


# --- zscore -----------------------------------------------------------------------------------------------


def test_zscore_uses_the_population_standard_deviation_over_non_missing_values():
    # 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population SD sqrt(32 / 8) = 2 -> z of 9 = (9 - 5) / 2 = 2
    values = pd.Series([2, 4, 4, 4, 5, 5, 7, 9, np.nan], index=list("abcdefghi"))
    z = zscore(values)
    assert z["h"] == pytest.approx(2.0)
    assert z["a"] == pytest.approx(-1.5)
    assert np.isnan(z["i"])


def test_zscore_of_a_constant_is_refused():
    with pytest.raises(ValueError):
        zscore(pd.Series([3.0, 3.0, 3.0]))


# --- MSS graded index ---------------------------------------------------------------------------------------


def test_mss_index_reproduces_hand_computed_values(four_areas):
    # x1: mean 25, SD sqrt(500 / 4) = 5 sqrt(5) -> z = -3/sqrt5, -1/sqrt5, 1/sqrt5, 3/sqrt5
    # x2: mean 4, SD sqrt(40 / 4) = sqrt(10) -> z = 4/sqrt10, 2/sqrt10, -2/sqrt10, -4/sqrt10; direction -1 flips it
    # sum A = -(3/sqrt5 + 4/sqrt10) = -2.606552, B = -(1/sqrt5 + 2/sqrt10) = -1.079669, C = -B, D = -A
    # SD of the sum = sqrt((2.606552^2 + 1.079669^2) / 2) = 1.994969 -> index A = -1.306563, B = -0.541196
    result = mss_index(four_areas, {"x1": 1, "x2": -1}, all_participate(four_areas))
    assert result.z.loc["A"].tolist() == pytest.approx([-3 / ROOT_5, 4 / ROOT_10])
    assert result.contribution.loc["A"].tolist() == pytest.approx([-3 / ROOT_5, -4 / ROOT_10])
    assert result.sum.tolist() == pytest.approx([-2.606552, -1.079669, 1.079669, 2.606552], abs=1e-6)
    assert result.index.tolist() == pytest.approx([-1.306563, -0.541196, 0.541196, 1.306563], abs=1e-6)
    assert result.mean["x1"] == pytest.approx(25.0)
    assert result.sd["x1"] == pytest.approx(5 * ROOT_5)
    assert result.sd["sum"] == pytest.approx(1.994969, abs=1e-6)
    assert classify_status(result.index).tolist() == [1, 2, 2, 3]


def test_mss_z_values_have_mean_0_and_sd_1_over_participating_areas(six_areas):
    participating = pd.Series([True, True, True, True, True, False], index=six_areas.index)
    result = mss_index(six_areas, {"x1": 1, "x2": -1, "x3": 1}, participating)
    for column in [*result.z.columns]:
        inside = result.z.loc[participating, column]
        assert inside.mean() == pytest.approx(0.0, abs=1e-12)
        assert inside.std(ddof=0) == pytest.approx(1.0)
    assert result.index[participating].mean() == pytest.approx(0.0, abs=1e-12)
    assert result.index[participating].std(ddof=0) == pytest.approx(1.0)


def test_excluding_an_area_gives_the_same_result_as_deleting_it(six_areas):
    directions = {"x1": 1, "x2": -1, "x3": 1}
    participating = pd.Series([True, True, False, True, True, True], index=six_areas.index)
    excluded = mss_index(six_areas, directions, participating)
    remaining = six_areas.drop(index="03")
    deleted = mss_index(remaining, directions, all_participate(remaining))
    pd.testing.assert_series_equal(excluded.index.drop("03"), deleted.index)
    pd.testing.assert_series_equal(classify_status(excluded.index).drop("03"), classify_status(deleted.index))


def test_non_participating_area_keeps_its_inputs_but_gets_no_index(six_areas):
    participating = pd.Series([True, True, False, True, True, True], index=six_areas.index)
    result = mss_index(six_areas, {"x1": 1, "x2": -1, "x3": 1}, participating, exclusion_reasons={"03": "EW unter 300"})
    assert result.inputs.loc["03"].tolist() == [1.2, 2.5, 8.0]
    assert np.isnan(result.index["03"])
    assert not result.participating["03"]
    assert result.reason["03"] == "EW unter 300"
    assert pd.isna(classify_status(result.index)["03"])


def test_missing_input_is_reported_and_never_read_as_zero(six_areas):
    directions = {"x1": 1, "x2": -1, "x3": 1}
    with_gap = six_areas.copy()
    with_gap.loc["04", "x2"] = np.nan
    result = mss_index(with_gap, directions, all_participate(with_gap))
    assert not result.participating["04"]
    assert result.reason["04"] == "missing input x2"
    assert np.isnan(result.index["04"])
    remaining = six_areas.drop(index="04")
    deleted = mss_index(remaining, directions, all_participate(remaining))
    pd.testing.assert_series_equal(result.index.drop("04"), deleted.index)


def test_scaling_an_input_by_a_positive_constant_changes_no_class(six_areas):
    directions = {"x1": 1, "x2": -1, "x3": 1}
    scaled = six_areas.assign(x1=six_areas["x1"] * 100, x3=six_areas["x3"] * 0.01)
    original = mss_index(six_areas, directions, all_participate(six_areas))
    rescaled = mss_index(scaled, directions, all_participate(scaled))
    assert rescaled.index.tolist() == pytest.approx(original.index.tolist())
    pd.testing.assert_series_equal(classify_status(rescaled.index), classify_status(original.index))


def test_fewer_than_three_participating_areas_is_an_error_of_field_participation(four_areas):
    participating = pd.Series([True, True, False, False], index=four_areas.index)
    with pytest.raises(IndexDefinitionError) as error:
        mss_index(four_areas, {"x1": 1, "x2": -1}, participating)
    assert error.value.field == "participation"


def test_a_constant_input_is_an_error_of_its_field(four_areas):
    constant = four_areas.assign(x2=5.0)
    with pytest.raises(IndexDefinitionError) as error:
        mss_index(constant, {"x1": 1, "x2": -1}, all_participate(constant))
    assert error.value.field == "inputs.x2"


def test_a_direction_other_than_plus_or_minus_one_is_refused(four_areas):
    with pytest.raises(IndexDefinitionError) as error:
        mss_index(four_areas, {"x1": 1, "x2": 2}, all_participate(four_areas))
    assert error.value.field == "directions"


# --- MSS classes -------------------------------------------------------------------------------------------


def test_status_classes_follow_the_booklet_limits_including_the_boundaries():
    # hoch x < -1; mittel -1 <= x <= 1; niedrig 1 < x <= 1.5; sehr niedrig x > 1.5 (booklet p. 41)
    index = pd.Series([-1.01, -1.0, 0.0, 1.0, 1.01, 1.5, 1.51, np.nan])
    assert classify_status(index).tolist() == [1, 2, 2, 2, 3, 3, 4, pd.NA]


def test_dynamics_classes_follow_the_booklet_limits_including_the_boundaries():
    # positiv x < -1; stabil -1 <= x <= 1; negativ x > 1 (booklet p. 45)
    index = pd.Series([-1.01, -1.0, 1.0, 1.01, np.nan])
    assert classify_dynamics(index).tolist() == ["+", "+/-", "+/-", "-", None]


def test_class_limits_are_configurable():
    index = pd.Series([1.6, -0.6])
    assert classify_status(index, StatusThresholds(very_low_above=2.0)).tolist() == [3, 2]
    assert classify_dynamics(index, DynamicsThresholds(positive_below=-0.5)).tolist() == ["-", "+"]


def test_descending_thresholds_are_refused():
    with pytest.raises(IndexDefinitionError) as error:
        StatusThresholds(high_below=1.0, low_above=-1.0)
    assert error.value.field == "thresholds"


def test_gesamtindex_has_twelve_groups_from_status_digit_and_dynamics_sign():
    assert gesamtindex_group(1, "+") == "1+"
    assert gesamtindex_group(2, "+/-") == "2+/-"
    assert gesamtindex_group(4, "-") == "4-"
    assert len(set(GESAMTINDEX_GROUPS)) == 12


def test_gesamtindex_group_of_a_missing_class_is_missing():
    groups = gesamtindex_groups(pd.Series([3, pd.NA], dtype="Int64"), pd.Series(["-", "+"], dtype=object))
    assert groups.tolist() == ["3-", None]


def test_default_attention_rule_flags_low_status_and_medium_status_with_negative_dynamics():
    flagged = {group for group in GESAMTINDEX_GROUPS if attention_rule_default(int(group[0]), group[1:])}
    assert flagged == {"2-", "3+", "3+/-", "3-", "4+", "4+/-", "4-"}


# --- percentile ranks --------------------------------------------------------------------------------------


def test_percentile_rank_ties_share_the_lower_rank():
    # ranks (method "min") 1, 2, 2, 4 of n = 4 -> (rank - 1) / 3 = 0, 1/3, 1/3, 1
    values = pd.Series([10.0, 20.0, 20.0, 40.0, np.nan])
    assert percentile_rank(values).tolist()[:4] == pytest.approx([0, 1 / 3, 1 / 3, 1])
    assert np.isnan(percentile_rank(values).iloc[4])


def test_percentile_rank_with_lower_is_worse_puts_the_lowest_value_at_one():
    values = pd.Series([10.0, 20.0, 20.0, 40.0])
    assert percentile_rank(values, higher_is_worse=False).tolist() == pytest.approx([1, 1 / 3, 1 / 3, 0])


def test_percentile_ranks_lie_between_zero_and_one(six_areas):
    for column in six_areas.columns:
        ranks = percentile_rank(six_areas[column])
        assert ranks.min() == 0 and ranks.max() == 1


def test_percentile_rank_index_reproduces_hand_computed_values():
    # a (+1): 1 2 3 4 -> 0, 1/3, 2/3, 1;  b (+1): 2 1 4 3 -> 1/3, 0, 1, 2/3;  c (-1): 30 10 20 40 -> 1/3, 1, 2/3, 0
    # theme T1 = a + b: 1/3, 1/3, 5/3, 5/3 -> ranked (ties low) 0, 0, 2/3, 2/3;  theme T2 = c -> 1/3, 1, 2/3, 0
    # overall sum of the theme sums: 2/3, 4/3, 7/3, 5/3 -> ranked 0, 1/3, 1, 2/3
    inputs = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 1, 4, 3], "c": [30, 10, 20, 40]}, index=["A", "B", "C", "D"])
    result = percentile_rank_index(inputs, {"a": 1, "b": 1, "c": -1}, {"T1": ["a", "b"], "T2": ["c"]})
    assert result.theme_rank["T1"].tolist() == pytest.approx([0, 0, 2 / 3, 2 / 3])
    assert result.theme_rank["T2"].tolist() == pytest.approx([1 / 3, 1, 2 / 3, 0])
    assert result.sum.tolist() == pytest.approx([2 / 3, 4 / 3, 7 / 3, 5 / 3])
    assert result.index.tolist() == pytest.approx([0, 1 / 3, 1, 2 / 3])
    # flags where rank >= 0.9: a at D, b at C, c at B
    assert result.flags.loc["D"].tolist() == [True, False, False]
    assert result.flag_count.tolist() == [0, 1, 1, 1]


def test_percentile_rank_index_requires_every_input_in_exactly_one_theme():
    inputs = pd.DataFrame({"a": [1, 2, 3], "b": [3, 1, 2]}, index=["A", "B", "C"])
    with pytest.raises(IndexDefinitionError) as error:
        percentile_rank_index(inputs, {"a": 1, "b": 1}, {"T1": ["a"]})
    assert error.value.field == "themes"


# --- weighted index ----------------------------------------------------------------------------------------


def test_weighted_minmax_index_reproduces_hand_computed_values():
    # x (+1): 0 5 10 -> 0, .5, 1;  y (-1): 100 0 50 -> (max - y) / 100 = 0, 1, .5
    # weights 3 : 1 -> .75, .25;  sum A 0, B .375 + .25 = .625, C .75 + .125 = .875;  re-standardised / .875
    inputs = pd.DataFrame({"x": [0.0, 5.0, 10.0], "y": [100.0, 0.0, 50.0]}, index=["A", "B", "C"])
    result = weighted_index(inputs, {"x": 1, "y": -1}, {"x": 3, "y": 1}, "minmax", restandardise=True)
    assert result.sum.tolist() == pytest.approx([0, 0.625, 0.875])
    assert result.index.tolist() == pytest.approx([0, 0.625 / 0.875, 1])


def test_weighted_zscore_index_reproduces_hand_computed_values():
    # x: 0 5 10 -> z = -sqrt(1.5), 0, sqrt(1.5);  y (-1): 100 0 50 -> -sqrt(1.5), sqrt(1.5), 0
    # equal weights -> sum = mean: A -sqrt(1.5), B sqrt(1.5) / 2, C sqrt(1.5) / 2
    inputs = pd.DataFrame({"x": [0.0, 5.0, 10.0], "y": [100.0, 0.0, 50.0]}, index=["A", "B", "C"])
    result = weighted_index(inputs, {"x": 1, "y": -1}, {"x": 1, "y": 1}, "zscore", restandardise=False)
    root = math.sqrt(1.5)
    assert result.index.tolist() == pytest.approx([-root, root / 2, root / 2])


def test_weights_summing_to_zero_are_an_error_of_field_weights(four_areas):
    with pytest.raises(IndexDefinitionError) as error:
        weighted_index(four_areas, {"x1": 1, "x2": -1}, {"x1": 0, "x2": 0}, "zscore", restandardise=True)
    assert error.value.field == "weights"


def test_weighted_index_reports_a_missing_input(six_areas):
    with_gap = six_areas.copy()
    with_gap.loc["02", "x1"] = np.nan
    result = weighted_index(with_gap, {"x1": 1, "x3": 1}, {"x1": 1, "x3": 2}, "minmax", restandardise=False)
    assert result.reason["02"] == "missing input x1"
    assert np.isnan(result.index["02"])


# --- explanations ------------------------------------------------------------------------------------------


def test_explain_area_traces_the_index_value_back_to_the_inputs(four_areas):
    result = mss_index(four_areas, {"x1": 1, "x2": -1}, all_participate(four_areas))
    explanation = explain_area(result, "D", StatusThresholds())
    json.dumps(explanation)
    x1 = explanation["inputs"][0]
    assert (x1["value"], x1["mean"], x1["z"]) == (40.0, 25.0, pytest.approx(3 / ROOT_5))
    assert sum(item["contribution"] for item in explanation["inputs"]) == pytest.approx(explanation["sum"]["value"])
    assert explanation["class"] == 3
    assert explanation["thresholds"] == {"high_below": -1.0, "low_above": 1.0, "very_low_above": 1.5}


def test_explain_area_of_an_excluded_area_gives_the_reason_and_no_index(six_areas):
    participating = pd.Series([True, True, False, True, True, True], index=six_areas.index)
    result = mss_index(six_areas, {"x1": 1, "x2": -1, "x3": 1}, participating, exclusion_reasons={"03": "Ausreißer"})
    explanation = explain_area(result, "03", StatusThresholds())
    json.dumps(explanation)
    assert (explanation["reason"], explanation["index"], explanation["class"]) == ("Ausreißer", None, None)


def test_explain_area_works_for_percentile_rank_and_weighted_results(four_areas):
    ranked = percentile_rank_index(four_areas, {"x1": 1, "x2": -1}, {"T": ["x1", "x2"]})
    weighted = weighted_index(four_areas, {"x1": 1, "x2": -1}, {"x1": 1, "x2": 1}, "minmax", restandardise=False)
    assert json.loads(json.dumps(explain_area(ranked, "A")))["themes"][0]["rank"] == 0.0
    assert json.loads(json.dumps(explain_area(weighted, "D")))["index"] == pytest.approx(1.0)


# --- the published MSS 2021 -------------------------------------------------------------------------------

# Published numbers of planning areas, MSS 2021 Indikatorenblätter (Senatsverwaltung für Stadtentwicklung,
# Bauen und Wohnen Berlin, 2022): map legends of Abbildung 4 (p. 42, Status-Index), Abbildung 6 (p. 46,
# Dynamik-Index) and Abbildung 8 (p. 50, Gesamtindex; 6 "Planungsraum ohne Zuordnung").
PUBLISHED_STATUS = {1: 75, 2: 366, 3: 46, 4: 49}
PUBLISHED_DYNAMICS = {"+": 48, "+/-": 436, "-": 52}
PUBLISHED_GESAMTINDEX = {
    "1+": 1, "1+/-": 73, "1-": 1, "2+": 36, "2+/-": 296, "2-": 34,
    "3+": 8, "3+/-": 31, "3-": 7, "4+": 3, "4+/-": 36, "4-": 10,
}


def read_mss_2021() -> tuple[pd.DataFrame, pd.Series]:
    table = pd.read_csv(DEMO_TABLE, dtype={"PLR_ID": str}, na_values=["-9999"]).set_index("PLR_ID")
    return table, table["KOM"].eq("gültig")


def mss_2021_classes(ddof: int = 0) -> tuple[pd.Series, pd.Series]:
    table, participating = read_mss_2021()
    status = mss_index(table, {"S1": 1, "S3": 1, "S4": 1}, participating, exclusion_reasons=table["KOM"], ddof=ddof)
    dynamics = mss_index(table, {"D1": 1, "D3": 1, "D4": 1}, participating, exclusion_reasons=table["KOM"], ddof=ddof)
    return classify_status(status.index), classify_dynamics(dynamics.index)


def test_mss_2021_classes_are_identical_to_the_published_counts():
    status, dynamics = mss_2021_classes()
    groups = gesamtindex_groups(status, dynamics)
    assert status.value_counts().to_dict() == PUBLISHED_STATUS
    assert dynamics.value_counts().to_dict() == PUBLISHED_DYNAMICS
    assert groups.value_counts().to_dict() == PUBLISHED_GESAMTINDEX
    assert int(status.isna().sum()) == 6


def test_mss_2021_excluded_areas_keep_the_stewards_reason():
    table, participating = read_mss_2021()
    result = mss_index(table, {"S1": 1, "S3": 1, "S4": 1}, participating, exclusion_reasons=table["KOM"])
    assert result.reason.dropna().value_counts().to_dict() == {"ungültig (EW unter 300)": 5, "ungültig (Ausreißer)": 1}


def test_mss_2021_classes_do_not_depend_on_population_or_sample_sd():
    population_status, population_dynamics = mss_2021_classes(ddof=0)
    sample_status, sample_dynamics = mss_2021_classes(ddof=1)
    pd.testing.assert_series_equal(population_status, sample_status)
    pd.testing.assert_series_equal(population_dynamics, sample_dynamics)
