"""MaxPooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D (shapecli/layers/pooling.py).

Shapes come from the Keras 3 reference (tests/reference/keras_layers.json); over a
free length the symbolic output is checked as text and evaluated at every length Keras tried.
"""

from __future__ import annotations

import pytest

from shapecli.layers.pooling import GlobalAveragePooling1D, GlobalMaxPooling1D, MaxPooling1D

from tests.helpers import as_keras, case, explain_case, explain_data, note, stack_error, texts


def assert_matches_concrete(c: dict, dim, step: int = 0, axis: int = 1) -> None:
    """`dim` at each length Keras tried: Keras' size, or ≤ 0 where Keras refused the length."""
    for run in c["concrete"]:
        value = dim.evaluate({"time": run["input_shape"][0]})
        if "error" in run:
            assert value <= 0, f"Keras refuses length {run['input_shape'][0]}, shapecli gives {value}"
        else:
            assert value == run["layer_output_shapes"][step][axis]


# -- MaxPooling1D ----------------------------------------------------------------------------
@pytest.mark.parametrize("case_id, expected", [
    ("maxpool1d_default", ["batch", "5", "4"]),
    ("maxpool1d_default_odd", ["batch", "5", "4"]),
    ("maxpool1d_p3_s2", ["batch", "4", "4"]),
    ("maxpool1d_same", ["batch", "6", "4"]),
    ("maxpool1d_p3_s2_same", ["batch", "5", "4"]),
    ("maxpool1d_null_len", ["batch", "(time-2)//2+1", "4"]),
    ("maxpool1d_p3_s2_null_len", ["batch", "(time-3)//2+1", "4"]),
    ("maxpool1d_same_null_len", ["batch", "(time-1)//2+1", "4"]),
])
def test_max_pooling_shapes_match_keras(case_id, expected):
    c, explanation = explain_case(case_id)
    (step,) = explanation.steps
    assert texts(step.output_shape) == expected
    assert as_keras(step.output_shape) == c["layer_output_shapes"][0]
    assert step.params == c["layer_params"][0] == 0
    assert step.layer.weight_shapes(step.input_shape) == []


@pytest.mark.parametrize("case_id", ["maxpool1d_null_len", "maxpool1d_p3_s2_null_len", "maxpool1d_same_null_len"])
def test_max_pooling_free_length_evaluates_to_what_keras_computes(case_id):
    c, explanation = explain_case(case_id)
    assert_matches_concrete(c, explanation.output_shape[1])


def test_max_pooling_default_is_time_floor_divided_by_2():
    # Printed as Keras' formula (time-2)//2+1, which is time//2 for every length.
    _, explanation = explain_case("maxpool1d_null_len")
    length = explanation.output_shape[1]
    assert str(length) == "(time-2)//2+1"
    for time in range(1, 40):
        assert length.evaluate({"time": time}) == time // 2


def test_max_pooling_strides_default_to_pool_size():
    layer = MaxPooling1D(pool_size=3)
    assert layer.strides is None
    assert layer.stride == 3
    explanation = explain_data([None, 4], [{"MaxPooling1D": {"pool_size": 3}}])
    length = explanation.output_shape[1]
    assert str(length) == "(time-3)//3+1"
    assert [length.evaluate({"time": t}) for t in (3, 5, 6, 10)] == [1, 1, 2, 3]


def test_max_pooling_keras_defaults():
    layer = explain_data([10, 4], ["MaxPooling1D"]).steps[0].layer
    assert (layer.pool_size, layer.strides, layer.stride, layer.padding) == (2, None, 2, "valid")


def test_max_pooling_too_short_does_not_fit_like_keras():
    c = case("maxpool1d_too_short")
    assert "error" in c
    error = stack_error(c["input_shape"], c["layers"])
    assert error.exit_code == 1
    assert "MaxPooling1D with padding='valid' needs at least 3 steps, but gets 2" in error.title


def test_max_pooling_lengths_keras_refuses_do_not_fit():
    c = case("maxpool1d_p3_s2_null_len")
    refused = [run["input_shape"] for run in c["concrete"] if "error" in run]
    assert refused
    for input_shape in refused:
        assert stack_error(input_shape, c["layers"]).exit_code == 1


