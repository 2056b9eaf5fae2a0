"""Dense, Activation, Dropout, Embedding (shapecli/layers/core.py).

Shapes, parameter counts and weight shapes come from the Keras 3 reference
(tests/reference/keras_layers.json); names, titles and sentences are shapecli's own.
"""

from __future__ import annotations

import pytest

from shapecli.errors import ArgumentError
from shapecli.layers.core import Activation, Dense, Dropout, Embedding
from shapecli.shapes import batched

from tests.helpers import as_keras, case, explain_case, explain_data, note, stack_error, texts


# -- Dense ---------------------------------------------------------------------------
DENSE_CASES = {
    # reference id: weight names in get_weights() order
    "dense_2d": ["kernel", "bias"],
    "dense_3d": ["kernel", "bias"],
    "dense_4d": ["kernel", "bias"],
    "dense_no_bias": ["kernel"],
    "dense_relu": ["kernel", "bias"],
    "dense_3d_null_time": ["kernel", "bias"],
    "stack_dense_on_3d": ["kernel", "bias"],
}


@pytest.mark.parametrize("case_id", DENSE_CASES)
def test_dense_shape_params_and_weights_match_keras(case_id):
    c, explanation = explain_case(case_id)
    (step,) = explanation.steps
    assert as_keras(step.output_shape) == c["layer_output_shapes"][0]
    assert step.params == c["layer_params"][0]
    weights = step.layer.weight_shapes(step.input_shape)
    assert [name for name, _ in weights] == DENSE_CASES[case_id]
    assert [list(shape) for _, shape in weights] == c["layer_weight_shapes"][0]


def test_dense_kernel_is_in_by_units_and_bias_is_units():
    c, explanation = explain_case("dense_2d")  # Dense(5) on 12 features
    step = explanation.steps[0]
    assert step.layer.weight_shapes(step.input_shape) == [("kernel", (12, 5)), ("bias", (5,))]
    assert c["layer_weight_shapes"][0] == [[12, 5], [5]]


@pytest.mark.parametrize("case_id, expected", [
    ("dense_2d", ["batch", "5"]),
    ("dense_3d", ["batch", "7", "5"]),
    ("dense_4d", ["batch", "3", "7", "5"]),
    ("dense_3d_null_time", ["batch", "time", "5"]),
])
def test_dense_acts_on_the_last_axis_only(case_id, expected):
    _, explanation = explain_case(case_id)
    assert texts(explanation.output_shape) == expected


def test_dense_over_free_time_keeps_time_for_every_length_keras_tried():
    c, explanation = explain_case("dense_3d_null_time")
    time = explanation.output_shape[1]
    for run in c["concrete"]:
        length = run["input_shape"][0]
        assert time.evaluate({"time": length}) == run["layer_output_shapes"][0][1]


def test_dense_on_3d_equals_time_distributed_dense():
    """Keras gives both the same output shape and the same weights; so must each of them here."""
    for case_id in ("stack_dense_on_3d", "stack_td_dense_on_3d"):  # Dense(12) on (4, 128), plain or wrapped
        c, explanation = explain_case(case_id)
        (step,) = explanation.steps
        assert texts(step.output_shape) == ["batch", "4", "12"]
        assert as_keras(step.output_shape) == c["layer_output_shapes"][0]
        assert step.layer.weight_shapes(step.input_shape) == [("kernel", (128, 12)), ("bias", (12,))]
        assert step.params == c["layer_params"][0] == 128 * 12 + 12


@pytest.mark.parametrize("layer, title", [
    ({"Dense": {"units": 5}}, "Dense(5)"),
    ({"Dense": {"units": 5, "activation": "relu"}}, "Dense(5, activation='relu')"),
    ({"Dense": {"units": 5, "use_bias": False}}, "Dense(5, use_bias=False)"),
    ({"Dense": {"units": 5, "kernel_initializer": "zeros", "name": "out"}}, "Dense(5)"),
    ({"Dense": {"units": 5, "activation": None, "use_bias": True}}, "Dense(5)"),
])
def test_dense_title(layer, title):
    assert explain_data([12], [layer]).steps[0].layer.title() == title


def test_dense_why_on_2d_counts_the_weights():
    assert note([12], [{"Dense": {"units": 5}}]) == "fully connects the 12 features to 5 units (12×5 weights + 5 biases)"
    assert note([128], [{"Dense": {"units": 1}}]) == "fully connects the 128 features to 1 unit (128×1 weights + 1 bias)"


def test_dense_why_without_bias_mentions_no_bias():
    text = note([12], [{"Dense": {"units": 5, "use_bias": False}}])
    assert "12×5 weights" in text
    assert "bias" not in text


