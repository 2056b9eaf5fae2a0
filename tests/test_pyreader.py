"""Keras scripts read by shapecli.pyreader: parsed, never run, explained to Keras' own numbers.

tests/scripts/keras_expected.json holds what Keras 3 built from each script in tests/scripts/
(tools/keras_script_expectations.py, run in Keras' environment): count_params() and the output shapes of
every model the script's top level holds. These tests only read that file; Keras is never imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shapecli.engine import explain
from shapecli.errors import StackError
from shapecli.pyreader import all_findings, loss_findings, read_python
from shapecli.scenarios import load_stack

SCRIPTS = Path(__file__).parent / "scripts"
EXPECTED = json.loads((SCRIPTS / "keras_expected.json").read_text(encoding="utf-8"))
NOT_RUN = SCRIPTS / "not_run"
CASES = [(script, var) for script, record in sorted(EXPECTED["scripts"].items()) for var in record["models"]]


def script(text: str, model: str | None = None, path: str = "model.py"):
    return read_python(textwrap.dedent(text), path, model)


def error_of(text: str, model: str | None = None) -> StackError:
    with pytest.raises(StackError) as raised:
        explain(script(text, model))
    return raised.value


def as_keras(shape, sizes: dict) -> list:
    """A shapecli shape as Keras prints it: the batch and free sizes None, unless the script had the number."""
    found = []
    for dim in shape:
        if str(dim) == "batch":
            found.append(None)
        elif dim.is_known:
            found.append(dim.value)
        elif dim.symbols <= set(sizes):
            found.append(dim.evaluate(sizes))
        else:
            found.append(None)
    return found


# -- the corpus: Keras' numbers ------------------------------------------------------------------------
def test_the_corpus_is_varied_and_every_script_has_keras_numbers():
    scripts = sorted(p.name for p in SCRIPTS.glob("*.py"))
    assert len(scripts) >= 15
    assert scripts == sorted(EXPECTED["scripts"])  # every script was built by Keras
    texts = {name: (SCRIPTS / name).read_text() for name in scripts}
    joined = "\n".join(texts.values())
    for idiom in ("from keras.layers.core import", "from keras.layers.recurrent import", "import tensorflow as tf",
                  "from tensorflow import keras", "from keras import layers as L", "import keras\n",
                  "from tensorflow.keras.layers import *", ".add(", "keras.Sequential(", "keras.Model(",
                  "return_state=True", "initial_state=", "Attention(", "Bidirectional(", "TimeDistributed(",
                  "Conv1D(", "Embedding(", "len(", ".shape[1]"):
        assert idiom in joined, idiom
    assert EXPECTED["scripts"]["char_seq2seq.py"]["models"].keys() == {"model", "encoder_model", "decoder_model"}


@pytest.mark.parametrize("name,var", CASES, ids=[f"{s}:{v}" for s, v in CASES])
def test_each_script_explains_to_the_numbers_keras_gives(name, var):
    record = EXPECTED["scripts"][name]
    truth = record["models"][var]
    stack = read_python((SCRIPTS / name).read_text(encoding="utf-8"), name, model=var)
    explanation = explain(stack)
    assert explanation.total_params == truth["params"]
    shapes = [explanation.tensors[o] for o in explanation.outputs] if stack.is_graph else [explanation.output_shape]
    assert [as_keras(s, record["sizes"]) for s in shapes] == truth["output_shapes"]


def test_a_script_with_one_model_needs_no_model_name():
    for name, record in EXPECTED["scripts"].items():
        if len(record["models"]) == 1:
            stack = read_python((SCRIPTS / name).read_text(), name)
            assert stack.name == next(iter(record["models"]))


def test_reading_scripts_never_imports_keras_or_tensorflow():
    code = ("import sys, pathlib\nfrom shapecli.pyreader import read_python\nfrom shapecli.engine import explain\n"
            f"for p in sorted(pathlib.Path({str(SCRIPTS)!r}).glob('*.py')):\n"
            "    try:\n        explain(read_python(p.read_text(), p.name))\n    except Exception:\n        pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow', 'tf_keras')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- the published script --------------------------------------------------------------------------------
PUBLISHED = (NOT_RUN / "published_note.py").read_text()


def test_the_published_script_says_its_size_is_never_defined_with_everything_else_in_one_run():
    with pytest.raises(StackError) as raised:
        read_python(PUBLISHED, "note.py")
    error = raised.value
    assert error.exit_code == 2
    assert error.title == "`seq_out_length` is never defined"
    assert (error.mark.line, error.mark.column, error.mark.width) == (17, 24, len("seq_out_length"))
    assert "did you mean" not in (error.fix or "") and "seq_in_length" not in (error.fix or "")
    notes = "\n".join(error.notes)
    assert "`seq_in_length`" in notes and "different size" in notes and "not suggested" in notes
    twice = next(n for n in error.notes if "assigned twice" in n)
    assert "line 7" in twice and "line 11" in twice and "reads 4 steps, not 7" in twice
    assert any("`lr=`" in n and "learning_rate" in n for n in error.notes)
    levels = {f["level"]: f for f in error.findings}
    assert levels["error"]["line"] == 17 and levels["warning"]["line"] == 11 and levels["note"]["line"] == 23


def test_the_published_script_fixed_explains_to_the_addition_model():
    fixed = PUBLISHED.replace("seq_in_length = 4\n", "seq_out_length = 4\n")
    stack = read_python(fixed, "note.py")
    explanation = explain(stack)
    assert explanation.total_params == 205_324
    found = all_findings(stack, explanation)
    assert [f["level"] for f in found] == ["note", "note"]  # no double assignment left
    loss, lr = found
    assert "one-hot" in loss["message"] and "(batch, 4, 12)" in loss["message"] and "per step" in loss["message"]
    assert "averaged" in loss["message"]
    assert "learning_rate" in lr["message"] and lr["fix"] == "write `learning_rate=0.001`"


def test_a_loss_keras_does_not_know_gets_a_did_you_mean():
    fixed = PUBLISHED.replace("seq_in_length = 4\n", "seq_out_length = 4\n")
    stack = read_python(fixed.replace("'categorical_crossentropy'", "'categorical_cross_entropy'"), "note.py")
    (wrong,) = [f for f in stack.findings if "categorical_cross_entropy" in f["message"]]
    assert wrong["level"] == "warning" and "not a Keras loss" in wrong["message"]
    assert wrong["fix"] == "did you mean 'categorical_crossentropy'?"
    assert (wrong["line"], wrong["column"]) == (22, 20)


def test_each_loss_of_a_list_is_checked():
    stack = script("""
        import keras
        a = keras.Input((3,))
        model = keras.Model(a, [keras.layers.Dense(2, activation="softmax")(a), keras.layers.Dense(1)(a)])
        model.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "mean_square_error"])
    """)
    (wrong,) = stack.findings
    assert wrong["fix"] == "did you mean 'mean_squared_error'?" and wrong["column"] == 74


# -- the loss against the output ------------------------------------------------------------------------------
LOSS_MODEL = """
    import keras
    from keras import layers
    model = keras.Sequential([keras.Input((7, 12)), layers.LSTM(32), layers.RepeatVector(4),
                              layers.LSTM(32, return_sequences=True), layers.Dense({units}{activation})])
    model.compile(optimizer="adam", loss={loss})
