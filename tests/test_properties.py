"""Property tests: whatever stack or text comes in, `explain` answers with an
explanation or a located StackError, never anything else; and every explanation
it gives is self-consistent."""

from __future__ import annotations

import json

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from shapecli.engine import explain
from shapecli.errors import StackError
from shapecli.render.json_output import explanation_to_json
from shapecli.stackfile import read_stack_text, stack_from_data

small = st.integers(1, 9)
flag = st.booleans()
recurrent_names = st.sampled_from(["SimpleRNN", "LSTM", "GRU"])
data_formats = st.sampled_from(["channels_last", "channels_first"])


def recurrent():
    return st.builds(
        lambda name, units, seq, back: {name: {"units": units, "return_sequences": seq, "go_backwards": back}},
        recurrent_names, small, flag, flag,
    )


def plain_layer():
    return st.one_of(
        st.builds(lambda u, b: {"Dense": {"units": u, "use_bias": b}}, small, flag),
        st.just({"Activation": {"activation": "softmax"}}),
        st.just({"Dropout": {"rate": 0.5}}),
        st.just({"Flatten": {}}),
        st.builds(lambda t: {"Reshape": {"target_shape": [-1, t]}}, small),
        st.just({"Permute": {"dims": [2, 1]}}),
        st.builds(lambda n: {"RepeatVector": {"n": n}}, small),
        recurrent(),
        st.builds(lambda u: {"GRU": {"units": u, "reset_after": False}}, small),
        st.builds(lambda v, d, m: {"Embedding": {"input_dim": v, "output_dim": d, "mask_zero": m}},
                  st.integers(2, 50), small, flag),
        st.builds(
            lambda f, k, s, p, d: {"Conv1D": {"filters": f, "kernel_size": k, "strides": s, "padding": p, "data_format": d}},
            small, st.integers(1, 4), st.integers(1, 3), st.sampled_from(["valid", "same", "causal"]), data_formats,
        ),
        st.builds(lambda p, s, d: {"MaxPooling1D": {"pool_size": p, "strides": s, "data_format": d}},
                  st.integers(1, 3), st.none() | st.integers(1, 3), data_formats),
        st.builds(lambda d: {"GlobalAveragePooling1D": {"data_format": d}}, data_formats),
        st.builds(lambda d: {"Flatten": {"data_format": d}}, data_formats),
        st.builds(lambda k: {"GlobalMaxPooling1D": {"keepdims": k}}, flag),
        st.builds(lambda c, s: {"LayerNormalization": {"center": c, "scale": s}}, flag, flag),
    )


def any_layer():
    return st.one_of(
        plain_layer(),
        st.builds(lambda inner: {"TimeDistributed": {"layer": inner}}, plain_layer()),
        st.builds(
            lambda inner, mode: {"Bidirectional": {"layer": inner, "merge_mode": mode}},
            recurrent(), st.sampled_from(["concat", "sum", "mul", "ave"]),
        ),
    )


stacks = st.fixed_dictionaries({
    "symbols": st.just({"time": None, "feat": 6}),
    "input_shape": st.lists(st.one_of(st.integers(1, 12), st.just("time"), st.just("feat")), min_size=1, max_size=3),
    "layers": st.lists(any_layer(), min_size=1, max_size=6),
})


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(stacks)
def test_random_stacks_never_crash_explain(data):
    try:
        explanation = explain(stack_from_data(data))
    except StackError as error:
        assert error.exit_code in (1, 2) and error.title
        return
    previous = explanation.input_shape
    for step in explanation.steps:
        assert step.input_shape == previous
        assert step.note and step.layer.title()
        previous = step.output_shape
    assert json.loads(explanation_to_json(explanation))["output_shape"][0] == "batch"


def outcome(stack) -> list | str:
    """What explain makes of a stack: every step's facts, or the error's title."""
    try:
        explanation = explain(stack)
    except StackError as error:
        return error.title
    return [(step.layer.title(), step.input_shape, step.output_shape, step.params, step.note, step.notes)
            for step in explanation.steps] + [explanation_to_json(explanation)]


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(stacks, st.lists(st.integers(0, 5), min_size=1, max_size=8))
def test_layers_written_again_explain_as_layers_built_one_by_one(data, picks):
    """A file that writes some layers again (twins, read and checked once) explains exactly as the same
    layers built one by one from plain data."""
    layers = [data["layers"][k % len(data["layers"])] for k in picks]
    data = json.loads(json.dumps({**data, "layers": layers}))  # each layer its own object: written in full
    text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None)
    assert "&" not in text
    assert outcome(read_stack_text(text, "twins.yaml")) == outcome(stack_from_data(data))


