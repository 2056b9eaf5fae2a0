"""SimpleRNN, LSTM, GRU and their cells (shapecli/layers/recurrent.py).

Shapes, parameter counts and weight shapes come from the Keras 3 reference
(tests/reference/keras_layers.json).
"""

from __future__ import annotations

import pytest

from shapecli.errors import ArgumentError
from shapecli.layers.recurrent import GRU, LSTM, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell

from tests.helpers import as_keras, case, explain_case, explain_data, note, stack_error, texts


WITH_BIAS = ["kernel", "recurrent_kernel", "bias"]
NO_BIAS = ["kernel", "recurrent_kernel"]

RECURRENT_CASES = {
    "simplernn_default": WITH_BIAS,
    "simplernn_return_sequences": WITH_BIAS,
    "simplernn_go_backwards": WITH_BIAS,
    "simplernn_no_bias": NO_BIAS,
    "simplernn_null_time": WITH_BIAS,
    "simplernn_null_time_return_sequences": WITH_BIAS,
    "lstm_default": WITH_BIAS,
    "lstm_return_sequences": WITH_BIAS,
    "lstm_no_bias": NO_BIAS,
    "lstm_go_backwards": WITH_BIAS,
    "lstm_null_time": WITH_BIAS,
    "lstm_null_time_return_sequences": WITH_BIAS,
    "gru_default": WITH_BIAS,
    "gru_return_sequences": WITH_BIAS,
    "gru_reset_after_false": WITH_BIAS,
    "gru_no_bias_reset_after_true": NO_BIAS,
    "gru_no_bias_reset_after_false": NO_BIAS,
    "gru_null_time": WITH_BIAS,
}


# -- shapes, parameters, weights ---------------------------------------------------------
@pytest.mark.parametrize("case_id", RECURRENT_CASES)
def test_recurrent_shape_params_and_weights_match_keras(case_id):
    c, explanation = explain_case(case_id)
    (step,) = explanation.steps
    assert as_keras(step.output_shape) == c["layer_output_shapes"][0]
    assert step.params == c["layer_params"][0]
    weights = step.layer.weight_shapes(step.input_shape)
    assert [name for name, _ in weights] == RECURRENT_CASES[case_id]
    assert [list(shape) for _, shape in weights] == c["layer_weight_shapes"][0]


@pytest.mark.parametrize("case_id, expected", [
    ("lstm_default", ["batch", "8"]),
    ("lstm_return_sequences", ["batch", "7", "8"]),
    ("lstm_null_time", ["batch", "8"]),
    ("lstm_null_time_return_sequences", ["batch", "time", "8"]),
    ("simplernn_null_time_return_sequences", ["batch", "time", "8"]),
    ("gru_null_time", ["batch", "time", "8"]),
])
def test_recurrent_output_is_last_step_or_every_step(case_id, expected):
    _, explanation = explain_case(case_id)
    assert texts(explanation.output_shape) == expected


@pytest.mark.parametrize("case_id", [
    "simplernn_null_time", "simplernn_null_time_return_sequences", "lstm_null_time",
    "lstm_null_time_return_sequences", "gru_null_time",
])
def test_recurrent_over_free_time_matches_every_length_keras_tried(case_id):
    c, explanation = explain_case(case_id)
    out = explanation.output_shape
    for run in c["concrete"]:
        keras = run["layer_output_shapes"][0]
        assert [d.evaluate({"time": run["input_shape"][0]}) for d in out[1:]] == keras[1:]


def test_lstm_weight_layout_is_in_by_4u_u_by_4u_and_4u():
    c, explanation = explain_case("lstm_default")  # LSTM(8) on 12 features
    step = explanation.steps[0]
    assert step.layer.weight_shapes(step.input_shape) == [
        ("kernel", (12, 32)), ("recurrent_kernel", (8, 32)), ("bias", (32,)),
    ]
    assert c["layer_weight_shapes"][0] == [[12, 32], [8, 32], [32]]


def test_gru_bias_is_2_by_3u_with_reset_after():
    c, explanation = explain_case("gru_default")
    step = explanation.steps[0]
    assert step.layer.weight_shapes(step.input_shape) == [
        ("kernel", (12, 24)), ("recurrent_kernel", (8, 24)), ("bias", (2, 24)),
    ]
    assert c["layer_weight_shapes"][0][2] == [2, 24]


def test_gru_bias_is_3u_without_reset_after():
    c, explanation = explain_case("gru_reset_after_false")
    step = explanation.steps[0]
    assert step.layer.weight_shapes(step.input_shape)[2] == ("bias", (24,))
    assert c["layer_weight_shapes"][0][2] == [24]
    assert step.params == c["layer_params"][0] == 504


