"""The registry of index methods: every method has the same interface, and a new method is one class."""

import pandas as pd
import pytest

from indicators.composite import IndexDefinitionError, weighted_index
from indicators.index_definitions import class_codes, parse_definition
from indicators.index_methods import METHODS, ComponentMethod, InputMethod, method_for, register


@pytest.fixture
def areas() -> pd.DataFrame:
    return pd.DataFrame({"S1": [1.0, 2.0, 3.0, 4.0, 8.0], "S3": [5.0, 3.0, 4.0, 1.0, 0.0]},
                        index=["a", "b", "c", "d", "e"])


def definition(method: str, **changes) -> dict:
    base = {"id": "example", "name_de": "Beispiel", "name_en": "Example", "method": method,
            "inputs": [{"indicator": "S1"}, {"indicator": "S3", "direction": -1}]}
    return {**base, **changes}


def test_the_shipped_methods_are_registered_and_each_is_an_input_or_a_component_method():
    assert set(METHODS) >= {"mss", "percentile_rank", "weighted", "combination"}
    for cls in METHODS.values():
        assert issubclass(cls, (InputMethod, ComponentMethod))
        assert cls.numeric == issubclass(cls, InputMethod)


@pytest.mark.parametrize(("method", "extra"), [
    ("mss", {"classes": {"scheme": "mss_status"}}),
    ("weighted", {"classes": {"scheme": "breaks", "breaks": [0]}}),
    ("percentile_rank", {"inputs": [{"indicator": "S1", "theme": "x"}, {"indicator": "S3", "direction": -1,
                                                                         "theme": "y"}],
                         "classes": {"scheme": "quantiles", "k": 2}}),
])
def test_every_input_method_computes_classes_and_explains_through_the_same_interface(areas, method, extra):
    chosen = method_for(parse_definition(definition(method, **extra)))
    everyone = pd.Series(True, index=areas.index)
    result = chosen.compute(areas, everyone, pd.Series(None, index=areas.index, dtype=object))
    classes = chosen.classify(result.index)
    assert result.index.notna().all() and classes.codes.notna().all()
    assert set(classes.codes) <= set(classes.labels)
    assert result.explain_inputs("e")["method"] == method


def test_a_method_with_fixed_classes_names_them_and_a_generic_scheme_depends_on_the_data():
    status = parse_definition(definition("mss", classes={"scheme": "mss_status"}))
    assert class_codes(status) == ("1", "2", "3", "4")
    assert class_codes(parse_definition(definition("weighted", classes={"scheme": "breaks", "breaks": [0]}))) == ("1", "2")


def test_a_class_scheme_of_one_method_is_refused_for_another():
    with pytest.raises(IndexDefinitionError) as error:
        parse_definition(definition("weighted", classes={"scheme": "mss_dynamics"}))
    assert error.value.field == "classes.scheme" and "mss" in error.value.message


def test_an_unregistered_method_is_refused_naming_the_methods():
    with pytest.raises(IndexDefinitionError) as error:
        parse_definition(definition("median_polish"))
    assert error.value.field == "method" and "mss" in error.value.message


def test_a_new_method_is_one_registered_class(areas):
    @register
    class PlainZSum(InputMethod):
        """Plain sum of oriented z-values (not re-standardised)."""

        name = "test_plain_zsum"

        def compute(self, inputs, participating, reasons):
            weights = {item.indicator: 1.0 for item in self.definition.inputs}
            return weighted_index(inputs, self.directions(), weights, "zscore", False, participating=participating,
                                  exclusion_reasons=reasons)

    try:
        parsed = parse_definition(definition("test_plain_zsum", classes={"scheme": "breaks", "breaks": [0]},
                                             attention={"classes": ["2"]}))
        chosen = method_for(parsed)
        result = chosen.compute(areas, pd.Series(True, index=areas.index), pd.Series(None, index=areas.index))
        assert chosen.classify(result.index).codes["e"] == "2"
        assert parsed.attention_classes() == ("2",)
        with pytest.raises(IndexDefinitionError):  # the generic rules hold for it too
            parse_definition(definition("test_plain_zsum", inputs=[{"indicator": "S1", "weight": 2}]))
    finally:
        METHODS.pop("test_plain_zsum")
