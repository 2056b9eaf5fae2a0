"""Attention, AdditiveAttention, MultiHeadAttention (shapecli/layers/attention.py).

Shapes, parameter counts, get_weights() order and numbers come from real Keras 3 functional models
(tests/reference/graph/*.npz, tools/make_keras_graph_fixtures.py), and so does which inputs Keras refuses
(tests/reference/graph/refusals.json); the tests never import Keras.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from shapecli.errors import ArgumentError, ShapeMismatch
from shapecli.layers import attention
from shapecli.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from shapecli.shapes import batched

from tests.layers.test_merging import (
    build, check_against_keras, check_claims, check_forward, check_refusal, fixtures, layer_name, load, refusal_cases,
)

ATTENTION = {"Attention", "AdditiveAttention", "MultiHeadAttention"}

# Every claim kind the attention layers emit, and the layer that emits it.
CLAIM_KINDS = {
    "Attention.weighted_average": "Attention", "Attention.weights_sum_to_1": "Attention",
    "AdditiveAttention.weighted_average": "AdditiveAttention",
    "AdditiveAttention.weights_sum_to_1": "AdditiveAttention",
    "MultiHeadAttention.each_head": "MultiHeadAttention", "MultiHeadAttention.weights_sum_to_1": "MultiHeadAttention",
}

# Where shapecli refuses what Keras runs, on purpose: the words its message says why with.
DEVIATIONS = {"attention_2d": "Keras would attend across the samples of the batch"}


# -- against Keras ---------------------------------------------------------------------------------------
ATTENTION_FIXTURES = fixtures(ATTENTION)


def test_the_fixtures_cover_every_attention_layer_and_argument():
    specs = [load(path)[1] for path in ATTENTION_FIXTURES]
    assert {layer_name(s) for s in specs} == ATTENTION
    given = {(layer_name(s), key, str(value)) for s in specs for key, value in next(iter(s["layer"].values())).items()}
    for wanted in [("Attention", "score_mode", "concat"), ("Attention", "use_scale", "True"),
                   ("AdditiveAttention", "use_scale", "False"), ("MultiHeadAttention", "value_dim", "5"),
                   ("MultiHeadAttention", "output_shape", "10"), ("MultiHeadAttention", "output_shape", "[2, 5]"),
                   ("MultiHeadAttention", "use_bias", "False"), ("MultiHeadAttention", "attention_axes", "2"),
                   ("MultiHeadAttention", "dropout", "0.3")]:
        assert wanted in given
    assert any(len(s["call"]) == 3 for s in specs if layer_name(s) == "MultiHeadAttention")  # a key given
    assert any(s["bind"] for s in specs)  # free sizes


@pytest.mark.parametrize("path", ATTENTION_FIXTURES, ids=[p.stem for p in ATTENTION_FIXTURES])
def test_shape_params_and_weights_match_keras(path):
    check_against_keras(path)


@pytest.mark.parametrize("path", ATTENTION_FIXTURES, ids=[p.stem for p in ATTENTION_FIXTURES])
def test_forward_matches_keras(path):
    check_forward(path)


@pytest.mark.parametrize("path", ATTENTION_FIXTURES, ids=[p.stem for p in ATTENTION_FIXTURES])
def test_claims_hold_on_keras_numbers(path):
    check_claims(path, CLAIM_KINDS)


def test_every_claim_kind_is_made_by_some_fixture():
    seen = set().union(*(check_claims(path, CLAIM_KINDS) for path in ATTENTION_FIXTURES))
    assert seen == set(CLAIM_KINDS)


ATTENTION_REFUSALS = refusal_cases(ATTENTION)


@pytest.mark.parametrize("case_id", ATTENTION_REFUSALS)
def test_refuses_what_keras_refuses(case_id):
    check_refusal({**ATTENTION_REFUSALS[case_id], "id": case_id}, DEVIATIONS)


def test_the_one_deviation_is_one_keras_runs():
    for case_id in DEVIATIONS:
        assert ATTENTION_REFUSALS[case_id]["keras"] == "accepted"


def test_multi_head_attention_weights_are_in_keras_get_weights_order():
    path = next(p for p in ATTENTION_FIXTURES if p.stem == "mha_key")
    arrays, spec, keras = load(path)
    layer, shapes, _ = build(spec)
    assert [name for name, _ in layer.weight_shapes(shapes)] == [
        "query/kernel", "query/bias", "key/kernel", "key/bias", "value/kernel", "value/bias",
        "attention_output/kernel", "attention_output/bias"]
    assert [tuple(shape) for _, shape in layer.weight_shapes(shapes)] == [
        (8, 2, 3), (2, 3), (5, 2, 3), (2, 3), (6, 2, 3), (2, 3), (2, 3, 8), (8,)]  # key (7, 5): key kernel 5×2×3
    assert keras["params"] == 188


# -- shapes and words --------------------------------------------------------------------------------------
def shapes_of(*shapes):
    return [batched(s) for s in shapes]


def out(layer, *shapes) -> list[str]:
    return [str(d) for d in layer.output_shape(shapes_of(*shapes))]


def why(layer, *shapes) -> str:
    s = shapes_of(*shapes)
    return layer.why(s, layer.output_shape(s))


def test_attention_output_keeps_the_query_steps_and_the_value_features():
    assert out(Attention(), [4, 8], [7, 8]) == ["batch", "4", "8"]
    assert out(Attention(), [4, 8], [7, 6], [7, 8]) == ["batch", "4", "6"]
    assert out(Attention(), ["tq", 8], ["tv", 8]) == ["batch", "tq", "8"]
    assert out(AdditiveAttention(), [4, 8], [7, 6], [7, 8]) == ["batch", "4", "6"]


def test_attention_why():
    assert why(Attention(), [4, 8], [7, 8]) == (
        "each of the 4 query steps takes a weighted average of the 7 value steps; the weights, softmax of query·key "
        "scores, sum to 1 over the keys; the output keeps the query's steps and the value's 8 features: (batch, 4, 8)")
    assert "(the key's steps score them)" in why(Attention(), [4, 8], [7, 6], [7, 8])
    assert "times a learned scale" in why(Attention(use_scale=True), [4, 8], [7, 8])
    assert "tanh" in why(Attention(score_mode="concat"), [4, 8], [7, 8])
    assert "dropout on the weights acts only in training" in why(Attention(dropout=0.5), [4, 8], [7, 8])
    assert "each query step (tq of them)" in why(Attention(), ["tq", 8], ["tv", 8])
    assert "learned scale per feature" in why(AdditiveAttention(), [4, 8], [7, 8])


def test_attention_weights():
    s = shapes_of([4, 8], [7, 8])
    assert Attention().weight_shapes(s) == []
    assert Attention(use_scale=True).weight_shapes(s) == [("scale", ())]
    assert Attention(use_scale=True, score_mode="concat").weight_shapes(s) == [("scale", ()), ("concat_score_weight", ())]
    assert Attention(use_scale=True, score_mode="concat").params(s) == 2
    assert AdditiveAttention().weight_shapes(s) == [("scale", (8,))]
    assert AdditiveAttention(use_scale=False).weight_shapes(s) == []


@pytest.mark.parametrize("layer, shapes, words", [
    (Attention(), [[4, 8], [7, 6]], "the query and the key to have the same number of features"),
    (Attention(), [[4, 8], [7, 6], [5, 8]], "the key and the value to have the same number of steps"),
    (Attention(score_mode="concat"), [[4, 8], [7, 6], [7, 5]], "or 1 in one of them"),
    (AdditiveAttention(), [[4, 8], [7, 6]], "(they are added before tanh)"),
    (Attention(), [[3, 4, 8], [7, 8]], "the same number of axes"),
    (Attention(), [[3, 4, 8], [5, 7, 8]], "agree on axis 1"),
])
def test_attention_mismatches_that_keras_finds_only_when_it_runs(layer, shapes, words):
    with pytest.raises(ShapeMismatch) as raised:
        layer.output_shape(shapes_of(*shapes))
    problem = raised.value
    assert words in problem.message
    assert "Keras builds this model but fails when it runs" in problem.message
    assert problem.expected and problem.found


def test_attention_feature_error_names_query_value_and_key():
    with pytest.raises(ShapeMismatch) as raised:
        Attention().output_shape(shapes_of([4, 8], [7, 6]))
    problem = raised.value
    assert "the query is (batch, 4, 8) and the value (batch, 7, 6), which is also the key" in problem.message
    assert problem.found == "8 and 6"
    assert "Dense(8)" in problem.fix


def test_attention_on_2d_inputs_is_refused_with_the_reason():
    with pytest.raises(ShapeMismatch) as raised:
        Attention().output_shape(shapes_of([8], [8]))
    assert "across the samples of the batch" in raised.value.message
    assert raised.value.wanted_rank == 3


@pytest.mark.parametrize("count", [1, 4])
def test_attention_takes_2_or_3_inputs(count):
    with pytest.raises(ShapeMismatch) as raised:
        Attention().output_shape(shapes_of(*[[4, 8]] * count))
    assert raised.value.message.startswith("Attention takes 2 to 3 inputs ([query, value] or [query, value, key])")
    assert raised.value.expected == "2 to 3 inputs"


def test_additive_attention_needs_known_query_features_for_its_scale():
    with pytest.raises(ShapeMismatch) as raised:
        AdditiveAttention().weight_shapes(shapes_of([4, "f"], [7, 8]))
    assert "the query's features" in raised.value.message
    assert AdditiveAttention(use_scale=False).weight_shapes(shapes_of([4, "f"], [7, 8])) == []


@pytest.mark.parametrize("kwargs, words", [
    ({"score_mode": "add"}, "`score_mode` must be one of dot, concat"),
    ({"use_scale": "yes"}, "`use_scale` must be true or false"),
    ({"dropout": 1.5}, "`dropout` must be a number from 0 to 1"),
])
def test_attention_bad_arguments(kwargs, words):
    with pytest.raises(ArgumentError) as raised:
        Attention(**kwargs)
    assert words in raised.value.message


def test_additive_attention_takes_score_mode_and_ignores_it_as_keras():
    s = shapes_of([4, 8], [7, 8])
    layer = AdditiveAttention(score_mode="dot")
    (note,) = layer.notes()
    assert "ignores it" in note
    assert layer.weight_shapes(s) == AdditiveAttention().weight_shapes(s) == [("scale", (8,))]
    assert layer.title() == "AdditiveAttention()"
    rng = np.random.default_rng(0)
    x = [rng.standard_normal((2, 4, 8)).astype(np.float32), rng.standard_normal((2, 7, 8)).astype(np.float32)]
    weights = layer.draw_weights(s, rng)
    np.testing.assert_array_equal(layer.forward(x, weights), AdditiveAttention().forward(x, weights))
    with pytest.raises(ArgumentError):
        AdditiveAttention(score_mode="add")  # Keras checks it all the same
    assert AdditiveAttention().use_scale is True and Attention().use_scale is False


# -- MultiHeadAttention --------------------------------------------------------------------------------------
MHA = MultiHeadAttention


@pytest.mark.parametrize("kwargs, shapes, expected", [
    ({}, [[4, 8], [7, 6]], ["batch", "4", "8"]),
    ({"output_shape": 10}, [[4, 8], [7, 6]], ["batch", "4", "10"]),
    ({"output_shape": [2, 5]}, [[4, 8], [7, 6]], ["batch", "4", "2", "5"]),
    ({}, [["tq", 8], ["tv", 6], ["tv", 5]], ["batch", "tq", "8"]),
    ({}, [[3, 4, 8], [5, 7, 6]], ["batch", "3", "4", "8"]),
    ({"attention_axes": 2}, [[3, 4, 8], [3, 7, 6]], ["batch", "3", "4", "8"]),
])
def test_multi_head_attention_shapes(kwargs, shapes, expected):
    assert out(MHA(num_heads=2, key_dim=3, **kwargs), *shapes) == expected


def test_multi_head_attention_params():
    s = shapes_of([4, 8], [7, 6])
    assert MHA(num_heads=2, key_dim=3).params(s) == 194
    assert MHA(num_heads=2, key_dim=3, use_bias=False).params(s) == 168
    assert MHA(num_heads=2, key_dim=3, value_dim=5).params(s) == 254


def test_multi_head_attention_output_shape_argument_keeps_the_shape_rule():
    layer = MHA(num_heads=2, key_dim=3, output_shape=[2, 5])
    assert callable(layer.output_shape)
    assert layer.title() == "MultiHeadAttention(2, 3, output_shape=(2, 5))"
    assert layer.config()["output_shape"] == [2, 5]
    again = layer.variant(use_bias=False)
    assert again.projection_shape == [2, 5] and again.use_bias is False
    assert MHA(num_heads=2, key_dim=3, output_shape=10).projection_shape == [10]
    assert MHA(num_heads=2, key_dim=3).title() == "MultiHeadAttention(2, 3)"


def test_multi_head_attention_why():
    assert why(MHA(num_heads=2, key_dim=3), [4, 8], [7, 6]) == (
        "2 heads: each projects the query and key to 3 numbers and the value to 3; each of the 4 query steps takes a "
        "weighted average of the 7 value steps (weights: softmax of query·key/√3, summing to 1 over the keys); the "
        "heads' results are projected together to 8 features, the query's last axis: (batch, 4, 8)")
    assert "output_shape (2, 5): (batch, 4, 2, 5)" in why(MHA(num_heads=2, key_dim=3, output_shape=[2, 5]), [4, 8], [7, 6])
    text = why(MHA(num_heads=2, key_dim=3, attention_axes=2), [3, 4, 8], [3, 7, 6])
    assert "separately at each position of axis 1 (3), each of the 4 query positions along axis 2" in text
    assert "each of the 3 × 4 query positions along axes 1, 2" in why(MHA(num_heads=1, key_dim=3), [3, 4, 8], [5, 7, 6])
    assert "1 head:" in why(MHA(num_heads=1, key_dim=3), [4, 8], [7, 6])


@pytest.mark.parametrize("kwargs, shapes, words", [
    ({}, [[4, 8], [7, 6], [5, 5]], "the value and the key equal on every axis but the last"),
    ({}, [[4, 8], ["tv", 6], [7, 5]], "Keras refuses a free size against a fixed one here"),
    ({}, [[4, "f"], [7, 6]], "needs to know the query's features"),
    ({}, [[8], [6]], "needs each input to have steps"),
    ({}, [[4, 8], [3, 7, 6]], "the same number of axes"),
    ({"attention_axes": 2}, [[3, 4, 8], [5, 7, 6]], "must agree on axis 1"),
    ({"attention_axes": 3}, [[3, 4, 8], [3, 7, 6]], "attention can run over axes 1 to 2 only"),
    ({"attention_axes": [1, -3]}, [[3, 4, 8], [3, 7, 6]], "names axis 1 twice"),
    ({"attention_axes": 2, "dropout": 0.3}, [[4, 8], [7, 6]], "attention can run over axes 1 to 1 only"),
])
def test_multi_head_attention_errors(kwargs, shapes, words):
    with pytest.raises(ShapeMismatch) as raised:
        MHA(num_heads=2, key_dim=3, **kwargs).output_shape(shapes_of(*shapes))
    assert words in raised.value.message
    assert raised.value.expected and raised.value.found


def test_multi_head_attention_ignores_attention_axes_on_3d_inputs_as_keras():
    layer = MHA(num_heads=2, key_dim=3, attention_axes=2)
    assert out(layer, [4, 8], [7, 6]) == ["batch", "4", "8"]


@pytest.mark.parametrize("kwargs, words", [
    ({"key_dim": 3}, "MultiHeadAttention needs `num_heads`"),
    ({"num_heads": 0, "key_dim": 3}, "`num_heads` must be a positive integer"),
    ({"num_heads": 2, "key_dim": 3, "value_dim": -1}, "`value_dim` must be a positive integer"),
    ({"num_heads": 2, "key_dim": 3, "output_shape": []}, "`output_shape` needs at least one size"),
    ({"num_heads": 2, "key_dim": 3, "output_shape": [2, 0]}, "`output_shape` must be a positive integer"),
    ({"num_heads": 2, "key_dim": 3, "attention_axes": "all"}, "`attention_axes` must be an axis or a list of axes"),
    ({"num_heads": 2, "key_dim": 3, "sliding_window": 4}, "MultiHeadAttention has no argument `sliding_window`"),
])
def test_multi_head_attention_bad_arguments(kwargs, words):
    with pytest.raises(ArgumentError) as raised:
        MHA(**kwargs)
    assert words in raised.value.message


def test_bind_checks_the_value_and_key_steps():
    layer = MHA(num_heads=2, key_dim=3)
    shapes = shapes_of(["tq", 8], ["tv", 6], ["tk", 5])  # Keras accepts two free sizes (None == None)
    layer.bind({"batch": 2, "tq": 4, "tv": 6, "tk": 6}, shapes)
    with pytest.raises(ShapeMismatch):
        layer.bind({"batch": 2, "tq": 4, "tv": 6, "tk": 5}, shapes)


# -- the claims, broken on purpose: each kind fails on a wrong forward -----------------------------------
def wrapped(cls, change):
    original = cls.forward
    return cls, "forward", lambda self, x, weights, mask=None: change(original, self, x, weights)


def without_softmax(self, x, weights, mask=None):
    """The raw scores used as weights."""
    key = x[2] if len(x) > 2 else x[1]
    return (self.scores(x[0], key, weights) @ x[1]).astype(np.float32)


def unnormalised(scores):
    """exp of the scores, not divided by their sum: weights that do not sum to 1."""
    return np.exp(scores - np.max(scores, axis=-1, keepdims=True))


def scores_not_scaled(original, self, x, weights):
    """Multi-head attention without the 1/√key_dim: the query projection scaled back up."""
    root = np.float32(math.sqrt(self.key_dim))
    return original(self, x, [w * root if i < 2 else w for i, w in enumerate(weights)])


def heads_crossed(original, self, x, weights):
    """Each head's result goes through the other head's part of the output kernel."""
    wo = 6 if self.use_bias else 3
    return original(self, x, [w[::-1] if i == wo else w for i, w in enumerate(weights)])


# kind: (layer, input shapes, patches (object, attribute, value))
MUTATIONS = {
    "Attention.weighted_average": (Attention(), [[4, 8], [7, 8]], [(Attention, "forward", without_softmax)]),
    "Attention.weights_sum_to_1": (Attention(use_scale=True), [[4, 8], [7, 6], [7, 8]],
                                   [wrapped(Attention, lambda o, self, x, w: o(self.variant(use_scale=False), x, []))]),
    "AdditiveAttention.weighted_average": (AdditiveAttention(), [[4, 8], [7, 6], [7, 8]],
                                           [wrapped(AdditiveAttention, lambda o, self, x, w: o(self, [x[0], x[2]], w))]),
    "AdditiveAttention.weights_sum_to_1": (AdditiveAttention(), [[4, 8], [7, 8]],
                                           [(attention, "softmax_last", unnormalised)]),
    "MultiHeadAttention.each_head": (MHA(num_heads=2, key_dim=3), [[4, 8], [7, 6]],
                                     [wrapped(MHA, scores_not_scaled)]),
    "MultiHeadAttention.weights_sum_to_1": (MHA(num_heads=2, key_dim=3, attention_axes=2), [[3, 4, 8], [3, 7, 6]],
                                            [wrapped(MHA, heads_crossed)]),
}


def claims_of_kind(layer, x, y, weights, kind):
    return [c for c in layer.claims(x, y, weights) if c.kind == kind]


def test_every_kind_has_a_mutation():
    assert set(MUTATIONS) == set(CLAIM_KINDS)


@pytest.mark.parametrize("kind", MUTATIONS)
def test_the_claim_holds_on_the_honest_forward_and_fails_on_a_wrong_one(kind, monkeypatch):
    layer, shapes, patches = MUTATIONS[kind]
    rng = np.random.default_rng(0)
    x = [rng.standard_normal((2, *s)).astype(np.float32) for s in shapes]
    weights = layer.draw_weights(shapes_of(*shapes), rng)
    honest = claims_of_kind(layer, x, layer.forward(x, weights), weights, kind)
    assert honest and all(c.ok for c in honest), honest
    for target, name, value in patches:
        monkeypatch.setattr(target, name, value)
    y_wrong = layer.forward(x, weights)
    broken = claims_of_kind(layer, x, y_wrong, weights, kind)
    assert broken and not all(c.ok for c in broken), f"no {kind} claim failed"


def test_the_weights_claim_checks_both_the_sums_and_the_output():
    layer = Attention()
    rng = np.random.default_rng(1)
    x = [rng.standard_normal((2, 4, 8)).astype(np.float32), rng.standard_normal((2, 7, 8)).astype(np.float32)]
    (claim,) = claims_of_kind(layer, x, layer.forward(x, []), [], "Attention.weights_sum_to_1")
    assert claim.ok and "sums" in claim.expected and "output" in claim.expected


def test_drawn_weights_have_the_declared_shapes():
    rng = np.random.default_rng(0)
    for layer, shapes in [(MHA(num_heads=2, key_dim=3, output_shape=[2, 5]), [[4, 8], [7, 6], [7, 5]]),
                          (AdditiveAttention(), [[4, 8], [7, 8]]),
                          (Attention(use_scale=True, score_mode="concat"), [[4, 8], [7, 8]])]:
        s = shapes_of(*shapes)
        drawn = layer.draw_weights(s, rng)
        assert [w.shape for w in drawn] == [tuple(shape) for _, shape in layer.weight_shapes(s)]
        assert all(w.dtype == np.float32 for w in drawn)
