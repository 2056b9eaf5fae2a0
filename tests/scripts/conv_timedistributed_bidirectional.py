# Keras 2 module paths for conv and pooling, GlobalAveragePooling1D, Bidirectional with concat
from keras.models import Sequential
from keras.layers.convolutional import Conv1D
from keras.layers.pooling import MaxPooling1D, GlobalAveragePooling1D
from keras.layers import Bidirectional, LSTM, Dense, InputLayer
import keras.layers.embeddings as emb

model = Sequential()
model.add(InputLayer(shape=(200,)))
model.add(emb.Embedding(10000, 32))
model.add(Conv1D(32, 7, activation="relu", padding="same"))
model.add(MaxPooling1D(5))
model.add(Bidirectional(LSTM(16, return_sequences=True)))
model.add(GlobalAveragePooling1D())
model.add(Dense(2, activation="softmax"))
model.compile(optimizer="adam", loss="binary_crossentropy")
