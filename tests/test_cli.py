"""The command line: `shapecli explain`, `shapecli scenarios`, exit codes, and errors on stderr.

Most tests use click's CliRunner (click >= 8.2 keeps `result.stdout` and
`result.stderr` apart); a few run `python -m shapecli` in a real subprocess,
where standard output is a pipe and not a terminal.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from shapecli import __version__, stackfile
from shapecli.cli import cli
from shapecli.errors import EXIT_BROKEN_PIPE
from shapecli.scenarios import scenario_names, scenario_path
from tests.helpers import numpy_loaded_after

ANSI = "\x1b["
ENV = {"COLUMNS": "160", "NO_COLOR": None, "FORCE_COLOR": None}

ADDITION_TITLES_AND_PARAMS = [
    ("LSTM(128)", "72,192"),
    ("RepeatVector(4)", "0"),
    ("LSTM(128, return_sequences=True)", "131,584"),
    ("TimeDistributed(Dense(12))", "1,548"),
    ("Activation('softmax')", "0"),
]

FREE_TIME_FLATTEN = textwrap.dedent("""\
    symbols:
      time: null
    input_shape: [time, 12]
    layers:
      - Flatten
""")

LTSM = "input_shape: [7, 12]\nlayers:\n  - LTSM: {units: 3}\n"

# name -> (stack text, exit code, line, column, the token the caret underlines, labels shown)
ERROR_CASES = {
    "unknown-layer": (LTSM, 2, 3, 5, "LTSM", ("expected", "found", "help")),
    "unknown-argument": ("input_shape: [7, 12]\nlayers:\n  - LSTM: {unit: 3}\n", 2, 3, 12, "unit",
                         ("expected", "found", "help")),
    "boolean-units": ("input_shape: [7, 12]\nlayers:\n  - Dense: {units: true}\n", 2, 3, 20, "true",
                      ("expected", "found", "help")),
    "blog-typo": (textwrap.dedent("""\
        symbols:
          seq_in_length: 7
          n_in: 12
        input_shape: [seq_in_length, n_in]
        layers:
          - LSTM: {units: 16}
          - RepeatVector: {n: seq_out_length}
          - LSTM: {units: 16, return_sequences: true}
          - Reshape: {target_shape: [seq_out_length, 16]}
    """), 2, 7, 23, "seq_out_length", ("expected", "found", "help")),
    "duplicate-key": ("input_shape: [7, 12]\nlayers:\n  - LSTM:\n      units: 3\n      units: 4\n", 2, 5, 7, "units",
                      ("expected", "found", "help")),
    "python-tag": ('input_shape: [7, 12]\nlayers:\n  - Flatten\nname: !!python/object/apply:os.system ["echo hi"]\n',
                   2, 4, 7, '!!python/object/apply:os.system ["echo hi"]', ("expected", "found", "help")),
    "unknown-top-level-key": ("input_shape: [7, 12]\nlayer:\n  - Flatten\n", 2, 2, 1, "layer",
                              ("expected", "found", "help")),
    "bad-symbol": ("symbols:\n  n: 0\ninput_shape: [7, 12]\nlayers:\n  - Flatten\n", 2, 2, 6, "0",
                   ("expected", "found", "help")),
    "yaml-syntax": ("input_shape: [7, 12\nlayers:\n  - Flatten\n", 2, 2, 7, None, ("expected", "found", "help")),
    "lstm-after-lstm": ("input_shape: [7, 12]\nlayers:\n  - LSTM: {units: 8}\n  - LSTM: {units: 4}\n", 1, 4, 5, "LSTM",
                        ("expected", "found", "note", "help")),
    "flatten-free-time-dense": (FREE_TIME_FLATTEN + "  - Dense: {units: 3}\n", 1, 6, 5, "Dense",
                                ("expected", "found", "help")),
    "return-state": ("input_shape: [7, 12]\nlayers:\n  - LSTM: {units: 8, return_state: true}\n  - Dense: {units: 3}\n",
                     1, 4, 5, "Dense", ("expected", "found", "help")),
}


# -- helpers -----------------------------------------------------------------------
def invoke(args, input=None, env=None):
    result = CliRunner().invoke(cli, args, input=input, env={**ENV, **(env or {})})
    # never an uncaught exception (which a terminal would show as a traceback)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def run_module(*args, input=None, env=None, cwd=None):
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE")}
    environment.update(env or {})
    result = subprocess.run(
        [sys.executable, "-m", "shapecli", *args], input=input, capture_output=True, env=environment, cwd=cwd,
        timeout=120,
    )
    assert b"Traceback" not in result.stdout + result.stderr, result.stderr.decode(errors="replace")
    return result


def assert_compiler_error(stderr: str, path: str, line: int, column: int, token: str | None, labels) -> None:
    """`error: ...`, ` --> path:line:column`, the source line, carets under `token`, then the labels."""
    lines = stderr.splitlines()
    assert lines[0].startswith("error: ")
    gutter = " " * len(str(line))
    assert f"{gutter}--> {path}:{line}:{column}" in lines
    source_at = next(i for i, text in enumerate(lines) if text.startswith(f"{line} | "))
    source, caret = lines[source_at], lines[source_at + 1]
    assert caret.startswith(f"{gutter} | ")
    start = caret.index("^")
    assert start == len(f"{line} | ") + column - 1
    carets = caret[start:]
    assert set(carets) == {"^"}
    if token is not None:
        assert source[start:start + len(carets)] == token
    for label in labels:
        assert re.search(rf"^{gutter} = +{label}: \S", stderr, re.M), f"no {label}: line in\n{stderr}"
    assert "Traceback" not in stderr


def write(tmp_path, text: str, name: str = "stack.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- explain: the default addition scenario ------------------------------------------------
def test_explain_without_argument_explains_addition():
    result = invoke(["explain"])
    assert result.exit_code == 0
    assert result.stderr == ""
    out = result.stdout
    assert "input (batch, 7, 12) float32" in out
    assert "output (batch, 4, 12)" in out
    assert "total params 205,324" in out
    rows = out.splitlines()
    for index, (title, params) in enumerate(ADDITION_TITLES_AND_PARAMS, start=1):
        row = next(r for r in rows if re.match(rf"{index}\s+{re.escape(title)}\s", r))
        assert re.search(rf"\s{re.escape(params)}\s", row), row
    assert "(batch, 4, 12)" in out


def test_explain_addition_by_name_is_the_default():
    assert invoke(["explain", "addition"]).stdout == invoke(["explain"]).stdout


def test_explain_addition_json():
    result = invoke(["explain", "addition", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert set(data) == {"name", "input_shape", "layers", "output_shape", "total_params"}
    assert data["name"] == "Addition encoder-decoder"
    assert data["input_shape"] == ["batch", 7, 12]
    assert data["output_shape"] == ["batch", 4, 12]
    assert data["total_params"] == 205324
    layers = data["layers"]
    for layer in layers:
        assert set(layer) - {"params_formula", "see"} == {"index", "type", "title", "arguments", "input_shape",
                                                           "output_shape", "params", "note"}
        assert isinstance(layer["note"], str) and layer["note"]
        for dims in (layer["input_shape"], layer["output_shape"]):
            assert dims[0] == "batch"
            assert all(type(d) is int for d in dims[1:])
    assert layers[0]["params_formula"] == "4 gates × (12·128 + 128·128 + 128)"
    assert layers[0]["see"] == "shapecli compare return-sequences"
    assert layers[3]["arguments"] == {"layer": {"Dense": {"units": 12, "activation": None, "use_bias": True}}}
    assert [layer["index"] for layer in layers] == [1, 2, 3, 4, 5]
    assert [layer["type"] for layer in layers] == ["LSTM", "RepeatVector", "LSTM", "TimeDistributed", "Activation"]
    assert [layer["params"] for layer in layers] == [72192, 0, 131584, 1548, 0]
    assert [layer["output_shape"] for layer in layers] == [
        ["batch", 128], ["batch", 4, 128], ["batch", 4, 128], ["batch", 4, 12], ["batch", 4, 12],
    ]
    assert sum(layer["params"] for layer in layers) == data["total_params"]


def test_json_symbolic_dims_are_strings(tmp_path):
    result = invoke(["explain", write(tmp_path, FREE_TIME_FLATTEN), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["name"] is None
    assert data["input_shape"] == ["batch", "time", 12]
    assert data["layers"][0]["input_shape"] == ["batch", "time", 12]
    assert data["layers"][0]["output_shape"] == ["batch", "time*12"]
    assert data["output_shape"] == ["batch", "time*12"]
    assert data["total_params"] == 0


def test_json_null_input_axis_is_named_time():
    text = "input_shape: [null, 12]\nlayers:\n  - LSTM: {units: 3, return_sequences: true}\n"
    data = json.loads(invoke(["explain", "-", "--json"], input=text).stdout)
    assert data["input_shape"] == ["batch", "time", 12]
    assert data["output_shape"] == ["batch", "time", 3]


# -- where the stack comes from -------------------------------------------------------
def test_explain_reads_stdin():
    text = "input_shape: [7, 12]\nlayers:\n  - Flatten\n  - Dense: {units: 3}\n"
    result = invoke(["explain", "-", "--json"], input=text)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["output_shape"] == ["batch", 3]
    assert data["total_params"] == 84 * 3 + 3


def test_explain_reads_a_file(tmp_path):
    path = write(tmp_path, "name: mine\ninput_shape: [7, 12]\nlayers:\n  - GRU: {units: 4}\n")
    result = invoke(["explain", path])
    assert result.exit_code == 0
    assert "mine" in result.stdout
    assert "GRU(4)" in result.stdout
    assert "output (batch, 4)" in result.stdout


def test_explain_reads_a_scenario_file_by_path():
    result = invoke(["explain", str(scenario_path("addition")), "--json"])
    assert json.loads(result.stdout)["total_params"] == 205324


def test_explain_empty_stdin():
    result = invoke(["explain", "-"], input="")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: the stack file is empty")


def test_unknown_scenario_suggests_the_closest():
    result = invoke(["explain", "additon"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: 'additon' is neither a file nor a bundled scenario")
    assert "help: did you mean 'addition'?" in result.stderr


def test_unknown_scenario_with_nothing_close():
    result = invoke(["explain", "zzzzqqqq"])
    assert result.exit_code == 2
    assert "`shapecli scenarios` lists the bundled ones" in result.stderr


def test_missing_yaml_file(tmp_path):
    missing = str(tmp_path / "x.yaml")
    result = invoke(["explain", missing])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: no such file: {missing}")
    assert result.stdout == ""


def test_missing_relative_yaml_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(["explain", "x.yaml"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no such file: x.yaml")


# -- errors on stderr, like a compiler ------------------------------------------------------
@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_error_is_rendered_like_a_compiler_error(tmp_path, case):
    text, code, line, column, token, labels = ERROR_CASES[case]
    path = write(tmp_path, text)
    result = invoke(["explain", path])
    assert result.exit_code == code
    # a stack that does not fit: the layers that fit, as a table on stdout, then the error on stderr
    assert (result.stdout == "") == (code == 2 or line == 3)
    assert_compiler_error(result.stderr, path, line, column, token, labels)


def test_error_from_stdin_names_stdin():
    result = invoke(["explain", "-"], input=LTSM)
    assert result.exit_code == 2
    assert_compiler_error(result.stderr, "<stdin>", 3, 5, "LTSM", ("expected", "found", "help"))
    assert "help: did you mean 'LSTM'?" in result.stderr


def test_shape_error_help_names_the_layer_to_fix(tmp_path):
    text, *_ = ERROR_CASES["lstm-after-lstm"]
    stderr = invoke(["explain", write(tmp_path, text)]).stderr
    assert stderr.startswith(
        "error: layer 2, LSTM(4): LSTM needs a 3D input (batch, time, features), but gets a 2D one\n"
    )
    assert "note: layer 1, LSTM(8), outputs (batch, 8)" in stderr
    assert ("help: layer 1, LSTM(8) (line 3), passes on only its last step (return_sequences=False): "
            "add `return_sequences: true` to it so it passes on every step") in stderr


def test_json_flag_does_not_change_errors(tmp_path):
    path = write(tmp_path, ERROR_CASES["lstm-after-lstm"][0])
    plain, as_json = invoke(["explain", path]), invoke(["explain", path, "--json"])
    assert as_json.exit_code == plain.exit_code == 1
    assert as_json.stderr == plain.stderr  # the human text stays on stderr; stdout has it as JSON
    error = json.loads(as_json.stdout)["error"]
    assert error["title"] in " ".join(plain.stderr.split())
    assert (error["line"], error["column"], error["exit_code"], error["layer"]) == (4, 5, 1, 2)
    assert plain.stdout.splitlines()[0].startswith("#   layer")  # the layer that fits, then the error


def test_non_utf8_file_is_an_error_without_a_place(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\ninput_shape: [7, 12]\nlayers:\n  - Flatten\n")
    result = invoke(["explain", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path} is not UTF-8 text\n")
    assert "found: byte 0xe9 at offset 9" in result.stderr
    assert "-->" not in result.stderr


def test_file_over_the_size_limit(tmp_path):
    path = tmp_path / "big.yaml"
    with open(path, "wb") as handle:
        handle.truncate(stackfile.MAX_FILE_BYTES + 1)
    result = invoke(["explain", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path} is too large to be a stack file")


# -- scenarios ---------------------------------------------------------------------------
def test_scenarios_lists_addition_with_its_description():
    result = invoke(["scenarios"])
    assert result.exit_code == 0
    row = next(line for line in result.stdout.splitlines() if line.split()[:1] == ["addition"])
    assert re.fullmatch(
        r"addition\s+Adds two 3-digit numbers — the classic seq2seq with RepeatVector\s*", row
    ), row
    assert "run one with: shapecli explain NAME" in result.stdout


def test_scenarios_lists_every_bundled_scenario():
    listed = [line.split()[0] for line in invoke(["scenarios"]).stdout.splitlines() if line.split()]
    for name in scenario_names():
        assert name in listed


@pytest.mark.parametrize("name", scenario_names())
def test_every_scenario_explains(name):
    result = invoke(["explain", name])
    if "wrong" in name:
        assert result.exit_code == 1, result.stdout
        assert "LSTM(64)" in result.stdout and "LSTM(32)" not in result.stdout  # the layer that fits
        assert result.stderr.startswith("error: layer ")
        assert f"{scenario_path(name)}:" in result.stderr
    else:
        assert result.exit_code == 0, result.stderr
        assert result.stderr == ""
        assert "total params" in result.stdout


@pytest.mark.parametrize("name", [n for n in scenario_names() if "wrong" not in n])
def test_every_scenario_explains_as_json(name):
    result = invoke(["explain", name, "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["total_params"] == sum(layer["params"] for layer in data["layers"])  # a reused layer's: 0
    if "outputs" in data:  # a graph: each output is a tensor some layer gives
        given = {t["name"]: t["shape"] for layer in data["layers"] for t in layer["outputs"]}
        assert all(given[out["name"]] == out["shape"] for out in data["outputs"])
        assert ("output_shape" in data) == (len(data["outputs"]) == 1)
    else:
        assert data["output_shape"] == data["layers"][-1]["output_shape"]


# -- usage ---------------------------------------------------------------------------------
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(flag):
    result = invoke([flag])
    assert result.exit_code == 0
    assert "explain" in result.stdout and "scenarios" in result.stdout


def test_explain_help():
    result = invoke(["explain", "--help"])
    assert result.exit_code == 0
    assert "--json" in result.stdout


@pytest.mark.parametrize(
    "args", [["frobnicate"], ["explain", "--frob"], ["explain", "addition", "extra"]],
    ids=["unknown-command", "unknown-option", "extra-argument"],
)
def test_bad_usage_exits_2(args):
    result = invoke(args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Usage:" in result.stderr


def test_version():
    result = invoke(["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"shapecli, version {__version__}\n"


# -- a real process: python -m shapecli ------------------------------------------------------
def test_module_version():
    result = run_module("--version")
    assert result.returncode == 0
    assert result.stdout.decode().strip() == f"shapecli, version {__version__}"


def test_module_explain_and_unknown_command():
    ok = run_module("explain")
    assert ok.returncode == 0
    assert "205,324" in ok.stdout.decode()
    bad = run_module("frobnicate")
    assert bad.returncode == 2
    assert b"No such command" in bad.stderr


def test_module_error_exit_codes(tmp_path):
    one = run_module("explain", write(tmp_path, ERROR_CASES["lstm-after-lstm"][0], "one.yaml"))
    two = run_module("explain", write(tmp_path, LTSM, "two.yaml"))
    assert (one.returncode, two.returncode) == (1, 2)
    assert two.stdout == b"" and b"LSTM(8)" in one.stdout
    assert two.stderr.decode().startswith("error: unknown layer 'LTSM'\n")


@pytest.mark.parametrize("no_color", [True, False], ids=["NO_COLOR", "piped"])
def test_no_ansi_escapes_when_piped(tmp_path, no_color):
    env = {"NO_COLOR": "1"} if no_color else {}
    for args in (["explain"], ["scenarios"], ["explain", write(tmp_path, LTSM)]):
        result = run_module(*args, env=env)
        output = (result.stdout + result.stderr).decode()
        assert output.strip()
        assert ANSI not in output, args


def test_no_ansi_escapes_in_cli_runner_output():
    for args in (["explain"], ["scenarios"], ["explain", "-"]):
        result = invoke(args, input=LTSM)
        assert ANSI not in result.output


@pytest.mark.parametrize("args", [["explain"], ["explain", "--json"], ["explain", "stacked-lstm-wrong"],
                                  ["explain", "char-seq2seq"], ["explain", "char-seq2seq-inference", "--json"]])
def test_explain_does_not_import_numpy(args):
    assert not numpy_loaded_after(args)


def test_non_utf8_stdin_is_an_error_not_a_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "shapecli", "explain", "-"],
        input=b"name: caf\xe9\ninput_shape: [7, 12]\nlayers:\n  - Flatten\n", capture_output=True, timeout=120,
    )
    assert b"Traceback" not in result.stderr
    assert result.returncode == 2
    assert result.stderr.startswith(b"error: ")


def test_stdin_over_the_size_limit_is_refused():
    padding = ("#" + "x" * 99 + "\n") * (stackfile.MAX_FILE_BYTES // 100 + 10)
    text = padding + "input_shape: [7, 12]\nlayers:\n  - Flatten\n"
    result = run_module("explain", "-", input=text.encode())
    assert result.returncode == 2
    assert result.stderr.startswith(b"error: ")


def test_explain_weights_lists_keras_weight_shapes():
    result = CliRunner().invoke(cli, ["explain", "addition", "--weights"], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    assert "weights" in result.stdout.splitlines()[3]
    narrow = CliRunner().invoke(cli, ["explain", "addition", "--weights"], env={"COLUMNS": "80"})
    assert "kernel 12×512, recurrent_kernel 128×512, bias 512" in narrow.stdout  # one block per layer
    for text in ("kernel 12×512", "recurrent_kernel 128×512", "bias 512", "kernel 128×12", "bias 12"):
        assert text in result.stdout
    plain = CliRunner().invoke(cli, ["explain", "addition"])
    assert "kernel 12×512" not in plain.stdout


def _dense_rows(tmp_path, count: int, with_sentences: bool = False) -> list[str]:
    path = tmp_path / f"dense{count}.yaml"
    path.write_text("input_shape: [7, 12]\nlayers:\n" + "  - Dense: {units: 12}\n" * count)
    result = CliRunner().invoke(cli, ["explain", str(path)], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    if with_sentences:  # each row with the lines its sentence wraps onto (indented under it)
        starts = [k for k, line in enumerate(lines) if "Dense(12)" in line] + [len(lines)]
        return [" ".join(" ".join(lines[a:b]).split()) for a, b in zip(starts, starts[1:])]
    return [line for line in lines if "Dense(12)" in line]


def test_long_stacks_are_listed_one_line_per_layer(tmp_path):
    from shapecli.render import LONG_STACK

    rows = _dense_rows(tmp_path, LONG_STACK + 1)
    assert len(rows) == LONG_STACK + 1
    assert rows[-1].split()[0] == str(LONG_STACK + 1)
    whole = _dense_rows(tmp_path, LONG_STACK + 1, with_sentences=True)[-1]  # the sentence, wrapped under its row
    assert "identical to TimeDistributed(Dense) here" in whole and all(len(line) <= 80 for line in rows)
    table_rows = _dense_rows(tmp_path, LONG_STACK)  # up to LONG_STACK: the table, whose `why` column wraps
    assert not table_rows[-1].rstrip().endswith("identical to TimeDistributed(Dense) here")


def test_long_stacks_write_json_a_layer_a_line(tmp_path):
    """Past LONG_STACK layers each layer's record is one line; the JSON says the same as the indented form."""
    from shapecli.render import LONG_STACK
    from shapecli.render.json_output import dumps

    for count in (LONG_STACK, LONG_STACK + 1):
        path = tmp_path / f"dense{count}.yaml"
        path.write_text("name: deep\ninput_shape: [7, 12]\nlayers:\n" + "  - Dense: {units: 12}\n" * count)
        result = CliRunner().invoke(cli, ["explain", str(path), "--json"])
        assert result.exit_code == 0
        data = json.loads(result.stdout)
        assert [layer["index"] for layer in data["layers"]] == list(range(1, count + 1))
        assert data["output_shape"] == ["batch", 7, 12] and data["name"] == "deep"
        one_line = [line for line in result.stdout.splitlines() if line.startswith('    {"index": ')]
        assert len(one_line) == (count if count > LONG_STACK else 0)
        assert result.stdout == json.dumps(data, indent=2, ensure_ascii=False) + "\n" or count > LONG_STACK
    tricky = {"name": '"layers": [],', "layers": [{"index": k, "note": "é"} for k in range(LONG_STACK + 1)]}
    assert json.loads(dumps(tricky)) == tricky
    first = {"layers": tricky["layers"], "name": "\0layers\0", "note": '\n  "layers": "\\u0000layers\\u0000"'}
    assert json.loads(dumps(first)) == first


