"""Regenerate tests/reference/graph/ from real Keras 3: the layers called on several tensors (merges and
attention), each in a small functional model.

A case names its inputs with their shapes (without the batch axis; a name instead of a number is a free
size, None to Keras), one layer `{ClassName: {kwargs}}`, the inputs it is called on, in order (`call`:
an input may come twice, as in self-attention), and the size each free name takes in the numbers
(`bind`, default 5). For every case in CASES this script builds

    keras.Model(inputs, layer(inputs))          # MultiHeadAttention: layer(query, value[, key])

overwrites every weight with seeded random values (np.random.default_rng(zlib.crc32(id)), normal × 0.5,
float32), feeds seeded random inputs (batch 2) in inference mode and saves tests/reference/graph/<id>.npz:

    spec         json {"inputs": {name: shape}, "layer": {...}, "call": [names], "bind": {name: size}}
    input_<i>    the i-th input of `inputs`, float32
    weight_<j>   j in get_weights() order, Keras' shapes
    output       the layer's output (output_<k> when it gives several)
    keras        json {"output_shape": [...] (None for the batch and free sizes), "params": count_params(),
                 "weight_paths": [...]}

For each case in REFUSALS (what a user can get wrong) it records in tests/reference/graph/refusals.json
whether Keras refuses it while building the model ("build"), builds it but fails when it runs ("run"),
or runs it ("accepted"), with the start of Keras' message.

    KERAS_BACKEND=numpy python tools/make_keras_graph_fixtures.py

The test suite only reads these files; it never needs Keras.
"""

import json
import os
import re
import zlib
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "numpy")
import keras  # noqa: E402

OUT_DIR = Path(__file__).resolve().parent.parent / "tests" / "reference" / "graph"
BATCH, WEIGHT_STD, FREE_SIZE = 2, 0.5, 5


def case(id, inputs, layer, call=None, bind=None):
    return {"id": id, "inputs": inputs, "layer": layer, "call": call or list(inputs), "bind": bind or {}}


MHA = "MultiHeadAttention"
QV = {"q": [4, 8], "v": [7, 6]}
QVK = {"q": [4, 8], "v": [7, 6], "k": [7, 5]}
GRID = {"q": [3, 4, 8], "v": [3, 7, 6]}