def test_dense_why_on_3d_says_it_is_time_distributed_dense():
    text = note([4, 128], [{"Dense": {"units": 12}}])
    assert "128→12" in text
    assert "each of 4 steps" in text
    assert "identical to TimeDistributed(Dense)" in text


def test_dense_why_on_4d_names_the_leading_axes():
    text = note([3, 7, 12], [{"Dense": {"units": 5}}])
    assert "12→5" in text
    assert "every position of the (3, 7) axes" in text


def test_dense_why_on_free_time_reads_well():
    assert "weights at each of the time steps;" in note([None, 128], [{"Dense": {"units": 12}}])


def test_dense_after_flatten_over_free_time_does_not_fit():
    c = case("stack_flatten_null_time_then_dense")
    assert "error" in c  # Keras refuses it too
    error = stack_error(c["input_shape"], c["layers"])
    assert error.exit_code == 1
    assert error.title.startswith("layer 2, Dense(5): ")
    assert "time*12" in error.title
    assert "depends on time" in error.found
    assert "GlobalAveragePooling1D" in error.fix


def test_dense_with_a_free_feature_axis_does_not_fit():
    error = stack_error(["feat"], [{"Dense": {"units": 5}}], {"feat": None})
    assert error.exit_code == 1
    assert "feat" in error.title


def test_dense_units_may_be_a_declared_symbol():
    explanation = explain_data([12], [{"Dense": {"units": "n_out"}}], {"n_out": 7})
    assert texts(explanation.output_shape) == ["batch", "7"]
    assert explanation.steps[0].params == 12 * 7 + 7


@pytest.mark.parametrize("args, words", [
    ({"units": 0}, "`units` must be a positive integer"),
    ({"units": -3}, "`units` must be a positive integer"),
    ({"units": True}, "`units` must be a positive integer"),
    ({"units": 2.5}, "`units` must be a positive integer"),
    ({}, "Dense needs `units`"),
    ({"units": 5, "activation": "rellu"}, "unknown activation 'rellu'"),
    ({"units": 5, "use_bias": "yes"}, "`use_bias` must be true or false"),
    ({"units": 5, "unit": 5}, "Dense has no argument `unit`"),
    ({"units": "n_hidden"}, "'n_hidden' is not a declared symbol"),
])
def test_dense_bad_arguments_are_unreadable(args, words):
    error = stack_error([12], [{"Dense": args}])
    assert error.exit_code == 2
    assert words in error.title


def test_dense_did_you_mean():
    assert stack_error([12], [{"Dense": {"units": 5, "activation": "rellu"}}]).fix == "did you mean 'relu'?"
    assert stack_error([12], [{"Dense": {"units": 5, "unit": 5}}]).fix == "did you mean 'units'?"


def test_dense_units_from_a_free_symbol_is_unreadable():
    error = stack_error([12], [{"Dense": {"units": "n"}}], {"n": None})
    assert error.exit_code == 2
    assert "free" in error.title


def test_dense_constructor_validates_required_and_unknown_arguments():
    with pytest.raises(ArgumentError) as missing:
        Dense()
    assert missing.value.argument == "units"
    with pytest.raises(ArgumentError) as unknown:
        Dense(units=5, nonsense=1)
    assert unknown.value.argument == "nonsense" and unknown.value.at_key


def test_dense_keras_defaults():
    layer = Dense(units=5)
    assert layer.activation is None
    assert layer.use_bias is True
    built = explain_data([12], [{"Dense": {"units": 5}}]).steps[0].layer
    assert (built.activation, built.use_bias) == (None, True)


@pytest.mark.parametrize("rank", [1, 2, 3, 4])
def test_dense_has_no_rank_hint(rank):
    assert Dense(units=5).hint_for_rank(rank) is None


# -- Activation ------------------------------------------------------------------------
@pytest.mark.parametrize("case_id", ["activation_softmax", "activation_relu", "activation_tanh"])
def test_activation_leaves_shape_unchanged_and_has_no_weights(case_id):
    c, explanation = explain_case(case_id)
    (step,) = explanation.steps
    assert step.output_shape == step.input_shape
    assert as_keras(step.output_shape) == c["layer_output_shapes"][0]
    assert step.params == c["layer_params"][0] == 0
    assert step.layer.weight_shapes(step.input_shape) == []


@pytest.mark.parametrize("activation, title", [
    ("softmax", "Activation('softmax')"),
    ("relu", "Activation('relu')"),
    ("tanh", "Activation('tanh')"),
])
def test_activation_title(activation, title):
    assert Activation(activation=activation).title() == title


