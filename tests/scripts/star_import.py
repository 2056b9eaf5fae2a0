from tensorflow.keras.layers import *
from tensorflow.keras.models import *

n_steps = 12
n_channels = 2

model = Sequential()
model.add(Input(shape=(n_steps, n_channels)))
model.add(Permute((2, 1)))            # (channels, steps)
model.add(SimpleRNN(10, activation="relu"))
model.add(RepeatVector(n_steps))
model.add(GRU(8, return_sequences=True, reset_after=False))
model.add(TimeDistributed(Dense(n_channels)))
model.compile(loss="mae", optimizer="adam")
