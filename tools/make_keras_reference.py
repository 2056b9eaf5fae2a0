"""Regenerate tests/reference/keras_layers.json from real Keras 3.

The cases are the SHAPES cases of tools/keras_cases.py (the one list of
cases shared with tools/make_keras_fixtures.py): small Keras stacks written in
the same layer-spec format as shapecli's YAML stacks (a one-key dict: Keras
class name -> constructor kwargs; wrappers take the inner layer under "layer").
For every case this script builds

    keras.Sequential([keras.Input(shape=input_shape, dtype=input_dtype), *layers])

and records what Keras itself says: the model output shape, per-layer output
shapes, per-layer parameter counts and weight shapes (get_weights() order),
the total parameter count -- or the error Keras raises if it refuses the
stack.  When input_shape contains a null (free) dimension, the stack is also
rebuilt with several concrete values substituted for it (the case's
"concrete" option, else DEFAULT_CONCRETE), and a real forward pass on zeros
(batch 2) checks that the arrays have the static shapes; a value Keras
refuses is recorded with its error.

It also writes shapecli/keras_layer_names.txt: every public Keras layer class
name (keras.layers' exports that subclass Layer, aliases included, without the
bases Layer and Wrapper, plus Input), sorted, one a line.

How to run (from the repository root):

    pip install keras jax
    KERAS_BACKEND=numpy python tools/make_keras_reference.py

The test suite only reads the JSON file written here; it never needs Keras.
"""

import json
import os
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from keras_cases import DEFAULT_CONCRETE, SHAPES, cases_for, input_dtype  # noqa: E402  (every case, listed once)

os.environ.setdefault("KERAS_BACKEND", "numpy")
import keras  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "reference" / "keras_layers.json"
LAYER_NAMES = ROOT / "shapecli" / "keras_layer_names.txt"
# Exported by keras.layers and subclasses of Layer, but bases to build layers on, not layers to use.
NOT_USABLE_LAYERS = {"Layer", "Wrapper"}
TUPLE_ARGS = {"target_shape", "dims"}  # Reshape / Permute want tuples


def build_layer(spec):
    """{"Name": {kwargs}} -> keras.layers.Name(**kwargs), recursing into "layer"."""
    (name, kwargs), = spec.items()
    kwargs = dict(kwargs)
    if "layer" in kwargs:
        kwargs["layer"] = build_layer(kwargs["layer"])
    for k in TUPLE_ARGS & kwargs.keys():
        kwargs[k] = tuple(kwargs[k])
    return getattr(keras.layers, name)(**kwargs)


def shape_json(shape):
    """A Keras shape (or list of shapes, e.g. return_state) -> JSON lists."""
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [shape_json(s) for s in shape]
    return [None if d is None else int(d) for d in shape]


def layer_output_shape(layer):
    out = layer.output
    if isinstance(out, (list, tuple)):
        return [shape_json(t.shape) for t in out]
    return shape_json(out.shape)


def error_text(e):
    """'Type: message', without ANSI colour codes and Keras' 'Exception encountered
    when calling X.call()' wrapper (the real message is the bold part inside it)."""
    msg = str(e)
    bold = re.search(r"\x1b\[1m(.*?)\x1b\[0m", msg, re.S)
    if bold:
        msg = bold.group(1)
    msg = re.sub(r"\x1b\[[0-9;]*m", "", msg).strip()
    if "\nException encountered: " in msg:  # deserialization error: the cause is at the end
        msg = msg.split(". ")[0] + ". ... " + msg[msg.rindex("Exception encountered: "):]
    return f"{type(e).__name__}: {msg[:300]}"


def build_model(layers, input_shape, dtype):
    keras.utils.clear_session()  # restart auto-names (lstm, dense_1, ...) so output is stable
    inp = keras.Input(shape=tuple(input_shape), dtype=dtype)
    return keras.Sequential([inp, *[build_layer(s) for s in layers]])


def forward_check(model, shape, dtype, layer_shapes):
    """Run zeros (batch 2) through the model; every layer's array must match its static shape."""
    probe = keras.Model(model.inputs, [l.output for l in model.layers])
    outs = probe(np.zeros([2, *shape], dtype=dtype))
    if len(model.layers) == 1:  # a one-output Model returns the bare array
        outs = [outs]
    for static, arr in zip(layer_shapes, outs):
        real = list(keras.ops.shape(arr))
        assert real == [2, *static[1:]], f"forward pass gave {real}, static {static}"


def run_case(c):
    layers, input_shape = c["layers"], c["input_shape"]
    dtype = input_dtype(layers)
    result = {"id": c["id"], "layers": layers, "input_shape": input_shape, "input_dtype": dtype}
    try:
        model = build_model(layers, input_shape, dtype)
        result.update(
            output_shape=shape_json(model.output_shape),
            layer_output_shapes=[layer_output_shape(l) for l in model.layers],
            layer_params=[l.count_params() for l in model.layers],
            layer_weight_shapes=[[list(w.shape) for w in l.get_weights()] for l in model.layers],
            total_params=model.count_params())
    except Exception as e:  # Keras refuses the stack
        return {**result, "error": error_text(e)}
    if None in input_shape:
        result["concrete"] = []
        for value in c.get("concrete_values", DEFAULT_CONCRETE):
            shape = [value if d is None else d for d in input_shape]
            try:
                model = build_model(layers, shape, dtype)
                layer_shapes = [layer_output_shape(l) for l in model.layers]
                forward_check(model, shape, dtype, layer_shapes)
                entry = {"input_shape": shape, "output_shape": shape_json(model.output_shape),
                         "layer_output_shapes": layer_shapes}
            except Exception as e:
                entry = {"input_shape": shape, "error": error_text(e)}
            result["concrete"].append(entry)
    return result


def summary(r):
    if "error" in r:
        return f"{r['id']:<48} ERROR {r['error'][:90]}"
    line = f"{r['id']:<48} {r['output_shape']} params={r['total_params']}"
    if "concrete" in r:
        line += " | " + " ".join(
            f"{e['input_shape']}->" + ("ERR" if "error" in e else str(e["output_shape"][1:]))
            for e in r["concrete"])
    return line


def keras_layer_names() -> list[str]:
    """Every public name in keras.layers for a usable layer class (aliases such as MaxPool1D
    included), plus Input, the function that makes an InputLayer."""
    names = {"Input"}
    for name in dir(keras.layers):
        value = getattr(keras.layers, name)
        if not name.startswith("_") and isinstance(value, type) and issubclass(value, keras.layers.Layer):
            names.add(name)
    missing = NOT_USABLE_LAYERS - names
    if missing:  # a Keras upgrade renamed a base class: look at the list again
        sys.exit(f"keras.layers no longer exports {sorted(missing)}")
    return sorted(names - NOT_USABLE_LAYERS)


def write_layer_names() -> None:
    names = keras_layer_names()
    header = f"# written by tools/make_keras_reference.py from Keras {keras.__version__}; do not edit"
    LAYER_NAMES.write_text("\n".join([header, *names]) + "\n")
    print(f"wrote {len(names)} layer names to {LAYER_NAMES}")


def main():
    write_layer_names()
    results = []
    for c in cases_for(SHAPES):
        r = run_case(c)
        print(summary(r), flush=True)
        results.append(r)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    data = {"keras_version": keras.__version__, "cases": results}
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {len(results)} cases to {OUT}")


if __name__ == "__main__":
    main()
