"""TimeDistributed and Bidirectional (shapecli/layers/wrappers.py).

Shapes, parameter counts and weight shapes come from the Keras 3 reference
(tests/reference/keras_layers.json).
"""

from __future__ import annotations

import pytest

from shapecli.errors import ArgumentError
from shapecli.layers.core import Dense
from shapecli.layers.recurrent import GRU, LSTM, SimpleRNN
from shapecli.layers.reshaping import Flatten
from shapecli.layers.wrappers import Bidirectional, TimeDistributed

from tests.helpers import as_keras, case, explain_case, explain_data, note, stack_error, texts


def bidirectional(inner: dict, **args) -> dict:
    return {"Bidirectional": {"layer": inner, **args}}


# -- TimeDistributed ------------------------------------------------------------------------
TD_CASES = {
    "td_dense": (["batch", "7", "3"], ["kernel", "bias"]),
    "td_dense_null_time": (["batch", "time", "3"], ["kernel", "bias"]),
    "td_flatten_4d": (["batch", "3", "84"], []),
    "td_gap1d_4d": (["batch", "3", "12"], []),
    "td_conv1d_4d": (["batch", "3", "5", "6"], ["kernel", "bias"]),
    "td_dense_4d": (["batch", "3", "7", "3"], ["kernel", "bias"]),
    "stack_td_dense_on_3d": (["batch", "4", "12"], ["kernel", "bias"]),
}


@pytest.mark.parametrize("case_id", TD_CASES)
def test_time_distributed_shape_params_and_weights_match_keras(case_id):
    c, explanation = explain_case(case_id)
    (step,) = explanation.steps
    expected_shape, names = TD_CASES[case_id]
    assert texts(step.output_shape) == expected_shape
    assert as_keras(step.output_shape) == c["layer_output_shapes"][0]
    assert step.params == c["layer_params"][0]
    weights = step.layer.weight_shapes(step.input_shape)
    assert [name for name, _ in weights] == names
    assert [list(shape) for _, shape in weights] == c["layer_weight_shapes"][0]


def test_time_distributed_dense_over_free_time_matches_every_length_keras_tried():
    c, explanation = explain_case("td_dense_null_time")
    time = explanation.output_shape[1]
    for run in c["concrete"]:
        assert time.evaluate({"time": run["input_shape"][0]}) == run["layer_output_shapes"][0][1]


def test_time_distributed_has_the_inner_layers_weights():
    _, explanation = explain_case("stack_td_dense_on_3d")
    step = explanation.steps[0]
    assert step.layer.weight_shapes(step.input_shape) == [("kernel", (128, 12)), ("bias", (12,))]
    assert step.params == 128 * 12 + 12


def test_time_distributed_folds_time_into_the_batch_for_the_inner_layer():
    _, explanation = explain_case("td_conv1d_4d")
    step = explanation.steps[0]
    assert texts(step.layer.step_shape(step.input_shape)) == ["batch", "7", "12"]


@pytest.mark.parametrize("layer, title", [
    ({"TimeDistributed": {"layer": {"Dense": {"units": 12}}}}, "TimeDistributed(Dense(12))"),
    ({"TimeDistributed": {"layer": {"Dense": {"units": 12, "activation": "softmax"}}}},
     "TimeDistributed(Dense(12, activation='softmax'))"),
    ({"TimeDistributed": {"layer": "Flatten"}}, "TimeDistributed(Flatten())"),
])
def test_time_distributed_title(layer, title):
    assert explain_data([3, 7, 12], [layer]).steps[0].layer.title() == title


def test_time_distributed_dense_why():
    _, explanation = explain_case("stack_addition_encoder_decoder")
    assert explanation.steps[3].note == (
        "the same Dense 128→12 is applied at each of 4 steps (weights shared across time)"
    )


def test_time_distributed_dense_why_over_free_time():
    text = note([None, 12], [{"TimeDistributed": {"layer": {"Dense": {"units": 3}}}}])
    assert "the same Dense 12→3 is applied at each of the time steps" in text


def test_time_distributed_why_for_a_layer_without_weights():
    text = note([3, 7, 12], [{"TimeDistributed": {"layer": "Flatten"}}])
    assert text == "applies Flatten() to each of 3 steps separately: (7, 12) → (84,) per step"
    assert "weights shared" not in text


