"""Claims (`shapecli.claims` and each layer's `claims`): the sentences of `explain`, tested on numbers.

Every bundled scenario holds all its claims; each kind of sentence has its claim; and a layer
that is made to misbehave (monkeypatched) is caught by the checker itself.
"""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from shapecli.claims import MASK, Claim, check_layer, check_run, exactly_equal, params_claim, same_numbers, shape_claim
from shapecli.cli import cli
from shapecli.layers.core import Dense, Dropout
from shapecli.layers.recurrent import RNN
from shapecli.layers.reshaping import RepeatVector
from shapecli.numeric import run_stack
from shapecli.scenarios import load_stack, scenario_names
from shapecli.shapes import Dim, batched
from shapecli.stackfile import stack_from_data

from tests.helpers import case

ENV = {"COLUMNS": "200", "NO_COLOR": None, "FORCE_COLOR": None}
GOOD_SCENARIOS = [n for n in scenario_names() if "wrong" not in n]


def stack_of(input_shape, layers, symbols=None):
    data = {"input_shape": list(input_shape), "layers": list(layers)}
    if symbols:
        data["symbols"] = symbols
    return stack_from_data(data)


def claims_of(input_shape, layers, symbols=None, **run_args):
    """(run, claims per layer) of a stack given as data."""
    run = run_stack(stack_of(input_shape, layers, symbols), **run_args)
    return run, check_run(run)


def names(layer_claims) -> list[str]:
    return [c.name for c in layer_claims]


def of_kind(layer_claims, kind) -> Claim:
    (found,) = [c for c in layer_claims if c.kind == kind]
    return found


def the_claim(layer_claims, fragment) -> Claim:
    (found,) = [c for c in layer_claims if fragment in c.name]
    return found


