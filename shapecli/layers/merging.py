"""Merging layers, called on a list of tensors: Concatenate, Add, Subtract, Multiply, Average, Maximum,
Minimum, Dot (keras/src/layers/merging).

These layers set `takes_list`: their shapes, arrays and masks come as lists, one entry per input (see
Layer). They are registered like every layer, and also listed in GRAPH_LAYERS (with attention.py's): only
a graph stack file can call them, so their Keras references are graph fixtures (tests/reference/graph/).
"""

from __future__ import annotations

import functools

from typing import Any

from .. import reference
from ..claims import TOLERANCE, exactly_equal, same_numbers
from ..errors import ArgumentError, ShapeMismatch, describe_value
from ..lazy_numpy import np
from ..shapes import Dim, Shape, format_shape
from .base import Arg, Layer, boolean, is_shape_list, plural, register

GRAPH_LAYERS: dict[str, type[Layer]] = {}


def graph_layer(cls: type[Layer]) -> type[Layer]:
    """Registers a layer that is called on a list of tensors (a functional model's merge or attention)."""
    GRAPH_LAYERS[cls.__name__] = cls
    return register(cls)


# -- shared by the layers called on several tensors ------------------------------------------------------
def shapes_of(layer: Layer, input_shape, fewest: int, most: int | None, inputs: str) -> list[Shape]:
    """The list of input shapes, checked: a list (not one tensor) with an allowed number of inputs."""
    name = layer.keras_name
    wanted = (f"exactly {fewest}" if fewest == most else f"{fewest} to {most}" if most else f"at least {fewest}")
    if not is_shape_list(input_shape):
        raise ShapeMismatch(
            f"{name} is called on a list of tensors ({inputs}), but gets one tensor {format_shape(input_shape)}",
            expected=f"a list of {wanted} inputs", found=f"one tensor {format_shape(input_shape)}",
            fix=f"use it in a functional model: `{name}(...)([a, b])`, with the outputs of earlier layers")
    count = len(input_shape)
    if count < fewest or (most is not None and count > most):
        raise ShapeMismatch(
            f"{name} takes {wanted} inputs ({inputs}), but gets {count}",
            expected=f"{wanted} inputs", found=f"{count} input{'s' if count != 1 else ''}: "
            + ", ".join(format_shape(s) for s in input_shape),
            fix=("pass two tensors: [a, b]" if fewest == most == 2 else
                 f"pass {wanted} tensors in the list"))
    for shape in input_shape:
        if len(shape) < 1:
            raise ShapeMismatch(f"{name} needs each input to have the batch axis", expected="(batch, ...)",
                                found=format_shape(shape))
    return list(input_shape)


def may_differ(a: Dim, b: Dim) -> bool:
    """Two sizes that are not the same size but might be when the model runs (one or both free)."""
    return a != b and not (a.is_known and b.is_known)


def agreed(a: Dim, b: Dim) -> Dim:
    """The size two axes that must match have: the same one, or the fixed one when the other is free."""
    if a == b or a.is_known or not b.is_known:
        return a
    return b


def pinned(shapes: list[Shape], out: Shape, skip: int | None = None, or_one: bool = False) -> str:
    """'; when the model runs, time must be 7': the free sizes of the inputs that the output fixes (each
    input's axes lined up with the output's last ones; `skip`: an axis where sizes may differ)."""
    found = []
    for shape in shapes:
        for k in range(1, len(shape)):
            at = len(out) - len(shape) + k
            if at == skip or at < 1:
                continue
            size, wanted = shape[k], out[at]
            if size != wanted and not size.is_known and (size, wanted) not in found:
                found.append((size, wanted))
    if not found:
        return ""
    return "; when the model runs, " + ", ".join(
        f"{size} must be {wanted}" + (" (or 1)" if or_one else "") for size, wanted in found)


def ordinal(i: int) -> str:
    return ["first", "second", "third", "fourth", "fifth"][i] if i < 5 else f"{i + 1}th"