CASES = [
    # -- merges -----------------------------------------------------------------------------------------
    case("concat_last", {"a": [7, 8], "b": [7, 4]}, {"Concatenate": {}}),
    case("concat_axis1", {"a": [7, 8], "b": [3, 8]}, {"Concatenate": {"axis": 1}}),
    case("concat_axis_minus2", {"a": [7, 8], "b": [3, 8]}, {"Concatenate": {"axis": -2}}),
    case("concat_three", {"a": [7, 8], "b": [7, 4], "c": [7, 1]}, {"Concatenate": {}}),
    case("concat_2d", {"a": [8], "b": [4]}, {"Concatenate": {}}),
    case("concat_free_time", {"a": ["time", 8], "b": ["time", 4]}, {"Concatenate": {}}),
    case("concat_free_time_axis1", {"a": ["time", 8], "b": [3, 8]}, {"Concatenate": {"axis": 1}}),
    case("concat_batch_axis", {"a": [7, 8], "b": [7, 8]}, {"Concatenate": {"axis": 0}}),
    case("add_same", {"a": [7, 12], "b": [7, 12]}, {"Add": {}}),
    case("add_three", {"a": [7, 12], "b": [7, 12], "c": [7, 12]}, {"Add": {}}),
    case("add_broadcast_one", {"a": [7, 12], "b": [1, 12]}, {"Add": {}}),
    case("add_lower_rank", {"a": [7, 12], "b": [12]}, {"Add": {}}),
    case("add_broadcast_features", {"a": [3, 7, 12], "b": [7, 1]}, {"Add": {}}),
    case("add_free_time", {"a": ["time", 12], "b": ["time", 12]}, {"Add": {}}),
    case("add_single", {"a": [7, 12]}, {"Add": {}}),
    case("subtract", {"a": [7, 12], "b": [7, 12]}, {"Subtract": {}}),
    case("subtract_lower_rank", {"a": [7, 12], "b": [12]}, {"Subtract": {}}),
    case("multiply_three", {"a": [7, 12], "b": [7, 12], "c": [7, 12]}, {"Multiply": {}}),
    case("average_three", {"a": [7, 12], "b": [7, 12], "c": [7, 12]}, {"Average": {}}),
    case("maximum", {"a": [7, 12], "b": [7, 12]}, {"Maximum": {}}),
    case("maximum_three", {"a": [7, 12], "b": [1, 12], "c": [7, 12]}, {"Maximum": {}}),
    case("minimum", {"a": [7, 12], "b": [7, 12]}, {"Minimum": {}}),
    case("dot_axes2", {"a": [7, 8], "b": [5, 8]}, {"Dot": {"axes": 2}}),
    case("dot_axes1", {"a": [7, 8], "b": [7, 5]}, {"Dot": {"axes": 1}}),
    case("dot_axes_pair", {"a": [7, 8], "b": [8, 5]}, {"Dot": {"axes": [2, 1]}}),
    case("dot_axes_minus1", {"a": [7, 8], "b": [5, 8]}, {"Dot": {"axes": -1}}),
    case("dot_normalize", {"a": [7, 8], "b": [5, 8]}, {"Dot": {"axes": 2, "normalize": True}}),
    case("dot_2d", {"a": [8], "b": [8]}, {"Dot": {"axes": 1}}),
    case("dot_2d_normalize", {"a": [8], "b": [8]}, {"Dot": {"axes": 1, "normalize": True}}),
    case("dot_2d_3d", {"a": [8], "b": [5, 8]}, {"Dot": {"axes": [1, 2]}}),
    case("dot_4d", {"a": [3, 7, 8], "b": [5, 8]}, {"Dot": {"axes": -1}}),
    case("dot_free_time", {"a": ["time", 8], "b": ["time", 8]}, {"Dot": {"axes": 2}}),
    case("dot_free_time_summed", {"a": ["time", 8], "b": ["time", 4]}, {"Dot": {"axes": 1}}),
    # -- attention ----------------------------------------------------------------------------------------
    case("attention_dot", {"q": [4, 8], "v": [7, 8]}, {"Attention": {}}),
    case("attention_key", {"q": [4, 8], "v": [7, 6], "k": [7, 8]}, {"Attention": {}}),
    case("attention_scale", {"q": [4, 8], "v": [7, 8]}, {"Attention": {"use_scale": True}}),
    case("attention_concat", {"q": [4, 8], "v": [7, 6], "k": [7, 8]}, {"Attention": {"score_mode": "concat"}}),
    case("attention_concat_scale", {"q": [4, 8], "v": [7, 8]},
         {"Attention": {"score_mode": "concat", "use_scale": True}}),
    case("attention_concat_key_1", {"q": [4, 8], "v": [7, 6], "k": [7, 1]}, {"Attention": {"score_mode": "concat"}}),
    case("attention_dropout", {"q": [4, 8], "v": [7, 8]}, {"Attention": {"dropout": 0.5}}),
    case("attention_self", {"x": [5, 8]}, {"Attention": {}}, call=["x", "x"]),
    case("attention_free", {"q": ["tq", 8], "v": ["tv", 8]}, {"Attention": {}}, bind={"tq": 4, "tv": 6}),
    case("attention_4d", {"q": [3, 4, 8], "v": [3, 7, 8]}, {"Attention": {}}),
    case("additive", {"q": [4, 8], "v": [7, 8]}, {"AdditiveAttention": {}}),
    case("additive_key", {"q": [4, 8], "v": [7, 6], "k": [7, 8]}, {"AdditiveAttention": {}}),
    case("additive_no_scale", {"q": [4, 8], "v": [7, 8]}, {"AdditiveAttention": {"use_scale": False}}),
    case("additive_free", {"q": ["tq", 8], "v": ["tv", 6], "k": ["tv", 8]}, {"AdditiveAttention": {}},
         bind={"tq": 4, "tv": 6}),
    case("mha_basic", QV, {MHA: {"num_heads": 2, "key_dim": 3}}),
    case("mha_key", QVK, {MHA: {"num_heads": 2, "key_dim": 3}}),
    case("mha_value_dim", QV, {MHA: {"num_heads": 2, "key_dim": 3, "value_dim": 5}}),
    case("mha_output_shape", QV, {MHA: {"num_heads": 2, "key_dim": 3, "output_shape": 10}}),
    case("mha_output_shape_2d", QVK, {MHA: {"num_heads": 2, "key_dim": 3, "value_dim": 4, "output_shape": [2, 5]}}),
    case("mha_no_bias", QVK, {MHA: {"num_heads": 2, "key_dim": 3, "use_bias": False}}),
    case("mha_one_head", QV, {MHA: {"num_heads": 1, "key_dim": 4}}),
    case("mha_self", {"x": [5, 8]}, {MHA: {"num_heads": 4, "key_dim": 2}}, call=["x", "x"]),
    case("mha_dropout", QV, {MHA: {"num_heads": 2, "key_dim": 3, "dropout": 0.3}}),
    case("mha_free", {"q": ["tq", 8], "v": ["tv", 6]}, {MHA: {"num_heads": 2, "key_dim": 3}}, bind={"tq": 4, "tv": 6}),
    case("mha_free_key", {"q": ["tq", 8], "v": ["tv", 6], "k": ["tv", 5]}, {MHA: {"num_heads": 2, "key_dim": 3}},
         bind={"tq": 4, "tv": 6}),
    case("mha_3d_attention_axes_ignored", QV, {MHA: {"num_heads": 2, "key_dim": 3, "attention_axes": 2}}),
    case("mha_4d", GRID, {MHA: {"num_heads": 2, "key_dim": 3}}),
    case("mha_4d_axes_2", GRID, {MHA: {"num_heads": 2, "key_dim": 3, "attention_axes": 2}}),
    case("mha_4d_axes_minus2", GRID, {MHA: {"num_heads": 2, "key_dim": 3, "attention_axes": -2}}),
    case("mha_4d_axes_1", {"q": [3, 4, 8], "v": [5, 4, 6]}, {MHA: {"num_heads": 2, "key_dim": 3, "attention_axes": 1}}),
    case("mha_4d_axes_12", {"q": [3, 4, 8], "v": [5, 7, 6]},
         {MHA: {"num_heads": 2, "key_dim": 3, "attention_axes": [1, 2]}}),
]