def test_show_prints_a_scenario_or_lesson_to_start_from():
    result = invoke(["show", "addition"])
    assert result.exit_code == 0 and "input_shape: [seq_in_length, n_in]" in result.stdout
    assert "title: return_sequences vs return_state vs both" in invoke(["show", "return-state"]).stdout
    missing = invoke(["show", "additon"])
    assert missing.exit_code == 2 and "did you mean 'addition'?" in missing.stderr


def test_compare_list_as_json():
    data = json.loads(invoke(["compare", "--list", "--json"]).stdout)
    assert "return-state" in [lesson["name"] for lesson in data["lessons"]]
    assert all(lesson["summary"] for lesson in data["lessons"])


def test_explain_json_with_weights():
    data = json.loads(invoke(["explain", "addition", "--json", "--weights"]).stdout)
    assert data["layers"][0]["weights"] == [{"name": "kernel", "shape": [12, 512]},
                                            {"name": "recurrent_kernel", "shape": [128, 512]}, {"name": "bias", "shape": [512]}]


def test_shell_completion_offers_scenarios_and_lessons():
    env = {"_SHAPECLI_COMPLETE": "bash_complete", "COMP_WORDS": "shapecli compare ret", "COMP_CWORD": "2"}
    result = CliRunner().invoke(cli, [], env=env, prog_name="shapecli")
    assert "return-sequences" in result.output and "return-state" in result.output
    env = {"_SHAPECLI_COMPLETE": "bash_complete", "COMP_WORDS": "shapecli explain add", "COMP_CWORD": "2"}
    assert "addition" in CliRunner().invoke(cli, [], env=env, prog_name="shapecli").output