def test_activation_softmax_why():
    assert note([7, 12], [{"Activation": {"activation": "softmax"}}]) == (
        "softmax over the last axis: each group of 12 values becomes positive and sums to 1; shape unchanged"
    )


def test_activation_elementwise_why():
    assert note([12], [{"Activation": {"activation": "relu"}}]) == "applies relu to every value on its own; shape unchanged"


def test_activation_log_softmax_does_not_claim_the_values_sum_to_1():
    text = note([7, 12], [{"Activation": {"activation": "log_softmax"}}])
    assert "sums to 1" not in text


def test_activation_none_is_described_as_linear():
    text = note([12], [{"Activation": {"activation": None}}])
    assert "None" not in text
    assert "linear" in text


@pytest.mark.parametrize("args, words, fix", [
    ({"activation": "sofmax"}, "unknown activation 'sofmax'", "did you mean 'softmax'?"),
    ({"activation": 3}, "`activation` must be an activation name", None),
    ({}, "Activation needs `activation`", None),
])
def test_activation_bad_arguments_are_unreadable(args, words, fix):
    error = stack_error([12], [{"Activation": args}])
    assert error.exit_code == 2
    assert words in error.title
    if fix:
        assert error.fix == fix


# -- Dropout -------------------------------------------------------------------------
def test_dropout_leaves_shape_unchanged_and_has_no_weights():
    c, explanation = explain_case("dropout")
    (step,) = explanation.steps
    assert as_keras(step.output_shape) == c["layer_output_shapes"][0] == [None, 7, 12]
    assert step.output_shape == step.input_shape
    assert step.params == c["layer_params"][0] == 0
    assert step.layer.weight_shapes(step.input_shape) == []


def test_dropout_title_shows_the_rate_only():
    assert explain_data([12], [{"Dropout": {"rate": 0.5}}]).steps[0].layer.title() == "Dropout(0.5)"
    layer = explain_data([7, 12], [{"Dropout": {"rate": 0.5, "noise_shape": [1, 12], "seed": 3}}]).steps[0].layer
    assert layer.title() == "Dropout(0.5)"


def test_dropout_why_says_training_only_and_unchanged_at_inference():
    text = note([7, 12], [{"Dropout": {"rate": 0.5}}])
    assert "50%" in text
    assert "in training" in text
    assert "at inference it passes the input through unchanged" in text


@pytest.mark.parametrize("rate, shown", [(0.125, "12.5%"), (0.001, "0.1%")])
def test_dropout_why_shows_the_exact_rate(rate, shown):
    assert shown in note([12], [{"Dropout": {"rate": rate}}])


@pytest.mark.parametrize("rate", [0, 0.0, 1, 1.0, 0.25])
def test_dropout_accepts_rates_from_0_to_1(rate):
    explanation = explain_data([12], [{"Dropout": {"rate": rate}}])
    assert explanation.steps[0].layer.rate == float(rate)


@pytest.mark.parametrize("rate", [1.5, -0.1, "half", True, None])
def test_dropout_rate_outside_0_to_1_is_unreadable(rate):
    error = stack_error([12], [{"Dropout": {"rate": rate}}])
    assert error.exit_code == 2
    assert "`rate` must be a number from 0 to 1" in error.title


def test_dropout_rate_is_required():
    error = stack_error([12], [{"Dropout": {}}])
    assert error.exit_code == 2 and "Dropout needs `rate`" in error.title


def test_dropout_constructor_rejects_rate_outside_0_to_1():
    with pytest.raises(ArgumentError):
        Dropout(rate=1.5)


# -- Embedding ---------------------------------------------------------------------------
@pytest.mark.parametrize("case_id", ["embedding_len7", "embedding_null_len", "embedding_mask_zero", "stack_embedding_lstm"])
def test_embedding_shape_params_and_weights_match_keras(case_id):
    c, explanation = explain_case(case_id)
    step = explanation.steps[0]
    assert as_keras(step.output_shape) == c["layer_output_shapes"][0]
    assert step.params == c["layer_params"][0]
    weights = step.layer.weight_shapes(step.input_shape)
    assert [name for name, _ in weights] == ["embeddings"]
    assert [list(shape) for _, shape in weights] == c["layer_weight_shapes"][0]
    assert explanation.input_dtype == c["input_dtype"] == "int32"


def test_embedding_table_is_input_dim_by_output_dim():
    c, explanation = explain_case("stack_embedding_lstm")  # Embedding(1000, 64) on 20 ids
    step = explanation.steps[0]
    assert step.layer.weight_shapes(step.input_shape) == [("embeddings", (1000, 64))]
    assert step.params == c["layer_params"][0] == 64000
    assert texts(step.output_shape) == ["batch", "20", "64"]


