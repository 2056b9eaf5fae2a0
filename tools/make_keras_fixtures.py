"""Regenerate the numeric reference fixtures tests/reference/numeric/*.npz from real Keras 3.

The cases are the NUMERIC cases of tools/keras_cases.py (the one list of
cases shared with tools/make_keras_reference.py): small Keras stacks written in
shapecli's layer-spec format (a one-key dict: Keras class name -> constructor
kwargs; wrappers take the inner layer under "layer"), with per-case options
input_scale, batch and pad_trailing (see keras_cases.py).  For every case this
script builds

    keras.Sequential([keras.Input(shape=input_shape, dtype=input_dtype), *layers])

overwrites every weight with seeded random values (so biases are non-zero and
a wrong weight layout cannot hide behind Keras' zero initialisers), feeds a
seeded random input through the stack in inference mode (training=False) and
saves one compressed .npz per case, named after the case id, holding

    stack                 json.dumps({"input_shape": [...], "layers": [...]})
                          (input_shape without the batch axis)
    input                 float32 (seeded normal), or int32 token ids in
                          [0, input_dim) when the first layer is Embedding (or
                          TimeDistributed of one); with mask_zero=True or the
                          pad_trailing option, ids are drawn from [1, input_dim)
                          and 0s (padding) are put in on purpose
    layer_{i}_weight_{j}  i: 1-based layer index in the stack, j: 0-based
                          index in that layer's get_weights() order (Keras' shapes)
    layer_{i}_output      that layer's output
    output                the model's final output

These are the same key names as shapecli's --dump format.  All float arrays
are float32.  The random numbers depend only on the case id, so adding or
removing a case does not change any other fixture.

How to run (from the repository root):

    pip install keras jax
    KERAS_BACKEND=numpy python tools/make_keras_fixtures.py

The test suite only reads the .npz files written here; it never needs Keras.
"""

import json
import os
import sys
import zlib
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "numpy")
import keras  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from keras_cases import DEFAULT_BATCH, NUMERIC, cases_for, token_embedding  # noqa: E402  (every case, listed once)
from make_keras_reference import build_model  # noqa: E402  (one way to build a Keras layer from a spec)

OUT_DIR = Path(__file__).resolve().parent.parent / "tests" / "reference" / "numeric"
WEIGHT_STD = 0.5


def make_input(rng, c):
    """Seeded input, batch first: token ids for an Embedding stack, else floats.
    Token ids: with the case's pad_trailing option, ids from [1, input_dim) and the trailing ids it
    names set to 0 (padding); else with mask_zero=True, ids from [1, input_dim) and 0s at the start
    of sample 0, the end of sample 1 and the middle of the last sample; else ids from [0, input_dim)."""
    shape = [c.get("batch", DEFAULT_BATCH), *c["input_shape"]]
    embedding = token_embedding(c["layers"])
    if embedding is None:
        return "float32", (rng.normal(0.0, c.get("input_scale", 1.0), shape)).astype(np.float32)
    if "pad_trailing" in c:
        ids = rng.integers(1, embedding["input_dim"], size=shape).astype(np.int32)
        for sample, pads in enumerate(c["pad_trailing"]):
            rows = ids[sample].reshape(-1, shape[-1])  # a view: every row of the last axis
            for row, n in enumerate(pads if isinstance(pads, list) else [pads] * len(rows)):
                rows[row, shape[-1] - n:] = 0
        return "int32", ids
    if not embedding.get("mask_zero"):
        return "int32", rng.integers(0, embedding["input_dim"], size=shape).astype(np.int32)
    ids = rng.integers(1, embedding["input_dim"], size=shape).astype(np.int32)
    ids[0, :2], ids[1, -2:], ids[-1, shape[1] // 2] = 0, 0, 0  # padding at the start, the end, the middle
    return "int32", ids


def randomize_weights(rng, layer):
    """Overwrite every weight of a layer with seeded random values, in get_weights() order.
    LayerNormalization's gamma stays near 1 so the normalised signal survives."""
    values = []
    for var in layer.weights:
        shape = tuple(var.shape)
        if var.name == "gamma":
            values.append((1.0 + rng.normal(0.0, 0.1, shape)).astype(np.float32))
        else:
            values.append(rng.normal(0.0, WEIGHT_STD, shape).astype(np.float32))
    layer.set_weights(values)
    return [np.asarray(w) for w in layer.get_weights()]


def run_case(c):
    rng = np.random.default_rng(zlib.crc32(c["id"].encode()))
    dtype, x = make_input(rng, c)
    model = build_model(c["layers"], c["input_shape"], dtype)
    arrays = {
        "stack": np.array(json.dumps({"input_shape": c["input_shape"], "layers": c["layers"]})),
        "input": x,
    }
    for i, layer in enumerate(model.layers, start=1):
        for j, w in enumerate(randomize_weights(rng, layer)):
            arrays[f"layer_{i}_weight_{j}"] = w.astype(np.float32)

    # Layer by layer, in inference mode.
    y = x
    for i, layer in enumerate(model.layers, start=1):
        y = layer(y, training=False)
        arrays[f"layer_{i}_output"] = np.asarray(keras.ops.convert_to_numpy(y), dtype=np.float32)
    out = arrays[f"layer_{len(model.layers)}_output"]

    # The layer-by-layer run must be the model's own forward pass.
    whole = keras.ops.convert_to_numpy(model(x, training=False))
    predicted = model.predict(x, verbose=0)
    np.testing.assert_allclose(whole, out, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(predicted, out, rtol=1e-6, atol=1e-6)
    assert np.all(np.isfinite(out)), "non-finite output"
    arrays["output"] = out
    return arrays


def main():
    cases = cases_for(NUMERIC)
    ids = [c["id"] for c in cases]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for stale in OUT_DIR.glob("*.npz"):  # fixtures of cases that no longer exist
        if stale.stem not in ids:
            stale.unlink()
    total = 0
    for c in cases:
        arrays = run_case(c)
        path = OUT_DIR / f"{c['id']}.npz"
        np.savez_compressed(path, **arrays)
        total += path.stat().st_size
        n_weights = sum(k.startswith("layer_") and "_weight_" in k for k in arrays)
        print(f"{c['id']:<52} in {list(arrays['input'].shape)} -> out "
              f"{list(arrays['output'].shape)}  weights={n_weights}", flush=True)
    print(f"wrote {len(cases)} fixtures ({total / 1024:.0f} KiB) to {OUT_DIR}")


if __name__ == "__main__":
    main()
