"""Keras 3's activations by name, in NumPy (float32 in, float32 out).

Each follows keras.activations (keras/src/activations/activations.py) with its
default arguments: e.g. `gelu` is the exact erf form, `leaky_relu` has slope 0.2,
`hard_sigmoid` is clip(x/6 + 1/2, 0, 1).
"""

from __future__ import annotations

import math
from typing import Callable

from .lazy_numpy import np


def _f(x, value):
    return np.asarray(value, dtype=x.dtype)


def sigmoid(x):
    return _f(x, 1.0) / (_f(x, 1.0) + np.exp(-x))


def softplus(x):
    return np.logaddexp(x, _f(x, 0.0))


def hard_sigmoid(x):
    return np.clip(x / _f(x, 6.0) + _f(x, 0.5), 0, 1).astype(x.dtype)


def elu(x, alpha=1.0):
    return np.where(x >= 0, x, _f(x, alpha) * np.expm1(x)).astype(x.dtype)


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def log_softmax(x):
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def gelu(x):
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return (0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))).astype(x.dtype)


def sparsemax(x):
    # As Keras 3 computes it (all backends): τ sums the cumulative sums over the support, so the
    # output does not always sum to 1 the way the sparsemax paper's does. shapecli follows Keras.
    z = -np.sort(-x, axis=-1)
    cumsum = np.cumsum(z, axis=-1)
    k = np.arange(1, x.shape[-1] + 1, dtype=x.dtype)
    support = z - (cumsum - 1) / k > 0
    count = np.sum(support, axis=-1, keepdims=True)
    tau = (np.sum(np.where(support, cumsum, 0), axis=-1, keepdims=True) - 1) / count
    return np.maximum(x - tau.astype(x.dtype), 0).astype(x.dtype)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805

ACTIVATIONS: dict[str, Callable] = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, _f(x, 0.0)),
    "relu6": lambda x: np.minimum(np.maximum(x, _f(x, 0.0)), _f(x, 6.0)),
    "leaky_relu": lambda x: np.maximum(x, _f(x, 0.2) * x),
    "elu": elu,
    "selu": lambda x: _f(x, SELU_SCALE) * elu(x, SELU_ALPHA),
    "celu": lambda x: np.maximum(x, _f(x, 0.0)) + np.expm1(np.minimum(x, _f(x, 0.0))),
    "gelu": gelu,
    "sigmoid": sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "sparse_sigmoid": lambda x: np.clip(_f(x, 0.5) * (x + 1), 0, 1).astype(x.dtype),
    "log_sigmoid": lambda x: -softplus(-x),
    "tanh": lambda x: np.tanh(x),
    "hard_tanh": lambda x: np.clip(x, -1, 1).astype(x.dtype),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "softplus": softplus,
    "softsign": lambda x: x / (_f(x, 1.0) + np.abs(x)),
    "squareplus": lambda x: (x + np.sqrt(x * x + _f(x, 4.0))) / _f(x, 2.0),
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x < 1, 0.25 * (x + 1) ** 2, x)).astype(x.dtype),
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)).astype(x.dtype),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0).astype(x.dtype),
    "silu": lambda x: x * sigmoid(x),
    "swish": lambda x: x * sigmoid(x),
    "hard_silu": lambda x: x * hard_sigmoid(x),
    "hard_swish": lambda x: x * hard_sigmoid(x),
    "mish": lambda x: x * np.tanh(softplus(x)),
    "exponential": lambda x: np.exp(x),
    "softmax": softmax,
    "log_softmax": log_softmax,
    "sparsemax": sparsemax,
}

# Activations that act on a whole group along the last axis rather than on each value alone.
ELEMENTWISE = {name: name not in ("softmax", "log_softmax", "sparsemax") for name in ACTIVATIONS}

# Names Keras knows that cannot serve as a layer's activation, with why.
NOT_LAYER_ACTIVATIONS = {
    "threshold": "keras.activations.threshold needs `threshold` and `default_value`, which an activation "
                 "given by name cannot pass; use relu or another activation",
    "glu": "glu halves the last axis (Keras' shape rule for Activation does not say so); shapecli does not "
           "support it: use a Dense layer and sigmoid gate explicitly",
}


def activate(name: str | None, x):
    return x if name is None else ACTIVATIONS[name](x)