REFUSALS = [
    case("add_last_axis", {"a": [7, 12], "b": [7, 8]}, {"Add": {}}),
    case("add_lower_rank_mismatch", {"a": [7, 12], "b": [7]}, {"Add": {}}),
    case("multiply_middle_axis", {"a": [7, 12], "b": [6, 12]}, {"Multiply": {}}),
    case("add_free_vs_fixed", {"a": ["time", 12], "b": [7, 12]}, {"Add": {}}, bind={"time": 7}),
    case("subtract_three", {"a": [7, 12], "b": [7, 12], "c": [7, 12]}, {"Subtract": {}}),
    case("subtract_one", {"a": [7, 12]}, {"Subtract": {}}),
    case("average_one", {"a": [7, 12]}, {"Average": {}}),
    case("concat_other_axis", {"a": [7, 8], "b": [6, 4]}, {"Concatenate": {}}),
    case("concat_ranks", {"a": [7, 8], "b": [8]}, {"Concatenate": {}}),
    case("concat_one_vs_seven", {"a": [7, 8], "b": [1, 4]}, {"Concatenate": {}}),
    case("concat_axis_3", {"a": [7, 8], "b": [7, 8]}, {"Concatenate": {"axis": 3}}),
    case("concat_axis_minus4", {"a": [7, 8], "b": [7, 8]}, {"Concatenate": {"axis": -4}}),
    case("concat_axis_0", {"a": [7, 8], "b": [7, 8]}, {"Concatenate": {"axis": 0}}),
    case("concat_free_vs_fixed", {"a": ["time", 8], "b": [5, 4]}, {"Concatenate": {}}),
    case("concat_one", {"a": [7, 8]}, {"Concatenate": {}}),
    case("dot_sizes", {"a": [7, 8], "b": [5, 6]}, {"Dot": {"axes": 2}}),
    case("dot_free_vs_fixed", {"a": ["time", 8], "b": [5, 8]}, {"Dot": {"axes": 1}}),
    case("dot_batch_axis", {"a": [7, 8], "b": [5, 8]}, {"Dot": {"axes": 0}}),
    case("dot_axis_3", {"a": [7, 8], "b": [5, 8]}, {"Dot": {"axes": 3}}),
    case("dot_three", {"a": [7, 8], "b": [5, 8], "c": [5, 8]}, {"Dot": {"axes": 2}}),
    case("dot_one", {"a": [7, 8]}, {"Dot": {"axes": 2}}),
    case("attention_features", {"q": [4, 8], "v": [7, 6]}, {"Attention": {}}),
    case("attention_key_steps", {"q": [4, 8], "v": [7, 6], "k": [5, 8]}, {"Attention": {}}),
    case("attention_concat_features", {"q": [4, 8], "v": [7, 6], "k": [7, 5]}, {"Attention": {"score_mode": "concat"}}),
    case("attention_2d", {"q": [8], "v": [8]}, {"Attention": {}}),
    case("attention_ranks", {"q": [3, 4, 8], "v": [7, 8]}, {"Attention": {}}),
    case("attention_one", {"q": [4, 8]}, {"Attention": {}}),
    case("attention_four", {"q": [4, 8], "v": [7, 8], "k": [7, 8], "x": [7, 8]}, {"Attention": {}}),
    case("attention_free_features", {"q": [4, "f"], "v": [7, 8]}, {"Attention": {}}, bind={"f": 8}),
    case("additive_features", {"q": [4, 8], "v": [7, 6]}, {"AdditiveAttention": {}}),
    case("additive_free_features", {"q": [4, "f"], "v": [7, 8]}, {"AdditiveAttention": {}}, bind={"f": 8}),
    case("mha_key_value_steps", QV | {"k": [5, 5]}, {MHA: {"num_heads": 2, "key_dim": 3}}),
    case("mha_key_value_free_vs_fixed", {"q": [4, 8], "v": ["tv", 6], "k": [7, 5]}, {MHA: {"num_heads": 2, "key_dim": 3}},
         bind={"tv": 7}),
    case("mha_free_features", {"q": [4, "f"], "v": [7, 6]}, {MHA: {"num_heads": 2, "key_dim": 3}}, bind={"f": 8}),
    case("mha_2d", {"q": [8], "v": [6]}, {MHA: {"num_heads": 2, "key_dim": 3}}),
    case("mha_ranks", {"q": [4, 8], "v": [3, 7, 6]}, {MHA: {"num_heads": 2, "key_dim": 3}}),
    case("mha_outer_axis", {"q": [3, 4, 8], "v": [5, 7, 6]}, {MHA: {"num_heads": 2, "key_dim": 3, "attention_axes": 2}}),
    case("mha_axes_features", GRID, {MHA: {"num_heads": 2, "key_dim": 3, "attention_axes": 3}}),
    case("mha_axes_minus1", GRID, {MHA: {"num_heads": 2, "key_dim": 3, "attention_axes": -1}}),
    case("mha_axes_batch", GRID, {MHA: {"num_heads": 2, "key_dim": 3, "attention_axes": 0}}),
    case("mha_3d_axes_2_dropout", QV, {MHA: {"num_heads": 2, "key_dim": 3, "attention_axes": 2, "dropout": 0.3}}),
    case("mha_one", {"q": [4, 8]}, {MHA: {"num_heads": 2, "key_dim": 3}}),
]


