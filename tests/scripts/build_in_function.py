"""A model built by a function that the script calls under `if __name__ == "__main__":`."""
import argparse

from keras.models import Sequential
from keras.layers import Embedding, GRU, Dense, Bidirectional, Input


def build_model(vocab_size, embedding_dim=32, rnn_units=64, n_classes=5, max_len=40):
    model = Sequential(name="intent_classifier")
    model.add(Input(shape=(max_len,)))
    model.add(Embedding(vocab_size, embedding_dim, mask_zero=True))
    model.add(Bidirectional(GRU(rnn_units), merge_mode="sum"))
    model.add(Dense(n_classes, activation="softmax"))
    return model


def train(model, epochs):
    for epoch in range(epochs):
        model.fit([], [], epochs=1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args([])
    model = build_model(3000, rnn_units=48)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
