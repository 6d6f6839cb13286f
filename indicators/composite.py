"""Composite indices over small areas: the MSS graded z-index, a percentile-rank index and a weighted index.

Pure numpy/pandas computations over a DataFrame indexed by area key (text, e.g. the `Planungsraum` =
planning area key "01100101"), one column per input indicator. Every intermediate value is kept in the
result so that any area's index value can be traced back to its inputs (`explain_area`).
This module must not read or write files, talk to a database or the network, or draw random numbers.

Methods (docs/METHODS.md):
- §1 MSS "gestuftes Indexverfahren" (Monitoring Soziale Stadtentwicklung Berlin, since MSS 2021):
  Senatsverwaltung für Stadtentwicklung, Bauen und Wohnen Berlin (2022), Indikatorenblätter MSS 2021,
  chapter 4 "Indizes", pp. 41-50.
- §2 percentile-rank index in the style of the CDC/ATSDR Social Vulnerability Index (SVI documentation).
- §3 weighted composite with z-score or min-max standardisation (OECD/JRC Handbook on Constructing
  Composite Indicators, 2008, section 5).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, Protocol

import pandas as pd

MIN_PARTICIPATING = 3
"""Fewest participating areas for which a mean and a standard deviation mean anything."""

MSS_DDOF = 0
"""Delta degrees of freedom of the standard deviation used by the MSS z-transformation (population SD).

The MSS 2021 booklet (chapter 4, p. 41 and p. 45, "Methode", step 2) says only "Errechnung des einfachen
Mittelwerts der betrachteten PLR und der Standardabweichung durch eine z-Transformation" and gives no
formula for the SD. The participating planning areas are the whole set being described, not a sample of
a larger one, so the descriptive (population) SD, dividing by n, is used; then the z-values have mean 0
and SD exactly 1 over the participating areas. With the 536 participating areas of MSS 2021 the sample
SD (n - 1) changes z-values by a factor of 1.0009 only, and both choices give exactly the published
class counts (pp. 42, 46, 50; see tests/test_composite.py).
"""

SUM_KEY = "sum"
"""Entry of `mean` / `sd` (and `min` / `max`) that holds the parameters of the summed values."""

ROUND_BEFORE_RANKING = 12
"""Decimal places to which sums of percentile ranks are rounded before they are ranked, so that equal
sums reached by a different order of floating-point additions share a rank."""

STATUS_CLASSES = (1, 2, 3, 4)
DYNAMICS_CLASSES = ("+", "+/-", "-")
STATUS_LABELS: Mapping[int, Mapping[str, str]] = {
    1: {"de": "hoch", "en": "high"},
    2: {"de": "mittel", "en": "medium"},
    3: {"de": "niedrig", "en": "low"},
    4: {"de": "sehr niedrig", "en": "very low"},
}
"""Status-Index classes (social status; class 4 = the most disadvantaged)."""
DYNAMICS_LABELS: Mapping[str, Mapping[str, str]] = {
    "+": {"de": "positiv", "en": "positive"},
    "+/-": {"de": "stabil", "en": "stable"},
    "-": {"de": "negativ", "en": "negative"},
}
"""Dynamik-Index classes (change over two years relative to all participating areas)."""
NO_CLASS_LABEL: Mapping[str, str] = {"de": "Planungsraum ohne Zuordnung", "en": "planning area without class"}
GESAMTINDEX_GROUPS = tuple(f"{status}{dynamics}" for status in STATUS_CLASSES for dynamics in DYNAMICS_CLASSES)
"""The 12 groups of the "Gesamtindex Soziale Ungleichheit" (MSS 2021 booklet p. 50, Abbildung 7)."""

Standardisation = Literal["zscore", "minmax"]
AttentionRule = Callable[[int, str], bool]


class IndexDefinitionError(ValueError):
    """An index definition cannot be computed on the given data; `field` names the offending part."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class StatusThresholds:
    """Class limits of the Status-Index in SD units (MSS 2021 booklet p. 41, "Formel für Klasseneinteilung").

    1 "hoch" x < high_below; 2 "mittel" high_below <= x <= low_above;
    3 "niedrig" low_above < x <= very_low_above; 4 "sehr niedrig" x > very_low_above.
    """

    high_below: float = -1.0
    low_above: float = 1.0
    very_low_above: float = 1.5

    def __post_init__(self) -> None:
        if not self.high_below <= self.low_above <= self.very_low_above:
            raise IndexDefinitionError("thresholds", "status thresholds must be ascending")