def test_time_distributed_why_for_conv1d_shares_weights():
    text = note([3, 7, 12], [{"TimeDistributed": {"layer": {"Conv1D": {"filters": 6, "kernel_size": 3}}}}])
    assert "applies Conv1D(6, 3) to each of 3 steps separately" in text
    assert "(7, 12) → (5, 6) per step" in text
    assert "(weights shared across time)" in text


def test_time_distributed_on_2d_does_not_fit():
    error = stack_error([12], [{"TimeDistributed": {"layer": {"Dense": {"units": 3}}}}])
    assert error.exit_code == 1
    assert "TimeDistributed needs at least a 3D input (batch, time, ...), but gets a 2D one" in error.title


def test_time_distributed_after_an_lstm_without_return_sequences_says_add_it():
    error = stack_error([7, 12], [{"LSTM": {"units": 8}}, {"TimeDistributed": {"layer": {"Dense": {"units": 4}}}}])
    assert error.exit_code == 1
    assert error.fix.startswith("layer 1, LSTM(8)")
    assert "add `return_sequences: true`" in error.fix


def test_time_distributed_passes_on_the_inner_layers_shape_errors():
    error = stack_error([3, 2, 4], [{"TimeDistributed": {"layer": {"Conv1D": {"filters": 6, "kernel_size": 5}}}}])
    assert error.exit_code == 1
    assert "needs at least 5 steps, but gets 2" in error.title


def test_time_distributed_inner_rank_error_describes_the_wrappers_input():
    error = stack_error([7, 12], [{"Dense": {"units": 8}}, {"TimeDistributed": {"layer": {"LSTM": {"units": 4}}}}])
    assert error.exit_code == 1
    assert "2D" not in error.title
    assert "4D" in error.title


@pytest.mark.parametrize("args, words", [
    ({}, "TimeDistributed needs `layer`"),
    ({"layer": {"Dens": {"units": 3}}}, "unknown layer 'Dens'"),
    ({"layer": {"Dense": {"units": 0}}}, "`units` must be a positive integer"),
    ({"layer": None}, "a layer must be a one-key mapping"),
])
def test_time_distributed_bad_layer_is_unreadable(args, words):
    error = stack_error([7, 12], [{"TimeDistributed": args}])
    assert error.exit_code == 2
    assert words in error.title


def test_time_distributed_constructor_needs_a_layer_instance():
    with pytest.raises(ArgumentError) as raised:
        TimeDistributed(layer="Dense")
    assert raised.value.argument == "layer"
    assert TimeDistributed(layer=Dense(units=3)).title() == "TimeDistributed(Dense(3))"


@pytest.mark.parametrize("inner", [Dense(units=3), Flatten(), LSTM(units=4)])
@pytest.mark.parametrize("rank", [2, 3])
def test_time_distributed_has_no_rank_hint(inner, rank):
    assert TimeDistributed(layer=inner).hint_for_rank(rank) is None


# -- Bidirectional ------------------------------------------------------------------------------
BIDIRECTIONAL_CASES = [
    "bidir_lstm_concat", "bidir_lstm_sum", "bidir_lstm_mul", "bidir_lstm_ave", "bidir_lstm_default_merge",
    "bidir_lstm_concat_return_sequences", "bidir_lstm_sum_return_sequences", "bidir_gru_concat", "bidir_gru_sum",
    "bidir_gru_ave_return_sequences", "bidir_simplernn_concat", "bidir_simplernn_mul_return_sequences",
    "bidir_lstm_null_time",
]
DIRECTION_WEIGHTS = ["kernel", "recurrent_kernel", "bias"]


@pytest.mark.parametrize("case_id", BIDIRECTIONAL_CASES)
def test_bidirectional_shape_params_and_weights_match_keras(case_id):
    c, explanation = explain_case(case_id)
    (step,) = explanation.steps
    assert as_keras(step.output_shape) == c["layer_output_shapes"][0]
    assert step.params == c["layer_params"][0]
    weights = step.layer.weight_shapes(step.input_shape)
    assert [name for name, _ in weights] == (
        [f"forward_{n}" for n in DIRECTION_WEIGHTS] + [f"backward_{n}" for n in DIRECTION_WEIGHTS]
    )
    assert [list(shape) for _, shape in weights] == c["layer_weight_shapes"][0]


