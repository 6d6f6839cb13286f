"""Index definitions as data: the shipped YAML is valid, and a bad definition is refused naming its field."""

import pytest

from indicators.composite import (
    GESAMTINDEX_GROUPS,
    IndexDefinitionError,
    attention_rule_default,
)
from indicators.index_definitions import (
    DEFAULT_ATTENTION_GROUPS,
    class_codes,
    parse_definition,
    shipped_definitions,
)


def definition(**changes) -> dict:
    base = {"id": "example", "name_de": "Beispiel", "name_en": "Example", "method": "weighted",
            "inputs": [{"indicator": "S1", "weight": 2}, {"indicator": "S3", "weight": 1}]}
    return {**base, **changes}


def refused_field(data: dict) -> str:
    with pytest.raises(IndexDefinitionError) as error:
        parse_definition(data)
    return error.value.field


def test_shipped_definitions_are_the_mss_2021_status_dynamics_and_gesamtindex():
    shipped = {d.id: d for d in shipped_definitions()}
    assert set(shipped) == {f"mss_{year}_{kind}" for year in (2013, 2015, 2017, 2019, 2021)
                            for kind in ("status", "dynamics", "gesamtindex")}  # docs/history.md
    assert [d.id for d in shipped_definitions()][-1] == "mss_2021_gesamtindex"  # components first
    status = shipped["mss_2021_status"]
    assert [i.indicator for i in status.inputs] == ["S1", "S3", "S4"]
    assert status.participation.min_population.minimum == 300
    assert status.participation.exclusions[0].area == "10100205"
    assert status.participation.exclusions[0].reason == "Ausreißer"


def test_shipped_gesamtindex_attention_rule_is_the_mss_default_rule():
    gesamtindex = next(d for d in shipped_definitions() if d.id == "mss_2021_gesamtindex")
    assert set(gesamtindex.attention_classes()) == set(DEFAULT_ATTENTION_GROUPS)
    expected = {g for g in GESAMTINDEX_GROUPS if attention_rule_default(int(g[0]), g[1:])}
    assert set(DEFAULT_ATTENTION_GROUPS) == expected == {"2-", "3+", "3+/-", "3-", "4+", "4+/-", "4-"}


def test_a_combination_without_attention_rule_uses_the_default():
    parsed = parse_definition(definition(method="combination", inputs=[],
                                         components={"status": "a", "dynamics": "b"}))
    assert parsed.attention_classes() == DEFAULT_ATTENTION_GROUPS
    assert class_codes(parsed) == GESAMTINDEX_GROUPS


def test_weights_summing_to_zero_are_refused_naming_the_weights():
    data = definition(inputs=[{"indicator": "S1", "weight": 0}, {"indicator": "S3", "weight": 0}])
    assert refused_field(data) == "inputs.weight"


def test_a_negative_weight_is_refused_naming_that_input():
    assert refused_field(definition(inputs=[{"indicator": "S1", "weight": -1}])) == "inputs.0.weight"


def test_an_unequal_weight_in_an_mss_index_is_refused():
    data = definition(method="mss", inputs=[{"indicator": "S1"}, {"indicator": "S3", "weight": 2}])
    assert refused_field(data) == "inputs.1.weight"


def test_an_input_given_twice_is_refused():
    assert refused_field(definition(inputs=[{"indicator": "S1"}, {"indicator": "S1"}])) == "inputs.1.indicator"


def test_a_direction_other_than_plus_or_minus_one_is_refused():
    assert refused_field(definition(inputs=[{"indicator": "S1", "direction": 0}])) == "inputs.0.direction"


def test_percentile_rank_inputs_need_a_theme():
    data = definition(method="percentile_rank", inputs=[{"indicator": "S1", "theme": "a"}, {"indicator": "S3"}])
    assert refused_field(data) == "inputs.1.theme"


def test_unknown_fields_are_refused_by_name():
    assert refused_field(definition(colour="red")) == "colour"


def test_descending_mss_thresholds_are_refused():
    data = definition(method="mss", inputs=[{"indicator": "S1"}],
                      classes={"scheme": "mss_status", "thresholds": {"high_below": 1, "low_above": -1}})
    assert refused_field(data) == "classes.thresholds"


def test_breaks_must_ascend_and_labels_must_fit():
    assert refused_field(definition(classes={"scheme": "breaks", "breaks": [0.5, 0.2]})) == "classes.breaks"
    data = definition(classes={"scheme": "breaks", "breaks": [0.5], "labels_de": ["a", "b", "c"]})
    assert refused_field(data) == "classes.labels_de"


def test_an_attention_class_that_the_scheme_cannot_produce_is_refused():
    data = definition(method="mss", inputs=[{"indicator": "S1"}], classes={"scheme": "mss_dynamics"},
                      attention={"classes": ["4"]})
    assert refused_field(data) == "attention.classes.0"


def test_a_combination_needs_components_and_no_inputs():
    assert refused_field(definition(method="combination")) == "components"
    data = definition(method="combination", components={"status": "a", "dynamics": "b"})
    assert refused_field(data) == "inputs"


def test_a_definition_must_be_an_object():
    assert refused_field(["not", "an", "object"]) == "definition"


def test_each_shipped_edition_names_the_one_before_and_an_index_cannot_follow_itself():
    shipped = {d.id: d for d in shipped_definitions()}
    for year, before in ((2015, 2013), (2017, 2015), (2019, 2017), (2021, 2019)):
        for kind in ("status", "dynamics", "gesamtindex"):
            assert shipped[f"mss_{year}_{kind}"].previous_edition == f"mss_{before}_{kind}"
    assert all(shipped[f"mss_2013_{kind}"].previous_edition is None for kind in ("status", "dynamics", "gesamtindex"))
    assert refused_field(definition(previous_edition="example")) == "previous_edition"
    assert refused_field(definition(previous_edition="Not An Id")) == "previous_edition"
