"""`--json`: the machine-readable form of an explanation. Others build on this format; keep it."""

from __future__ import annotations

import json

from ..engine import Explanation, Step
from ..shapes import shape_to_json
from . import LONG_STACK


def layer_record(step: Step) -> dict:
    """A layer's fields, the same in every `--json` (explain's, compare's, and run's before its own)."""
    record = {
        "index": step.index,
        "type": step.layer.keras_name,
        "title": step.layer.title(),
        "arguments": arguments(step.layer),
        "input_shape": shape_to_json(step.input_shape),
        "output_shape": shape_to_json(step.output_shape),
        "params": step.params,
        "note": step.note,
    }
    formula, lesson = step.layer.params_formula(step.input_shape), step.layer.lesson(step.input_shape)
    if formula:
        record["params_formula"] = formula
    if lesson:
        record["see"] = f"shapecli compare {lesson}"
    return record


def arguments(layer) -> dict:
    """The layer's arguments as a stack file writes them (a wrapped layer as {Name: {arguments}})."""
    found, config = {}, layer.config()
    for key, _ in type(layer).argument_table().shown:  # not initializers, regularizers …: they change nothing
        value = config[key]
        if hasattr(value, "keras_name"):
            value = {value.keras_name: arguments(value)}
        if isinstance(value, (str, int, float, bool, list, dict)) or value is None:
            found[key] = value
    return found


def weights_record(step: Step) -> list[dict]:
    """The weights as Keras' get_weights() lists them."""
    return [{"name": name, "shape": list(shape)} for name, shape in step.layer.weight_shapes(step.input_shape)]


def graph_to_dict(explanation: Explanation) -> dict:
    """A graph: its inputs, each call with the tensors it reads and makes, its outputs."""
    def tensor(name: str) -> dict:
        return {"name": name, "shape": shape_to_json(explanation.tensors[name])}

    layers = []
    for step in explanation.steps:
        record = layer_record(step)
        record.update({"name": step.layer.name, "label": step.layer.title(), "inputs": step.inputs,
                       "outputs": [tensor(name) for name in step.outputs]})
        if step.states:
            record["initial_state"] = step.states
        if step.shared_with is not None:  # its weights are the first call's: counted there
            record.update(params=0, shared_with=step.shared_with)
        layers.append(record)
    found = {
        "name": explanation.stack.name,
        "inputs": [{"name": name, "shape": shape_to_json(shape), "dtype": explanation.dtypes[name]}
                   for name, shape in explanation.inputs.items()],
        "layers": layers,
        "outputs": [tensor(name) for name in explanation.outputs],
        "total_params": explanation.total_params,
    }
    if len(explanation.outputs) == 1:
        found["output_shape"] = shape_to_json(explanation.output_shape)
    return found


def explanation_to_dict(explanation: Explanation, layers: list | None = None) -> dict:
    """`layers`: what to put in place of the layers' records (they are written separately)."""
    if explanation.stack.is_graph:
        return graph_to_dict(explanation)
    return {
        "name": explanation.stack.name,
        "input_shape": shape_to_json(explanation.input_shape),
        "layers": [layer_record(step) for step in explanation.steps] if layers is None else layers,
        "output_shape": shape_to_json(explanation.output_shape),
        "total_params": explanation.total_params,
    }


def explanation_to_json(explanation: Explanation, with_weights: bool = False) -> str:
    steps = explanation.steps
    if len(steps) > LONG_STACK and not explanation.stack.is_graph:
        return dumps(explanation_to_dict(explanation, layers=[]), record_lines(steps, with_weights))
    found = explanation_to_dict(explanation)
    if with_weights:  # each layer's weights, as Keras' get_weights() lists them
        for record, step in zip(found["layers"], steps):
            record["weights"] = weights_record(step)
    return dumps(found)


def record_lines(steps: list[Step], with_weights: bool) -> list[str]:
    """Each layer's record as a line of JSON. A deep stack repeats a few layers, whose records differ only
    in their index (Step.printed_as): each distinct one is made and encoded once, the index put in front."""
    made: dict[tuple, str] = {}
    lines = []
    for step in steps:
        key = step.printed_as
        rest = made.get(key)
        if rest is None:
            record = layer_record(step)
            del record["index"]
            if with_weights:
                record["weights"] = weights_record(step)
            rest = made[key] = json.dumps(record, ensure_ascii=False)[1:]
        lines.append(f'{{"index": {step.index}, {rest}')
    return lines


def dumps(found: dict, layer_lines: list[str] | None = None) -> str:
    """Indented JSON; past LONG_STACK layers, each layer's record on one line of its own (the same JSON,
    written by the json module's C encoder: three times faster, and a long listing is read a line a layer).
    `layer_lines`: the records already written so (`record_lines`)."""
    layers = found.get("layers", [])
    if layer_lines is None:
        if len(layers) <= LONG_STACK:
            return json.dumps(found, indent=2, ensure_ascii=False)
        layer_lines = [json.dumps(record, ensure_ascii=False) for record in layers]
    text = json.dumps({**found, "layers": _SPOT}, indent=2, ensure_ascii=False)  # a string no value can end up as
    records = ",\n".join("    " + line for line in layer_lines)
    return text.replace(f'\n  "layers": {json.dumps(_SPOT)}', '\n  "layers": [\n' + records + '\n  ]', 1)


_SPOT = "\0layers\0"  # encoded as "\u0000layers\u0000": within any other encoded string its quote would be escaped


def claims_to_dict(run, claims: list[list]) -> dict:
    """`run --json`: each layer with its claims, and which sentences of `explain` were proven."""
    from ..claims import sentences

    every = [c for layer_claims in claims for c in layer_claims]
    said = sentences(run, claims)
    return {
        "name": run.explanation.stack.name,
        "seed": run.seed,
        "bindings": run.bindings,
        "input_shape": list(run.input.shape),
        "layers": [
            {
                **layer_record(layer_run.step),
                "observed_shape": [list(y.shape) for y in layer_run.output] if isinstance(layer_run.output, list)
                else list(layer_run.output.shape),
                "claims": [{"claim": c.name, "kind": c.kind, "proves": c.backs, "expected": c.expected,
                            "observed": c.observed, "ok": c.ok} for c in layer_claims],
            }
            for layer_run, layer_claims in zip(run.layers, claims)
        ],
        "sentences": [{"index": s.index, "which": s.which, "text": s.text, "proven": s.proven, "reason": s.reason}
                      for s in said],
        "sentences_proven": sum(s.proven for s in said),
        "claims": len(every),
        "failed": sum(not c.ok for c in every),
        "ok": all(c.ok for c in every),
    }


def claims_to_json(run, claims: list[list]) -> str:
    return dumps(claims_to_dict(run, claims))