class Multi(Layer):
    """A layer called on a list of tensors."""

    takes_list = True

    def bind(self, bindings: dict[str, int], input_shape=()) -> "Layer":
        """With free sizes bound to numbers, the inputs must still fit (free sizes that had to match the
        others must), and the output must be the one explained."""
        if not is_shape_list(input_shape):
            return self
        try:
            concrete = [tuple(Dim.of(d.evaluate(bindings)) for d in shape) for shape in input_shape]
        except KeyError:  # a size this run does not bind
            return self
        sizes = ", ".join(f"{k}={v}" for k, v in bindings.items())
        try:
            out = self.output_shape(concrete)
        except ShapeMismatch as problem:
            raise ShapeMismatch(f"with {sizes}, {problem.message}", expected=problem.expected, found=problem.found,
                                fix="bind the free sizes so that the inputs fit (--bind NAME=VALUE)") from None
        symbolic = self.output_shape(list(input_shape))
        outs, symbolics = (out, symbolic) if is_shape_list(out) else ([out], [symbolic])
        for got, shape in zip(outs, symbolics):
            evaluated = tuple(Dim.of(d.evaluate(bindings)) for d in shape)
            if evaluated != tuple(got):
                raise ShapeMismatch(
                    f"with {sizes}, the output would be {format_shape(got)}, not {format_shape(shape)} as explained: "
                    "the free sizes that had to agree do not",
                    expected=f"the output {format_shape(shape)} = {format_shape(evaluated)}",
                    found=format_shape(got), fix="bind the free sizes to equal values (--bind NAME=VALUE)")
        return self


# -- element-wise merges ----------------------------------------------------------------------------
def broadcast(a: Dim, b: Dim) -> Dim | None:
    """Keras' rule for two lined-up axes: equal, or one of them 1; None when two fixed sizes clash. A free
    size against another size is taken to match it (or be 1) when the model runs, as Keras allows."""
    if a == b or b == 1:
        return a
    if a == 1:
        return b
    if a.is_known and b.is_known:
        return None
    return agreed(a, b)


