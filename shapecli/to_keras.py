"""Keras code out: the Keras 3 Python that builds the model an explanation describes.

`to_keras(explanation)` writes a sequential stack as `keras.Sequential([keras.Input(shape=…), layers.…])`
and a graph in the functional form: one `keras.Input(shape=…, name=…)` per input, a variable per layer,
each call with its tensors (`initial_state=` for starting states, tuple unpacking for return_state), a
reused layer's variable called again, and `keras.Model(inputs=[…], outputs=[…])`.

Sizes are numbers (symbols replaced by their values); a free size is `None`. A layer's arguments are written
as its title shows them — the required ones by position, then each one that differs from Keras' default by
name — plus those the title leaves out when they are set (`unroll`, `noise_shape`, `name`, initializers
given by name …). Wrappers nest: `layers.TimeDistributed(layers.Dense(12))`. The code only imports Keras;
shapecli itself never runs it.
"""

from __future__ import annotations

import json
import keyword
import re
from typing import Any

from .engine import Explanation, Step
from .errors import unreadable
from .layers import Layer
from .layers.base import COMMON_ARGUMENTS, REQUIRED, is_shape_list
from .shapes import Dim, Shape, format_shape

HEADER = "import keras\nfrom keras import layers\n"
# Arguments never written: Keras 2's way of giving the input shape on a layer (keras.Input says it), and
# those Keras 3 takes only to warn about them. Embedding's own input_dim (its vocabulary) is written.
NOT_WRITTEN = ("input_length", "weights")
NOT_WRITTEN_COMMON = ("input_shape", "input_dim")
LINE = 110  # a longer line puts its comment on the line above
RESERVED = {"keras", "layers", "model"}
INDENT = "    "


def to_keras(explanation: Explanation) -> str:
    """The Keras 3 code that builds the explained model (a Python module, as text)."""
    stack = explanation.stack
    lines = [f"# {text}" for text in (stack.name, stack.description) if text]
    lines.append("# Keras 3 code written by shapecli: the model it explains, layer for layer.")
    lines += [HEADER]
    if stack.is_graph:
        lines += _functional(explanation)
    else:
        lines += _sequential(explanation)
    return "\n".join(lines) + "\n"