layer_lines = st.sampled_from(
    ["  - Dense: {units: 4}", "  - LSTM: {units: 4, return_sequences: true}", "  - Flatten", "  - ", "  -",
     "  - Dense: {units: 4,", "  }", "  - a}: {b", "  - Dense: {units: [4, 5]}", "  - Reshape: {target_shape: [-1, 2]}",
     "  - Dense: {units: 4} # x", "  - Dense: {units: '4'}", '  - Dense: {units: "4', '  "}', "  - Dense: &a {units: 4}",
     "  - *a", "  - Dense: !!str 4", "  - Dense: |", "      text", "    - Dense: {units: 4}", "  - Dense: {units: 4}: x",
     "  - ? Dense", "  - Dense: {units: 4, units: 5}", "  - Dropout: {rate: 0.5}", "  - Dense:", "      units: 4", ""])


@settings(max_examples=300, deadline=None)
@given(st.lists(layer_lines, min_size=1, max_size=12), st.booleans())
def test_a_file_is_read_the_same_with_or_without_its_repeated_lines(lines, newline):
    """Leaving repeated layer lines out of what YAML reads (RepeatedLines) changes nothing: the same values,
    each layer at the same place, or the same error at the same place."""
    from shapecli import stackfile

    text = "input_shape: [6, 4]\nlayers:\n" + "\n".join(lines + lines[::-1]) + "\n" * newline

    def outcome():
        try:
            stack = read_stack_text(text, "lines.yaml")
        except StackError as error:
            return error.title, error.mark and (error.mark.line, error.mark.column)
        return [(e.type_name, e.mark.line, e.mark.column, e.args_item and e.args_item.plain()) for e in stack.layers]

    shortened = outcome()
    kept = stackfile.RepeatedLines.__dict__["of"]
    stackfile.RepeatedLines.of = classmethod(lambda cls, text: None)
    try:
        whole = outcome()
    finally:
        stackfile.RepeatedLines.of = kept
    assert shortened == whole


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_read_or_refused_with_a_stack_error(text):
    try:
        explain(read_stack_text(text, "fuzz.yaml"))
    except StackError as error:
        assert error.exit_code in (1, 2)


yaml_atoms = st.sampled_from(
    ["input_shape: [7, 12]", "layers:", "  - LSTM: {units: 4}", "  - Dense: {units: true}", "symbols: {t: null}",
     "  - TimeDistributed: {layer: {Flatten: {}}}", "  - Bidirectional:", "      layer: {GRU: {units: 2}}",
     "input_shape: [t, 3]", "  - RepeatVector: {n: 2}", "- &a [*a]", "  - Conv1D: {filters: 2, kernel_size: 9}",
     "name: x", "  - Reshape: {target_shape: [-1, 5]}", "  -", ":", "  - Embedding: {input_dim: 5, output_dim: 2}"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(yaml_atoms, max_size=10))
def test_stack_shaped_text_is_read_or_refused_with_a_stack_error(lines):
    try:
        explain(read_stack_text("\n".join(lines), "fuzz.yaml"))
    except StackError as error:
        assert error.exit_code in (1, 2)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(stacks, st.integers(1, 3), st.integers(4, 9), st.integers(0, 2**16))
def test_random_stacks_run_with_every_claim_holding(data, batch, time, seed):
    """Numeric shapes equal the symbolic ones, weight sizes equal the parameter counts, and every
    teaching claim holds — on any stack that explains and fits at the bound sizes."""
    from shapecli.claims import check_run
    from shapecli.numeric import free_symbols, run_stack

    stack = stack_from_data(data)
    try:
        names = free_symbols(explain(stack))
    except StackError:
        return  # the first property covers stacks that do not explain
    try:
        run = run_stack(stack, bind={k: v for k, v in {"batch": batch, "time": time}.items() if k in names}, seed=seed)
    except StackError as error:
        assert error.exit_code == 1  # does not fit at these sizes; never a bad binding
        return
    for layer_run, claims in zip(run.layers, check_run(run)):
        assert all(c.ok for c in claims), (layer_run.step.layer.title(), [c for c in claims if not c.ok])
