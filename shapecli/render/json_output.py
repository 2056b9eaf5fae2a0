"""`--json`: the machine-readable form of an explanation. Others build on this format; keep it."""

from __future__ import annotations

import json

from ..engine import Explanation, Step
from ..shapes import shape_to_json


def layer_record(step: Step) -> dict:
    """A layer's fields, the same in every `--json` (explain's, compare's, and run's before its own)."""
    return {
        "index": step.index,
        "type": step.layer.keras_name,
        "title": step.layer.title(),
        "input_shape": shape_to_json(step.input_shape),
        "output_shape": shape_to_json(step.output_shape),
        "params": step.params,
        "note": step.note,
    }


def explanation_to_dict(explanation: Explanation) -> dict:
    return {
        "name": explanation.stack.name,
        "input_shape": shape_to_json(explanation.input_shape),
        "layers": [layer_record(step) for step in explanation.steps],
        "output_shape": shape_to_json(explanation.output_shape),
        "total_params": explanation.total_params,
    }


def explanation_to_json(explanation: Explanation) -> str:
    return json.dumps(explanation_to_dict(explanation), indent=2, ensure_ascii=False)