def test_simple_rnn_weight_layout():
    c, explanation = explain_case("simplernn_default")
    step = explanation.steps[0]
    assert step.layer.weight_shapes(step.input_shape) == [
        ("kernel", (12, 8)), ("recurrent_kernel", (8, 8)), ("bias", (8,)),
    ]
    assert step.params == c["layer_params"][0] == 168


def test_addition_model_lstm_params_match_keras():
    c, explanation = explain_case("stack_addition_encoder_decoder")
    encoder, decoder = explanation.steps[0], explanation.steps[2]
    assert encoder.params == c["layer_params"][0] == 72192
    assert decoder.params == c["layer_params"][2] == 131584


def test_stacked_lstm_matches_keras():
    c, explanation = explain_case("stack_stacked_lstm")
    assert [as_keras(s.output_shape) for s in explanation.steps] == c["layer_output_shapes"]
    assert [s.params for s in explanation.steps] == c["layer_params"]


def test_masked_embedding_then_lstm_over_free_length():
    c, explanation = explain_case("embedding_mask_zero_lstm")
    assert [s.params for s in explanation.steps] == c["layer_params"] == [1600, 800]
    assert texts(explanation.output_shape) == ["batch", "8"]


# -- cells ---------------------------------------------------------------------------
@pytest.mark.parametrize("layer_class, cell_class, gates", [
    (SimpleRNN, SimpleRNNCell, 1), (LSTM, LSTMCell, 4), (GRU, GRUCell, 3),
])
def test_each_layer_runs_its_cell(layer_class, cell_class, gates):
    layer = layer_class(units=8)
    assert type(layer.cell) is cell_class
    assert layer.cell.gates == gates
    assert layer.cell.units == 8
    assert layer.cell.weight_shapes(12)[:2] == [("kernel", (12, 8 * gates)), ("recurrent_kernel", (8, 8 * gates))]


@pytest.mark.parametrize("reset_after, bias", [(True, (2, 12)), (False, (12,))])
def test_gru_cell_bias_shape_follows_reset_after(reset_after, bias):
    cell = GRU(units=4, reset_after=reset_after).cell
    assert cell.bias_shape() == bias
    assert cell.weight_shapes(12)[-1] == ("bias", bias)


def test_cells_without_bias_have_two_weights():
    assert [n for n, _ in LSTM(units=4, use_bias=False).cell.weight_shapes(12)] == NO_BIAS


# -- titles ------------------------------------------------------------------------------
@pytest.mark.parametrize("layer, title", [
    ({"LSTM": {"units": 128}}, "LSTM(128)"),
    ({"LSTM": {"units": 128, "return_sequences": True}}, "LSTM(128, return_sequences=True)"),
    ({"LSTM": {"units": 8, "go_backwards": True, "return_sequences": True}},
     "LSTM(8, return_sequences=True, go_backwards=True)"),
    ({"GRU": {"units": 8, "reset_after": False}}, "GRU(8, reset_after=False)"),
    ({"GRU": {"units": 8, "reset_after": True}}, "GRU(8)"),
    ({"SimpleRNN": {"units": 8, "activation": "relu", "dropout": 0.2}}, "SimpleRNN(8, activation='relu', dropout=0.2)"),
    ({"LSTM": {"units": 8, "unroll": True, "kernel_initializer": "zeros", "use_cudnn": False}}, "LSTM(8)"),
    ({"LSTM": {"units": 8, "use_bias": False}}, "LSTM(8, use_bias=False)"),
])
def test_recurrent_title(layer, title):
    assert explain_data([7, 12], [layer]).steps[0].layer.title() == title


def test_addition_model_titles():
    _, explanation = explain_case("stack_addition_encoder_decoder")
    assert explanation.steps[0].layer.title() == "LSTM(128)"
    assert explanation.steps[2].layer.title() == "LSTM(128, return_sequences=True)"


# -- why ---------------------------------------------------------------------------------
def test_why_without_return_sequences_only_the_last_step_is_passed_on():
    text = note([7, 12], [{"LSTM": {"units": 128}}])
    assert text == (
        "return_sequences=False: only the last of 7 steps is passed on — "
        "the 128-unit state after reading the whole sequence"
    )


def test_why_with_return_sequences_every_step_is_passed_on():
    text = note([4, 128], [{"LSTM": {"units": 128, "return_sequences": True}}])
    assert text == "return_sequences=True: the 128-unit output at each of 4 steps is passed on"


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_why_is_the_same_loop_for_every_recurrent_layer(name):
    assert "only the last of 7 steps is passed on" in note([7, 12], [{name: {"units": 8}}])
    assert "the 8-unit output at each of 7 steps" in note([7, 12], [{name: {"units": 8, "return_sequences": True}}])


