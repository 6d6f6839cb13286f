"""The registry of index methods: one class per way of building an index from a definition.

Like a mapclassify classifier or an esda statistic, a method is constructed with its parameters (the typed
`IndexDefinition`), computes on data, and exposes classes, labels and explanations:

    method = method_for(definition)                        # the registered class for definition.method
    method.check()                                          # method-specific consistency of the definition
    result = method.compute(inputs, participating, reasons) # indicators.composite result (an `IndexResult`)
    classes = method.classify(result.index)                 # class code per area, labels, scheme description

Methods built from input indicators (`mss`, `percentile_rank`, `weighted`) derive from `InputMethod`; a method
built from the classes of other indices (`combination`: the Gesamtindex) derives from `ComponentMethod` and
names its component roles. Callers ask the method what it can do (`numeric`, `component_roles`,
`class_codes`, ...) and never compare its name: a new method is one class here, registered with `@register`.
The maths lives in indicators.composite; this module neither reads nor writes the database.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from indicators.classify import SCHEMES as MAPCLASSIFY_SCHEMES
from indicators.classify import classify
from indicators.notation import format_number
from indicators.composite import (
    DYNAMICS_CLASSES,
    DYNAMICS_LABELS,
    GESAMTINDEX_GROUPS,
    STATUS_CLASSES,
    STATUS_LABELS,
    DynamicsThresholds,
    IndexDefinitionError,
    IndexResult,
    StatusThresholds,
    attention_rule_default,
    classify_dynamics,
    classify_status,
    gesamtindex_groups,
    mss_index,
    percentile_rank_index,
    weighted_index,
)

if TYPE_CHECKING:  # the definition model imports this registry to validate `method`
    from indicators.index_definitions import IndexDefinition

GENERIC_CLASS_SCHEMES = ("breaks", *MAPCLASSIFY_SCHEMES)
"""Class schemes any method with a numeric index value may use; a method may add schemes of its own."""


@dataclass(frozen=True)
class Classes:
    """The classing of one index over its areas: `codes` per area (text or None), `labels` per code (de/en),
    `thresholds` for `explain_area` (the MSS SD limits, else None) and `description`, the scheme as JSON."""

    codes: pd.Series
    labels: dict[str, dict[str, str]]
    thresholds: StatusThresholds | DynamicsThresholds | None
    description: dict[str, Any]


@dataclass(frozen=True)
class Combined:
    """A component method's result per area: class code, participation and reason, plus the labels."""

    codes: pd.Series
    participating: pd.Series
    reason: pd.Series
    labels: dict[str, dict[str, str]]


class IndexMethod:
    """One way of building an index. Subclasses set `name` and register with `@register`.

    Class attributes say what the method can do, so that no caller needs its name:
    - `numeric`: areas get a numeric index value (maps by value, hot spots, `attention.value_above`);
    - `component_roles`: role -> class scheme a component index must have (empty: built from inputs);
    - `own_class_schemes`: class schemes that belong to this method only (e.g. the MSS SD limits);
    - `weighted`: inputs may carry unequal weights; `themed`: every input needs a theme;
    - `codes_in_legend`: map legends show the class code before its label (e.g. "2+/-").
    """

    name: ClassVar[str]
    numeric: ClassVar[bool] = True
    component_roles: ClassVar[Mapping[str, str]] = {}
    own_class_schemes: ClassVar[tuple[str, ...]] = ()
    weighted: ClassVar[bool] = False
    themed: ClassVar[bool] = False
    codes_in_legend: ClassVar[bool] = False

    def __init__(self, definition: IndexDefinition) -> None:
        self.definition = definition

    # --- the definition ----------------------------------------------------------------------------------

    def check(self) -> None:
        """Rules of this method that need more than one field of the definition; errors name the field."""
        raise NotImplementedError

    def class_codes(self) -> tuple[str, ...] | None:
        """The possible class codes, or None where they depend on the data (mapclassify may give fewer than k)."""
        return scheme_class_codes(self.definition)

    def default_attention(self) -> tuple[str, ...]:
        """Class codes flagged for attention when the definition states no rule."""
        return ()

    def class_scheme(self) -> str | None:
        """The name of the classing (for colours and legends): the definition's class scheme by default."""
        return self.definition.classes.scheme if self.definition.classes else None

    def uses_components(self) -> bool:
        return bool(self.component_roles)


