"""Shared helpers: explain a stack given as plain data, and the Keras 3 reference cases."""

from __future__ import annotations

import json
from pathlib import Path

import subprocess
import sys
import textwrap

import pytest

from shapecli.engine import Explanation, explain
from shapecli.errors import StackError
from shapecli.stackfile import stack_from_data

REFERENCE = json.loads((Path(__file__).parent / "reference" / "keras_layers.json").read_text())


def explain_data(input_shape, layers, symbols=None) -> Explanation:
    """Explain a stack written as Python data, in the stack-file format."""
    data = {"input_shape": list(input_shape), "layers": list(layers)}
    if symbols:
        data["symbols"] = symbols
    return explain(stack_from_data(data))


def reference_cases(prefix: str | tuple = "") -> list[dict]:
    """The Keras reference cases whose id starts with `prefix`."""
    return [c for c in REFERENCE["cases"] if c["id"].startswith(prefix)]


# -- shared by the per-layer tests ------------------------------------------------
def case(case_id: str) -> dict:
    (found,) = [c for c in reference_cases(case_id) if c["id"] == case_id]
    return found


def explain_case(case_id: str):
    c = case(case_id)
    return c, explain_data(c["input_shape"], c["layers"])


def as_keras(shape) -> list:
    return [None if str(d) == "batch" or not d.is_known else d.value for d in shape]


def texts(shape) -> list[str]:
    return [str(d) for d in shape]


def stack_error(input_shape, layers, symbols=None) -> StackError:
    with pytest.raises(StackError) as raised:
        explain_data(input_shape, layers, symbols)
    return raised.value


def note(input_shape, layers, symbols=None, index=-1) -> str:
    return explain_data(input_shape, layers, symbols).steps[index].note


def numpy_loaded_after(args) -> bool:
    """Whether running `shapecli ARGS` in a fresh interpreter imports NumPy."""
    code = textwrap.dedent(f"""\
        import sys
        assert "numpy" not in sys.modules, "numpy was imported before shapecli"
        from shapecli.cli import cli
        try:
            cli({args!r}, standalone_mode=False)
        except SystemExit:
            pass
        print("NUMPY-LOADED" if "numpy" in sys.modules else "NUMPY-FREE", file=sys.stderr)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return b"NUMPY-LOADED" in result.stderr
