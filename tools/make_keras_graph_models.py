"""Regenerate tests/reference/graph_models/*.npz: whole graph (functional) stack files run by real Keras 3.

For every graph stack file (the bundled scenarios with `inputs:`, and tests/reference/graph_models/*.yaml),
this script builds the same keras.Model from the file — named Inputs, each layer called on the tensors
its entry names, `initial_state` passed to the call, `reuse:` calling a layer again — overwrites every
weight with seeded random values, feeds seeded random inputs (batch 2, every free size bound to a small
number) and saves one .npz named after the file, holding:

    stack                 the stack file's text
    bindings              json: the numbers the free sizes were bound to (batch included)
    keras                 json: count_params(), the outputs' shapes (None: free), model.layers' names
    input_<name>          each input
    tensor_<name>         every tensor the file names (not `_`), as Keras computed it
    layer_<i>_weight_<j>  i: 1-based index in model.layers (the Inputs first), j: get_weights() order

— the layout of `shapecli run GRAPH --dump`. The test suite reads these files and never needs Keras.

    pip install keras jax pyyaml
    KERAS_BACKEND=numpy python tools/make_keras_graph_models.py
"""

import json
import os
import sys
import zlib
from pathlib import Path

import numpy as np
import yaml

os.environ.setdefault("KERAS_BACKEND", "numpy")
import keras  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_keras_reference import build_layer  # noqa: E402  (one way to build a Keras layer from a spec)

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "tests" / "reference" / "graph_models"
BATCH, FREE_SIZE = 2, 4
WIRING = ("in", "out", "initial_state")


def resolve(value, symbols):
    """Symbols replaced by their sizes (a free one by None), all the way down."""
    if isinstance(value, str) and value in symbols:
        return symbols[value]
    if isinstance(value, list):
        return [resolve(v, symbols) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, symbols) for k, v in value.items()}
    return value


def names(value):
    return [] if value is None else value if isinstance(value, list) else [value]


def build(spec):
    symbols = spec.get("symbols") or {}
    embedded = {n for e in spec["layers"] if "Embedding" in e for n in names(e.get("in"))}
    inputs = {name: keras.Input(tuple(resolve(shape, symbols)), name=name, dtype="int32" if name in embedded else "float32")
              for name, shape in spec["inputs"].items()}
    tensors, layers, last = dict(inputs), {}, None
    for entry in spec["layers"]:
        rest = {k: v for k, v in entry.items() if k not in WIRING}
        if "reuse" in rest:
            layer = layers[rest["reuse"]]
        else:
            layer = build_layer(resolve(rest, symbols))
            layers[layer.name] = layer
        reads = names(entry.get("in")) or [last]
        x = [tensors[n] for n in reads] if len(reads) > 1 else tensors[reads[0]]
        kwargs = {"initial_state": [tensors[n] for n in names(entry["initial_state"])]} if "initial_state" in entry else {}
        out = layer(x, **kwargs)
        outs = names(entry.get("out")) or [layer.name]
        for name, tensor in zip(outs, out if isinstance(out, (list, tuple)) else [out]):
            tensors[name] = tensor
        last = outs[0]
    named = {n: t for n, t in tensors.items() if n != "_" and n not in inputs}
    model = keras.Model(list(inputs.values()), [tensors[n] for n in names(spec["outputs"])])
    probe = keras.Model(list(inputs.values()), list(named.values()))
    return model, probe, list(named)


def make_fixture(path: Path) -> None:
    text = path.read_text()
    spec = yaml.safe_load(text)
    model, probe, tensor_names = build(spec)
    rng = np.random.default_rng(zlib.crc32(path.stem.encode()))
    arrays = {}
    for i, layer in enumerate(model.layers, start=1):
        weights = [(0.5 * rng.standard_normal(w.shape)).astype(np.float32) for w in layer.get_weights()]
        layer.set_weights(weights)
        arrays.update({f"layer_{i}_weight_{j}": w for j, w in enumerate(weights)})
    free = sorted({k for k, v in (spec.get("symbols") or {}).items() if v is None})
    bindings = {"batch": BATCH, **{name: FREE_SIZE + k for k, name in enumerate(free)}}
    inputs = []
    for name, shape in spec["inputs"].items():
        sizes = [bindings[d] if isinstance(d, str) and spec["symbols"].get(d) is None else
                 resolve(d, spec.get("symbols") or {}) for d in shape]
        vocabulary = next((next(iter(e.values()))["input_dim"] for e in spec["layers"]
                           if "Embedding" in e and name in names(e.get("in"))), None)
        if vocabulary is None:
            x = rng.standard_normal((BATCH, *sizes)).astype(np.float32)
        else:  # token ids; sample b ends in 2b padding zeros
            x = rng.integers(1, vocabulary, size=(BATCH, *sizes)).astype(np.int32)
            for b in range(BATCH):
                if b:
                    x[b, ..., -min(2 * b, sizes[-1] - 1):] = 0
        arrays[f"input_{name}"] = x
        inputs.append(x)
    for name, value in zip(tensor_names, probe.predict(inputs, verbose=0)):
        arrays[f"tensor_{name}"] = np.asarray(value, np.float32)
    arrays["stack"] = np.array(text)
    arrays["bindings"] = np.array(json.dumps(bindings))
    arrays["keras"] = np.array(json.dumps({
        "count_params": int(model.count_params()),
        "output_shapes": [list(t.shape) for t in model.outputs],
        "layers": [layer.name for layer in model.layers],
    }))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT_DIR / f"{path.stem}.npz", **arrays)
    print(f"{path.stem}: {model.count_params():,} params, {len(tensor_names)} tensors")


def main() -> None:
    files = [p for p in sorted((ROOT / "scenarios").glob("*.yaml")) if "inputs" in yaml.safe_load(p.read_text())]
    files += sorted(OUT_DIR.glob("*.yaml"))
    for path in files:
        make_fixture(path)


if __name__ == "__main__":
    main()