class ElementwiseMerge(Multi):
    """Add, Subtract, Multiply, Average, Maximum, Minimum: value by value, after Keras' broadcasting (the
    axes after the batch are lined up from the last; a size 1, or a missing leading axis, is repeated)."""

    fewest, most = 1, None
    kind = ""  # the claim kind
    doing = ""  # what it does, for `why`: "adds the 2 inputs value by value"

    def output_shape(self, input_shape) -> Shape:
        shapes = shapes_of(self, input_shape, self.fewest, self.most, "tensors of the same shape")
        out = list(shapes[0])
        for shape in shapes[1:]:
            out = self.broadcast_pair(out, list(shape))
        return (shapes[0][0], *out[1:])

    def broadcast_pair(self, out: list, shape: list) -> list:
        """Two shapes' axes after the batch, lined up from the last: a missing leading axis is repeated."""
        a, b = out[1:], shape[1:]
        n = max(len(a), len(b))
        a, b = [None] * (n - len(a)) + a, [None] * (n - len(b)) + b
        result = [out[0]]
        for k in range(n):
            if a[k] is None or b[k] is None:
                result.append(b[k] if a[k] is None else a[k])
                continue
            merged = broadcast(a[k], b[k])
            if merged is None:
                raise self.clash(tuple(out), tuple(shape), k + 1, a[k], b[k], k == n - 1)
            result.append(merged)
        return result

    def clash(self, first: Shape, other: Shape, axis: int, a: Dim, b: Dim, last: bool) -> ShapeMismatch:
        lined_up = " (lined up from the last axis)" if len(first) != len(other) else ""
        fix = (f"give both the same size on axis {axis}" +
               (f": e.g. a Dense({a}) on the input with {b}, or Concatenate them instead, which joins inputs of "
                "different sizes on the last axis" if last else ", or 1 on one of them to repeat it"))
        return ShapeMismatch(
            f"{self.keras_name} needs inputs of the same shape, or shapes that broadcast: {format_shape(first)} and "
            f"{format_shape(other)} differ on axis {axis}{lined_up}",
            expected=f"on axis {axis}: the same size in both, or 1 in one of them", found=f"{a} and {b}", fix=fix)

    pair = ""  # the NumPy function that merges two inputs (folded over all of them)
    written_out = ""  # the reference (shapecli.reference) that computes the same value by value
    said = ""  # the claim, with {n}

    def combine(self, xs: list):
        return functools.reduce(getattr(np, self.pair), xs)

    def forward(self, x, weights: list, mask=None):
        rank = max(a.ndim for a in x)
        lined = [a.reshape(a.shape[:1] + (1,) * (rank - a.ndim) + a.shape[1:]) for a in x]  # Keras: expand at axis 1
        return np.asarray(self.combine(lined), dtype=np.float32)

    def claims(self, x, y, weights: list, mask=None) -> list:
        return [same_numbers(self.said.format(n=len(x)), reference.merge_values(getattr(reference, self.written_out), x),
                             y, kind=self.kind)]

    def why(self, input_shape, output_shape) -> str:
        shapes = list(input_shape)
        n = len(shapes)
        if n == 1:
            return f"only one input: {self.keras_name} passes it through unchanged"
        repeated = []
        for i, shape in enumerate(shapes):
            if len(shape) < len(output_shape):
                missing = len(output_shape) - len(shape)
                axes = "axis 1" if missing == 1 else f"axes 1–{missing}"
                repeated.append(f"the {ordinal(i)} {format_shape(shape)} is repeated along {axes}")
            else:
                ones = [str(k) for k in range(1, len(shape)) if shape[k] == 1 and output_shape[k] != 1]
                if ones:
                    repeated.append(f"the {ordinal(i)} {format_shape(shape)} is repeated along axis {', '.join(ones)}")
        free = pinned(shapes, output_shape, or_one=True)
        if repeated:
            return (f"{self.doing.format(n=n)}; the shapes broadcast to {format_shape(output_shape)}: "
                    + "; ".join(repeated) + free)
        if free:
            return f"{self.doing.format(n=n)}; the output is {format_shape(output_shape)}{free}"
        return f"{self.doing.format(n=n)}; the inputs have the same shape, so the output is {format_shape(output_shape)} too"


@graph_layer
class Add(ElementwiseMerge):
    kind, pair, written_out = "Add.sum", "add", "total"
    doing = "adds the {n} inputs value by value (each output value is the sum of the values at the same position)"
    said = "each value is the sum of the {n} inputs' values at that position"


@graph_layer
class Subtract(ElementwiseMerge):
    fewest = most = 2
    kind, pair, written_out = "Subtract.difference", "subtract", "difference"
    doing = "subtracts the second input from the first, value by value (first − second: the order matters)"
    said = "each value is the first input's value minus the second's"


@graph_layer
class Multiply(ElementwiseMerge):
    kind, pair, written_out = "Multiply.product", "multiply", "product"
    doing = "multiplies the {n} inputs value by value (each output value is the product at the same position)"
    said = "each value is the product of the {n} inputs' values at that position"


@graph_layer
class Average(ElementwiseMerge):
    kind, pair, written_out = "Average.mean", "add", "mean"
    doing = "averages the {n} inputs value by value (their sum divided by {n})"
    said = "each value is the mean of the {n} inputs' values at that position"

    def combine(self, xs):
        return super().combine(xs) / len(xs)


@graph_layer
class Maximum(ElementwiseMerge):
    kind, pair, written_out = "Maximum.largest", "maximum", "largest"
    doing = "keeps, at each position, the largest of the {n} inputs' values"
    said = "each value is the largest of the {n} inputs' values at that position"


