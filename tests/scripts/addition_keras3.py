"""The same encoder-decoder, Keras 3 style: keras.Input first, layers from `keras.layers`."""
import keras
from keras import layers

DIGITS = 3
MAXLEN = DIGITS + 1 + DIGITS        # "123+456"
chars = "0123456789+ "
num_chars = len(chars)              # known: the length of a string written in the script

model = keras.Sequential(
    [
        keras.Input(shape=(MAXLEN, num_chars)),
        layers.LSTM(128),
        layers.RepeatVector(DIGITS + 1),
        layers.LSTM(128, return_sequences=True),
        layers.Dense(num_chars, activation="softmax"),
    ]
)
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.summary()