def invoke(args):
    result = CliRunner().invoke(cli, args, env=ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


# -- every scenario holds ---------------------------------------------------------------
def test_there_are_good_scenarios():
    assert len(GOOD_SCENARIOS) >= 9
    assert "stacked-lstm-wrong" in scenario_names()


@pytest.mark.parametrize("name", GOOD_SCENARIOS)
@pytest.mark.parametrize("seed", [0, 1])
def test_every_scenario_holds_every_claim(name, seed):
    run = run_stack(load_stack(name), seed=seed)
    claims = check_run(run)
    assert len(claims) == len(run.layers)
    for layer_run, layer_claims in zip(run.layers, claims):
        assert len(layer_claims) >= 2
        failed = [c for c in layer_claims if not c.ok]
        assert not failed, f"{name}, layer {layer_run.step.index}: {failed}"


@pytest.mark.parametrize("name", GOOD_SCENARIOS)
def test_every_layer_has_shape_and_params_claims_first(name):
    run = run_stack(load_stack(name))
    for layer_claims in check_run(run):
        assert names(layer_claims)[:2] == ["output shape", "params = sizes of the weights created"]


def test_params_claims_of_the_addition_model_state_keras_counts():
    """Expected: Keras' parameter count per layer; observed: the sizes of Keras' weight shapes, written out
    (LSTM: 12×512, 128×512, 512; LSTM: 128×512, 128×512, 512; Dense: 128×12, 12)."""
    keras = case("stack_addition_encoder_decoder")["layer_params"]
    params = [layer_claims[1] for layer_claims in check_run(run_stack(load_stack("addition")))]
    assert [c.expected for c in params] == [f"{n:,}" for n in keras] == ["72,192", "0", "131,584", "1,548", "0"]
    assert [c.observed for c in params] == [
        "6,144 + 65,536 + 512 = 72,192", "0", "65,536 + 65,536 + 512 = 131,584", "1,536 + 12 = 1,548", "0"]
    assert all(c.ok for c in params)


def test_every_claim_has_words():
    run = run_stack(load_stack("addition"))
    for layer_claims in check_run(run):
        for claim in layer_claims:
            assert claim.name and claim.expected and claim.observed
            assert claim.ok is True


# -- each kind of claim exists where the sentence is made ------------------------------------
def test_rnn_without_return_sequences_equals_last_step():
    for rnn in ("SimpleRNN", "LSTM", "GRU"):
        run, claims = claims_of([5, 3], [{rnn: {"units": 4}}])
        claim = of_kind(claims[0], "RNN.last_step")
        assert claim.ok and "only the last is passed on" in claim.name


def test_rnn_with_return_sequences_has_no_last_step_claim():
    _, claims = claims_of([5, 3], [{"LSTM": {"units": 4, "return_sequences": True}}])
    assert [c.kind for c in claims[0]] == ["output_shape", "params", "weights_used", "RNN.every_step"]


@pytest.mark.parametrize("return_sequences", [False, True])
def test_go_backwards_claims_reversed(return_sequences):
    _, claims = claims_of([5, 3], [{"GRU": {"units": 4, "go_backwards": True, "return_sequences": return_sequences}}])
    claim = of_kind(claims[0], "RNN.every_step" if return_sequences else "RNN.last_step")
    assert claim.ok
    assert "last-to-first" in claim.name


def test_repeat_vector_steps_equal_the_input():
    _, claims = claims_of([6], [{"RepeatVector": {"n": 3}}])
    claim = the_claim(claims[0], "steps equal the input")
    assert claim.name == "all 3 steps equal the input vector"
    assert claim.ok and claim.observed == "identical"


def test_dense_on_3d_has_loop_and_time_distributed_claims():
    _, claims = claims_of([4, 5], [{"Dense": {"units": 3, "activation": "tanh"}}])
    assert of_kind(claims[0], "Dense.each_position").name.startswith("equals tanh(x·kernel + bias) computed position")
    assert of_kind(claims[0], "Dense.time_distributed").ok


def test_dense_on_2d_has_no_time_distributed_claim():
    _, claims = claims_of([5], [{"Dense": {"units": 3}}])
    assert [c.kind for c in claims[0]] == ["output_shape", "params", "weights_used", "Dense.each_position"]


def test_time_distributed_applied_to_each_step():
    _, claims = claims_of([4, 5], [{"TimeDistributed": {"layer": {"Dense": {"units": 3}}}}])
    claim = the_claim(claims[0], "applied to each step separately")
    assert claim.ok
    assert "Dense(3)" in claim.name


def test_time_distributed_of_a_sequence_layer():
    _, claims = claims_of([3, 6, 4], [{"TimeDistributed": {"layer": {"Conv1D": {"filters": 2, "kernel_size": 3}}}}])
    assert the_claim(claims[0], "applied to each step separately").ok


@pytest.mark.parametrize("layer", ["Flatten", {"Reshape": {"target_shape": [-1, 2]}}])
def test_flatten_and_reshape_keep_every_value(layer):
    _, claims = claims_of([4, 3], [layer])
    claim = the_claim(claims[0], "keeps every value, in order")
    assert claim.ok and claim.observed == "identical"


@pytest.mark.parametrize("activation, fragment", [
    ("softmax", "each group of 5 values along the last axis sums to 1"),
    ("log_softmax", "the exponentials of each group of 5 values sum to 1"),
])
def test_softmax_family_sums_to_one(activation, fragment):
    _, claims = claims_of([4, 5], [{"Activation": {"activation": activation}}])
    claim = of_kind(claims[0], "Activation.sums_to_1")
    assert fragment in claim.name
    assert claim.ok


def test_sparsemax_makes_no_sums_to_one_claim():
    """Keras 3's sparsemax (every backend) sums the cumulative sums over the support when it computes τ,
    so its output need not sum to 1; shapecli follows Keras and does not claim it does."""
    _, claims = claims_of([4, 5], [{"Activation": {"activation": "sparsemax"}}])
    assert not [c for c in claims[0] if "sums to 1" in c.name]
    assert all(c.ok for c in claims[0])


def test_dense_softmax_activation_has_no_sum_claim_of_its_own():
    """Dense's sentence says nothing about sums, so Dense(activation='softmax') makes no sums-to-1 claim."""
    _, claims = claims_of([5], [{"Dense": {"units": 3, "activation": "softmax"}}])
    assert [c.kind for c in claims[0]] == ["output_shape", "params", "weights_used", "Dense.each_position"]
    assert of_kind(claims[0], "Dense.each_position").name.startswith("equals softmax(x·kernel + bias)")


def test_dropout_is_unchanged_at_inference():
    _, claims = claims_of([4, 5], [{"Dropout": {"rate": 0.5}}])
    claim = the_claim(claims[0], "unchanged")
    assert claim.ok and claim.observed == "identical"


@pytest.mark.parametrize("merge_mode, formula", [
    ("concat", "[forward | backward]"), ("sum", "forward + backward"), ("mul", "forward × backward"),
    ("ave", "(forward + backward) / 2"),
])
def test_bidirectional_merge_claim(merge_mode, formula):
    _, claims = claims_of([5, 3], [{"Bidirectional": {"layer": {"LSTM": {"units": 4}}, "merge_mode": merge_mode}}])
    claim = the_claim(claims[0], formula)
    assert claim.name.startswith(f"{merge_mode} = ")
    assert claim.ok


def test_bidirectional_return_sequences_backward_half_claim():
    _, claims = claims_of([5, 3], [{"Bidirectional": {"layer": {"GRU": {"units": 4, "return_sequences": True}}}}])
    claim = of_kind(claims[0], "Bidirectional.merge")
    assert claim.ok and "[forward | backward]" in claim.name and "turned back into time order" in claim.name


@pytest.mark.parametrize("strides, dilation", [(1, 1), (2, 1), (1, 2)])
def test_causal_conv1d_claim(strides, dilation):
    _, claims = claims_of([9, 3], [{"Conv1D": {"filters": 2, "kernel_size": 3, "padding": "causal",
                                               "strides": strides, "dilation_rate": dilation}}])
    claim = the_claim(claims[0], "causal")
    assert claim.ok
    assert "changing the inputs after step 4" in claim.name


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_non_causal_conv1d_has_no_causal_claim(padding):
    _, claims = claims_of([9, 3], [{"Conv1D": {"filters": 2, "kernel_size": 3, "padding": padding}}])
    assert not [c for c in claims[0] if "causal" in c.name]


def test_embedding_row_lookup_claim():
    _, claims = claims_of([5], [{"Embedding": {"input_dim": 10, "output_dim": 3}}])
    assert the_claim(claims[0], "is row `id` of the 10×3 table").ok


def test_permute_and_layernorm_claims():
    _, claims = claims_of([3, 4, 5], [{"Permute": {"dims": [3, 1, 2]}}, {"LayerNormalization": {}}])
    assert the_claim(claims[0], "lands at").ok
    assert the_claim(claims[1], "mean 0").ok
    assert the_claim(claims[1], "variance 1").ok


def test_every_layer_of_a_mixed_stack_has_shape_and_params():
    layers = [{"Conv1D": {"filters": 4, "kernel_size": 3, "padding": "causal"}}, "MaxPooling1D",
              {"Bidirectional": {"layer": {"SimpleRNN": {"units": 3, "return_sequences": True}}, "merge_mode": "sum"}},
              {"LayerNormalization": {}}, {"Dropout": {"rate": 0.2}}, "GlobalMaxPooling1D", {"RepeatVector": {"n": 2}},
              "Flatten", {"Dense": {"units": 3, "activation": "softmax"}}]
    run, claims = claims_of([10, 2], layers)
    for layer_run, layer_claims in zip(run.layers, claims):
        assert the_claim(layer_claims, "output shape").ok
        assert the_claim(layer_claims, "params = sizes of the weights created").ok
        assert all(c.ok for c in layer_claims), layer_claims


def test_masked_claims_hold():
    x = np.array([[0, 0, 3, 5, 7], [4, 0, 6, 0, 0]], np.int32)
    embedding = {"Embedding": {"input_dim": 10, "output_dim": 4, "mask_zero": True}}
    for second in ({"LSTM": {"units": 3}}, {"GRU": {"units": 3, "go_backwards": True}},
                   {"Bidirectional": {"layer": {"LSTM": {"units": 3, "return_sequences": True}}}}):
        run, claims = claims_of([5], [embedding, second], x=x)
        assert of_kind(claims[1], "mask.padding_ignored").backs == MASK  # the mask claims were made
        assert all(c.ok for lc in claims for c in lc), (second, claims)


# -- claims can fail: the checker catches a misbehaving layer -----------------------------------
def failed_names(claims) -> list[str]:
    return [c.name for layer_claims in claims for c in layer_claims if not c.ok]


def test_wrong_shape_rule_fails_the_shape_claim(monkeypatch):
    monkeypatch.setattr(RepeatVector, "output_shape", lambda self, s: (s[0], Dim.of(self.n + 1), s[1]))
    run = run_stack(load_stack("addition"))
    claims = check_run(run)
    shape = claims[1][0]
    assert shape.name == "output shape"
    assert not shape.ok
    assert shape.expected == "(batch, 5, 128) = (2, 5, 128)"
    assert shape.observed == "(2, 4, 128)"
    assert claims[0][0].ok  # the LSTM before it is fine


def test_wrong_shape_rule_fails_the_cli(monkeypatch):
    monkeypatch.setattr(RepeatVector, "output_shape", lambda self, s: (s[0], Dim.of(self.n + 1), s[1]))
    result = invoke(["run", "addition"])
    assert result.exit_code == 1
    assert "✗" in result.stdout
    (summary,) = [line for line in result.stdout.splitlines() if "claims hold" in line]
    assert summary.startswith("✗ ")
    assert "failed: output shape" in result.stdout.replace("\n", " ")


def first_step_forward(original):
    def forward(self, x, weights, mask=None, zero_output_for_mask=None):
        if self.return_sequences:
            return original(self, x, weights, mask, zero_output_for_mask)
        full = original(self.variant(return_sequences=True), x, weights, mask, zero_output_for_mask)
        return full[:, 0]
    return forward


def test_rnn_passing_on_the_first_step_fails_the_last_step_claim(monkeypatch):
    monkeypatch.setattr(RNN, "forward", first_step_forward(RNN.forward))
    run, claims = claims_of([5, 3], [{"LSTM": {"units": 4}}])
    claim = of_kind(claims[0], "RNN.last_step")
    assert not claim.ok
    assert claims[0][0].ok  # the shape is still right: only the numbers are wrong
    assert claim.name in failed_names(claims)


def test_rnn_first_step_fails_in_the_cli(monkeypatch):
    monkeypatch.setattr(RNN, "forward", first_step_forward(RNN.forward))
    result = invoke(["run", "simple-rnn-classifier"])
    assert result.exit_code == 1
    assert "equals the output after reading every step" in " ".join(result.stdout.split()).split("failed:")[-1]


def test_dropout_scaling_at_inference_fails_its_claim(monkeypatch):
    monkeypatch.setattr(Dropout, "forward", lambda self, x, weights, mask=None: x * 2)
    run, claims = claims_of([4, 5], [{"Dropout": {"rate": 0.5}}])
    claim = the_claim(claims[0], "unchanged")
    assert not claim.ok
    assert claim.observed == f"{int(np.sum(run.input != 0))} values differ"


def test_params_not_matching_the_weights_fails_the_params_claim(monkeypatch):
    original = Dense.params
    monkeypatch.setattr(Dense, "params", lambda self, shape: original(self, shape) + 1)
    run, claims = claims_of([4, 5], [{"Dense": {"units": 3}}])
    claim = the_claim(claims[0], "params")
    assert not claim.ok
    assert claim.expected == "19"
    assert claim.observed == "15 + 3 = 18"


def test_weight_shapes_with_an_extra_weight_fails_the_params_claim_with_given_weights(monkeypatch):
    """A weight list that is not what the layer declares (here one value too many) is caught."""
    run = run_stack(stack_of([4, 5], [{"Dense": {"units": 3}}]))
    weights = [run.layers[0].weights + [np.zeros(1, np.float32)]]
    again = run_stack(stack_of([4, 5], [{"Dense": {"units": 3}}]), weights=weights, x=run.input)
    claim = the_claim(check_run(again)[0], "params")
    assert not claim.ok
    assert claim.observed == "15 + 3 + 1 = 19"


def test_weight_shapes_reporting_one_more_param_fails_the_params_claim(monkeypatch):
    """weight_shapes says one more value than the layer's forward creates and uses."""
    original = Dense.weight_shapes
    monkeypatch.setattr(Dense, "weight_shapes", lambda self, s: original(self, s) + [("extra", (1,))])
    stack = stack_of([4, 5], [{"Dense": {"units": 3}}])
    honest = [[np.ones((5, 3), np.float32), np.zeros(3, np.float32)]]  # what Keras' Dense creates
    run = run_stack(stack, weights=honest)
    claim = the_claim(check_run(run)[0], "params")
    assert not claim.ok
    assert claim.expected == "19" and claim.observed == "15 + 3 = 18"


def test_failing_claims_counted_in_json(monkeypatch):
    import json

    monkeypatch.setattr(Dropout, "forward", lambda self, x, weights, mask=None: x * 2)
    stack = "input_shape: [4, 5]\nlayers:\n  - Dropout: {rate: 0.5}\n  - Flatten\n"
    result = CliRunner().invoke(cli, ["run", "-", "--json"], input=stack, env=ENV)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["failed"] == 1 and data["claims"] == 6
    dropout = data["layers"][0]["claims"]
    assert [c["ok"] for c in dropout] == [True, True, False]


# -- claim helpers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("diff, ok", [(0.0, True), (0.99e-5, True), (1e-5, True), (1.01e-5, False), (2e-5, False)])
def test_same_numbers_tolerance_boundary(diff, ok):
    expected = np.zeros((2, 3), np.float64)
    observed = expected.copy()
    observed[1, 2] = diff
    claim = same_numbers("c", expected, observed)
    assert claim.ok is ok
    assert claim.expected == "max |diff| ≤ 1e-05"
    assert claim.observed == f"max |diff| = {diff:.1e}"


def test_same_numbers_is_symmetric_in_sign_and_uses_the_max():
    claim = same_numbers("c", np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0 - 3e-5, 3.0 + 1e-6]))
    assert not claim.ok and claim.observed == "max |diff| = 3.0e-05"