"""


def loss_notes(loss: str, activation: str = ", activation='softmax'", units: int = 12) -> list[dict]:
    stack = script(LOSS_MODEL.format(loss=loss, activation=activation, units=units))
    return loss_findings(stack, explain(stack))


def test_sparse_categorical_crossentropy_wants_integer_targets_one_per_step():
    (note,) = loss_notes("'sparse_categorical_crossentropy'")
    assert "y of shape (batch, 4)" in note["message"] and "integer" in note["message"]


def test_categorical_crossentropy_wants_one_hot_targets_of_the_output_shape():
    (note,) = loss_notes("keras.losses.CategoricalCrossentropy()")
    assert "one-hot" in note["message"] and "y of shape (batch, 4, 12)" in note["message"]


def test_softmax_with_binary_crossentropy_on_many_classes_is_a_note():
    (note,) = loss_notes("'binary_crossentropy'")
    assert note["level"] == "note" and "softmax + binary_crossentropy on 12 classes" in note["message"]
    assert "categorical_crossentropy" in note["fix"]
    (single,) = loss_notes("'binary_crossentropy'", units=1)
    assert single["level"] == "warning" and "always 1" in single["message"]


def test_a_linear_output_with_a_cross_entropy_is_a_note_unless_from_logits():
    found = loss_notes("'categorical_crossentropy'", activation="")
    assert any("linear" in f["message"] and "from_logits=True" in f["fix"] for f in found)
    logits = loss_notes("keras.losses.CategoricalCrossentropy(from_logits=True)", activation="")
    assert not any("linear" in f["message"] for f in logits)


def test_a_regression_loss_says_the_target_shape():
    (note,) = loss_notes("'mse'", activation="")
    assert "y of shape (batch, 4, 12)" in note["message"]


IMPORTS = {
    "keras 3": ("import keras", "keras.Sequential", "keras.Input", "keras.layers.LSTM", "keras.layers.Dense"),
    "from keras import layers": ("import keras\nfrom keras import layers", "keras.Sequential", "keras.Input",
                                 "layers.LSTM", "layers.Dense"),
    "layers as L": ("from keras import layers as L, Sequential, Input", "Sequential", "Input", "L.LSTM", "L.Dense"),
    "keras 2 paths": ("from keras.models import Sequential\nfrom keras.layers.core import Dense\n"
                      "from keras.layers.recurrent import LSTM\nfrom keras.engine.input_layer import Input",
                      "Sequential", "Input", "LSTM", "Dense"),
    "tf.keras": ("import tensorflow as tf", "tf.keras.Sequential", "tf.keras.Input", "tf.keras.layers.LSTM",
                 "tf.keras.layers.Dense"),
    "from tensorflow import keras": ("from tensorflow import keras", "keras.models.Sequential", "keras.layers.Input",
                                     "keras.layers.LSTM", "keras.layers.Dense"),
    "tensorflow.keras.layers": ("from tensorflow.keras.layers import LSTM as Recurrent, Dense as FC, Input\n"
                                "from tensorflow.keras.models import Sequential", "Sequential", "Input", "Recurrent",
                                "FC"),
    "star": ("from tensorflow.keras.layers import *\nfrom tensorflow.keras.models import *", "Sequential", "Input",
             "LSTM", "Dense"),
    "aliases of modules": ("import tensorflow.keras as K\nimport keras.layers as KL", "K.Sequential", "KL.Input",
                           "KL.LSTM", "KL.Dense"),
}


@pytest.mark.parametrize("style", list(IMPORTS), ids=list(IMPORTS))
def test_every_import_spelling_reaches_the_same_layers(style):
    head, sequential, inp, lstm, dense = IMPORTS[style]
    stack = read_python(f"{head}\nmodel = {sequential}([{inp}(shape=(7, 12)), {lstm}(16), {dense}(3)])\n", "m.py")
    assert explain(stack).total_params == 4 * (12 * 16 + 16 * 16 + 16) + 16 * 3 + 3


def test_a_hostile_script_is_refused_quickly():
    import time

    fanout = "".join(f"def f{i}(x):\n    return f{i + 1}(f{i + 1}(x))\n" for i in range(30))
    text = ("import keras\nfrom keras.layers import Dense, Input\n" + fanout +
            "def f30(x):\n    return Dense(2)(x)\nx = Input((2,))\nmodel = keras.Model(x, f0(x))\n"
            "s = 'a' * 10 ** 15\nbig = [1] * 10000\n" + "big = big + big\n" * 40)
    start = time.perf_counter()
    with pytest.raises(StackError) as raised:
        read_python(text, "hostile.py")
    assert "too large" in raised.value.title and time.perf_counter() - start < 10


# -- names and sizes ---------------------------------------------------------------------------------
SMALL = """
    from keras.models import Sequential
    from keras.layers import LSTM, Dense
    n_hidden = 16
    model = Sequential()
    model.add(LSTM({units}, input_shape=(5, 3)))
    model.add(Dense(2))
