# An encoder-decoder with dot-product attention over the encoder's steps (Luong style)
import keras
from keras.layers import Input, LSTM, Dense, Attention, Concatenate, TimeDistributed

src_vocab = 1200
tgt_vocab = 900
units = 128

encoder_in = Input(shape=(None, src_vocab), name="encoder_in")
decoder_in = Input(shape=(None, tgt_vocab), name="decoder_in")

encoder_seq, enc_h, enc_c = LSTM(units, return_sequences=True, return_state=True, name="encoder")(encoder_in)
decoder_seq = LSTM(units, return_sequences=True, name="decoder")(decoder_in, initial_state=[enc_h, enc_c])

context = Attention(name="attention")([decoder_seq, encoder_seq])
merged = Concatenate(axis=-1)([decoder_seq, context])
probs = TimeDistributed(Dense(tgt_vocab, activation="softmax"))(merged)

model = keras.Model(inputs=[encoder_in, decoder_in], outputs=probs)
model.compile(optimizer="adam", loss="categorical_crossentropy")
