"""Saved Keras models read without Keras: `.keras` archives and `model.to_json()` text → stack files.

tests/reference/saved/ holds small models saved by Keras 3 itself (tools/make_saved_models.py) and, in
expected.json, what Keras says of them: count_params(), the outputs' shapes and each layer's parameters.
shapecli must explain each, from either file, to the same numbers; the models made to be refused (a custom
layer, a layer shapecli does not cover, a Lambda, a custom activation, a model inside a model, masks given
by hand, `a + b` on tensors) and broken files must give located errors (exit 2), never a traceback.
"""

from __future__ import annotations

import ast
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapecli.cli import cli
from shapecli.engine import explain
from shapecli.errors import EXIT_UNREADABLE, StackError
from shapecli.layers.base import is_shape_list
from shapecli.render.json_output import explanation_to_dict
from shapecli.savedmodel import COMPACT_LINE, is_saved_model, parse_json, read_saved_model, stack_from_config_text
from shapecli.scenarios import load_stack
from shapecli.stackfile import MAX_FILE_BYTES

SAVED = Path(__file__).parent / "reference" / "saved"
EXPECTED = json.loads((SAVED / "expected.json").read_text(encoding="utf-8"))["models"]
FORMS = ("keras", "json")


def keras_shape(shape):
    return [None if str(d) == "batch" or not d.is_known else d.value for d in shape]


def outputs(explanation) -> list:
    if explanation.stack.is_graph:
        return [keras_shape(explanation.tensors[name]) for name in explanation.outputs]
    shape = explanation.output_shape
    return [keras_shape(s) for s in shape] if is_shape_list(shape) else [keras_shape(shape)]


def read(name: str, form: str):
    return explain(read_saved_model(str(SAVED / f"{name}.{form}")))


def refused(path) -> StackError:
    with pytest.raises(StackError) as caught:
        explain(read_saved_model(str(path)))
    assert caught.value.exit_code == EXIT_UNREADABLE
    return caught.value


# -- the models, to Keras' numbers --------------------------------------------------------------------------
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_explained_to_keras_numbers(name, form):
    explanation = read(name, form)
    keras = EXPECTED[name]
    assert explanation.total_params == keras["count_params"]
    assert outputs(explanation) == keras["outputs"]
    if explanation.stack.is_graph:  # each layer once, by its Keras name
        assert {s.layer.name: s.params for s in explanation.steps if s.shared_with is None} == keras["layers"]
    else:
        assert [s.params for s in explanation.steps] == list(keras["layers"].values())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_archive_and_json_read_alike(name):
    assert explanation_to_dict(read(name, "keras")) == explanation_to_dict(read(name, "json"))


def test_sequential_layers_read_as_written():
    titles = [step.layer.title() for step in read("bidirectional", "keras").steps]
    assert titles == ["Bidirectional(LSTM(8, return_sequences=True))",  # Keras' own backward copy left out
                      "Bidirectional(GRU(6, return_sequences=True), merge_mode='sum')",
                      "Dropout(0.2)", "TimeDistributed(Dense(9, activation='softmax'))"]
    titles = [step.layer.title() for step in read("conv1d", "json").steps]
    assert titles == ["Conv1D(16, 3, padding='causal', activation='relu')", "MaxPooling1D()",
                      "Conv1D(8, 5, strides=2, use_bias=False)", "LayerNormalization()", "GlobalAveragePooling1D()",
                      "Dense(3)"]
    explanation = read("embedding-lstm", "keras")
    assert explanation.input_dtype == "int32" and keras_shape(explanation.input_shape) == [None, 20]
    assert explanation.steps[0].layer.title() == "Embedding(1000, 16, mask_zero=True)"
    stack = read_saved_model(str(SAVED / "lstm-encoder-decoder.keras"))
    assert set(stack.layers[0].args) == {"units", "activation", "recurrent_activation", "use_bias", "return_sequences",
                                         "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask",
                                         "dropout", "recurrent_dropout"}  # initializers, dtype … dropped
    assert stack.name == "addition"
    assert stack.description == "Sequential model read from lstm-encoder-decoder.keras, saved by Keras 3.15.1"