def keras_shape(shape):
    return tuple(None if isinstance(d, str) else d for d in shape)


def concrete(shape, bind):
    return [bind.get(d, FREE_SIZE) if isinstance(d, str) else d for d in shape]


def build(c):
    """The functional model: Inputs, the layer called on them (as Keras calls that layer)."""
    inputs = {name: keras.Input(keras_shape(shape), name=name) for name, shape in c["inputs"].items()}
    (name, kwargs), = c["layer"].items()
    layer = getattr(keras.layers, name)(**kwargs)
    called = [inputs[n] for n in c["call"]]
    out = layer(*called) if name == MHA else layer(called)
    return keras.Model(list(inputs.values()), out), layer


def make_inputs(rng, c):
    return [rng.normal(0.0, 1.0, (BATCH, *concrete(shape, c["bind"]))).astype(np.float32)
            for shape in c["inputs"].values()]


def spec(c):
    return {"inputs": c["inputs"], "layer": c["layer"], "call": c["call"], "bind": c["bind"]}


def run_case(c):
    rng = np.random.default_rng(zlib.crc32(c["id"].encode()))
    model, layer = build(c)
    weights = [rng.normal(0.0, WEIGHT_STD, tuple(w.shape)).astype(np.float32) for w in layer.get_weights()]
    layer.set_weights(weights)
    xs = make_inputs(rng, c)
    predicted = model.predict(xs, verbose=0)
    called = model(xs, training=False)
    outputs = list(predicted) if isinstance(predicted, (list, tuple)) else [predicted]
    for y, z in zip(outputs, called if isinstance(called, (list, tuple)) else [called]):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(z), y, rtol=1e-6, atol=1e-6)  # the model's own pass
    shapes = model.output if isinstance(model.output, (list, tuple)) else [model.output]
    arrays = {"spec": np.array(json.dumps(spec(c)))}
    for i, x in enumerate(xs):
        arrays[f"input_{i}"] = x
    for j, w in enumerate(layer.get_weights()):
        arrays[f"weight_{j}"] = np.asarray(w, np.float32)
    if len(outputs) == 1:
        arrays["output"] = np.asarray(outputs[0], np.float32)
    else:
        for k, y in enumerate(outputs):
            arrays[f"output_{k}"] = np.asarray(y, np.float32)
    keras_shapes = [list(t.shape) for t in shapes]
    arrays["keras"] = np.array(json.dumps({
        "output_shape": keras_shapes[0] if len(keras_shapes) == 1 else keras_shapes,
        "params": model.count_params(),
        "weight_paths": [w.path for w in layer.weights],
    }))
    np.savez_compressed(OUT_DIR / f"{c['id']}.npz", **arrays)
    return keras_shapes