def test_why_over_free_time_names_the_steps():
    assert "only the last of the time steps is passed on" in note([None, 12], [{"LSTM": {"units": 8}}])
    assert "at each of the time steps" in note([None, 12], [{"GRU": {"units": 8, "return_sequences": True}}])


def test_why_go_backwards_with_return_sequences_says_reversed_time_order():
    text = note([7, 12], [{"LSTM": {"units": 8, "go_backwards": True, "return_sequences": True}}])
    assert "last-to-first" in text
    assert "reversed time order" in text


def test_why_go_backwards_without_return_sequences_says_last_to_first():
    text = note([7, 12], [{"SimpleRNN": {"units": 8, "go_backwards": True}}])
    assert "reads the steps last-to-first (go_backwards)" in text
    assert "only the last of 7 steps" in text
    assert "reversed" not in text


def test_why_forward_reading_does_not_mention_go_backwards():
    assert "go_backwards" not in note([7, 12], [{"LSTM": {"units": 8, "return_sequences": True}}])


# -- shape errors -------------------------------------------------------------------------
def test_lstm_on_2d_does_not_fit_like_keras():
    c = case("lstm_fed_2d")
    assert "error" in c
    error = stack_error(c["input_shape"], c["layers"])
    assert error.exit_code == 1
    assert "LSTM needs a 3D input (batch, time, features), but gets a 2D one" in error.title
    assert error.found == "(batch, 12)"
    assert error.fix == "give it a sequence: (batch, time, features)"


def test_stacked_lstm_without_return_sequences_says_to_add_it():
    c = case("stack_stacked_lstm_missing_return_sequences")
    assert "error" in c
    error = stack_error(c["input_shape"], c["layers"])
    assert error.exit_code == 1
    assert error.title.startswith("layer 2, LSTM(16): ")
    assert error.fix.startswith("layer 1, LSTM(32)")
    assert "add `return_sequences: true`" in error.fix
    assert error.notes == ["layer 1, LSTM(32), outputs (batch, 32)"]


def test_return_state_ends_a_sequential_stack_with_a_list_as_keras_does():
    c, explanation = explain_case("lstm_return_state")
    assert [as_keras(shape) for shape in explanation.output_shape] == c["output_shape"]
    assert explanation.total_params == c["total_params"]
    assert "return_state=True: also hands on the final h (batch, 8) and c (batch, 8)" in explanation.steps[0].why


def test_return_state_then_dense_is_refused_like_keras():
    c = case("lstm_return_state_then_dense")
    assert "error" in c
    error = stack_error(c["input_shape"], c["layers"])
    assert error.exit_code == 1
    assert error.title == ("layer 2, Dense(3): LSTM(8, return_state=True) gives 3 tensors ((batch, 8), (batch, 8), "
                           "(batch, 8)), and Dense takes one")
    assert error.found == "a list of 3: [output, h, c]"
    assert error.fix.startswith("remove return_state")


def test_free_feature_axis_does_not_fit():
    error = stack_error([7, "feat"], [{"LSTM": {"units": 8}}], {"feat": None})
    assert error.exit_code == 1
    assert "number of features per step" in error.title


# -- arguments ------------------------------------------------------------------------------
def test_keras_defaults():
    gru = explain_data([7, 12], [{"GRU": {"units": 8}}]).steps[0].layer
    assert gru.reset_after is True
    lstm = LSTM(units=8)
    assert (lstm.activation, lstm.recurrent_activation) == ("tanh", "sigmoid")
    assert (lstm.use_bias, lstm.return_sequences, lstm.return_state, lstm.go_backwards) == (True, False, False, False)
    assert (lstm.dropout, lstm.recurrent_dropout, lstm.stateful) == (0.0, 0.0, False)
    assert SimpleRNN(units=8).activation == "tanh"
    assert GRU(units=8).reset_after is True


@pytest.mark.parametrize("layer, words", [
    ({"LSTM": {"units": 0}}, "`units` must be a positive integer"),
    ({"LSTM": {}}, "LSTM needs `units`"),
    ({"LSTM": {"units": 8, "return_sequences": "yes"}}, "`return_sequences` must be true or false"),
    ({"GRU": {"units": 8, "dropout": 1.5}}, "`dropout` must be a number from 0 to 1"),
    ({"GRU": {"units": 8, "recurrent_activation": "sigmod"}}, "unknown activation 'sigmod'"),
    ({"LSTM": {"units": 8, "reset_after": False}}, "LSTM has no argument `reset_after`"),
    ({"SimpleRNN": {"units": 8, "recurrent_activation": "sigmoid"}}, "SimpleRNN has no argument `recurrent_activation`"),
    ({"LSTM": {"units": 8, "return_sequence": True}}, "LSTM has no argument `return_sequence`"),
])
def test_bad_arguments_are_unreadable(layer, words):
    error = stack_error([7, 12], [layer])
    assert error.exit_code == 2
    assert words in error.title


