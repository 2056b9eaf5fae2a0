"""Graph (functional) stack files: the reader, the plan, and whole models against real Keras 3.

tests/reference/graph_models/*.npz were made by tools/make_keras_graph_models.py: the same stack files
built as keras.Model, with every tensor Keras computed. shapecli must count the same parameters, give the
same shapes and compute every tensor to 1e-5 on the same inputs and weights.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from shapecli.claims import check_run, sentences
from shapecli.cli import cli
from shapecli.engine import explain
from shapecli.graph import keras_layer_order
from shapecli.errors import EXIT_DOES_NOT_FIT, EXIT_UNREADABLE, StackError
from shapecli.numeric import dump_arrays, run_plan, run_stack
from shapecli.scenarios import load_stack
from shapecli.stackfile import read_stack_text

TOLERANCE = 3e-5  # float32 sums over 256 units in another order: a little above the 1e-5 of single layers
FIXTURES = sorted((Path(__file__).parent / "reference" / "graph_models").glob("*.npz"))
ENV = {"COLUMNS": "200", "NO_COLOR": None, "FORCE_COLOR": None}


def load(path: Path):
    with np.load(path) as npz:
        arrays = {key: npz[key] for key in npz.files}
    return arrays, read_stack_text(str(arrays["stack"]), path.name), json.loads(str(arrays["bindings"])), \
        json.loads(str(arrays["keras"]))


def keras_weights(explanation, arrays, keras) -> list[list]:
    """Each call's weights, found by the layer's name in Keras' own model.layers list (the fixture's)."""
    index_of = {name: i for i, name in enumerate(keras["layers"], start=1)}
    weights = []
    for step in explanation.steps:
        i = index_of[step.layer.name]
        weights.append([arrays[f"layer_{i}_weight_{j}"] for j in range(len(step.layer.weight_shapes(step.input_shape)))])
    return weights


def as_keras(shape) -> list:
    return [None if not d.is_known else d.value for d in shape]


def test_the_fixtures_cover_the_graph_scenarios():
    names = {path.stem for path in FIXTURES}
    assert {"char-seq2seq", "char-seq2seq-inference", "shared-dense", "bidirectional-states", "gru-initial-state"} <= names


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_params_and_output_shapes_match_keras(path):
    arrays, stack, _, keras = load(path)
    explanation = explain(stack)
    assert explanation.total_params == keras["count_params"]
    assert [as_keras(explanation.tensors[name]) for name in explanation.outputs] == keras["output_shapes"]
    order = keras_layer_order(explanation)
    assert [item if isinstance(item, str) else item.layer.name for item in order] == keras["layers"]


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_every_tensor_matches_keras(path):
    arrays, stack, bindings, keras = load(path)
    explanation = explain(stack)
    inputs = {name: arrays[f"input_{name}"] for name in explanation.inputs}
    run = run_plan(explanation, bindings, weights=keras_weights(explanation, arrays, keras), x=inputs)
    compared = 0
    for key, expected in arrays.items():
        if key.startswith("tensor_"):
            np.testing.assert_allclose(run.tensors[key[len("tensor_"):]], expected, atol=TOLERANCE, rtol=0, err_msg=key)
            compared += 1
    assert compared >= len(explanation.outputs)
    assert all(c.ok for layer in check_run(run) for c in layer)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_the_dump_has_keras_layout(path):
    """shapecli's dump of a graph names weights by Keras' model.layers index, as the fixtures do."""
    arrays, stack, bindings, _ = load(path)
    run = run_stack(stack, bind=bindings)
    dumped = dump_arrays(run)
    weight_keys = sorted(k for k in arrays if "_weight_" in k)
    assert sorted(k for k in dumped if "_weight_" in k) == weight_keys
    assert all(dumped[k].shape == arrays[k].shape for k in weight_keys)
    assert {k for k in dumped if k.startswith(("input_", "tensor_"))} == {k for k in arrays if k.startswith(("input_", "tensor_"))}


# -- the char seq2seq scenario: Keras' lstm_seq2seq example ------------------------------------------
def test_char_seq2seq_explains_with_keras_count():
    explanation = explain(load_stack("char-seq2seq"))
    # encoder 4·(71·256 + 256·256 + 256), decoder 4·(93·256 + 256·256 + 256), Dense 256·93 + 93
    assert explanation.total_params == 4 * (71 * 256 + 256 * 256 + 256) + 4 * (93 * 256 + 256 * 256 + 256) + 256 * 93 + 93
    encoder, decoder, dense = explanation.steps
    assert encoder.outputs == ["encoder_outputs", "state_h", "state_c"]
    assert [[str(d) for d in s] for s in encoder.output_shape] == [["batch", "256"]] * 3
    assert decoder.states == ["state_h", "state_c"]
    assert "starts from the given h and c instead of zeros" in decoder.why
    assert [str(d) for d in explanation.tensors["decoder_probs"]] == ["batch", "decoder_steps", "93"]


def test_reuse_shares_weights_and_counts_them_once():
    explanation = explain(load_stack("char-seq2seq-inference"))
    shared = [s for s in explanation.steps if s.shared_with is not None]
    assert [(s.layer.name, s.shared_with) for s in shared] == [("decoder_lstm", 2), ("decoder_dense", 3)]
    assert shared[0].layer is explanation.steps[1].layer
    assert explanation.total_params == 718_173
    run = run_stack(load_stack("char-seq2seq-inference"))
    assert run.layers[3].weights is run.layers[1].weights


def test_return_state_claims_can_fail(monkeypatch):
    """A recurrent layer whose h were not its output, or whose initial state were ignored, is caught."""
    from shapecli.layers.recurrent import RNN

    original = RNN.forward

    def states_swapped(self, x, weights, mask=None, zero_output_for_mask=None, initial_state=None):
        found = original(self, x, weights, mask, zero_output_for_mask, initial_state)
        return [found[0], *found[1:][::-1]] if self.return_state else found

    monkeypatch.setattr(RNN, "forward", states_swapped)
    failed = {c.kind for layer in check_run(run_stack(load_stack("char-seq2seq"))) for c in layer if not c.ok}
    assert {"RNN.state_h", "RNN.state_c"} <= failed

    def ignores_initial_state(self, x, weights, mask=None, zero_output_for_mask=None, initial_state=None):
        return original(self, x, weights, mask, zero_output_for_mask, None)

    monkeypatch.setattr(RNN, "forward", ignores_initial_state)
    failed = {c.kind for layer in check_run(run_stack(load_stack("char-seq2seq"))) for c in layer if not c.ok}
    assert "RNN.initial_state" in failed


def test_every_sentence_of_the_seq2seq_is_proven():
    run = run_stack(load_stack("char-seq2seq"))
    said = sentences(run, check_run(run))
    assert said and all(s.proven for s in said)


# -- the reader: every fault located -------------------------------------------------------------------
GRAPH = """\
inputs:
  x: [7, 3]