@dataclass(frozen=True)
class DynamicsThresholds:
    """Class limits of the Dynamik-Index in SD units (MSS 2021 booklet p. 45).

    "+" positiv x < positive_below; "+/-" stabil positive_below <= x <= negative_above; "-" negativ x > negative_above.
    """

    positive_below: float = -1.0
    negative_above: float = 1.0

    def __post_init__(self) -> None:
        if not self.positive_below <= self.negative_above:
            raise IndexDefinitionError("thresholds", "dynamics thresholds must be ascending")


class IndexResult(Protocol):
    """What every index method's result offers: the index value, participation and its reason per area, and
    the steps that led to one area's value (`explain_area`, `explain_areas`). A new method's result class
    needs nothing more to be stored, explained and classed."""

    index: pd.Series
    participating: pd.Series
    reason: pd.Series

    def explain_inputs(self, key: str) -> dict[str, Any]: ...

    def thresholds_on_sum_scale(self, thresholds: StatusThresholds | DynamicsThresholds) -> dict[str, float] | None:
        ...


@dataclass(frozen=True)
class MssIndexResult:
    """All steps of the MSS graded index for one set of inputs (e.g. S1, S3, S4 -> Status-Index).

    `z` holds the z-values (x - mean) / sd per input, `contribution` the z-values times the direction,
    `sum` their sum (Statussumme / Dynamiksumme), `index` the z-value of the sum. `mean` and `sd` are
    indexed by input code plus `SUM_KEY`. Non-participating areas keep their `inputs` and get NaN
    everywhere else; `reason` says why they do not take part (None for participating areas).
    """

    inputs: pd.DataFrame
    directions: Mapping[str, int]
    z: pd.DataFrame
    contribution: pd.DataFrame
    sum: pd.Series
    index: pd.Series
    participating: pd.Series
    reason: pd.Series
    mean: pd.Series
    sd: pd.Series
    ddof: int

    def explain_inputs(self, key: str) -> dict[str, Any]:
        """This method's part of `explain_area`: every input with its intermediate values, and the sums."""
        return {
            "method": "mss",
            "ddof": self.ddof,
            "inputs": [
                {
                    "code": code,
                    "value": _json_number(self.inputs.at[key, code]),
                    "direction": direction,
                    "mean": _json_number(self.mean[code]),
                    "sd": _json_number(self.sd[code]),
                    "z": _json_number(self.z.at[key, code]),
                    "contribution": _json_number(self.contribution.at[key, code]),
                }
                for code, direction in self.directions.items()
            ],
            "sum": {
                "value": _json_number(self.sum[key]),
                "mean": _json_number(self.mean[SUM_KEY]),
                "sd": _json_number(self.sd[SUM_KEY]),
            },
        }

    def thresholds_on_sum_scale(self, thresholds: StatusThresholds | DynamicsThresholds) -> dict[str, float] | None:
        """The SD class limits on the scale of the sum (Statussumme / Dynamiksumme): mean + limit x SD."""
        mean, sd = self.mean[SUM_KEY], self.sd[SUM_KEY]
        return {name: float(mean + limit * sd) for name, limit in asdict(thresholds).items()}