# -- values and layers ------------------------------------------------------------------------------------
def value_code(value: Any) -> str:
    """A Python literal for an argument's value: lists as tuples, strings in double quotes."""
    if isinstance(value, Layer):
        return layer_code(value)
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, Dim):
        return str(value.value) if value.is_known else "None"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(value_code(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{value_code(k)}: {value_code(v)}" for k, v in value.items()) + "}"
    raise unreadable(f"the value {value!r} cannot be written as Keras code",
                     expected="numbers, text, booleans, None, lists and layers", found=type(value).__name__)


def _writable(value: Any) -> bool:
    """Plain data that Keras takes as written (an initializer's name, a dtype …)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_writable(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _writable(v) for k, v in value.items())
    return False


def _free_sizes(layer: Layer, key: str, value: Any) -> Any:
    """A free size inside an argument (Reshape's target_shape [time, 12]) is -1 in Keras, which infers it."""
    if key != "target_shape" or not isinstance(value, list):
        return value
    free = [v for v in value if isinstance(v, str)]
    if not free:
        return value
    if len(free) > 1 or -1 in value:
        raise unreadable(f"{layer.title()} cannot be written in Keras",
                         expected="at most one size Keras works out (-1) in target_shape",
                         found=f"the free sizes {', '.join(free)}" + (" and a -1" if -1 in value else ""),
                         fix="give the free sizes a number under `symbols:`")
    return [-1 if isinstance(v, str) else v for v in value]


def layer_arguments(layer: Layer) -> list[str]:
    """`128`, `return_sequences=True`, …: the required arguments by position, then every one set away from
    Keras' default by name."""
    values = layer.config()
    positional, named = [], []
    for key, arg in layer.arguments.items():
        if key in NOT_WRITTEN:
            continue
        value = _free_sizes(layer, key, values[key])
        if arg.default is REQUIRED:
            if named:  # Keras' order differs from here on: name it
                named.append(f"{key}={value_code(value)}")
            else:
                positional.append(value_code(value))
        elif value != arg.default and (arg.shown or _writable(value)):
            named.append(f"{key}={value_code(value)}")
    for key, arg in COMMON_ARGUMENTS.items():
        if key in NOT_WRITTEN_COMMON or key in layer.arguments or key not in layer.given:
            continue
        value = getattr(layer, key, None)
        if value != arg.default and _writable(value):
            named.append(f"{key}={value_code(value)}")
    return positional + named


def layer_code(layer: Layer) -> str:
    """`layers.LSTM(128, return_sequences=True)`."""
    return f"layers.{layer.keras_name}({', '.join(layer_arguments(layer))})"


def shape_code(shape: Shape) -> str:
    """A shape without its batch axis, for keras.Input: free sizes are None."""
    return value_code(list(shape[1:]))


def input_code(shape: Shape, dtype: str, name: str | None = None) -> str:
    parts = [f"shape={shape_code(shape)}"]
    if name is not None:
        parts.append(f"name={value_code(name)}")
    if dtype != "float32":
        parts.append(f"dtype={value_code(dtype)}")
    return f"keras.Input({', '.join(parts)})"


def shape_comment(shape) -> str:
    if is_shape_list(shape):
        return "[" + ", ".join(format_shape(s) for s in shape) + "]"
    return format_shape(shape)


# -- a sequential stack -----------------------------------------------------------------------------------
def _sequential(explanation: Explanation) -> list[str]:
    rows = [(input_code(explanation.input_shape, explanation.input_dtype) + ",",
             shape_comment(explanation.input_shape))]
    for step in explanation.steps:
        rows.append((layer_code(step.layer) + ",", shape_comment(step.output_shape)))
    width = max(len(code) for code, _ in rows)
    lines = ["model = keras.Sequential(["]
    lines += [f"{INDENT}{code:<{width}}  # {comment}" for code, comment in rows]
    lines.append("])")
    return lines


# -- a graph ---------------------------------------------------------------------------------------------
class _Names:
    """Python names for tensors and layers: valid, distinct, never `keras`, `layers` or `model`."""

    def __init__(self):
        self.taken: set[str] = set(RESERVED)
        self.tensors: dict[str, str] = {"_": "_"}

    def fresh(self, wanted: str) -> str:
        name = re.sub(r"\W", "_", wanted) or "x"
        if name[0].isdigit():
            name = "_" + name
        if keyword.iskeyword(name) or name == "_":
            name += "_"
        found, k = name, 1
        while found in self.taken:
            k += 1
            found = f"{name}_{k}"
        self.taken.add(found)
        return found

    def tensor(self, name: str) -> str:
        if name not in self.tensors:
            self.tensors[name] = self.fresh(name)
        return self.tensors[name]


def _listed(names: list[str]) -> str:
    return "[" + ", ".join(names) + "]"


def _functional(explanation: Explanation) -> list[str]:
    names = _Names()
    lines = []
    for name, shape in explanation.inputs.items():
        lines.append(f"{names.tensor(name)} = {input_code(shape, explanation.dtypes[name], name)}")
    lines.append("")
    tensor_names = set(explanation.tensors)
    variables: dict[int, str] = {}  # id(layer) → its variable
    for step in explanation.steps:
        layer = step.layer
        if id(layer) not in variables:
            wanted = layer.name or layer.keras_name.lower()
            variable = names.fresh(wanted + "_layer" if wanted in tensor_names else wanted)
            variables[id(layer)] = variable
            lines.append(f"{variable} = {layer_code(layer)}")
        lines.append(_call(step, variables[id(layer)], names))
    inputs = [names.tensor(name) for name in explanation.inputs]
    outputs = [names.tensor(name) for name in explanation.outputs]
    model = f"model = keras.Model(inputs={_listed(inputs)}, outputs={_listed(outputs)})"
    if len(model) > LINE:
        model = f"model = keras.Model(\n{INDENT}inputs={_listed(inputs)},\n{INDENT}outputs={_listed(outputs)},\n)"
    lines += ["", model]
    return lines


def _call(step: Step, variable: str, names: _Names) -> str:
    """`a, h, c = lstm(x, initial_state=[h0, c0])  # shapes`."""
    reads = [names.tensor(name) for name in step.inputs]
    if step.layer.keras_name == "MultiHeadAttention":
        arguments = reads  # called as mha(query, value[, key])
    elif step.layer.takes_list:
        arguments = [_listed(reads)]
    else:
        arguments = reads[:1]
    if step.states:
        arguments.append(f"initial_state={_listed([names.tensor(name) for name in step.states])}")
    made = [names.tensor(name) for name in step.outputs]
    target = ", ".join(made)
    shapes = step.output_shape if is_shape_list(step.output_shape) else [step.output_shape]
    comment = ", ".join(format_shape(shape) for shape in shapes)
    shared = f"; reused: the weights of call {step.shared_with}" if step.shared_with else ""
    call = f"{target} = {variable}({', '.join(arguments)})"
    comment = f"# {comment}{shared}"
    return f"{call}  {comment}" if len(call) + 2 + len(comment) <= LINE else f"{comment}\n{call}"