def test_functional_wiring():
    explanation = read("char-seq2seq-inference", "keras")
    stack = explanation.stack
    assert stack.is_graph and stack.symbols == {"encoder_steps": None, "decoder_steps": None}
    assert {name: [str(d) for d in shape] for name, shape in explanation.inputs.items()} == {
        "encoder_inputs": ["batch", "encoder_steps", "71"], "decoder_inputs": ["batch", "decoder_steps", "93"],
        "decoder_state_input_h": ["batch", "32"], "decoder_state_input_c": ["batch", "32"]}
    calls = [(s.layer.name, s.inputs, s.states, s.outputs, s.shared_with) for s in explanation.steps]
    assert calls == [
        ("encoder", ["encoder_inputs"], [], ["encoder", "encoder_state_h", "encoder_state_c"], None),
        ("decoder_lstm", ["decoder_inputs"], ["encoder_state_h", "encoder_state_c"],
         ["decoder_lstm", "decoder_lstm_state_h", "decoder_lstm_state_c"], None),
        ("decoder_lstm", ["decoder_inputs"], ["decoder_state_input_h", "decoder_state_input_c"],
         ["decoder_lstm_call2", "decoder_lstm_call2_state_h", "decoder_lstm_call2_state_c"], 2),
        ("decoder_dense", ["decoder_lstm"], [], ["decoder_dense"], None),
        ("decoder_dense", ["decoder_lstm_call2"], [], ["decoder_dense_call2"], 4),
    ]
    assert explanation.outputs == ["decoder_dense", "encoder_state_h", "encoder_state_c", "decoder_dense_call2",
                                   "decoder_lstm_call2_state_h", "decoder_lstm_call2_state_c"]


def test_functional_merges_attention_and_shared_layers():
    explanation = read("attention", "json")
    heads = next(s for s in explanation.steps if s.layer.name == "heads")
    assert heads.layer.title() == "MultiHeadAttention(2, 4)" and heads.inputs == ["query", "encoder"]
    merged = next(s for s in explanation.steps if s.layer.name == "merged")
    assert merged.inputs == ["attention", "additive", "heads"]
    assert list(explanation.inputs) == ["query", "value"] and not explanation.stack.symbols  # one free size
    shared = read("shared-dense", "keras")
    assert [(s.layer.name, s.shared_with) for s in shared.steps][:2] == [("shared", None), ("shared", 1)]
    states = read("bidirectional-states", "keras")
    assert states.steps[1].outputs == ["bigru", "bigru_forward_h", "bigru_backward_h"]
    assert states.dtypes == {"tokens": "int32"}


def test_the_same_model_as_the_scenario():
    """Keras' seq2seq saved by Keras reads as the bundled scenario written by hand (its sizes aside)."""
    saved = read("char-seq2seq", "json")
    scenario = explain(load_stack("char-seq2seq"))
    assert [s.layer.keras_name for s in saved.steps] == [s.layer.keras_name for s in scenario.steps]
    assert [(len(s.inputs), len(s.states), len(s.outputs)) for s in saved.steps] == \
        [(len(s.inputs), len(s.states), len(s.outputs)) for s in scenario.steps]
    assert [s.layer.title().replace("32", "256") for s in saved.steps] == [s.layer.title() for s in scenario.steps]


# -- refused, with the place --------------------------------------------------------------------------------
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name, title, token", [
    ("custom-layer", "Scale is a custom layer: its code is not in the file, and shapecli never runs code", "Scale"),
    ("uncovered-layer", "GaussianNoise is a Keras layer that shapecli does not cover yet", "GaussianNoise"),
    ("lambda-layer", "Lambda is a Keras layer that shapecli does not cover yet", "Lambda"),
    ("custom-activation", "Dense: `activation` is the custom function 'Custom>doubled'", '"activation"'),
    ("nested-model", "a Sequential model used as a layer is not covered", "Sequential"),
    ("masked-call", "Attention is called with masks given by hand (mask=…), which shapecli does not cover",
     '"mask"'),
    ("tensor-operation", "Add here is an operation on tensors (keras.src.ops.numpy), not a layer", "Add"),
])
def test_refused_where_it_is(name, title, token, form):
    path = SAVED / f"{name}.{form}"
    error = refused(path)
    assert error.title.startswith(title)
    assert error.mark.path == (f"{path}/config.json" if form == "keras" else str(path))
    assert token in error.mark.source_line
    if form == "json":  # written on lines: the line is the file's own
        lines = path.read_text(encoding="utf-8").split("\n")
        assert lines[error.mark.line - 1] == error.mark.source_line
    else:  # one long line in the archive: the line is that of its indented form (python -m json.tool)
        config = zipfile.ZipFile(path).read("config.json").decode()
        indented = json.dumps(json.loads(config), indent=4).split("\n")
        assert indented[error.mark.line - 1] == error.mark.source_line


def test_custom_layer_says_how_it_is_registered():
    assert refused(SAVED / "custom-layer.keras").found == "the custom layer Scale (registered as 'Custom>Scale')"


def config_of(name: str) -> dict:
    return json.loads((SAVED / f"{name}.json").read_text(encoding="utf-8"))


def write_json(tmp_path, data, name="model.json", indent=2) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, indent=indent), encoding="utf-8")
    return path


def layer_config(data: dict, class_name: str) -> dict:
    return next(layer for layer in data["config"]["layers"] if layer["class_name"] == class_name)["config"]