@dataclass(frozen=True)
class PercentileRankResult:
    """All steps of the percentile-rank index (names as in the SVI documentation in brackets).

    `rank` per indicator (EPL_), `flags` where rank >= flag_threshold (F_), `flag_count` (F_TOTAL),
    `theme_sum` (SPL_THEMEn), `theme_rank` (RPL_THEMEn), `sum` = sum of the theme sums (SPL_THEMES),
    `index` = percentile rank of `sum` (RPL_THEMES).
    """

    inputs: pd.DataFrame
    directions: Mapping[str, int]
    themes: Mapping[str, tuple[str, ...]]
    rank: pd.DataFrame
    flags: pd.DataFrame
    flag_count: pd.Series
    theme_sum: pd.DataFrame
    theme_rank: pd.DataFrame
    sum: pd.Series
    index: pd.Series
    participating: pd.Series
    reason: pd.Series
    flag_threshold: float

    def explain_inputs(self, key: str) -> dict[str, Any]:
        """This method's part of `explain_area`: every input with its intermediate values, and the sums."""
        return {
            "method": "percentile_rank",
            "flag_threshold": self.flag_threshold,
            "n_participating": int(self.participating.sum()),
            "themes": [
                {
                    "theme": theme,
                    "sum": _json_number(self.theme_sum.at[key, theme]),
                    "rank": _json_number(self.theme_rank.at[key, theme]),
                    "inputs": [
                        {
                            "code": code,
                            "value": _json_number(self.inputs.at[key, code]),
                            "direction": self.directions[code],
                            "rank": _json_number(self.rank.at[key, code]),
                            "flag": None if pd.isna(self.flags.at[key, code]) else bool(self.flags.at[key, code]),
                        }
                        for code in members
                    ],
                }
                for theme, members in self.themes.items()
            ],
            "sum": _json_number(self.sum[key]),
            "flag_count": None if pd.isna(self.flag_count[key]) else int(self.flag_count[key]),
        }

    def thresholds_on_sum_scale(self, thresholds: StatusThresholds | DynamicsThresholds) -> dict[str, float] | None:
        """Class limits on the scale of the sum; None where the index is not a z-value of the sum."""
        return None


@dataclass(frozen=True)
class WeightedIndexResult:
    """All steps of a weighted composite: standardised inputs (oriented so that higher = worse),
    `contribution` = normalised weight x standardised value, `sum` = their sum, `index` = `sum`
    re-standardised with the same method when `restandardise`, else `sum`. `weights` are normalised
    to sum 1. `mean`, `sd`, `min`, `max` are indexed by input code plus `SUM_KEY`.
    """

    inputs: pd.DataFrame
    directions: Mapping[str, int]
    weights: pd.Series
    standardise: Standardisation
    restandardise: bool
    standardised: pd.DataFrame
    contribution: pd.DataFrame
    sum: pd.Series
    index: pd.Series
    participating: pd.Series
    reason: pd.Series
    mean: pd.Series
    sd: pd.Series
    min: pd.Series
    max: pd.Series
    ddof: int

    def explain_inputs(self, key: str) -> dict[str, Any]:
        """This method's part of `explain_area`: every input with its intermediate values, and the sums."""
        parameters = ("mean", "sd") if self.standardise == "zscore" else ("min", "max")
        return {
            "method": "weighted",
            "standardise": self.standardise,
            "restandardise": self.restandardise,
            "ddof": self.ddof,
            "inputs": [
                {
                    "code": code,
                    "value": _json_number(self.inputs.at[key, code]),
                    "direction": direction,
                    "weight": _json_number(self.weights[code]),
                    **{name: _json_number(getattr(self, name)[code]) for name in parameters},
                    "standardised": _json_number(self.standardised.at[key, code]),
                    "contribution": _json_number(self.contribution.at[key, code]),
                }
                for code, direction in self.directions.items()
            ],
            "sum": {
                "value": _json_number(self.sum[key]),
                **{name: _json_number(getattr(self, name)[SUM_KEY]) for name in parameters},
            },
        }

    def thresholds_on_sum_scale(self, thresholds: StatusThresholds | DynamicsThresholds) -> dict[str, float] | None:
        """Class limits on the scale of the sum; None where the index is not a z-value of the sum."""
        return None


def require_directions(inputs: pd.DataFrame, directions: Mapping[str, int]) -> None:
    """Check that every direction names an input column and is +1 or -1."""
    if not directions:
        raise IndexDefinitionError("directions", "at least one input is needed")
    for code, direction in directions.items():
        if code == SUM_KEY:
            raise IndexDefinitionError("directions", f"'{SUM_KEY}' is reserved and cannot name an input")
        if code not in inputs.columns:
            raise IndexDefinitionError(f"inputs.{code}", "no such input column")
        if direction not in (1, -1):
            raise IndexDefinitionError("directions", f"direction of {code} must be +1 or -1, not {direction!r}")
    if not inputs.index.is_unique:
        raise IndexDefinitionError("inputs", "area keys must be unique")