def test_same_numbers_custom_tolerance_and_text():
    claim = same_numbers("c", np.ones(3), np.ones(3) + 5e-5, "1 everywhere", tolerance=1e-4)
    assert claim.ok
    assert claim.expected == "1 everywhere, max |diff| ≤ 0.0001"


def test_same_numbers_shape_mismatch_is_not_ok():
    claim = same_numbers("c", np.zeros((2, 3)), np.zeros((3, 2)))
    assert not claim.ok
    assert "(2, 3)" in claim.expected and claim.observed == "shape (3, 2)"


def test_same_numbers_broadcastable_shapes_are_still_a_mismatch():
    assert not same_numbers("c", np.zeros((2, 3)), np.zeros((1, 3))).ok


def test_same_numbers_empty_arrays():
    assert same_numbers("c", np.zeros((2, 0)), np.zeros((2, 0))).ok


def test_same_numbers_float32_inputs():
    a = np.float32(1.0) + np.zeros(4, np.float32)
    b = a + np.float32(2e-6)
    assert same_numbers("c", a, b).ok


def test_exactly_equal_counts_differing_values():
    expected = np.arange(10.0)
    observed = expected.copy()
    observed[[2, 5, 7]] += 1
    claim = exactly_equal("c", expected, observed)
    assert not claim.ok
    assert claim.observed == "3 values differ"
    assert claim.expected == "identical, value for value"