class InputMethod(IndexMethod):
    """A method that computes an index value per area from input indicators (`compute`), classed by the
    definition's class scheme (`classify`)."""

    def check(self) -> None:
        definition = self.definition
        if definition.components is not None:
            raise IndexDefinitionError("components", f"only a method built from other indices has components, "
                                                     f"not method {self.name!r}")
        if not definition.inputs:
            raise IndexDefinitionError("inputs", "at least one input indicator is needed")
        codes = [item.indicator for item in definition.inputs]
        for position, code in enumerate(codes):
            if codes.index(code) != position:
                raise IndexDefinitionError(f"inputs.{position}.indicator", f"{code} is given twice")
        if sum(item.weight for item in definition.inputs) == 0:
            raise IndexDefinitionError("inputs.weight", "the weights sum to zero")
        if not self.weighted:
            for position, item in enumerate(definition.inputs):
                if item.weight != 1:
                    raise IndexDefinitionError(f"inputs.{position}.weight",
                                               f"the {self.name} method weighs all inputs equally; use method "
                                               f"'{weighting_method()}'")
        if self.themed:
            for position, item in enumerate(definition.inputs):
                if not item.theme:
                    raise IndexDefinitionError(f"inputs.{position}.theme",
                                               f"every input of a {self.name} index needs a theme")
        self._check_class_scheme()

    def _check_class_scheme(self) -> None:
        scheme = self.definition.classes
        if scheme is None:
            return
        if scheme.scheme not in GENERIC_CLASS_SCHEMES + self.own_class_schemes:
            owner = next((m.name for m in METHODS.values() if scheme.scheme in m.own_class_schemes), None)
            raise IndexDefinitionError("classes.scheme", f"{scheme.scheme} classes belong to the {owner} method"
                                       if owner else f"unknown scheme {scheme.scheme!r}")
        if scheme.thresholds is not None and scheme.scheme not in self.own_class_schemes:
            raise IndexDefinitionError("classes.thresholds", f"thresholds belong to {'/'.join(all_own_schemes())}, "
                                                             f"not {scheme.scheme}")
        if scheme.scheme == "breaks":
            breaks = scheme.breaks or []
            if not breaks:
                raise IndexDefinitionError("classes.breaks", "give at least one break")
            if any(upper <= lower for lower, upper in itertools.pairwise(breaks)):
                raise IndexDefinitionError("classes.breaks", "breaks must be strictly ascending")
            for name in ("labels_de", "labels_en"):
                labels = getattr(scheme, name)
                if labels is not None and len(labels) != len(breaks) + 1:
                    raise IndexDefinitionError(f"classes.{name}",
                                               f"give {len(breaks) + 1} labels for {len(breaks)} breaks")
        elif scheme.breaks is not None:
            raise IndexDefinitionError("classes.breaks", f"breaks belong to the scheme 'breaks', not {scheme.scheme}")

    def directions(self) -> dict[str, int]:
        return {item.indicator: item.direction for item in self.definition.inputs}

    def compute(self, inputs: pd.DataFrame, participating: pd.Series, reasons: pd.Series) -> IndexResult:
        """The index over the areas of `inputs` (one column per input indicator): participation flags and the
        stated reasons of areas left out come from the definition's participation rules."""
        raise NotImplementedError

    def classify(self, index: pd.Series) -> Classes:
        """Class code per area (None without index value) by the definition's class scheme."""
        return classify_generic(self.definition, index)


class ComponentMethod(IndexMethod):
    """A method that combines the classes of other indices (its components) per area (`combine`)."""

    numeric = False

    def check(self) -> None:
        definition = self.definition
        if definition.components is None:
            roles = " and ".join(f"components.{role}" for role in self.component_roles)
            raise IndexDefinitionError("components", f"a {self.name} needs {roles}")
        if definition.inputs:
            raise IndexDefinitionError("inputs", f"a {self.name} takes no inputs of its own; its components have them")
        if definition.classes is not None:
            raise IndexDefinitionError("classes", f"the classes of a {self.name} follow from its components; "
                                                  "give no classes")

    def components(self) -> dict[str, str]:
        """role -> index id of the component."""
        return self.definition.components.model_dump()

    def check_component(self, role: str, component: IndexDefinition) -> None:
        """The component in `role` must have the class scheme the role needs."""
        expected = self.component_roles[role]
        if component.classes is None or component.classes.scheme != expected:
            owner = next((m.name for m in METHODS.values() if expected in m.own_class_schemes), "an")
            raise IndexDefinitionError(f"components.{role}", f"{component.id!r} must be an {owner} index with "
                                                             f"{expected} classes")

    def combine(self, components: Mapping[str, pd.DataFrame]) -> Combined:
        """Per area, from each component's frame (class, participating, reason; same index)."""
        raise NotImplementedError


