from tensorflow import keras
from tensorflow.keras.layers import Dense as D, SimpleRNN, Flatten
from tensorflow.keras.models import Sequential

timesteps, features = 10, 3

model = Sequential([
    keras.layers.InputLayer(shape=(timesteps, features)),
    SimpleRNN(16, return_sequences=True),
    Flatten(),
    D(8, activation="relu"),
    D(1, activation="sigmoid"),
])
model.compile(loss="binary_crossentropy", optimizer="rmsprop")