@graph_layer
class Minimum(ElementwiseMerge):
    kind, pair, written_out = "Minimum.smallest", "minimum", "smallest"
    doing = "keeps, at each position, the smallest of the {n} inputs' values"
    said = "each value is the smallest of the {n} inputs' values at that position"


# -- Concatenate -------------------------------------------------------------------------------------
def integer(value: Any, name: str, ctx) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(name, f"`{name}` must be an integer", expected="an integer such as -1 (the last axis)",
                            found=describe_value(value))
    return value


def axis_words(axis: int, rank: int) -> str:
    """'the last axis', 'axis 1'."""
    return "the last axis" if axis % rank == rank - 1 else f"axis {axis % rank}"


@graph_layer
class Concatenate(Multi):
    arguments = {"axis": Arg(integer, -1)}

    def output_shape(self, input_shape) -> Shape:
        shapes = shapes_of(self, input_shape, 1, None, "tensors that match except along `axis`")
        rank = len(shapes[0])
        for shape in shapes[1:]:
            if len(shape) != rank:
                raise ShapeMismatch(
                    f"Concatenate needs inputs with the same number of axes: {format_shape(shapes[0])} is {rank}D and "
                    f"{format_shape(shape)} is {len(shape)}D",
                    expected=f"{rank}D inputs, equal on every axis except axis {self.axis}",
                    found=f"{rank}D and {len(shape)}D",
                    fix="add the missing axis first (Reshape, or RepeatVector for a vector per step), or remove one "
                        "(Flatten, GlobalAveragePooling1D)")
        if not -rank <= self.axis < rank:
            raise ShapeMismatch(
                f"Concatenate(axis={self.axis}) names an axis that {rank}D inputs do not have",
                expected=f"an axis from {-rank} to {rank - 1} (-1: the last)", found=f"axis={self.axis}",
                fix="use axis=-1 to join the features, or axis=1 to join the steps")
        axis = self.axis % rank
        out = list(shapes[0])
        for shape in shapes[1:]:
            for k in range(rank):
                if k == axis:
                    out[k] = out[k] + shape[k]
                elif shape[k] != out[k] and shape[k].is_known and out[k].is_known:
                    raise self.clash(shapes[0], shape, k, out[k], shape[k], axis)
                else:
                    out[k] = agreed(out[k], shape[k])
        return tuple(out)

    def clash(self, first: Shape, other: Shape, k: int, a: Dim, b: Dim, axis: int) -> ShapeMismatch:
        others = [j for j in range(1, len(first)) if j != axis and first[j] != other[j]]
        if others == [k] and first[axis] == other[axis]:
            fix = f"make axis {k} agree, or concatenate along axis {k} (axis={k}), where the sizes may differ"
        else:
            fix = f"make axis {k} agree: e.g. a Dense on the input whose size is wrong, if it is the feature axis"
        return ShapeMismatch(
            f"Concatenate along axis {self.axis} needs the other axes equal: {format_shape(first)} and "
            f"{format_shape(other)} differ on axis {k}",
            expected=f"the same size on every axis but axis {self.axis}", found=f"{a} and {b} on axis {k}", fix=fix)

    def forward(self, x, weights: list, mask=None):
        return np.concatenate(x, axis=self.axis).astype(np.float32, copy=False)

    def claims(self, x, y, weights: list, mask=None) -> list:
        sizes = " + ".join(str(a.shape[self.axis]) for a in x)
        return [exactly_equal(f"along {axis_words(self.axis, x[0].ndim)}, the output holds the inputs one after "
                              f"another, in order ({sizes}), each value where the index map puts it",
                              reference.concatenate(x, self.axis), y, kind="Concatenate.order")]

    def why(self, input_shape, output_shape) -> str:
        shapes = list(input_shape)
        if len(shapes) == 1:
            return "only one input: Concatenate passes it through unchanged"
        rank = len(shapes[0])
        axis = self.axis % rank
        sizes = " + ".join(str(s[axis]) if s[axis].is_known or s[axis].is_atom else f"({s[axis]})" for s in shapes)
        total = output_shape[axis]
        if str(total) != sizes.replace(" ", ""):  # "8 + 4 = 12", "time + time = time*2", but not "time + 5 = time+5"
            sizes = f"{sizes} = {total}"
        free = pinned(shapes, output_shape, skip=axis)
        if axis == 0:
            return (f"joins the {len(shapes)} inputs along the batch axis: the samples of each follow the previous "
                    f"input's ({sizes} samples) — rarely wanted; axis=-1 joins features")
        if axis == rank - 1:
            where = "at each position" if rank > 2 else "for each sample"
            what = f"{sizes} features {where}"
            rest = "the other axes" if rank > 2 else "the batch"
            return f"joins the {len(shapes)} inputs along the last axis: {what}; {rest} must match{free}"
        return (f"joins the {len(shapes)} inputs along axis {axis}: {sizes} entries one after another; "
                f"every other axis must match{free}")