def test_an_argument_shapecli_does_not_know_is_refused_unless_it_changes_nothing(tmp_path):
    data = config_of("attention")
    assert layer_config(data, "MultiHeadAttention")["use_gate"] is False  # dropped: it changes nothing
    layer_config(data, "MultiHeadAttention")["use_gate"] = True
    error = refused(write_json(tmp_path, data))
    assert error.title == "MultiHeadAttention: the argument `use_gate` is not covered by shapecli"
    assert '"use_gate": true' in error.mark.source_line


def test_an_argument_value_is_located_for_the_layer_that_refuses_it(tmp_path):
    data = config_of("embedding-lstm")
    layer_config(data, "Dense")["activation"] = "not_an_activation"
    error = refused(write_json(tmp_path, data))
    assert "unknown activation 'not_an_activation'" in error.title
    assert '"activation": "not_an_activation"' in error.mark.source_line


def test_a_lambda_activation_is_refused_not_decoded(tmp_path):
    data = config_of("embedding-lstm")
    layer_config(data, "Dense")["activation"] = {"value": ["4wEAAAAAAAAA\n", None, None]}  # as Keras writes one
    error = refused(write_json(tmp_path, data))
    assert error.title == "Dense: `activation` is a Python lambda (stored as code, which shapecli never runs)"
    assert '"activation": {' in error.mark.source_line