METHODS: dict[str, type[IndexMethod]] = {}
"""Every registered method by name (the values `IndexDefinition.method` accepts)."""


def register(cls: type[IndexMethod]) -> type[IndexMethod]:
    """Class decorator: make `cls` available under `cls.name`."""
    if cls.name in METHODS:
        raise ValueError(f"an index method {cls.name!r} is registered already")
    METHODS[cls.name] = cls
    return cls


def method_for(definition: IndexDefinition) -> IndexMethod:
    """The method of a definition, constructed with it."""
    return METHODS[definition.method](definition)


def method_names() -> tuple[str, ...]:
    return tuple(METHODS)


def all_own_schemes() -> tuple[str, ...]:
    return tuple(scheme for method in METHODS.values() for scheme in method.own_class_schemes)


def weighting_method() -> str:
    return next((m.name for m in METHODS.values() if m.weighted), "weighted")


# --- classing by the definition's scheme ---------------------------------------------------------------------


def scheme_class_codes(definition: IndexDefinition) -> tuple[str, ...] | None:
    """Class codes of the generic schemes (None where mapclassify decides on the data)."""
    scheme = definition.classes
    if scheme is None:
        return ()
    if scheme.scheme == "breaks":
        return tuple(str(i) for i in range(1, len(scheme.breaks or []) + 2))
    if scheme.scheme == "std_mean":
        return tuple(str(i) for i in range(1, 6))
    return tuple(str(i) for i in range(1, scheme.k + 1))


def classify_generic(definition: IndexDefinition, index: pd.Series) -> Classes:
    """Fixed breaks, or a mapclassify scheme with k classes; no classes without a scheme."""
    scheme = definition.classes
    empty = pd.Series(None, index=index.index, dtype=object)
    if scheme is None:
        return Classes(empty, {}, None, {"scheme": None})
    if scheme.scheme == "breaks":
        breaks = scheme.breaks
        positions = [None if pd.isna(x) else next((i for i, b in enumerate(breaks) if x <= b), len(breaks))
                     for x in index]
        codes = pd.Series([None if p is None else str(p + 1) for p in positions], index=index.index, dtype=object)
        auto = {lang: [f"≤ {format_number(breaks[0], 2, lang)}"]
                + [f"{format_number(lo, 2, lang)} – {format_number(hi, 2, lang)}" for lo, hi in itertools.pairwise(breaks)]
                + [f"> {format_number(breaks[-1], 2, lang)}"] for lang in ("de", "en")}
        de, en = scheme.labels_de or auto["de"], scheme.labels_en or auto["en"]
        labels = {str(i + 1): {"de": de[i], "en": en[i]} for i in range(len(breaks) + 1)}
        return Classes(codes, labels, None, {"scheme": "breaks", "breaks": breaks})
    if index.dropna().empty:
        return Classes(empty, {}, None, {"scheme": scheme.scheme})
    result = classify(index, scheme.scheme, k=scheme.k, decimals=2)
    codes = pd.Series([None if pd.isna(c) else str(int(c) + 1) for c in result.yb], index=index.index, dtype=object)
    labels = {str(i + 1): {"de": result.labels_de[i], "en": result.labels_en[i]} for i in range(result.k)}
    return Classes(codes, labels, None, {"scheme": scheme.scheme, "k": result.k, "bins": list(result.bins)})


# --- the methods -----------------------------------------------------------------------------------------------