# -- Dot ------------------------------------------------------------------------------------------------
def dot_axes(value: Any, name: str, ctx) -> int | list[int]:
    """An integer (the same axis of both inputs) or a list of two (one axis of each)."""
    if isinstance(value, list):
        if len(value) != 2:
            raise ArgumentError(name, f"`{name}` takes one axis for each of the two inputs",
                                expected="an integer, or a list of two integers such as [2, 1]",
                                found=f"a list of {len(value)}")
        for i, v in enumerate(value):
            if isinstance(v, bool) or not isinstance(v, int):
                raise ArgumentError(name, f"`{name}` must hold integers", expected="integers such as [2, 1]",
                                    found=describe_value(v), item=i)
        return list(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(name, f"`{name}` must be an integer or a list of two integers",
                            expected="an integer such as -1, or a list such as [2, 1]", found=describe_value(value))
    return value


@graph_layer
class Dot(Multi):
    arguments = {"axes": Arg(dot_axes), "normalize": Arg(boolean, False)}

    def pair(self, shapes: list[Shape]) -> tuple[int, int]:
        """The summed axis of each input, counted from 0 (the batch), as Keras reads `axes`."""
        axes = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        found = []
        for i, (axis, shape) in enumerate(zip(axes, shapes)):
            rank = len(shape)
            if rank < 2:
                raise ShapeMismatch(f"Dot needs each input to have an axis besides the batch: the {ordinal(i)} is "
                                    f"{format_shape(shape)}", expected="(batch, n) or more axes", found=format_shape(shape))
            if not -rank <= axis < rank:
                raise ShapeMismatch(
                    f"Dot(axes={self.axes}) names axis {axis} of the {ordinal(i)} input, which {format_shape(shape)} "
                    "does not have", expected=f"an axis from 1 to {rank - 1} (or -1 for the last)",
                    found=f"axis {axis} of a {rank}D input", fix="count the axes with the batch as axis 0")
            if axis % rank == 0:
                raise ShapeMismatch(
                    f"Dot cannot sum over the batch axis (axis 0 of the {ordinal(i)} input): Keras builds the model "
                    "but fails when it runs", expected="axes from 1 (the first axis after the batch)",
                    found=f"axes={self.axes}", fix="count the axes with the batch as axis 0: the features are axis -1")
            found.append(axis % rank)
        return found[0], found[1]

    def output_shape(self, input_shape) -> Shape:
        shapes = shapes_of(self, input_shape, 2, 2, "the two tensors whose products are summed")
        a1, a2 = self.pair(shapes)
        first, second = shapes
        d1, d2 = first[a1], second[a2]
        if d1 != d2 and (d1.is_known or d2.is_known):
            free = not (d1.is_known and d2.is_known)
            raise ShapeMismatch(
                f"Dot sums products over axis {a1} of the first input and axis {a2} of the second, so their sizes "
                f"must match: {format_shape(first)} and {format_shape(second)} have {d1} and {d2}"
                + (" (Keras refuses a free size against a fixed one here)" if free else ""),
                expected=f"the same size on axis {a1} of the first and axis {a2} of the second",
                found=f"{d1} and {d2}",
                fix=(f"give the free size a number under `symbols:`" if free else
                     f"choose axes with equal sizes, or bring one input to {d1} first (e.g. Dense({d1}) on the "
                     "features)"))
        rest = [d for k, d in enumerate(first) if k != a1] + [d for k, d in enumerate(second) if k not in (0, a2)]
        if len(rest) == 1:
            rest.append(Dim.of(1))
        return tuple(rest)

    def forward(self, x, weights: list, mask=None):
        x1, x2 = x
        a1, a2 = self.pair([x1.shape, x2.shape])
        if self.normalize:
            x1, x2 = unit_length(x1, a1), unit_length(x2, a2)
        left = np.moveaxis(x1, a1, -1)
        right = np.moveaxis(x2, a2, 1)
        rest1, rest2 = left.shape[1:-1], right.shape[2:]
        size = left.shape[-1]
        out = left.reshape(len(left), -1, size) @ right.reshape(len(right), size, -1)
        out = out.reshape(len(left), *rest1, *rest2)
        if out.ndim == 1:
            out = out.reshape(-1, 1)
        return out.astype(np.float32, copy=False)

    def claims(self, x, y, weights: list, mask=None) -> list:
        a1, a2 = self.pair([x[0].shape, x[1].shape])
        what = "cosine similarities (sums of products of the vectors scaled to length 1)" if self.normalize else \
            "sums of products"
        size = x[0].shape[a1]
        return [same_numbers(f"each value is one of the explicit {what} over {size} pairs: axis {a1} of the first input "
                             f"with axis {a2} of the second", reference.dot(x[0], x[1], a1, a2, self.normalize), y,
                             tolerance=self.tolerance(x, a1, a2), kind="Dot.sums")]

    def tolerance(self, x, a1: int, a2: int) -> float:
        """float32 sums of many products round by about 1e-7 of the largest sum possible, ‖a‖·‖b‖ (Cauchy–Schwarz):
        TOLERANCE, or 1e-6 of that bound when it is larger (long vectors of large values)."""
        if self.normalize or not all(a.size for a in x):
            return TOLERANCE
        bound = float(np.max(np.linalg.norm(x[0], axis=a1))) * float(np.max(np.linalg.norm(x[1], axis=a2)))
        return max(TOLERANCE, 1e-6 * bound) if np.isfinite(bound) else TOLERANCE

    def why(self, input_shape, output_shape) -> str:
        first, second = input_shape
        a1, a2 = self.pair(list(input_shape))
        size = first[a1]
        rest1 = [d for k, d in enumerate(first) if k not in (0, a1)]
        rest2 = [d for k, d in enumerate(second) if k not in (0, a2)]
        kept = []
        if rest1:
            kept.append(f"the first's other axes ({', '.join(map(str, rest1))})")
        if rest2:
            kept.append(f"the second's ({', '.join(map(str, rest2))})")
        norm = ("each vector is first scaled to length 1, so every value is a cosine similarity from -1 to 1; "
                if self.normalize else "")
        if not kept:
            return (f"{norm}for each sample, the dot product of the two {size}-number vectors: one number, "
                    f"kept as {format_shape(output_shape)}")
        return (f"{norm}for each sample, sums {plural(size, 'product')} over axis {a1} of the first input and axis {a2} "
                f"of the second, for every pairing of the remaining positions: {' and '.join(kept)} make "
                f"{format_shape(output_shape)}")


def unit_length(x, axis: int):
    """x with each vector along `axis` divided by its length (a zero vector stays zero), as Keras' NumPy path."""
    norm = np.sqrt(np.sum(np.square(x), axis=axis, keepdims=True))
    return x / np.where(norm == 0, np.asarray(1, x.dtype), norm)

