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


def plain_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def activation_of(name):
    """tanh and sigmoid written out; any other activation by its name, applied to one gate at a time."""
    if name == "tanh":
        return np.tanh
    if name == "sigmoid":
        return plain_sigmoid
    return lambda z: activate(name, z)


def recurrent_step(layer, x_t, states: list, weights: list) -> tuple:
    """One step of SimpleRNN, LSTM or GRU from their equations (Keras' gate order), in float64:
    (output h, new states). Nothing of the layer's own step is used."""
    kernel, recurrent = weights[0].astype(np.float64), weights[1].astype(np.float64)
    bias = weights[2].astype(np.float64) if layer.use_bias else None
    act = activation_of(layer.activation)
    u = layer.units
    h = states[0]
    if layer.keras_name == "SimpleRNN":
        h = act(x_t @ kernel + h @ recurrent + (0 if bias is None else bias))
        return h, [h]
    gate = activation_of(layer.recurrent_activation)
    if layer.keras_name == "LSTM":
        z = x_t @ kernel + h @ recurrent + (0 if bias is None else bias)
        i, f, g, o = gate(z[:, :u]), gate(z[:, u:2 * u]), act(z[:, 2 * u:3 * u]), gate(z[:, 3 * u:])
        c = f * states[1] + i * g
        h = o * act(c)
        return h, [h, c]
    if layer.reset_after:  # GRU: the reset gate multiplies the recurrent part, bias rows for input and recurrent
        xz = x_t @ kernel + (0 if bias is None else bias[0])
        hz = h @ recurrent + (0 if bias is None else bias[1])
        update, reset = gate(xz[:, :u] + hz[:, :u]), gate(xz[:, u:2 * u] + hz[:, u:2 * u])
        candidate = act(xz[:, 2 * u:] + reset * hz[:, 2 * u:])
    else:  # GRU: the reset gate multiplies the previous state before the recurrent kernel
        xz = x_t @ kernel + (0 if bias is None else bias)
        update = gate(xz[:, :u] + h @ recurrent[:, :u])
        reset = gate(xz[:, u:2 * u] + h @ recurrent[:, u:2 * u])
        candidate = act(xz[:, 2 * u:] + (reset * h) @ recurrent[:, 2 * u:])
    h = update * h + (1 - update) * candidate
    return h, [h]


def recurrent_loop(cell, x, weights, *, backwards: bool = False, mask=None, zeros_at_padding: bool = False,
                   initial_states=None, unrolled: bool = False):
    """A recurrent layer (the cell's) read sample by sample, step by step, from its equations
    (recurrent_step): (outputs in reading order, final states).

    It starts from `initial_states` (zeros when None). A padded step (mask False) is skipped: the state
    stays, and the output repeats the previous one — before any real step, the initial h (zeros when
    `unrolled`, as Keras' unrolled loop has it), or zeros throughout with `zeros_at_padding`."""
    layer = cell.layer
    count = 2 if layer.keras_name == "LSTM" else 1
    batch, steps = x.shape[0], x.shape[1]
    order = [steps - 1 - k for k in range(steps)] if backwards else list(range(steps))
    outputs = np.zeros((batch, steps, layer.units), np.float64)
    finals = []
    for b in range(batch):
        states = [np.zeros((1, layer.units)) for _ in range(count)] if initial_states is None else \
            [s[b:b + 1].astype(np.float64) for s in initial_states]
        previous = np.zeros((1, layer.units)) if unrolled else states[0]
        for k, t in enumerate(order):
            if mask is not None and not mask[b, t]:
                outputs[b, k] = 0 if zeros_at_padding else previous[0]
                continue
            previous, states = recurrent_step(layer, x[b:b + 1, t].astype(np.float64), states, weights)
            outputs[b, k] = previous[0]
        finals.append(states)
    return outputs, [np.concatenate([states[i] for states in finals]) for i in range(count)]


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


# -- layers called on several tensors: merges and attention ------------------------------------------------
import math  # noqa: E402  (used by the references below only)


