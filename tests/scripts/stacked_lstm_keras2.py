# Stacked LSTMs, Keras 2 style: input_shape on the first layer, sizes as module constants
from keras.models import Sequential
from keras.layers import LSTM, Dense, Dropout

data_dim = 16
timesteps = 8
num_classes = 10

model = Sequential()
model.add(LSTM(32, return_sequences=True,
               input_shape=(timesteps, data_dim)))  # returns a sequence of vectors of dimension 32
model.add(LSTM(32, return_sequences=True))  # returns a sequence of vectors of dimension 32
model.add(Dropout(0.5))
model.add(LSTM(32))  # return a single vector of dimension 32
model.add(Dense(num_classes, activation='softmax'))

model.compile(loss='categorical_crossentropy',
              optimizer='rmsprop',
              metrics=['accuracy'])
