# A GRU encoder hands its state to a GRU decoder (return_state with tuple unpacking)
from tensorflow.keras.layers import Input, GRU, Dense
from tensorflow.keras.models import Model

in_tokens, out_tokens, latent = 40, 50, 96

enc_in = Input(shape=(None, in_tokens))
_, enc_state = GRU(latent, return_state=True)(enc_in)

dec_in = Input(shape=(None, out_tokens))
dec_gru = GRU(latent, return_sequences=True, return_state=True)
dec_seq, dec_state = dec_gru(dec_in, initial_state=enc_state)
dec_probs = Dense(out_tokens, activation="softmax")(dec_seq)

model = Model([enc_in, dec_in], [dec_probs, dec_state])
