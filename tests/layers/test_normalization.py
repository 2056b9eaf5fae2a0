"""LayerNormalization (shapecli/layers/normalization.py).

Shapes, parameter counts and weight shapes come from the Keras 3 reference
(tests/reference/keras_layers.json). For `axis` lists the reference has no case; the
expected layout follows Keras' LayerNormalization.build: gamma and beta span the
normalized axes, `tuple(input_shape[dim] for dim in axis)`.
"""

from __future__ import annotations

import pytest

from shapecli.errors import ArgumentError
from shapecli.layers.normalization import LayerNormalization
from shapecli.shapes import batched

from tests.helpers import as_keras, case, explain_case, explain_data, stack_error, texts


def layer_norm(**args) -> dict:
    return {"LayerNormalization": args}


def weights_of(input_shape, **args) -> list:
    step = explain_data(input_shape, [layer_norm(**args)]).steps[0]
    return step.layer.weight_shapes(step.input_shape)


# -- shapes, parameters, weights -------------------------------------------------------------
LAYER_NORM_CASES = {
    "layernorm_2d": ["gamma", "beta"],
    "layernorm_3d": ["gamma", "beta"],
    "layernorm_no_center": ["gamma"],
    "layernorm_no_scale": ["beta"],
}


@pytest.mark.parametrize("case_id", LAYER_NORM_CASES)
def test_layer_norm_shape_params_and_weights_match_keras(case_id):
    c, explanation = explain_case(case_id)
    (step,) = explanation.steps
    assert step.output_shape == step.input_shape
    assert as_keras(step.output_shape) == c["layer_output_shapes"][0]
    assert step.params == c["layer_params"][0]
    weights = step.layer.weight_shapes(step.input_shape)
    assert [name for name, _ in weights] == LAYER_NORM_CASES[case_id]
    assert [list(shape) for _, shape in weights] == c["layer_weight_shapes"][0]


def test_layer_norm_gamma_then_beta_over_the_last_axis():
    c, explanation = explain_case("layernorm_3d")
    step = explanation.steps[0]
    assert step.layer.weight_shapes(step.input_shape) == [("gamma", (12,)), ("beta", (12,))]
    assert step.params == c["layer_params"][0] == 24


def test_layer_norm_without_scale_or_center_has_no_weights():
    assert weights_of([7, 12], center=False, scale=False) == []
    assert explain_data([7, 12], [layer_norm(center=False, scale=False)]).total_params == 0


@pytest.mark.parametrize("axis", [-1, 2, [-1], [2]])
def test_layer_norm_axis_as_int_or_list_of_the_last_axis(axis):
    assert weights_of([7, 12], axis=axis) == [("gamma", (12,)), ("beta", (12,))]


@pytest.mark.parametrize("axis", [[1, 2], [-2, -1], [2, 1]])
def test_layer_norm_axis_list_spans_the_normalized_axes(axis):
    assert weights_of([7, 12], axis=axis) == [("gamma", (7, 12)), ("beta", (7, 12))]
    assert explain_data([7, 12], [layer_norm(axis=axis)]).steps[0].params == 2 * 7 * 12


def test_layer_norm_axis_1_on_3d():
    assert weights_of([7, 12], axis=1) == [("gamma", (7,)), ("beta", (7,))]


def test_layer_norm_axis_list_is_sorted_as_written_like_keras():
    # Keras sorts the axes as written (LayerNormalization.build): [2, 1] -> [1, 2], [1, -1] -> [-1, 1].
    assert weights_of([7, 12], axis=[2, 1]) == [("gamma", (7, 12)), ("beta", (7, 12))]
    assert weights_of([7, 12], axis=[1, -1]) == [("gamma", (12, 7)), ("beta", (12, 7))]


def test_layer_norm_keeps_a_free_time_axis():
    explanation = explain_data([None, 12], [layer_norm()])
    assert texts(explanation.output_shape) == ["batch", "time", "12"]
    assert explanation.steps[0].params == 24


# -- titles and why -------------------------------------------------------------------------------
@pytest.mark.parametrize("args, title", [
    ({}, "LayerNormalization()"),
    ({"center": False}, "LayerNormalization(center=False)"),
    ({"scale": False}, "LayerNormalization(scale=False)"),
    ({"axis": [1, 2]}, "LayerNormalization(axis=(1, 2))"),
    ({"epsilon": 1e-5}, "LayerNormalization(epsilon=1e-05)"),
    ({"epsilon": 0.001, "axis": -1, "gamma_initializer": "ones"}, "LayerNormalization()"),
])
def test_layer_norm_title(args, title):
    assert explain_data([7, 12], [layer_norm(**args)]).steps[0].layer.title() == title


