"""Every Keras case, listed once, for both reference generators.

A case is a small Keras stack written in shapecli's layer-spec format (a one-key
dict: Keras class name -> constructor kwargs; wrappers take the inner layer under
"layer") on an input shape without the batch axis.  Each case says which output
it feeds:

    SHAPES   tests/reference/keras_layers.json      (tools/make_keras_reference.py):
             output shapes, parameter counts, weight shapes, or Keras' error
    NUMERIC  tests/reference/numeric/<id>.npz       (tools/make_keras_fixtures.py):
             Keras' numbers for seeded random weights and input, layer by layer

Make a case with shapes(...), numeric(...) or both(...).  A case id is unique
among the cases of one output; a shapes case and a numeric case may share an id
(they are then different stacks, e.g. "dense_2d": Dense(5) on (12,) for shapes,
Dense(3) on (5,) for numbers).

Per-case options (keyword arguments):

    concrete      SHAPES, input with a null (free) size: the values substituted for
                  it, each giving a concrete build and a forward pass on zeros
                  (default DEFAULT_CONCRETE).  Keras' error for a value is recorded.
    input_scale   NUMERIC, float input: standard deviation of the seeded normal input
                  (default 1.0; wider so e.g. relu6 and hard_sigmoid saturate).
    batch         NUMERIC: batch size of the input (default DEFAULT_BATCH).
    pad_trailing  NUMERIC, token-id input (first layer Embedding, or TimeDistributed
                  of one): ids are drawn from [1, input_dim) so that 0 means padding
                  only, then trailing ids on the last axis are set to 0, sample by
                  sample: entry b of the list is for sample b (later samples are not
                  padded); an int n pads the last n ids of every row of that sample,
                  a list gives n row by row (3D ids: one n per sentence).
                  E.g. [2, 0, [1, 4, 0]] on (batch 3, 3 sentences, 4 words): sample 0
                  loses its last 2 words in every sentence, sample 1 is unpadded,
                  sample 2 loses 1 word of sentence 0 and all of sentence 1.
                  Without it, an Embedding(mask_zero=True) input gets ids in
                  [1, input_dim) with 0s at the start of sample 0, the end of
                  sample 1 and the middle of the last sample (see
                  make_keras_fixtures.make_input).
"""

SHAPES = "shapes"
NUMERIC = "numeric"
OUTPUTS = (SHAPES, NUMERIC)

DEFAULT_CONCRETE = [1, 2, 5, 9, 10, 11]  # values substituted for a null dim (SHAPES)
DEFAULT_BATCH = 2  # NUMERIC
N = None  # a free size in an input shape

_OPTIONS = {"concrete": SHAPES, "input_scale": NUMERIC, "batch": NUMERIC, "pad_trailing": NUMERIC}


def L(name, **kwargs):
    """Shorthand for a layer spec: L("Dense", units=3) -> {"Dense": {"units": 3}}."""
    return {name: kwargs}


def case(id, layers, input_shape, feeds, **options):
    for key in options:
        if key not in _OPTIONS:
            raise TypeError(f"{id}: unknown case option {key!r}")
        if _OPTIONS[key] not in feeds:
            raise TypeError(f"{id}: option {key!r} is for {_OPTIONS[key]} cases")
    if NUMERIC in feeds and None in input_shape:
        raise ValueError(f"{id}: a numeric case needs a concrete input shape")
    c = {"id": id, "layers": layers, "input_shape": input_shape, "feeds": tuple(feeds)}
    if "concrete" in options:
        c["concrete_values"] = options.pop("concrete")
    c.update(options)
    return c


def shapes(id, layers, input_shape, **options):
    return case(id, layers, input_shape, (SHAPES,), **options)


def numeric(id, layers, input_shape, **options):
    return case(id, layers, input_shape, (NUMERIC,), **options)


def both(id, layers, input_shape, **options):
    return case(id, layers, input_shape, (SHAPES, NUMERIC), **options)


# -- generated groups ------------------------------------------------------------
def shape_conv_grid():
    """Conv1D padding x strides x dilation_rate, kernel 3, on a free length."""
    out = []
    for padding in ("valid", "same", "causal"):
        for strides in (1, 2, 3):
            for dil in (1, 2):
                out.append(shapes(
                    f"conv1d_k3_{padding}_s{strides}_d{dil}_null_len",
                    [L("Conv1D", filters=6, kernel_size=3, padding=padding,
                       strides=strides, dilation_rate=dil)],
                    [N, 4], concrete=[1, 2, 3, 4, 5, 9, 10, 11]))
    return out


def numeric_conv_grid():
    """Conv1D kernel 3: padding x strides 1/2, plus dilation 2 (strides 1) per padding."""
    out = []
    for padding in ("valid", "same", "causal"):
        for strides, dil in ((1, 1), (2, 1), (1, 2)):
            kw = dict(filters=3, kernel_size=3, padding=padding)
            if strides != 1:
                kw["strides"] = strides
            if dil != 1:
                kw["dilation_rate"] = dil
            out.append(numeric(f"conv1d_k3_{padding}_s{strides}_d{dil}", [L("Conv1D", **kw)], [6, 4]))
    # odd length: 'same' with strides 2 pads differently on each side for 6 vs 7
    out.append(numeric("conv1d_k3_same_s2_odd_len",
                       [L("Conv1D", filters=3, kernel_size=3, padding="same", strides=2)], [7, 4]))
    out.append(numeric("conv1d_k3_causal_s2_odd_len",
                       [L("Conv1D", filters=3, kernel_size=3, padding="causal", strides=2)], [7, 4]))
    return out


