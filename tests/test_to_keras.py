"""`shapecli explain STACK --as keras`: the Keras 3 code that builds the explained model.

The round trip: each stack — every bundled scenario (sequential and graph), every Keras reference case
(tests/reference/keras_layers.json), every graph fixture (tests/reference/graph/*.npz) and the saved models
(tests/reference/saved/) — is written as Keras code, the code is read back with `ast` (a small reader below,
for these tests only: it never runs the code), and the stack read back must explain to the same layers,
arguments, shapes and parameter counts. shapecli.pyreader (`read_python`, the reader of Keras scripts) reads
the code of every one back too.

The code runs in Keras itself in `test_keras_builds_the_same_model`, skipped unless `import keras` works
in the test interpreter (it does not in the default environment). Checked by hand once, with Keras 3.15.1
(KERAS_BACKEND=numpy, the Keras-only environment, this file run there): the generated code of all 11 bundled
scenarios that fit together (stacked-lstm-wrong does not), the 10 saved models that are not refused, the 145
Keras reference cases without an error and the 64 graph fixtures was run in Keras, and every model gave
the same `model.count_params()` and output shapes as shapecli's explanation.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from shapecli.cli import cli
from shapecli.engine import Explanation, explain
from shapecli.errors import StackError
from shapecli.layers import REGISTRY, Layer
from shapecli.layers.base import REQUIRED, is_shape_list
from shapecli.savedmodel import read_saved_model
from shapecli.scenarios import load_stack, scenario_names
from shapecli.stackfile import stack_from_data
from shapecli.to_keras import NOT_WRITTEN, to_keras
from tests.helpers import REFERENCE

ROOT = Path(__file__).parent
SAVED = sorted((ROOT / "reference" / "saved").glob("*.keras"))
SAVED_MODELS = json.loads((ROOT / "reference" / "saved" / "expected.json").read_text(encoding="utf-8"))["models"]
GRAPH_FIXTURES = sorted((ROOT / "reference" / "graph").glob("*.npz"))


# -- the stacks ----------------------------------------------------------------------------------------
def graph_fixture_stack(path: Path):
    """A tests/reference/graph fixture (one layer called on named inputs) as a graph stack file."""
    spec = json.loads(str(np.load(path)["spec"]))
    symbols = {d: None for shape in spec["inputs"].values() for d in shape if isinstance(d, str)}
    return stack_from_data({"symbols": symbols, "inputs": spec["inputs"],
                            "layers": [{**spec["layer"], "in": spec["call"], "out": "result"}],
                            "outputs": ["result"]}, path.name)


def stacks() -> list:
    found = [pytest.param(lambda name=name: load_stack(name), id=f"scenario:{name}") for name in scenario_names()]
    found += [pytest.param(lambda case=case: stack_from_data(
        {"input_shape": case["input_shape"], "layers": case["layers"]}), id=f"case:{case['id']}")
        for case in REFERENCE["cases"] if "error" not in case]
    found += [pytest.param(lambda path=path: graph_fixture_stack(path), id=f"graph:{path.stem}")
              for path in GRAPH_FIXTURES]
    found += [pytest.param(lambda path=path: read_saved_model(str(path)), id=f"saved:{path.stem}") for path in SAVED
              if path.stem in SAVED_MODELS]  # not those made to be refused
    return found


def model_of(load) -> Explanation | None:
    """The explanation of a stack, or None for one whose layers do not fit together (stacked-lstm-wrong)."""
    try:
        return explain(load())
    except StackError as error:
        if error.exit_code == 1:
            return None
        raise


# -- reading the code back (tests only) --------------------------------------------------------------------
def literal(node: ast.AST):
    if isinstance(node, ast.Call):
        return layer_spec(node)
    value = ast.literal_eval(node)
    return to_lists(value)


def to_lists(value):
    if isinstance(value, (list, tuple)):
        return [to_lists(v) for v in value]
    return value


def layer_spec(call: ast.Call) -> dict:
    """`layers.LSTM(128, return_sequences=True)` → {"LSTM": {"units": 128, "return_sequences": True}}."""
    assert isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
    assert call.func.value.id == "layers", ast.unparse(call)
    name = call.func.attr
    required = [key for key, arg in REGISTRY[name].arguments.items() if arg.default is REQUIRED]
    args = {key: literal(node) for key, node in zip(required, call.args)}
    assert len(call.args) <= len(required), ast.unparse(call)
    args.update({kw.arg: literal(kw.value) for kw in call.keywords})
    return {name: args}


def input_spec(call: ast.Call) -> tuple[list, str | None]:
    assert ast.unparse(call.func) == "keras.Input", ast.unparse(call)
    keywords = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
    return to_lists(keywords["shape"]), keywords.get("name")


def names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [n for element in node.elts for n in names(element)]
    raise AssertionError(ast.unparse(node))


def read_code(code: str):
    """The generated code → the stack it describes (stack-file data), from its syntax alone."""
    tree = ast.parse(code)
    imports = [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert imports == ["import keras", "from keras import layers"]
    statements = [node for node in tree.body if isinstance(node, ast.Assign)]
    assert statements and all(len(node.targets) == 1 for node in statements)
    last = statements[-1]
    assert ast.unparse(last.targets[0]) == "model"
    if ast.unparse(last.value.func) == "keras.Sequential":
        assert len(statements) == 1
        (elements,) = last.value.args
        shape, _ = input_spec(elements.elts[0])
        return stack_from_data({"input_shape": shape, "layers": [layer_spec(e) for e in elements.elts[1:]]})
    assert ast.unparse(last.value.func) == "keras.Model"
    inputs, specs, calls, layers = {}, {}, set(), []
    for node in statements[:-1]:
        target, value = node.targets[0], node.value
        func = ast.unparse(value.func)
        if func == "keras.Input":
            inputs[target.id], _ = input_spec(value)
        elif func.startswith("layers."):
            specs[target.id] = layer_spec(value)
        else:  # a call of a layer variable on tensors
            variable = value.func.id
            ins = [n for arg in value.args for n in names(arg)]
            entry = {"in": ins if len(ins) > 1 or isinstance(value.args[0], ast.List) else ins[0],
                     "out": names(target)}
            for kw in value.keywords:
                assert kw.arg == "initial_state"
                entry["initial_state"] = names(kw.value)
            if variable in calls:
                entry["reuse"] = variable
            else:
                calls.add(variable)
                (kind, args), = specs[variable].items()
                entry[kind] = {**args, "name": variable}  # a name to reuse it by
            layers.append(entry)
    keywords = {kw.arg: names(kw.value) for kw in last.value.keywords}
    ordered = {name: inputs[name] for name in keywords["inputs"]}
    assert set(ordered) == set(inputs)
    return stack_from_data({"inputs": ordered, "layers": layers, "outputs": keywords["outputs"]})


# -- comparing two explanations ----------------------------------------------------------------------------
def keras_shape(shape):
    if is_shape_list(shape):
        return [keras_shape(s) for s in shape]
    return [None if str(d) == "batch" or not d.is_known else d.value for d in shape]


def arguments(layer: Layer) -> dict:
    """Every argument of the layer (not its name, nor those Keras 3 only warns about): inner layers by their
    own arguments."""
    return {key: (type(value).__name__, arguments(value)) if isinstance(value, Layer) else value
            for key, value in layer.config().items() if key not in NOT_WRITTEN}


def model_outputs(explanation: Explanation) -> list:
    if explanation.stack.is_graph:
        return [keras_shape(explanation.tensors[name]) for name in explanation.outputs]
    shape = explanation.output_shape
    return keras_shape(shape) if is_shape_list(shape) else [keras_shape(shape)]


def assert_same_model(first: Explanation, again: Explanation) -> None:
    assert len(again.steps) == len(first.steps)
    assert [keras_shape(s) for s in again.inputs.values()] == [keras_shape(s) for s in first.inputs.values()]
    assert list(again.dtypes.values()) == list(first.dtypes.values())
    for a, b in zip(first.steps, again.steps):
        assert (b.layer.keras_name, b.layer.title()) == (a.layer.keras_name, a.layer.title())
        assert arguments(b.layer) == arguments(a.layer)
        assert keras_shape(b.input_shape) == keras_shape(a.input_shape)
        assert keras_shape(b.output_shape) == keras_shape(a.output_shape)
        assert (b.params, b.shared_with) == (a.params, a.shared_with)
    assert again.total_params == first.total_params
    assert model_outputs(again) == model_outputs(first)


# -- the tests ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("load", stacks())
def test_code_reads_back_as_the_same_model(load):
    first = model_of(load)
    if first is None:
        pytest.skip("not a model")
    code = to_keras(first)
    compile(code, "<generated>", "exec")  # valid Python
    assert_same_model(first, explain(read_code(code)))


def test_pyreader_reads_the_code_back():
    """shapecli's own reader of Keras scripts reads every generated model back as the same model."""
    pyreader = pytest.importorskip("shapecli.pyreader", reason="shapecli/pyreader.py has not landed")
    differ = []
    for param in stacks():
        first = model_of(param.values[0])
        if first is None:
            continue
        try:
            assert_same_model(first, explain(pyreader.read_python(to_keras(first), f"{param.id}.py")))
        except (AssertionError, StackError) as problem:
            differ.append(f"{param.id}: {problem}")
    assert differ == []


