"""Conv1D (shapecli/layers/convolutional.py).

Shapes, parameter counts and weight shapes come from the Keras 3 reference
(tests/reference/keras_layers.json). Over a free length the output length is a
symbolic expression: its text is checked, and it is evaluated at every length Keras
tried — where Keras refused the length, the expression must come out ≤ 0.
"""

from __future__ import annotations

import pytest

from shapecli.errors import ArgumentError
from shapecli.layers.convolutional import Conv1D
from shapecli.shapes import batched

from tests.helpers import as_keras, case, explain_case, explain_data, note, reference_cases, stack_error, texts


def conv(**args) -> dict:
    return {"Conv1D": args}


# -- shapes, parameters, weights -----------------------------------------------------------
FIXED_CASES = [
    "conv1d_default", "conv1d_k1", "conv1d_k5", "conv1d_k5_same", "conv1d_k5_causal_d2", "conv1d_k3_valid_s2",
    "conv1d_k3_same_s3", "conv1d_no_bias", "conv1d_relu", "conv1d_valid_exact_fit",
]
FREE_CASES = [c["id"] for c in reference_cases("conv1d_") if c["id"].endswith("_null_len") and "error" not in c
              and "channels_first" not in c["id"]]


@pytest.mark.parametrize("case_id", FIXED_CASES + FREE_CASES)
def test_conv1d_shape_params_and_weights_match_keras(case_id):
    c, explanation = explain_case(case_id)
    (step,) = explanation.steps
    assert as_keras(step.output_shape) == c["layer_output_shapes"][0]
    assert step.params == c["layer_params"][0]
    weights = step.layer.weight_shapes(step.input_shape)
    names = ["kernel"] if c["layers"][0]["Conv1D"].get("use_bias") is False else ["kernel", "bias"]
    assert [name for name, _ in weights] == names
    assert [list(shape) for _, shape in weights] == c["layer_weight_shapes"][0]


def test_conv1d_kernel_is_k_by_in_by_filters():
    c, explanation = explain_case("conv1d_k5")  # Conv1D(6, 5) on 4 channels
    step = explanation.steps[0]
    assert step.layer.weight_shapes(step.input_shape) == [("kernel", (5, 4, 6)), ("bias", (6,))]
    assert c["layer_weight_shapes"][0] == [[5, 4, 6], [6]]


def test_conv1d_groups_divide_the_input_channels_of_the_kernel():
    # Keras: kernel (kernel_size, in_channels // groups, filters)
    explanation = explain_data([100, 8], [conv(filters=4, kernel_size=3, groups=2)])
    step = explanation.steps[0]
    assert step.layer.weight_shapes(step.input_shape) == [("kernel", (3, 4, 4)), ("bias", (4,))]
    assert step.params == 3 * 4 * 4 + 4
    assert texts(step.output_shape) == ["batch", "98", "4"]


@pytest.mark.parametrize("case_id, length", [
    ("conv1d_default", "8"), ("conv1d_k1", "10"), ("conv1d_k5", "6"), ("conv1d_k5_same", "10"),
    ("conv1d_k5_causal_d2", "10"), ("conv1d_k3_valid_s2", "4"), ("conv1d_k3_same_s3", "4"),
    ("conv1d_valid_exact_fit", "1"),
])
def test_conv1d_output_length(case_id, length):
    _, explanation = explain_case(case_id)
    assert texts(explanation.output_shape) == ["batch", length, "6"]


SYMBOLIC = {
    "conv1d_k5_null_len": "time-4",
    "conv1d_k3_valid_s1_d1_null_len": "time-2",
    "conv1d_k3_valid_s1_d2_null_len": "time-4",
    "conv1d_k3_valid_s2_d1_null_len": "(time-3)//2+1",
    "conv1d_k3_valid_s3_d1_null_len": "(time-3)//3+1",
    "conv1d_k3_same_s1_d1_null_len": "time",
    "conv1d_k3_same_s1_d2_null_len": "time",
    "conv1d_k3_same_s2_d1_null_len": "(time-1)//2+1",
    "conv1d_k3_same_s3_d1_null_len": "(time-1)//3+1",
    "conv1d_k3_causal_s1_d1_null_len": "time",
    "conv1d_k3_causal_s1_d2_null_len": "time",
    "conv1d_k3_causal_s2_d1_null_len": "(time-1)//2+1",
    "conv1d_k3_causal_s3_d1_null_len": "(time-1)//3+1",
}


