"""Specification of the map class schemes in indicators.classify."""

import numpy as np
import pandas as pd
import pytest

from indicators.classify import classify
from indicators.notation import format_number


def series(*values: float) -> pd.Series:
    return pd.Series(values, index=[f"{position:02d}" for position in range(len(values))], dtype=float)


def test_quantiles_put_equal_numbers_of_areas_in_each_class():
    # 1..10 in 2 quantile classes: upper limits at the median 5.5 and at the maximum 10
    result = classify(series(*range(1, 11)), "quantiles", k=2)
    assert result.bins == pytest.approx((5.5, 10.0))
    assert result.counts == (5, 5)


def test_fisher_jenks_finds_the_natural_break():
    # two clear groups 1 2 3 | 10 11 12: the break lies after 3
    result = classify(series(1, 2, 3, 10, 11, 12), "fisher_jenks", k=2)
    assert result.bins == (3.0, 12.0)
    assert result.yb.tolist() == [0, 0, 0, 1, 1, 1]


def goodness_of_variance_fit(values: np.ndarray, classes: np.ndarray) -> float:
    within = sum(((values[classes == c] - values[classes == c].mean()) ** 2).sum() for c in np.unique(classes))
    return 1 - within / ((values - values.mean()) ** 2).sum()


def test_fisher_jenks_of_many_values_is_the_same_each_time_and_fits_as_well_as_the_exact_one():
    import mapclassify

    from indicators.classify import FISHER_JENKS_EXACT_UP_TO

    # a skewed distribution like densities of Gemeinden, more values than the exact method is given
    values = np.random.default_rng(18).lognormal(5, 1.6, FISHER_JENKS_EXACT_UP_TO * 5).round(1)
    first = classify(pd.Series(values), "fisher_jenks", k=5)
    again = classify(pd.Series(values[::-1]).iloc[::-1].reset_index(drop=True), "fisher_jenks", k=5)
    assert first.bins == again.bins and first.yb.tolist() == again.yb.tolist()
    assert first.bins[-1] == values.max() and sum(first.counts) == values.size
    assert all(values[first.yb.to_numpy() == c].max() <= first.bins[c] for c in range(first.k))
    exact = mapclassify.FisherJenks(values, k=5)
    assert goodness_of_variance_fit(values, first.yb.to_numpy(dtype=int)) > (
        goodness_of_variance_fit(values, exact.yb) - 0.0005)


def test_equal_interval_splits_the_range_into_equal_widths():
    # range 0..10 in 2 classes of width 5; 5 belongs to the first class (upper limits are inclusive)
    result = classify(series(0, 2, 5, 6, 10), "equal_interval", k=2)
    assert result.bins == (5.0, 10.0)
    assert result.yb.tolist() == [0, 0, 0, 1, 1]


def test_std_mean_uses_limits_at_one_and_two_standard_deviations():
    # 3 5 7: mean 5, sample SD sqrt((4 + 0 + 4) / 2) = 2 (as mapclassify computes it) -> limits 1, 3, 7, 9
    result = classify(series(3, 5, 7), "std_mean")
    assert result.bins == pytest.approx((1.0, 3.0, 7.0, 9.0))
    assert result.counts == (0, 1, 2, 0)
    assert result.labels_de[0] == "≤ 1,0"


def test_mss_sd_uses_the_status_index_limits_with_their_boundaries():
    # x < -1 | -1 <= x <= 1 | 1 < x <= 1.5 | x > 1.5
    result = classify(series(-1.2, -1.0, 1.0, 1.5, 1.6), "mss_sd")
    assert result.yb.tolist() == [0, 1, 1, 2, 3]
    assert result.labels_de == ("< -1,0", "-1,0 – 1,0", "1,0 – 1,5", "> 1,5")
    assert result.labels_en == ("< -1.0", "-1.0 – 1.0", "1.0 – 1.5", "> 1.5")


@pytest.mark.parametrize("scheme", ["quantiles", "fisher_jenks", "std_mean", "equal_interval", "mss_sd"])
def test_missing_values_stay_unclassified(scheme):
    values = series(-2.0, -0.5, 0.3, 1.2, 2.4, np.nan, 0.8, -1.1)
    result = classify(values, scheme, k=3)
    assert pd.isna(result.yb["05"])
    assert result.n_missing == 1
    assert sum(result.counts) == 7


def test_legend_labels_use_a_decimal_comma_in_german_and_a_point_in_english():
    # 3.2 4.0 5.1 | 8.7 9.9: natural break after 5.1
    result = classify(series(3.2, 4.0, 5.1, 8.7, 9.9), "fisher_jenks", k=2)
    assert result.labels_de == ("3,2 – 5,1", "5,1 – 9,9")
    assert result.labels_en == ("3.2 – 5.1", "5.1 – 9.9")


def test_numbers_are_formatted_with_thousands_separators_and_without_negative_zero():
    assert format_number(1234.56, 1, "de") == "1.234,6"
    assert format_number(1234.56, 1, "en") == "1,234.6"
    assert format_number(-0.04, 1, "de") == "0,0"


def test_an_unknown_scheme_is_refused():
    with pytest.raises(ValueError):
        classify(series(1, 2, 3), "jenks_caspall")  # type: ignore[arg-type]


def test_ties_give_one_value_not_a_range_of_equal_limits():
    result = classify(series(0, 0, 0, 0, 0, 0, 1.5, 2.5, 3.5, 4.5), "quantiles", k=5)
    assert "0,0 – 0,0" not in result.labels_de and result.labels_de[0] == "0,0"
    assert result.counts[0] == 6  # the zeros share one class


def test_values_are_classified_as_they_are_shown():
    # 5.14 and 5.149 both read "5,1": they must not fall on either side of a limit shown as "5,1"
    result = classify(series(1.0, 5.14, 5.149, 9.0), "equal_interval", k=2, decimals=1)
    assert result.yb.iloc[1] == result.yb.iloc[2]


@pytest.mark.parametrize("k", [2, 3, 4, 5, 6, 7])
def test_standard_deviation_classes_follow_k(k):
    # a sample whose range reaches beyond +-3 SD, so that every limit falls inside it
    values = np.concatenate([np.random.default_rng(7).normal(0, 1, 2000), [-12.0, 12.0]])
    result = classify(series(*values), "std_mean", k=k, decimals=3)
    assert result.k == k


def test_the_mss_limits_are_offered_only_for_index_values():
    from indicators.classify import schemes_for
    assert "mss_sd" in schemes_for("index")
    assert all("mss_sd" not in schemes_for(kind) for kind in ("share", "count", "change", "rate"))