@pytest.mark.parametrize("case_id, inner_params", [  # the inner layer has 4 units, on 12 features
    ("bidir_lstm_concat", 4 * (12 * 4 + 4 * 4 + 4)),  # 4 gates
    ("bidir_gru_concat", 3 * (12 * 4 + 4 * 4 + 2 * 4)),  # 3 gates, reset_after: two biases
    ("bidir_simplernn_concat", 12 * 4 + 4 * 4 + 4),
])
def test_bidirectional_has_twice_the_inner_parameters(case_id, inner_params):
    c, explanation = explain_case(case_id)
    assert explanation.steps[0].params == 2 * inner_params == c["layer_params"][0]


@pytest.mark.parametrize("merge_mode, width", [("concat", "8"), ("sum", "4"), ("mul", "4"), ("ave", "4")])
def test_bidirectional_merge_mode_sets_the_width(merge_mode, width):
    explanation = explain_data([7, 12], [bidirectional({"LSTM": {"units": 4}}, merge_mode=merge_mode)])
    assert texts(explanation.output_shape) == ["batch", width]
    explanation = explain_data([7, 12], [bidirectional({"LSTM": {"units": 4, "return_sequences": True}},
                                                        merge_mode=merge_mode)])
    assert texts(explanation.output_shape) == ["batch", "7", width]


def test_bidirectional_over_free_time_matches_every_length_keras_tried():
    c, explanation = explain_case("bidir_lstm_null_time")
    assert texts(explanation.output_shape) == ["batch", "time", "8"]
    for run in c["concrete"]:
        assert explanation.output_shape[1].evaluate({"time": run["input_shape"][0]}) == run["layer_output_shapes"][0][1]


def test_bidirectional_backward_layer_supplies_the_backward_weights():
    lstm = case("bidir_lstm_concat")["layer_weight_shapes"][0]
    gru = case("bidir_gru_concat")["layer_weight_shapes"][0]
    explanation = explain_data([7, 12], [bidirectional({"LSTM": {"units": 4}},
                                                       backward_layer={"GRU": {"units": 4, "go_backwards": True}})])
    step = explanation.steps[0]
    weights = step.layer.weight_shapes(step.input_shape)
    assert [n for n, _ in weights][:3] == [f"forward_{n}" for n in DIRECTION_WEIGHTS]
    assert [n for n, _ in weights][3:] == [f"backward_{n}" for n in DIRECTION_WEIGHTS]
    assert [list(s) for _, s in weights] == lstm[:3] + gru[3:]
    assert texts(step.output_shape) == ["batch", "8"]
    assert step.layer.title() == "Bidirectional(LSTM(4), backward_layer=GRU(4, go_backwards=True))"


@pytest.mark.parametrize("layer, title", [
    (bidirectional({"LSTM": {"units": 64}}), "Bidirectional(LSTM(64))"),
    (bidirectional({"LSTM": {"units": 64}}, merge_mode="concat"), "Bidirectional(LSTM(64))"),
    (bidirectional({"LSTM": {"units": 64}}, merge_mode="sum"), "Bidirectional(LSTM(64), merge_mode='sum')"),
    (bidirectional({"GRU": {"units": 4, "return_sequences": True}}, merge_mode="ave"),
     "Bidirectional(GRU(4, return_sequences=True), merge_mode='ave')"),
])
def test_bidirectional_title(layer, title):
    assert explain_data([7, 12], [layer]).steps[0].layer.title() == title


def test_bidirectional_concat_why_adds_the_widths():
    text = note([7, 12], [bidirectional({"LSTM": {"units": 64}})])
    assert "runs LSTM(64) forwards and a copy backwards over 7 steps" in text
    assert "64+64 = 128" in text
    assert "each direction's final output" in text


def test_bidirectional_sum_why_keeps_the_width():
    text = note([7, 12], [bidirectional({"LSTM": {"units": 64}}, merge_mode="sum")])
    assert "the width stays 64" in text
    assert "64+64" not in text


@pytest.mark.parametrize("merge_mode, words", [
    ("mul", "mul multiplies the two 4-unit outputs value by value: the width stays 4"),
    ("ave", "ave averages the two 4-unit outputs: the width stays 4"),
])
def test_bidirectional_mul_and_ave_why(merge_mode, words):
    assert words in note([7, 12], [bidirectional({"GRU": {"units": 4}}, merge_mode=merge_mode)])