@pytest.mark.parametrize("args", [["explain", "addition", "--json"], ["explain", "char-seq2seq", "--as", "keras"],
                                  ["show", "addition"], ["run", "addition", "--json"]])
def test_json_and_code_out_do_not_import_rich(args):
    assert not imports_rich(args)


def imports_rich(args, env=None) -> bool:
    """Whether `shapecli ARGS` imports rich, run in a fresh interpreter whose standard output is a pipe."""
    code = ("import sys\nfrom shapecli.cli import cli\ntry:\n    cli(%r, standalone_mode=False)\nexcept SystemExit:\n"
            "    pass\nprint('RICH' if 'rich' in sys.modules else 'NO-RICH', file=sys.stderr)\n" % (args,))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120,
                            env={**os.environ, **(env or {})})
    assert result.returncode == 0 and result.stdout and result.stderr.strip().endswith(b"RICH"), result.stderr[-300:]
    return not result.stderr.strip().endswith(b"NO-RICH")


SCRIPT_WITH_FINDINGS = str(Path(__file__).parent / "scripts" / "addition_keras2.py")


@pytest.mark.parametrize("args", [["explain", "addition"], ["explain", "addition", "--weights"],
                                  ["explain", "char-seq2seq-inference"], ["explain", SCRIPT_WITH_FINDINGS],
                                  ["run", "addition"], ["run", "char-seq2seq-inference"], ["run", SCRIPT_WITH_FINDINGS]])
