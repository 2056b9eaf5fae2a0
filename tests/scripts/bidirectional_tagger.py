# A part-of-speech tagger: Bidirectional LSTM over word embeddings, one tag per word
import tensorflow as tf
from tensorflow.keras import layers
from tensorflow.keras.models import Model

n_words = 35178
n_tags = 17
max_len = 75
embedding_dim = 50

input_words = layers.Input(shape=(max_len,))
model = layers.Embedding(input_dim=n_words + 1, output_dim=embedding_dim)(input_words)
model = layers.Dropout(0.1)(model)
model = layers.Bidirectional(layers.LSTM(units=100, return_sequences=True, recurrent_dropout=0.1))(model)
out = layers.TimeDistributed(layers.Dense(n_tags, activation="softmax"))(model)  # softmax output layer

tagger = Model(input_words, out)
tagger.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