def test_every_free_length_reference_case_has_an_expected_expression():
    assert sorted(SYMBOLIC) == sorted(FREE_CASES)


@pytest.mark.parametrize("case_id, expression", SYMBOLIC.items())
def test_conv1d_free_length_expression(case_id, expression):
    _, explanation = explain_case(case_id)
    assert texts(explanation.output_shape) == ["batch", expression, "6"]


@pytest.mark.parametrize("case_id", SYMBOLIC)
def test_conv1d_free_length_evaluates_to_what_keras_computes(case_id):
    c, explanation = explain_case(case_id)
    length = explanation.output_shape[1]
    for run in c["concrete"]:
        value = length.evaluate({"time": run["input_shape"][0]})
        if "error" in run:
            assert value <= 0, f"Keras refuses length {run['input_shape'][0]}, shapecli gives {value}"
        else:
            assert value == run["layer_output_shapes"][0][1]


@pytest.mark.parametrize("case_id", [c for c in SYMBOLIC if any("error" in r for r in case(c)["concrete"])])
def test_conv1d_lengths_keras_refuses_do_not_fit(case_id):
    c = case(case_id)
    for run in c["concrete"]:
        if "error" in run:
            error = stack_error(run["input_shape"], c["layers"])
            assert error.exit_code == 1
            assert "padding='valid' needs at least" in error.title


# -- titles -------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, title", [
    ({"filters": 32, "kernel_size": 5, "activation": "relu"}, "Conv1D(32, 5, activation='relu')"),
    ({"filters": 32, "kernel_size": [5]}, "Conv1D(32, 5)"),
    ({"filters": 6, "kernel_size": 3, "strides": 2, "padding": "same"}, "Conv1D(6, 3, strides=2, padding='same')"),
    ({"filters": 6, "kernel_size": 3, "padding": "SAME"}, "Conv1D(6, 3, padding='same')"),
    ({"filters": 6, "kernel_size": 3, "padding": "valid", "strides": 1, "dilation_rate": 1}, "Conv1D(6, 3)"),
    ({"filters": 6, "kernel_size": 3, "dilation_rate": 2, "padding": "causal"},
     "Conv1D(6, 3, padding='causal', dilation_rate=2)"),
    ({"filters": 4, "kernel_size": 3, "groups": 2, "use_bias": False}, "Conv1D(4, 3, groups=2, use_bias=False)"),
    ({"filters": 6, "kernel_size": 3, "data_format": "channels_last", "kernel_initializer": "zeros"}, "Conv1D(6, 3)"),
])
def test_conv1d_title(args, title):
    assert explain_data([100, 8], [conv(**args)]).steps[0].layer.title() == title


# -- why -----------------------------------------------------------------------------------------
def test_conv1d_why_states_the_step_and_channel_change():
    text = note([100, 8], [conv(filters=32, kernel_size=5, activation="relu")])
    assert text == (
        "slides 32 filters of width 5 along the steps (valid: no padding, so the window fits 4 fewer positions): "
        "100 → 96 steps, 8 → 32 channels"
    )


def test_conv1d_why_over_free_time_shows_the_expression():
    assert "time → time-4 steps" in note([None, 4], [conv(filters=6, kernel_size=5)])
    assert "time → (time-3)//2+1 steps" in note([None, 4], [conv(filters=6, kernel_size=3, strides=2)])


def test_conv1d_why_with_strides():
    text = note([10, 4], [conv(filters=6, kernel_size=3, strides=2)])
    assert "moving 2 steps at a time" in text
    assert "10 → 4 steps" in text


def test_conv1d_why_with_dilation_gives_the_span():
    text = note([100, 8], [conv(filters=32, kernel_size=3, dilation_rate=2)])
    assert "width 3 (spanning 5 steps, dilation 2)" in text
    assert "fits 4 fewer positions" in text
    assert "100 → 96 steps" in text