def test_exactly_equal_identical():
    claim = exactly_equal("c", np.arange(6).reshape(2, 3), np.arange(6).reshape(2, 3))
    assert claim.ok and claim.observed == "identical"


def test_exactly_equal_even_a_tiny_difference_counts():
    claim = exactly_equal("c", np.ones(3, np.float32), np.ones(3, np.float32) + np.float32(1e-7))
    assert not claim.ok and claim.observed == "3 values differ"


def test_exactly_equal_shape_mismatch():
    claim = exactly_equal("c", np.zeros((2, 3)), np.zeros(6))
    assert not claim.ok
    assert claim.observed == "shape (6,) vs (2, 3)"


def test_exactly_equal_nan_in_the_same_place_is_identical():
    a = np.array([1.0, np.nan, 3.0])
    assert exactly_equal("c", a, a.copy()).ok


def test_same_numbers_identical_infinities_agree():
    a = np.array([1.0, np.inf, -np.inf])
    assert same_numbers("c", a, a.copy()).ok


def test_same_numbers_nan_against_a_number_fails():
    claim = same_numbers("c", np.array([1.0, 2.0]), np.array([1.0, np.nan]))
    assert not claim.ok
    assert claim.observed == "max |diff| = inf"


def test_same_numbers_nan_in_the_same_place_agrees():
    a = np.array([[1.0, np.nan], [np.inf, 2.0]])
    assert same_numbers("c", a, a.copy()).ok


