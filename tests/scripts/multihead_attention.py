# A small transformer-style block on a sequence: self-attention, residual Add, LayerNormalization
import keras
from keras import layers

seq_len = 20
d_model = 32

tokens = keras.Input(shape=(seq_len, d_model))
attended = layers.MultiHeadAttention(num_heads=4, key_dim=8)(tokens, tokens)
x = layers.Add()([tokens, attended])
x = layers.LayerNormalization(epsilon=1e-6)(x)
ff = layers.Dense(64, activation="relu")(x)
ff = layers.Dense(d_model)(ff)
x = layers.add([x, ff])
x = layers.LayerNormalization(epsilon=1e-6)(x)
pooled = layers.GlobalMaxPooling1D()(x)
score = layers.Dense(1)(pooled)
model = keras.Model(tokens, score)
