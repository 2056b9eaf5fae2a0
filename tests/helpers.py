"""Shared helpers: explain a stack given as plain data, and the Keras 3 reference cases."""

from __future__ import annotations

import json
from pathlib import Path

from shapecli.engine import Explanation, explain
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