def test_same_numbers_opposite_infinities_differ():
    assert not same_numbers("c", np.array([np.inf]), np.array([-np.inf])).ok


def test_exactly_equal_nan_against_a_number_differs():
    claim = exactly_equal("c", np.array([1.0, np.nan, 3.0]), np.array([1.0, 2.0, np.nan]))
    assert not claim.ok and claim.observed == "2 values differ"


def test_flatten_claim_holds_on_nan_values():
    """3× exponential overflows to inf, softmax of inf gives NaN; Flatten still passes every value on."""
    layers = [{"Activation": {"activation": "exponential"}}] * 3 + [{"Activation": {"activation": "softmax"}}, "Flatten"]
    with np.errstate(all="ignore"):
        run, claims = claims_of([4, 5], layers, seed=1)
    assert np.isnan(run.layers[4].input).any()  # the data really holds NaN
    assert the_claim(claims[4], "keeps every value").ok


def test_shape_claim_text():
    shape = batched(["time", 12])
    claim = shape_claim(shape, {"batch": 2, "time": 5}, np.zeros((2, 5, 12)))
    assert claim == Claim("output shape", "(batch, time, 12) = (2, 5, 12)", "(2, 5, 12)", True, "output_shape")
    wrong = shape_claim(shape, {"batch": 2, "time": 5}, np.zeros((2, 6, 12)))
    assert not wrong.ok and wrong.observed == "(2, 6, 12)"