def test_the_reader_never_imports_or_runs_what_it_reads():
    source = (Path(__file__).parent.parent / "shapecli" / "savedmodel.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"pickle", "marshal", "importlib", "h5py", "keras", "base64", "dill", "cloudpickle"}
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__"}


# -- broken or foreign files ----------------------------------------------------------------------------------
def zip_with(tmp_path, members: dict, name="model.keras") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return path


@pytest.mark.parametrize("content, title", [
    (b"not a zip at all", "is not a .keras archive"),
    (b"", "is not a .keras archive"),
    (b"\x89HDF\r\n\x1a\n", "is not a .keras archive"),
    (b"PK\x03\x04" + b"\x00" * 40, "is not a readable .keras archive"),
])
def test_a_keras_file_that_is_not_an_archive(tmp_path, content, title):
    path = tmp_path / "model.keras"
    path.write_bytes(content)
    error = refused(path)
    assert title in error.title and error.expected and error.fix


def test_a_truncated_archive(tmp_path):
    whole = (SAVED / "conv1d.keras").read_bytes()
    path = tmp_path / "model.keras"
    path.write_bytes(whole[: len(whole) // 2])
    assert "is not a readable .keras archive" in refused(path).title


def test_an_archive_without_config(tmp_path):
    error = refused(zip_with(tmp_path, {"notes.txt": "hello"}))
    assert "holds no config.json" in error.title and error.found == "a zip holding notes.txt"


def test_an_archive_whose_config_is_not_json(tmp_path):
    error = refused(zip_with(tmp_path, {"config.json": "{\"class_name\": \"Sequential\",\n  oops}"}))
    assert error.title.startswith("this is not valid JSON")
    assert (error.mark.path.endswith("model.keras/config.json"), error.mark.line) == (True, 2)


def test_an_oversized_config_is_not_read(tmp_path):
    error = refused(zip_with(tmp_path, {"config.json": b" " * (MAX_FILE_BYTES + 1)}))
    assert "too large" in error.title


@pytest.mark.parametrize("data, title", [
    ({"a": 1}, "this JSON is not a Keras model config"),
    ([1, 2, 3], "this JSON is not a Keras model config"),
    ("text", "this JSON is not a Keras model config"),
    ({"class_name": "LSTM", "config": {"units": 3}}, "this is the config of one LSTM layer, not of a model"),
    ({"class_name": "Sequential", "config": {"layers": []}, "keras_version": "2.15.0"},
     "this model was saved by Keras 2.15.0; shapecli reads Keras 3 configs"),
    ({"module": "my_models", "class_name": "MyModel", "config": {}, "registered_name": "MyModel>MyModel"},
     "MyModel is a subclassed model"),
    ({"class_name": "Sequential", "config": {"layers": [{"class_name": "LSTM", "config": {"units": 3}}]}},
     "the Sequential model has no input shape"),
])
def test_json_that_is_not_a_keras_model(tmp_path, data, title):
    error = refused(write_json(tmp_path, data))
    assert error.title.startswith(title)
    assert error.mark is not None and error.mark.line >= 1


def test_invalid_json_is_located(tmp_path):
    path = tmp_path / "model.json"
    path.write_text('{\n  "class_name": "Sequential",\n  "config": {,}\n}\n', encoding="utf-8")
    error = refused(path)
    assert error.title.startswith("this is not valid JSON")
    assert (error.mark.line, error.mark.column) == (3, 14)


def test_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(b"\xff\xfe{}")
    assert "is not UTF-8 text" in refused(path).title


# -- JSON with places -------------------------------------------------------------------------------------------
TRICKY = ('{"a": [1, -2.5e3, 0, true, false, null, NaN, -Infinity, Infinity],\n "b\\u00e9\\"": {"c": "x\\ny \\\\ é"},'
          '\n "e": {}, "f": [], "g": [[], [{}]], "a": "last wins"}')


def test_values_and_places():
    item = parse_json(TRICKY, "t.json")
    plain = item.plain()
    expected = json.loads(TRICKY)
    assert json.dumps(plain, sort_keys=True) == json.dumps(expected, sort_keys=True)  # NaN compares by text
    key = item.keys['bé"']
    assert (key.mark.line, key.mark.column, key.mark.width) == (2, 2, 11)  # the key as written, quotes included
    value = item.value['bé"'].value["c"]
    assert (value.mark.line, value.mark.column) == (2, 21)


@pytest.mark.parametrize("path", sorted(SAVED.glob("*.json")))
def test_every_fixture_reads_as_json_reads_it(path):
    text = path.read_text(encoding="utf-8")
    assert parse_json(text, path.name).plain() == json.loads(text)


def test_a_compact_config_is_placed_in_its_indented_form():
    text = json.dumps({"class_name": "Sequential", "config": {"name": "x" * COMPACT_LINE}})
    item = parse_json(text, "m.json")
    assert item.value["config"].value["name"].mark.line == 4
    assert item.value["config"].value["name"].mark.source_line.strip().startswith('"name": "xxx')


def test_is_saved_model():
    assert is_saved_model("m.keras") and is_saved_model("dir/M.JSON")
    assert not is_saved_model("m.yaml") and not is_saved_model("m.h5")


# -- the command line (once load_stack reads saved models) --------------------------------------------------
def dispatching() -> bool:
    try:
        load_stack(str(SAVED / "conv1d.keras"))
    except StackError:
        return False
    return True


needs_dispatch = pytest.mark.skipif(not dispatching(), reason="load_stack does not read .keras / .json yet "
                                    "(the one line in shapecli/scenarios.py, see shapecli/savedmodel.py)")


@needs_dispatch
@pytest.mark.parametrize("form", FORMS)
def test_cli_explains_a_saved_model(form):
    result = CliRunner().invoke(cli, ["explain", str(SAVED / f"char-seq2seq.{form}"), "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["total_params"] == EXPECTED["char-seq2seq"]["count_params"]
    result = CliRunner().invoke(cli, ["explain", str(SAVED / f"char-seq2seq.{form}"), "--as", "keras"])
    assert result.exit_code == 0 and "initial_state=[encoder_state_h, encoder_state_c]" in result.stdout


@needs_dispatch
@pytest.mark.parametrize("make", [
    lambda tmp: (tmp / "broken.keras").write_bytes(b"PK\x03\x04broken") and tmp / "broken.keras",
    lambda tmp: (tmp / "other.json").write_text('{"not": "keras"}') and tmp / "other.json",
    lambda tmp: SAVED / "custom-layer.keras",
])
def test_cli_refuses_with_exit_2_and_no_traceback(tmp_path, make):
    result = CliRunner().invoke(cli, ["explain", str(make(tmp_path))])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_damaged_configs_give_errors_not_tracebacks():
    """Seeded damage to the fixtures' configs — a value replaced or removed anywhere — is read or refused
    with a StackError, never another exception."""
    import copy
    import random

    rng = random.Random(0)
    values = [None, 0, -1, 2.5, True, "x", "", [], {}, [None], ["a", 0, 0], [1, 2, 3], "LSTM",
              {"class_name": "__keras_tensor__", "config": {"keras_history": ["nope", 0, 0]}},
              {"class_name": "LSTM", "config": {}}]
    configs = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(SAVED.glob("*.json"))
               if path.name != "expected.json"]

    def places(value, at=()):
        yield at
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in children:
            yield from places(child, (*at, key))

    crashed = []
    for _ in range(400):
        data = copy.deepcopy(rng.choice(configs))
        at = rng.choice(list(places(data))[1:])
        parent = data
        for key in at[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and rng.random() < 0.2:
            del parent[at[-1]]
        else:
            parent[at[-1]] = copy.deepcopy(rng.choice(values))
        try:
            explain(stack_from_config_text(json.dumps(data), "damaged.json"))
        except StackError:
            pass
        except Exception as problem:  # noqa: BLE001 - the point of the test
            crashed.append(f"{at}: {type(problem).__name__}: {problem}")
    assert crashed == []


def test_a_stack_file_written_as_json_is_read_as_one(tmp_path):
    path = write_json(tmp_path, {"input_shape": [7, 12], "layers": [{"LSTM": {"units": 4}}]}, "stack.json")
    explanation = explain(read_saved_model(str(path)))
    assert explanation.total_params == 4 * (12 * 4 + 4 * 4 + 4)