"""


def test_a_misspelt_size_gets_a_did_you_mean():
    error = error_of(SMALL.format(units="n_hiden"))
    assert error.title == "`n_hiden` is never defined" and error.fix == "did you mean `n_hidden`?"
    assert error.mark.line == 6


def test_a_layer_never_imported_says_how_to_import_it():
    error = error_of("""
        from keras.models import Sequential
        model = Sequential()
        model.add(GRU(4, input_shape=(5, 3)))
    """)
    assert error.title == "`GRU` is never defined" and error.fix == "import it: `from keras.layers import GRU`"


def test_a_name_used_before_its_assignment_says_where_it_is():
    error = error_of("""
        from keras.models import Sequential
        from keras.layers import LSTM
        model = Sequential([LSTM(units, input_shape=(5, 3))])
        units = 8
    """)
    assert "before it is defined (line 5)" in error.title and error.mark.line == 4


def test_a_size_is_read_at_the_point_of_use():
    stack = script("""
        from keras.models import Sequential
        from keras.layers import LSTM, Dense
        n = 8
        model = Sequential()
        model.add(LSTM(n, input_shape=(5, 3)))
        n = 16
        model.add(Dense(n))
    """)
    explanation = explain(stack)
    assert [s.layer.title() for s in explanation.steps] == ["LSTM(8)", "Dense(16)"]
    (warning,) = [f for f in stack.findings if f["level"] == "warning"]
    assert "line 4" in warning["message"] and "line 7" in warning["message"]


def test_a_value_computed_from_the_one_before_is_no_warning():
    stack = script("""
        import keras
        steps = 4
        steps += 1
        units = 8
        units = units * 2
        model = keras.Sequential([keras.Input((steps, 3)), keras.layers.LSTM(units)])
    """)
    assert explain(stack).total_params == 4 * (3 * 16 + 16 * 16 + 16)
    assert not [f for f in stack.findings if f["level"] == "warning"]


def test_a_size_known_only_when_the_script_runs_is_free_and_said_so():
    stack = script("""
        import numpy as np
        import keras
        X = np.load("data.npy")
        n_steps = X.shape[1]
        model = keras.Sequential([keras.Input((n_steps, 3)), keras.layers.LSTM(4, return_sequences=True)])
    """)
    explanation = explain(stack)
    assert [str(d) for d in explanation.output_shape] == ["batch", "n_steps", "4"]
    (note,) = stack.findings
    assert note["level"] == "note" and note["line"] == 5 and "`n_steps`" in note["message"]
    assert "X.shape[1]" in note["message"] and stack.symbols == {"n_steps": None}


def test_a_free_size_where_a_number_is_needed_is_an_error_in_the_scripts_terms():
    from shapecli.pyreader import with_findings

    stack = script("""
        import keras
        text = open("corpus.txt").read()
        chars = sorted(set(text))
        model = keras.Sequential([keras.Input((40, 10)), keras.layers.LSTM(128), keras.layers.Dense(len(chars))])
    """)
    with pytest.raises(StackError) as raised:
        explain(stack)
    error = with_findings(raised.value, stack)
    assert error.mark.line == 5 and "free" in error.title
    assert "symbols:" not in error.fix and "script runs" in error.fix
    assert any("len(chars)" in note for note in error.notes)


# -- what is not read is named, with its line ----------------------------------------------------------------
HEAD = """
    import keras
    from keras import layers
    from keras.layers import Lambda, LSTM, Dense, Input
    from keras.models import Sequential, Model, load_model