def require_participation(participating: pd.Series, minimum: int = MIN_PARTICIPATING) -> None:
    """Check that at least `minimum` areas take part."""
    count = int(participating.sum())
    if count < minimum:
        raise IndexDefinitionError("participation", f"{count} participating areas, at least {minimum} needed")


def require_variance(values: pd.DataFrame, participating: pd.Series) -> None:
    """Check that no input is constant over the participating areas (its z-values would be undefined)."""
    for code in values.columns:
        observed = values.loc[participating, code]
        if observed.nunique() < 2:
            raise IndexDefinitionError(f"inputs.{code}", "the value is the same in every participating area")


def require_weights(weights: Mapping[str, float], codes: Sequence[str]) -> None:
    """Check that there is one finite, non-negative weight per input and that the weights do not sum to zero."""
    if set(weights) != set(codes):
        raise IndexDefinitionError("weights", f"weights must be given for exactly the inputs {sorted(codes)}")
    for code, weight in weights.items():
        if not math.isfinite(weight) or weight < 0:
            raise IndexDefinitionError("weights", f"weight of {code} must be finite and >= 0 (reverse with directions)")
    if sum(weights.values()) == 0:
        raise IndexDefinitionError("weights", "the weights sum to zero")


def resolve_participation(
    values: pd.DataFrame,
    participating: pd.Series | None,
    exclusion_reasons: Mapping[str, str] | pd.Series | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Participation flag and reason per area: given exclusions first, then areas with a missing input.

    A missing input is never read as zero: the area is taken out with reason "missing input <code>".
    Areas excluded by the caller get their `exclusion_reasons` entry or "excluded".
    """
    if participating is None:
        given = pd.Series(True, index=values.index)
    else:
        if set(participating.index) != set(values.index) or not participating.index.is_unique:
            raise IndexDefinitionError("participation", "participation flags must cover exactly the input areas")
        if not pd.api.types.is_bool_dtype(participating):
            raise IndexDefinitionError("participation", "participation flags must be True or False per area")
        given = participating.reindex(values.index).astype(bool)
    stated = pd.Series(exclusion_reasons, dtype=object) if exclusion_reasons is not None else pd.Series(dtype=object)
    # Vectorised over areas (only the few areas with a gap are visited one by one): 100,000 areas must take
    # well under a second.
    missing = values.isna()
    reason = pd.Series(None, index=values.index, dtype=object)
    with_gap = missing.any(axis=1)
    for key, row in missing[with_gap].iterrows():
        reason[key] = "missing input " + ", ".join(str(code) for code, gap in row.items() if gap)
    excluded = ~given
    if excluded.any():
        reason[excluded] = stated.reindex(values.index[excluded]).fillna("excluded").astype(str).to_numpy()
    return reason.isna(), reason


def zscore(values: pd.Series, ddof: int = MSS_DDOF) -> pd.Series:
    """z = (x - mean) / sd over the non-null values; nulls stay null. `ddof` see `MSS_DDOF`."""
    mean, sd = standardisation_parameters(values, ddof)
    return (values.astype(float) - mean) / sd


def standardisation_parameters(values: pd.Series, ddof: int = MSS_DDOF) -> tuple[float, float]:
    """Unweighted mean and standard deviation of the non-null values."""
    observed = values.dropna().astype(float)
    if len(observed) <= ddof or observed.nunique() < 2:
        raise ValueError("a z-transformation needs at least two different values")
    return float(observed.mean()), float(observed.std(ddof=ddof))


def minmax(values: pd.Series) -> pd.Series:
    """(x - min) / (max - min) over the non-null values, in [0, 1]; nulls stay null."""
    observed = values.dropna().astype(float)
    if observed.nunique() < 2:
        raise ValueError("a min-max transformation needs at least two different values")
    return (values.astype(float) - observed.min()) / (observed.max() - observed.min())


def mss_index(
    inputs: pd.DataFrame,
    directions: Mapping[str, int],
    participating: pd.Series,
    *,
    exclusion_reasons: Mapping[str, str] | pd.Series | None = None,
    ddof: int = MSS_DDOF,
) -> MssIndexResult:
    """MSS graded index (METHODS.md §1; MSS 2021 booklet pp. 41, 45): z-transform each input over the
    participating areas, multiply by its direction, sum, z-transform the sum.

    Non-participating areas and areas with a missing input do not enter means or SDs and get no value.
    """
    require_directions(inputs, directions)
    codes = list(directions)
    values = inputs[codes].astype(float)
    taking_part, reason = resolve_participation(values, participating, exclusion_reasons)
    require_participation(taking_part)
    require_variance(values, taking_part)
    inside = values.where(taking_part, axis=0)
    z = pd.DataFrame({code: zscore(inside[code], ddof) for code in codes}, index=values.index)
    contribution = z * pd.Series(directions, dtype=float)
    total = contribution.sum(axis=1, min_count=len(codes)).where(taking_part)
    if total.dropna().nunique() < 2:
        raise IndexDefinitionError("directions", "the summed z-values are the same in every participating area")
    parameters = {code: standardisation_parameters(inside[code], ddof) for code in codes}
    parameters[SUM_KEY] = standardisation_parameters(total, ddof)
    return MssIndexResult(
        inputs=inputs[codes].copy(),
        directions=dict(directions),
        z=z,
        contribution=contribution,
        sum=total,
        index=zscore(total, ddof),
        participating=taking_part,
        reason=reason,
        mean=pd.Series({name: mean for name, (mean, _) in parameters.items()}),
        sd=pd.Series({name: sd for name, (_, sd) in parameters.items()}),
        ddof=ddof,
    )


def classify_status(index: pd.Series, thresholds: StatusThresholds = StatusThresholds()) -> pd.Series:
    """Status-Index class 1 "hoch" .. 4 "sehr niedrig" per area (nullable Int64; missing index -> <NA>)."""
    x = index.astype(float)
    classes = pd.Series(pd.NA, index=index.index, dtype="Int64")
    classes[x < thresholds.high_below] = 1
    classes[(x >= thresholds.high_below) & (x <= thresholds.low_above)] = 2
    classes[(x > thresholds.low_above) & (x <= thresholds.very_low_above)] = 3
    classes[x > thresholds.very_low_above] = 4
    return classes


def classify_dynamics(index: pd.Series, thresholds: DynamicsThresholds = DynamicsThresholds()) -> pd.Series:
    """Dynamik-Index class "+" positiv, "+/-" stabil, "-" negativ per area (missing index -> None)."""
    return pd.Series([_dynamics_class(x, thresholds) for x in index.astype(float)], index=index.index, dtype=object)


def _dynamics_class(x: float, thresholds: DynamicsThresholds) -> str | None:
    if math.isnan(x):
        return None
    if x < thresholds.positive_below:
        return "+"
    return "-" if x > thresholds.negative_above else "+/-"


def gesamtindex_group(status_class: int, dynamics_class: str) -> str:
    """Group of the "Gesamtindex Soziale Ungleichheit": status digit + dynamics sign, e.g. "2+/-"."""
    if status_class not in STATUS_CLASSES or dynamics_class not in DYNAMICS_CLASSES:
        raise ValueError(f"no Gesamtindex group for status {status_class!r} and dynamics {dynamics_class!r}")
    return f"{status_class}{dynamics_class}"


def gesamtindex_groups(status: pd.Series, dynamics: pd.Series) -> pd.Series:
    """`gesamtindex_group` per area; None where either class is missing."""
    groups = [
        None if pd.isna(status[key]) or pd.isna(dynamics[key]) else gesamtindex_group(int(status[key]), dynamics[key])
        for key in status.index
    ]
    return pd.Series(groups, index=status.index, dtype=object)


def attention_rule_default(status_class: int, dynamics_class: str) -> bool:
    """"Gebiet mit besonderem Aufmerksamkeitsbedarf" (area needing particular attention): status niedrig or
    sehr niedrig, or status mittel with negative dynamics."""
    return status_class in (3, 4) or (status_class == 2 and dynamics_class == "-")


def flag_attention(status: pd.Series, dynamics: pd.Series, rule: AttentionRule = attention_rule_default) -> pd.Series:
    """Apply an attention rule per area (nullable boolean; <NA> where either class is missing)."""
    flags = pd.Series(pd.NA, index=status.index, dtype="boolean")
    for key in status.index:
        if not pd.isna(status[key]) and not pd.isna(dynamics[key]):
            flags[key] = rule(int(status[key]), dynamics[key])
    return flags


def percentile_rank(values: pd.Series, higher_is_worse: bool = True) -> pd.Series:
    """(rank - 1) / (n - 1) over the non-null values, ties sharing the lower rank; in [0, 1], 1 = worst.

    With `higher_is_worse=False` the lowest value gets rank 1.
    """
    oriented = values.astype(float) if higher_is_worse else -values.astype(float)
    n = int(oriented.count())
    if n < 2:
        raise ValueError("a percentile rank needs at least two values")
    return (oriented.rank(method="min", na_option="keep") - 1) / (n - 1)


def percentile_rank_index(
    inputs: pd.DataFrame,
    directions: Mapping[str, int],
    themes: Mapping[str, Sequence[str]],
    flag_threshold: float = 0.9,
    *,
    participating: pd.Series | None = None,
    exclusion_reasons: Mapping[str, str] | pd.Series | None = None,
) -> PercentileRankResult:
    """Percentile-rank index (METHODS.md §2, CDC/ATSDR SVI): percentile-rank every indicator, sum the ranks
    within each theme and rank the theme sums, sum the theme sums and rank again; flag ranks >= threshold.
    """
    require_directions(inputs, directions)
    require_themes(themes, list(directions))
    if not 0 <= flag_threshold <= 1:
        raise IndexDefinitionError("flag_threshold", "must lie between 0 and 1")
    codes = list(directions)
    values = inputs[codes].astype(float)
    taking_part, reason = resolve_participation(values, participating, exclusion_reasons)
    require_participation(taking_part)
    inside = values.where(taking_part, axis=0)
    rank = pd.DataFrame(
        {code: percentile_rank(inside[code], directions[code] == 1) for code in codes}, index=values.index
    )
    theme_sum = pd.DataFrame(
        {theme: rank[list(members)].sum(axis=1, min_count=len(members)) for theme, members in themes.items()},
        index=values.index,
    )
    theme_rank = pd.DataFrame(
        {theme: percentile_rank(theme_sum[theme].round(ROUND_BEFORE_RANKING)) for theme in themes}, index=values.index
    )
    total = theme_sum.sum(axis=1, min_count=len(themes))
    flags = (rank >= flag_threshold).astype("boolean").where(taking_part, axis=0)
    return PercentileRankResult(
        inputs=inputs[codes].copy(),
        directions=dict(directions),
        themes={theme: tuple(members) for theme, members in themes.items()},
        rank=rank,
        flags=flags,
        flag_count=flags.sum(axis=1).astype("Int64").where(taking_part),
        theme_sum=theme_sum,
        theme_rank=theme_rank,
        sum=total,
        index=percentile_rank(total.round(ROUND_BEFORE_RANKING)),
        participating=taking_part,
        reason=reason,
        flag_threshold=flag_threshold,
    )


def require_themes(themes: Mapping[str, Sequence[str]], codes: Sequence[str]) -> None:
    """Check that every input belongs to exactly one non-empty theme."""
    members = [code for theme_codes in themes.values() for code in theme_codes]
    if not themes or any(len(theme_codes) == 0 for theme_codes in themes.values()):
        raise IndexDefinitionError("themes", "at least one theme, and no empty theme, is needed")
    if sorted(members) != sorted(codes):
        raise IndexDefinitionError("themes", f"every input must belong to exactly one theme: {sorted(codes)}")


def weighted_index(
    inputs: pd.DataFrame,
    directions: Mapping[str, int],
    weights: Mapping[str, float],
    standardise: Standardisation = "zscore",
    restandardise: bool = False,
    *,
    participating: pd.Series | None = None,
    exclusion_reasons: Mapping[str, str] | pd.Series | None = None,
    ddof: int = MSS_DDOF,
) -> WeightedIndexResult:
    """Weighted composite (METHODS.md §3): standardise each input over the participating areas (z-score, or
    min-max with direction -1 as (max - x) / (max - min)), weight with weights normalised to sum 1, sum,
    optionally re-standardise the sum with the same method.
    """
    require_directions(inputs, directions)
    codes = list(directions)
    require_weights(weights, codes)
    if standardise not in ("zscore", "minmax"):
        raise IndexDefinitionError("standardise", f"must be 'zscore' or 'minmax', not {standardise!r}")
    values = inputs[codes].astype(float)
    taking_part, reason = resolve_participation(values, participating, exclusion_reasons)
    require_participation(taking_part)
    require_variance(values, taking_part)
    inside = values.where(taking_part, axis=0)
    standardised = pd.DataFrame(
        {code: standardise_oriented(inside[code], directions[code], standardise, ddof) for code in codes},
        index=values.index,
    )
    normalised = pd.Series(weights, dtype=float)[codes] / sum(weights.values())
    contribution = standardised * normalised
    total = contribution.sum(axis=1, min_count=len(codes)).where(taking_part)
    if restandardise and total.dropna().nunique() < 2:
        raise IndexDefinitionError("restandardise", "the weighted sum is the same in every participating area")
    index = standardise_oriented(total, 1, standardise, ddof) if restandardise else total
    described = pd.concat([inside, total.rename(SUM_KEY)], axis=1)
    return WeightedIndexResult(
        inputs=inputs[codes].copy(),
        directions=dict(directions),
        weights=normalised,
        standardise=standardise,
        restandardise=restandardise,
        standardised=standardised,
        contribution=contribution,
        sum=total,
        index=index,
        participating=taking_part,
        reason=reason,
        mean=described.mean(),
        sd=described.std(ddof=ddof),
        min=described.min(),
        max=described.max(),
        ddof=ddof,
    )


def standardise_oriented(values: pd.Series, direction: int, method: Standardisation, ddof: int = MSS_DDOF) -> pd.Series:
    """z-score times direction, or min-max oriented so that 1 is always the worst value."""
    if method == "zscore":
        return zscore(values, ddof) * direction
    scaled = minmax(values)
    return scaled if direction == 1 else 1 - scaled


def explain_area(
    result: IndexResult,
    key: str,
    thresholds: StatusThresholds | DynamicsThresholds | None = None,
) -> dict[str, Any]:
    """Everything that led to one area's index value, as plain JSON-able data (NaN -> None).

    With `thresholds`, the SD class limits (on the index scale and, for the MSS method, on the scale of
    the sum) and the area's class are included.
    """
    if key not in result.participating.index:
        raise KeyError(f"no area {key!r} in this result")
    explanation: dict[str, Any] = {
        "key": key,
        "participating": bool(result.participating[key]),
        "reason": None if pd.isna(result.reason[key]) else str(result.reason[key]),
        "index": _json_number(result.index[key]),
    }
    explanation |= result.explain_inputs(key)
    if thresholds is not None:
        explanation["thresholds"] = asdict(thresholds)
        explanation["class"] = _class_of(result.index[[key]], thresholds)
        on_sum = result.thresholds_on_sum_scale(thresholds)
        if on_sum is not None:
            explanation["thresholds_on_sum_scale"] = on_sum
    return explanation








def _class_of(index: pd.Series, thresholds: StatusThresholds | DynamicsThresholds) -> int | str | None:
    if isinstance(thresholds, StatusThresholds):
        status = classify_status(index, thresholds).iloc[0]
        return None if pd.isna(status) else int(status)
    return classify_dynamics(index, thresholds).iloc[0]


def _json_number(value: Any) -> float | None:
    number = float(value) if not pd.isna(value) else math.nan
    return None if math.isnan(number) else number


class _Lookup:
    """Read-only `.at[row, column]` / `[key]` access to a DataFrame or Series through plain dicts.

    pandas' scalar access costs ~30 µs per call; explaining every area of a result needs tens of thousands.
    """

    def __init__(self, data: pd.DataFrame | pd.Series) -> None:
        self.index = data.index
        if isinstance(data, pd.DataFrame):
            self._values = {column: dict(zip(data.index, data[column].tolist())) for column in data.columns}
        else:
            self._values = dict(zip(data.index, data.tolist()))

    @property
    def at(self) -> _Lookup:
        return self

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, tuple):
            row, column = item
            return self._values[column][row]
        return self._values[item]


def explain_areas(result: IndexResult) -> dict[str, dict[str, Any]]:
    """`explain_area` (without thresholds) for every area of a result, in one pass."""
    frames = {
        name: _Lookup(value)
        for name, value in vars(result).items()
        if isinstance(value, (pd.DataFrame, pd.Series)) and name != "participating"
    }
    fast = replace(result, **frames)
    return {key: explain_area(fast, key) for key in result.participating.index}
