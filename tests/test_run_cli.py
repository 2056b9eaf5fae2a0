"""`shapecli run`: the claims table, --json, --seed, --bind, --dump, --max-memory, exit codes.

Most tests use click's CliRunner (stdout and stderr kept apart); a few run `python -m shapecli`
in a real subprocess, where standard output is a pipe and not a terminal.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from click.testing import CliRunner

from tests.helpers import numpy_loaded_after
from shapecli.claims import check_run
from shapecli.cli import cli
from shapecli.layers.core import Dropout
from shapecli.layers.reshaping import RepeatVector
from shapecli.numeric import run_stack
from shapecli.scenarios import load_stack, scenario_names
from shapecli.shapes import Dim

ANSI = "\x1b["
ENV = {"COLUMNS": "200", "NO_COLOR": None, "FORCE_COLOR": None}
RUN_KEYS = {"name", "seed", "bindings", "input_shape", "layers", "sentences", "sentences_proven", "claims", "failed", "ok"}
LAYER_KEYS = {"index", "type", "title", "arguments", "input_shape", "output_shape", "params", "note", "observed_shape",
              "claims"}
CLAIM_KEYS = {"claim", "kind", "proves", "expected", "observed", "ok"}
FREE_TIME_STACK = "symbols:\n  time: null\ninput_shape: [time, 12]\nlayers:\n  - Flatten\n"


def invoke(args, input=None, env=None):
    result = CliRunner().invoke(cli, args, input=input, env={**ENV, **(env or {})})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def run_module(*args, input=None, env=None):
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "shapecli", *args], input=input, capture_output=True,
                          env=environment, timeout=120)


def run_json(args, input=None):
    result = invoke(["run", *args, "--json"], input=input)
    return result, json.loads(result.stdout)


def claim_count(name, **run_args) -> int:
    return sum(len(c) for c in check_run(run_stack(load_stack(name), **run_args)))


# -- the table -------------------------------------------------------------------------------
def test_run_addition_all_claims_hold():
    result = invoke(["run", "addition", "--numeric"])
    assert result.exit_code == 0
    assert result.stderr == ""
    out = result.stdout
    total = claim_count("addition")
    assert total == 19
    assert out.strip().splitlines()[-1] == f"✓ {total} of {total} claims hold"
    verdicts = [line for line in out.splitlines() if line.startswith(("✓", "✗"))]
    assert len(verdicts) == total + 1  # one per claim, then the summary
    assert "5 of 5 sentences of explain proven" in out
    assert all(v.startswith("✓") for v in verdicts)
    assert "✗" not in out
    assert "Addition encoder-decoder" in out
    assert "seed 0; sizes batch=2" in out
    assert "input (2, 7, 12) float32" in out


def test_run_without_stack_runs_addition():
    assert invoke(["run"]).stdout == invoke(["run", "addition"]).stdout


def test_run_numeric_is_the_default():
    assert invoke(["run", "dense-3d", "--numeric"]).stdout == invoke(["run", "dense-3d"]).stdout


def test_run_table_names_every_layer_and_claim():
    out = invoke(["run", "addition"]).stdout
    for title in ("LSTM(128)", "RepeatVector(4)", "TimeDistributed(Dense(12))", "Activation('softmax')"):
        assert title in out
    flat = " ".join(out.split())
    for claim in ("output shape", "params = sizes of the weights created",
                  "equals the output after reading every step",
                  "all 4 steps equal the input vector", "sums to 1"):
        assert claim in flat
    assert "(batch, 4, 12) = (2, 4, 12)" in flat


@pytest.mark.parametrize("name", [n for n in scenario_names() if "wrong" not in n])
def test_run_every_good_scenario_exits_0(name):
    result = invoke(["run", name])
    assert result.exit_code == 0, result.stdout + result.stderr
    total = claim_count(name)
    assert result.stdout.strip().splitlines()[-1] == f"✓ {total} of {total} claims hold"


# -- --json ------------------------------------------------------------------------------------
def test_run_json_layout():
    result, data = run_json(["addition"])
    assert result.exit_code == 0
    assert set(data) == RUN_KEYS
    assert data["name"] == "Addition encoder-decoder"
    assert data["seed"] == 0
    assert data["bindings"] == {"batch": 2}
    assert data["input_shape"] == [2, 7, 12]
    assert data["ok"] is True and data["failed"] == 0
    assert data["claims"] == claim_count("addition") == sum(len(layer["claims"]) for layer in data["layers"])
    assert [layer["index"] for layer in data["layers"]] == [1, 2, 3, 4, 5]
    assert [layer["type"] for layer in data["layers"]] == ["LSTM", "RepeatVector", "LSTM", "TimeDistributed", "Activation"]
    for layer in data["layers"]:
        assert set(layer) - {"params_formula", "see"} == LAYER_KEYS
        assert layer["input_shape"][0] == "batch" and layer["output_shape"][0] == "batch"
        assert layer["observed_shape"] == [2, *layer["output_shape"][1:]]
        for claim in layer["claims"]:
            assert set(claim) == CLAIM_KEYS
            assert claim["ok"] is True
            assert all(isinstance(claim[k], str) and claim[k] for k in ("claim", "expected", "observed"))
    assert data["layers"][-1]["observed_shape"] == [2, 4, 12]


def test_run_json_symbolic_shapes_and_bindings():
    result, data = run_json(["-", "--bind", "time=5", "--bind", "batch=3"], input=FREE_TIME_STACK)
    assert result.exit_code == 0
    assert data["name"] is None
    assert data["bindings"] == {"batch": 3, "time": 5}
    assert data["input_shape"] == [3, 5, 12]
    (layer,) = data["layers"]
    assert layer["input_shape"] == ["batch", "time", 12]
    assert layer["output_shape"] == ["batch", "time*12"]
    assert layer["observed_shape"] == [3, 60]


def test_run_json_is_plain_json_on_stdout_only():
    result = invoke(["run", "addition", "--json"])
    assert result.stderr == ""
    assert result.stdout.startswith("{") and result.stdout.endswith("}\n")
    assert "✓" not in result.stdout


# -- --seed ---------------------------------------------------------------------------------------
def test_seed_changes_numbers_not_verdicts(tmp_path):
    zero_path, three_path = tmp_path / "zero.npz", tmp_path / "three.npz"
    _, zero = run_json(["addition", "--dump", str(zero_path)])
    _, three = run_json(["addition", "--seed", "3", "--dump", str(three_path)])
    assert three["seed"] == 3
    verdicts = lambda data: [[(c["claim"], c["ok"]) for c in layer["claims"]] for layer in data["layers"]]  # noqa: E731
    assert verdicts(zero) == verdicts(three)
    assert three["ok"] is True
    with np.load(zero_path) as a, np.load(three_path) as b:
        assert sorted(a.files) == sorted(b.files)
        for key in a.files:
            assert a[key].shape == b[key].shape
            assert not np.array_equal(a[key], b[key]), key


def test_same_seed_same_dump(tmp_path):
    one, two = tmp_path / "1.npz", tmp_path / "2.npz"
    invoke(["run", "embedding-lstm", "--seed", "5", "--dump", str(one)])
    invoke(["run", "embedding-lstm", "--seed", "5", "--dump", str(two)])
    with np.load(one) as a, np.load(two) as b:
        for key in a.files:
            assert np.array_equal(a[key], b[key]), key


def test_seed_shows_in_the_table():
    assert "seed 3; sizes batch=2" in invoke(["run", "addition", "--seed", "3"]).stdout


def test_negative_seed_is_a_usage_error():
    result = run_module("run", "addition", "--seed", "-1")
    assert b"Traceback" not in result.stderr
    assert result.returncode == 2
    assert result.stderr.startswith(b"error: ") or b"Error: " in result.stderr


# -- --bind ------------------------------------------------------------------------------------------
def test_bind_batch_shows_in_bindings_and_shapes():
    result, data = run_json(["addition", "--bind", "batch=3"])
    assert result.exit_code == 0
    assert data["bindings"] == {"batch": 3}
    assert data["input_shape"] == [3, 7, 12]
    assert [layer["observed_shape"][0] for layer in data["layers"]] == [3] * 5
    table = invoke(["run", "addition", "--bind", "batch=3"]).stdout
    assert "sizes batch=3" in table
    assert "input (3, 7, 12) float32" in table
    assert "(batch, 4, 12) = (3, 4, 12)" in " ".join(table.split())


def test_bind_free_size():
    result = invoke(["run", "stacked-lstm", "--bind", "time=11", "--bind", "batch=1"])
    assert result.exit_code == 0
    assert "sizes batch=1, time=11" in result.stdout
    assert "input (1, 11, 16) float32" in result.stdout


def test_bind_unknown_name_exits_2():
    result = invoke(["run", "addition", "--bind", "nope=3"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: --bind nope=…: the stack has no free size called nope")
    assert "one of: batch" in result.stderr


def test_bind_fixed_symbol_exits_2():
    result = invoke(["run", "addition", "--bind", "n_hidden=3"])
    assert result.exit_code == 2
    assert "n_hidden" in result.stderr and "fixed" in result.stderr


@pytest.mark.parametrize("text", ["time", "time=0", "time=x", "=4"])
def test_bind_unreadable_exits_2(text):
    result = invoke(["run", "stacked-lstm", "--bind", text])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: cannot read --bind {text!r}")


def test_bind_too_short_for_a_valid_conv_exits_1(tmp_path):
    path = tmp_path / "conv.yaml"
    path.write_text("symbols:\n  time: null\ninput_shape: [time, 4]\nlayers:\n  - Conv1D: {filters: 2, kernel_size: 5}\n")
    result = invoke(["run", str(path), "--bind", "time=3"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: layer 1, Conv1D(2, 5): ")
    assert "this run binds batch=2, time=3; choose others with --bind NAME=VALUE" in " ".join(result.stderr.split())
    assert f"{path}:5:5" in result.stderr


# -- --dump -------------------------------------------------------------------------------------------
def test_dump_writes_the_file_and_says_where(tmp_path):
    path = tmp_path / "out.npz"
    result = invoke(["run", "addition", "--dump", str(path)])
    assert result.exit_code == 0
    assert result.stdout.strip().splitlines()[-1] == f"wrote {path}"
    with np.load(path) as npz:
        keys = set(npz.files)
        run = run_stack(load_stack("addition"))
        expected = {"input", "output", *(f"layer_{i}_output" for i in range(1, 6))}
        expected |= {f"layer_{i}_weight_{j}" for i, n in ((1, 3), (3, 3), (4, 2)) for j in range(n)}
        assert keys == expected
        assert np.array_equal(npz["input"], run.input)  # seed 0, as run_stack's default
        assert np.array_equal(npz["output"], run.output)
        assert npz["layer_1_weight_0"].shape == (12, 512)
        assert npz["layer_4_weight_1"].shape == (12,)


def test_dump_with_json_keeps_stdout_json(tmp_path):
    path = tmp_path / "out.npz"
    result, data = run_json(["addition", "--dump", str(path)])
    assert data["ok"] is True
    assert path.is_file()


def test_dump_into_a_missing_directory_exits_2(tmp_path):
    result = invoke(["run", "addition", "--dump", str(tmp_path / "missing" / "out.npz")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot write ")
    assert result.stdout == ""


# -- --max-memory ----------------------------------------------------------------------------------------
def test_max_memory_refusal_exits_2_and_names_the_layer():
    result = invoke(["run", "addition", "--max-memory", "1KiB"])
    assert result.exit_code == 2
    assert result.stdout == ""
    err = " ".join(result.stderr.split())
    assert result.stderr.startswith("error: running this stack would need about ")
    assert "over the 1.0 KiB budget" in err
    assert "layer 3, LSTM(128, return_sequences=True)" in err
    assert "--max-memory" in err


def test_max_memory_large_enough_runs():
    assert invoke(["run", "addition", "--max-memory", "4MiB"]).exit_code == 0
    assert invoke(["run", "addition", "--max-memory", "4000000"]).exit_code == 0


def test_max_memory_unreadable_exits_2():
    result = invoke(["run", "addition", "--max-memory", "lots"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot read --max-memory 'lots'")


def test_huge_layer_is_refused_quickly():
    stack = "input_shape: [7, 12]\nlayers:\n  - LSTM: {units: 100000}\n"
    result = run_module("run", "-", input=stack.encode())
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr
    assert b"layer 1, LSTM(100000)" in result.stderr
    assert b"<stdin>:3:5" in result.stderr


# -- failing claims ----------------------------------------------------------------------------------------
def test_failing_shape_claim_exits_1(monkeypatch):
    monkeypatch.setattr(RepeatVector, "output_shape", lambda self, s: (s[0], Dim.of(self.n + 1), s[1]))
    result = invoke(["run", "addition"])
    assert result.exit_code == 1
    verdicts = [line for line in result.stdout.splitlines() if line.startswith(("✓", "✗"))]
    assert any(v.startswith("✗") for v in verdicts)
    summary = " ".join(result.stdout.split("✗ ")[-1].split())
    assert re.match(r"\d+ of 19 claims hold; \d+ failed: output shape", summary), summary


def test_failing_claim_in_json_exits_1(monkeypatch):
    monkeypatch.setattr(Dropout, "forward", lambda self, x, weights, mask=None: x * 2)
    stack = "input_shape: [4, 5]\nlayers:\n  - Dropout: {rate: 0.5}\n"
    result, data = run_json(["-"], input=stack)
    assert result.exit_code == 1
    assert data["ok"] is False and data["failed"] == 1
    failed = [c for layer in data["layers"] for c in layer["claims"] if not c["ok"]]
    assert [c["claim"] for c in failed] == ["at inference the output is the input, unchanged"]
    assert failed[0]["observed"] == "40 values differ"


# -- the wrong stack, and the plain output ---------------------------------------------------------------
def test_run_wrong_scenario_teaches_and_exits_1():
    result = invoke(["run", "stacked-lstm-wrong"])
    assert result.exit_code == 1
    assert result.stdout == ""
    err = result.stderr
    assert err.startswith("error: layer 2, LSTM(32): LSTM needs a 3D input (batch, time, features), but gets a 2D one")
    assert "return_sequences: true" in err
    assert "Traceback" not in err


def test_run_wrong_scenario_in_a_subprocess():
    result = run_module("run", "stacked-lstm-wrong")
    assert result.returncode == 1
    assert b"Traceback" not in result.stderr
    assert result.stderr.startswith(b"error: layer 2, LSTM(32)")


def test_real_subprocess_run_addition():
    result = run_module("run", "addition")
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    out = result.stdout.decode()
    assert out.strip().splitlines()[-1] == "✓ 19 of 19 claims hold"
    assert ANSI not in out + result.stderr.decode()
    assert result.stderr == b""


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {}], ids=["NO_COLOR", "piped"])
def test_no_ansi_escapes_when_piped(env):
    for args in (["run", "addition"], ["run", "stacked-lstm-wrong"], ["run", "addition", "--max-memory", "1KiB"]):
        result = run_module(*args, env=env)
        output = (result.stdout + result.stderr).decode()
        assert output.strip()
        assert ANSI not in output, args


def test_no_ansi_escapes_in_cli_runner_output(monkeypatch):
    assert ANSI not in invoke(["run", "addition"]).output
    monkeypatch.setattr(Dropout, "forward", lambda self, x, weights, mask=None: x * 2)
    failing = invoke(["run", "-"], input="input_shape: [4, 5]\nlayers:\n  - Dropout: {rate: 0.5}\n")
    assert failing.exit_code == 1
    assert ANSI not in failing.output


OVERFLOWING_STACK = textwrap.dedent("""\
    input_shape: [4, 5]
    layers:
      - Activation: {activation: exponential}
      - Activation: {activation: exponential}
      - Activation: {activation: exponential}
      - Activation: {activation: softmax}
      - Flatten
""")


def test_overflow_prints_no_numpy_warnings():
    result = run_module("run", "-", "--seed", "1", input=OVERFLOWING_STACK.encode())
    assert b"Traceback" not in result.stderr
    assert result.returncode == 1  # softmax of inf really does not sum to 1 ...
    assert b"RuntimeWarning" not in result.stderr
    summary = result.stdout.decode().strip().splitlines()[-1]
    # ... and that is the only claim that fails: Flatten passes the NaNs on unchanged
    assert summary == ("✗ 14 of 16 claims hold; 2 failed: each group of 5 values along the last axis sums to 1; "
                       "… and every value is positive")


def test_run_help_lists_the_options():
    out = invoke(["run", "--help"]).stdout
    for option in ("--numeric", "--seed", "--bind", "--dump", "--max-memory", "--json"):
        assert option in out


# -- numpy is loaded by `run` (tests/test_cli.py checks that `explain` does not) ------------------------------------------------------------------------
def test_run_imports_numpy():
    assert numpy_loaded_after(["run", "dense-3d"])


def test_square_brackets_are_printed_not_taken_for_markup():
    result = CliRunner().invoke(cli, ["run", "bidirectional"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "concat = [forward |" in result.stdout  # rich markup would have swallowed the bracketed text
