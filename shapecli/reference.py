"""References for the claims: each layer's meaning computed the slow, obvious way.

Nothing here is used by a layer's forward, and nothing here calls one: an explicit loop over
samples and steps, an index map, a merge written out as `f + b`. Where a claim's expected value
comes from here, a forward that breaks its sentence cannot agree with it by sharing the mistake.
"""

from __future__ import annotations

from itertools import product as index_product

from .activations import activate
from .lazy_numpy import np


def each_position(x, compute, width: int):
    """`compute(vector)` at every position of x's leading axes, one position at a time."""
    out = np.zeros((*x.shape[:-1], width), np.float64)
    for position in index_product(*(range(n) for n in x.shape[:-1])):
        out[position] = compute(x[position].astype(np.float64))
    return out


def dense(x, kernel, bias, activation):
    """y[..., u] = activation(Σ_f x[..., f]·kernel[f, u] + bias[u]), position by position."""
    def one(vector):
        total = vector @ kernel.astype(np.float64)
        return total if bias is None else total + bias
    return activate(activation, each_position(x, one, kernel.shape[1]))


def recurrent_loop(cell, x, weights, *, backwards: bool = False, mask=None, zeros_at_padding: bool = False,
                   initial_states=None, unrolled: bool = False):
    """A recurrent layer read sample by sample, step by step: (outputs in reading order, final states).

    It starts from `initial_states` (zeros when None). A padded step (mask False) is skipped: the state
    stays, and the output repeats the previous one — before any real step, the initial h (zeros when
    `unrolled`, as Keras' unrolled loop has it), or zeros throughout with `zeros_at_padding`."""
    kernel = weights[0]
    bias = cell.input_bias(weights)
    batch, steps = x.shape[0], x.shape[1]
    order = [steps - 1 - k for k in range(steps)] if backwards else list(range(steps))
    outputs = np.zeros((batch, steps, cell.units), x.dtype)
    finals = []
    for b in range(batch):
        states = cell.initial_states(1, x.dtype) if initial_states is None else [s[b:b + 1].copy() for s in initial_states]
        previous = np.zeros((1, cell.units), x.dtype) if unrolled else states[0].copy()
        for k, t in enumerate(order):
            if mask is not None and not mask[b, t]:
                outputs[b, k] = 0 if zeros_at_padding else previous[0]
                continue
            xw = x[b:b + 1, t] @ kernel
            if bias is not None:
                xw = xw + bias
            previous, states = cell.step(xw, [s.copy() for s in states], weights)
            outputs[b, k] = previous[0]
        finals.append(states)
    return outputs, [np.concatenate([states[i] for states in finals]) for i in range(len(finals[0]))]


def merge(mode: str, forward, backward):
    """Bidirectional's merge modes, written out."""
    if mode == "concat":
        return np.concatenate([forward, backward], axis=-1)
    if mode == "sum":
        return forward + backward
    if mode == "mul":
        return forward * backward
    if mode == "ave":
        return (forward + backward) / 2
    raise ValueError(f"no merge mode {mode!r}")


def flatten_order(shape: tuple, channels_first: bool) -> list[tuple]:
    """The source index of each flattened value: row-major over the (channels-last) axes."""
    axes = list(shape[1:])
    if channels_first and len(axes) > 1:
        axes = axes[1:] + axes[:1]  # read as (steps..., channels)
    order = []
    for index in index_product(*(range(n) for n in axes)):
        order.append((index[-1], *index[:-1]) if channels_first and len(axes) > 1 else index)
    return order


def flatten(x, channels_first: bool):
    order = flatten_order(x.shape, channels_first)
    out = np.empty((x.shape[0], len(order)), x.dtype)
    for k, index in enumerate(order):
        out[:, k] = x[(slice(None), *index)]
    return out


def lookup(ids, table):
    """Row `id` of the table for every id: each distinct id is looked up once and put where it stands."""
    out = np.zeros((*ids.shape, table.shape[1]), table.dtype)
    for token in np.unique(ids):
        out[ids == token] = table[int(token)]
    return out


def steps_last(x, channels_first: bool):
    """(batch, channels, steps) read as (batch, steps, channels)."""
    return np.swapaxes(x, 1, 2) if channels_first else x


def conv1d(x, kernel, bias, *, strides: int, dilation: int, padding: str, groups: int, activation):
    """Output step j, filter f = Σ over taps and the filter's group of channels of x[j·s + tap·d − left]·kernel,
    where a position before the start or past the end reads zero (padding)."""
    length, channels = x.shape[1], x.shape[2]
    taps, filters = kernel.shape[0], kernel.shape[2]
    span = dilation * (taps - 1) + 1
    if padding == "valid":
        out_len, left = (length - span) // strides + 1, 0
    else:
        out_len = -(-length // strides)
        left = span - 1 if padding == "causal" else max((out_len - 1) * strides + span - length, 0) // 2
    per_group_in, per_group_out = channels // groups, filters // groups
    y = np.zeros((x.shape[0], out_len, filters), np.float64)
    for j in range(out_len):
        for tap in range(taps):
            source = j * strides + tap * dilation - left
            if not 0 <= source < length:
                continue
            for f in range(filters):
                g = f // per_group_out
                y[:, j, f] += x[:, source, g * per_group_in:(g + 1) * per_group_in] @ kernel[tap, :, f]
    if bias is not None:
        y += bias
    return activate(activation, y)


def max_pool(x, pool: int, strides: int, padding: str):
    """The largest value of each window of real positions."""
    length = x.shape[1]
    if padding == "valid":
        out_len, left = (length - pool) // strides + 1, 0
    else:
        out_len = -(-length // strides)
        left = max((out_len - 1) * strides + pool - length, 0) // 2
    y = np.empty((x.shape[0], out_len, x.shape[2]), x.dtype)
    for j in range(out_len):
        start = j * strides - left
        window = x[:, max(start, 0):min(start + pool, length)]
        y[:, j] = window.max(axis=1)
    return y


def masked_mean(x, mask):
    """Per sample: the mean over the real steps only (all steps without a mask)."""
    out = np.zeros((x.shape[0], x.shape[2]), np.float64)
    for b in range(x.shape[0]):
        real = [t for t in range(x.shape[1]) if mask is None or mask[b, t]]
        out[b] = sum(x[b, t].astype(np.float64) for t in real) / max(len(real), 1)
    return out