def test_bidirectional_with_return_sequences_merges_at_each_step():
    text = note([7, 12], [bidirectional({"LSTM": {"units": 4, "return_sequences": True}})])
    assert "(at each step)" in text
    assert "4+4 = 8" in text


def test_bidirectional_merge_mode_none_does_not_fit():
    error = stack_error([7, 12], [bidirectional({"LSTM": {"units": 4}}, merge_mode=None)])
    assert error.exit_code == 1
    assert "merge_mode=None makes Bidirectional return two tensors" in error.title
    assert "concat" in error.fix


def test_bidirectional_dense_is_refused_like_keras():
    c = case("bidir_dense")
    assert "error" in c
    error = stack_error(c["input_shape"], c["layers"])
    assert error.exit_code == 2
    assert "Bidirectional wraps a recurrent layer, not Dense" in error.title
    assert error.found == "Dense(4)"


@pytest.mark.parametrize("args, words", [
    ({"layer": {"LSTM": {"units": 4}}, "merge_mode": "max"}, "`merge_mode` must be one of"),
    ({"layer": {"LSTM": {"units": 4}}, "merge_mode": "Sum"}, "`merge_mode` must be one of"),
    ({}, "Bidirectional needs `layer`"),
    ({"layer": {"LSTM": {"units": 4}}, "backward_layer": {"LSTM": {"units": 4, "go_backwards": True, "return_sequences": True}}},
     "backward_layer must match layer in return_sequences"),
    ({"layer": {"LSTM": {"units": 4}}, "backward_layer": {"Dense": {"units": 4}}},
     "Bidirectional wraps a recurrent layer, not Dense"),
])
def test_bidirectional_bad_arguments_are_unreadable(args, words):
    error = stack_error([7, 12], [{"Bidirectional": args}])
    assert error.exit_code == 2
    assert words in error.title


def test_bidirectional_merge_mode_did_you_mean():
    error = stack_error([7, 12], [bidirectional({"LSTM": {"units": 4}}, merge_mode="Sum")])
    assert error.fix == "did you mean 'sum'?"


@pytest.mark.parametrize("args", [
    {"layer": {"LSTM": {"units": 4}}, "backward_layer": {"LSTM": {"units": 4}}},
    {"layer": {"LSTM": {"units": 4, "go_backwards": True}}},
])
def test_bidirectional_directions_must_differ_in_go_backwards(args):
    error = stack_error([7, 12], [{"Bidirectional": args}])
    assert error.exit_code == 2


def test_bidirectional_on_2d_does_not_fit():
    error = stack_error([12], [bidirectional({"LSTM": {"units": 4}})])
    assert error.exit_code == 1
    assert "LSTM needs a 3D input" in error.title


def test_bidirectional_return_state_gives_the_merged_output_then_each_directions_states():
    """Keras 3.15: Bidirectional(LSTM(4, return_state=True)) on (batch, 7, 3) gives 5 tensors: (batch, 8), then
    forward h, c and backward h, c, each (batch, 4)."""
    lstm = explain_data([7, 3], [bidirectional({"LSTM": {"units": 4, "return_state": True}})])
    assert [texts(s) for s in lstm.output_shape] == [["batch", "8"]] + [["batch", "4"]] * 4
    gru = explain_data([7, 3], [bidirectional({"GRU": {"units": 4, "return_state": True, "return_sequences": True}})])
    assert [texts(s) for s in gru.output_shape] == [["batch", "7", "8"], ["batch", "4"], ["batch", "4"]]
    error = stack_error([7, 12], [bidirectional({"GRU": {"units": 4, "return_state": True}}), {"Dense": {"units": 2}}])
    assert error.exit_code == 1 and error.found == "a list of 3: [output, forward h, backward h]"


@pytest.mark.parametrize("inner", [Dense(units=4), Flatten(), TimeDistributed(layer=Dense(units=4))])
def test_bidirectional_constructor_refuses_a_non_recurrent_layer(inner):
    with pytest.raises(ArgumentError) as raised:
        Bidirectional(layer=inner)
    assert raised.value.argument == "layer"
    assert raised.value.found == inner.title()