def test_misspelt_return_sequences_gets_a_did_you_mean():
    error = stack_error([7, 12], [{"LSTM": {"units": 8, "return_sequence": True}}])
    assert error.fix == "did you mean 'return_sequences'?"


def test_constructor_requires_units():
    with pytest.raises(ArgumentError) as raised:
        GRU()
    assert raised.value.argument == "units"


# -- hint_for_rank ---------------------------------------------------------------------------
@pytest.mark.parametrize("layer_class", [SimpleRNN, LSTM, GRU])
def test_hint_for_rank_3_without_return_sequences_says_add_it(layer_class):
    did, fix = layer_class(units=8).hint_for_rank(3)
    assert "return_sequences=False" in did
    assert "add `return_sequences: true`" in fix


@pytest.mark.parametrize("layer_class", [SimpleRNN, LSTM, GRU])
def test_hint_for_rank_2_with_return_sequences_says_remove_it(layer_class):
    did, fix = layer_class(units=8, return_sequences=True).hint_for_rank(2)
    assert "return_sequences=True" in did
    assert "remove `return_sequences: true`" in fix


@pytest.mark.parametrize("return_sequences, rank", [(False, 2), (True, 3), (False, 4), (True, 4)])
def test_hint_for_rank_is_none_when_return_sequences_would_not_help(return_sequences, rank):
    assert LSTM(units=8, return_sequences=return_sequences).hint_for_rank(rank) is None


@pytest.mark.parametrize("layer", ["SimpleRNN", "LSTM", "GRU"])
def test_stateful_needs_a_fixed_batch_size_like_keras(layer):
    # Keras: "When using `stateful=True` in a RNN, the batch size must be static."
    error = stack_error([7, 12], [{layer: {"units": 4, "stateful": True}}])
    assert error.exit_code == 1
    assert "fixed batch size" in error.title
    assert error.fix.startswith("remove stateful")


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("args", [{"return_sequences": True, "return_state": True},
                                  {"go_backwards": True, "return_state": True}])
@pytest.mark.parametrize("batch", [7, 2])  # 7: at least twice HALF_BATCH; 2: two matrix-vector products
def test_a_large_batch_runs_as_two_halves_with_the_same_numbers(monkeypatch, kind, args, batch):
    """The samples of a batch never meet: two halves side by side (ops.side_by_side) give the numbers one
    loop over the whole batch gives, padding and states included, and every claim still holds."""
    import numpy as np

    from shapecli import ops
    from shapecli.claims import check_run
    from shapecli.layers import recurrent
    from shapecli.numeric import run_plan

    explanation = explain_data([9], [{"Embedding": {"input_dim": 20, "output_dim": 6, "mask_zero": True}},
                                     {kind: {"units": 5, **args}}])
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setattr(recurrent, "HALF_BATCH", 3)
    runs = {}
    for name, work in (("whole", 10**12), ("halves", 0)):
        monkeypatch.setattr(ops, "SIDE_BY_SIDE_WORK", work)
        monkeypatch.setattr(ops, "SIDE_BY_SIDE_TOTAL", work)
        runs[name] = run_plan(explanation, {"batch": batch}, seed=5)
        assert all(claim.ok for layer in check_run(runs[name]) for claim in layer)
    whole, halves = runs["whole"].layers[-1].output, runs["halves"].layers[-1].output
    assert len(whole) == len(halves) == (3 if kind == "LSTM" else 2)
    for a, b in zip(whole, halves):
        assert a.shape == b.shape and a.shape[0] == batch
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_halves_start_from_their_own_rows_of_the_initial_state(monkeypatch):
    import numpy as np

    from shapecli import ops
    from shapecli.layers import recurrent

    layer = LSTM(units=4, return_sequences=True, return_state=True)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 5, 3)).astype("float32")
    weights = [rng.standard_normal(s).astype("float32") for s in ((3, 16), (4, 16), (16,))]
    start = [rng.standard_normal((6, 4)).astype("float32") for _ in range(2)]
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setattr(recurrent, "HALF_BATCH", 3)
    monkeypatch.setattr(ops, "SIDE_BY_SIDE_WORK", 0)
    monkeypatch.setattr(ops, "SIDE_BY_SIDE_TOTAL", 0)
    halves = layer.forward(x, weights, initial_state=start)
    whole = layer.forward(x, weights, initial_state=start, split_batch=False)
    for a, b in zip(whole, halves):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert not np.allclose(halves[0], layer.forward(x, weights)[0])  # the initial state was used
