"""Regenerate tests/reference/saved/: small Keras 3 models saved as `.keras` archives and as `model.to_json()`.

For each model below this script writes, into tests/reference/saved/,

    <name>.keras     model.save(...): the archive shapecli reads config.json from
    <name>.json      model.to_json(): the same config as JSON text (one line, as Keras writes it)

and one `expected.json` with what Keras itself says of each model: `count_params()`, the outputs' shapes
(None: the batch or a free size) and each layer's `count_params()` by name. tests/test_savedmodel.py
checks that `shapecli explain` gives the same numbers from both files. A few models are made to be refused
(a custom layer, a Keras layer shapecli does not cover, a Lambda, a custom activation, a model inside a
model, a call given masks, an operation on tensors): their files are written, their numbers not
needed. The test suite reads these files and never needs Keras.

    pip install keras jax h5py
    KERAS_BACKEND=numpy python tools/make_saved_models.py
"""

import json
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "numpy")
import keras  # noqa: E402
from keras import layers  # noqa: E402

OUT_DIR = Path(__file__).resolve().parent.parent / "tests" / "reference" / "saved"


def lstm_encoder_decoder():
    """The addition encoder-decoder: LSTM → RepeatVector → LSTM(return_sequences) → TimeDistributed(Dense)."""
    return keras.Sequential([
        keras.Input(shape=(7, 12)),
        layers.LSTM(16),
        layers.RepeatVector(4),
        layers.LSTM(16, return_sequences=True),
        layers.TimeDistributed(layers.Dense(12)),
        layers.Activation("softmax"),
    ], name="addition")


def embedding_lstm():
    return keras.Sequential([
        keras.Input(shape=(20,), dtype="int32"),
        layers.Embedding(1000, 16, mask_zero=True),
        layers.LSTM(8),
        layers.Dense(1, activation="sigmoid"),
    ], name="embedding_lstm")


def bidirectional():
    return keras.Sequential([
        keras.Input(shape=(None, 32)),
        layers.Bidirectional(layers.LSTM(8, return_sequences=True)),
        layers.Bidirectional(layers.GRU(6, return_sequences=True), merge_mode="sum"),
        layers.Dropout(0.2),
        layers.TimeDistributed(layers.Dense(9, activation="softmax")),
    ], name="bidirectional")


def conv1d():
    return keras.Sequential([
        keras.Input(shape=(None, 8)),
        layers.Conv1D(16, 3, padding="causal", activation="relu"),
        layers.MaxPooling1D(2),
        layers.Conv1D(8, 5, strides=2, dilation_rate=1, use_bias=False),
        layers.LayerNormalization(),
        layers.GlobalAveragePooling1D(),
        layers.Dense(3),
    ], name="conv1d")


def char_seq2seq():
    """Keras' character-level seq2seq training model (keras.io/examples/nlp/lstm_seq2seq), smaller latent size."""
    num_encoder_tokens, num_decoder_tokens, latent_dim = 71, 93, 32
    encoder_inputs = keras.Input(shape=(None, num_encoder_tokens), name="encoder_inputs")
    encoder = layers.LSTM(latent_dim, return_state=True, name="encoder")
    encoder_outputs, state_h, state_c = encoder(encoder_inputs)
    encoder_states = [state_h, state_c]
    decoder_inputs = keras.Input(shape=(None, num_decoder_tokens), name="decoder_inputs")
    decoder_lstm = layers.LSTM(latent_dim, return_sequences=True, return_state=True, name="decoder_lstm")
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = layers.Dense(num_decoder_tokens, activation="softmax", name="decoder_dense")
    decoder_outputs = decoder_dense(decoder_outputs)
    return keras.Model([encoder_inputs, decoder_inputs], decoder_outputs, name="char_seq2seq")


def char_seq2seq_inference():
    """The same seq2seq with its inference decoder in one graph: the decoder LSTM and Dense called twice."""
    latent_dim = 32
    encoder_inputs = keras.Input(shape=(None, 71), name="encoder_inputs")
    _, state_h, state_c = layers.LSTM(latent_dim, return_state=True, name="encoder")(encoder_inputs)
    decoder_inputs = keras.Input(shape=(None, 93), name="decoder_inputs")
    decoder_lstm = layers.LSTM(latent_dim, return_sequences=True, return_state=True, name="decoder_lstm")
    decoder_dense = layers.Dense(93, activation="softmax", name="decoder_dense")
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=[state_h, state_c])
    decoder_probs = decoder_dense(decoder_outputs)
    state_input_h = keras.Input(shape=(latent_dim,), name="decoder_state_input_h")
    state_input_c = keras.Input(shape=(latent_dim,), name="decoder_state_input_c")
    sampled, decoder_h, decoder_c = decoder_lstm(decoder_inputs, initial_state=[state_input_h, state_input_c])
    sampled_probs = decoder_dense(sampled)
    return keras.Model([encoder_inputs, decoder_inputs, state_input_h, state_input_c],
                       [decoder_probs, state_h, state_c, sampled_probs, decoder_h, decoder_c], name="seq2seq_inference")


def shared_dense():
    """One Dense applied to two inputs (shared weights), the results concatenated."""
    left = keras.Input(shape=(10, 16), name="left")
    right = keras.Input(shape=(10, 16), name="right")
    shared = layers.Dense(8, activation="relu", name="shared")
    joined = layers.Concatenate(name="joined")([shared(left), shared(right)])
    summary = layers.GRU(4, name="summary")(joined)
    return keras.Model([left, right], layers.Dense(2, name="head")(summary), name="shared_dense")