@pytest.mark.parametrize("args, title", [
    ({}, "MaxPooling1D()"),
    ({"pool_size": 3, "strides": 2}, "MaxPooling1D(pool_size=3, strides=2)"),
    ({"padding": "same"}, "MaxPooling1D(padding='same')"),
    ({"pool_size": [3]}, "MaxPooling1D(pool_size=3)"),
])
def test_max_pooling_title(args, title):
    assert explain_data([10, 4], [{"MaxPooling1D": args}]).steps[0].layer.title() == title


def test_max_pooling_why():
    text = note([10, 4], ["MaxPooling1D"])
    assert text == (
        "keeps the largest value of each window of 2 steps, moving 2 at a time (valid: no padding): "
        "10 → 5 steps; channels unchanged"
    )


def test_max_pooling_why_over_free_time():
    assert "time → (time-3)//2+1 steps" in note([None, 4], [{"MaxPooling1D": {"pool_size": 3, "strides": 2}}])


def test_max_pooling_same_does_not_claim_the_length_is_kept():
    text = note([11, 4], [{"MaxPooling1D": {"padding": "same"}}])
    assert "11 → 6 steps" in text
    assert "length is kept" not in text


def test_max_pooling_same_is_not_described_as_zero_padding():
    assert "zero-padded" not in note([11, 4], [{"MaxPooling1D": {"padding": "same"}}])


@pytest.mark.parametrize("args, words", [
    ({"padding": "causal"}, "`padding` must be one of valid, same"),
    ({"pool_size": 0}, "`pool_size` must be a positive integer"),
    ({"strides": [2, 2]}, "`strides` takes one number for a 1D layer"),
    ({"data_format": "channels_middle"}, "`data_format` must be one of"),
])
def test_max_pooling_bad_arguments_are_unreadable(args, words):
    error = stack_error([10, 4], [{"MaxPooling1D": args}])
    assert error.exit_code == 2
    assert words in error.title


@pytest.mark.parametrize("input_shape, rank", [([4], 2), ([3, 10, 4], 4)])
def test_max_pooling_needs_a_3d_input(input_shape, rank):
    error = stack_error(input_shape, ["MaxPooling1D"])
    assert error.exit_code == 1
    assert f"MaxPooling1D needs a 3D input (batch, steps, channels), but gets a {rank}D one" in error.title


# -- Conv1D -> MaxPooling1D -> LSTM ---------------------------------------------------------------
def test_conv_pool_lstm_matches_keras():
    c, explanation = explain_case("stack_conv_pool_lstm")
    assert [as_keras(s.output_shape) for s in explanation.steps] == c["layer_output_shapes"]
    assert [s.params for s in explanation.steps] == c["layer_params"]
    assert "98 → 49 steps" in explanation.steps[1].note


def test_conv_pool_lstm_over_free_length():
    c, explanation = explain_case("stack_conv_pool_lstm_null_len")
    assert [texts(s.output_shape) for s in explanation.steps] == [
        ["batch", "time-2", "32"], ["batch", "(time-4)//2+1", "32"], ["batch", "16"],
    ]
    assert [s.params for s in explanation.steps] == c["layer_params"]
    conv_length, pool_length = (s.output_shape[1] for s in explanation.steps[:2])
    for run in c["concrete"]:
        bindings = {"time": run["input_shape"][0]}
        ours = [conv_length.evaluate(bindings), pool_length.evaluate(bindings)]
        if "error" in run:  # Keras refuses the length at the first layer whose output would be empty
            assert min(ours) <= 0
        else:
            assert ours == [run["layer_output_shapes"][0][1], run["layer_output_shapes"][1][1]]


# -- GlobalAveragePooling1D, GlobalMaxPooling1D ------------------------------------------------------
@pytest.mark.parametrize("case_id, expected", [
    ("gap1d", ["batch", "4"]),
    ("gap1d_keepdims", ["batch", "1", "4"]),
    ("gmp1d", ["batch", "4"]),
    ("gmp1d_keepdims", ["batch", "1", "4"]),
    ("gap1d_null_len", ["batch", "4"]),
])
def test_global_pooling_shapes_match_keras(case_id, expected):
    c, explanation = explain_case(case_id)
    (step,) = explanation.steps
    assert texts(step.output_shape) == expected
    assert as_keras(step.output_shape) == c["layer_output_shapes"][0]
    assert step.params == 0
    assert step.layer.weight_shapes(step.input_shape) == []