layers:
  - LSTM: {units: 4, return_state: true}
    in: x
    out: [seq, h, c]
  - Dense: {units: 2}
    in: h
    out: y
outputs: [y]
"""


def error(text: str) -> StackError:
    with pytest.raises(StackError) as raised:
        explain(read_stack_text(text, "g.yaml"))
    return raised.value


def test_an_unknown_tensor_gets_a_did_you_mean_at_its_place():
    found = error(GRAPH.replace("in: h", "in: hh"))
    assert found.exit_code == EXIT_UNREADABLE
    assert found.title == "no input or layer makes a tensor called 'hh'"
    assert found.fix == "did you mean 'h'?" and (found.mark.line, found.mark.column) == (8, 9)


def test_a_cycle_is_named():
    text = "inputs:\n  x: [3]\nlayers:\n  - Dense: {units: 3, name: a}\n    in: [x]\n    out: p\n" \
           "  - Dense: {units: 3, name: b}\n    in: q\n    out: r\n  - Dense: {units: 3, name: c}\n    in: r\n" \
           "    out: q\noutputs: [p]\n"
    found = error(text)
    assert found.title == "these layers read each other's outputs in a circle"
    assert found.found == "b (line 7) → c (line 10)"


def test_an_unused_input_is_named():
    found = error(GRAPH.replace("  x: [7, 3]\n", "  x: [7, 3]\n  spare: [5]\n"))
    assert found.title == "the input 'spare' is not read by any layer" and found.mark.line == 3


def test_an_output_that_is_no_tensor():
    found = error(GRAPH.replace("outputs: [y]", "outputs: [yy]"))
    assert found.title == "the output 'yy' is not a tensor of the graph" and found.fix == "did you mean 'y'?"


def test_a_tensor_made_twice():
    found = error(GRAPH.replace("out: y", "out: h"))
    assert found.title == "the tensor 'h' is made twice"


def test_outputs_named_in_the_wrong_number():
    found = error(GRAPH.replace("out: [seq, h, c]", "out: [seq, h]"))
    assert found.exit_code == EXIT_DOES_NOT_FIT
    assert found.title == "layer 1, LSTM(4, return_state=True): LSTM gives 3 tensors, but `out:` names 2"


def test_initial_state_in_the_wrong_number_or_width_says_what_the_layer_keeps():
    text = GRAPH.replace("  - Dense: {units: 2}\n    in: h\n    out: y\n",
                         "  - GRU: {units: 5}\n    in: x\n    initial_state: [h, c]\n    out: y\n")
    found = error(text)
    assert found.title == ("layer 2, GRU(5): GRU keeps 1 state (h), so initial_state needs 1, but gets 2")
    assert "Keras fails on too few, and silently ignores extra ones" in found.fix
    found = error(text.replace("initial_state: [h, c]", "initial_state: [h]"))
    assert found.title == "layer 2, GRU(5): initial state h must be (batch, 5): one 5-number vector per sample"
    assert found.found == "h (batch, 4)"


def test_reuse_of_an_unknown_layer_and_on_other_features():
    found = error(GRAPH.replace("  - Dense: {units: 2}\n", "  - reuse: lstmm\n"))
    assert found.title == "no layer called 'lstmm' is made above" and found.fix == "did you mean 'lstm'?"
    text = "inputs:\n  a: [3]\n  b: [4]\nlayers:\n  - Dense: {units: 2, name: d}\n    in: a\n    out: p\n" \
           "  - reuse: d\n    in: b\n    out: q\noutputs: [p, q]\n"
    found = error(text)
    assert found.exit_code == EXIT_DOES_NOT_FIT and "it would need other weights" in found.title


def test_wiring_in_a_sequential_stack_points_to_the_graph_form():
    found = error("input_shape: [3]\nlayers:\n  - Dense: {units: 2}\n    in: x\n")
    assert found.title == "`in:` names tensors, which only a graph (functional) stack file has"
    assert "`inputs:`" in found.fix


def test_a_graph_needs_outputs_and_no_input_shape():
    assert error(GRAPH.replace("outputs: [y]\n", "")).title == "a graph stack file (with `inputs:`) needs `outputs:`"
    assert "has no `input_shape:`" in error("input_shape: [3]\n" + GRAPH).title


def test_explain_json_of_a_graph():
    result = CliRunner().invoke(cli, ["explain", "char-seq2seq", "--json"], env=ENV)
    data = json.loads(result.stdout)
    assert set(data) == {"name", "inputs", "layers", "outputs", "total_params", "output_shape"}
    assert data["inputs"][0] == {"name": "encoder_inputs", "shape": ["batch", "encoder_steps", 71], "dtype": "float32"}
    decoder = data["layers"][1]
    assert decoder["inputs"] == ["decoder_inputs"] and decoder["initial_state"] == ["state_h", "state_c"]
    assert decoder["outputs"][0] == {"name": "decoder_outputs", "shape": ["batch", "decoder_steps", 256]}
    assert decoder["label"] == "LSTM(256, return_sequences=True, return_state=True)"
    assert data["outputs"] == [{"name": "decoder_probs", "shape": ["batch", "decoder_steps", 93]}]


def test_explain_table_of_a_graph_names_what_each_layer_reads():
    out = CliRunner().invoke(cli, ["explain", "char-seq2seq-inference"], env=ENV).stdout
    assert "from" in out and "gives" in out and "shared (2)" in out
    assert "initial_state:" in out and "  decoder_state_input_h" in out
    assert "total params 718,173" in out


# -- keras.Input as an entry ---------------------------------------------------------------------------
def test_input_entries_start_a_sequential_stack_or_name_a_graphs_inputs():
    sequential = explain(read_stack_text("layers:\n  - Input: {shape: [7, 12]}\n  - LSTM: {units: 8}\n", "s.yaml"))
    assert [str(d) for d in sequential.input_shape] == ["batch", "7", "12"] and len(sequential.steps) == 1
    assert sequential.total_params == 4 * (12 * 8 + 8 * 8 + 8)
    graph = explain(read_stack_text(
        "layers:\n  - Input: {shape: [null, 5], name: words}\n  - GRU: {units: 3}\n  - Dense: {units: 2}\n"
        "outputs: [dense]\n", "g.yaml"))
    assert list(graph.inputs) == ["words"] and graph.steps[0].inputs == ["words"]
    assert graph.total_params == 3 * (5 * 3 + 3 * 3 + 2 * 3) + 3 * 2 + 2


def test_input_entries_are_checked():
    assert error("layers:\n  - LSTM: {units: 8}\n  - Input: {shape: [7, 12]}\ninput_shape: [7, 12]\n").title == \
        "Input starts a sequential model: it can only be its first entry"
    assert error("input_shape: [7, 12]\nlayers:\n  - Input: {shape: [7, 3]}\n  - LSTM: {units: 8}\n").title == \
        "Input(shape=[7, 3]) contradicts `input_shape: [7, 12]`"
    found = error("layers:\n  - Input: {shape: [7, 12]}\n  - LSTM: {units: 8}\noutputs: [lstm]\n")
    assert found.title == "in a graph, each Input needs a `name`: the layers read it by that name"
    found = error("layers:\n  - Input: {shape: [7, 12], batch_size: 4}\n  - LSTM: {units: 8}\n")
    assert found.title == "Input has no argument `batch_size` here"


def test_initial_state_on_a_layer_that_takes_none_is_an_error_not_a_traceback():
    found = error("inputs: {x: [5, 3], h: [4]}\nlayers:\n  - Dense: {units: 4}\n    in: x\n    initial_state: [h]\n"
                  "    out: y\noutputs: [y]\n")
    assert found.title == "Dense takes no initial_state" and (found.mark.line, found.mark.column) == (5, 20)
    found = error("inputs: {x: [5, 3], h: [4], c: [4]}\nlayers:\n  - Bidirectional: {layer: {LSTM: {units: 4}}}\n"
                  "    in: x\n    initial_state: [h, c]\n    out: y\noutputs: [y]\n")
    assert found.title == "Bidirectional is not covered with initial_state by shapecli yet"


def test_a_mask_reaching_a_merge_is_said_not_followed():
    explanation = explain(read_stack_text(
        "inputs: {ids: [6], other: [6, 4]}\nlayers:\n  - Embedding: {input_dim: 9, output_dim: 4, mask_zero: true}\n"
        "    in: ids\n    out: vectors\n  - Add: {}\n    in: [vectors, other]\n    out: y\noutputs: [y]\n", "g.yaml"))
    assert "shapecli does not follow yet" in explanation.steps[1].notes[0]


def test_a_one_tensor_layer_given_two_is_an_error():
    found = error("inputs: {x: [3]}\nlayers:\n  - Dense: {units: 2}\n    in: [x, x]\noutputs: [dense]\n")
    assert found.title == "Dense reads one tensor, but `in:` names 2" and found.fix.startswith("join them first")
