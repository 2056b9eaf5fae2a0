# tf.keras through `import tensorflow as tf`: a GRU forecaster
import numpy as np
import tensorflow as tf

WINDOW = 24
FEATURES = 5
HORIZON = 6

series = np.random.rand(1000, FEATURES)   # never read by shapecli

model = tf.keras.Sequential()
model.add(tf.keras.layers.GRU(64, return_sequences=True, input_shape=(WINDOW, FEATURES)))
model.add(tf.keras.layers.Dropout(0.2))
model.add(tf.keras.layers.GRU(32))
model.add(tf.keras.layers.Dense(HORIZON * FEATURES))
model.add(tf.keras.layers.Reshape((HORIZON, FEATURES)))
model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
print(model.summary())
