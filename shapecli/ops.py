"""Small NumPy helpers shared by the layers' forwards."""

from __future__ import annotations

from .lazy_numpy import np


def dot_last(x, w):
    """x · w over x's last axis, for any rank: one 2D matrix product (BLAS), not a batch of small ones."""
    return (x.reshape(-1, x.shape[-1]) @ w).reshape(*x.shape[:-1], w.shape[-1])


def project_steps(x, kernel):
    """x · kernel for every step of a (batch, time, features) sequence at once, time-major: (time, batch, width),
    so that each step's rows are one contiguous block. A kernel with one row more than there are features
    carries the bias in that row: it rides in the same matrix product (as a feature that is always 1), with
    no separate pass over the result."""
    batch, steps, features = x.shape
    if kernel.shape[0] == features:
        return dot_last(x.transpose(1, 0, 2), kernel)
    rows = np.empty((steps, batch, features + 1), np.result_type(x, kernel))
    rows[..., :features] = x.transpose(1, 0, 2)
    rows[..., features] = 1
    out = np.empty((steps, batch, kernel.shape[1]), rows.dtype)
    np.matmul(rows.reshape(steps * batch, features + 1), kernel, out=out.reshape(steps * batch, kernel.shape[1]))
    return out


def sigmoid_(z):
    """In place: z ← 1 / (1 + e^(−z)). Three passes, each faster than np.tanh's one on large arrays."""
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1
    np.reciprocal(z, out=z)
    return z


def tanh_(x):
    """In place: x ← tanh(x). NumPy 2's own np.tanh (SIMD) is the fastest for the per-step blocks up to a few
    thousand values, where the five-pass 2·sigmoid(2x) − 1 spends more time calling than computing."""
    return np.tanh(x, out=x)