def test_sequential_code():
    assert to_keras(explain(load_stack("addition"))).split("\n")[3:] == [
        "import keras",
        "from keras import layers",
        "",
        "model = keras.Sequential([",
        "    keras.Input(shape=(7, 12)),                # (batch, 7, 12)",
        "    layers.LSTM(128),                          # (batch, 128)",
        "    layers.RepeatVector(4),                    # (batch, 4, 128)",
        "    layers.LSTM(128, return_sequences=True),   # (batch, 4, 128)",
        "    layers.TimeDistributed(layers.Dense(12)),  # (batch, 4, 12)",
        '    layers.Activation("softmax"),              # (batch, 4, 12)',
        "])",
        "",
    ]


def test_functional_code_unpacks_states_and_calls_a_reused_layer_again():
    code = to_keras(explain(load_stack("char-seq2seq-inference")))
    assert 'encoder_inputs = keras.Input(shape=(None, 71), name="encoder_inputs")' in code
    assert 'decoder_lstm = layers.LSTM(256, return_sequences=True, return_state=True, name="decoder_lstm")' in code
    assert "encoder_outputs, state_h, state_c = encoder(encoder_inputs)" in code
    assert "decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=[state_h, state_c])" in code
    assert ("sampled_outputs, decoder_h, decoder_c = decoder_lstm(decoder_inputs, "
            "initial_state=[decoder_state_input_h, decoder_state_input_c])") in code
    assert code.count("layers.LSTM(") == 2 and code.count("layers.Dense(") == 1  # reused, not made again
    assert "outputs=[decoder_probs, state_h, state_c, sampled_probs, decoder_h, decoder_c]" in code


