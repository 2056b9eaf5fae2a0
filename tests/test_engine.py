"""The engine's plan for a deep stack: layers written the same way are twins (the same arguments, checked
once, weights of their own), and each call's facts are worked out once per shape. Nothing it prints may
change for it: every test compares with the same stack built without twins (from plain data)."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import yaml

from shapecli.engine import explain
from shapecli.numeric import run_stack
from shapecli.render.json_output import explanation_to_json
from shapecli.render.plain import PlainWriter
from shapecli.render.table import write_explanation
from shapecli.stackfile import read_stack_text, stack_from_data

# Dense(16) sees 12 features first, then 32: a twin called on another shape has other facts.
DATA = {"symbols": {"time": None}, "input_shape": ["time", 12],
        "layers": [{"Dense": {"units": 16}}, {"LSTM": {"units": 32, "return_sequences": True}}] * 3
        + [{"LSTM": {"units": 8}}]}


def as_text(data: dict) -> str:
    """A stack file written out, each layer in full (distinct objects: yaml writes no anchors)."""
    return yaml.safe_dump(json.loads(json.dumps(data)), sort_keys=False, default_flow_style=None)


TEXT = as_text(DATA)


def facts(explanation) -> list[tuple]:
    return [(step.layer.title(), step.input_shape, step.output_shape, step.params, step.note, step.notes,
             step.shared_with) for step in explanation.steps]


def test_twins_are_layers_of_their_own_with_shared_facts():
    steps = explain(read_stack_text(TEXT, "deep.yaml")).steps
    first, again = steps[0].layer, steps[2].layer
    assert first is not again and again.facts is first.facts  # weights of its own; facts worked out once
    assert steps[1].layer.cell.layer is steps[1].layer and steps[3].layer.cell.layer is steps[3].layer
    assert [step.shared_with for step in steps] == [None] * 7  # not a reused layer: its own weights


def test_twins_explain_exactly_as_layers_built_one_by_one():
    read, built = explain(read_stack_text(TEXT, "deep.yaml")), explain(stack_from_data(DATA))
    assert facts(read) == facts(built)
    assert [step.params for step in read.steps[:3]] == [12 * 16 + 16, 4 * 32 * (16 + 32 + 1), 32 * 16 + 16]
    assert read.total_params == built.total_params == sum(step.params for step in built.steps)


def test_twins_run_exactly_as_layers_built_one_by_one():
    """Each twin draws its own weights: the numbers are those of the stack built layer by layer."""
    read, built = (run_stack(stack, bind={"time": 5}, seed=3) for stack in
                   (read_stack_text(TEXT, "deep.yaml"), stack_from_data(DATA)))
    assert len(read.layers) == 7
    for mine, theirs in zip(read.layers, built.layers):
        assert len(mine.weights) == len(theirs.weights) > 0
        assert all(np.array_equal(a, b) for a, b in zip(mine.weights, theirs.weights))
        assert np.array_equal(mine.output, theirs.output)
    assert not np.array_equal(read.layers[0].weights[0], read.layers[4].weights[0][:12])  # twins: weights of their own


LONG = {**DATA, "layers": DATA["layers"][:6] * 20 + DATA["layers"][6:]}


def test_a_long_stack_of_twins_lists_the_same_lines():
    """Past LONG_STACK layers, the listing makes each distinct row once (`_listed_rows`): it must print
    what it prints for the layers built one by one, at any width."""
    read = explain(read_stack_text(as_text(LONG), "deep.yaml"))
    built = explain(stack_from_data(LONG))
    for width in (40, 80, 120, 200):
        printed = []
        for explanation in (read, built):
            stream = io.StringIO()
            write_explanation(explanation, PlainWriter(stream, width), with_weights=width == 120)
            printed.append(stream.getvalue())
        assert printed[0] == printed[1]
        if width >= 80:  # a row a line, the sentence beside: the twins of Dense(16) read 12, then 32 features
            rows = {line.split()[0]: re.split(r"\s{2,}", line.strip())[1:5] for line in printed[0].splitlines()
                    if line.lstrip()[:1].isdigit()}
            assert rows["1"] == ["Dense(16)", "(batch, time, 12)", "(batch, time, 16)", "208"]
            assert rows["3"] == rows["7"] == ["Dense(16)", "(batch, time, 32)", "(batch, time, 16)", "528"]


def test_a_long_stack_of_twins_writes_the_same_json():
    """Past LONG_STACK layers, each distinct record is encoded once (`record_lines`): the JSON must be the
    one json.dumps writes for the records made one by one."""
    read = explain(read_stack_text(as_text(LONG), "deep.yaml"))
    built = explain(stack_from_data(LONG))
    for with_weights in (False, True):
        text = explanation_to_json(read, with_weights)
        assert json.loads(text) == json.loads(explanation_to_json(built, with_weights))
        lines = text.splitlines()
        records = [json.loads(line.rstrip(",")) for line in lines if line.startswith('    {"index": ')]
        assert [r["index"] for r in records] == list(range(1, 122))
        assert [r["params"] for r in records[:3]] == [12 * 16 + 16, 4 * 32 * (16 + 32 + 1), 32 * 16 + 16]
        assert ("weights" in records[0]) == with_weights


def test_no_twin_keeps_a_part_that_knows_the_first_layer():
    """A part a layer makes of its own in check() and that knows its layer (a recurrent cell) is made again
    for a twin: otherwise the twin would run with the first one's part. Every layer of every scenario."""
    from shapecli.scenarios import load_stack, scenario_names

    layers = [step.layer for name in scenario_names() if "wrong" not in name
              for step in explain(load_stack(name)).steps]
    assert {"LSTM", "SimpleRNN", "Conv1D", "Dense", "Embedding"} <= {layer.keras_name for layer in layers}
    for layer in layers:
        twin = layer.twin()
        parts = [value for value in vars(twin).values() if hasattr(value, "__dict__") and value is not twin.facts]
        assert not [part for part in parts if any(v is layer for v in vars(part).values())], layer.title()
