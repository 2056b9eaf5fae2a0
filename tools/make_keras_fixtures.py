"""Regenerate the numeric reference fixtures tests/reference/numeric/*.npz from real Keras 3.

Each entry of CASES below is a small Keras stack written in shapecli's
layer-spec format (a one-key dict: Keras class name -> constructor kwargs;
wrappers take the inner layer under "layer").  For every case this script
builds

    keras.Sequential([keras.Input(shape=input_shape, dtype=input_dtype), *layers])

overwrites every weight with seeded random values (so biases are non-zero and
a wrong weight layout cannot hide behind Keras' zero initialisers), feeds a
seeded random input through the stack in inference mode (training=False) and
saves one compressed .npz per case, named after the case id, holding

    stack                 json.dumps({"input_shape": [...], "layers": [...]})
                          (input_shape without the batch axis)
    input                 float32 (seeded normal), or int32 token ids in
                          [0, input_dim) when the first layer is Embedding
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
from make_keras_reference import L, build_model, unique_ids  # noqa: E402  (one way to build a Keras layer from a spec)

OUT_DIR = Path(__file__).resolve().parent.parent / "tests" / "reference" / "numeric"
BATCH = 2
WEIGHT_STD = 0.5


def case(id, layers, input_shape, input_scale=1.0, batch=BATCH):
    """input_scale widens the input's normal distribution (e.g. so relu6 and
    hard_sigmoid actually reach their saturated regions)."""
    return {"id": id, "layers": layers, "input_shape": input_shape,
            "input_scale": input_scale, "batch": batch}


# Every name keras.activations.get takes as a layer's activation (glu halves the axis and threshold
# needs arguments: shapecli refuses both).
ACTIVATIONS = ["softmax", "tanh", "sigmoid", "relu", "linear", "elu", "selu", "softplus",
               "softsign", "gelu", "silu", "swish", "hard_sigmoid", "exponential",
               "leaky_relu", "relu6", "log_softmax", "mish", "hard_silu", "hard_swish", "celu",
               "hard_shrink", "hard_tanh", "log_sigmoid", "soft_shrink", "sparse_plus", "sparse_sigmoid",
               "sparsemax", "squareplus", "tanh_shrink"]


def activation_cases():
    """Every activation on a 3D input (batch, 4, 5), spread wide enough to saturate."""
    return [case(f"activation_{a}", [L("Activation", activation=a)], [4, 5], input_scale=3.0)
            for a in ACTIVATIONS]


def rnn_cases(rnn):
    """The common SimpleRNN / LSTM / GRU variants on a (5, 3) input."""
    name = rnn.lower()
    cases = [
        case(f"{name}_default", [L(rnn, units=4)], [5, 3]),
        case(f"{name}_return_sequences", [L(rnn, units=4, return_sequences=True)], [5, 3]),
        case(f"{name}_go_backwards", [L(rnn, units=4, go_backwards=True)], [5, 3]),
        case(f"{name}_return_sequences_go_backwards",
             [L(rnn, units=4, return_sequences=True, go_backwards=True)], [5, 3]),
        case(f"{name}_no_bias", [L(rnn, units=4, use_bias=False)], [5, 3]),
        case(f"{name}_relu", [L(rnn, units=4, activation="relu", return_sequences=True)], [5, 3]),
    ]
    if rnn != "SimpleRNN":
        cases.append(case(f"{name}_recurrent_hard_sigmoid",
                          [L(rnn, units=4, recurrent_activation="hard_sigmoid",
                             return_sequences=True)], [5, 3]))
    return cases


def gru_reset_before_cases():
    """GRU(reset_after=False): the original (v1) formulation with a single bias row."""
    out = []
    for rs in (False, True):
        for back in (False, True):
            kw = dict(units=4, reset_after=False)
            suffix = ""
            if rs:
                kw["return_sequences"] = True
                suffix += "_return_sequences"
            if back:
                kw["go_backwards"] = True
                suffix += "_go_backwards"
            out.append(case(f"gru_reset_after_false{suffix}", [L("GRU", **kw)], [5, 3]))
    out.append(case("gru_reset_after_false_no_bias",
                    [L("GRU", units=4, reset_after=False, use_bias=False)], [5, 3]))
    return out


def bidirectional_cases():
    out = []
    for mode in ("concat", "sum", "mul", "ave"):
        out.append(case(f"bidir_lstm_{mode}",
                        [L("Bidirectional", layer=L("LSTM", units=3), merge_mode=mode)], [5, 3]))
        out.append(case(f"bidir_lstm_{mode}_return_sequences",
                        [L("Bidirectional", layer=L("LSTM", units=3, return_sequences=True),
                           merge_mode=mode)], [5, 3]))
    for rnn in ("GRU", "SimpleRNN"):
        out.append(case(f"bidir_{rnn.lower()}_concat",
                        [L("Bidirectional", layer=L(rnn, units=3))], [5, 3]))
        out.append(case(f"bidir_{rnn.lower()}_sum_return_sequences",
                        [L("Bidirectional", layer=L(rnn, units=3, return_sequences=True),
                           merge_mode="sum")], [5, 3]))
    out.append(case("bidir_gru_reset_after_false_concat_return_sequences",
                    [L("Bidirectional", layer=L("GRU", units=3, reset_after=False,
                                                return_sequences=True))], [5, 3]))
    return out


def conv_grid():
    """Conv1D kernel 3: padding x strides 1/2, plus dilation 2 (strides 1) per padding."""
    out = []
    for padding in ("valid", "same", "causal"):
        for strides, dil in ((1, 1), (2, 1), (1, 2)):
            kw = dict(filters=3, kernel_size=3, padding=padding)
            if strides != 1:
                kw["strides"] = strides
            if dil != 1:
                kw["dilation_rate"] = dil
            out.append(case(f"conv1d_k3_{padding}_s{strides}_d{dil}",
                            [L("Conv1D", **kw)], [6, 4]))
    # odd length: 'same' with strides 2 pads differently on each side for 6 vs 7
    out.append(case("conv1d_k3_same_s2_odd_len",
                    [L("Conv1D", filters=3, kernel_size=3, padding="same", strides=2)], [7, 4]))
    out.append(case("conv1d_k3_causal_s2_odd_len",
                    [L("Conv1D", filters=3, kernel_size=3, padding="causal", strides=2)], [7, 4]))
    return out


CASES = [
    # ---- Dense ---------------------------------------------------------------
    case("dense_2d", [L("Dense", units=3)], [5]),
    case("dense_3d", [L("Dense", units=3)], [4, 5]),
    case("dense_4d", [L("Dense", units=3)], [3, 4, 5]),
    case("dense_relu", [L("Dense", units=4, activation="relu")], [4, 5]),
    case("dense_no_bias", [L("Dense", units=3, use_bias=False)], [4, 5]),
    # ---- Activation / Dropout ------------------------------------------------
    *activation_cases(),
    case("activation_softmax_2d", [L("Activation", activation="softmax")], [5], input_scale=3.0),
    case("dropout", [L("Dropout", rate=0.5)], [4, 5]),
    # ---- Flatten / Reshape / Permute / RepeatVector --------------------------
    case("flatten_3d", [L("Flatten")], [4, 3]),
    case("flatten_4d", [L("Flatten")], [3, 4, 5]),
    case("reshape_minus_one", [L("Reshape", target_shape=[-1, 2])], [4, 3]),
    case("reshape_explicit", [L("Reshape", target_shape=[3, 4])], [4, 3]),
    case("permute_21", [L("Permute", dims=[2, 1])], [4, 3]),
    case("permute_312_4d", [L("Permute", dims=[3, 1, 2])], [3, 4, 5]),
    case("repeatvector", [L("RepeatVector", n=3)], [4]),
    # ---- TimeDistributed -----------------------------------------------------
    case("td_dense", [L("TimeDistributed", layer=L("Dense", units=3))], [4, 5]),
    case("td_flatten_4d", [L("TimeDistributed", layer=L("Flatten"))], [3, 4, 5]),
    case("td_conv1d_4d",
         [L("TimeDistributed", layer=L("Conv1D", filters=6, kernel_size=2))], [3, 5, 4]),
    case("td_gap1d_4d", [L("TimeDistributed", layer=L("GlobalAveragePooling1D"))], [3, 4, 5]),
    # ---- Recurrent -----------------------------------------------------------
    *rnn_cases("SimpleRNN"),
    *rnn_cases("LSTM"),
    *rnn_cases("GRU"),
    *gru_reset_before_cases(),
    *bidirectional_cases(),
    # ---- masks: Embedding(mask_zero=True) and the layers after it ------------------
    *[case(f"mask_{name}", [L("Embedding", input_dim=6, output_dim=4, mask_zero=True), *rest], [7], batch=3)
      for name, rest in [
          ("lstm_return_sequences_dense_gap", [L("LSTM", units=3, return_sequences=True), L("Dense", units=2),
                                               L("GlobalAveragePooling1D")]),
          ("bidirectional_lstm_sequences", [L("Bidirectional", layer=L("LSTM", units=3, return_sequences=True))]),
          ("bidirectional_gru_sum", [L("Bidirectional", layer=L("GRU", units=3), merge_mode="sum")]),
          ("simplernn_backwards_then_lstm", [L("SimpleRNN", units=3, return_sequences=True, go_backwards=True),
                                             L("LSTM", units=2)]),
          ("timedistributed_dense_then_lstm", [L("TimeDistributed", layer=L("Dense", units=3)),
                                               L("LSTM", units=2, return_sequences=True)]),
          ("dropout_layernorm_gru_backwards", [L("Dropout", rate=0.3), L("LayerNormalization"),
                                               L("GRU", units=2, go_backwards=True)]),
          ("conv1d_drops_the_mask", [L("Conv1D", filters=3, kernel_size=2, padding="same"), L("LSTM", units=2)]),
      ]],

    case("td_embedding_then_td_lstm",  # words per sentence: (batch, sentences, words) of ids
         [L("TimeDistributed", layer=L("Embedding", input_dim=10, output_dim=3)),
          L("TimeDistributed", layer=L("LSTM", units=2))], [3, 4]),

    # ---- Embedding -----------------------------------------------------------
    case("embedding", [L("Embedding", input_dim=10, output_dim=3)], [5]),
    case("embedding_lstm",
         [L("Embedding", input_dim=10, output_dim=3), L("LSTM", units=4)], [5]),
    # ---- Conv1D --------------------------------------------------------------
    *conv_grid(),
    case("conv1d_k1", [L("Conv1D", filters=3, kernel_size=1)], [6, 4]),
    case("conv1d_no_bias", [L("Conv1D", filters=3, kernel_size=3, use_bias=False)], [6, 4]),
    case("conv1d_groups2", [L("Conv1D", filters=4, kernel_size=3, groups=2)], [6, 4]),
    case("conv1d_relu", [L("Conv1D", filters=3, kernel_size=3, activation="relu")], [6, 4]),
    # ---- Pooling -------------------------------------------------------------
    case("maxpool1d_default", [L("MaxPooling1D")], [6, 3]),
    case("maxpool1d_default_odd", [L("MaxPooling1D")], [5, 3]),
    case("maxpool1d_p3_s2", [L("MaxPooling1D", pool_size=3, strides=2)], [6, 3]),
    case("maxpool1d_same_odd", [L("MaxPooling1D", padding="same")], [5, 3]),
    case("maxpool1d_p3_s2_same", [L("MaxPooling1D", pool_size=3, strides=2, padding="same")],
         [6, 3]),
    case("gap1d", [L("GlobalAveragePooling1D")], [5, 3]),
    case("gap1d_keepdims", [L("GlobalAveragePooling1D", keepdims=True)], [5, 3]),
    case("gmp1d", [L("GlobalMaxPooling1D")], [5, 3]),
    case("gmp1d_keepdims", [L("GlobalMaxPooling1D", keepdims=True)], [5, 3]),
    # ---- LayerNormalization --------------------------------------------------
    # ---- data_format="channels_first": (batch, channels, steps) --------------
    case("conv1d_channels_first_causal",
         [L("Conv1D", filters=3, kernel_size=3, padding="causal", data_format="channels_first")], [4, 6]),
    case("conv1d_channels_first_same_s2",
         [L("Conv1D", filters=3, kernel_size=3, strides=2, padding="same", data_format="channels_first")], [4, 7]),
    case("maxpool1d_channels_first_same", [L("MaxPooling1D", padding="same", data_format="channels_first")], [3, 5]),
    case("gap1d_channels_first_keepdims",
         [L("GlobalAveragePooling1D", data_format="channels_first", keepdims=True)], [3, 5]),
    case("gmp1d_channels_first", [L("GlobalMaxPooling1D", data_format="channels_first")], [3, 5]),
    case("flatten_channels_first", [L("Flatten", data_format="channels_first")], [3, 4, 2]),
    case("layernorm_2d", [L("LayerNormalization")], [5]),
    case("layernorm_3d", [L("LayerNormalization")], [4, 5]),
    case("layernorm_no_center", [L("LayerNormalization", center=False)], [4, 5]),
    case("layernorm_no_scale", [L("LayerNormalization", scale=False)], [4, 5]),
    case("layernorm_epsilon_0_1", [L("LayerNormalization", epsilon=0.1)], [4, 5],
         input_scale=0.3),
    case("layernorm_axis_12", [L("LayerNormalization", axis=[1, 2])], [4, 5]),
    # ---- Whole stacks --------------------------------------------------------
    case("stack_addition_encoder_decoder",
         [L("LSTM", units=8), L("RepeatVector", n=4), L("LSTM", units=8, return_sequences=True),
          L("TimeDistributed", layer=L("Dense", units=12)), L("Activation", activation="softmax")],
         [7, 12], batch=3),
    case("stack_stacked_lstm",
         [L("LSTM", units=5, return_sequences=True), L("LSTM", units=3)], [5, 3], batch=3),
    case("stack_conv_pool_lstm_dense",
         [L("Conv1D", filters=4, kernel_size=3, padding="same", activation="relu"),
          L("MaxPooling1D"), L("LSTM", units=4), L("Dense", units=2, activation="softmax")],
         [6, 3], batch=3),
    case("stack_embedding_bidir_gru_dense",
         [L("Embedding", input_dim=10, output_dim=4),
          L("Bidirectional", layer=L("GRU", units=3)), L("Dense", units=2)], [5], batch=3),
]

def make_input(rng, c):
    """Seeded input, batch first: token ids for an Embedding stack, else floats."""
    shape = [c["batch"], *c["input_shape"]]
    first, = c["layers"][0].items()
    if first[0] == "TimeDistributed":
        first, = first[1]["layer"].items()
    if first[0] == "Embedding":
        if not first[1].get("mask_zero"):
            return "int32", rng.integers(0, first[1]["input_dim"], size=shape).astype(np.int32)
        ids = rng.integers(1, first[1]["input_dim"], size=shape).astype(np.int32)
        ids[0, :2], ids[1, -2:], ids[-1, shape[1] // 2] = 0, 0, 0  # padding at the start, the end, the middle
        return "int32", ids
    return "float32", (rng.normal(0.0, c["input_scale"], shape)).astype(np.float32)


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
    ids = unique_ids(CASES)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for stale in OUT_DIR.glob("*.npz"):  # fixtures of cases that no longer exist
        if stale.stem not in ids:
            stale.unlink()
    total = 0
    for c in CASES:
        arrays = run_case(c)
        path = OUT_DIR / f"{c['id']}.npz"
        np.savez_compressed(path, **arrays)
        total += path.stat().st_size
        n_weights = sum(k.startswith("layer_") and "_weight_" in k for k in arrays)
        print(f"{c['id']:<52} in {list(arrays['input'].shape)} -> out "
              f"{list(arrays['output'].shape)}  weights={n_weights}", flush=True)
    print(f"wrote {len(CASES)} fixtures ({total / 1024:.0f} KiB) to {OUT_DIR}")


if __name__ == "__main__":
    main()
