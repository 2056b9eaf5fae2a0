# Functional API with `from keras import layers as L`, and a variable reassigned as tensors flow
from keras import layers as L
from keras import Model, Input

vocab = 5000
embed_dim = 64
max_len = 50

inp = Input(shape=(max_len,), dtype="int32", name="tokens")
x = L.Embedding(vocab, embed_dim, mask_zero=True)(inp)
x = L.LSTM(64, return_sequences=True)(x)
x = L.LayerNormalization()(x)
x = L.GlobalAveragePooling1D()(x)
x = L.Dense(32, activation="relu")(x)
x = L.Dropout(0.3)(x)
out = L.Dense(3, activation="softmax")(x)

classifier = Model(inputs=inp, outputs=out)
classifier.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