def lined_up(position: tuple, shape: tuple) -> tuple:
    """Where the output's value at `position` (batch first, last axis left out) is read in an input of
    `shape`: the same sample, the input's other axes lined up with the output's last ones, and an axis of
    size 1 read at 0 (repeated). The last axis is returned as a slice, or 0 when the input has size 1 there."""
    own = position[len(position) - (len(shape) - 2):] if len(shape) > 2 else ()
    inner = tuple(0 if size == 1 else i for i, size in zip(own, shape[1:-1]))
    last = slice(None) if len(shape) > 1 and shape[-1] != 1 else 0
    return (position[0], *inner, last) if len(shape) > 1 else (position[0],)


def merge_values(combine, xs):
    """out[p] = combine(the value of each input at p), one position at a time (a whole last axis at once,
    where an input of size 1 there gives its one value to every entry)."""
    rank = max(x.ndim for x in xs)
    shape = [xs[0].shape[0]]
    for k in range(1, rank):  # the axes after the batch, lined up from the last
        sizes = [x.shape[x.ndim - rank + k] for x in xs if x.ndim - rank + k >= 1]
        shape.append(max(sizes))
    out = np.zeros(shape, np.float64)
    for position in index_product(*(range(n) for n in shape[:-1])):
        values = [np.asarray(x[lined_up(position, x.shape)], np.float64) for x in xs]
        out[position] = combine(values)
    return out


def total(values):
    result = 0.0
    for v in values:
        result = result + v
    return result


def difference(values):
    first, second = values
    return first - second


def product(values):
    result = 1.0
    for v in values:
        result = result * v
    return result


def mean(values):
    return total(values) / len(values)


def largest(values):
    best = values[0]
    for v in values[1:]:
        best = np.where(v > best, v, best)
    return best


def smallest(values):
    best = values[0]
    for v in values[1:]:
        best = np.where(v < best, v, best)
    return best


def concatenate(xs, axis: int):
    """The index map: entry k along `axis` of the output is entry j of input i, the inputs in order."""
    axis = axis % xs[0].ndim
    sources = [(i, j) for i, x in enumerate(xs) for j in range(x.shape[axis])]
    shape = list(xs[0].shape)
    shape[axis] = len(sources)
    out = np.zeros(shape, xs[0].dtype)
    before = (slice(None),) * axis
    for k, (i, j) in enumerate(sources):
        out[before + (k,)] = xs[i][before + (j,)]
    return out


def scaled_to_length_1(x, axis: int):
    """Each vector along `axis` divided by its length √(Σ v²); a zero vector is left as it is."""
    x = x.astype(np.float64)
    out = np.zeros(x.shape)
    others = [range(n) for k, n in enumerate(x.shape) if k != axis]
    for index in index_product(*others):
        where = (*index[:axis], slice(None), *index[axis:])
        vector = x[where]
        length = math.sqrt(sum(float(v) * float(v) for v in vector))
        out[where] = vector / (length if length else 1.0)
    return out


def dot(x1, x2, axis1: int, axis2: int, normalize: bool):
    """For each sample and each pairing of the positions left in x1 and x2: Σ_k x1[.., k, ..]·x2[.., k, ..],
    an explicit sum over the summed axes (axis1 of x1, axis2 of x2)."""
    if normalize:
        x1, x2 = scaled_to_length_1(x1, axis1), scaled_to_length_1(x2, axis2)
    rest1 = [n for k, n in enumerate(x1.shape) if k not in (0, axis1)]
    rest2 = [n for k, n in enumerate(x2.shape) if k not in (0, axis2)]
    out = np.zeros((x1.shape[0], *rest1, *rest2))
    for b in range(x1.shape[0]):
        for i in index_product(*(range(n) for n in rest1)):
            v1 = x1[b][(*i[:axis1 - 1], slice(None), *i[axis1 - 1:])]
            for j in index_product(*(range(n) for n in rest2)):
                v2 = x2[b][(*j[:axis2 - 1], slice(None), *j[axis2 - 1:])]
                out[(b, *i, *j)] = sum(float(p) * float(q) for p, q in zip(v1, v2))
    return out.reshape(-1, 1) if out.ndim == 1 else out


def softmax_of(scores: list) -> list:
    """exp(s − max) / Σ exp(s − max), for a list of numbers."""
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    whole = sum(exps)
    return [e / whole for e in exps]


def dot_score(scale: float = 1.0):
    return lambda q, k: scale * float(np.sum(q * k))


def concat_score(scale: float, weight: float):
    return lambda q, k: weight * float(np.sum(np.tanh(scale * (q + k))))


