"""How fast is the NumPy executor? Prints figures and ratios; asserts nothing.

    python benchmarks/executor.py [--repeat N]

Times shapecli's forward pass on a realistic LSTM (batch 64, time 100,
features 32, units 256) and on the addition encoder-decoder, and, when they
are installed, the same LSTM in PyTorch on the CPU (torch.nn.LSTM) and in
Keras 3 with its NumPy backend (KERAS_BACKEND=numpy). Each figure is the best
of N runs, after one warm-up.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from shapecli.numeric import run_stack
from shapecli.stackfile import stack_from_data

BATCH, TIME, FEATURES, UNITS = 64, 100, 32, 256


def best_of(repeat: int, fn) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def lstm_weights(rng):
    return [
        (rng.standard_normal((FEATURES, 4 * UNITS)) / np.sqrt(FEATURES)).astype(np.float32),
        (rng.standard_normal((UNITS, 4 * UNITS)) / np.sqrt(UNITS)).astype(np.float32),
        (0.1 * rng.standard_normal(4 * UNITS)).astype(np.float32),
    ]


def shapecli_lstm(x, weights):
    from shapecli.layers.recurrent import LSTM

    layer = LSTM(units=UNITS)
    return lambda: layer.forward(x, weights)


def torch_lstm(x, weights):
    import torch

    torch.set_grad_enabled(False)
    lstm = torch.nn.LSTM(FEATURES, UNITS, batch_first=True)
    kernel, recurrent, bias = weights  # Keras gate order i, f, c, o = PyTorch's i, f, g, o
    lstm.weight_ih_l0.copy_(torch.from_numpy(kernel.T.copy()))
    lstm.weight_hh_l0.copy_(torch.from_numpy(recurrent.T.copy()))
    lstm.bias_ih_l0.copy_(torch.from_numpy(bias))
    lstm.bias_hh_l0.zero_()
    tx = torch.from_numpy(x)
    return lambda: lstm(tx)[0][:, -1].numpy()


def keras_lstm(x, weights):
    os.environ.setdefault("KERAS_BACKEND", "numpy")
    import keras

    layer = keras.layers.LSTM(UNITS)
    model = keras.Sequential([keras.Input((TIME, FEATURES)), layer])
    layer.set_weights(weights)
    return lambda: np.asarray(model(x, training=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, TIME, FEATURES)).astype(np.float32)
    weights = lstm_weights(rng)

    print(f"LSTM: batch {BATCH}, time {TIME}, features {FEATURES}, units {UNITS}; best of {args.repeat}")
    ours_fn = shapecli_lstm(x, weights)
    ours = best_of(args.repeat, ours_fn)
    print(f"  shapecli (NumPy)         {ours * 1000:8.1f} ms")
    reference = ours_fn()
    for label, make in (("PyTorch CPU (nn.LSTM)", torch_lstm), ("Keras 3, numpy backend", keras_lstm)):
        try:
            fn = make(x, weights)
        except ImportError:
            print(f"  {label:<24} not installed")
            continue
        theirs = best_of(args.repeat, fn)
        agree = float(np.max(np.abs(fn() - reference)))
        print(f"  {label:<24} {theirs * 1000:8.1f} ms   shapecli takes {ours / theirs:5.2f}× its time   "
              f"(outputs agree to {agree:.1e})")

    stack = stack_from_data({
        "input_shape": [7, 12],
        "layers": [
            {"LSTM": {"units": 128}}, {"RepeatVector": {"n": 4}}, {"LSTM": {"units": 128, "return_sequences": True}},
            {"TimeDistributed": {"layer": {"Dense": {"units": 12}}}}, {"Activation": {"activation": "softmax"}},
        ],
    })
    for batch in (2, 64):
        t = best_of(args.repeat, lambda: run_stack(stack, bind={"batch": batch}))
        print(f"addition encoder-decoder, batch {batch:>2}: whole run (weights, input, 5 layers) {t * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