# Every name keras.activations.get takes as a layer's activation (glu halves the axis and threshold
# needs arguments: shapecli refuses both).
ACTIVATIONS = ["softmax", "tanh", "sigmoid", "relu", "linear", "elu", "selu", "softplus",
               "softsign", "gelu", "silu", "swish", "hard_sigmoid", "exponential",
               "leaky_relu", "relu6", "log_softmax", "mish", "hard_silu", "hard_swish", "celu",
               "hard_shrink", "hard_tanh", "log_sigmoid", "soft_shrink", "sparse_plus", "sparse_sigmoid",
               "sparsemax", "squareplus", "tanh_shrink"]


def activation_cases():
    """Every activation on a 3D input (batch, 4, 5), spread wide enough to saturate."""
    return [numeric(f"activation_{a}", [L("Activation", activation=a)], [4, 5], input_scale=3.0)
            for a in ACTIVATIONS]


def rnn_cases(rnn):
    """The common SimpleRNN / LSTM / GRU variants on a (5, 3) input (numbers)."""
    name = rnn.lower()
    cases = [
        numeric(f"{name}_default", [L(rnn, units=4)], [5, 3]),
        numeric(f"{name}_return_sequences", [L(rnn, units=4, return_sequences=True)], [5, 3]),
        numeric(f"{name}_go_backwards", [L(rnn, units=4, go_backwards=True)], [5, 3]),
        numeric(f"{name}_return_sequences_go_backwards",
                [L(rnn, units=4, return_sequences=True, go_backwards=True)], [5, 3]),
        numeric(f"{name}_no_bias", [L(rnn, units=4, use_bias=False)], [5, 3]),
        numeric(f"{name}_relu", [L(rnn, units=4, activation="relu", return_sequences=True)], [5, 3]),
    ]
    if rnn != "SimpleRNN":
        cases.append(numeric(f"{name}_recurrent_hard_sigmoid",
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
            out.append(numeric(f"gru_reset_after_false{suffix}", [L("GRU", **kw)], [5, 3]))
    out.append(numeric("gru_reset_after_false_no_bias",
                       [L("GRU", units=4, reset_after=False, use_bias=False)], [5, 3]))
    return out


def bidirectional_cases():
    out = []
    for mode in ("concat", "sum", "mul", "ave"):
        out.append(numeric(f"bidir_lstm_{mode}",
                           [L("Bidirectional", layer=L("LSTM", units=3), merge_mode=mode)], [5, 3]))
        out.append(numeric(f"bidir_lstm_{mode}_return_sequences",
                           [L("Bidirectional", layer=L("LSTM", units=3, return_sequences=True),
                              merge_mode=mode)], [5, 3]))
    for rnn in ("GRU", "SimpleRNN"):
        out.append(numeric(f"bidir_{rnn.lower()}_concat",
                           [L("Bidirectional", layer=L(rnn, units=3))], [5, 3]))
        out.append(numeric(f"bidir_{rnn.lower()}_sum_return_sequences",
                           [L("Bidirectional", layer=L(rnn, units=3, return_sequences=True),
                              merge_mode="sum")], [5, 3]))
    out.append(numeric("bidir_gru_reset_after_false_concat_return_sequences",
                       [L("Bidirectional", layer=L("GRU", units=3, reset_after=False,
                                                   return_sequences=True))], [5, 3]))
    return out


MASKED = L("Embedding", input_dim=6, output_dim=4, mask_zero=True)  # the mask cases' first layer


def mask_cases():
    """Embedding(mask_zero=True) and the layers after it, on 7 ids, batch 3 (numbers)."""
    return [numeric(f"mask_{name}", [MASKED, *rest], [7], batch=3) for name, rest in [
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
    ]]


def zero_output_for_mask_cases():
    """zero_output_for_mask=True after Embedding(mask_zero=True): a masked step outputs 0 instead of the
    carried state (the state itself is still carried). return_sequences=False returns the output of the
    last step processed, so it is 0 when that step is padding. With unroll=True Keras ignores
    zero_output_for_mask (numpy and jax backends alike)."""
    out = []
    for rnn in ("SimpleRNN", "LSTM", "GRU"):
        for rs in (True, False):
            suffix = "_return_sequences" if rs else ""
            out.append(both(f"mask_{rnn.lower()}_zero_output_for_mask{suffix}",
                            [MASKED, L(rnn, units=3, zero_output_for_mask=True, return_sequences=rs)],
                            [7], batch=3))
    out.append(numeric("mask_lstm_zero_output_for_mask_go_backwards",
                       [MASKED, L("LSTM", units=3, zero_output_for_mask=True, return_sequences=True,
                                  go_backwards=True)], [7], batch=3))
    # Bidirectional sets each direction's zero_output_for_mask to its return_sequences, whatever was passed
    out.append(numeric("mask_bidirectional_lstm_zero_output_for_mask",
                       [MASKED, L("Bidirectional", layer=L("LSTM", units=3, zero_output_for_mask=True))],
                       [7], batch=3))
    out.append(numeric("mask_bidirectional_gru_zero_output_for_mask_false_return_sequences",
                       [MASKED, L("Bidirectional", layer=L("GRU", units=3, zero_output_for_mask=False,
                                                           return_sequences=True))], [7], batch=3))
    out.append(numeric("mask_gru_zero_output_for_mask_unroll",
                       [MASKED, L("GRU", units=3, zero_output_for_mask=True, return_sequences=True,
                                  unroll=True)], [7], batch=3))
    return out


def softmax_gate_cases():
    """Softmax-like activations inside GRU/LSTM: applied to each gate block (units wide) separately,
    and `activation` to the candidate block and (LSTM) to c separately."""
    out = []
    for rnn in ("LSTM", "GRU"):
        name = rnn.lower()
        out.append(numeric(f"{name}_recurrent_softmax", [L(rnn, units=4, recurrent_activation="softmax",
                                                           return_sequences=True)], [5, 3]))
        out.append(numeric(f"{name}_activation_softmax", [L(rnn, units=4, activation="softmax",
                                                            return_sequences=True)], [5, 3]))
        out.append(numeric(f"{name}_recurrent_sparsemax_activation_log_softmax",
                           [L(rnn, units=4, recurrent_activation="sparsemax", activation="log_softmax",
                              return_sequences=True)], [5, 3]))
    out.append(numeric("gru_reset_after_false_recurrent_softmax",
                       [L("GRU", units=4, reset_after=False, recurrent_activation="softmax",
                          activation="softmax", return_sequences=True)], [5, 3]))
    return out


CASES = [
    # ---- Dense / Activation / Dropout --------------------------------------
    shapes("dense_2d", [L("Dense", units=5)], [12]),
    shapes("dense_3d", [L("Dense", units=5)], [7, 12]),
    shapes("dense_4d", [L("Dense", units=5)], [3, 7, 12]),
    shapes("dense_no_bias", [L("Dense", units=5, use_bias=False)], [12]),
    shapes("dense_relu", [L("Dense", units=5, activation="relu")], [12]),
    shapes("dense_3d_null_time", [L("Dense", units=5)], [N, 12]),
    shapes("activation_softmax", [L("Activation", activation="softmax")], [7, 12]),
    shapes("activation_relu", [L("Activation", activation="relu")], [12]),
    shapes("activation_tanh", [L("Activation", activation="tanh")], [3, 7, 12]),
    shapes("dropout", [L("Dropout", rate=0.5)], [7, 12]),
    numeric("dense_2d", [L("Dense", units=3)], [5]),
    numeric("dense_3d", [L("Dense", units=3)], [4, 5]),
    numeric("dense_4d", [L("Dense", units=3)], [3, 4, 5]),
    numeric("dense_relu", [L("Dense", units=4, activation="relu")], [4, 5]),
    numeric("dense_no_bias", [L("Dense", units=3, use_bias=False)], [4, 5]),
    *activation_cases(),
    numeric("activation_softmax_2d", [L("Activation", activation="softmax")], [5], input_scale=3.0),
    numeric("dropout", [L("Dropout", rate=0.5)], [4, 5]),
    # activity_regularizer adds a loss, nothing to the forward pass or the weights
    both("dense_activity_regularizer", [L("Dense", units=3, activity_regularizer="l2")], [4, 5]),
    # noise_shape: None entries take the input's size; identity at inference anyway.  Keras checks
    # noise_shape when the layer is made (an iterable of positive ints or None); one that does not
    # broadcast to the input fails only in a training call, so inference accepts it.
    both("dropout_noise_shape_none", [L("Dropout", rate=0.5, noise_shape=[N, 1, 4])], [7, 4]),
    shapes("dropout_noise_shape_none_null_time", [L("Dropout", rate=0.5, noise_shape=[N, 1, 4])], [N, 4]),
    shapes("dropout_noise_shape_scalar", [L("Dropout", rate=0.5, noise_shape=2)], [7, 4]),
    shapes("dropout_noise_shape_zero", [L("Dropout", rate=0.5, noise_shape=[N, 0, 4])], [7, 4]),
    shapes("dropout_noise_shape_negative", [L("Dropout", rate=0.5, noise_shape=[N, -1, 4])], [7, 4]),
    shapes("dropout_noise_shape_not_broadcastable", [L("Dropout", rate=0.5, noise_shape=[N, 3, 4])], [7, 4]),
    # ---- Flatten / Reshape / Permute / RepeatVector ------------------------
    shapes("flatten_2d", [L("Flatten")], [12]),
    shapes("flatten_3d", [L("Flatten")], [7, 12]),
    shapes("flatten_4d", [L("Flatten")], [3, 7, 12]),
    shapes("flatten_3d_null_time", [L("Flatten")], [N, 12]),
    shapes("reshape_basic", [L("Reshape", target_shape=[4, 12])], [48]),
    shapes("reshape_minus_one", [L("Reshape", target_shape=[-1, 6])], [4, 12]),
    shapes("reshape_3d_to_4d", [L("Reshape", target_shape=[2, 2, 12])], [4, 12]),
    shapes("reshape_incompatible", [L("Reshape", target_shape=[5, 10])], [4, 12]),
    shapes("reshape_minus_one_null_time", [L("Reshape", target_shape=[-1])], [N, 12]),
    shapes("permute_21", [L("Permute", dims=[2, 1])], [7, 12]),
    shapes("permute_312_4d", [L("Permute", dims=[3, 1, 2])], [3, 7, 12]),
    shapes("repeatvector_2d", [L("RepeatVector", n=4)], [12]),
    shapes("repeatvector_3d", [L("RepeatVector", n=4)], [7, 12]),
    numeric("flatten_3d", [L("Flatten")], [4, 3]),
    numeric("flatten_4d", [L("Flatten")], [3, 4, 5]),
    numeric("reshape_minus_one", [L("Reshape", target_shape=[-1, 2])], [4, 3]),
    numeric("reshape_explicit", [L("Reshape", target_shape=[3, 4])], [4, 3]),
    numeric("permute_21", [L("Permute", dims=[2, 1])], [4, 3]),
    numeric("permute_312_4d", [L("Permute", dims=[3, 1, 2])], [3, 4, 5]),
    numeric("repeatvector", [L("RepeatVector", n=3)], [4]),
    # -1 with a free size: Keras leaves the -1 axis free, (None, None, 5); a length whose element
    # count (length*2) 5 does not divide (3, 4) is refused once the length is known
    shapes("reshape_minus_one_5_null_time", [L("Reshape", target_shape=[-1, 5])], [N, 2],
           concrete=[4, 5, 10, 15, 3]),
    # ---- TimeDistributed ---------------------------------------------------
    shapes("td_dense", [L("TimeDistributed", layer=L("Dense", units=3))], [7, 12]),
    shapes("td_dense_null_time", [L("TimeDistributed", layer=L("Dense", units=3))], [N, 12]),
    shapes("td_flatten_4d", [L("TimeDistributed", layer=L("Flatten"))], [3, 7, 12]),
    shapes("td_gap1d_4d", [L("TimeDistributed", layer=L("GlobalAveragePooling1D"))], [3, 7, 12]),
    shapes("td_conv1d_4d",
           [L("TimeDistributed", layer=L("Conv1D", filters=6, kernel_size=3))], [3, 7, 12]),
    shapes("td_dense_4d", [L("TimeDistributed", layer=L("Dense", units=3))], [3, 7, 12]),
    numeric("td_dense", [L("TimeDistributed", layer=L("Dense", units=3))], [4, 5]),
    numeric("td_flatten_4d", [L("TimeDistributed", layer=L("Flatten"))], [3, 4, 5]),
    numeric("td_conv1d_4d",
            [L("TimeDistributed", layer=L("Conv1D", filters=6, kernel_size=2))], [3, 5, 4]),
    numeric("td_gap1d_4d", [L("TimeDistributed", layer=L("GlobalAveragePooling1D"))], [3, 4, 5]),
    # ---- SimpleRNN ---------------------------------------------------------
    shapes("simplernn_default", [L("SimpleRNN", units=8)], [7, 12]),
    shapes("simplernn_return_sequences", [L("SimpleRNN", units=8, return_sequences=True)], [7, 12]),
    shapes("simplernn_go_backwards", [L("SimpleRNN", units=8, go_backwards=True)], [7, 12]),
    shapes("simplernn_no_bias", [L("SimpleRNN", units=8, use_bias=False)], [7, 12]),
    shapes("simplernn_null_time", [L("SimpleRNN", units=8)], [N, 12]),
    shapes("simplernn_null_time_return_sequences",
           [L("SimpleRNN", units=8, return_sequences=True)], [N, 12]),
    *rnn_cases("SimpleRNN"),
    # ---- LSTM --------------------------------------------------------------
    shapes("lstm_default", [L("LSTM", units=8)], [7, 12]),
    shapes("lstm_return_sequences", [L("LSTM", units=8, return_sequences=True)], [7, 12]),
    shapes("lstm_no_bias", [L("LSTM", units=8, use_bias=False)], [7, 12]),
    shapes("lstm_go_backwards", [L("LSTM", units=8, go_backwards=True, return_sequences=True)], [7, 12]),
    shapes("lstm_null_time", [L("LSTM", units=8)], [N, 12]),
    shapes("lstm_null_time_return_sequences", [L("LSTM", units=8, return_sequences=True)], [N, 12]),
    shapes("lstm_fed_2d", [L("LSTM", units=8)], [12]),
    shapes("lstm_return_state", [L("LSTM", units=8, return_state=True)], [7, 12]),
    shapes("lstm_return_state_then_dense",
           [L("LSTM", units=8, return_state=True), L("Dense", units=3)], [7, 12]),
    *rnn_cases("LSTM"),
    # ---- GRU ---------------------------------------------------------------
    shapes("gru_default", [L("GRU", units=8)], [7, 12]),
    shapes("gru_return_sequences", [L("GRU", units=8, return_sequences=True)], [7, 12]),
    shapes("gru_reset_after_false", [L("GRU", units=8, reset_after=False)], [7, 12]),
    shapes("gru_no_bias_reset_after_true", [L("GRU", units=8, use_bias=False)], [7, 12]),
    shapes("gru_no_bias_reset_after_false",
           [L("GRU", units=8, use_bias=False, reset_after=False)], [7, 12]),
    shapes("gru_null_time", [L("GRU", units=8, return_sequences=True)], [N, 12]),
    *rnn_cases("GRU"),
    *gru_reset_before_cases(),
    *softmax_gate_cases(),
    # ---- Bidirectional -----------------------------------------------------
    *[shapes(f"bidir_lstm_{m}", [L("Bidirectional", layer=L("LSTM", units=4), merge_mode=m)], [7, 12])
      for m in ("concat", "sum", "mul", "ave")],
    shapes("bidir_lstm_default_merge", [L("Bidirectional", layer=L("LSTM", units=4))], [7, 12]),
    shapes("bidir_lstm_concat_return_sequences",
           [L("Bidirectional", layer=L("LSTM", units=4, return_sequences=True))], [7, 12]),
    shapes("bidir_lstm_sum_return_sequences",
           [L("Bidirectional", layer=L("LSTM", units=4, return_sequences=True), merge_mode="sum")],
           [7, 12]),
    shapes("bidir_gru_concat", [L("Bidirectional", layer=L("GRU", units=4))], [7, 12]),
    shapes("bidir_gru_sum", [L("Bidirectional", layer=L("GRU", units=4), merge_mode="sum")], [7, 12]),
    shapes("bidir_gru_ave_return_sequences",
           [L("Bidirectional", layer=L("GRU", units=4, return_sequences=True), merge_mode="ave")],
           [7, 12]),
    shapes("bidir_simplernn_concat", [L("Bidirectional", layer=L("SimpleRNN", units=4))], [7, 12]),
    shapes("bidir_simplernn_mul_return_sequences",
           [L("Bidirectional", layer=L("SimpleRNN", units=4, return_sequences=True), merge_mode="mul")],
           [7, 12]),
    shapes("bidir_lstm_null_time",
           [L("Bidirectional", layer=L("LSTM", units=4, return_sequences=True))], [N, 12]),
    shapes("bidir_dense", [L("Bidirectional", layer=L("Dense", units=4))], [7, 12]),
    *bidirectional_cases(),
    # ---- masks: Embedding(mask_zero=True) and the layers after it ------------------
    *mask_cases(),
    *zero_output_for_mask_cases(),
    # GlobalMaxPooling1D does not support masking (Keras warns that it destroys the mask): padded
    # steps take part in the max; so do Flatten and a valid Conv1D, whose next layers see no mask
    both("mask_gmp1d", [MASKED, L("GlobalMaxPooling1D")], [7], batch=3),
    numeric("mask_flatten_dense", [MASKED, L("Flatten"), L("Dense", units=2)], [7], batch=3),
    numeric("mask_conv1d_valid_gap1d", [MASKED, L("Conv1D", filters=3, kernel_size=3), L("GlobalAveragePooling1D")],
            [7], batch=3),
    # TimeDistributed(Embedding(mask_zero=True)) makes NO mask: TimeDistributed has no compute_mask, so
    # it passes on its input's mask (none). The inner GlobalAveragePooling1D averages all 4 words,
    # padding included, and the inner LSTM reads the padding too.
    both("mask_td_embedding_td_gap1d",
         [L("TimeDistributed", layer=L("Embedding", input_dim=10, output_dim=6, mask_zero=True)),
          L("TimeDistributed", layer=L("GlobalAveragePooling1D"))], [3, 4], batch=3,
         pad_trailing=[[1, 2, 3], 0, [0, 3, 1]]),
    both("mask_td_embedding_td_lstm",
         [L("TimeDistributed", layer=L("Embedding", input_dim=10, output_dim=6, mask_zero=True)),
          L("TimeDistributed", layer=L("LSTM", units=5))], [3, 4], batch=3,
         pad_trailing=[[1, 2, 3], 0, [0, 3, 1]]),
    # A plain Embedding(mask_zero=True) on (sentences, words) ids makes a (batch, sentences, words) mask;
    # TimeDistributed hands each sentence's slice to the inner layer: GlobalAveragePooling1D averages
    # the real words, LSTM skips the padded ones (no sentence is all padding: that averages to NaN)
    both("mask_embedding_3d_td_gap1d",
         [L("Embedding", input_dim=10, output_dim=6, mask_zero=True),
          L("TimeDistributed", layer=L("GlobalAveragePooling1D"))], [3, 4], batch=3,
         pad_trailing=[[1, 2, 3], 0, [0, 3, 1]]),
    both("mask_embedding_3d_td_lstm",
         [L("Embedding", input_dim=10, output_dim=6, mask_zero=True),
          L("TimeDistributed", layer=L("LSTM", units=5))], [3, 4], batch=3,
         pad_trailing=[[1, 2, 3], 0, [0, 3, 1]]),
    # TimeDistributed(Dense) passes the 2D mask on, so the average is over the real steps only
    both("mask_td_dense_gap1d",
         [L("Embedding", input_dim=10, output_dim=2, mask_zero=True),
          L("TimeDistributed", layer=L("Dense", units=3)), L("GlobalAveragePooling1D")], [6], batch=3,
         pad_trailing=[2, 0, 5]),
    numeric("td_embedding_then_td_lstm",  # words per sentence: (batch, sentences, words) of ids
            [L("TimeDistributed", layer=L("Embedding", input_dim=10, output_dim=3)),
             L("TimeDistributed", layer=L("LSTM", units=2))], [3, 4]),
    # ---- Embedding ---------------------------------------------------------
    shapes("embedding_len7", [L("Embedding", input_dim=100, output_dim=16)], [7]),
    shapes("embedding_null_len", [L("Embedding", input_dim=100, output_dim=16)], [N]),
    shapes("embedding_mask_zero", [L("Embedding", input_dim=100, output_dim=16, mask_zero=True)], [7]),
    shapes("embedding_mask_zero_lstm",
           [L("Embedding", input_dim=100, output_dim=16, mask_zero=True), L("LSTM", units=8)], [N]),
    numeric("embedding", [L("Embedding", input_dim=10, output_dim=3)], [5]),
    numeric("embedding_lstm",
            [L("Embedding", input_dim=10, output_dim=3), L("LSTM", units=4)], [5]),
    # input_length: a Keras 2 argument Keras 3.15 still takes and ignores, warning "Argument
    # `input_length` is deprecated. Just remove it." -- even when it differs from the real length
    both("embedding_input_length", [L("Embedding", input_dim=10, output_dim=3, input_length=5)], [5]),
    shapes("embedding_input_length_other_len",
           [L("Embedding", input_dim=10, output_dim=3, input_length=20), L("LSTM", units=2)], [7]),
    # ---- Conv1D ------------------------------------------------------------
    shapes("conv1d_default", [L("Conv1D", filters=6, kernel_size=3)], [10, 4]),
    shapes("conv1d_k1", [L("Conv1D", filters=6, kernel_size=1)], [10, 4]),
    shapes("conv1d_k5", [L("Conv1D", filters=6, kernel_size=5)], [10, 4]),
    shapes("conv1d_k5_same", [L("Conv1D", filters=6, kernel_size=5, padding="same")], [10, 4]),
    shapes("conv1d_k5_causal_d2", [L("Conv1D", filters=6, kernel_size=5, padding="causal",
                                     dilation_rate=2)], [10, 4]),
    shapes("conv1d_k3_valid_s2", [L("Conv1D", filters=6, kernel_size=3, strides=2)], [10, 4]),
    shapes("conv1d_k3_same_s3", [L("Conv1D", filters=6, kernel_size=3, strides=3,
                                   padding="same")], [10, 4]),
    shapes("conv1d_k3_valid_s2_d2", [L("Conv1D", filters=6, kernel_size=3, strides=2,
                                       dilation_rate=2)], [10, 4]),
    shapes("conv1d_no_bias", [L("Conv1D", filters=6, kernel_size=3, use_bias=False)], [10, 4]),
    shapes("conv1d_relu", [L("Conv1D", filters=6, kernel_size=3, activation="relu")], [10, 4]),
    shapes("conv1d_valid_too_short", [L("Conv1D", filters=6, kernel_size=5)], [3, 4]),
    shapes("conv1d_valid_exact_fit", [L("Conv1D", filters=6, kernel_size=5)], [5, 4]),
    shapes("conv1d_valid_too_short_dilated", [L("Conv1D", filters=6, kernel_size=3,
                                                dilation_rate=3)], [6, 4]),
    shapes("conv1d_k5_null_len", [L("Conv1D", filters=6, kernel_size=5)], [N, 4],
           concrete=[1, 4, 5, 6, 9, 10, 11]),
    *shape_conv_grid(),
    *numeric_conv_grid(),
    numeric("conv1d_k1", [L("Conv1D", filters=3, kernel_size=1)], [6, 4]),
    numeric("conv1d_no_bias", [L("Conv1D", filters=3, kernel_size=3, use_bias=False)], [6, 4]),
    numeric("conv1d_groups2", [L("Conv1D", filters=4, kernel_size=3, groups=2)], [6, 4]),
    numeric("conv1d_relu", [L("Conv1D", filters=3, kernel_size=3, activation="relu")], [6, 4]),
    # ---- Pooling -----------------------------------------------------------
    shapes("maxpool1d_default", [L("MaxPooling1D")], [10, 4]),
    shapes("maxpool1d_default_odd", [L("MaxPooling1D")], [11, 4]),
    shapes("maxpool1d_p3_s2", [L("MaxPooling1D", pool_size=3, strides=2)], [10, 4]),
    shapes("maxpool1d_same", [L("MaxPooling1D", padding="same")], [11, 4]),
    shapes("maxpool1d_p3_s2_same", [L("MaxPooling1D", pool_size=3, strides=2, padding="same")],
           [10, 4]),
    shapes("maxpool1d_too_short", [L("MaxPooling1D", pool_size=3)], [2, 4]),
    shapes("maxpool1d_null_len", [L("MaxPooling1D")], [N, 4]),
    shapes("maxpool1d_p3_s2_null_len", [L("MaxPooling1D", pool_size=3, strides=2)], [N, 4]),
    shapes("maxpool1d_same_null_len", [L("MaxPooling1D", pool_size=3, strides=2, padding="same")],
           [N, 4]),
    shapes("gap1d", [L("GlobalAveragePooling1D")], [10, 4]),
    shapes("gap1d_keepdims", [L("GlobalAveragePooling1D", keepdims=True)], [10, 4]),
    shapes("gmp1d", [L("GlobalMaxPooling1D")], [10, 4]),
    shapes("gmp1d_keepdims", [L("GlobalMaxPooling1D", keepdims=True)], [10, 4]),
    shapes("gap1d_null_len", [L("GlobalAveragePooling1D")], [N, 4]),
    numeric("maxpool1d_default", [L("MaxPooling1D")], [6, 3]),
    numeric("maxpool1d_default_odd", [L("MaxPooling1D")], [5, 3]),
    numeric("maxpool1d_p3_s2", [L("MaxPooling1D", pool_size=3, strides=2)], [6, 3]),
    numeric("maxpool1d_same_odd", [L("MaxPooling1D", padding="same")], [5, 3]),
    numeric("maxpool1d_p3_s2_same", [L("MaxPooling1D", pool_size=3, strides=2, padding="same")],
            [6, 3]),
    # padding is matched lower-cased by Conv1D, but exactly ('valid' or 'same') by the pooling layers;
    # data_format is lower-cased everywhere
    shapes("maxpool1d_padding_upper_case", [L("MaxPooling1D", padding="SAME")], [10, 4]),
    shapes("maxpool1d_padding_title_case", [L("MaxPooling1D", padding="Same")], [10, 4]),
    shapes("conv1d_padding_upper_case", [L("Conv1D", filters=3, kernel_size=3, padding="SAME")], [10, 4]),
    shapes("gap1d_data_format_upper_case", [L("GlobalAveragePooling1D", data_format="CHANNELS_FIRST")], [4, 10]),
    shapes("maxpool1d_data_format_upper_case", [L("MaxPooling1D", data_format="CHANNELS_FIRST")], [4, 10]),
    numeric("gap1d", [L("GlobalAveragePooling1D")], [5, 3]),
    numeric("gap1d_keepdims", [L("GlobalAveragePooling1D", keepdims=True)], [5, 3]),
    numeric("gmp1d", [L("GlobalMaxPooling1D")], [5, 3]),
    numeric("gmp1d_keepdims", [L("GlobalMaxPooling1D", keepdims=True)], [5, 3]),
    # ---- data_format="channels_first": (batch, channels, steps) --------------
    shapes("conv1d_channels_first", [L("Conv1D", filters=6, kernel_size=3, data_format="channels_first")],
           [4, 10]),
    shapes("conv1d_channels_first_same_s2_null_len",
           [L("Conv1D", filters=6, kernel_size=3, strides=2, padding="same", data_format="channels_first")],
           [4, N]),
    shapes("maxpool1d_channels_first", [L("MaxPooling1D", pool_size=3, strides=2, data_format="channels_first")],
           [4, 11]),
    shapes("gap1d_channels_first", [L("GlobalAveragePooling1D", data_format="channels_first")], [4, 10]),
    shapes("gmp1d_channels_first_keepdims",
           [L("GlobalMaxPooling1D", data_format="channels_first", keepdims=True)], [4, 10]),
    shapes("flatten_channels_first", [L("Flatten", data_format="channels_first")], [4, 10, 3]),
    numeric("conv1d_channels_first_causal",
            [L("Conv1D", filters=3, kernel_size=3, padding="causal", data_format="channels_first")], [4, 6]),
    numeric("conv1d_channels_first_same_s2",
            [L("Conv1D", filters=3, kernel_size=3, strides=2, padding="same", data_format="channels_first")],
            [4, 7]),
    numeric("maxpool1d_channels_first_same", [L("MaxPooling1D", padding="same", data_format="channels_first")],
            [3, 5]),
    numeric("gap1d_channels_first_keepdims",
            [L("GlobalAveragePooling1D", data_format="channels_first", keepdims=True)], [3, 5]),
    numeric("gmp1d_channels_first", [L("GlobalMaxPooling1D", data_format="channels_first")], [3, 5]),
    numeric("flatten_channels_first", [L("Flatten", data_format="channels_first")], [3, 4, 2]),
    # ---- LayerNormalization ------------------------------------------------
    shapes("layernorm_2d", [L("LayerNormalization")], [12]),
    shapes("layernorm_3d", [L("LayerNormalization")], [7, 12]),
    shapes("layernorm_no_center", [L("LayerNormalization", center=False)], [7, 12]),
    shapes("layernorm_no_scale", [L("LayerNormalization", scale=False)], [12]),
    numeric("layernorm_2d", [L("LayerNormalization")], [5]),
    numeric("layernorm_3d", [L("LayerNormalization")], [4, 5]),
    numeric("layernorm_no_center", [L("LayerNormalization", center=False)], [4, 5]),
    numeric("layernorm_no_scale", [L("LayerNormalization", scale=False)], [4, 5]),
    numeric("layernorm_epsilon_0_1", [L("LayerNormalization", epsilon=0.1)], [4, 5],
            input_scale=0.3),
    numeric("layernorm_axis_12", [L("LayerNormalization", axis=[1, 2])], [4, 5]),
    # rms_scaling=True (deprecated, warns): x / sqrt(var(x) + eps) * gamma -- the variance about the
    # mean, but the mean is not subtracted; gamma is made and used even with scale=False, beta is never
    # made whatever center says
    *[both(f"layernorm_rms_scaling{'' if center else '_no_center'}{'' if scale else '_no_scale'}",
           [L("LayerNormalization", rms_scaling=True, center=center, scale=scale)], [4, 5])
      for center in (True, False) for scale in (True, False)],
    numeric("layernorm_rms_scaling_axis_12", [L("LayerNormalization", rms_scaling=True, axis=[1, 2])], [4, 5]),
    # axis=[-1, 1]: Keras sorts the list as given ([-1, 1]), so gamma and beta are (5, 4) -- and are
    # reshaped (not transposed) to (1, 4, 5) when applied
    both("layernorm_axis_minus1_1", [L("LayerNormalization", axis=[-1, 1])], [4, 5]),
    # ---- Whole stacks ------------------------------------------------------
    shapes("stack_addition_encoder_decoder",
           [L("LSTM", units=128), L("RepeatVector", n=4), L("LSTM", units=128, return_sequences=True),
            L("TimeDistributed", layer=L("Dense", units=12)), L("Activation", activation="softmax")],
           [7, 12]),
    shapes("stack_simplernn_classifier",
           [L("SimpleRNN", units=128), L("Dense", units=12, activation="softmax")], [7, 12]),
    shapes("stack_stacked_lstm",
           [L("LSTM", units=32, return_sequences=True), L("LSTM", units=16)], [7, 12]),
    shapes("stack_stacked_lstm_missing_return_sequences",
           [L("LSTM", units=32), L("LSTM", units=16)], [7, 12]),
    shapes("stack_embedding_lstm",
           [L("Embedding", input_dim=1000, output_dim=64), L("LSTM", units=32)], [20]),
    shapes("stack_conv_pool_lstm",
           [L("Conv1D", filters=32, kernel_size=3), L("MaxPooling1D"), L("LSTM", units=16)],
           [100, 8]),
    shapes("stack_conv_pool_lstm_null_len",
           [L("Conv1D", filters=32, kernel_size=3), L("MaxPooling1D"), L("LSTM", units=16)],
           [N, 8], concrete=[2, 3, 4, 5, 9, 10, 11, 100]),
    shapes("stack_flatten_dense_reshape",
           [L("Flatten"), L("Dense", units=48), L("Reshape", target_shape=[4, 12])], [4, 128]),
    shapes("stack_dense_on_3d", [L("Dense", units=12)], [4, 128]),
    shapes("stack_td_dense_on_3d", [L("TimeDistributed", layer=L("Dense", units=12))], [4, 128]),
    shapes("stack_flatten_null_time_then_dense",
           [L("Flatten"), L("Dense", units=5)], [N, 12]),
    numeric("stack_addition_encoder_decoder",
            [L("LSTM", units=8), L("RepeatVector", n=4), L("LSTM", units=8, return_sequences=True),
             L("TimeDistributed", layer=L("Dense", units=12)), L("Activation", activation="softmax")],
            [7, 12], batch=3),
    numeric("stack_stacked_lstm",
            [L("LSTM", units=5, return_sequences=True), L("LSTM", units=3)], [5, 3], batch=3),
    numeric("stack_conv_pool_lstm_dense",
            [L("Conv1D", filters=4, kernel_size=3, padding="same", activation="relu"),
             L("MaxPooling1D"), L("LSTM", units=4), L("Dense", units=2, activation="softmax")],
            [6, 3], batch=3),
    numeric("stack_embedding_bidir_gru_dense",
            [L("Embedding", input_dim=10, output_dim=4),
             L("Bidirectional", layer=L("GRU", units=3)), L("Dense", units=2)], [5], batch=3),
]


def token_embedding(layers):
    """The Embedding spec (its kwargs) when the stack reads token ids: its first layer is Embedding,
    or TimeDistributed of one; else None."""
    (name, kwargs), = layers[0].items()
    if name == "TimeDistributed":
        (name, kwargs), = kwargs["layer"].items()
    return kwargs if name == "Embedding" else None


def input_dtype(layers) -> str:
    return "float32" if token_embedding(layers) is None else "int32"


def unique_ids(cases) -> list[str]:
    """The case ids, after checking that none repeats."""
    ids = [c["id"] for c in cases]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise SystemExit(f"duplicate case ids: {sorted(dupes)}")
    return ids


def cases_for(output: str) -> list[dict]:
    """The cases feeding one output (SHAPES or NUMERIC), in list order; ids checked unique."""
    if output not in OUTPUTS:
        raise ValueError(f"unknown output {output!r}: one of {OUTPUTS}")
    chosen = [c for c in CASES if output in c["feeds"]]
    unique_ids(chosen)
    return chosen