def test_global_pooling_removes_a_free_length():
    c, explanation = explain_case("gap1d_null_len")
    assert explanation.output_shape[1].is_known
    assert c["concrete"]
    for run in c["concrete"]:  # at every length Keras tried, the same width: the length is gone
        assert explanation.output_shape[1].evaluate({"time": run["input_shape"][0]}) == run["layer_output_shapes"][0][1]
        assert as_keras(explain_data(run["input_shape"], c["layers"]).output_shape) == run["layer_output_shapes"][0]


@pytest.mark.parametrize("layer, title", [
    ("GlobalAveragePooling1D", "GlobalAveragePooling1D()"),
    ({"GlobalMaxPooling1D": {"keepdims": True}}, "GlobalMaxPooling1D(keepdims=True)"),
    ({"GlobalAveragePooling1D": {"keepdims": False, "data_format": "channels_last"}}, "GlobalAveragePooling1D()"),
])
def test_global_pooling_title(layer, title):
    assert explain_data([10, 4], [layer]).steps[0].layer.title() == title


def test_global_average_pooling_why_says_the_steps_axis_disappears():
    text = note([10, 4], ["GlobalAveragePooling1D"])
    assert text == (
        "averages each channel over all 10 steps: the steps axis disappears, so any length gives the same width"
    )


def test_global_max_pooling_why():
    text = note([None, 4], ["GlobalMaxPooling1D"])
    assert text.startswith("takes the largest value of each channel over all time steps")
    assert "the steps axis disappears" in text


@pytest.mark.parametrize("name", ["GlobalAveragePooling1D", "GlobalMaxPooling1D"])
def test_global_pooling_keepdims_why(name):
    text = note([10, 4], [{name: {"keepdims": True}}])
    assert "the steps axis is kept with size 1 (keepdims)" in text
    assert "disappears" not in text


@pytest.mark.parametrize("layer_class", [GlobalAveragePooling1D, GlobalMaxPooling1D])
def test_global_pooling_keras_defaults(layer_class):
    assert layer_class().keepdims is False


@pytest.mark.parametrize("name", ["GlobalAveragePooling1D", "GlobalMaxPooling1D"])
@pytest.mark.parametrize("input_shape, rank", [([4], 2), ([3, 10, 4], 4)])
def test_global_pooling_needs_a_3d_input(name, input_shape, rank):
    error = stack_error(input_shape, [name])
    assert error.exit_code == 1
    assert f"{name} needs a 3D input (batch, steps, channels), but gets a {rank}D one" in error.title
    assert "TimeDistributed" in error.fix


@pytest.mark.parametrize("args, words", [
    ({"keepdims": "yes"}, "`keepdims` must be true or false"),
    ({"data_format": "channels_middle"}, "`data_format` must be one of"),
    ({"pool_size": 2}, "GlobalAveragePooling1D has no argument `pool_size`"),
])
def test_global_pooling_bad_arguments_are_unreadable(args, words):
    error = stack_error([10, 4], [{"GlobalAveragePooling1D": args}])
    assert error.exit_code == 2
    assert words in error.title


@pytest.mark.parametrize("layer", [MaxPooling1D(), GlobalAveragePooling1D(), GlobalMaxPooling1D()])
@pytest.mark.parametrize("rank", [2, 3])
def test_pooling_layers_have_no_rank_hint(layer, rank):
    assert layer.hint_for_rank(rank) is None


# -- data_format="channels_first": (batch, channels, steps) -------------------------------------------
@pytest.mark.parametrize("case_id, expected", [
    ("maxpool1d_channels_first", ["batch", "4", "5"]),
    ("gap1d_channels_first", ["batch", "4"]),
    ("gmp1d_channels_first_keepdims", ["batch", "4", "1"]),
])
def test_pooling_channels_first_matches_keras(case_id, expected):
    c, explanation = explain_case(case_id)
    assert texts(explanation.output_shape) == expected
    assert as_keras(explanation.output_shape) == c["output_shape"]
