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
# mapclassify's Fisher-Jenks takes O(k n²) in Python: 0.3-0.5 s for the 10,997 Gemeinden, on every map. Above this
# many values the limits come from `fisher_jenks_limits` (the same optimum on at most this many groups of values).
FISHER_JENKS_EXACT_UP_TO = 2000


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
    distinct limits); fisher_jenks of more than FISHER_JENKS_EXACT_UP_TO values: `fisher_jenks_limits`.
    std_mean: mapclassify.StdMean with limits at `std_multiples(k)` standard deviations (mapclassify uses the
    sample SD, n - 1); k = 5 gives -2, -1, +1, +2. mss_sd: the 4 Status-Index classes
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
        if y.size <= FISHER_JENKS_EXACT_UP_TO:
            return mapclassify.FisherJenks(y, k=k)
    limits = fisher_jenks_limits(y, k)
    return mapclassify.UserDefined(y, bins=list(limits[:-1]), lowest=float(y.min()))


def fisher_jenks_limits(y: np.ndarray, k: int, groups: int = 600) -> list[float]:
    """Upper class limits of Fisher's optimal partition (least squared deviations within classes) of `y` into k
    classes, found on at most `groups` runs of the sorted values: every distinct value when there are no more
    than that, else runs cut at evenly spaced ranks (three quarters of the cuts) and at evenly spaced points of
    the range (a quarter: the sparse tail, where the limits lie), never between equal values. The same dynamic
    programme as Fisher (1958) over runs weighted by their size, so it is exact where no limit falls inside a run.

    Written here because mapclassify offers no weighted Fisher-Jenks, and a sample loses the fit: its
    FisherJenksSampled draws a random one (the same map would change its classes on every visit), and even 4,000
    evenly spaced order statistics of 11,000 skewed values kept only 0.862 of the exact goodness of variance fit
    0.908. On the densities of the 10,997 Gemeinden 600 runs keep the exact fit to 4 decimals in 4-11 ms instead
    of 0.3-0.5 s (k = 5..9; 1,000 runs took 12-40 ms and gained at most 0.00003, 400 runs lost up to 0.0001);
    tests/test_classify.py holds it to the exact fit.
    """
    ordered = np.sort(np.asarray(y, dtype=float))
    n = ordered.size
    centred = ordered - ordered.mean()  # sums of squares of centred values keep their precision
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])  # where each distinct value begins
    if starts.size > groups:
        wanted = np.union1d(np.linspace(0, n, groups * 3 // 4 + 1).round().astype(int)[1:-1],
                            np.searchsorted(ordered, np.linspace(ordered[0], ordered[-1], groups // 4 + 1)[1:-1]))
        starts = np.unique(np.searchsorted(ordered, ordered[np.minimum(wanted, n - 1)], side="left"))
    cuts = np.union1d(starts, [0, n])  # run r holds ordered[cuts[r]:cuts[r + 1]]
    runs = cuts.size - 1
    k = min(k, runs)
    count, total, squares = cuts.astype(float), np.r_[0.0, np.cumsum(centred)][cuts], \
        np.r_[0.0, np.cumsum(centred * centred)][cuts]
    # deviation[s, e]: squared deviations from their mean of the values in runs s .. e - 1 (inf: no value)
    size = count[None, :] - count[:, None]
    summed = total[None, :] - total[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        deviation = np.where(size > 0, squares[None, :] - squares[:, None] - summed * summed / size, np.inf)
    best = deviation[0].copy()  # best[e]: least deviation of runs 0 .. e - 1 in the classes so far
    choices = []
    for _class in range(1, k):
        options = best[:, None] + deviation
        choice = options.argmin(axis=0)
        choices.append(choice)
        best = options[choice, np.arange(runs + 1)]
    ends = [runs]  # the run after each class's last, from the last class back
    for choice in reversed(choices):
        ends.append(int(choice[ends[-1]]))
    return [float(ordered[cuts[end] - 1]) for end in reversed(ends)]