"""
REFUSED = {
    "custom layer class": ("""
        class Scale(layers.Layer):
            def call(self, x):
                return x * 2
        model = Sequential([Input((5, 3)), LSTM(4), Scale()])
    """, 10, "custom layer class"),
    "a layer added in a loop": ("""
        model = Sequential([Input((5, 3))])
        for i in range(3):
            model.add(LSTM(4, return_sequences=True))
    """, 9, "LSTM(…) at line 9 is built in the loop at line 8"),
    "a comprehension": ("""
        model = Sequential([Input((5, 3))] + [Dense(n) for n in (8, 4)])
    """, 7, "Dense(…) at line 7 is built inside"),
    "Lambda": ("""
        model = Sequential([Input((5, 3)), Lambda(lambda x: x[:, -1]), Dense(2)])
    """, 7, "Lambda"),
    "a layer under a condition": ("""
        deep = True
        model = Sequential([Input((5, 3))])
        if deep:
            model.add(LSTM(4))
    """, 10, "LSTM(…) at line 10 is built under the `if` at line 9"),
    "tensor arithmetic": ("""
        a = Input((3,))
        b = Input((3,))
        model = Model([a, b], Dense(1)(a + b))
    """, 9, "arithmetic on tensors"),
    "a model called as a layer": ("""
        inner = Sequential([Input((5, 3)), LSTM(4)])
        x = Input((5, 3))
        model = Model(x, Dense(1)(inner(x)))
    """, 9, "as a layer"),
    "a model loaded from a file": ("""
        model = load_model("s2s.keras")
        encoder_inputs = model.input[0]
        encoder = Model(encoder_inputs, model.layers[2].output)
    """, 7, "loads a model from a file"),
    "keyword arguments from a dict": ("""
        settings = dict(units=4)
        model = Sequential([Input((5, 3)), LSTM(**settings)])
    """, 8, "**settings"),
    "a tensor sliced": ("""
        x = Input((5, 3))
        model = Model(x, Dense(1)(LSTM(4, return_sequences=True)(x)[:, -1]))
    """, 8, "slices a tensor"),
}


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_every_construct_that_is_not_read_is_named_with_its_line(case):
    body, line, words = REFUSED[case]
    with pytest.raises(StackError) as raised:
        explain(script(textwrap.dedent(HEAD) + textwrap.dedent(body), model="model"))
    error = raised.value
    assert error.exit_code == 2
    assert error.mark is not None and error.mark.line == line, str(error)
    assert words in error.title, error.title


def test_a_layer_shapecli_does_not_cover_is_named_with_its_line():
    error = error_of(textwrap.dedent(HEAD) + textwrap.dedent("""
        model = Sequential([Input((28, 28, 1)), layers.Conv2D(8, 3), layers.Flatten(), Dense(2)])
    """))
    assert error.exit_code == 2 and error.mark.line == 7 and "Conv2D" in error.title and "does not cover" in error.title


def test_a_name_that_is_not_keras_is_not_a_layer():
    error = error_of("""
        import keras
        from mylib import LSTM
        model = keras.Sequential([keras.Input((5, 3)), LSTM(4)])
    """)
    assert error.mark.line == 4 and "not a layer" in error.title


def test_whatever_is_not_about_the_model_is_ignored():
    stack = script("""
        import numpy as np
        import matplotlib.pyplot as plt
        import keras
        data = np.loadtxt("data.csv")
        for epoch in range(10):
            print(epoch)
        model = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4)])
        model.compile(loss="mse", optimizer="adam")
        history = model.fit(data, data, epochs=3)
        plt.plot(history.history["loss"])
        plt.savefig("loss.png")
    """)
    assert explain(stack).total_params == 4 * (3 * 4 + 4 * 4 + 4)


# -- several models ----------------------------------------------------------------------------------
SEQ2SEQ = (SCRIPTS / "char_seq2seq.py").read_text()


def test_several_models_without_a_choice_is_an_error_that_lists_them():
    with pytest.raises(StackError) as raised:
        read_python(SEQ2SEQ, "char_seq2seq.py")
    error = raised.value
    assert error.exit_code == 2 and "3 models" in error.title and "--model" in error.title
    assert [n.split(":")[0] for n in error.notes] == ["model", "encoder_model", "decoder_model"]


def test_model_picks_one_and_an_unknown_name_gets_a_did_you_mean():
    assert read_python(SEQ2SEQ, "s.py", model="encoder_model").name == "encoder_model"
    with pytest.raises(StackError) as raised:
        read_python(SEQ2SEQ, "s.py", model="encoder_modle")
    assert raised.value.fix == "did you mean `encoder_model`?" and raised.value.exit_code == 2


def test_a_layer_called_again_is_a_reuse_entry():
    stack = read_python((SCRIPTS / "shared_encoder.py").read_text(), "shared_encoder.py")
    reused = [entry.reuses for entry in stack.layers if entry.reuses]
    assert reused == ["embedding", "lstm"]
    steps = explain(stack).steps
    assert sum(1 for s in steps if s.shared_with is not None) == 2


# -- places in the script -------------------------------------------------------------------------------
def test_a_bad_argument_is_pointed_at_in_the_script():
    error = error_of(SMALL.format(units="n_hidden, return_sequences='yes'"))
    assert (error.mark.line, error.mark.column) == (6, 43) and "return_sequences" in error.title
    unknown = error_of(SMALL.format(units="n_hidden, output_dim=3"))
    assert (unknown.mark.line, unknown.mark.column, unknown.mark.width) == (6, 26, len("output_dim"))


def test_layers_that_do_not_fit_point_at_the_call_and_exit_1():
    from shapecli.pyreader import with_findings

    stack = script("""
        from keras.models import Sequential
        from keras.layers import LSTM
        model = Sequential()
        model.add(LSTM(32, input_shape=(10, 8)))
        model.add(LSTM(32))
    """)
    with pytest.raises(StackError) as raised:
        explain(stack)
    error = with_findings(raised.value, stack)
    assert error.exit_code == 1 and (error.mark.line, error.mark.column) == (6, 11)
    assert "return_sequences=True" in error.fix and "line 5" in error.fix


def test_batch_input_shape_is_refused_with_keras_3s_reason():
    error = error_of(SMALL.format(units="n_hidden").replace("input_shape=(5, 3)", "batch_input_shape=(32, 5, 3)"))
    assert error.exit_code == 2 and "batch_input_shape" in error.title and "Keras 3" in error.fix


def test_a_model_without_an_input_shape_says_how_to_give_one():
    error = error_of("""
        from keras.models import Sequential
        from keras.layers import Embedding, LSTM
        model = Sequential([Embedding(1000, 64, input_length=20), LSTM(8)])
    """)
    assert "never says its input shape" in error.title and "keras.Input(shape=(20,))" in error.fix


def test_python_that_does_not_parse_is_an_error_at_its_line():
    with pytest.raises(StackError) as raised:
        script("import keras\nmodel = keras.Sequential([\n")
    assert raised.value.exit_code == 2 and "not valid Python" in raised.value.title


# -- the command line ----------------------------------------------------------------------------------------
def shapecli(*args: str):
    """The command in-process (click's runner): `returncode`, `stdout`, `stderr` as a process would give."""
    from click.testing import CliRunner

    from shapecli.cli import cli

    result = CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    result.returncode = result.exit_code
    return result


def test_nothing_in_the_script_is_ever_executed(tmp_path):
    """In a real process, in a scratch directory: the script's top level would write files there and exit 3."""
    target = tmp_path / "side_effects.py"
    target.write_text((NOT_RUN / "side_effects.py").read_text())
    result = subprocess.run([sys.executable, "-m", "shapecli", "explain", str(target)], capture_output=True,
                            text=True, cwd=tmp_path, env={"NO_COLOR": "1", "COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "total params 138" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["side_effects.py"]  # nothing written, no exit(3)


def test_explain_prints_the_findings_before_the_table_and_json_carries_them(tmp_path):
    target = tmp_path / "addition.py"
    target.write_text((SCRIPTS / "addition_keras2.py").read_text())
    result = shapecli("explain", str(target))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"note: {target}:23:20: categorical_crossentropy")
    assert result.stdout.index("`lr=`") < result.stdout.index("total params 205,324")
    data = json.loads(shapecli("explain", str(target), "--json").stdout)
    assert data["total_params"] == 205_324 and [f["line"] for f in data["findings"]] == [23, 24]


def test_the_cli_error_shows_the_line_and_every_finding(tmp_path):
    target = tmp_path / "note.py"
    target.write_text(PUBLISHED)
    result = shapecli("explain", str(target))
    assert result.returncode == 2
    assert f"--> {target}:17:24" in result.stderr and "^^^^^^^^^^^^^^" in result.stderr
    assert "assigned twice" in result.stderr and "`lr=`" in result.stderr


def test_the_model_option_picks_and_is_refused_for_a_stack_file(tmp_path):
    target = tmp_path / "s2s.py"
    target.write_text(SEQ2SEQ)
    listed = shapecli("explain", str(target))
    assert listed.returncode == 2 and "encoder_model" in listed.stderr and "decoder_model" in listed.stderr
    picked = shapecli("explain", str(target), "--model", "decoder_model")
    assert picked.returncode == 0 and "total params 382,301" in picked.stdout
    assert shapecli("explain", "addition", "--model", "model").returncode == 2


def test_run_and_compare_read_scripts_too(tmp_path):
    target = tmp_path / "addition.py"
    target.write_text((SCRIPTS / "addition_keras3.py").read_text())
    result = shapecli("run", str(target))
    assert result.returncode == 0, result.stderr
    run = json.loads(shapecli("run", str(target), "--json").stdout)
    assert run["ok"] and run["findings"]
    seq2seq = tmp_path / "s2s.py"
    seq2seq.write_text(SEQ2SEQ)
    assert shapecli("run", str(seq2seq), "--model", "model").returncode == 0
    assert load_stack(str(target)).source == "python"
    compared = shapecli("compare", str(target), "addition")
    assert compared.returncode == 0, compared.stderr