def first_line(error: Exception) -> str:
    text = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", str(error)).split())  # without the terminal's bold
    return f"{type(error).__name__}: {text[:240]}"


def try_refusal(c):
    """Whether Keras refuses the case while building the model, when it runs, or not at all."""
    try:
        model, _ = build(c)
    except Exception as error:  # noqa: BLE001 — any refusal counts, its message is kept
        return {"keras": "build", "message": first_line(error)}
    rng = np.random.default_rng(zlib.crc32(c["id"].encode()))
    try:
        y = model.predict(make_inputs(rng, c), verbose=0)
    except Exception as error:  # noqa: BLE001
        return {"keras": "run", "message": first_line(error)}
    return {"keras": "accepted", "output_shape": list(np.shape(y))}


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    ids = [c["id"] for c in CASES + REFUSALS]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    for c in CASES:
        shapes = run_case(c)
        print(f"{c['id']:32s} {shapes}")
    refusals = {}
    for c in REFUSALS:
        refusals[c["id"]] = {**spec(c), **try_refusal(c)}
        print(f"{c['id']:32s} {refusals[c['id']]['keras']:9s} {refusals[c['id']].get('message', '')[:90]}")
    (OUT_DIR / "refusals.json").write_text(json.dumps({"keras_version": keras.__version__, "cases": refusals},
                                                      indent=1) + "\n")


if __name__ == "__main__":
    main()