@register
class Mss(InputMethod):
    """MSS graded index (Monitoring Soziale Stadtentwicklung Berlin 2021, booklet pp. 41, 45): z-values of the
    inputs times their direction, summed, the sum z-transformed; classed by the SD limits of the Status-Index
    (`mss_status`) or the Dynamik-Index (`mss_dynamics`), or by any generic scheme."""

    name = "mss"
    own_class_schemes = ("mss_status", "mss_dynamics")

    def _check_class_scheme(self) -> None:
        scheme = self.definition.classes
        if scheme is not None and scheme.scheme in self.own_class_schemes:
            limits = StatusThresholds if scheme.scheme == "mss_status" else DynamicsThresholds
            try:
                limits(**(scheme.thresholds or {}))
            except TypeError as exc:
                raise IndexDefinitionError("classes.thresholds", f"unknown threshold name ({exc})") from exc
            except IndexDefinitionError as exc:
                raise IndexDefinitionError("classes.thresholds", exc.message) from exc
        super()._check_class_scheme()

    def compute(self, inputs: pd.DataFrame, participating: pd.Series, reasons: pd.Series) -> IndexResult:
        return mss_index(inputs, self.directions(), participating, exclusion_reasons=reasons)

    def class_codes(self) -> tuple[str, ...] | None:
        scheme = self.definition.classes
        if scheme is not None and scheme.scheme == "mss_status":
            return tuple(str(c) for c in STATUS_CLASSES)
        if scheme is not None and scheme.scheme == "mss_dynamics":
            return DYNAMICS_CLASSES
        return super().class_codes()

    def classify(self, index: pd.Series) -> Classes:
        scheme = self.definition.classes
        if scheme is not None and scheme.scheme == "mss_status":
            thresholds = StatusThresholds(**(scheme.thresholds or {}))
            found = classify_status(index, thresholds)
            codes = pd.Series([None if pd.isna(c) else str(int(c)) for c in found], index=index.index, dtype=object)
            labels = {str(c): dict(label) for c, label in STATUS_LABELS.items()}
            return Classes(codes, labels, thresholds, {"scheme": "mss_status", "thresholds": scheme.thresholds or {}})
        if scheme is not None and scheme.scheme == "mss_dynamics":
            thresholds = DynamicsThresholds(**(scheme.thresholds or {}))
            labels = {c: dict(label) for c, label in DYNAMICS_LABELS.items()}
            return Classes(classify_dynamics(index, thresholds), labels, thresholds,
                           {"scheme": "mss_dynamics", "thresholds": scheme.thresholds or {}})
        return super().classify(index)


@register
class PercentileRank(InputMethod):
    """Percentile-rank index in the style of the CDC/ATSDR Social Vulnerability Index: ranks per input, summed
    per theme, theme sums summed and ranked again; inputs at or above `flag_threshold` are flagged."""

    name = "percentile_rank"
    themed = True

    def compute(self, inputs: pd.DataFrame, participating: pd.Series, reasons: pd.Series) -> IndexResult:
        themes: dict[str, list[str]] = {}
        for item in self.definition.inputs:
            themes.setdefault(item.theme, []).append(item.indicator)
        return percentile_rank_index(inputs, self.directions(), themes, self.definition.flag_threshold,
                                     participating=participating, exclusion_reasons=reasons)


@register
class Weighted(InputMethod):
    """Weighted composite (OECD/JRC Handbook 2008, section 5): inputs standardised by z-score or min-max,
    weighted with weights normalised to sum 1, summed, optionally re-standardised."""

    name = "weighted"
    weighted = True

    def compute(self, inputs: pd.DataFrame, participating: pd.Series, reasons: pd.Series) -> IndexResult:
        weights = {item.indicator: item.weight for item in self.definition.inputs}
        return weighted_index(inputs, self.directions(), weights, self.definition.standardise,
                              self.definition.restandardise, participating=participating, exclusion_reasons=reasons)


@register
class Combination(ComponentMethod):
    """The Gesamtindex Soziale Ungleichheit (MSS 2021 booklet p. 50): status class digit + dynamics class sign,
    12 groups; without an attention rule the MSS rule applies (status 3/4, or 2 with negative dynamics)."""

    name = "combination"
    component_roles = {"status": "mss_status", "dynamics": "mss_dynamics"}
    codes_in_legend = True

    def class_codes(self) -> tuple[str, ...] | None:
        return GESAMTINDEX_GROUPS

    def default_attention(self) -> tuple[str, ...]:
        return tuple(group for group in GESAMTINDEX_GROUPS if attention_rule_default(int(group[0]), group[1:]))

    def class_scheme(self) -> str | None:
        return self.name

    def combine(self, components: Mapping[str, pd.DataFrame]) -> Combined:
        s, d = components["status"], components["dynamics"].reindex(components["status"].index)
        groups = gesamtindex_groups(s["class"].map(lambda c: None if pd.isna(c) else int(c)), d["class"])
        participating = s["participating"] & d["participating"].fillna(False).astype(bool) & groups.notna()
        reason = s["reason"].where(s["reason"].notna(), d["reason"])
        labels = {
            group: {"de": f"Status {STATUS_LABELS[int(group[0])]['de']}, Dynamik {DYNAMICS_LABELS[group[1:]]['de']}",
                    "en": f"{STATUS_LABELS[int(group[0])]['en']} status, {DYNAMICS_LABELS[group[1:]]['en']} dynamics"}
            for group in GESAMTINDEX_GROUPS
        }
        return Combined(groups.where(participating, None), participating, reason, labels)