def test_arguments_away_from_the_default_are_written():
    stack = stack_from_data({"input_shape": [None], "layers": [
        {"Embedding": {"input_dim": 50, "output_dim": 8, "mask_zero": True}},
        {"Dropout": {"rate": 0.5, "noise_shape": [None, 1, 8]}},
        {"GRU": {"units": 4, "reset_after": False, "unroll": True, "return_sequences": True,
                 "kernel_initializer": "zeros", "name": "gru"}},
        {"Bidirectional": {"layer": {"SimpleRNN": {"units": 3}}, "merge_mode": "ave"}},
        {"Reshape": {"target_shape": [-1, 1]}},
    ]})
    code = to_keras(explain(stack))
    assert 'keras.Input(shape=(None,), dtype="int32")' in code
    assert "layers.Embedding(50, 8, mask_zero=True)" in code
    assert "layers.Dropout(0.5, noise_shape=(None, 1, 8))" in code
    assert ('layers.GRU(4, return_sequences=True, unroll=True, kernel_initializer="zeros", reset_after=False, '
            'name="gru")') in code
    assert 'layers.Bidirectional(layers.SimpleRNN(3), merge_mode="ave")' in code
    assert "layers.Reshape((-1, 1))" in code


def test_names_that_are_not_python_are_made_python():
    stack = stack_from_data({"inputs": {"in-put": [4, 3], "class": [4, 3]}, "layers": [
        {"Add": {"name": "model"}, "in": ["in-put", "class"], "out": "keras"},
        {"Dense": {"units": 2}, "in": "keras"},
    ], "outputs": ["dense"]})
    code = to_keras(explain(stack))
    ast.parse(code)
    assert 'in_put = keras.Input(shape=(4, 3), name="in-put")' in code
    assert 'class_ = keras.Input(shape=(4, 3), name="class")' in code
    assert 'layers.Add(name="model")' in code
    assert "dense_layer = layers.Dense(2)" in code  # its output is the tensor `dense`
    assert_same_model(explain(stack), explain(read_code(code)))