def attention():
    """Dot-product attention, additive attention and multi-head attention over an encoded sequence."""
    query = keras.Input(shape=(None, 16), name="query")
    value = keras.Input(shape=(12, 16), name="value")
    encoded = layers.Bidirectional(layers.LSTM(8, return_sequences=True), name="encoder")(value)
    context = layers.Attention(use_scale=True, name="attention")([query, encoded])
    additive = layers.AdditiveAttention(name="additive")([query, encoded])
    heads = layers.MultiHeadAttention(num_heads=2, key_dim=4, name="heads")(query, encoded)
    merged = layers.Concatenate(name="merged")([context, additive, heads])
    pooled = layers.GlobalMaxPooling1D(name="pooled")(merged)
    return keras.Model([query, value], layers.Dense(3, activation="softmax", name="scores")(pooled), name="attention")


def bidirectional_states():
    """A Bidirectional GRU returning its states; the forward and backward states added."""
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    embedded = layers.Embedding(500, 16, name="embed")(tokens)
    output, forward_h, backward_h = layers.Bidirectional(layers.GRU(8, return_state=True), name="bigru")(embedded)
    states = layers.Add(name="states")([forward_h, backward_h])
    return keras.Model(tokens, [output, states], name="bidirectional_states")


@keras.saving.register_keras_serializable(package="Custom")
class Scale(layers.Layer):
    """A custom layer: its code lives in Python, not in the saved config."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def custom_layer():
    return keras.Sequential([keras.Input(shape=(5, 4)), layers.LSTM(3, return_sequences=True), Scale(3.0)],
                            name="custom_layer")


def uncovered_layer():
    return keras.Sequential([keras.Input(shape=(10, 4)), layers.LSTM(3, return_sequences=True),
                             layers.GaussianNoise(0.1), layers.Flatten()], name="uncovered_layer")


def lambda_layer():
    return keras.Sequential([keras.Input(shape=(10, 4)), layers.Lambda(lambda x: x * 2, output_shape=(10, 4)),
                             layers.LSTM(3)], name="lambda_layer")


@keras.saving.register_keras_serializable(package="Custom")
def doubled(x):
    return x * 2


def custom_activation():
    return keras.Sequential([keras.Input(shape=(5, 4)), layers.Dense(3, activation=doubled)],
                            name="custom_activation")


def nested_model():
    inner = keras.Sequential([keras.Input(shape=(6, 4)), layers.LSTM(3)], name="inner")
    outer = keras.Input(shape=(6, 4), name="outer")
    return keras.Model(outer, layers.Dense(2)(inner(outer)), name="nested_model")


def masked_call():
    """Attention given explicit masks: a call argument shapecli does not cover."""
    query = keras.Input(shape=(5, 4), name="query")
    value = keras.Input(shape=(6, 4), name="value")
    query_mask = keras.Input(shape=(5,), dtype="bool", name="query_mask")
    value_mask = keras.Input(shape=(6,), dtype="bool", name="value_mask")
    context = layers.Attention(name="attention")([query, value], mask=[query_mask, value_mask])
    return keras.Model([query, value, query_mask, value_mask], context, name="masked_call")


def tensor_operation():
    """`a + b` on Keras tensors: an operation (keras.ops), saved like a layer named Add."""
    a = keras.Input(shape=(5, 3), name="a")
    b = keras.Input(shape=(5, 3), name="b")
    return keras.Model([a, b], layers.Dense(2, name="dense")(a + b), name="tensor_operation")


def dict_inputs():
    """Inputs and outputs given as dicts."""
    words = keras.Input(shape=(None, 8), name="words")
    tags = keras.Input(shape=(None, 4), name="tags")
    joined = layers.Concatenate(name="joined")([words, tags])
    return keras.Model({"words": words, "tags": tags}, {"summary": layers.SimpleRNN(5, name="summary")(joined)},
                       name="dict_inputs")


MODELS = [lstm_encoder_decoder, embedding_lstm, bidirectional, conv1d, char_seq2seq, char_seq2seq_inference,
          shared_dense, attention, bidirectional_states, dict_inputs]
REFUSED = [custom_layer, uncovered_layer, lambda_layer, custom_activation, nested_model, masked_call,
           tensor_operation]


def shape_json(shape):
    return [None if d is None else int(d) for d in shape]


def save(model, name: str, indent: int | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:  # Keras wants the .keras suffix on the path it writes
        path = Path(tmp) / f"{name}.keras"
        model.save(path)
        shutil.copy(path, OUT_DIR / f"{name}.keras")
    (OUT_DIR / f"{name}.json").write_text(model.to_json(indent=indent) + "\n", encoding="utf-8")


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    expected = {"keras_version": keras.__version__, "models": {}}
    for make in MODELS:
        keras.backend.clear_session()
        model = make()
        name = make.__name__.replace("_", "-")
        save(model, name)
        expected["models"][name] = {
            "count_params": model.count_params(),
            "outputs": [shape_json(t.shape) for t in model.outputs],
            "layers": {layer.name: layer.count_params() for layer in model.layers
                       if not isinstance(layer, layers.InputLayer)},
        }
    for make in REFUSED:
        keras.backend.clear_session()
        save(make(), make.__name__.replace("_", "-"), indent=2)  # laid out on lines: errors point into it
    (OUT_DIR / "expected.json").write_text(json.dumps(expected, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(MODELS) + len(REFUSED)} models to {OUT_DIR}")


if __name__ == "__main__":
    main()
