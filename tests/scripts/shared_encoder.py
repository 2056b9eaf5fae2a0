# Two sentences read by the same LSTM (shared weights), then compared
from keras.layers import Input, LSTM, Dense, Embedding, concatenate, Subtract
from keras.models import Model

vocab_size = 8000
seq_len = 30
hidden = 64

left = Input(shape=(seq_len,), name="left")
right = Input(shape=(seq_len,), name="right")

embed = Embedding(vocab_size, 100)
encoder = LSTM(hidden)

left_vec = encoder(embed(left))
right_vec = encoder(embed(right))

difference = Subtract()([left_vec, right_vec])
features = concatenate([left_vec, right_vec, difference])
prediction = Dense(1, activation="sigmoid")(features)

siamese = Model(inputs=[left, right], outputs=prediction)
siamese.compile(loss="binary_crossentropy", optimizer="adam")