def test_a_free_size_in_target_shape_becomes_minus_one():
    stack = stack_from_data({"symbols": {"time": None}, "input_shape": ["time", 12],
                             "layers": [{"Reshape": {"target_shape": ["time", 3, 4]}}]})
    assert "layers.Reshape((-1, 3, 4))" in to_keras(explain(stack))


def test_cli_prints_the_code_as_plain_text():
    result = CliRunner().invoke(cli, ["explain", "char-seq2seq", "--as", "keras"], env={"FORCE_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert result.stdout == to_keras(explain(load_stack("char-seq2seq")))
    assert "\x1b[" not in result.stdout
    ast.parse(result.stdout)


def test_cli_refuses_as_keras_with_json():
    result = CliRunner().invoke(cli, ["explain", "addition", "--as", "keras", "--json"])
    assert result.exit_code == 2
    assert "cannot be combined" in result.stderr


def test_cli_as_keras_of_a_stack_that_does_not_fit_exits_1():
    result = CliRunner().invoke(cli, ["explain", "stacked-lstm-wrong", "--as", "keras"])
    assert result.exit_code == 1
    assert result.stdout == ""


def test_cli_as_only_takes_keras():
    result = CliRunner().invoke(cli, ["explain", "addition", "--as", "torch"])
    assert result.exit_code == 2
    assert "keras" in result.stderr


# -- in Keras itself (skipped without it) --------------------------------------------------------------------
def test_keras_builds_the_same_model():
    """Every stack's code, run in Keras: the same count_params() and output shapes."""
    os.environ.setdefault("KERAS_BACKEND", "numpy")
    keras = pytest.importorskip("keras")
    differ = []
    for param in stacks():
        first = model_of(param.values[0])
        if first is None:
            continue
        namespace: dict = {}
        exec(compile(to_keras(first), param.id, "exec"), namespace)  # noqa: S102 - code written by to_keras
        model = namespace["model"]
        assert isinstance(model, keras.Model)
        shapes = [[None if d is None else int(d) for d in t.shape] for t in model.outputs]
        if (model.count_params(), shapes) != (first.total_params, model_outputs(first)):
            differ.append((param.id, model.count_params(), first.total_params, shapes, model_outputs(first)))
    assert differ == []


def test_the_readme_sample_is_what_as_keras_prints():
    readme = (ROOT.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Saved models and Keras code out", 1)[1].split("\n## ", 1)[0]
    sample = section.split("$ shapecli explain addition --as keras\n", 1)[1].split("```", 1)[0]
    result = CliRunner().invoke(cli, ["explain", "addition", "--as", "keras"])
    assert result.exit_code == 0 and result.stdout == sample
