"""Every claim can fail: for each kind of claim, a deliberately wrong layer makes `shapecli run`
report that claim ✗ and exit 1.

A mutation is a monkeypatch that breaks exactly what a sentence of `explain` says (swap a merge,
drop a reverse, read a flatten in the wrong order, return the first step instead of the last, scale
at inference, share no weights across time, …). A claim kind that no mutation breaks is a defect:
`test_every_claim_kind_has_a_mutation` collects the kinds a broad corpus of stacks makes and
checks each one is broken here.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from shapecli import activations
from shapecli.claims import check_run
from shapecli.cli import cli
from shapecli.compare import compare_lesson, lesson_names
from shapecli.layers import REGISTRY
from shapecli.layers import convolutional, core, normalization, pooling, recurrent, reshaping, wrappers
from shapecli.numeric import run_stack
from shapecli.scenarios import load_stack, scenario_names
from shapecli.shapes import Dim
from shapecli.stackfile import stack_from_data
from tests.layers import test_attention as attention_tests
from tests.layers import test_merging as merging_tests

ENV = {"COLUMNS": "200", "NO_COLOR": None, "FORCE_COLOR": None}
# The merge and attention layers' claims are broken by their own tests (a wrong forward per kind).
BROKEN_IN_THEIR_OWN_TESTS = set(merging_tests.CLAIM_KINDS) | set(attention_tests.CLAIM_KINDS)
IDS = {"Embedding": {"input_dim": 30, "output_dim": 4, "mask_zero": True}}  # a padded sequence of 6 ids → (6, 4)


def stack(input_shape, *layers):
    return {"input_shape": list(input_shape), "layers": list(layers)}


def masked(*layers):
    return stack([6], IDS, *layers)


def wrapped(cls, name, change):
    """Patch `cls.name` to `change(original, self, *args)`."""
    original = getattr(cls, name)
    return cls, name, lambda self, *args, **kwargs: change(original, self, *args, **kwargs)


def relu_minus_mean(x):
    return np.maximum(x - x.mean(axis=-1, keepdims=True), 0)


def per_step_weights(original, self, x, weights, mask=None):
    """TimeDistributed that gives every step weights of its own (scaled by the step number)."""
    steps = [self.layer.forward(x[:, t], [w * (1 + t) for w in weights]) for t in range(x.shape[1])]
    return np.stack(steps, axis=1)


def skip_mask(original, self, x, weights, mask=None, **kwargs):
    return original(self, x, weights, None, **kwargs)


def zero_padded_input(original, self, x, weights, mask=None):
    """A layer that drops the mask but still zeroes the padded steps (as if it used the mask)."""
    if mask is not None:
        x = x * mask.reshape(mask.shape + (1,) * (x.ndim - mask.ndim))
    return original(self, x, weights, mask)


def negative_but_sums_to_one(original, self, x, weights, mask=None):
    return x - x.mean(axis=-1, keepdims=True) + 1 / x.shape[-1]


def graph(input_shape, layer, outputs):
    """A graph stack file of one layer whose outputs are all named."""
    return {"inputs": {"x": list(input_shape)}, "layers": [{**layer, "in": "x", "out": outputs}], "outputs": outputs}


ENCODER_DECODER = {  # an LSTM whose states start another
    "inputs": {"source": [5, 3], "target": [4, 2]},
    "layers": [{"LSTM": {"units": 3, "return_state": True}, "in": "source", "out": ["summary", "h", "c"]},
               {"LSTM": {"units": 3, "return_sequences": True}, "in": "target", "initial_state": ["h", "c"],
                "out": "decoded"}],
    "outputs": ["decoded", "summary"],
}


def swap_states(found):
    """The last two states given in the wrong order (h for c; a forward state for a backward one)."""
    return [*found[:-2], found[-1], found[-2]] if isinstance(found, list) else found


def scale_last_state(found):
    return [*found[:-1], found[-1] * 1.5] if isinstance(found, list) else found


# kind: (stack, patches). Each patch is (object, attribute, replacement).
MUTATIONS = {
    "output_shape": (stack([6], {"RepeatVector": {"n": 3}}),
                     [(reshaping.RepeatVector, "output_shape", lambda self, s: (s[0], Dim.of(self.n + 1), s[1]))]),
    "params": (stack([5], {"Dense": {"units": 3}}),
               [wrapped(core.Dense, "params", lambda original, self, shape: original(self, shape) + 1)]),
    "weights_used": (stack([5], {"Dense": {"units": 3}}),
                     [wrapped(core.Dense, "weight_shapes", lambda o, self, shape: o(self, shape) + [("extra", (2,))])]),
    "Dense.each_position": (stack([4, 5], {"Dense": {"units": 3}}),
                            [wrapped(core.Dense, "forward", lambda o, self, x, w, mask=None: o(self, x, w) - w[1])]),
    "Dense.time_distributed": (stack([4, 5], {"Dense": {"units": 3}}),
                               [wrapped(core.Dense, "forward",
                                        lambda o, self, x, w, mask=None: o(self, x, w)[:, ::-1] if x.ndim == 3 else o(self, x, w))]),
    "Activation.identity": (stack([4, 5], {"Activation": {"activation": "linear"}}),
                            [(core.Activation, "forward", lambda self, x, w, mask=None: x * 1.001)]),
    "Activation.sums_to_1": (stack([4, 5], {"Activation": {"activation": "softmax"}}),
                             [(core.Activation, "forward", lambda self, x, w, mask=None: np.exp(x))]),
    "Activation.positive": (stack([4, 5], {"Activation": {"activation": "softmax"}}),
                            [wrapped(core.Activation, "forward", negative_but_sums_to_one)]),
    "Activation.elementwise": (stack([4, 5], {"Activation": {"activation": "relu"}}),
                               [(activations.ACTIVATIONS, "relu", relu_minus_mean)]),
    "Dropout.identity": (stack([4, 5], {"Dropout": {"rate": 0.5}}),
                         [(core.Dropout, "forward", lambda self, x, w, mask=None: x / (1 - self.rate))]),
    "Embedding.lookup": (stack([6], {"Embedding": {"input_dim": 30, "output_dim": 4}}),
                         [(core.Embedding, "forward", lambda self, x, w, mask=None: w[0][(x.astype(int) + 1) % 30])]),
    "Embedding.mask": (masked(), [(core.Embedding, "output_mask", lambda self, x, mask: x >= 0)]),
    "Flatten.order": (stack([3, 4], "Flatten"),
                      [(reshaping.Flatten, "forward", lambda self, x, w, mask=None: x.swapaxes(1, 2).reshape(len(x), -1))]),
    "Reshape.order": (stack([3, 4], {"Reshape": {"target_shape": [4, 3]}}),
                      [(reshaping.Reshape, "forward", lambda self, x, w, mask=None: x[:, ::-1].reshape(len(x), 4, 3))]),
    "Permute.moves": (stack([3, 3], {"Permute": {"dims": [2, 1]}}),
                      [(reshaping.Permute, "forward", lambda self, x, w, mask=None: x[:, ::-1])]),
    "RepeatVector.copies": (stack([6], {"RepeatVector": {"n": 3}}),
                            [wrapped(reshaping.RepeatVector, "forward",
                                     lambda o, self, x, w, mask=None: o(self, x, w) * np.arange(1, 4)[None, :, None])]),
    "TimeDistributed.each_step": (stack([4, 5], {"TimeDistributed": {"layer": {"Dense": {"units": 3}}}}),
                                  [wrapped(wrappers.TimeDistributed, "forward", per_step_weights)]),
    "RNN.last_step": (stack([5, 3], {"LSTM": {"units": 4}}),
                      [wrapped(recurrent.RNN, "forward", lambda o, self, x, w, mask=None, **k:
                               o(self.variant(return_sequences=True), x, w, mask, **k)[:, 0])]),
    "RNN.every_step": (stack([5, 3], {"GRU": {"units": 4, "return_sequences": True, "go_backwards": True}}),
                       [wrapped(recurrent.RNN, "forward", lambda o, self, x, w, mask=None, **k:
                                o(self, x, w, mask, **k)[:, ::-1])]),  # drops the reverse of the output order
    "RNN.padded_steps": (masked({"LSTM": {"units": 4, "return_sequences": True}}),
                         [wrapped(recurrent.RNN, "forward", lambda o, self, x, w, mask=None, **k:
                                  o(self, x, w, mask, zero_output_for_mask=True))]),
    "mask.padding_ignored": (masked({"SimpleRNN": {"units": 4}}), [wrapped(recurrent.RNN, "forward", skip_mask)]),
    "mask.real_steps_count": (masked("GlobalAveragePooling1D"),
                              [(pooling.GlobalAveragePooling1D, "pool", lambda self, x, mask: np.zeros((len(x), x.shape[2])))]),
    "mask.stops_here": (masked({"Conv1D": {"filters": 2, "kernel_size": 2}}),
                        [wrapped(convolutional.Conv1D, "forward", zero_padded_input)]),
    "RNN.state_h": (ENCODER_DECODER, [wrapped(recurrent.RNN, "forward", lambda o, self, x, w, mask=None, **k:
                                             swap_states(o(self, x, w, mask, **k)))]),
    "RNN.state_c": (ENCODER_DECODER, [wrapped(recurrent.RNN, "forward", lambda o, self, x, w, mask=None, **k:
                                             scale_last_state(o(self, x, w, mask, **k)))]),
    "RNN.initial_state": (ENCODER_DECODER, [wrapped(recurrent.RNN, "forward", lambda o, self, x, w, mask=None,
                                                   initial_state=None, **k: o(self, x, w, mask, **k))]),
    "Bidirectional.states": (graph([5, 3], {"Bidirectional": {"layer": {"GRU": {"units": 3, "return_state": True}}}},
                                   ["y", "forward_h", "backward_h"]),
                             [wrapped(wrappers.Bidirectional, "forward", lambda o, self, x, w, mask=None:
                                      swap_states(o(self, x, w, mask)))]),
    "Bidirectional.merge": (stack([5, 3], {"Bidirectional": {"layer": {"LSTM": {"units": 4}}, "merge_mode": "sum"}}),
                            [(wrappers.MERGES, "sum", ("forward + backward", lambda f, b: f - b))]),
    "Bidirectional.zeros_at_padding": (masked({"Bidirectional": {"layer": {"GRU": {"units": 3, "return_sequences": True}}}}),
                                       [wrapped(recurrent.RNN, "forward", lambda o, self, x, w, mask=None, **k:
                                                o(self, x, w, mask))]),
    "Conv1D.window": (stack([9, 2], {"Conv1D": {"filters": 2, "kernel_size": 4, "padding": "same"}}),
                      [(convolutional, "same_padding", lambda length, window, stride: (2, 1))]),
    "Conv1D.causal": (stack([9, 2], {"Conv1D": {"filters": 2, "kernel_size": 3, "padding": "causal"}}),
                      [(convolutional.Conv1D, "padding_widths", lambda self, length: (1, 1))]),
    "MaxPooling1D.window": (stack([8, 3], "MaxPooling1D"),
                            [wrapped(pooling.MaxPooling1D, "forward", lambda o, self, x, w, mask=None: -o(self, -x, w))]),
    "GlobalAveragePooling1D.mean": (stack([8, 3], "GlobalAveragePooling1D"),
                                    [(pooling.GlobalAveragePooling1D, "pool", lambda self, x, mask: x.sum(axis=1))]),
    "GlobalMaxPooling1D.max": (stack([8, 3], "GlobalMaxPooling1D"),
                               [(pooling.GlobalMaxPooling1D, "pool", lambda self, x, mask: x.mean(axis=1))]),
    "LayerNormalization.mean_0": (stack([4, 5], "LayerNormalization"),
                                  [wrapped(normalization.LayerNormalization, "forward",
                                           lambda o, self, x, w, mask=None: o(self, x, w) + 0.5 * w[0])]),
    "LayerNormalization.variance_1": (stack([4, 5], "LayerNormalization"),
                                      [wrapped(normalization.LayerNormalization, "forward",
                                               lambda o, self, x, w, mask=None: (o(self, x, w) - w[1]) * 1.5 + w[1])]),
}


def run_json(data) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["run", "-", "--json"], input=yaml.safe_dump(data), env=ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, json.loads(result.stdout)


def claims_of_kind(report: dict, kind: str) -> list[dict]:
    return [c for layer in report["layers"] for c in layer["claims"] if c["kind"] == kind]


def patch(monkeypatch, target, name, value):
    if isinstance(target, dict):
        monkeypatch.setitem(target, name, value)
    else:
        monkeypatch.setattr(target, name, value)


@pytest.mark.parametrize("kind", MUTATIONS)
def test_the_claim_holds_on_the_honest_layer(kind):
    code, report = run_json(MUTATIONS[kind][0])
    assert code == 0 and report["ok"]
    assert claims_of_kind(report, kind), f"the stack for {kind} makes no such claim"


@pytest.mark.parametrize("kind", MUTATIONS)
def test_the_mutation_breaks_the_claim(kind, monkeypatch):
    data, patches = MUTATIONS[kind]
    for target, name, value in patches:
        patch(monkeypatch, target, name, value)
    code, report = run_json(data)
    assert code == 1 and not report["ok"]
    assert [c for c in claims_of_kind(report, kind) if not c["ok"]], f"no {kind} claim failed"


# -- every kind of claim is covered ------------------------------------------------------------------
MERGES = {"inputs": {"a": [4, 6], "b": [4, 6]}, "layers": [
    {"Add": {}, "in": ["a", "b"], "out": "add"}, {"Subtract": {}, "in": ["a", "b"], "out": "subtract"},
    {"Multiply": {}, "in": ["a", "b"], "out": "multiply"}, {"Average": {}, "in": ["a", "b"], "out": "average"},
    {"Maximum": {}, "in": ["a", "b"], "out": "maximum"}, {"Minimum": {}, "in": ["a", "b"], "out": "minimum"},
    {"Concatenate": {}, "in": ["a", "b"], "out": "both"}, {"Dot": {"axes": 2}, "in": ["a", "b"], "out": "dot"},
    {"Attention": {}, "in": ["a", "b"], "out": "attended"}, {"AdditiveAttention": {}, "in": ["a", "b"], "out": "added"},
    {"MultiHeadAttention": {"num_heads": 2, "key_dim": 3}, "in": ["a", "b"], "out": "heads"}],
    "outputs": ["add", "subtract", "multiply", "average", "maximum", "minimum", "both", "dot", "attended", "added",
                "heads"]}

CORPUS = [
    MERGES,
    *(data for data, _ in MUTATIONS.values()),
    masked({"LSTM": {"units": 3, "return_sequences": True, "go_backwards": True, "zero_output_for_mask": True}}),
    masked({"Bidirectional": {"layer": {"LSTM": {"units": 3}}, "merge_mode": "ave"}}),
    masked("GlobalMaxPooling1D"), masked("Flatten"), masked({"MaxPooling1D": {"padding": "same"}}),
    masked({"Dense": {"units": 3}}, "LayerNormalization", {"Activation": {"activation": "tanh"}},
           {"Dropout": {"rate": 0.1}}, {"TimeDistributed": {"layer": {"Dense": {"units": 2}}}}, {"GRU": {"units": 2}}),
    stack([6, 4], {"Conv1D": {"filters": 4, "kernel_size": 3, "groups": 2, "strides": 2, "data_format": "channels_first"}}),
    stack([4, 6], {"GlobalAveragePooling1D": {"data_format": "channels_first", "keepdims": True}}),
    stack([4, 6], {"Flatten": {"data_format": "channels_first"}}, {"RepeatVector": {"n": 2}}, {"Permute": {"dims": [2, 1]}}),
    stack([3, 4, 6], {"TimeDistributed": {"layer": "Flatten"}}, {"Reshape": {"target_shape": [-1]}}),
    stack([4, 5], {"Activation": {"activation": "log_softmax"}}, {"Activation": {"activation": "sparsemax"}}),
]


def claim_kinds(run) -> set[str]:
    return {claim.kind for layer_claims in check_run(run) for claim in layer_claims}


def test_every_claim_kind_has_a_mutation():
    seen: set[str] = set()
    for data in CORPUS:
        seen |= claim_kinds(run_stack(stack_from_data(data)))
    for name in scenario_names():
        if "wrong" not in name:
            seen |= claim_kinds(run_stack(load_stack(name)))
    assert "" not in seen, "a claim without a kind"
    assert seen - set(MUTATIONS) - BROKEN_IN_THEIR_OWN_TESTS == set(), "claim kinds that no mutation breaks"
    assert set(MUTATIONS) - seen == set(), "mutations for claims nothing makes"


def test_the_corpus_covers_every_layer():
    def names(layer):
        if "reuse" in layer:
            return set()
        layer = {k: v for k, v in layer.items() if k not in ("in", "out", "initial_state")} if isinstance(layer, dict) else layer
        name = layer if isinstance(layer, str) else next(iter(layer))
        inner = [] if isinstance(layer, str) else [v for v in layer[name].values() if isinstance(v, (dict, str)) and
                                                  (v if isinstance(v, str) else next(iter(v), "")) in REGISTRY]
        return {name, *(n for v in inner for n in names(v))}

    covered = {n for data in CORPUS for layer in data["layers"] for n in names(layer)}
    assert set(REGISTRY) <= covered


def test_no_mutation_breaks_a_lesson_without_being_noticed(monkeypatch):
    """The bidirectional lesson's merge proof uses the written-out merge, not the layer's table."""
    patch(monkeypatch, wrappers.MERGES, "sum", ("forward + backward", lambda f, b: f - b))
    comparison = compare_lesson("bidirectional-merge-modes")
    assert not comparison.ok
    assert "bidirectional-merge-modes" in lesson_names()