def test_bidirectional_constructor_checks_backward_layer():
    with pytest.raises(ArgumentError) as raised:
        Bidirectional(layer=LSTM(units=4), backward_layer=LSTM(units=4, return_sequences=True, go_backwards=True))
    assert raised.value.argument == "backward_layer"


def test_bidirectional_keras_default_merge_mode_is_concat():
    assert Bidirectional(layer=LSTM(units=4)).merge_mode == "concat"
    c, explanation = explain_case("bidir_lstm_default_merge")
    assert explanation.steps[0].layer.merge_mode == "concat"
    assert as_keras(explanation.output_shape) == c["layer_output_shapes"][0] == [None, 8]


@pytest.mark.parametrize("inner_class", [SimpleRNN, LSTM, GRU])
@pytest.mark.parametrize("return_sequences, rank, did, fix", [
    (False, 3, "passes on only its last step (return_sequences=False)",
     "add `return_sequences: true` to its inner {name} (under `layer:`) so it passes on every step"),
    (True, 2, "passes on every step (return_sequences=True)",
     "remove `return_sequences: true` from its inner {name} (under `layer:`) so it passes on only its last step"),
    (False, 2, None, None),
    (True, 3, None, None),
])
def test_bidirectional_hint_for_rank_names_the_inner_layer(inner_class, return_sequences, rank, did, fix):
    hint = Bidirectional(layer=inner_class(units=4, return_sequences=return_sequences)).hint_for_rank(rank)
    if did is None:
        assert hint is None
    else:
        assert hint == (did, fix.format(name=inner_class.__name__))


def test_bidirectional_hint_without_return_sequences_says_add_it():
    did, fix = Bidirectional(layer=LSTM(units=4)).hint_for_rank(3)
    assert "add `return_sequences: true`" in fix


def test_bidirectional_then_lstm_error_points_at_the_bidirectional_layer():
    error = stack_error([7, 12], [bidirectional({"LSTM": {"units": 4}}), {"LSTM": {"units": 3}}])
    assert error.exit_code == 1
    assert error.fix.startswith("layer 1, Bidirectional(LSTM(4))")
    assert "add `return_sequences: true`" in error.fix
    assert error.notes == ["layer 1, Bidirectional(LSTM(4)), outputs (batch, 8)"]


def test_bidirectional_then_lstm_fix_says_where_return_sequences_goes():
    error = stack_error([7, 12], [bidirectional({"LSTM": {"units": 4}}), {"LSTM": {"units": 3}}])
    advice = error.fix.split("add `return_sequences: true`", 1)[1]
    assert "LSTM" in advice


def test_return_sequences_on_bidirectional_itself_is_unreadable():
    error = stack_error([7, 12], [bidirectional({"LSTM": {"units": 4}}, return_sequences=True)])
    assert error.exit_code == 2
    assert "Bidirectional has no argument `return_sequences`" in error.title


@pytest.mark.parametrize("inner", ["LSTM", "GRU"])
def test_bidirectional_directions_side_by_side_give_the_same_numbers(monkeypatch, inner):
    """The two directions run in two threads (ops.side_by_side): the same numbers as one after the
    other, states and padding included, and every claim still holds."""
    import numpy as np

    from shapecli import ops
    from shapecli.claims import check_run
    from shapecli.numeric import run_plan

    explanation = explain_data([9], [
        {"Embedding": {"input_dim": 20, "output_dim": 6, "mask_zero": True}},
        {"Bidirectional": {"layer": {inner: {"units": 5, "return_sequences": True, "return_state": True}}}}])
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    runs = {}
    for name, work in (("one after the other", 10**12), ("side by side", 0)):
        monkeypatch.setattr(ops, "SIDE_BY_SIDE_WORK", work)
        monkeypatch.setattr(ops, "SIDE_BY_SIDE_TOTAL", work)
        runs[name] = run_plan(explanation, {"batch": 4}, seed=3)
        assert all(claim.ok for layer in check_run(runs[name]) for claim in layer)
    apart, beside = (runs[name].layers[-1].output for name in ("one after the other", "side by side"))
    assert len(apart) == len(beside) == (3 if inner == "GRU" else 5)
    for a, b in zip(apart, beside):
        np.testing.assert_array_equal(a, b)
