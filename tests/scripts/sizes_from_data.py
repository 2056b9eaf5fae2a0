# Sizes computed from the data: the number of steps is only known when the script runs
import numpy as np
from keras.models import Sequential
from keras.layers import Input, LSTM, Dense, TimeDistributed

labels = ["down", "flat", "up"]          # a list written out: its len() is known
n_classes = len(labels)
n_features = 4

prices = np.random.rand(500, n_features)
window = np.random.randint(20, 40)       # chosen when the script runs
X = np.stack([prices[i:i + window] for i in range(100)])
n_steps = X.shape[1]                     # known only when the script runs

model = Sequential()
model.add(Input(shape=(n_steps, n_features)))
model.add(LSTM(32, return_sequences=True))
model.add(TimeDistributed(Dense(n_classes, activation="softmax")))
model.compile(loss="categorical_crossentropy", optimizer="adam")
