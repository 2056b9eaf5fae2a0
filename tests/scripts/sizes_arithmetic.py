# Sizes with arithmetic, tuples, a dict of settings, and a reassignment before use
import keras
from keras import layers

config = {"units": 48, "dropout": 0.1}
window = 48 // 2              # 24
n_features = 3 + 3            # 6
hidden = config["units"] * 2  # 96
input_shape = (window, n_features)
kernel = 3
kernel = kernel + 2           # 5: the value at the point of use

inputs = keras.Input(shape=input_shape)
x = layers.Conv1D(filters=hidden // 4, kernel_size=kernel, padding="causal", activation="relu")(inputs)
x = layers.MaxPooling1D(pool_size=2)(x)
x = layers.LSTM(config["units"], dropout=config["dropout"])(x)
x = layers.Dense(window * n_features)(x)
outputs = layers.Reshape((window, n_features))(x)
autoencoder = keras.Model(inputs, outputs, name="autoencoder")
autoencoder.compile(optimizer="adam", loss="mse")