def test_embedding_adds_a_last_axis_over_a_free_length():
    c, explanation = explain_case("embedding_null_len")
    assert texts(explanation.output_shape) == ["batch", "time", "16"]
    for run in c["concrete"]:
        assert explanation.output_shape[1].evaluate({"time": run["input_shape"][0]}) == run["layer_output_shapes"][0][1]


def test_embedding_on_a_grid_of_ids():
    explanation = explain_data([3, 7], [{"Embedding": {"input_dim": 1000, "output_dim": 64}}])
    assert texts(explanation.output_shape) == ["batch", "3", "7", "64"]
    assert "each token id of the (3, 7) grid" in explanation.steps[0].note


def test_input_is_float_unless_the_first_layer_is_embedding():
    assert explain_data([12], [{"Dense": {"units": 5}}]).input_dtype == "float32"
    assert explain_data([7], [{"Embedding": {"input_dim": 100, "output_dim": 16}}]).input_dtype == "int32"


@pytest.mark.parametrize("layer, title", [
    ({"Embedding": {"input_dim": 1000, "output_dim": 64}}, "Embedding(1000, 64)"),
    ({"Embedding": {"input_dim": 100, "output_dim": 16, "mask_zero": True}}, "Embedding(100, 16, mask_zero=True)"),
    ({"Embedding": {"input_dim": 100, "output_dim": 16, "embeddings_initializer": "uniform"}}, "Embedding(100, 16)"),
])
def test_embedding_title(layer, title):
    assert explain_data([7], [layer]).steps[0].layer.title() == title


def test_embedding_why_mentions_the_table_and_the_new_axis():
    text = note([20], [{"Embedding": {"input_dim": 1000, "output_dim": 64}}])
    assert "1000×64" in text
    assert "each of the 20 token ids" in text
    assert "64-number vector" in text
    assert "new last axis of 64" in text
    assert "masked" not in text


def test_embedding_why_with_mask_zero_mentions_padding():
    text = note([7], [{"Embedding": {"input_dim": 100, "output_dim": 16, "mask_zero": True}}])
    assert "id 0 is padding and is masked" in text


def test_embedding_keras_defaults():
    assert Embedding(input_dim=10, output_dim=4).mask_zero is False


def test_embedding_input_length_is_accepted_and_ignored_as_keras_3_does():
    """Keras 3.15 takes Keras 2's input_length and ignores it, even when it contradicts the input."""
    c, explanation = explain_case("embedding_input_length_other_len")
    assert as_keras(explanation.output_shape) == c["output_shape"]
    assert explanation.total_params == c["total_params"]
    (note,) = explanation.steps[0].layer.notes()
    assert "Keras 3 accepts it and ignores it" in note
    assert explanation.steps[0].layer.title() == "Embedding(10, 3)"


@pytest.mark.parametrize("args, argument", [
    ({"input_dim": 0, "output_dim": 64}, "input_dim"),
    ({"input_dim": 1000, "output_dim": -1}, "output_dim"),
    ({"output_dim": 64}, "input_dim"),
    ({"input_dim": 1000}, "output_dim"),
])
def test_embedding_bad_sizes_are_unreadable(args, argument):
    error = stack_error([20], [{"Embedding": args}])
    assert error.exit_code == 2
    assert f"`{argument}`" in error.title


def test_embedding_constructor_requires_both_sizes():
    with pytest.raises(ArgumentError) as raised:
        Embedding(input_dim=10)
    assert raised.value.argument == "output_dim"


def test_embedding_weight_shapes_direct():
    layer = Embedding(input_dim=100, output_dim=16)
    assert layer.weight_shapes(batched([7])) == [("embeddings", (100, 16))]
    assert layer.params(batched([7])) == 1600 == case("embedding_len7")["layer_params"][0]


def test_every_activation_explain_accepts_is_checked_against_keras():
    import json
    from pathlib import Path

    import numpy as np

    from shapecli.activations import ACTIVATIONS

    fixtures = Path(__file__).parent.parent / "reference" / "numeric"
    checked = {json.loads(str(np.load(p)["stack"]))["layers"][0]["Activation"]["activation"]
               for p in fixtures.glob("activation_*.npz")}
    assert set(ACTIVATIONS) <= checked


@pytest.mark.parametrize("name, words", [("glu", "halves the last axis"), ("threshold", "needs `threshold`")])
def test_activations_that_cannot_serve_a_layer_are_refused(name, words):
    error = stack_error([7, 12], [{"Activation": {"activation": name}}])
    assert error.exit_code == 2
    assert error.title == f"Activation: activation '{name}' cannot be a layer's activation here"
    assert words in error.fix