def test_conv1d_why_kernel_1_loses_no_positions():
    text = note([10, 4], [conv(filters=6, kernel_size=1)])
    assert "(valid: no padding)" in text
    assert "10 → 10 steps" in text


def test_conv1d_why_same_and_causal_padding():
    assert "same: padded at both ends with zeros, so the length is kept" in note([10, 4], [conv(filters=6, kernel_size=5, padding="same")])
    text = note([100, 8], [conv(filters=32, kernel_size=5, padding="causal")])
    assert "causal: zero-padded on the left only, so the length is kept and step t sees only steps up to t" in text
    assert "100 → 100 steps" in text


def test_conv1d_why_same_with_strides_does_not_claim_the_length_is_kept():
    text = note([10, 4], [conv(filters=6, kernel_size=3, strides=2, padding="same")])
    assert "10 → 5 steps" in text
    assert "length is kept" not in text


# -- shape errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("case_id, span", [("conv1d_valid_too_short", 5), ("conv1d_valid_too_short_dilated", 7)])
def test_conv1d_valid_kernel_longer_than_the_sequence_does_not_fit(case_id, span):
    c = case(case_id)
    assert "error" in c
    error = stack_error(c["input_shape"], c["layers"])
    assert error.exit_code == 1
    length = c["input_shape"][0]
    assert f"Conv1D with padding='valid' needs at least {span} steps, but gets {length}" in error.title
    assert "padding: same" in error.fix


@pytest.mark.parametrize("padding", ["same", "causal"])
def test_conv1d_padded_kernel_longer_than_the_sequence_fits(padding):
    explanation = explain_data([3, 4], [conv(filters=6, kernel_size=5, padding=padding)])
    assert texts(explanation.output_shape) == ["batch", "3", "6"]


def test_conv1d_channels_not_divisible_by_groups_does_not_fit():
    error = stack_error([100, 7], [conv(filters=4, kernel_size=3, groups=2)])
    assert error.exit_code == 1
    assert "groups=2" in error.title
    assert error.found == "7 channels"


@pytest.mark.parametrize("input_shape, rank", [([12], 2), ([3, 7, 12], 4)])
def test_conv1d_needs_a_3d_input(input_shape, rank):
    error = stack_error(input_shape, [conv(filters=6, kernel_size=3)])
    assert error.exit_code == 1
    assert f"Conv1D needs a 3D input (batch, steps, channels), but gets a {rank}D one" in error.title
    assert "TimeDistributed" in error.fix


def test_conv1d_free_channels_do_not_fit():
    error = stack_error([10, "channels"], [conv(filters=6, kernel_size=3)], {"channels": None})
    assert error.exit_code == 1
    assert "the number of channels" in error.title


# -- arguments -----------------------------------------------------------------------------------------
def test_conv1d_strides_with_dilation_is_refused_like_keras():
    c = case("conv1d_k3_valid_s2_d2")
    assert "error" in c
    error = stack_error(c["input_shape"], c["layers"])
    assert error.exit_code == 2
    assert "strides > 1 together with dilation_rate > 1" in error.title


def test_conv1d_constructor_refuses_strides_with_dilation():
    with pytest.raises(ArgumentError) as raised:
        Conv1D(filters=4, kernel_size=3, strides=2, dilation_rate=2)
    assert raised.value.argument == "dilation_rate"


def test_conv1d_constructor_refuses_filters_not_divisible_by_groups():
    with pytest.raises(ArgumentError) as raised:
        Conv1D(filters=5, kernel_size=3, groups=2)
    assert raised.value.argument == "groups"


