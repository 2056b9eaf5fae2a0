# shapecli-test: not run by Keras — its top level would write files and exit with status 3
import os
import sys
from pathlib import Path

import keras

Path("shapecli_ran_this.txt").write_text("the script was executed")
with open("shapecli_ran_this_too.txt", "w") as handle:
    handle.write("the script was executed")
os.system("touch shapecli_ran_a_shell.txt")

model = keras.Sequential([keras.Input(shape=(5, 3)), keras.layers.LSTM(4), keras.layers.Dense(2)])
model.save("model.keras")
sys.exit(3)
