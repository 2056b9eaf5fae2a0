"""Regenerate tests/reference/keras_layers.json from real Keras 3.

Each entry of CASES below is a small Keras stack written in the same
layer-spec format as shapecli's YAML stacks (a one-key dict: Keras class
name -> constructor kwargs; wrappers take the inner layer under "layer").
For every case this script builds

    keras.Sequential([keras.Input(shape=input_shape, dtype=input_dtype), *layers])

and records what Keras itself says: the model output shape, per-layer output
shapes, per-layer parameter counts and weight shapes (get_weights() order),
the total parameter count -- or the error Keras raises if it refuses the
stack.  When input_shape contains a null (free) dimension, the stack is also
rebuilt with several concrete values substituted for it, and a real forward
pass on zeros (batch 2) checks that the arrays have the static shapes.

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

os.environ.setdefault("KERAS_BACKEND", "numpy")
import keras  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "reference" / "keras_layers.json"
CONCRETE = [1, 2, 5, 9, 10, 11]  # default values substituted for a null dim
N = None


def L(name, **kwargs):
    """Shorthand for a layer spec: L("Dense", units=3) -> {"Dense": {"units": 3}}."""
    return {name: kwargs}


def case(id, layers, input_shape, concrete=None):
    c = {"id": id, "layers": layers, "input_shape": input_shape}
    if concrete is not None:
        c["concrete_values"] = concrete
    return c


def conv_grid():
    """Conv1D padding x strides x dilation_rate, kernel 3, on a free length."""
    out = []
    for padding in ("valid", "same", "causal"):
        for strides in (1, 2, 3):
            for dil in (1, 2):
                out.append(case(
                    f"conv1d_k3_{padding}_s{strides}_d{dil}_null_len",
                    [L("Conv1D", filters=6, kernel_size=3, padding=padding,
                       strides=strides, dilation_rate=dil)],
                    [N, 4], concrete=[1, 2, 3, 4, 5, 9, 10, 11]))
    return out


CASES = [
    # ---- Dense / Activation / Dropout --------------------------------------
    case("dense_2d", [L("Dense", units=5)], [12]),
    case("dense_3d", [L("Dense", units=5)], [7, 12]),
    case("dense_4d", [L("Dense", units=5)], [3, 7, 12]),
    case("dense_no_bias", [L("Dense", units=5, use_bias=False)], [12]),
    case("dense_relu", [L("Dense", units=5, activation="relu")], [12]),
    case("dense_3d_null_time", [L("Dense", units=5)], [N, 12]),
    case("activation_softmax", [L("Activation", activation="softmax")], [7, 12]),
    case("activation_relu", [L("Activation", activation="relu")], [12]),
    case("activation_tanh", [L("Activation", activation="tanh")], [3, 7, 12]),
    case("dropout", [L("Dropout", rate=0.5)], [7, 12]),
    # ---- Flatten / Reshape / Permute / RepeatVector ------------------------
    case("flatten_2d", [L("Flatten")], [12]),
    case("flatten_3d", [L("Flatten")], [7, 12]),
    case("flatten_4d", [L("Flatten")], [3, 7, 12]),
    case("flatten_3d_null_time", [L("Flatten")], [N, 12]),
    case("reshape_basic", [L("Reshape", target_shape=[4, 12])], [48]),
    case("reshape_minus_one", [L("Reshape", target_shape=[-1, 6])], [4, 12]),
    case("reshape_3d_to_4d", [L("Reshape", target_shape=[2, 2, 12])], [4, 12]),
    case("reshape_incompatible", [L("Reshape", target_shape=[5, 10])], [4, 12]),
    case("reshape_minus_one_null_time", [L("Reshape", target_shape=[-1])], [N, 12]),
    case("permute_21", [L("Permute", dims=[2, 1])], [7, 12]),
    case("permute_312_4d", [L("Permute", dims=[3, 1, 2])], [3, 7, 12]),
    case("repeatvector_2d", [L("RepeatVector", n=4)], [12]),
    case("repeatvector_3d", [L("RepeatVector", n=4)], [7, 12]),
    # ---- TimeDistributed ---------------------------------------------------
    case("td_dense", [L("TimeDistributed", layer=L("Dense", units=3))], [7, 12]),
    case("td_dense_null_time", [L("TimeDistributed", layer=L("Dense", units=3))], [N, 12]),
    case("td_flatten_4d", [L("TimeDistributed", layer=L("Flatten"))], [3, 7, 12]),
    case("td_gap1d_4d", [L("TimeDistributed", layer=L("GlobalAveragePooling1D"))], [3, 7, 12]),
    case("td_conv1d_4d",
         [L("TimeDistributed", layer=L("Conv1D", filters=6, kernel_size=3))], [3, 7, 12]),
    case("td_dense_4d", [L("TimeDistributed", layer=L("Dense", units=3))], [3, 7, 12]),
    # ---- SimpleRNN ---------------------------------------------------------
    case("simplernn_default", [L("SimpleRNN", units=8)], [7, 12]),
    case("simplernn_return_sequences", [L("SimpleRNN", units=8, return_sequences=True)], [7, 12]),
    case("simplernn_go_backwards", [L("SimpleRNN", units=8, go_backwards=True)], [7, 12]),
    case("simplernn_no_bias", [L("SimpleRNN", units=8, use_bias=False)], [7, 12]),
    case("simplernn_null_time", [L("SimpleRNN", units=8)], [N, 12]),
    case("simplernn_null_time_return_sequences",
         [L("SimpleRNN", units=8, return_sequences=True)], [N, 12]),
    # ---- LSTM --------------------------------------------------------------
    case("lstm_default", [L("LSTM", units=8)], [7, 12]),
    case("lstm_return_sequences", [L("LSTM", units=8, return_sequences=True)], [7, 12]),
    case("lstm_no_bias", [L("LSTM", units=8, use_bias=False)], [7, 12]),
    case("lstm_go_backwards", [L("LSTM", units=8, go_backwards=True, return_sequences=True)], [7, 12]),
    case("lstm_null_time", [L("LSTM", units=8)], [N, 12]),
    case("lstm_null_time_return_sequences", [L("LSTM", units=8, return_sequences=True)], [N, 12]),
    case("lstm_fed_2d", [L("LSTM", units=8)], [12]),
    case("lstm_return_state", [L("LSTM", units=8, return_state=True)], [7, 12]),
    case("lstm_return_state_then_dense",
         [L("LSTM", units=8, return_state=True), L("Dense", units=3)], [7, 12]),
    # ---- GRU ---------------------------------------------------------------
    case("gru_default", [L("GRU", units=8)], [7, 12]),
    case("gru_return_sequences", [L("GRU", units=8, return_sequences=True)], [7, 12]),
    case("gru_reset_after_false", [L("GRU", units=8, reset_after=False)], [7, 12]),
    case("gru_no_bias_reset_after_true", [L("GRU", units=8, use_bias=False)], [7, 12]),
    case("gru_no_bias_reset_after_false",
         [L("GRU", units=8, use_bias=False, reset_after=False)], [7, 12]),
    case("gru_null_time", [L("GRU", units=8, return_sequences=True)], [N, 12]),
    # ---- Bidirectional -----------------------------------------------------
    *[case(f"bidir_lstm_{m}", [L("Bidirectional", layer=L("LSTM", units=4), merge_mode=m)], [7, 12])
      for m in ("concat", "sum", "mul", "ave")],
    case("bidir_lstm_default_merge", [L("Bidirectional", layer=L("LSTM", units=4))], [7, 12]),
    case("bidir_lstm_concat_return_sequences",
         [L("Bidirectional", layer=L("LSTM", units=4, return_sequences=True))], [7, 12]),
    case("bidir_lstm_sum_return_sequences",
         [L("Bidirectional", layer=L("LSTM", units=4, return_sequences=True), merge_mode="sum")],
         [7, 12]),
    case("bidir_gru_concat", [L("Bidirectional", layer=L("GRU", units=4))], [7, 12]),
    case("bidir_gru_sum", [L("Bidirectional", layer=L("GRU", units=4), merge_mode="sum")], [7, 12]),
    case("bidir_gru_ave_return_sequences",
         [L("Bidirectional", layer=L("GRU", units=4, return_sequences=True), merge_mode="ave")],
         [7, 12]),
    case("bidir_simplernn_concat", [L("Bidirectional", layer=L("SimpleRNN", units=4))], [7, 12]),
    case("bidir_simplernn_mul_return_sequences",
         [L("Bidirectional", layer=L("SimpleRNN", units=4, return_sequences=True), merge_mode="mul")],
         [7, 12]),
    case("bidir_lstm_null_time",
         [L("Bidirectional", layer=L("LSTM", units=4, return_sequences=True))], [N, 12]),
    case("bidir_dense", [L("Bidirectional", layer=L("Dense", units=4))], [7, 12]),
    # ---- Embedding ---------------------------------------------------------
    case("embedding_len7", [L("Embedding", input_dim=100, output_dim=16)], [7]),
    case("embedding_null_len", [L("Embedding", input_dim=100, output_dim=16)], [N]),
    case("embedding_mask_zero", [L("Embedding", input_dim=100, output_dim=16, mask_zero=True)], [7]),
    case("embedding_mask_zero_lstm",
         [L("Embedding", input_dim=100, output_dim=16, mask_zero=True), L("LSTM", units=8)], [N]),
    # ---- Conv1D ------------------------------------------------------------
    case("conv1d_default", [L("Conv1D", filters=6, kernel_size=3)], [10, 4]),
    case("conv1d_k1", [L("Conv1D", filters=6, kernel_size=1)], [10, 4]),
    case("conv1d_k5", [L("Conv1D", filters=6, kernel_size=5)], [10, 4]),
    case("conv1d_k5_same", [L("Conv1D", filters=6, kernel_size=5, padding="same")], [10, 4]),
    case("conv1d_k5_causal_d2", [L("Conv1D", filters=6, kernel_size=5, padding="causal",
                                   dilation_rate=2)], [10, 4]),
    case("conv1d_k3_valid_s2", [L("Conv1D", filters=6, kernel_size=3, strides=2)], [10, 4]),
    case("conv1d_k3_same_s3", [L("Conv1D", filters=6, kernel_size=3, strides=3,
                                 padding="same")], [10, 4]),
    case("conv1d_k3_valid_s2_d2", [L("Conv1D", filters=6, kernel_size=3, strides=2,
                                     dilation_rate=2)], [10, 4]),
    case("conv1d_no_bias", [L("Conv1D", filters=6, kernel_size=3, use_bias=False)], [10, 4]),
    case("conv1d_relu", [L("Conv1D", filters=6, kernel_size=3, activation="relu")], [10, 4]),
    case("conv1d_valid_too_short", [L("Conv1D", filters=6, kernel_size=5)], [3, 4]),
    case("conv1d_valid_exact_fit", [L("Conv1D", filters=6, kernel_size=5)], [5, 4]),
    case("conv1d_valid_too_short_dilated", [L("Conv1D", filters=6, kernel_size=3,
                                              dilation_rate=3)], [6, 4]),
    case("conv1d_k5_null_len", [L("Conv1D", filters=6, kernel_size=5)], [N, 4],
         concrete=[1, 4, 5, 6, 9, 10, 11]),
    *conv_grid(),
    # ---- Pooling -----------------------------------------------------------
    case("maxpool1d_default", [L("MaxPooling1D")], [10, 4]),
    case("maxpool1d_default_odd", [L("MaxPooling1D")], [11, 4]),
    case("maxpool1d_p3_s2", [L("MaxPooling1D", pool_size=3, strides=2)], [10, 4]),
    case("maxpool1d_same", [L("MaxPooling1D", padding="same")], [11, 4]),
    case("maxpool1d_p3_s2_same", [L("MaxPooling1D", pool_size=3, strides=2, padding="same")],
         [10, 4]),
    case("maxpool1d_too_short", [L("MaxPooling1D", pool_size=3)], [2, 4]),
    case("maxpool1d_null_len", [L("MaxPooling1D")], [N, 4]),
    case("maxpool1d_p3_s2_null_len", [L("MaxPooling1D", pool_size=3, strides=2)], [N, 4]),
    case("maxpool1d_same_null_len", [L("MaxPooling1D", pool_size=3, strides=2, padding="same")],
         [N, 4]),
    case("gap1d", [L("GlobalAveragePooling1D")], [10, 4]),
    case("gap1d_keepdims", [L("GlobalAveragePooling1D", keepdims=True)], [10, 4]),
    case("gmp1d", [L("GlobalMaxPooling1D")], [10, 4]),
    case("gmp1d_keepdims", [L("GlobalMaxPooling1D", keepdims=True)], [10, 4]),
    case("gap1d_null_len", [L("GlobalAveragePooling1D")], [N, 4]),
    # ---- LayerNormalization ------------------------------------------------
    # ---- data_format="channels_first": (batch, channels, steps) --------------
    case("conv1d_channels_first", [L("Conv1D", filters=6, kernel_size=3, data_format="channels_first")], [4, 10]),
    case("conv1d_channels_first_same_s2_null_len",
         [L("Conv1D", filters=6, kernel_size=3, strides=2, padding="same", data_format="channels_first")], [4, N]),
    case("maxpool1d_channels_first", [L("MaxPooling1D", pool_size=3, strides=2, data_format="channels_first")],
         [4, 11]),
    case("gap1d_channels_first", [L("GlobalAveragePooling1D", data_format="channels_first")], [4, 10]),
    case("gmp1d_channels_first_keepdims", [L("GlobalMaxPooling1D", data_format="channels_first", keepdims=True)],
         [4, 10]),
    case("flatten_channels_first", [L("Flatten", data_format="channels_first")], [4, 10, 3]),
    case("layernorm_2d", [L("LayerNormalization")], [12]),
    case("layernorm_3d", [L("LayerNormalization")], [7, 12]),
    case("layernorm_no_center", [L("LayerNormalization", center=False)], [7, 12]),
    case("layernorm_no_scale", [L("LayerNormalization", scale=False)], [12]),
    # ---- Whole stacks ------------------------------------------------------
    case("stack_addition_encoder_decoder",
         [L("LSTM", units=128), L("RepeatVector", n=4), L("LSTM", units=128, return_sequences=True),
          L("TimeDistributed", layer=L("Dense", units=12)), L("Activation", activation="softmax")],
         [7, 12]),
    case("stack_simplernn_classifier",
         [L("SimpleRNN", units=128), L("Dense", units=12, activation="softmax")], [7, 12]),
    case("stack_stacked_lstm",
         [L("LSTM", units=32, return_sequences=True), L("LSTM", units=16)], [7, 12]),
    case("stack_stacked_lstm_missing_return_sequences",
         [L("LSTM", units=32), L("LSTM", units=16)], [7, 12]),
    case("stack_embedding_lstm",
         [L("Embedding", input_dim=1000, output_dim=64), L("LSTM", units=32)], [20]),
    case("stack_conv_pool_lstm",
         [L("Conv1D", filters=32, kernel_size=3), L("MaxPooling1D"), L("LSTM", units=16)],
         [100, 8]),
    case("stack_conv_pool_lstm_null_len",
         [L("Conv1D", filters=32, kernel_size=3), L("MaxPooling1D"), L("LSTM", units=16)],
         [N, 8], concrete=[2, 3, 4, 5, 9, 10, 11, 100]),
    case("stack_flatten_dense_reshape",
         [L("Flatten"), L("Dense", units=48), L("Reshape", target_shape=[4, 12])], [4, 128]),
    case("stack_dense_on_3d", [L("Dense", units=12)], [4, 128]),
    case("stack_td_dense_on_3d", [L("TimeDistributed", layer=L("Dense", units=12))], [4, 128]),
    case("stack_flatten_null_time_then_dense",
         [L("Flatten"), L("Dense", units=5)], [N, 12]),
]

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
    dtype = "int32" if next(iter(layers[0])) == "Embedding" else "float32"
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
        for value in c.get("concrete_values", CONCRETE):
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


def unique_ids(cases) -> list[str]:
    """The case ids, after checking that none repeats."""
    ids = [c["id"] for c in cases]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        sys.exit(f"duplicate case ids: {sorted(dupes)}")
    return ids


def main():
    unique_ids(CASES)
    results = []
    for c in CASES:
        r = run_case(c)
        print(summary(r), flush=True)
        results.append(r)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    data = {"keras_version": keras.__version__, "cases": results}
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {len(results)} cases to {OUT}")


if __name__ == "__main__":
    main()