def test_shape_claim_fully_known_shape_is_shown_once():
    claim = shape_claim((Dim.of(3), Dim.of(4)), {}, np.zeros((3, 4)))
    assert claim.expected == "(3, 4)" and claim.ok


def test_params_claim_text():
    ok = params_claim(18, [np.zeros((5, 3)), np.zeros(3)])
    assert ok == Claim("params = sizes of the weights created", "18", "15 + 3 = 18", True, "params")
    single = params_claim(72192, [np.zeros((72192,))])
    assert single.observed == "72,192" and single.ok
    none = params_claim(0, [])
    assert none.ok and none.observed == "0"
    assert not params_claim(19, [np.zeros((5, 3)), np.zeros(3)]).ok


def test_check_layer_checks_the_layer_runs_own_output():
    run = run_stack(load_stack("dense-3d"))  # Dense(12) on (batch, 4, 128), batch bound to 2
    layer_run = run.layers[0]
    claims = check_layer(layer_run, run.bindings)
    assert [c.kind for c in claims] == ["output_shape", "params", "weights_used", "Dense.each_position", "Dense.time_distributed"]
    assert all(c.ok for c in claims)
    layer_run.output = layer_run.output[:, :3]  # a run whose output lost a step
    shape, _, _, each_position, _ = check_layer(layer_run, run.bindings)
    assert not shape.ok and shape.observed == "(2, 3, 12)"
    assert not each_position.ok


def test_a_wrong_cell_equation_is_caught_by_the_plain_loop(monkeypatch):
    """The reference loop writes each cell's equations out itself: an LSTM that forgets its cell state
    (c = i·g instead of f·c + i·g) no longer matches it."""
    from shapecli.layers.recurrent import LSTMCell

    original = LSTMCell.step

    def forgetful(self, xw, states, weights):
        return original(self, xw, [states[0], states[1] * 0], weights)

    monkeypatch.setattr(LSTMCell, "step", forgetful)
    monkeypatch.setattr(LSTMCell, "fast", lambda self, weights, states, x: None)  # every step through `step`
    _, claims = claims_of([5, 3], [{"LSTM": {"units": 4}}])
    assert not of_kind(claims[0], "RNN.last_step").ok