@pytest.mark.parametrize("args, words", [
    ({"filters": 0, "kernel_size": 3}, "`filters` must be a positive integer"),
    ({"kernel_size": 3}, "Conv1D needs `filters`"),
    ({"filters": 6}, "Conv1D needs `kernel_size`"),
    ({"filters": 6, "kernel_size": [3, 3]}, "`kernel_size` takes one number for a 1D layer"),
    ({"filters": 6, "kernel_size": 3, "padding": "full"}, "`padding` must be one of valid, same, causal"),
    ({"filters": 6, "kernel_size": 3, "data_format": "channels_middle"}, "`data_format` must be one of"),
    ({"filters": 6, "kernel_size": 3, "strides": 0}, "`strides` must be a positive integer"),
    ({"filters": 5, "kernel_size": 3, "groups": 2}, "`filters` must be divisible by `groups`"),
    ({"filters": 6, "kernel_size": 3, "activation": "rellu"}, "unknown activation 'rellu'"),
])
def test_conv1d_bad_arguments_are_unreadable(args, words):
    error = stack_error([10, 4], [conv(**args)])
    assert error.exit_code == 2
    assert words in error.title


def test_conv1d_keras_defaults():
    layer = explain_data([10, 4], [conv(filters=6, kernel_size=3)]).steps[0].layer
    assert (layer.strides, layer.padding, layer.dilation_rate, layer.groups) == (1, "valid", 1, 1)
    assert (layer.activation, layer.use_bias) == (None, True)
    direct = Conv1D(filters=6, kernel_size=3)
    assert (direct.strides, direct.padding, direct.dilation_rate, direct.groups) == (1, "valid", 1, 1)


def test_conv1d_weight_shapes_direct():
    layer = Conv1D(filters=6, kernel_size=3, use_bias=False)
    assert layer.weight_shapes(batched([10, 4])) == [("kernel", (3, 4, 6))]
    assert layer.params(batched([10, 4])) == case("conv1d_no_bias")["layer_params"][0] == 72


@pytest.mark.parametrize("rank", [2, 3])
def test_conv1d_has_no_rank_hint(rank):
    assert Conv1D(filters=6, kernel_size=3).hint_for_rank(rank) is None


# -- data_format="channels_first": (batch, channels, steps) -------------------------------------------
def test_conv1d_channels_first_keeps_channels_on_axis_1():
    c, explanation = explain_case("conv1d_channels_first")
    assert as_keras(explanation.output_shape) == c["output_shape"] == [None, 6, 8]
    assert explanation.steps[0].params == c["total_params"]
    assert explanation.steps[0].layer.title() == "Conv1D(6, 3, data_format='channels_first')"
    assert "10 → 8 steps, 4 → 6 channels" in explanation.steps[0].note


def test_conv1d_channels_first_over_a_free_length():
    _, explanation = explain_case("conv1d_channels_first_same_s2_null_len")
    assert texts(explanation.output_shape) == ["batch", "6", "(dim2-1)//2+1"]  # null on axis 2 is named dim2


def test_conv1d_channels_first_on_the_wrong_rank_names_its_layout():
    error = stack_error([4], [{"Conv1D": {"filters": 2, "kernel_size": 1, "data_format": "channels_first"}}])
    assert "(batch, channels, steps)" in error.title


@pytest.mark.parametrize("args, shape", [
    ({"filters": 6, "kernel_size": 5}, (9, 100, 80)),  # a block a sample
    ({"filters": 8, "kernel_size": 5, "groups": 2, "padding": "same"}, (9, 100, 80)),
    ({"filters": 6, "kernel_size": 5, "padding": "causal"}, (2, 2000, 80)),  # several blocks a sample
])
def test_conv1d_in_blocks_gives_the_windows_sums(args, shape):
    """An input over 65,536 values is copied and multiplied a block at a time (a sample a block, or a sample
    in several): every output step must still be its window times the kernel."""
    import numpy as np

    from shapecli import reference

    layer = Conv1D(**args)
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype("float32")
    kernel = rng.standard_normal((args["kernel_size"], 80 // args.get("groups", 1), args["filters"])).astype("float32")
    bias = rng.standard_normal(args["filters"]).astype("float32")
    expected = reference.conv1d(x, kernel, bias, strides=args.get("strides", 1), padding=args.get("padding", "valid"),
                                dilation=1, groups=args.get("groups", 1), activation=None)
    np.testing.assert_allclose(layer.forward(x, [kernel, bias]), expected, rtol=0, atol=1e-4)