def additive_score(scale):
    return lambda q, k: float(np.sum(scale * np.tanh(q + k)))


def attention(query, value, key, score):
    """Attention read query step by query step (at each sample and each position of the axes before the
    steps): a score of the query vector against every key step, their softmax, and the weighted sum of
    the value steps. Returns (outputs, weights), the weights (..., query steps, key steps)."""
    key = value if key is None else key
    lead = query.shape[:-2]
    steps_q, steps_v = query.shape[-2], value.shape[-2]
    out = np.zeros((*lead, steps_q, value.shape[-1]))
    weights = np.zeros((*lead, steps_q, steps_v))
    for position in index_product(*(range(n) for n in lead)):
        q_steps, k_steps, v_steps = (a[position].astype(np.float64) for a in (query, key, value))
        for i in range(steps_q):
            w = softmax_of([score(q_steps[i], k_steps[j]) for j in range(steps_v)])
            weights[position][i] = w
            out[position][i] = weighted_sum(w, v_steps)
    return out, weights


def weighted_sum(weights, vectors):
    """Σ_j weights[j]·vectors[j], written out."""
    result = np.zeros(vectors.shape[1:])
    for w, v in zip(weights, vectors):
        result = result + float(w) * v.astype(np.float64)
    return result


def attention_output(weights, value):
    """weights·values at every query step: out[.., i, :] = Σ_j weights[.., i, j]·value[.., j, :]."""
    lead = weights.shape[:-1]
    out = np.zeros((*lead, value.shape[-1]))
    for position in index_product(*(range(n) for n in lead)):
        out[position] = weighted_sum(weights[position], value[position[:-1]])
    return out


def multi_head_attention(query, value, key, weights, *, num_heads: int, key_dim: int, use_bias: bool,
                         attention_axes: tuple):
    """MultiHeadAttention computed head by head. For each sample, each position of the axes attention does
    not run over, and each head n: project every key and value position (x·W[:, n, :] + b[n]), then for each
    query position its projected query / √key_dim scored against every key, the softmax of those scores, and
    the weighted sum of the projected values; the heads' results then each go through their part of the
    output kernel and are added, plus the output bias. Returns (output, weights), weights a list of
    (heads, query positions, key positions) arrays, one per sample and outer position."""
    key = value if key is None else key
    if use_bias:
        wq, bq, wk, bk, wv, bv, wo, bo = (w.astype(np.float64) for w in weights)
    else:
        wq, wk, wv, wo = (w.astype(np.float64) for w in weights)
        bq = bk = np.zeros(wq.shape[1:])
        bv = np.zeros(wv.shape[1:])
        bo = np.zeros(wo.shape[2:])
    rank = query.ndim
    inner = sorted(attention_axes)
    outer = [a for a in range(1, rank - 1) if a not in inner]

    def at(b, outer_index, inner_index):
        index = [b] + [0] * (rank - 2)
        for a, i in zip(outer, outer_index):
            index[a] = i
        for a, i in zip(inner, inner_index):
            index[a] = i
        return tuple(index)

    out = np.zeros((*query.shape[:-1], *wo.shape[2:]))
    all_weights = []
    for b in range(query.shape[0]):
        for o in index_product(*(range(query.shape[a]) for a in outer)):
            q_positions = list(index_product(*(range(query.shape[a]) for a in inner)))
            k_positions = list(index_product(*(range(key.shape[a]) for a in inner)))
            head_weights = np.zeros((num_heads, len(q_positions), len(k_positions)))
            for n in range(num_heads):
                keys = [key[at(b, o, p)].astype(np.float64) @ wk[:, n, :] + bk[n] for p in k_positions]
                values = np.array([value[at(b, o, p)].astype(np.float64) @ wv[:, n, :] + bv[n] for p in k_positions])
                for i, p in enumerate(q_positions):
                    q = (query[at(b, o, p)].astype(np.float64) @ wq[:, n, :] + bq[n]) / math.sqrt(key_dim)
                    w = softmax_of([float(np.sum(q * k)) for k in keys])
                    head_weights[n, i] = w
                    head = weighted_sum(w, values)
                    out[at(b, o, p)] += np.tensordot(head, wo[n], axes=1)
            all_weights.append(head_weights)
    return out + bo, all_weights