def test_layer_norm_why():
    text = explain_data([7, 12], [layer_norm()]).steps[0].note
    assert text == (
        "normalizes each group of 12 values along the last axis to mean 0, variance 1, "
        "then applies a learned scale γ and a learned shift β; shape unchanged"
    )


@pytest.mark.parametrize("args, present, absent", [
    ({"center": False}, "then applies a learned scale γ;", "β"),
    ({"scale": False}, "then applies a learned shift β;", "γ"),
    ({"center": False, "scale": False}, "mean 0, variance 1; shape unchanged", "applies"),
])
def test_layer_norm_why_names_only_the_learned_weights(args, present, absent):
    text = explain_data([7, 12], [layer_norm(**args)]).steps[0].note
    assert present in text
    assert absent not in text


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [0, 3, -3, [1, 3]])
def test_layer_norm_axis_outside_the_input_does_not_fit(axis):
    error = stack_error([7, 12], [layer_norm(axis=axis)])
    assert error.exit_code == 1
    bad = axis[-1] if isinstance(axis, list) else axis
    assert f"LayerNormalization axis {bad} does not exist on a 3D input" in error.title
    assert error.expected == "an axis from 1 to 2, or -1 to -2"


def test_layer_norm_axis_0_is_the_batch():
    error = stack_error([7, 12], [layer_norm(axis=0)])
    assert "axis 0, the batch, cannot be used" in error.title


def test_layer_norm_over_a_free_axis_does_not_fit():
    error = stack_error([7, "feat"], [layer_norm()], {"feat": None})
    assert error.exit_code == 1
    assert "the size of axis 2" in error.title
    assert "feat" in error.found


def test_layer_norm_without_weights_accepts_a_free_normalized_axis():
    explanation = explain_data([7, "feat"], [layer_norm(center=False, scale=False)], {"feat": None})
    assert texts(explanation.output_shape) == ["batch", "7", "feat"]


@pytest.mark.parametrize("args, words", [
    ({"axis": []}, "`axis` must name at least one axis"),
    ({"axis": "last"}, "`axis` must be an integer or a list of integers"),
    ({"axis": [1.5]}, "`axis` must hold integers"),
    ({"epsilon": -1e-3}, "`epsilon` must be a number ≥ 0"),
    ({"center": "no"}, "`center` must be true or false"),
    ({"scale": 0}, "`scale` must be true or false"),
    ({"axes": -1}, "LayerNormalization has no argument `axes`"),
])
def test_layer_norm_bad_arguments_are_unreadable(args, words):
    error = stack_error([7, 12], [layer_norm(**args)])
    assert error.exit_code == 2
    assert words in error.title


def test_layer_norm_constructor_refuses_an_empty_axis_list():
    with pytest.raises(ArgumentError) as raised:
        LayerNormalization(axis=[])
    assert raised.value.argument == "axis"


def test_layer_norm_keras_defaults():
    layer = explain_data([7, 12], [layer_norm()]).steps[0].layer
    assert (layer.axis, layer.epsilon, layer.center, layer.scale) == (-1, 0.001, True, True)
    direct = LayerNormalization()
    assert (direct.axis, direct.epsilon, direct.center, direct.scale) == (-1, 1e-3, True, True)


def test_layer_norm_weight_shapes_direct():
    layer = LayerNormalization(scale=False)
    assert layer.weight_shapes(batched([12])) == [("beta", (12,))]
    assert layer.params(batched([12])) == case("layernorm_no_scale")["layer_params"][0] == 12


@pytest.mark.parametrize("rank", [2, 3])
def test_layer_norm_has_no_rank_hint(rank):
    assert LayerNormalization().hint_for_rank(rank) is None


def test_a_repeated_axis_is_refused_before_it_runs():
    """On a 2D input axis -1 and axis 1 are one axis: Keras fails when the model runs; shapecli says so."""
    error = stack_error([12], [{"LayerNormalization": {"axis": [-1, 1]}}])
    assert error.exit_code == 1
    assert error.title == "layer 1, LayerNormalization(axis=(-1, 1)): LayerNormalization axis -1 and 1 are the same axis of a 2D input"
    assert explain_data([7, 12], [{"LayerNormalization": {"axis": [-1, 1]}}]).total_params == 2 * 7 * 12  # two axes in 3D
