"""Class schemes for choropleth maps: class limits, class per area, counts and German/English legend labels.

Wraps mapclassify (Rey, S. J., Stephens, P., Laura, J. (2017): An evaluation of sampling and full
enumeration strategies for Fisher Jenks classification in big data settings. Transactions in GIS 21(4))
and adds `mss_sd`, the fixed SD limits of the MSS Status-Index. Missing values stay unclassified.
This module must not read or write files, talk to a database or draw maps.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from indicators.composite import StatusThresholds, classify_status
from indicators.notation import format_number, format_range

if TYPE_CHECKING:
    import mapclassify

Scheme = Literal["quantiles", "fisher_jenks", "std_mean", "equal_interval", "mss_sd"]
SCHEMES: tuple[Scheme, ...] = ("quantiles", "fisher_jenks", "std_mean", "equal_interval", "mss_sd")
MAX_CLASSES = 9  # the most ColorBrewer (and a reader) can tell apart


def schemes_for(kind: str) -> tuple[Scheme, ...]:
    """The schemes that fit values of an indicator kind: the fixed MSS limits (±1 / 1.5 SD) are meaningful
    only for standardised index values (z-scores); applied to raw shares they put nearly every area into one
    class (534 of 536 on the MSS shares)."""
    return SCHEMES if kind == "index" else tuple(s for s in SCHEMES if s != "mss_sd")


def std_multiples(k: int) -> list[float]:
    """Limits in standard deviations around the mean for k classes: k = 5 gives -2, -1, +1, +2 (the MSS'
    reading: a middle class of ±1 SD); odd k keeps a middle class around the mean, even k splits at the mean."""
    if k < 2:
        raise ValueError("a standard-deviation classification needs at least 2 classes")
    half = (k - 1) // 2
    steps = list(range(1, half + 1))
    middle = [0.0] if k % 2 == 0 else []
    return [-float(s) for s in reversed(steps)] + middle + [float(s) for s in steps]


@dataclass(frozen=True)
class Classification:
    """Result of `classify`, named as in mapclassify: `bins` are the upper class limits, `yb` the class
    index 0..k-1 per area (<NA> for a missing value), `counts` the number of areas per class.
    `labels_de` / `labels_en` are legend texts ("3,2 – 5,1" / "3.2 – 5.1").
    """

    scheme: Scheme
    k: int
    bins: tuple[float, ...]
    yb: pd.Series
    counts: tuple[int, ...]
    labels_de: tuple[str, ...]
    labels_en: tuple[str, ...]
    n_missing: int

    def labels(self, lang: str) -> tuple[str, ...]:
        """The legend texts in the notation of `lang` ("en": English, else German)."""
        return self.labels_en if lang == "en" else self.labels_de


def classify(values: pd.Series, scheme: Scheme, k: int = 5, decimals: int = 1) -> Classification:
    """Classify the non-missing values with one scheme.

    The values are classified as they are shown: rounded to `decimals`, so that no shown value lies outside
    the shown limits of its class and equal shown values share a class.
    quantiles, fisher_jenks, equal_interval: k classes (mapclassify returns fewer when ties leave fewer
    distinct limits). std_mean: mapclassify.StdMean with limits at `std_multiples(k)` standard deviations
    (mapclassify uses the sample SD, n - 1); k = 5 gives -2, -1, +1, +2. mss_sd: the 4 Status-Index classes
    x < -1, -1 <= x <= 1, 1 < x <= 1.5, x > 1.5 (MSS 2021 booklet p. 41); `k` is not used.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown class scheme {scheme!r}; one of {', '.join(SCHEMES)}")
    if not 1 <= k <= MAX_CLASSES:
        raise ValueError(f"k must lie between 1 and {MAX_CLASSES}")
    values = values.astype(float).round(decimals)
    observed = values.dropna()
    if observed.empty:
        raise ValueError("there is no value to classify")
    if scheme == "mss_sd":
        return classify_mss_sd(values, decimals)
    classifier = _mapclassify_classifier(scheme, observed.to_numpy(), k)
    bins = tuple(float(limit) for limit in classifier.bins)
    yb = pd.Series(classifier.yb, index=observed.index).reindex(values.index).astype("Int64")
    lowest = float(observed.min())
    return Classification(
        scheme=scheme,
        k=len(bins),
        bins=bins,
        yb=yb,
        counts=tuple(int(count) for count in classifier.counts),
        labels_de=range_labels(lowest, bins, decimals, "de"),
        labels_en=range_labels(lowest, bins, decimals, "en"),
        n_missing=int(values.isna().sum()),
    )


def classify_mss_sd(
    values: pd.Series, decimals: int = 1, thresholds: StatusThresholds = StatusThresholds()
) -> Classification:
    """The fixed Status-Index classes as a map classification; the last upper limit is the largest value
    (as in mapclassify), or the last threshold when no value exceeds it."""
    if values.dropna().empty:
        raise ValueError("there is no value to classify")
    yb = classify_status(values, thresholds) - 1
    limits = (thresholds.high_below, thresholds.low_above, thresholds.very_low_above)
    bins = (*limits, max(float(values.max()), thresholds.very_low_above))
    labels = {
        language: (
            f"< {format_number(limits[0], decimals, language)}",
            format_range(limits[0], limits[1], decimals, language),
            format_range(limits[1], limits[2], decimals, language),
            f"> {format_number(limits[2], decimals, language)}",
        )
        for language in ("de", "en")
    }
    return Classification(
        scheme="mss_sd",
        k=4,
        bins=bins,
        yb=yb,
        counts=tuple(int((yb == index).sum()) for index in range(4)),
        labels_de=labels["de"],
        labels_en=labels["en"],
        n_missing=int(values.isna().sum()),
    )


def range_labels(
    lowest: float, bins: tuple[float, ...], decimals: int, language: Literal["de", "en"]
) -> tuple[str, ...]:
    """Legend texts "lower – upper" per class; the first class starts at the smallest value, or reads
    "≤ upper" when its upper limit lies below the smallest value; a class whose limits read the same (ties,
    e.g. many zeros) names its one value instead of "0,0 – 0,0"."""
    labels = []
    for position, upper in enumerate(bins):
        lower = lowest if position == 0 else bins[position - 1]
        if position == 0 and lowest > upper:
            labels.append(f"≤ {format_number(upper, decimals, language)}")
        elif format_number(lower, decimals, language) == format_number(upper, decimals, language):
            labels.append(format_number(upper, decimals, language))
        else:
            labels.append(format_range(lower, upper, decimals, language))
    return tuple(labels)


def _mapclassify_classifier(scheme: Scheme, y: np.ndarray, k: int) -> mapclassify.classifiers.MapClassifier:
    import mapclassify  # imported on first use: slow to import (it pulls in matplotlib and scikit-learn)
    if scheme == "quantiles":
        return mapclassify.Quantiles(y, k=k)
    if scheme == "equal_interval":
        return mapclassify.EqualInterval(y, k=k)
    if scheme == "std_mean":
        return mapclassify.StdMean(y, multiples=std_multiples(max(k, 2)))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Numba not installed")
        return mapclassify.FisherJenks(y, k=k)
