"""Attention layers, called on [query, value] or [query, value, key]: Attention (Luong, dot or concat
scores), AdditiveAttention (Bahdanau) and MultiHeadAttention (keras/src/layers/attention).

Keras builds Attention and AdditiveAttention without checking that the query, key and value fit each
other, and fails only when the model runs; shapecli says so before. Like the merges, these layers are
kept in GRAPH_LAYERS (see merging.py): a sequential stack cannot call them on several tensors.
"""

from __future__ import annotations

import math
from typing import Any

from .. import reference
from ..claims import WHY, Claim, same_numbers
from ..errors import ArgumentError, ShapeMismatch, describe_value
from ..lazy_numpy import np
from ..shapes import Dim, Shape, format_shape
from .base import (
    REQUIRED, Arg, Layer, _show, boolean, choice, fraction, ignored, normal, optional, plural, positive_int, small_weight,
)
from .merging import Multi, graph_layer, shapes_of

INPUTS = "[query, value] or [query, value, key]"
RUNS_BUT_FAILS = "Keras builds this model but fails when it runs"


def softmax_last(scores):
    e = np.exp(scores - np.max(scores, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def steps(d: Dim, what: str) -> str:
    """'the 7 value steps', 'the value steps (tv of them)'."""
    return f"the {d} {what} steps" if d.is_known else f"the {what} steps ({d} of them)"


def each(d: Dim, what: str) -> str:
    """'each of the 4 query steps', 'each query step (tq of them)'."""
    return f"each of the {d} {what} steps" if d.is_known else f"each {what} step ({d} of them)"


def query_value_key(layer: Layer, input_shape) -> tuple[Shape, Shape, Shape, bool]:
    """The query, value and key shapes (the key is the value when not given), all of one rank ≥ 3."""
    shapes = shapes_of(layer, input_shape, 2, 3, INPUTS)
    query, value = shapes[0], shapes[1]
    key = shapes[2] if len(shapes) == 3 else value
    named = list(zip(("query", "value", "key"), shapes))
    for name, shape in named:
        if len(shape) < 3:
            raise ShapeMismatch(
                f"{layer.keras_name} needs each input to have steps, (batch, steps, features), but the {name} is "
                f"{format_shape(shape)}" + (": on 2D inputs Keras would attend across the samples of the batch"
                                            if layer.keras_name != "MultiHeadAttention" else f": {RUNS_BUT_FAILS}"),
                expected="(batch, steps, features), 3D or more", found=f"the {name} {format_shape(shape)}",
                fix="give it a steps axis: a recurrent layer with return_sequences=True, or Reshape([1, features]) "
                    "for one step", wanted_rank=3)
    for name, shape in named[1:]:
        if len(shape) != len(query):
            raise ShapeMismatch(
                f"{layer.keras_name} needs the query, value and key to have the same number of axes, but the query is "
                f"{format_shape(query)} and the {name} {format_shape(shape)}: {RUNS_BUT_FAILS}",
                expected=f"{len(query)}D inputs", found=f"a {len(shape)}D {name}",
                fix="bring both to (batch, steps, features)")
    return query, value, key, len(shapes) == 3


def clash(layer: Layer, what: str, a: Dim, b: Dim, shapes: str, fix: str, keras: str = RUNS_BUT_FAILS) -> None:
    """Raise when two sizes that must be equal are fixed and differ."""
    if a != b and a.is_known and b.is_known:
        raise ShapeMismatch(f"{layer.keras_name} needs {what}, but {shapes}: {keras}",
                            expected=f"{what}", found=f"{a} and {b}", fix=fix)


@graph_layer
class Attention(Multi):
    """Dot-product (Luong) attention: scores = query·key (or Σ tanh(query + key) with score_mode="concat"),
    softmax over the key steps, output = weights·value."""

    arguments = {
        "use_scale": Arg(boolean, False),
        "score_mode": Arg(choice("dot", "concat"), "dot"),
        "dropout": Arg(fraction, 0.0),
        **ignored("seed"),
    }

    additive = False

    def shapes(self, input_shape) -> tuple[Shape, Shape, Shape, bool]:
        query, value, key, key_given = query_value_key(self, input_shape)
        pairs = (f"the query is {format_shape(query)}, the value {format_shape(value)} and the key {format_shape(key)}"
                 if key_given else
                 f"the query is {format_shape(query)} and the value {format_shape(value)}, which is also the key")
        for k in range(1, len(query) - 2):
            for name, shape in (("value", value), ("key", key)):
                clash(self, f"the query and the {name} to agree on axis {k}", query[k], shape[k], pairs,
                      "give the inputs the same leading axes")
        if key_given:
            clash(self, "the key and the value to have the same number of steps (each key step scores the value step "
                        "at its place)", key[-2], value[-2], pairs, "pass a key with as many steps as the value")
        q, k = query[-1], key[-1]
        if self.additive or self.score_mode == "concat":
            if not (q == 1 or k == 1):
                clash(self, "the query and the key to have the same number of features (they are added before tanh), "
                            "or 1 in one of them", q, k, pairs, f"project one of them to {q} features with Dense({q})")
        else:
            clash(self, "the query and the key to have the same number of features (their dot product is the score)",
                  q, k, pairs, f"project one of them to {q} features with Dense({q}), or pass a key with {q} features")
        return query, value, key, key_given

    def output_shape(self, input_shape) -> Shape:
        query, value, _, _ = self.shapes(input_shape)
        return (*query[:-1], value[-1])

    def weight_shapes(self, input_shape) -> list:
        self.shapes(input_shape)
        found = [("scale", ())] if self.use_scale else []
        if self.score_mode == "concat":
            found.append(("concat_score_weight", ()))
        return found

    def draw_weights(self, input_shape, rng) -> list:
        return [np.asarray(normal(shape, rng, 0.1, mean=1.0), np.float32)  # scalars near Keras' initial 1
                for _, shape in self.weight_shapes(input_shape)]

    def scratch_size(self, input_shape) -> Dim:
        query, value, key, _ = self.shapes(input_shape)
        scores = query[0] * query[-2] * value[-2]
        for d in query[1:-2]:
            scores = scores * d
        if self.additive or self.score_mode == "concat":
            return scores * 2 * (query[-1] if query[-1] != 1 else key[-1])
        return scores * 2

    # -- numbers ---------------------------------------------------------------------------------------
    def unpack(self, x) -> tuple:
        query, value = x[0], x[1]
        return query, value, x[2] if len(x) > 2 else value

    def scale_and_weight(self, weights: list) -> tuple:
        scale = weights[0] if self.use_scale else None
        weight = weights[-1] if self.score_mode == "concat" else None
        return scale, weight

    def scores(self, query, key, weights: list):
        scale, weight = self.scale_and_weight(weights)
        if self.score_mode == "dot":
            found = query @ np.swapaxes(key, -2, -1)
            return found * scale if scale is not None else found
        summed = query[..., :, None, :] + key[..., None, :, :]
        if scale is not None:
            summed = scale * summed
        return weight * np.sum(np.tanh(summed), axis=-1)

    def forward(self, x, weights: list, mask=None):
        query, value, key = self.unpack(x)
        return (softmax_last(self.scores(query, key, weights)) @ value).astype(np.float32, copy=False)

    def score_function(self, weights: list):
        scale, weight = self.scale_and_weight(weights)
        scale = 1.0 if scale is None else float(scale)
        if self.score_mode == "dot":
            return reference.dot_score(scale)
        return reference.concat_score(scale, float(weight))

    def claims(self, x, y, weights: list, mask=None) -> list:
        query, value, key = self.unpack(x)
        expected, attention_weights = reference.attention(query, value, key if len(x) > 2 else None,
                                                          self.score_function(weights))
        name = self.keras_name
        found = [same_numbers(f"each query step's output is the weighted average of the value steps, with the "
                              f"softmax of its {self.score_words()} scores against the key steps as weights "
                              "(computed one query step at a time)", expected, y, kind=f"{name}.weighted_average")]
        found.append(weights_sum_to_1(f"{name}.weights_sum_to_1", attention_weights,
                                      reference.attention_output(attention_weights, value), y))
        return found

    def score_words(self) -> str:
        if self.score_mode == "dot":
            return "query·key" + (" × scale" if self.use_scale else "")
        return "Σ tanh(" + ("scale·" if self.use_scale else "") + "(query + key))"

    def why(self, input_shape, output_shape) -> str:
        query, value, key, key_given = self.shapes(input_shape)
        if self.score_mode == "dot":
            scores = f"softmax of query·key scores{' times a learned scale' if self.use_scale else ''}"
        else:
            scale = ", after a learned scale," if self.use_scale else ""
            scores = (f"softmax of scores that add query and key{scale} apply tanh and sum the features (times a "
                      "learned weight)")
        return attention_why(self, query, value, key_given, scores, output_shape)


def attention_why(layer, query, value, key_given: bool, scores: str, output_shape) -> str:
    keys = " (the key's steps score them)" if key_given else ""
    lead = ""
    if len(query) > 3:
        lead = f"at each position of the ({', '.join(map(str, query[1:-2]))}) axes, "
    dropout = "; dropout on the weights acts only in training" if layer.dropout else ""
    return (f"{lead}{each(query[-2], 'query')} takes a weighted average of {steps(value[-2], 'value')}{keys}; the "
            f"weights, {scores}, sum to 1 over the keys; the output keeps the query's steps and the value's "
            f"{value[-1]} features: {format_shape(output_shape)}{dropout}")


def weights_sum_to_1(kind: str, attention_weights, expected_output, y) -> Claim:
    """The attention weights, recomputed, sum to 1 over the keys, and the output is weights·values."""
    rows = attention_weights if isinstance(attention_weights, np.ndarray) else \
        np.concatenate([w.reshape(-1, w.shape[-1]) for w in attention_weights])
    sums = same_numbers("", np.ones(rows.shape[:-1]), rows.sum(axis=-1), "1 everywhere")
    output = same_numbers("", expected_output, y)
    return Claim("the attention weights sum to 1 over the keys, and the output is weights·values with those "
                 "weights", f"sums {sums.expected}; output {output.expected}",
                 f"sums {sums.observed}; output {output.observed}", sums.ok and output.ok, kind, WHY)


@graph_layer
class AdditiveAttention(Attention):
    """Additive (Bahdanau) attention: scores = Σ scale·tanh(query + key), softmax over the key steps."""

    arguments = {
        "use_scale": Arg(boolean, True),
        "dropout": Arg(fraction, 0.0),
        "score_mode": Arg(choice("dot", "concat"), "dot", shown=False,
                          note="AdditiveAttention takes score_mode (it passes it on to Attention) but ignores it: its "
                               "scores always add query and key"),
        **ignored("seed"),
    }
    additive = True  # its scores add query and key, whatever score_mode says

    def weight_shapes(self, input_shape) -> list:
        query, _, _, _ = self.shapes(input_shape)
        if not self.use_scale:
            return []
        dim = self.require_known(query[-1], "the query's features",
                                 "its scale has one weight per feature of the query",
                                 "give the query's last axis a fixed size")
        return [("scale", (dim,))]

    def draw_weights(self, input_shape, rng) -> list:
        return [normal(shape, rng, 1 / max(shape[0], 1) ** 0.5) for _, shape in self.weight_shapes(input_shape)]

    def scores(self, query, key, weights: list):
        summed = np.tanh(query[..., :, None, :] + key[..., None, :, :])
        if self.use_scale:
            summed = weights[0] * summed
        return np.sum(summed, axis=-1)

    def score_function(self, weights: list):
        scale = weights[0].astype(np.float64) if self.use_scale else 1.0
        return reference.additive_score(scale)

    def score_words(self) -> str:
        return "Σ " + ("scale·" if self.use_scale else "") + "tanh(query + key)"

    def why(self, input_shape, output_shape) -> str:
        query, value, key, key_given = self.shapes(input_shape)
        scale = ", weighted by a learned scale per feature," if self.use_scale else ""
        return attention_why(self, query, value, key_given,
                             f"softmax of scores that add query and key, apply tanh and sum the features{scale}",
                             output_shape)


# -- MultiHeadAttention --------------------------------------------------------------------------------
def sizes(value: Any, name: str, ctx) -> list[int]:
    """An integer or a list of positive integers (MultiHeadAttention's output_shape)."""
    if isinstance(value, list):
        if not value:
            raise ArgumentError(name, f"`{name}` needs at least one size", expected="a positive integer or a list "
                                "such as [2, 5]", found="an empty list")
        return [positive_int(v, name, ctx, item=i) for i, v in enumerate(value)]
    return [positive_int(value, name, ctx)]


def axes_list(value: Any, name: str, ctx) -> list[int]:
    if isinstance(value, list):
        if not value:
            raise ArgumentError(name, f"`{name}` needs at least one axis", expected="an axis such as 1, or a list",
                                found="an empty list")
        for i, v in enumerate(value):
            if isinstance(v, bool) or not isinstance(v, int):
                raise ArgumentError(name, f"`{name}` must hold integers", expected="axes such as [1, 2]",
                                    found=describe_value(v), item=i)
        return list(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(name, f"`{name}` must be an axis or a list of axes", expected="an integer such as 1",
                            found=describe_value(value))
    return [value]


@graph_layer
class MultiHeadAttention(Multi):
    """Multi-head scaled dot-product attention with query/key/value/output projections (EinsumDense)."""

    arguments = {
        "num_heads": Arg(positive_int),
        "key_dim": Arg(positive_int),
        "value_dim": Arg(optional(positive_int), None),
        "dropout": Arg(fraction, 0.0),
        "use_bias": Arg(boolean, True),
        "output_shape": Arg(optional(sizes), None),
        "attention_axes": Arg(optional(axes_list), None),
        **ignored("kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
                  "kernel_constraint", "bias_constraint", "seed", "flash_attention"),
    }

    def check(self) -> None:
        # The argument `output_shape` must not hide the method output_shape: keep it under another name.
        self.projection_shape = self.__dict__.pop("output_shape")

    def config(self) -> dict[str, Any]:
        return {key: self.projection_shape if key == "output_shape" else getattr(self, key) for key in self.arguments}

    def title(self) -> str:
        values, parts = self.config(), []
        for key, arg in self.arguments.items():
            if arg.default is REQUIRED:
                parts.append(_show(values[key]))
            elif arg.shown and values[key] != arg.default:
                parts.append(f"{key}={_show(values[key])}")
        return f"{self.keras_name}({', '.join(parts)})"

    @property
    def head_value_dim(self) -> int:
        return self.value_dim or self.key_dim

    # -- shapes --------------------------------------------------------------------------------------------
    def layout(self, input_shape) -> tuple[Shape, Shape, Shape, list[int], list[int]]:
        """The query, value and key shapes, the axes attention runs over and the other (outer) ones."""
        query, value, key, key_given = query_value_key(self, input_shape)
        rank = len(query)
        if key_given:
            for k in range(1, rank - 1):
                if value[k] != key[k] and (value[k].is_known or key[k].is_known):
                    free = " (Keras refuses a free size against a fixed one here)" if not (
                        value[k].is_known and key[k].is_known) else ""
                    raise ShapeMismatch(
                        f"MultiHeadAttention needs the value and the key equal on every axis but the last: "
                        f"{format_shape(value)} and {format_shape(key)} differ on axis {k}{free}",
                        expected=f"the key's axes 1 to {rank - 2} as the value's", found=f"{value[k]} and {key[k]}",
                        fix="each key position belongs to the value position at its place: give them as many steps")
        for name, shape in (("query", query), ("value", value), ("key", key)):
            self.require_known(shape[-1], f"the {name}'s features",
                               f"the {name} projection's kernel is (features × heads × size)",
                               f"give the {name}'s last axis a fixed size")
        inner = self.attention_axes_of(rank)
        outer = [a for a in range(1, rank - 1) if a not in inner]
        for a in outer:
            for name, shape in (("value", value), ("key", key)):
                if query[a] != shape[a] and query[a].is_known and shape[a].is_known:
                    raise ShapeMismatch(
                        f"MultiHeadAttention attends over axes {tuple(inner)} only, so the query and the {name} must "
                        f"agree on axis {a}, but {format_shape(query)} and {format_shape(shape)} have {query[a]} and "
                        f"{shape[a]}: {RUNS_BUT_FAILS}",
                        expected=f"the same size on axis {a}", found=f"{query[a]} and {shape[a]}",
                        fix=f"add axis {a} to attention_axes, or give the inputs the same size there")
        return query, value, key, inner, outer

    def attention_axes_of(self, rank: int) -> list[int]:
        """The axes attention runs over, counted from 0 (the batch), as Keras reads attention_axes."""
        if self.attention_axes is None or (rank == 3 and not self.dropout):
            return list(range(1, rank - 1))  # Keras ignores attention_axes on 3D inputs (without dropout)
        found = []
        for axis in self.attention_axes:
            normal_axis = axis if axis >= 0 else rank + axis
            if not 1 <= normal_axis <= rank - 2:
                raise ShapeMismatch(
                    f"attention_axes={self.attention_axes} names axis {axis}, but on {rank}D inputs attention can run "
                    f"over axes 1 to {rank - 2} only (not the batch, not the features): {RUNS_BUT_FAILS}",
                    expected=f"axes from 1 to {rank - 2}", found=f"axis {axis}",
                    fix="leave attention_axes out to attend over every axis between the batch and the features")
            if normal_axis in found:
                raise ShapeMismatch(f"attention_axes={self.attention_axes} names axis {normal_axis} twice",
                                    expected="each axis once", found=str(self.attention_axes))
            found.append(normal_axis)
        return sorted(found)

    def output_dims(self, query: Shape) -> list[int]:
        return list(self.projection_shape) if self.projection_shape else [query[-1].value]

    def output_shape(self, input_shape) -> Shape:
        query, _, _, _, _ = self.layout(input_shape)
        return (*query[:-1], *(Dim.of(n) for n in self.output_dims(query)))

    def weight_shapes(self, input_shape) -> list:
        query, value, key, _, _ = self.layout(input_shape)
        heads, hk, hv = self.num_heads, self.key_dim, self.head_value_dim
        out = tuple(self.output_dims(query))
        found = [("query/kernel", (query[-1].value, heads, hk)), ("query/bias", (heads, hk)),
                 ("key/kernel", (key[-1].value, heads, hk)), ("key/bias", (heads, hk)),
                 ("value/kernel", (value[-1].value, heads, hv)), ("value/bias", (heads, hv)),
                 ("attention_output/kernel", (heads, hv, *out)), ("attention_output/bias", out)]
        return [(name, shape) for name, shape in found if self.use_bias or not name.endswith("bias")]

    def draw_weights(self, input_shape, rng) -> list:
        drawn = []
        for name, shape in self.weight_shapes(input_shape):
            if name.endswith("bias"):
                drawn.append(small_weight(shape, rng))
            else:
                fan_in = shape[0] * (shape[1] if name.startswith("attention_output") else 1)
                drawn.append(normal(shape, rng, 1 / fan_in ** 0.5))
        return drawn

    def scratch_size(self, input_shape) -> Dim:
        query, value, key, inner, outer = self.layout(input_shape)
        scores = query[0] * self.num_heads
        for a in outer:
            scores = scores * query[a]
        for a in inner:
            scores = scores * query[a] * key[a]
        projected = Dim.of(0)
        for shape, size in ((query, self.key_dim), (key, self.key_dim), (value, self.head_value_dim)):
            count = Dim.of(self.num_heads * size)
            for d in shape[:-1]:
                count = count * d
            projected = projected + count
        return scores * 2 + projected * 2

    # -- numbers ---------------------------------------------------------------------------------------
    def unpack_weights(self, weights: list) -> tuple:
        if self.use_bias:
            return tuple(weights)
        wq, wk, wv, wo = weights
        return wq, None, wk, None, wv, None, wo, None

    def forward(self, x, weights: list, mask=None):
        query, value = x[0], x[1]
        key = x[2] if len(x) > 2 else value
        wq, bq, wk, bk, wv, bv, wo, bo = self.unpack_weights(weights)
        rank = query.ndim
        inner = self.attention_axes_of(rank)
        outer = [a for a in range(1, rank - 1) if a not in inner]

        def project(a, kernel, bias):
            out = np.tensordot(a, kernel, axes=1)
            return out if bias is None else out + bias

        q = project(query, wq, bq) * np.asarray(1 / math.sqrt(self.key_dim), query.dtype)
        k, v = project(key, wk, bk), project(value, wv, bv)
        order = [0, *outer, rank - 1, *inner, rank]  # (batch, outer..., heads, attended..., size)

        def gathered(a):
            moved = a.transpose(order)
            return moved.reshape(*moved.shape[:len(outer) + 2], -1, moved.shape[-1])

        q_moved = q.transpose(order)
        scores = gathered(q) @ np.swapaxes(gathered(k), -1, -2)
        combined = softmax_last(scores) @ gathered(v)
        combined = combined.reshape(*q_moved.shape[:-1], combined.shape[-1]).transpose(np.argsort(order))
        out = np.tensordot(combined, wo, axes=2)
        if bo is not None:
            out = out + bo
        return out.astype(np.float32, copy=False)

    def claims(self, x, y, weights: list, mask=None) -> list:
        query, value = x[0], x[1]
        key = x[2] if len(x) > 2 else None
        expected, attention_weights = reference.multi_head_attention(
            query, value, key, weights, num_heads=self.num_heads, key_dim=self.key_dim, use_bias=self.use_bias,
            attention_axes=tuple(self.attention_axes_of(query.ndim)))
        return [same_numbers(f"equals the {plural(self.num_heads, 'head')} computed one by one (each: its own "
                             f"projections, softmax of query·key/√{self.key_dim}, weighted sum of the values), "
                             "joined by the output projection", expected, y, kind="MultiHeadAttention.each_head"),
                weights_sum_to_1("MultiHeadAttention.weights_sum_to_1", attention_weights, expected, y)]

    def why(self, input_shape, output_shape) -> str:
        query, value, key, inner, outer = self.layout(input_shape)
        heads, hk, hv = self.num_heads, self.key_dim, self.head_value_dim
        if len(inner) == 1 and not outer:
            who, whom = each(query[1], "query"), steps(value[1], "value")
        else:
            names = f"axis {inner[0]}" if len(inner) == 1 else f"axes {', '.join(map(str, inner))}"
            q_grid = " × ".join(str(query[a]) for a in inner)
            v_grid = " × ".join(str(value[a]) for a in inner)
            where = (f"separately at each position of axis {', '.join(map(str, outer))} "
                     f"({' × '.join(str(query[a]) for a in outer)}), " if outer else "")
            who = f"{where}each of the {q_grid} query positions along {names}"
            whom = f"the {v_grid} value positions along {names}"
        target = (f"output_shape {format_shape(tuple(Dim.of(n) for n in self.projection_shape))}"
                  if self.projection_shape else f"{query[-1]} features, the query's last axis")
        dropout = "; dropout on the weights acts only in training" if self.dropout else ""
        return (f"{plural(heads, 'head')}: each projects the query and key to {hk} numbers and the value to {hv}; "
                f"{who} takes a weighted average of {whom} (weights: softmax of query·key/√{hk}, summing to 1 over "
                f"the keys); the heads' results are projected together to {target}: {format_shape(output_shape)}"
                f"{dropout}")
