"""Every case in tests/reference/keras_layers.json, made by real Keras 3 with
tools/make_keras_reference.py, explained by shapecli: shapes, parameters and
weight layouts must agree exactly; where Keras refuses a stack, so must shapecli.
Free (None) sizes are symbolic here: they must evaluate to what Keras computes
for each concrete length the reference tried."""

from __future__ import annotations

import pytest

from shapecli.errors import StackError
from shapecli.shapes import Dim

from tests.helpers import REFERENCE, explain_data

CASES = REFERENCE["cases"]



def free_input(case: dict) -> tuple[list, dict]:
    """The case's input shape with each null replaced by a free symbol."""
    names = [f"free{axis}" for axis, size in enumerate(case["input_shape"]) if size is None]
    shape = [f"free{axis}" if size is None else size for axis, size in enumerate(case["input_shape"])]
    return shape, {name: None for name in names}


def assert_layers_match(explanation, case: dict) -> None:
    """Each layer's output shape, parameter count and weight shapes as Keras reported them."""
    assert len(explanation.steps) == len(case["layers"])
    for step, keras_shape, params, weights in zip(
        explanation.steps, case["layer_output_shapes"], case["layer_params"], case["layer_weight_shapes"]
    ):
        assert_same_shape(step.output_shape, keras_shape)
        assert step.params == params
        assert [list(s) for _, s in step.layer.weight_shapes(step.input_shape)] == weights


def assert_same_shape(ours: tuple, keras: list, bindings: dict | None = None) -> None:
    if isinstance(keras[0], list):  # several tensors (return_state): Keras lists their shapes
        assert isinstance(ours, list) and len(ours) == len(keras), (ours, keras)
        for one, theirs in zip(ours, keras):
            assert_same_shape(one, theirs, bindings)
        return
    assert len(ours) == len(keras), (ours, keras)
    assert str(ours[0]) == "batch" and keras[0] is None
    for dim, expected in zip(ours[1:], keras[1:]):
        if expected is None:
            assert not dim.is_known, f"Keras leaves this size free, shapecli says {dim}"
        elif bindings is not None:
            assert dim.evaluate(bindings) == expected
        else:
            assert dim == Dim.of(expected), f"{dim} != {expected}"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_shapes_and_params_match_keras(case):
    shape, symbols = free_input(case)
    if "error" in case:
        with pytest.raises(StackError):
            explain_data(shape, case["layers"], symbols)
        return
    explanation = explain_data(shape, case["layers"], symbols)
    assert_layers_match(explanation, case)
    assert explanation.total_params == case["total_params"]
    assert explanation.input_dtype == case["input_dtype"]


CONCRETE = [
    (case, run) for case in CASES if "error" not in case
    for run in case.get("concrete", [])
]


@pytest.mark.parametrize(
    "case,run", CONCRETE, ids=[f"{c['id']}-{r['input_shape']}" for c, r in CONCRETE]
)
def test_free_sizes_evaluate_to_what_keras_computes(case, run):
    shape, symbols = free_input(case)
    bindings = {
        name: size for name, size in zip(shape, run["input_shape"]) if isinstance(name, str)
    }
    bindings["batch"] = 2
    if "error" in run:
        # Keras refuses this length; with the length fixed, so does shapecli.
        with pytest.raises(StackError) as raised:
            explain_data(run["input_shape"], case["layers"])
        assert raised.value.exit_code == 1
        return
    symbolic = explain_data(shape, case["layers"], symbols)
    concrete = explain_data(run["input_shape"], case["layers"])
    for sym_step, con_step, keras_shape in zip(symbolic.steps, concrete.steps, run["layer_output_shapes"]):
        assert_same_shape(sym_step.output_shape, keras_shape, bindings)
        assert_same_shape(con_step.output_shape, keras_shape)


def test_reference_covers_every_layer():
    from shapecli.layers import REGISTRY

    def names(spec):
        (name, args), = spec.items()
        inner = args.get("layer") if isinstance(args, dict) else None
        return {name} | (names(inner) if inner else set())

    from shapecli.layers.merging import GRAPH_LAYERS

    covered = set().union(*(names(spec) for case in CASES for spec in case["layers"]))
    assert set(REGISTRY) - covered == set(GRAPH_LAYERS)  # called on several tensors: tests/reference/graph/


def test_the_bundled_addition_scenario_matches_keras():
    """scenarios/addition.yaml, written with symbols, explains to what Keras built for the same model."""
    from shapecli.engine import explain
    from shapecli.scenarios import load_stack

    case = next(c for c in CASES if c["id"] == "stack_addition_encoder_decoder")
    explanation = explain(load_stack("addition"))
    assert_layers_match(explanation, case)
    assert_same_shape(explanation.output_shape, case["output_shape"])
    assert explanation.total_params == case["total_params"]


# -- what the padding mask of Embedding(mask_zero=True) does, in words (the numbers: tests/test_numeric.py) --
MASKED = {"Embedding": {"input_dim": 10, "output_dim": 4, "mask_zero": True}}


@pytest.mark.parametrize("layers, index, words", [
    ([MASKED, {"LSTM": {"units": 3}}], 2, "padded steps are skipped, so this is the state after the last real step"),
    ([MASKED, {"GRU": {"units": 3, "return_sequences": True}}], 2, "at padded steps the state is kept"),
    ([MASKED, {"Bidirectional": {"layer": {"LSTM": {"units": 3, "return_sequences": True}}}}], 2,
     "both directions skip padded steps, whose outputs are zeros"),
    ([MASKED, {"Dense": {"units": 3}}, {"GlobalAveragePooling1D": {}}], 3, "only the real (unpadded) steps are averaged"),
    ([MASKED, {"Conv1D": {"filters": 2, "kernel_size": 2}}, {"LSTM": {"units": 3}}], 2, "the padding mask stops here"),
])
def test_explain_says_what_the_mask_does(layers, index, words):
    explanation = explain_data([7], layers)
    assert words in explanation.steps[index - 1].note


def test_no_mask_words_without_mask_zero_or_after_the_mask_ends():
    plain = explain_data([7], [{"Embedding": {"input_dim": 10, "output_dim": 4}}, {"LSTM": {"units": 3}}])
    assert "padded" not in plain.steps[1].note
    ended = explain_data([7], [MASKED, {"Conv1D": {"filters": 2, "kernel_size": 2}}, {"LSTM": {"units": 3}}])
    assert "padded" not in ended.steps[2].note


def test_every_layer_is_named_as_keras_names_it():
    """shapecli/keras_layer_names.txt is written by tools/make_keras_reference.py from Keras itself."""
    from shapecli.engine import keras_layer_names
    from shapecli.layers import REGISTRY

    names = keras_layer_names()
    assert len(names) > 100 and names == sorted(names)
    assert set(REGISTRY) <= set(names)


@pytest.mark.parametrize("name, words", [("Conv2D", "a Keras layer that shapecli does not cover yet"),
                                         ("UpSampling1D", "a Keras layer that shapecli does not cover yet"),
                                         ("LTSM", "unknown layer 'LTSM'")])
def test_a_layer_not_covered_is_told_apart_from_a_typo(name, words):
    from tests.helpers import stack_error

    error = stack_error([4, 3], [{name: {}}])
    assert error.exit_code == 2 and words in error.title
    assert ("did you mean 'LSTM'?" == error.fix) == (name == "LTSM")