def test_piped_explain_and_run_do_not_import_rich(args):
    """Plain output on a pipe does not import rich: a pipe gets render.plain.PlainWriter."""
    assert not imports_rich(args)


def test_run_on_a_terminal_still_colours_its_claims(monkeypatch):
    """On a terminal the claims go through rich, in colour: a claim that holds is green."""
    import io

    from shapecli.render.console import RichWriter, _Console

    stream = io.StringIO()
    console = _Console(file=stream, force_terminal=True, color_system="standard", width=120, highlight=False,
                       markup=False, emoji=False)
    monkeypatch.setattr("shapecli.cli.make_writer", lambda: RichWriter(console))
    CliRunner().invoke(cli, ["run", "addition"])
    assert "\x1b[32m✓" in stream.getvalue() and "claims hold" in stream.getvalue()


@pytest.mark.parametrize("args", [["explain", "addition"], ["explain", "char-seq2seq-inference", "--weights"],
                                  ["explain", SCRIPT_WITH_FINDINGS], ["explain", "stacked-lstm-wrong"]])
def test_a_reader_that_stopped_reading_ends_the_command_quietly(args):
    """`shapecli explain … | head`: the pipe is closed before anything is written; exit 141, not a word."""
    process = subprocess.Popen([sys.executable, "-m", "shapecli", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdout.close()
    assert (process.wait(timeout=120), process.stderr.read()) == (EXIT_BROKEN_PIPE, b"")


@pytest.mark.parametrize("args", [["diagram", "addition"], ["scenarios"], ["compare", "--list"],
                                  ["compare", "return-sequences"], ["compare", "addition", "stacked-lstm-wrong"],
                                  ["explain", "stacked-lstm-wrong"]])
def test_piped_diagrams_listings_lessons_and_errors_do_not_import_rich(args):
    assert not imports_rich(args)


def test_piped_long_stack_and_narrow_blocks_do_not_import_rich(tmp_path):
    deep = write(tmp_path, "input_shape: [7, 12]\nlayers:\n" + "  - Dense: {units: 12}\n" * 150, "deep.yaml")
    assert not imports_rich(["explain", deep, "--weights"])
    assert not imports_rich(["explain", "char-seq2seq-inference", "--weights"], env={"COLUMNS": "30"})  # blocks


def test_the_command_ends_without_teardown_yet_writes_everything_and_keeps_its_exit_code(tmp_path):
    """main() ends the process with os._exit: every byte must be flushed first, and 0 / 1 / 2 kept."""
    path = tmp_path / "deep.yaml"
    path.write_text("input_shape: [7, 12]\nlayers:\n" + "  - Dense: {units: 12}\n" * 400)
    whole = run_module("explain", str(path), "--json")
    assert whole.returncode == 0 and len(json.loads(whole.stdout)["layers"]) == 400
    assert whole.stdout.endswith(b"}\n")
    assert run_module("explain", "stacked-lstm-wrong").returncode == 1
    unreadable = run_module("explain", str(tmp_path / "missing.yaml"))
    assert unreadable.returncode == 2 and unreadable.stderr.startswith(b"error: no such file")
    assert run_module("no-such-command").returncode == 2


def test_explain_json_imports_difflib_only_for_a_wrong_name():
    code = ("import sys\nfrom shapecli.cli import cli\ntry:\n    cli(%r, standalone_mode=False)\nexcept BaseException:\n"
            "    pass\nprint('DIFFLIB' if 'difflib' in sys.modules else 'NO-DIFFLIB', file=sys.stderr)\n")
    right = subprocess.run([sys.executable, "-c", code % (["explain", "addition", "--json"],)], capture_output=True,
                           timeout=120)
    assert right.stderr.strip().endswith(b"NO-DIFFLIB"), right.stderr[-300:]
    wrong = subprocess.run([sys.executable, "-c", code % (["explain", "additon", "--json"],)], capture_output=True,
                           timeout=120)
    assert wrong.stderr.strip().endswith(b"\nDIFFLIB") and b"did you mean 'addition'?" in wrong.stdout + wrong.stderr


def test_piped_text_loses_only_the_blanks_that_end_a_line():
    import io

    from shapecli.render.console import TrimmedLines

    out = io.StringIO()
    trimmed = TrimmedLines(out)
    for chunk in ["a  \n" + " " * 90 + "b \t\n  c", "  ", "d  \n\n", "e  "]:
        assert trimmed.write(chunk) == len(chunk)
    assert out.getvalue() == "a\n" + " " * 90 + "b\n  c  d\n\ne  "  # a chunk's last piece is not yet a line's end
